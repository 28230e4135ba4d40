"""Export Rapport's data back as a Salesforce Data Export: one CSV file per object.

The files follow ``schema.py`` field for field, so that the importer reads them back and a
second export of the imported data is byte for byte the first one. Rows are streamed from the
database in chunks (no per-row query: references come from joins), so the memory used does not
grow with the book.

Every row is identified by the Salesforce Id it was imported with or, for a row born in
Rapport, by a synthetic Id that never changes: the object's key prefix, the primary key in
base 62 and Salesforce's case checksum. References use the same rule, so they stay consistent.
Each file is sorted by Id, so two exports of the same data are identical.
"""

from __future__ import annotations

import csv
import datetime
import heapq
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, BinaryIO

from django.db import connection, connections, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Collate
from django.utils import timezone

from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account, TeamMember
from rapport.communications.choices import TaskStatus
from rapport.communications.models import Task, Touchpoint, TouchpointStakeholder
from rapport.interchange.models import SalesforceRecord
from rapport.interchange.salesforce import schema
from rapport.interchange.salesforce.ids import checksum
from rapport.interchange.salesforce.schema import SalesforceObject
from rapport.revenue.choices import ContractStatus, OpportunityStatus
from rapport.revenue.models import (
    Contract,
    Opportunity,
    OpportunityContact,
    OpportunityLine,
    Product,
)
from rapport.stakeholders.models import AccountLink, Stakeholder
from rapport.users.models import User

# Rows fetched per round trip to the database: large enough to be fast, small enough to stay
# flat in memory whatever the size of the book.
CHUNK_SIZE = 2000

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SYNTHETIC_BODY_LENGTH = 12
# Touchpoints and Rapport tasks both become rows of Task.csv (prefix 00T): a touchpoint's
# synthetic Id starts its body with "1" so that it never equals a task's.
TOUCHPOINT_VARIANT = 1

# Every zip entry carries this time, so that two exports of the same data are identical.
ZIP_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)

LANGUAGE_TO_SALESFORCE = {"en": "en_US", "fr": "fr"}
# Salesforce's own contract statuses; Rapport_Status__c carries Rapport's exactly.
CONTRACT_STATUS_TO_SALESFORCE = {
    ContractStatus.ACTIVE: "Activated",
    ContractStatus.RENEWED: "Activated",
    ContractStatus.CHURNED: "Activated",
    ContractStatus.CANCELLED: "Draft",
}
TASK_STATUS_TO_SALESFORCE = {
    TaskStatus.OPEN: "Not Started",
    TaskStatus.DONE: "Completed",
    TaskStatus.CANCELLED: "Deferred",
}

Row = list[str]


# Builds one row's cells by field name from a named row of values.
Build = Callable[[Any], Mapping[str, Any]]


def synthetic_id(prefix: str, pk: int, *, variant: int = 0) -> str:
    """The 18-character Id of a row born in Rapport: key prefix, base-62 key and checksum.

    Zero-padded digits of an alphabet in byte order: these Ids sort as their keys do.
    """
    number = variant * len(BASE62) ** (SYNTHETIC_BODY_LENGTH - 1) + pk
    digits: list[str] = []
    while number:
        number, digit = divmod(number, len(BASE62))
        digits.append(BASE62[digit])
    body = "".join(reversed(digits)).rjust(SYNTHETIC_BODY_LENGTH, "0")
    if len(body) > SYNTHETIC_BODY_LENGTH or len(prefix) != 3:
        raise ValueError(f"No synthetic Id for key {pk} with prefix {prefix!r}.")
    short = prefix + body
    return short + checksum(short)


def record_id(salesforce_id: str | None, pk: int | None, prefix: str, *, variant: int = 0) -> str:
    """The Id a row is exported under (its own, else synthetic); empty for no row."""
    if salesforce_id:
        return salesforce_id
    if pk is None:
        return ""
    return synthetic_id(prefix, pk, variant=variant)


