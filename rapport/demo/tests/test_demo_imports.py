"""The demo shows the imports: a finished Salesforce dry run with a report, a saved mapping."""

from __future__ import annotations

import csv
import datetime
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from rapport.accounts.models import Account
from rapport.communications.models import Task, Touchpoint
from rapport.demo import imports
from rapport.demo.salesforce import ExportShape, salesforce_id, write_salesforce_export
from rapport.interchange.choices import ImportKind, ImportStatus, ImportTarget
from rapport.interchange.models import ColumnMapping, ImportRun
from rapport.interchange.salesforce.ids import checksum
from rapport.interchange.spreadsheet.mapping import suggest
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User


def _business_rows() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "accounts": Account.objects.count(),
        "stakeholders": Stakeholder.all_objects.count(),
        "touchpoints": Touchpoint.objects.count(),
        "tasks": Task.objects.count(),
        "account history": Account.history.count(),
        "stakeholder history": Stakeholder.history.count(),
        "salesforce ids": Account.objects.exclude(salesforce_id=None).count()
        + Stakeholder.all_objects.exclude(salesforce_id=None).count(),
    }


@pytest.mark.django_db(transaction=True)
def test_demo_shows_a_dry_run_and_a_saved_mapping_once() -> None:
    call_command("demo", stdout=StringIO())
    runs = ImportRun.objects.filter(kind=ImportKind.SALESFORCE)
    assert runs.count() == 1
    run = runs.get()
    assert run.dry_run
    assert run.status == ImportStatus.DONE, run.message
    assert run.file_name == imports.DEMO_EXPORT_FILE
    assert run.created_by is not None and run.created_by.role == "administrator"
    # The preview has content: every file's rows counted, and the deliberate faults reported.
    assert run.counts["Account"]["created"] >= imports.DEMO_EXPORT_SHAPE.accounts
    assert run.counts["Contact"]["created"] >= imports.DEMO_EXPORT_SHAPE.contacts
    with run.report_path.open(encoding="utf-8-sig", newline="") as handle:
        problems = list(csv.reader(handle))[1:]
    assert run.problem_count == len(problems) >= 4
    fields = {(row[0], row[2]) for row in problems}
    assert ("Account.csv", "ParentId") in fields
    assert ("Contact.csv", "ReportsToId") in fields
    assert ("Task.csv", "WhatId") in fields
    assert ["Task.csv", "ActivityDate"] in [
        [row[0], row[2]] for row in problems if "2024-02-31" in row[3]
    ]
    mapping = ColumnMapping.objects.get()
    assert mapping.target == ImportTarget.STAKEHOLDERS
    columns = mapping.mapping["columns"]
    assert columns["Last name"] == "last_name"
    assert columns["Comments"] == "notes"
    # The same headers are offered the saved mapping next time.
    offered, _order, saved = suggest(
        target=ImportTarget.STAKEHOLDERS, headers=imports.STAKEHOLDER_SHEET_HEADERS
    )
    assert saved and offered == columns

    # The dry run leaves the demo's business data as it was.
    run.delete()
    before = _business_rows()
    assert before["salesforce ids"] == 0
    assert imports.load_imports()
    assert ImportRun.objects.get().status == ImportStatus.DONE
    assert _business_rows() == before

    out = StringIO()
    call_command("demo", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert ImportRun.objects.count() == 1
    assert ColumnMapping.objects.count() == 1
    assert _business_rows() == before


def test_ids_carry_salesforce_checksum() -> None:
    # Salesforce's own example: the 15-character Id and its 18-character form.
    assert checksum("001A0000006Vm9r") == "IAC"
    full = salesforce_id("003", 123_456)
    assert len(full) == 18 and full.startswith("003")
    assert full[15:] == checksum(full[:15])


def test_export_is_shaped_as_announced(tmp_path: Path) -> None:
    shape = ExportShape(accounts=60, contacts=610, tasks=500, users=7)
    counts = write_salesforce_export(
        tmp_path / "export.zip", shape=shape, today=datetime.date(2026, 11, 27)
    )
    assert (counts.users, counts.accounts, counts.contacts, counts.tasks) == (7, 60, 610, 500)
    with zipfile.ZipFile(tmp_path / "export.zip") as archive:
        tables = {
            name: list(csv.DictReader(StringIO(archive.read(name).decode("utf-8-sig"))))
            for name in archive.namelist()
        }
    assert sorted(tables) == ["Account.csv", "Contact.csv", "Task.csv", "User.csv"]
    accounts = tables["Account.csv"]
    full = {row["Id"][:15]: row["Id"] for row in accounts}
    parents = {row["Id"]: full[row["ParentId"][:15]] for row in accounts if row["ParentId"]}
    assert len(parents) == 6  # one in ten, in chains
    depth = max(_depth(account, parents) for account in parents)
    assert depth == 3
    people = tables["Contact.csv"]
    person_account = {row["Id"]: row["AccountId"][:15] for row in people}
    by_short = {row["Id"][:15]: row["Id"] for row in people}
    managers = {
        row["Id"]: by_short[row["ReportsToId"][:15]] for row in people if row["ReportsToId"]
    }
    assert 0.8 * len(people) < len(managers) < len(people)
    assert all(person_account[who] == person_account[boss] for who, boss in managers.items())
    assert max(_depth(person, managers) for person in managers) < 10  # no cycle
    assert any(len(row["ReportsToId"]) == 15 for row in people)
    assert any(char in "".join(row["LastName"] for row in people) for char in "üéñ")
    tasks = tables["Task.csv"]
    subtypes = {row["TaskSubtype"] for row in tasks}
    assert subtypes == {"Call", "Email", "Task"}
    assert all(
        person_account[by_short[row["WhoId"][:15]]] == row["WhatId"][:15]
        for row in tasks
        if row["WhoId"]
    )


def _depth(start: str, parent_of: dict[str, str]) -> int:
    depth, current = 0, start
    while current in parent_of:
        current = parent_of[current]
        depth += 1
        assert depth < 100
    return depth
