"""Reading spreadsheet files and suggesting which column feeds which field."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from rapport.core.tests.personas import Personas
from rapport.interchange import services
from rapport.interchange.choices import ImportKind, ImportTarget
from rapport.interchange.exceptions import ImportRefused
from rapport.interchange.models import ColumnMapping
from rapport.interchange.spreadsheet import mapping
from rapport.interchange.spreadsheet.fields import Context, DateOrder, parse_datetime
from rapport.interchange.spreadsheet.reading import column_samples, open_sheet
from rapport.interchange.tests.test_spreadsheet_import import csv_bytes, xlsx_bytes


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    data = csv_bytes(
        [["Name", "Website"], ["Dupont, Fils & Cie", "https://dupont.example"]],
        delimiter=delimiter,
    )
    with open_sheet(write(tmp_path, "a.csv", data)) as sheet:
        assert sheet.delimiter == delimiter
        assert sheet.headers == ["Name", "Website"]
        assert list(sheet.rows) == [(2, ["Dupont, Fils & Cie", "https://dupont.example"])]


def test_a_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    data = csv_bytes([["Nom", "Pays"], ["Éts Martin", "FR"]], delimiter=";", bom=True)
    with open_sheet(write(tmp_path, "a.csv", data)) as sheet:
        assert sheet.headers == ["Nom", "Pays"]
        assert sheet.encoding_name == "UTF-8"
        assert not sheet.notes


def test_windows_1252_is_detected_and_said(tmp_path: Path) -> None:
    data = csv_bytes([["Name"], ["Société Générale"]], encoding="cp1252")
    with open_sheet(write(tmp_path, "a.csv", data)) as sheet:
        assert sheet.encoding_name == "Windows-1252"
        assert "Windows-1252" in sheet.notes[0]
        assert list(sheet.rows) == [(2, ["Société Générale"])]


def test_lines_count_from_where_a_row_starts_across_quoted_newlines(tmp_path: Path) -> None:
    data = csv_bytes([["Name", "Description"], ["A", "two\nlines"], [], ["B", "one"]])
    with open_sheet(write(tmp_path, "a.csv", data)) as sheet:
        assert [line for line, _cells in sheet.rows] == [2, 5]


def test_headers_blank_and_repeated_are_named(tmp_path: Path) -> None:
    data = csv_bytes([["Name", "", "Name", ""], ["A", "b", "c"]])
    with open_sheet(write(tmp_path, "a.csv", data)) as sheet:
        assert sheet.headers == ["Name", "Column 2", "Name (2)"]
        assert list(sheet.rows) == [(2, ["A", "b", "c"])]


def test_an_xlsx_file_gives_dates_as_dates_and_formulas_as_text(tmp_path: Path) -> None:
    data = xlsx_bytes(
        [
            ["Subject", "When", "Computed"],
            ["Call", datetime.datetime(2025, 1, 2, 9, 0), "=1+1"],
            [None, None, None],
            ["Visit", datetime.date(2025, 1, 3), 3.0],
        ]
    )
    with open_sheet(write(tmp_path, "a.xlsx", data)) as sheet:
        rows = list(sheet.rows)
    assert rows[0] == (2, ["Call", datetime.datetime(2025, 1, 2, 9, 0), "=1+1"])
    assert rows[1][0] == 4
    with open_sheet(write(tmp_path, "b.xlsx", data)) as sheet:
        assert column_samples(sheet)[2] == ["=1+1", "3"]


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused), open_sheet(write(tmp_path, "a.xlsx", b"not a zip")):
        pass


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with (
        pytest.raises(ImportRefused, match="no header row"),
        open_sheet(write(tmp_path, "a.csv", b"\r\n\r\n")),
    ):
        pass


def test_slashed_dates_follow_the_chosen_order_and_impossible_ones_are_refused() -> None:
    day_first = parse_datetime("03/04/2025 14:30", Context(DateOrder.DAY_FIRST))
    month_first = parse_datetime("03/04/2025", Context(DateOrder.MONTH_FIRST))
    assert (day_first.month, day_first.day, day_first.hour) == (4, 3, 14)
    assert (month_first.month, month_first.day) == (3, 4)
    with pytest.raises(ValidationError):
        parse_datetime("13/13/2025", Context(DateOrder.DAY_FIRST))


@pytest.mark.django_db
def test_english_headers_are_suggested() -> None:
    headers = ["First Name", "Last_Name", "Account Name", "Email", "Job Title", "Favourite colour"]
    columns, _order, saved = mapping.suggest(target=ImportTarget.STAKEHOLDERS, headers=headers)
    assert not saved
    assert columns == {
        "First Name": "first_name",
        "Last_Name": "last_name",
        "Account Name": "account",
        "Email": "email",
        "Job Title": "title",
    }


@pytest.mark.django_db
def test_french_headers_are_suggested() -> None:
    headers = ["Prénom", "Nom", "Société", "Adresse e-mail", "Fonction", "Téléphone"]
    columns, _order, _saved = mapping.suggest(target=ImportTarget.STAKEHOLDERS, headers=headers)
    assert columns == {
        "Prénom": "first_name",
        "Nom": "last_name",
        "Société": "account",
        "Adresse e-mail": "email",
        "Fonction": "title",
        "Téléphone": "phone",
    }
    touchpoints, _order, _saved = mapping.suggest(
        target=ImportTarget.TOUCHPOINTS, headers=["Compte", "Date", "Objet", "Durée"]
    )
    assert touchpoints == {
        "Compte": "account",
        "Date": "occurred_at",
        "Objet": "subject",
        "Durée": "duration_minutes",
    }


@pytest.mark.django_db
def test_a_field_is_suggested_for_one_column_only() -> None:
    columns, _order, _saved = mapping.suggest(
        target=ImportTarget.ACCOUNTS, headers=["Company", "Account name", "Name"]
    )
    # The field's own name beats aliases, wherever the column stands.
    assert columns == {"Name": "name"}


@pytest.mark.django_db
def test_a_confirmed_mapping_is_offered_again_for_the_same_headers(personas: Personas) -> None:
    headers = ["Raison", "Quand", "Libre"]
    run = services.import_run_create(
        kind=ImportKind.SPREADSHEET,
        file_name="a.csv",
        chunks=[b"x"],
        acting_user=personas.admin,
        target=ImportTarget.TOUCHPOINTS,
    )
    chosen = {"Raison": "account", "Quand": "occurred_at", "Libre": "subject"}
    mapping.mapping_confirm(
        run=run,
        headers=headers,
        columns=chosen,
        date_order=DateOrder.MONTH_FIRST,
        remember=True,
        acting_user=personas.admin,
    )

    assert ColumnMapping.objects.count() == 1
    # Case and accents aside, the same headers are the same layout.
    columns, order, saved = mapping.suggest(
        target=ImportTarget.TOUCHPOINTS, headers=["raison", "QUAND", "libre"]
    )
    assert (columns, order, saved) == (
        {"raison": "account", "QUAND": "occurred_at", "libre": "subject"},
        DateOrder.MONTH_FIRST,
        True,
    )
    assert mapping.suggest(target=ImportTarget.TOUCHPOINTS, headers=headers)[0] == chosen
    # Another target or other headers get no saved mapping.
    assert mapping.suggest(target=ImportTarget.CONTRACTS, headers=headers)[2] is False
    assert mapping.suggest(target=ImportTarget.TOUCHPOINTS, headers=headers[:2])[2] is False


@pytest.mark.django_db
def test_a_mapping_without_a_required_field_or_with_a_field_twice_is_refused(
    personas: Personas,
) -> None:
    run = services.import_run_create(
        kind=ImportKind.SPREADSHEET,
        file_name="a.csv",
        chunks=[b"x"],
        acting_user=personas.admin,
        target=ImportTarget.ACCOUNTS,
    )
    with pytest.raises(ImportRefused, match="Name is required"):
        mapping.mapping_confirm(
            run=run,
            headers=["Tier"],
            columns={"Tier": "tier"},
            date_order=DateOrder.DAY_FIRST,
            remember=True,
            acting_user=personas.admin,
        )
    problems = mapping.mapping_problems(
        target=ImportTarget.ACCOUNTS, columns={"A": "name", "B": "name"}
    )
    assert problems == ["Name is given by several columns (“A”, “B”): keep one."]
    assert not ColumnMapping.objects.exists()
