"""The Salesforce export: files, formats, Ids, order, and a fixed number of queries."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rapport.accounts.choices import TeamRole
from rapport.accounts.models import TeamMember
from rapport.communications.models import Task, Touchpoint
from rapport.core.tests.factories import AccountFactory, StakeholderFactory, UserFactory
from rapport.interchange.salesforce import exporter, schema
from rapport.interchange.salesforce.exporter import export_salesforce, synthetic_id
from rapport.interchange.salesforce.ids import checksum, normalize_id
from rapport.interchange.tests.book import (
    AWKWARD_NOTES,
    CASE_ID,
    OTHER_CASE_ID,
    Book,
    build_book,
)

pytestmark = pytest.mark.django_db


def export_files() -> dict[str, bytes]:
    buffer = io.BytesIO()
    export_salesforce(destination=buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rows(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    text = files[f"{name}.csv"].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def by_id(files: dict[str, bytes], name: str) -> dict[str, dict[str, str]]:
    return {row["Id"]: row for row in rows(files, name)}


@pytest.fixture
def book() -> Book:
    return build_book()


# Ids -----------------------------------------------------------------------------------------


def test_a_synthetic_id_is_prefix_base62_key_and_the_case_checksum() -> None:
    assert synthetic_id("001", 1) == "001000000000001AAA"
    # 62 is "10" in base 62; "Z" (35) and "z" (61) are digits too.
    assert synthetic_id("003", 62)[:15] == "003000000000010"
    assert synthetic_id("003", 35 * 62 + 61)[:15] == "0030000000000Zz"
    # Upper-case letters at positions 13 (the "Z") set bit 3 of the third group: "I".
    assert synthetic_id("003", 35 * 62 + 61)[15:] == "AAI"
    assert synthetic_id("00T", 5) != synthetic_id("00T", 5, variant=exporter.TOUCHPOINT_VARIANT)


def test_synthetic_ids_sort_as_their_keys_do() -> None:
    keys = [1, 9, 10, 35, 36, 61, 62, 3843, 3844, 10**9, 2**63 - 1]
    ids = [synthetic_id("006", key) for key in keys]
    assert ids == sorted(ids)


def test_every_exported_id_is_a_valid_18_character_id(book: Book) -> None:
    files = export_files()
    references = {
        "Account": ("Id", "ParentId", "OwnerId"),
        "Contact": ("Id", "AccountId", "ReportsToId"),
        "Task": ("Id", "WhoId", "WhatId", "OwnerId"),
        "Event": ("Id", "WhoId", "WhatId", "OwnerId"),
        "OpportunityLineItem": ("Id", "OpportunityId", "Product2Id"),
    }
    seen = 0
    for name, columns in references.items():
        for row in rows(files, name):
            for column in columns:
                if row[column]:
                    assert len(row[column]) == 18
                    assert row[column][15:] == checksum(row[column][:15])
                    assert normalize_id(row[column][:15]) == row[column]
                    seen += 1
    assert seen > 40


def test_a_record_keeps_the_salesforce_id_it_was_imported_with(book: Book) -> None:
    kept = normalize_id("001Dn000001AbCdEfG"[:15])
    book.group.salesforce_id = kept
    book.group.save()

    files = export_files()

    assert kept in by_id(files, "Account")
    assert by_id(files, "Account")[synthetic_id("001", book.subsidiary.pk)]["ParentId"] == kept
    assert {row["AccountId"] for row in rows(files, "Contract")} >= {kept}


def test_references_point_to_rows_of_the_export(book: Book) -> None:
    files = export_files()
    accounts = set(by_id(files, "Account"))
    contacts = set(by_id(files, "Contact"))
    users = set(by_id(files, "User"))
    opportunities = set(by_id(files, "Opportunity"))
    products = set(by_id(files, "Product2"))

    assert {row["AccountId"] for row in rows(files, "Contact")} <= accounts
    assert {row["ReportsToId"] for row in rows(files, "Contact")} - {""} <= contacts
    assert {row["ContactId"] for row in rows(files, "AccountContactRelation")} <= contacts
    assert {row["ContactId"] for row in rows(files, "OpportunityContactRole")} <= contacts
    assert {row["OpportunityId"] for row in rows(files, "OpportunityLineItem")} <= opportunities
    assert {row["Product2Id"] for row in rows(files, "OpportunityLineItem")} <= products
    assert {row["UserId"] for row in rows(files, "AccountTeamMember")} <= users
    for name in ("Task", "Event"):
        assert {row["WhatId"] for row in rows(files, name)} - {""} <= accounts
        assert {row["WhoId"] for row in rows(files, name)} - {""} <= contacts
        assert {row["OwnerId"] for row in rows(files, name)} <= users


def test_touchpoints_and_tasks_never_share_an_id(book: Book) -> None:
    touchpoint = Touchpoint.objects.exclude(kind__in=schema.EVENT_KINDS).order_by("pk").first()
    assert touchpoint is not None
    # A task with the same key as a touchpoint: both are rows of Task.csv.
    task = Task.objects.filter(pk=touchpoint.pk).first() or Task.objects.create(
        pk=touchpoint.pk, title="Same key", assignee=book.manager
    )

    ids = [row["Id"] for row in rows(export_files(), "Task")]

    assert len(ids) == len(set(ids)) == Task.objects.count() + 5
    assert synthetic_id("00T", task.pk) in ids
    assert synthetic_id("00T", task.pk, variant=exporter.TOUCHPOINT_VARIANT) in ids


# Files and formats ---------------------------------------------------------------------------


def test_every_object_has_its_file_with_the_schema_header_in_order(book: Book) -> None:
    files = export_files()

    assert list(files) == [sobject.file_name for sobject in schema.OBJECTS]
    for sobject in schema.OBJECTS:
        header = files[sobject.file_name].split(b"\r\n", 1)[0].decode()
        if sobject is schema.CASE:
            assert header == "Id,Description,Origin,Priority,Status,Subject"
        else:
            assert header == ",".join(sobject.fields)


def test_an_empty_book_gives_header_only_files() -> None:
    files = export_files()

    assert files["Account.csv"] == (",".join(schema.ACCOUNT.fields) + "\r\n").encode()
    assert files["Case.csv"] == b"Id\r\n"


def test_rows_end_with_crlf_and_awkward_text_is_quoted(book: Book) -> None:
    raw = export_files()["Contact.csv"]
    cfo_id = synthetic_id("003", book.cfo.pk)

    assert raw.endswith(b"\r\n")
    quoted = '"' + AWKWARD_NOTES.replace('"', '""') + '"'
    assert quoted.encode() in raw
    assert b'"CFO, Finance & Legal"' in raw
    assert not raw.startswith(b"\xef\xbb\xbf")
    row = by_id(export_files(), "Contact")[cfo_id]
    assert row["Description"] == AWKWARD_NOTES
    assert row["FirstName"] == "François"


def test_values_are_written_as_salesforce_writes_them(book: Book) -> None:
    files = export_files()
    group = by_id(files, "Account")[synthetic_id("001", book.group.pk)]
    contract = by_id(files, "Contract")[synthetic_id("800", book.contract.pk)]
    upsell = by_id(files, "Opportunity")[synthetic_id("006", book.upsell.pk)]
    lines = [row for row in rows(files, "OpportunityLineItem") if row["OpportunityId"]]
    call = next(row for row in rows(files, "Task") if row["Rapport_Kind__c"] == "call")
    meeting = next(row for row in rows(files, "Event") if row["Rapport_Kind__c"] == "meeting")

    assert group["IsDeleted"] == "false"
    assert group["Industry"] == "Energy" and group["BillingCountry"] == "FR"
    assert group["NumberOfEmployees"] == "12000"
    assert group["Rapport_Tier__c"] == "strategic"
    assert contract["StartDate"] == book.contract.start_date.isoformat()
    assert contract["Rapport_Auto_Renew__c"] == "true"
    assert contract["Rapport_Notice_Days__c"] == "90"
    assert contract["Status"] == "Activated" and contract["Rapport_Status__c"] == "active"
    assert upsell["Type"] == "Existing Customer - Upgrade"
    assert upsell["Amount"] == "2799.7"
    assert upsell["IsClosed"] == "false"
    assert {(row["Quantity"], row["UnitPrice"]) for row in lines} == {
        ("2.5", "1000"),
        ("3", "99.9"),
    }
    occurred = book.touchpoints[0].occurred_at
    assert call["Rapport_Occurred_At__c"] == occurred.strftime("%Y-%m-%dT%H:%M:%S.123Z")
    assert call["TaskSubtype"] == "Call" and call["Status"] == "Completed"
    assert meeting["StartDateTime"].endswith(".123Z")
    assert meeting["DurationInMinutes"] == "15"


def test_activities_go_to_tasks_or_events_by_kind(book: Book) -> None:
    files = export_files()
    tasks = rows(files, "Task")
    events = rows(files, "Event")

    assert {row["Rapport_Kind__c"] for row in events} == set(schema.EVENT_KINDS)
    assert {row["Rapport_Kind__c"] for row in tasks} == {"", "call", "email", "chat", "note"}
    follow_ups = [row for row in tasks if not row["Rapport_Kind__c"]]
    assert {row["Subject"]: row["Status"] for row in follow_ups} == {
        "Send the deck, v2": "Not Started",
        "Call back": "Completed",
        "No account": "Not Started",
        "Dropped idea": "Deferred",
    }
    assert {row["TaskSubtype"] for row in follow_ups} == {"Task"}
    assert {row["IsClosed"] for row in follow_ups if row["Subject"] == "Call back"} == {"true"}
    chat = next(row for row in tasks if row["Rapport_Kind__c"] == "chat")
    assert chat["TaskSubtype"] == "Task" and chat["Type"] == ""


def test_people_in_the_trash_and_their_ties_are_left_out(book: Book) -> None:
    files = export_files()
    trashed = synthetic_id("003", book.trashed.pk)
    engineer = by_id(files, "Contact")[synthetic_id("003", book.engineer.pk)]

    assert trashed not in by_id(files, "Contact")
    assert engineer["ReportsToId"] == ""
    assert trashed not in {row["ContactId"] for row in rows(files, "AccountContactRelation")}
    assert trashed not in {row["ContactId"] for row in rows(files, "OpportunityContactRole")}
    assert by_id(files, "Contact")[synthetic_id("003", book.cfo.pk)]["ReportsToId"] == (
        synthetic_id("003", book.ceo.pk)
    )


def test_only_team_memberships_not_ended_are_exported_and_other_roles_keep_their_text(
    book: Book,
) -> None:
    TeamMember.objects.create(
        account=book.group, user=book.admin, role=TeamRole.OTHER, note="Partner Manager"
    )

    team = rows(export_files(), "AccountTeamMember")

    assert len(team) == TeamMember.objects.filter(end_date__isnull=True).count() == 5
    assert "Partner Manager" in {row["TeamMemberRole"] for row in team}
    assert "Marketing" not in {row["TeamMemberRole"] for row in team}


def test_kept_cases_are_written_with_every_column_they_came_with(book: Book) -> None:
    cases = by_id(export_files(), "Case")

    assert list(cases) == [CASE_ID, OTHER_CASE_ID]
    assert cases[CASE_ID]["Description"] == "Steps:\n1. open\n2. « fail »"
    assert cases[CASE_ID]["Origin"] == ""
    assert cases[OTHER_CASE_ID]["Origin"] == "Email"


# Order, stability, streaming ---------------------------------------------------------------


def test_rows_are_sorted_by_id_mixing_kept_and_synthetic_ids(book: Book) -> None:
    # Ids with lower-case letters sort after upper-case ones in byte order, not in a
    # linguistic collation: the file order must be the byte order on every engine.
    book.ceo.salesforce_id = normalize_id("003aa0000000001")
    book.ceo.save()
    book.engineer.salesforce_id = normalize_id("003ZZ0000000001")
    book.engineer.save()

    ids = [row["Id"] for row in rows(export_files(), "Contact")]

    assert ids == sorted(ids)
    assert ids[-2:] == [book.engineer.salesforce_id, book.ceo.salesforce_id]


def test_two_exports_of_the_same_data_are_byte_identical(book: Book) -> None:
    first, second = io.BytesIO(), io.BytesIO()
    export_salesforce(destination=first)
    export_salesforce(destination=second)

    assert first.getvalue() == second.getvalue()


def test_a_folder_export_holds_the_same_files(book: Book, tmp_path: Path) -> None:
    counts = export_salesforce(destination=tmp_path / "out")

    files = export_files()
    for name, content in files.items():
        assert (tmp_path / "out" / name).read_bytes() == content
    assert counts["Contact"] == 4 and counts["Event"] == 3 and counts["Case"] == 2


def test_the_export_runs_a_fixed_number_of_queries_whatever_the_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Tiny chunks, so that the larger book is read in several of them.
    monkeypatch.setattr(exporter, "CHUNK_SIZE", 2)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export_files()
        return len(captured)

    owner = UserFactory()
    account = AccountFactory(owner=owner)
    StakeholderFactory(account=account)
    small = queries()
    for _ in range(5):
        parent = AccountFactory(owner=owner, parent=account)
        StakeholderFactory(account=parent)
        UserFactory()

    assert queries() == small
