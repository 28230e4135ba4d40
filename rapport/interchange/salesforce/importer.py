"""The Salesforce Data Export import: every object in order, streamed, a batch at a time.

Called by ``rapport.interchange.services.import_run_execute`` inside the one transaction the
service owns (and rolls back for a dry run, a strict import with problems, or a crash). The
order of ``MAPPERS`` lets each object refer to the ones before it; references within an object
(ParentId, ReportsToId) are set in a second pass once all its rows exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import Exists, Model, OuterRef
from django.utils.translation import gettext as _

from rapport.accountmaps.signals import schedule_refresh
from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account, TeamMember
from rapport.communications.models import (
    CadenceRule,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.communications.services import cadence_sync, refresh_contacts
from rapport.core.db import sqlite_page_cache
from rapport.interchange.progress import Progress
from rapport.interchange.report import ProblemReport
from rapport.interchange.salesforce import activities, people, revenue
from rapport.interchange.salesforce.base import (
    BATCH_SIZE,
    COUNT_KEYS,
    ImportContext,
    Mapper,
    Record,
    bulk_write,
)
from rapport.interchange.salesforce.ids import InvalidId, normalize_id
from rapport.interchange.salesforce.reader import SalesforceSource, Table
from rapport.interchange.salesforce.scratch import Scratch
from rapport.interchange.salesforce.values import BadValue, parse_bool
from rapport.users.models import User

MAPPERS: tuple[type[Mapper], ...] = (
    people.UserMapper,
    people.AccountMapper,
    people.ContactMapper,
    people.AccountContactRelationMapper,
    people.AccountTeamMemberMapper,
    revenue.ProductMapper,
    revenue.ContractMapper,
    revenue.OpportunityMapper,
    revenue.OpportunityContactRoleMapper,
    revenue.OpportunityLineItemMapper,
    activities.TaskMapper,
    activities.EventMapper,
    activities.CaseMapper,
)
# Standard columns read beyond the schema's (which lists what the exporter writes).
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {"Contract": ("ContractTerm",)}
_REFRESH_CHUNK = 500
_NEW_ACCOUNTS_SLICE = 10_000
_TOUCHED_SLICE = 10_000
# Tables an object's import writes besides its model's (whose statistics are then refreshed).
_ALSO_WRITTEN: dict[type[Mapper], tuple[type[Model], ...]] = {
    activities.TaskMapper: (Touchpoint, TouchpointStakeholder, TouchpointUser),
    activities.EventMapper: (TouchpointStakeholder, TouchpointUser),
}
# SQLite's page cache while importing, in KiB.
_SQLITE_CACHE_KIB = 131072


def import_salesforce(
    *,
    source: Path,
    workdir: Path,
    acting_user: User | None,
    report: ProblemReport,
    progress: Progress,
    dry_run: bool = False,
    strict: bool = False,
    **_options: Any,
) -> dict[str, dict[str, int]]:
    """Import a Data Export (a folder or a .zip); the counts per object are returned.

    Counts per Salesforce object: created, updated, unchanged, skipped. Problems go to
    ``report``; an export that cannot be read at all raises ``ImportRefused``. Nothing is
    committed here: the caller's transaction decides.
    """
    with (
        SalesforceSource(Path(source), report=report, extra_columns=EXTRA_COLUMNS) as reader,
        Scratch(Path(workdir)) as scratch,
        # Bounded, so that memory does not grow with the export.
        sqlite_page_cache(_SQLITE_CACHE_KIB),
    ):
        ctx = ImportContext(
            source=reader,
            report=report,
            progress=progress,
            scratch=scratch,
            acting_user=acting_user,
            dry_run=dry_run,
            strict=strict,
        )
        ctx.total_bytes = max(reader.total_bytes, 1)
        ctx.accounts_created_after = (
            Account.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        )
        for mapper_class in MAPPERS:
            table = reader.table(mapper_class.sobject)
            if table is not None:
                _import_object(ctx, mapper_class, table)
                _refresh_statistics(mapper_class.model, *_ALSO_WRITTEN.get(mapper_class, ()))
        ctx.stage = str(_("Updating derived figures"))
        ctx.tick(force=True)
        _refresh_derived(ctx)
        ctx.progress(ctx.stage, ctx.total_bytes, ctx.total_bytes, force=True)
        return ctx.counts


def _refresh_statistics(*models: type[Model]) -> None:
    """On PostgreSQL, bring the planner's statistics of these tables up to date.

    The import fills tables in one transaction that autovacuum cannot see into: the planner
    would go on taking a table of a million rows for the empty one it was, and read it whole
    for each batch's lookups (Salesforce Ids, a batch's rules). ``ANALYZE`` reads a sample of
    bounded size, so its cost does not grow with the table. SQLite's plans do not need it.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in dict.fromkeys(models):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _import_object(ctx: ImportContext, mapper_class: type[Mapper], table: Table) -> None:
    name = table.sobject.name
    ctx.counts.setdefault(name, dict.fromkeys(COUNT_KEYS, 0))
    ctx.stage = name
    ctx.tick(force=True)
    mapper: Mapper | None = None
    batch: list[Record] = []
    for file, line, row in ctx.source.rows(table):
        if mapper is None:
            # Built after the header is read, so that it knows which columns the files carry.
            mapper = mapper_class(ctx, table)
        record = _record(ctx, name, file, line, row)
        if record is None:
            ctx.count(name, "skipped")
            continue
        batch.append(record)
        if len(batch) >= BATCH_SIZE:
            _flush(ctx, mapper, batch)
            batch = []
    if mapper is None:
        return
    if batch:
        _flush(ctx, mapper, batch)
    mapper.finish()
    ctx.spill()
    ctx.tick(force=True)


