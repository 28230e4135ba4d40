"""Tasks and events: exchanges already held become touchpoints, to-dos become tasks; cases are
kept whole until Rapport has an object for them."""

from __future__ import annotations

import math
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from rapport.accounts.models import Account
from rapport.communications.choices import (
    EXCHANGE_KINDS,
    Sentiment,
    TaskStatus,
    TouchpointKind,
    TouchpointSource,
)
from rapport.communications.models import (
    MAX_DURATION_MINUTES,
    Task,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.interchange.models import SalesforceRecord
from rapport.interchange.salesforce import schema
from rapport.interchange.salesforce.base import (
    ImportContext,
    Mapper,
    Record,
    among,
    bulk_write,
    new_row,
    resolve,
)
from rapport.interchange.salesforce.ids import object_of
from rapport.interchange.salesforce.reader import Table
from rapport.interchange.salesforce.values import (
    BadValue,
    noon,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_int,
    read_cell,
)
from rapport.revenue.models import Contract, Opportunity
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User

# The choices' ``values`` are rebuilt on each access; read once for the rows of an export.
_SENTIMENTS = frozenset(Sentiment.values)
_KINDS = frozenset(TouchpointKind.values)


class Links:
    """The Ids an activity names (WhatId, WhoId, OwnerId) resolved for a batch, in a few queries."""

    def __init__(self, mapper: Mapper, records: list[Record]) -> None:
        self.mapper = mapper
        what: dict[str, list[str]] = {}
        for record in records:
            id18 = mapper.reference(record, "WhatId")
            if id18:
                what.setdefault(object_of(id18) or "", []).append(id18)
        self.accounts: dict[str, int] = resolve(Account, what.get("Account", []))
        for model, name in ((Opportunity, "Opportunity"), (Contract, "Contract")):
            self.accounts |= {
                sf: row[1] for sf, row in resolve(model, what.get(name, []), "account_id").items()
            }
        self.people: dict[str, tuple[int, int]] = resolve(
            Stakeholder,
            [id18 for r in records if (id18 := mapper.reference(r, "WhoId"))],
            "account_id",
        )
        self.users: dict[str, int] = resolve(
            User, [id18 for r in records if (id18 := mapper.reference(r, "OwnerId"))]
        )

    def account(self, record: Record) -> int | None:
        what = self.mapper.reference(record, "WhatId")
        if what and what in self.accounts:
            return self.accounts[what]
        if what and object_of(what) in ("Account", "Opportunity", "Contract"):
            self.mapper.missing(record, "WhatId", what)
        person = self.person(record)
        return person[1] if person else None

    def person(self, record: Record) -> tuple[int, int] | None:
        who = self.mapper.reference(record, "WhoId")
        if who and who not in self.people:
            self.mapper.missing(record, "WhoId", who)
            return None
        return self.people.get(who) if who else None

    def owner(self, record: Record) -> int | None:
        owner = self.mapper.reference(record, "OwnerId")
        if owner and owner not in self.users:
            self.mapper.missing(record, "OwnerId", owner)
            return None
        return self.users.get(owner) if owner else None


def _sentiment(mapper: Mapper, record: Record) -> str:
    value = record.row.get("Rapport_Sentiment__c", "").strip().lower()
    if value and value not in _SENTIMENTS:
        mapper.problem(
            record,
            "Rapport_Sentiment__c",
            _("Unknown sentiment “%(value)s”; left empty.") % {"value": value[:30]},
        )
        return ""
    return value


class TouchpointMapper(Mapper):
    """Exchanges: a Task that was a call, an e-mail or a meeting, and every Event."""

    model = Touchpoint

    def __init__(self, ctx: ImportContext, table: Table, sobject: schema.SalesforceObject) -> None:
        self.sobject = sobject  # type: ignore[misc]
        super().__init__(ctx, table)

    def prepare(self, records: list[Record]) -> None:
        self.links = Links(self, records)
        self.wanted: dict[str, tuple[int | None, int | None]] = {}

    def kind(self, record: Record) -> str:
        row = record.row
        kind = row.get("Rapport_Kind__c", "").strip()
        if kind in _KINDS:
            return kind
        if self.name == "Event":
            return TouchpointKind.MEETING
        return schema.TOUCHPOINT_KIND_FROM_TASK.get(
            row.get("TaskSubtype", "").strip(),
            schema.TOUCHPOINT_KIND_FROM_TASK.get(row.get("Type", "").strip(), TouchpointKind.NOTE),
        )

    def values(self, record: Record) -> dict[str, Any] | None:
        row = record.row
        kind = self.kind(record)
        try:
            when = "Rapport_Occurred_At__c" if self.name == "Task" else "StartDateTime"
            occurred_at = read_cell(row, when, parse_datetime)
            if occurred_at is None:
                day = read_cell(row, "ActivityDate", parse_date)
                occurred_at = noon(day) if day is not None else None
            if self.name == "Task":
                seconds = read_cell(row, "CallDurationInSeconds", parse_int)
                duration = math.ceil(seconds / 60) if seconds is not None else None
            else:
                duration = read_cell(row, "DurationInMinutes", parse_int)
        except BadValue as error:
            self.problem(record, error.column, error.message)
            return None
        if occurred_at is None:
            self.problem(record, "ActivityDate", _("An exchange needs a date; skipped."))
            return None
        if duration is not None and not 0 <= duration <= MAX_DURATION_MINUTES:
            self.problem(
                record,
                "DurationInMinutes",
                _("The duration is not a plausible number of minutes; skipped."),
            )
            return None
        account_id = self.links.account(record)
        if account_id is None:
            self.problem(
                record, "WhatId", _("A touchpoint needs an account (WhatId or WhoId's); skipped.")
            )
            return None
        person = self.links.person(record)
        owner_id = self.links.owner(record)
        self.wanted[record.id] = (person[0] if person else None, owner_id)
        subject = row.get("Subject", "").strip() or str(TouchpointKind(kind).label)
        return {
            "account_id": account_id,
            "kind": kind,
            "occurred_at": occurred_at,
            "duration_minutes": duration,
            "subject": subject,
            "notes": row.get("Description", ""),
            "sentiment": _sentiment(self, record),
            "logged_by_id": owner_id,
        }

    def build(self, record: Record, values: dict[str, Any]) -> Any:
        return new_row(
            Touchpoint,
            {"salesforce_id": record.id, "source": TouchpointSource.SALESFORCE, **values},
        )

    def changes(self, row: Any, values: dict[str, Any]) -> list[str]:
        changed = super().changes(row, values)
        if "account_id" in changed:
            # The account it leaves must have its last contact recomputed too.
            self.ctx.contact_accounts.add(row.account_id)
        return changed

    def after(self, records: list[Record], created: list[Any], updated: list[Any]) -> None:
        """Make the participant links match WhoId and OwnerId, with their copied time."""
        rows = {row.salesforce_id: row for row in (*created, *updated)}
        missing = [record.id for record in records if record.id not in rows]
        if missing:
            rows |= {
                row.salesforce_id: row
                for row in among(Touchpoint.objects.all(), "salesforce_id", missing)
            }
        by_pk = {row.pk: row for row in rows.values()}
        # Touchpoints this run created have no links yet: only older ones' are read.
        older = sorted(pk for pk in by_pk if pk <= self.created_after)
        people = (
            {
                (link.touchpoint_id, link.stakeholder_id): link
                for link in TouchpointStakeholder.objects.filter(touchpoint_id__in=older)
            }
            if older
            else {}
        )
        ours = (
            {
                (link.touchpoint_id, link.user_id): link
                for link in TouchpointUser.objects.filter(touchpoint_id__in=older)
            }
            if older
            else {}
        )
        new_people, new_ours, moved_people, moved_ours = [], [], [], []
        gone_people = dict(people)
        gone_ours = dict(ours)
        for sf_id, (person_id, owner_id) in self.wanted.items():
            row = rows.get(sf_id)
            if row is None:
                continue
            exchange = row.kind in EXCHANGE_KINDS
            self.ctx.contact_accounts.add(row.account_id)
            if person_id is not None:
                self.ctx.contact_people.add(person_id)
                link = gone_people.pop((row.pk, person_id), None)
                if link is None:
                    new_people.append(
                        new_row(
                            TouchpointStakeholder,
                            {
                                "touchpoint_id": row.pk,
                                "stakeholder_id": person_id,
                                "occurred_at": row.occurred_at,
                                "is_exchange": exchange,
                            },
                        )
                    )
                elif (link.occurred_at, link.is_exchange) != (row.occurred_at, exchange):
                    link.occurred_at, link.is_exchange = row.occurred_at, exchange
                    moved_people.append(link)
            if owner_id is not None:
                user_link = gone_ours.pop((row.pk, owner_id), None)
                if user_link is None:
                    new_ours.append(
                        new_row(
                            TouchpointUser,
                            {
                                "touchpoint_id": row.pk,
                                "user_id": owner_id,
                                "occurred_at": row.occurred_at,
                            },
                        )
                    )
                elif user_link.occurred_at != row.occurred_at:
                    user_link.occurred_at = row.occurred_at
                    moved_ours.append(user_link)
            if person_id is not None and owner_id is not None:
                self.ctx.contact_pairs.add((owner_id, person_id))
        for model, gone in ((TouchpointStakeholder, gone_people), (TouchpointUser, gone_ours)):
            if gone:
                deleted = list(gone.values())
                _history_deleted(model, deleted, self.ctx)
                # The history rows are written above, in bulk and named after the import: a
                # plain delete() would add a second, unnamed one per link through its signal.
                _delete_rows(model, [link.pk for link in deleted])
                self.ctx.contact_people.update(
                    getattr(link, "stakeholder_id", 0) for link in deleted
                )
        # A pair that lost a shared exchange is scored again (and dropped if none is left).
        left = {key[0] for key in (*gone_people, *gone_ours)}
        people_before: dict[int, list[int]] = {}
        for touchpoint_id, stakeholder_id in people:
            if touchpoint_id in left:
                people_before.setdefault(touchpoint_id, []).append(stakeholder_id)
        for touchpoint_id, user_id in ours:
            for stakeholder_id in people_before.get(touchpoint_id, []):
                self.ctx.contact_pairs.add((user_id, stakeholder_id))
        # A touchpoint whose only change is its participants is updated, not unchanged.
        changed_links: list[Any] = [*new_people, *new_ours, *moved_people, *moved_ours]
        left |= {changed.touchpoint_id for changed in changed_links}
        for touchpoint_id in left:
            self.moved(by_pk[touchpoint_id])
        bulk_write(
            TouchpointStakeholder,
            ctx=self.ctx,
            created=new_people,
            updated=moved_people,
            fields=["occurred_at", "is_exchange"],
        )
        bulk_write(
            TouchpointUser,
            ctx=self.ctx,
            created=new_ours,
            updated=moved_ours,
            fields=["occurred_at"],
        )
        self.ctx.contact_people.discard(0)


def _history_deleted(model: type[Any], rows: list[Any], ctx: ImportContext) -> None:
    history = model.history.model
    fields = [field.attname for field in model.history.model.tracked_fields]
    history.objects.bulk_create(
        [
            history(
                history_date=ctx.now,
                history_user=ctx.acting_user,
                history_change_reason="Salesforce import",
                history_type="-",
                **{name: getattr(row, name) for name in fields},
            )
            for row in rows
        ]
    )


class FollowUpMapper(Mapper):
    """Tasks that are to-dos: a follow-up for one of our people."""

    model = Task
    sobject = schema.TASK

    def __init__(self, ctx: ImportContext, table: Table) -> None:
        super().__init__(ctx, table)
        fallback = ctx.acting_user
        if fallback is None:
            fallback = (
                User.objects.filter(
                    Q(is_superuser=True) | Q(role=Role.ADMINISTRATOR), is_active=True
                )
                .order_by("pk")
                .first()
            )
        self.fallback = fallback

    def prepare(self, records: list[Record]) -> None:
        self.links = Links(self, records)

    def values(self, record: Record) -> dict[str, Any] | None:
        row = record.row
        try:
            due = read_cell(row, "ActivityDate", parse_date)
            closed = (
                bool(read_cell(row, "IsClosed", parse_bool))
                or row.get("Status", "").strip().lower() == "completed"
            )
        except BadValue as error:
            self.problem(record, error.column, error.message)
            return None
        assignee = self.links.owner(record)
        if assignee is None:
            if self.fallback is None:
                self.problem(record, "OwnerId", _("Nobody to assign the task to; skipped."))
                return None
            self.problem(
                record,
                "OwnerId",
                _("No owner in the export: assigned to %(user)s.") % {"user": self.fallback},
            )
            assignee = self.fallback.pk
        account = self.mapper_account(record)
        return {
            "title": row.get("Subject", "").strip() or _("Follow-up"),
            "account_id": account,
            "assignee_id": assignee,
            "due_on": due,
            "status": _task_status(closed, row.get("Status", "")),
            "notes": row.get("Description", ""),
        }

    def mapper_account(self, record: Record) -> int | None:
        return self.links.account(record)

    def fill(self, row: Any) -> None:
        if row.status == TaskStatus.OPEN:
            row.completed_at = row.completed_by_id = None
        elif row.completed_at is None:
            row.completed_at = noon(row.due_on) if row.due_on else self.ctx.now
            row.completed_by_id = row.assignee_id

    def derived_fields(self, changed: set[str]) -> set[str]:
        return {"completed_at", "completed_by_id"} if "status" in changed else set()

    def build(self, record: Record, values: dict[str, Any]) -> Any:
        user = self.ctx.acting_user
        return new_row(
            Task,
            {"salesforce_id": record.id, "created_by_id": user.pk if user else None, **values},
        )


def _delete_rows(model: type[Any], pks: list[int]) -> None:
    """Delete link rows by key in plain SQL: no signal, so no second, unnamed history row."""
    quote = connection.ops.quote_name
    table, key = quote(model._meta.db_table), quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        for start in range(0, len(pks), 500):
            chunk = pks[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            # Names from the model's own metadata, quoted; every key is a parameter.
            cursor.execute(f"DELETE FROM {table} WHERE {key} IN ({marks})", chunk)  # noqa: S608


def _task_status(closed: bool, status: str) -> str:
    """A closed task is done, unless Salesforce says it was put off (how a cancelled one leaves)."""
    if not closed:
        return TaskStatus.OPEN
    return TaskStatus.CANCELLED if status.strip().lower() == "deferred" else TaskStatus.DONE


class TaskMapper(Mapper):
    """A Salesforce Task: an exchange held (a touchpoint) or a follow-up to do (a task)."""

    sobject = schema.TASK
    model = Task

    def __init__(self, ctx: ImportContext, table: Table) -> None:
        super().__init__(ctx, table)
        self.exchanges = TouchpointMapper(ctx, table, schema.TASK)
        self.follow_ups = FollowUpMapper(ctx, table)

    def is_exchange(self, record: Record) -> bool:
        row = record.row
        return bool(row.get("Rapport_Kind__c", "").strip()) or (
            row.get("TaskSubtype", "").strip() in schema.TOUCHPOINT_KIND_FROM_TASK
            or row.get("Type", "").strip() in schema.TOUCHPOINT_KIND_FROM_TASK
        )

    def process(self, records: list[Record]) -> None:
        exchanges = [record for record in records if self.is_exchange(record)]
        follow_ups = [record for record in records if not self.is_exchange(record)]
        if exchanges:
            self.exchanges.process(exchanges)
        if follow_ups:
            self.follow_ups.process(follow_ups)


class EventMapper(TouchpointMapper):
    sobject = schema.EVENT

    def __init__(self, ctx: ImportContext, table: Table) -> None:
        super().__init__(ctx, table, schema.EVENT)


class CaseMapper(Mapper):
    """Cases are kept whole (every column) for the export and for a later issues capability."""

    sobject = schema.CASE
    model = SalesforceRecord

    def process(self, records: list[Record]) -> None:
        existing = {
            row.salesforce_id: row
            for row in SalesforceRecord.objects.filter(
                object_name="Case", salesforce_id__in=[r.id for r in records]
            )
        }
        created, updated = [], []
        for record in records:
            data = dict(record.row)
            data["Id"] = record.id
            row = existing.get(record.id)
            if row is None:
                created.append(
                    SalesforceRecord(object_name="Case", salesforce_id=record.id, data=data)
                )
            elif row.data != data:
                row.data = data
                row.imported_at = self.ctx.now
                updated.append(row)
            else:
                self.ctx.count(self.name, "unchanged")
        SalesforceRecord.objects.bulk_create(created)
        SalesforceRecord.objects.bulk_update(updated, ["data", "imported_at"])
        self.ctx.count(self.name, "created", len(created))
        self.ctx.count(self.name, "updated", len(updated))
