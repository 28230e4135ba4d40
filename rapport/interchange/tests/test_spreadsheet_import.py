"""Spreadsheet imports end to end: real CSV and XLSX files, run as the import pages run them."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import Workbook

from rapport.accounts.choices import Segment, Tier
from rapport.accounts.models import Account
from rapport.communications.choices import TouchpointKind, TouchpointSource
from rapport.communications.models import Touchpoint
from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.interchange import services
from rapport.interchange.choices import ImportKind, ImportStatus, ImportTarget
from rapport.interchange.models import ImportRun
from rapport.interchange.report import read_problems
from rapport.revenue.models import Contract
from rapport.revenue.tests import factories as revenue
from rapport.stakeholders.choices import DecisionRole, Stance
from rapport.stakeholders.models import Stakeholder

pytestmark = pytest.mark.django_db


def csv_bytes(
    rows: list[list[Any]], *, delimiter: str = ",", encoding: str = "utf-8", bom: bool = False
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run_import(
    user: Any,
    target: str,
    data: bytes,
    columns: dict[str, str],
    *,
    name: str = "rows.csv",
    date_order: str = "dmy",
    strict: bool = False,
    dry_run: bool = False,
) -> ImportRun:
    run = services.import_run_create(
        kind=ImportKind.SPREADSHEET,
        file_name=name,
        chunks=[data],
        acting_user=user,
        target=target,
        strict=strict,
        dry_run=dry_run,
        mapping={"columns": columns, "date_order": date_order},
    )
    return services.import_run_execute(run=run)


def problems(run: ImportRun) -> list[dict[str, str]]:
    return list(read_problems(run.report_path, limit=1000))


ACCOUNT_COLUMNS = {
    "Name": "name",
    "Tier": "tier",
    "Segment": "segment",
    "Employees": "employees",
    "Parent": "parent",
    "Owner": "owner",
}


def test_accounts_from_a_comma_csv_land_with_history_and_bad_rows_are_reported(
    personas: Personas,
) -> None:
    data = csv_bytes(
        [
            ["Name", "Tier", "Segment", "Employees", "Parent", "Owner"],
            [
                "Société Générale d'Étude",
                "Strategic",
                "Enterprise",
                "1200",
                "",
                "owner@example.com",
            ],
            ["Filiale, Nord", "key", "mid_market", "40", "Société Générale d'Étude", ""],
            ["Broken Numbers", "growth", "", "forty", "", ""],
            ["Unknown Tier", "platinum", "", "", "", ""],
        ]
    )
    run = run_import(personas.admin, ImportTarget.ACCOUNTS, data, ACCOUNT_COLUMNS)

    assert run.status == ImportStatus.DONE
    assert run.counts == {"accounts": {"created": 2, "updated": 0, "unchanged": 0, "skipped": 2}}
    parent = Account.objects.get(name="Société Générale d'Étude")
    assert parent.tier == Tier.STRATEGIC
    assert parent.segment == Segment.ENTERPRISE
    assert parent.owner == personas.owner
    child = Account.objects.get(name="Filiale, Nord")
    assert child.parent == parent
    assert child.employees == 40
    # Created through the service: history names who imported, and the manager joined the team.
    record = parent.history.get()
    assert record.history_type == "+"
    assert record.history_user == personas.admin
    assert parent.team_members.filter(user=personas.owner).exists()
    found = {(row["line"], row["field"]) for row in problems(run)}
    assert found == {("4", "Employees"), ("5", "Tier")}
    assert run.problem_count == 2


def test_reimporting_the_same_accounts_changes_nothing_and_a_change_updates(
    personas: Personas,
) -> None:
    rows = [["Name", "Tier"], ["Acme", "key"], ["Globex", "growth"]]
    columns = {"Name": "name", "Tier": "tier"}
    run_import(personas.admin, ImportTarget.ACCOUNTS, csv_bytes(rows), columns)
    again = run_import(personas.admin, ImportTarget.ACCOUNTS, csv_bytes(rows), columns)

    assert again.counts["accounts"] == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0}
    assert Account.objects.filter(name__in=["Acme", "Globex"]).count() == 2
    # Case and accents aside, the same name is the same account.
    changed = [["Name", "Tier"], ["ACME", "strategic"]]
    third = run_import(personas.admin, ImportTarget.ACCOUNTS, csv_bytes(changed), columns)
    assert third.counts["accounts"]["updated"] == 1
    acme = Account.objects.get(search_name="acme")
    # The file's spelling of the name is the newer one.
    assert (acme.name, acme.tier) == ("ACME", Tier.STRATEGIC)
    assert acme.history.count() == 2


def test_a_semicolon_csv_with_a_bom_and_french_labels(personas: Personas) -> None:
    data = csv_bytes(
        [
            ["Nom", "Niveau", "Segment"],
            ["Crédit Épargne", "Stratégique", "Secteur public"],
        ],
        delimiter=";",
        bom=True,
    )
    run = run_import(
        personas.admin,
        ImportTarget.ACCOUNTS,
        data,
        {"Nom": "name", "Niveau": "tier", "Segment": "segment"},
    )

    assert run.problem_count == 0, problems(run)
    account = Account.objects.get(name="Crédit Épargne")
    assert account.tier == Tier.STRATEGIC
    assert account.segment == Segment.PUBLIC_SECTOR


def test_a_windows_1252_file_keeps_its_accents(personas: Personas) -> None:
    data = csv_bytes([["Name"], ["Électricité Générale"], ["Café Œuvre"]], encoding="cp1252")
    run = run_import(personas.admin, ImportTarget.ACCOUNTS, data, {"Name": "name"})

    assert run.counts["accounts"]["created"] == 2
    assert Account.objects.filter(name="Électricité Générale").exists()
    assert Account.objects.filter(name="Café Œuvre").exists()


def test_an_xlsx_file_with_real_dates_and_a_formula_kept_as_text(personas: Personas) -> None:
    StakeholderFactory(
        account=personas.account,
        first_name="Grace",
        last_name="Hopper",
        email="grace@northwind.example",
    )
    data = xlsx_bytes(
        [
            ["Account", "Date", "Subject", "Kind", "Participants", "Notes"],
            [
                "Northwind Traders",
                datetime.datetime(2025, 3, 14, 10, 30),
                "Quarterly review",
                "Business review",
                "grace@northwind.example",
                "=SUM(A1:A3)",
            ],
            ["Northwind Traders", 45735, "Serial date call", "Appel", "", "+33 1 23"],
        ]
    )
    columns = {
        "Account": "account",
        "Date": "occurred_at",
        "Subject": "subject",
        "Kind": "kind",
        "Participants": "participants",
        "Notes": "notes",
    }
    run = run_import(personas.admin, ImportTarget.TOUCHPOINTS, data, columns, name="log.xlsx")

    assert run.problem_count == 0, problems(run)
    review = Touchpoint.objects.get(subject="Quarterly review")
    assert review.kind == TouchpointKind.BUSINESS_REVIEW
    assert timezone.localtime(review.occurred_at).replace(tzinfo=None) == datetime.datetime(
        2025, 3, 14, 10, 30
    )
    assert review.notes == "=SUM(A1:A3)"
    assert review.source == TouchpointSource.SPREADSHEET
    assert [person.last_name for person in review.stakeholders.all()] == ["Hopper"]
    # Nobody on our side is recorded as present: the importer did not take part.
    assert not review.users.exists()
    serial = Touchpoint.objects.get(subject="Serial date call")
    assert serial.kind == TouchpointKind.CALL
    assert timezone.localtime(serial.occurred_at).date() == datetime.date(2025, 3, 19)
    assert serial.notes == "+33 1 23"
    assert review.history.get().history_user == personas.admin


def test_touchpoints_are_not_duplicated_by_a_second_import(personas: Personas) -> None:
    rows = [
        ["Compte", "Date et heure", "Objet"],
        ["Northwind Traders", "03/04/2025 14:00", "Point d'étape"],
        ["Northwind Traders", "2025-04-05", "Kick-off"],
    ]
    columns = {"Compte": "account", "Date et heure": "occurred_at", "Objet": "subject"}
    first = run_import(personas.admin, ImportTarget.TOUCHPOINTS, csv_bytes(rows), columns)
    second = run_import(personas.admin, ImportTarget.TOUCHPOINTS, csv_bytes(rows), columns)

    assert first.counts["touchpoints"]["created"] == 2, problems(first)
    assert second.counts["touchpoints"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "skipped": 0,
    }
    assert Touchpoint.objects.filter(account=personas.account).count() == 2
    checkpoint = Touchpoint.objects.get(subject="Point d'étape")
    assert timezone.localtime(checkpoint.occurred_at).date() == datetime.date(2025, 4, 3)


def test_month_first_dates_when_chosen(personas: Personas) -> None:
    rows = [["Account", "When", "Subject"], ["Northwind Traders", "03/04/2025", "US style"]]
    columns = {"Account": "account", "When": "occurred_at", "Subject": "subject"}
    run_import(personas.admin, ImportTarget.TOUCHPOINTS, csv_bytes(rows), columns, date_order="mdy")

    touchpoint = Touchpoint.objects.get(subject="US style")
    assert timezone.localtime(touchpoint.occurred_at).date() == datetime.date(2025, 3, 4)


def test_bad_dates_are_reported_with_their_lines_while_good_rows_land(personas: Personas) -> None:
    rows = [
        ["Account", "Date", "Subject"],
        ["Northwind Traders", "2025-02-30", "Impossible day"],
        ["Northwind Traders", "2025-02-10", "Fine"],
        ["Nobody Inc", "2025-02-11", "Unknown account"],
        ["Northwind Traders", "next tuesday", "Not a date"],
    ]
    columns = {"Account": "account", "Date": "occurred_at", "Subject": "subject"}
    run = run_import(personas.admin, ImportTarget.TOUCHPOINTS, csv_bytes(rows), columns)

    assert list(Touchpoint.objects.values_list("subject", flat=True)) == ["Fine"]
    reported = {(row["line"], row["field"]) for row in problems(run)}
    assert reported == {("2", "Date"), ("4", "Account"), ("5", "Date")}
    assert run.counts["touchpoints"]["skipped"] == 3


def test_a_strict_import_with_one_bad_row_imports_nothing(personas: Personas) -> None:
    rows = [["Name", "Employees"], ["Good One", "10"], ["Bad One", "many"]]
    run = run_import(
        personas.admin,
        ImportTarget.ACCOUNTS,
        csv_bytes(rows),
        {"Name": "name", "Employees": "employees"},
        strict=True,
    )

    assert run.status == ImportStatus.REFUSED
    assert run.problem_count == 1
    assert not Account.objects.filter(name__in=["Good One", "Bad One"]).exists()


def test_a_dry_run_writes_nothing_but_counts(personas: Personas) -> None:
    rows = [["Name"], ["Dry One"], ["Dry Two"]]
    run = run_import(
        personas.admin, ImportTarget.ACCOUNTS, csv_bytes(rows), {"Name": "name"}, dry_run=True
    )

    assert run.status == ImportStatus.DONE
    assert run.counts["accounts"]["created"] == 2
    assert not Account.objects.filter(name__startswith="Dry").exists()


def test_stakeholders_with_reporting_lines_in_any_order_and_upserted_by_email(
    personas: Personas,
) -> None:
    rows = [
        ["Prénom", "Nom", "Compte", "Courriel", "Supérieur", "Rôles", "Attitude"],
        [
            "Jean",
            "Dupont",
            "Northwind Traders",
            "jean@nw.example",
            "marie@nw.example",
            "Champion, Utilisateur",
            "Supporter",
        ],
        [
            "Marie",
            "Curie",
            "Northwind Traders",
            "marie@nw.example",
            "",
            "decision_maker",
            "advocate",
        ],
        ["Paul", "Nobody", "Northwind Traders", "paul@nw.example", "ghost@nw.example", "", ""],
        ["Eve", "Stranger", "No Such Account", "eve@x.example", "", "", ""],
    ]
    columns = {
        "Prénom": "first_name",
        "Nom": "last_name",
        "Compte": "account",
        "Courriel": "email",
        "Supérieur": "reports_to",
        "Rôles": "decision_roles",
        "Attitude": "stance",
    }
    run = run_import(personas.admin, ImportTarget.STAKEHOLDERS, csv_bytes(rows), columns)

    jean = Stakeholder.objects.get(email="jean@nw.example")
    marie = Stakeholder.objects.get(email="marie@nw.example")
    # The manager came later in the file: the line was made once every row was in.
    assert jean.reports_to == marie
    assert jean.decision_roles == [DecisionRole.CHAMPION, DecisionRole.USER]
    assert jean.stance == Stance.SUPPORTER
    paul = Stakeholder.objects.get(email="paul@nw.example")
    assert paul.reports_to is None
    reported = {(row["line"], row["field"]) for row in problems(run)}
    assert reported == {("4", "Supérieur"), ("5", "Compte")}
    assert run.counts["stakeholders"] == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 1}
    assert jean.history.filter(history_type="+").exists()

    rows[1][3] = "JEAN@nw.example"
    rows[1][6] = "Neutral"
    again = run_import(personas.admin, ImportTarget.STAKEHOLDERS, csv_bytes(rows[:3]), columns)
    assert again.counts["stakeholders"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "skipped": 0,
    }
    assert Stakeholder.objects.filter(account=personas.account, last_name="Dupont").count() == 1
    assert Stakeholder.objects.get(pk=jean.pk).stance == Stance.NEUTRAL


def test_contracts_with_a_line_upserted_by_reference(personas: Personas) -> None:
    licence = revenue.product("Platform licence", list_price=Decimal("1000"))
    rows = [
        [
            "Account",
            "Reference",
            "Start",
            "End",
            "Product",
            "Quantity",
            "Unit price",
            "Tacit renewal",
        ],
        [
            "Northwind Traders",
            "NW-1",
            "01/01/2025",
            "31/12/2025",
            "Platform licence",
            "10",
            "",
            "oui",
        ],
        ["Northwind Traders", "NW-2", "01/01/2025", "31/12/2025", "", "", "", ""],
        ["Northwind Traders", "NW-3", "01/01/2025", "31/12/2024", "Platform licence", "1", "5", ""],
        [
            "Northwind Traders",
            "NW-4",
            "01/01/2025",
            "31/12/2025",
            "Platform licence",
            "1,5",
            "1 200,50",
            "",
        ],
    ]
    columns = {
        "Account": "account",
        "Reference": "reference",
        "Start": "start_date",
        "End": "end_date",
        "Product": "product",
        "Quantity": "quantity",
        "Unit price": "unit_price",
        "Tacit renewal": "auto_renew",
    }
    run = run_import(personas.admin, ImportTarget.CONTRACTS, csv_bytes(rows), columns)

    first = Contract.objects.get(reference="NW-1")
    assert first.auto_renew is True
    assert first.currency == "EUR"
    line = first.lines.get()
    assert line.product == licence
    assert line.unit_price == Decimal("1000")
    assert line.annual_value == Decimal("10000")
    assert line.annual_cents == 1_000_000
    assert line.account_id == personas.account.pk
    fourth = Contract.objects.get(reference="NW-4").lines.get()
    assert (fourth.quantity, fourth.unit_price) == (Decimal("1.5"), Decimal("1200.50"))
    reported = {row["line"]: row["field"] for row in problems(run)}
    # A new contract needs a product, as on the contract page; an end before the start is
    # refused by the contract's own rule, which concerns the row as a whole.
    assert reported == {"3": "Product", "4": ""}
    assert first.history.get().history_user == personas.admin

    rows[1][5] = "12"
    again = run_import(personas.admin, ImportTarget.CONTRACTS, csv_bytes(rows[:2]), columns)
    assert again.counts["contracts"] == {"created": 0, "updated": 1, "unchanged": 0, "skipped": 0}
    assert Contract.objects.filter(reference="NW-1").count() == 1
    assert Contract.objects.get(reference="NW-1").lines.get().quantity == Decimal("12")


def test_a_mapping_missing_a_required_field_is_refused_whole(personas: Personas) -> None:
    rows = [["Tier"], ["key"]]
    run = run_import(personas.admin, ImportTarget.ACCOUNTS, csv_bytes(rows), {"Tier": "tier"})

    assert run.status == ImportStatus.REFUSED
    assert "Name" in run.message


def test_an_account_of_duplicated_names_is_refused_for_the_row(personas: Personas) -> None:
    AccountFactory(name="Twin")
    AccountFactory(name="twin")
    run = run_import(
        personas.admin, ImportTarget.ACCOUNTS, csv_bytes([["Name"], ["Twin"]]), {"Name": "name"}
    )

    assert run.counts["accounts"]["skipped"] == 1
    assert [row["field"] for row in problems(run)] == ["Name"]