def cell(value: Any) -> str:
    """A value as Salesforce writes it in its exports."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        moment = value.astimezone(datetime.UTC)
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # 1200.50 → "1200.5", 1000.00 → "1000": no trailing noise, never an exponent.
        text = format(value.normalize(), "f")
        return "0" if text in {"-0", ""} else text
    return str(value)


# Reading ----------------------------------------------------------------------------------------


def _ordered_by_id(queryset: QuerySet[Any]) -> list[QuerySet[Any]]:
    """The rows with a Salesforce Id in byte order of it, then the others in key order.

    Both come out sorted by exported Id; merged, they give the whole file in Id order. The
    byte order ("C" collation) is the order Python compares the Ids in.
    """
    vendor = connections[queryset.db].vendor
    binary = Collate(F("salesforce_id"), "C") if vendor == "postgresql" else F("salesforce_id")
    return [
        queryset.filter(salesforce_id__isnull=False).order_by(binary),
        queryset.filter(salesforce_id__isnull=True).order_by("pk"),
    ]


def _stream(
    queryset: QuerySet[Any], fields: Iterable[str], build: Build
) -> Iterator[Mapping[str, Any]]:
    for values in queryset.values_list(*fields, named=True).iterator(chunk_size=CHUNK_SIZE):
        yield build(values)


def _merged(
    sobject: SalesforceObject,
    sources: Iterable[tuple[QuerySet[Any], tuple[str, ...], Build]],
) -> Iterator[Row]:
    """The rows of one file from several sources, in Id order, as cells in schema order."""
    streams = []
    for queryset, fields, build in sources:
        for ordered in _ordered_by_id(queryset):
            streams.append(_stream(ordered, fields, build))
    for row in heapq.merge(*streams, key=itemgetter("Id")):
        yield [cell(row.get(field)) for field in sobject.fields]


def _ref(prefix: str, pk: int | None, salesforce_id: str | None, *, variant: int = 0) -> str:
    return record_id(salesforce_id, pk, prefix, variant=variant)


def _users() -> Iterator[Row]:
    fields = ("salesforce_id", "pk", "first_name", "last_name", "email", "title", "is_active")

    def build(r: Any) -> dict[str, Any]:
        return {
            "Id": _ref(schema.USER.prefix, r.pk, r.salesforce_id),
            "FirstName": r.first_name,
            "LastName": r.last_name,
            "Email": r.email,
            "Title": r.title,
            "IsActive": r.is_active,
            "LanguageLocaleKey": LANGUAGE_TO_SALESFORCE.get(r.language, r.language),
        }

    return _merged(schema.USER, [(User.objects.all(), (*fields, "language"), build)])


def _accounts() -> Iterator[Row]:
    fields = (
        "salesforce_id",
        "pk",
        "name",
        "parent__salesforce_id",
        "parent_id",
        "industry",
        "country",
        "website",
        "employees",
        "description",
        "owner__salesforce_id",
        "owner_id",
        "legal_name",
        "domain",
        "tier",
        "segment",
        "lifecycle_stage",
    )

    def build(r: Any) -> dict[str, Any]:
        return {
            "Id": _ref(schema.ACCOUNT.prefix, r.pk, r.salesforce_id),
            "IsDeleted": False,
            "Name": r.name,
            "ParentId": _ref(schema.ACCOUNT.prefix, r.parent_id, r.parent__salesforce_id),
            "Industry": schema.INDUSTRY_TO_SALESFORCE.get(r.industry, ""),
            "BillingCountry": r.country,
            "Website": r.website,
            "NumberOfEmployees": r.employees,
            "Description": r.description,
            "OwnerId": _ref(schema.USER.prefix, r.owner_id, r.owner__salesforce_id),
            "Rapport_Legal_Name__c": r.legal_name,
            "Rapport_Domain__c": r.domain,
            "Rapport_Tier__c": r.tier,
            "Rapport_Segment__c": r.segment,
            "Rapport_Lifecycle_Stage__c": r.lifecycle_stage,
        }

    return _merged(schema.ACCOUNT, [(Account.objects.all(), fields, build)])


def _contacts() -> Iterator[Row]:
    fields = (
        "salesforce_id",
        "pk",
        "account__salesforce_id",
        "account_id",
        "first_name",
        "last_name",
        "title",
        "department",
        "email",
        "phone",
        "reports_to__salesforce_id",
        "reports_to_id",
        "reports_to__deleted_at",
        "notes",
    )

    def build(r: Any) -> dict[str, Any]:
        # A manager in the trash is not exported: the reporting line would point nowhere.
        manager = (
            _ref(schema.CONTACT.prefix, r.reports_to_id, r.reports_to__salesforce_id)
            if r.reports_to__deleted_at is None
            else ""
        )
        return {
            "Id": _ref(schema.CONTACT.prefix, r.pk, r.salesforce_id),
            "IsDeleted": False,
            "AccountId": _ref(schema.ACCOUNT.prefix, r.account_id, r.account__salesforce_id),
            "FirstName": r.first_name,
            "LastName": r.last_name,
            "Title": r.title,
            "Department": r.department,
            "Email": r.email,
            "Phone": r.phone,
            "ReportsToId": manager,
            "Description": r.notes,
        }

    return _merged(schema.CONTACT, [(Stakeholder.objects.all(), fields, build)])


def _account_contact_relations() -> Iterator[Row]:
    fields = (
        "salesforce_id",
        "pk",
        "account__salesforce_id",
        "account_id",
        "stakeholder__salesforce_id",
        "stakeholder_id",
        "role",
        "start_date",
        "end_date",
    )

    def build(r: Any) -> dict[str, Any]:
        return {
            "Id": _ref(schema.ACCOUNT_CONTACT_RELATION.prefix, r.pk, r.salesforce_id),
            "IsDeleted": False,
            "AccountId": _ref(schema.ACCOUNT.prefix, r.account_id, r.account__salesforce_id),
            "ContactId": _ref(
                schema.CONTACT.prefix, r.stakeholder_id, r.stakeholder__salesforce_id
            ),
            "Roles": r.role,
            "IsDirect": False,
            "StartDate": r.start_date,
            "EndDate": r.end_date,
        }

    # Only the ties to other accounts (IsDirect false): a contact's own account is its
    # AccountId, and the importer reads nothing more from a direct relation.
    links = AccountLink.objects.filter(stakeholder__deleted_at__isnull=True)
    return _merged(schema.ACCOUNT_CONTACT_RELATION, [(links, fields, build)])


def _account_team_members() -> Iterator[Row]:
    fields = (
        "salesforce_id",
        "pk",
        "account__salesforce_id",
        "account_id",
        "user__salesforce_id",
        "user_id",
        "role",
        "note",
    )

    def build(r: Any) -> dict[str, Any]:
        return {
            "Id": _ref(schema.ACCOUNT_TEAM_MEMBER.prefix, r.pk, r.salesforce_id),
            "IsDeleted": False,
            "AccountId": _ref(schema.ACCOUNT.prefix, r.account_id, r.account__salesforce_id),
            "UserId": _ref(schema.USER.prefix, r.user_id, r.user__salesforce_id),
            # A role of Salesforce's that Rapport has no name for came in as "other" with its
            # text in the note: it goes back out as that text.
            "TeamMemberRole": r.note
            if r.role == TeamRole.OTHER and r.note
            else schema.TEAM_ROLE_TO_SALESFORCE.get(r.role, r.role),
        }

    # Salesforce's account team has no dates: only the memberships not ended are exported.
    members = TeamMember.objects.filter(end_date__isnull=True)
    return _merged(schema.ACCOUNT_TEAM_MEMBER, [(members, fields, build)])


def _products() -> Iterator[Row]:
    fields = ("salesforce_id", "pk", "name", "code", "family__name", "is_active", "description")

    def build(r: Any) -> dict[str, Any]:
        return {
            "Id": _ref(schema.PRODUCT.prefix, r.pk, r.salesforce_id),
            "IsDeleted": False,
            "Name": r.name,
            "ProductCode": r.code,
            "Family": r.family__name,
            "IsActive": r.is_active,
            "Description": r.description,
        }

    return _merged(schema.PRODUCT, [(Product.objects.all(), fields, build)])


def _contracts() -> Iterator[Row]:
    fields = (
        "salesforce_id",
        "pk",
        "account__salesforce_id",
        "account_id",
        "reference",
        "status",
        "start_date",
        "end_date",
        "currency",
        "notes",
        "auto_renew",
        "notice_days",
    )

    def build(r: Any) -> dict[str, Any]:
        return {
            "Id": _ref(schema.CONTRACT.prefix, r.pk, r.salesforce_id),
            "IsDeleted": False,
            "AccountId": _ref(schema.ACCOUNT.prefix, r.account_id, r.account__salesforce_id),
            "ContractNumber": r.reference,
            "Status": CONTRACT_STATUS_TO_SALESFORCE.get(r.status, ""),
            "StartDate": r.start_date,
            "EndDate": r.end_date,
            "CurrencyIsoCode": r.currency,
            "Description": r.notes,
            "Rapport_Status__c": r.status,
            "Rapport_Auto_Renew__c": r.auto_renew,
            "Rapport_Notice_Days__c": r.notice_days,
        }

    return _merged(schema.CONTRACT, [(Contract.objects.all(), fields, build)])


def _opportunities() -> Iterator[Row]:
    fields = (
        "salesforce_id",
        "pk",
        "account__salesforce_id",
        "account_id",
        "name",
        "type",
        "stage__name",
        "amount",
        "currency",
        "close_date",
        "probability",
        "forecast_category",
        "status",
        "contract__salesforce_id",
        "contract_id",
        "owner__salesforce_id",
        "owner_id",
        "next_step",
        "description",
    )

    def build(r: Any) -> dict[str, Any]:
        return {
            "Id": _ref(schema.OPPORTUNITY.prefix, r.pk, r.salesforce_id),
            "IsDeleted": False,
            "AccountId": _ref(schema.ACCOUNT.prefix, r.account_id, r.account__salesforce_id),
            "Name": r.name,
            "Type": schema.OPPORTUNITY_TYPE_TO_SALESFORCE.get(r.type, r.type),
            "StageName": r.stage__name,
            "Amount": r.amount,
            "CurrencyIsoCode": r.currency,
            "CloseDate": r.close_date,
            "Probability": r.probability,
            "ForecastCategoryName": schema.FORECAST_CATEGORY_TO_SALESFORCE.get(
                r.forecast_category, ""
            ),
            "IsClosed": r.status != OpportunityStatus.OPEN,
            "IsWon": r.status == OpportunityStatus.WON,
            "ContractId": _ref(schema.CONTRACT.prefix, r.contract_id, r.contract__salesforce_id),
            "OwnerId": _ref(schema.USER.prefix, r.owner_id, r.owner__salesforce_id),
            "NextStep": r.next_step,
            "Description": r.description,
        }

    return _merged(schema.OPPORTUNITY, [(Opportunity.objects.all(), fields, build)])


def _opportunity_contact_roles() -> Iterator[Row]:
    fields = (
        "salesforce_id",
        "pk",
        "opportunity__salesforce_id",
        "opportunity_id",
        "stakeholder__salesforce_id",
        "stakeholder_id",
        "role",
        "is_primary",
    )

    def build(r: Any) -> dict[str, Any]:
        return {
            "Id": _ref(schema.OPPORTUNITY_CONTACT_ROLE.prefix, r.pk, r.salesforce_id),
            "IsDeleted": False,
            "OpportunityId": _ref(
                schema.OPPORTUNITY.prefix, r.opportunity_id, r.opportunity__salesforce_id
            ),
            "ContactId": _ref(
                schema.CONTACT.prefix, r.stakeholder_id, r.stakeholder__salesforce_id
            ),
            "Role": r.role,
            "IsPrimary": r.is_primary,
        }

    roles = OpportunityContact.objects.filter(stakeholder__deleted_at__isnull=True)
    return _merged(schema.OPPORTUNITY_CONTACT_ROLE, [(roles, fields, build)])


def _opportunity_line_items() -> Iterator[Row]:
    fields = (
        "salesforce_id",
        "pk",
        "opportunity__salesforce_id",
        "opportunity_id",
        "product__salesforce_id",
        "product_id",
        "quantity",
        "unit_price",
    )

    def build(r: Any) -> dict[str, Any]:
        return {
            "Id": _ref(schema.OPPORTUNITY_LINE_ITEM.prefix, r.pk, r.salesforce_id),
            "IsDeleted": False,
            "OpportunityId": _ref(
                schema.OPPORTUNITY.prefix, r.opportunity_id, r.opportunity__salesforce_id
            ),
            "Product2Id": _ref(schema.PRODUCT.prefix, r.product_id, r.product__salesforce_id),
            "Quantity": r.quantity,
            "UnitPrice": r.unit_price,
        }

    return _merged(schema.OPPORTUNITY_LINE_ITEM, [(OpportunityLine.objects.all(), fields, build)])


TOUCHPOINT_FIELDS = (
    "salesforce_id",
    "pk",
    "who_sf",
    "who_pk",
    "account__salesforce_id",
    "account_id",
    "subject",
    "occurred_at",
    "duration_minutes",
    "kind",
    "logged_by__salesforce_id",
    "logged_by_id",
    "notes",
    "sentiment",
)


def _touchpoints(*, events: bool) -> QuerySet[Touchpoint]:
    """Touchpoints of the Event kinds, or of the others, with their first client participant.

    Salesforce names one person per activity (WhoId): the first participant not in the trash,
    read by a subquery of the same statement.
    """
    first = TouchpointStakeholder.objects.filter(
        touchpoint=OuterRef("pk"), stakeholder__deleted_at__isnull=True
    ).order_by("pk")
    touchpoints = Touchpoint.objects.annotate(
        who_pk=Subquery(first.values("stakeholder_id")[:1]),
        who_sf=Subquery(first.values("stakeholder__salesforce_id")[:1]),
    )
    if events:
        return touchpoints.filter(kind__in=schema.EVENT_KINDS)
    return touchpoints.exclude(kind__in=schema.EVENT_KINDS)


def _activity(r: Any, prefix: str) -> dict[str, Any]:
    """The columns a touchpoint fills alike as a Task and as an Event."""
    return {
        "Id": _ref(prefix, r.pk, r.salesforce_id, variant=TOUCHPOINT_VARIANT),
        "IsDeleted": False,
        "WhoId": _ref(schema.CONTACT.prefix, r.who_pk, r.who_sf),
        "WhatId": _ref(schema.ACCOUNT.prefix, r.account_id, r.account__salesforce_id),
        "Subject": r.subject,
        "ActivityDate": timezone.localdate(r.occurred_at, timezone.get_default_timezone()),
        "OwnerId": _ref(schema.USER.prefix, r.logged_by_id, r.logged_by__salesforce_id),
        "Description": r.notes,
        "Rapport_Kind__c": r.kind,
        "Rapport_Sentiment__c": r.sentiment,
    }


def _tasks() -> Iterator[Row]:
    def touchpoint(r: Any) -> dict[str, Any]:
        subtype = schema.TASK_SUBTYPE_OF_KIND.get(r.kind, "Task")
        duration = r.duration_minutes
        return _activity(r, schema.TASK.prefix) | {
            "Status": "Completed",
            "IsClosed": True,
            "TaskSubtype": subtype,
            "Type": subtype if subtype != "Task" else "",
            "CallDurationInSeconds": duration * 60 if duration is not None else None,
            "Rapport_Occurred_At__c": r.occurred_at,
        }

    task_fields = (
        "salesforce_id",
        "pk",
        "account__salesforce_id",
        "account_id",
        "title",
        "due_on",
        "status",
        "assignee__salesforce_id",
        "assignee_id",
        "notes",
    )

    def task(r: Any) -> dict[str, Any]:
        return {
            "Id": _ref(schema.TASK.prefix, r.pk, r.salesforce_id),
            "IsDeleted": False,
            "WhatId": _ref(schema.ACCOUNT.prefix, r.account_id, r.account__salesforce_id),
            "Subject": r.title,
            "ActivityDate": r.due_on,
            "Status": TASK_STATUS_TO_SALESFORCE.get(r.status, ""),
            "IsClosed": r.status != TaskStatus.OPEN,
            "TaskSubtype": "Task",
            "OwnerId": _ref(schema.USER.prefix, r.assignee_id, r.assignee__salesforce_id),
            "Description": r.notes,
        }

    return _merged(
        schema.TASK,
        [
            (_touchpoints(events=False), TOUCHPOINT_FIELDS, touchpoint),
            (Task.objects.all(), task_fields, task),
        ],
    )


def _events() -> Iterator[Row]:
    def event(r: Any) -> dict[str, Any]:
        return _activity(r, schema.EVENT.prefix) | {
            "StartDateTime": r.occurred_at,
            "DurationInMinutes": r.duration_minutes,
            "Type": "Meeting",
        }

    return _merged(schema.EVENT, [(_touchpoints(events=True), TOUCHPOINT_FIELDS, event)])


def _kept(sobject: SalesforceObject) -> tuple[tuple[str, ...], Iterator[Row]]:
    """Rows kept whole (cases): every column any of them has, sorted after the Id."""
    records = SalesforceRecord.objects.filter(object_name=sobject.name)
    columns: set[str] = set()
    for data in records.values_list("data", flat=True).iterator(chunk_size=CHUNK_SIZE):
        columns.update(data)
    header = ("Id", *sorted(columns - {"Id"}))

    def rows() -> Iterator[Row]:
        ordered = _ordered_by_id(records)[0]
        for salesforce_id, data in ordered.values_list("salesforce_id", "data").iterator(
            chunk_size=CHUNK_SIZE
        ):
            yield [salesforce_id, *(cell(data.get(column)) for column in header[1:])]

    return header, rows()


WRITERS: dict[str, Callable[[], Iterator[Row]]] = {
    schema.USER.name: _users,
    schema.ACCOUNT.name: _accounts,
    schema.CONTACT.name: _contacts,
    schema.ACCOUNT_CONTACT_RELATION.name: _account_contact_relations,
    schema.ACCOUNT_TEAM_MEMBER.name: _account_team_members,
    schema.PRODUCT.name: _products,
    schema.CONTRACT.name: _contracts,
    schema.OPPORTUNITY.name: _opportunities,
    schema.OPPORTUNITY_CONTACT_ROLE.name: _opportunity_contact_roles,
    schema.OPPORTUNITY_LINE_ITEM.name: _opportunity_line_items,
    schema.TASK.name: _tasks,
    schema.EVENT.name: _events,
}


def _header_and_rows(sobject: SalesforceObject) -> tuple[tuple[str, ...], Iterator[Row]]:
    if sobject.name in WRITERS:
        return sobject.fields, WRITERS[sobject.name]()
    return _kept(sobject)


# Writing ----------------------------------------------------------------------------------------


def _write_csv(handle: IO[str], header: Iterable[str], rows: Iterable[Row]) -> int:
    writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def export_salesforce(
    *, destination: Path | BinaryIO, as_zip: bool | None = None
) -> dict[str, int]:
    """Write every object as a Salesforce Data Export and return the rows written per file.

    ``destination`` is a binary stream (a zip is written to it) or a path: a .zip file, or a
    folder (created if need be) that receives one CSV file per object. Stakeholders in the
    trash are left out, and so is every tie of theirs.
    """
    if as_zip is None:
        as_zip = not isinstance(destination, Path) or destination.suffix.lower() == ".zip"
    with _snapshot():
        if as_zip:
            return _write_zip(destination)
        assert isinstance(destination, Path)
        return _write_folder(destination)


@contextmanager
def _snapshot() -> Iterator[None]:
    """One transaction for the whole export, so that its files agree with one another.

    On PostgreSQL at "repeatable read", which sees the data as it was at the first query; on
    SQLite a read transaction is already a snapshot. Inside a caller's transaction, that one.
    """
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _write_folder(destination: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    destination.mkdir(parents=True, exist_ok=True)
    for sobject in schema.OBJECTS:
        header, rows = _header_and_rows(sobject)
        with (destination / sobject.file_name).open("w", encoding="utf-8", newline="") as handle:
            counts[sobject.name] = _write_csv(handle, header, rows)
    return counts


def _write_zip(destination: Path | BinaryIO) -> dict[str, int]:
    counts: dict[str, int] = {}
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for sobject in schema.OBJECTS:
            header, rows = _header_and_rows(sobject)
            entry = zipfile.ZipInfo(sobject.file_name, date_time=ZIP_ENTRY_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            with (
                archive.open(entry, "w", force_zip64=True) as raw,
                io.TextIOWrapper(raw, encoding="utf-8", newline="") as text,
            ):
                counts[sobject.name] = _write_csv(text, header, rows)
    return counts