def _record(
    ctx: ImportContext, name: str, file: str, line: int, row: dict[str, str]
) -> Record | None:
    try:
        if parse_bool(row.get("IsDeleted", "")):
            return None
    except BadValue as error:
        ctx.report.add(file, line, "IsDeleted", error.message)
        return None
    try:
        return Record(file, line, normalize_id(row.get("Id", "")), row)
    except InvalidId as error:
        ctx.report.add(file, line, "Id", error.message)
        return None


def _flush(ctx: ImportContext, mapper: Mapper, batch: list[Record]) -> None:
    """Drop the Ids already given (earlier in the batch or the file), then write the batch."""
    name = mapper.name
    earlier = ctx.scratch.already_seen(name, [record.id for record in batch])
    unique: list[Record] = []
    in_batch: set[str] = set()
    for record in batch:
        if record.id in earlier or record.id in in_batch:
            ctx.report.add(
                record.file,
                record.line,
                "Id",
                _("%(id)s was given earlier in the file; this later row is skipped.")
                % {"id": record.id},
            )
            ctx.count(name, "skipped")
            continue
        in_batch.add(record.id)
        unique.append(record)
    mapper.process(unique)
    ctx.spill()
    ctx.tick()


def _refresh_derived(ctx: ImportContext) -> None:
    """What the services keep in step on each save, done once for everything the import wrote.

    The last contacts, cadences and relationship strengths of the accounts and people with
    imported exchanges are recomputed; new accounts get their tier's cadence rules and their
    manager on the team, as ``account_create`` gives them; and the account map summaries of
    every account whose people changed are refreshed when the transaction commits.
    """
    # The accounts, people and pairs with exchanges, read back from the scratch file a slice
    # at a time (each kind refreshed apart, as ``refresh_contacts`` does them one after another).
    # New accounts have no cadence rules yet: theirs are created below, already refreshed.
    ctx.spill()
    for accounts in ctx.scratch.touched("account", size=_TOUCHED_SLICE):
        refresh_contacts(account_ids=[pk for pk, _none in accounts], now=ctx.now)
    for persons in ctx.scratch.touched("person", size=_TOUCHED_SLICE):
        refresh_contacts(account_ids=(), stakeholder_ids=[pk for pk, _none in persons], now=ctx.now)
    for pairs in ctx.scratch.touched("pair", size=_TOUCHED_SLICE):
        refresh_contacts(account_ids=(), pairs=pairs, now=ctx.now)
    # New accounts a slice at a time, the planner's statistics brought up to date after each:
    # each slice's reads of the rules follow the rules the slices before it created.
    last = ctx.accounts_created_after
    while True:
        upto = (
            Account.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[_NEW_ACCOUNTS_SLICE - 1 : _NEW_ACCOUNTS_SLICE]
            .first()
        )
        new_accounts = Account.objects.filter(pk__gt=last)
        if upto is not None:
            new_accounts = new_accounts.filter(pk__lte=upto)
        cadence_sync(accounts=new_accounts)
        _refresh_statistics(CadenceRule)
        if upto is None:
            break
        last = upto
    tiers = sorted(ctx.tier_changed)
    for start in range(0, len(tiers), _REFRESH_CHUNK):
        cadence_sync(accounts=Account.objects.filter(pk__in=tiers[start : start + _REFRESH_CHUNK]))
    _managers_on_team(ctx)
    changed = sorted(ctx.accounts_changed)
    for start in range(0, len(changed), _REFRESH_CHUNK):
        schedule_refresh(account_ids=tuple(changed[start : start + _REFRESH_CHUNK]))


def _managers_on_team(ctx: ImportContext) -> None:
    """Each new account's manager joins its team, unless the export put them there already."""
    last = ctx.accounts_created_after
    while True:
        on_team = TeamMember.objects.filter(
            account=OuterRef("pk"),
            user=OuterRef("owner"),
            role=TeamRole.ACCOUNT_MANAGER,
            end_date__isnull=True,
        )
        rows = list(
            Account.objects.filter(pk__gt=last, owner__isnull=False)
            .exclude(Exists(on_team))
            .order_by("pk")
            .values_list("pk", "owner_id")[:BATCH_SIZE]
        )
        if not rows:
            return
        last = rows[-1][0]
        members = [
            TeamMember(
                account_id=pk, user_id=owner, role=TeamRole.ACCOUNT_MANAGER, start_date=ctx.today
            )
            for pk, owner in rows
        ]
        bulk_write(TeamMember, ctx=ctx, created=members, updated=[], fields=[])
