"""What every object's import shares: the run's context and the batched upsert of one object.

Rows are read as a stream and written a batch at a time. For a batch: one query fetches the
rows already imported (by Salesforce Id), one query per referenced object turns Ids into
primary keys, then the new rows are inserted and the changed ones updated, each with its
history rows, as plain tuples (``insert_rows``, ``update_rows``, ``write_history``) rather than
through the ORM's per-value compiler. Rows whose fields are all equal are counted unchanged and
get no history row, so that importing an export twice writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models import QuerySet, signals
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core import bulk
from rapport.core.db import plain_cursor
from rapport.interchange.progress import Progress
from rapport.interchange.report import ProblemReport
from rapport.interchange.salesforce.ids import InvalidId, normalize_id, object_of
from rapport.interchange.salesforce.reader import SalesforceSource, Table
from rapport.interchange.salesforce.schema import SalesforceObject
from rapport.interchange.salesforce.scratch import Scratch
from rapport.users.models import User

BATCH_SIZE = 2000
CHANGE_REASON = "Salesforce import"
COUNT_KEYS = ("created", "updated", "unchanged", "skipped")
# ``Mapper.values`` returns this for a row that needs nothing written and is no problem.
NOTHING_TO_DO: dict[str, Any] = {}


@dataclass
class Record:
    """One row of an export file: where it is, its 18-character Id and its cells."""

    file: str
    line: int
    id: str
    row: dict[str, str]


@dataclass
class ImportContext:
    """Everything one import run shares between the objects it imports."""

    source: SalesforceSource
    report: ProblemReport
    progress: Progress
    scratch: Scratch
    acting_user: User | None
    dry_run: bool
    strict: bool
    now: datetime.datetime = field(default_factory=timezone.now)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # What the derived figures must be recomputed for, once every object is written. Sets of
    # primary keys; the accounts, people and pairs with exchanges are only a batch's, moved
    # to the scratch file after each batch (``spill``) so that memory does not grow with them.
    accounts_created_after: int = 0
    accounts_changed: set[int] = field(default_factory=set)
    tier_changed: set[int] = field(default_factory=set)
    contact_accounts: set[int] = field(default_factory=set)
    contact_people: set[int] = field(default_factory=set)
    contact_pairs: set[tuple[int, int]] = field(default_factory=set)
    total_bytes: int = 0
    stage: str = ""

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(self.now)

    def count(self, object_name: str, key: str, amount: int = 1) -> None:
        counts = self.counts.setdefault(object_name, dict.fromkeys(COUNT_KEYS, 0))
        counts[key] += amount

    def tick(self, *, force: bool = False) -> None:
        self.progress(self.stage, self.source.bytes_read, self.total_bytes, force=force)

    def spill(self) -> None:
        """Move the batch's accounts, people and pairs with exchanges to the scratch file."""
        self.contact_people.discard(0)
        self.scratch.add_touched("account", ((pk, 0) for pk in self.contact_accounts))
        self.scratch.add_touched("person", ((pk, 0) for pk in self.contact_people))
        self.scratch.add_touched("pair", self.contact_pairs)
        self.contact_accounts.clear()
        self.contact_people.clear()
        self.contact_pairs.clear()

    def history_user(self) -> User | None:
        return self.acting_user


def _column(model: type[models.Model], name: str) -> str:
    """The column of a concrete field, named by its name or its attribute name."""
    for model_field in model._meta.concrete_fields:
        if name in (model_field.name, model_field.attname):
            return str(model_field.column)
    raise FieldDoesNotExist(f"{model.__name__} has no field {name}")


def one_of(column: str, values: list[Any]) -> tuple[str, Any]:
    """A condition that ``column`` (quoted) holds one of ``values``, and its one parameter.

    The values (Salesforce Ids or keys: letters and digits) go as one text parameter, split on
    the server: a list read by ``string_to_array`` on PostgreSQL, by ``json_each`` on SQLite. A
    batch's ``IN`` list of thousands of placeholders, or an array, would cost more to prepare in
    Python (the ORM's per-value work, the drivers' quoting) than the query itself.
    """
    if not values:
        return "1 = 0 AND %s = ''", ""
    if connection.vendor == "postgresql":
        if isinstance(values[0], int):
            return f"{column} = ANY(CAST(string_to_array(%s, ',') AS bigint[]))", ",".join(
                map(str, values)
            )
        return f"{column} = ANY(string_to_array(%s, ','))", ",".join(values)
    return f"{column} IN (SELECT value FROM json_each(%s))", json.dumps(values)  # noqa: S608


def among(queryset: QuerySet[Any], name: str, values: Iterable[Any]) -> QuerySet[Any]:
    """``queryset`` filtered on the field ``name`` being one of ``values`` (thousands of them)."""
    quote = connection.ops.quote_name
    column = f"{quote(queryset.model._meta.db_table)}.{quote(_column(queryset.model, name))}"
    condition, parameter = one_of(column, list(values))
    return queryset.extra(where=[condition], params=[parameter])  # noqa: S610


def resolve(model: type[models.Model], ids: Iterable[str], *values: str) -> dict[str, Any]:
    """Salesforce Id → primary key (or a tuple of pk and ``values``) of rows imported before.

    ``values`` name fields whose stored values are read as they are (keys, numbers, text). One
    plain statement, the Ids sent as a single parameter: the ORM's ``IN`` list would prepare each
    of a batch's thousands of Ids apart, and the driver parse as many placeholders.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [_column(model, name) for name in ("salesforce_id", meta.pk.name, *values)]
    key = quote(columns[0])
    condition, parameter = one_of(key, wanted)
    # Names from the model's own metadata, quoted; the Ids are a parameter.
    sql = (
        f"SELECT {', '.join(quote(column) for column in columns)} "  # noqa: S608
        f"FROM {quote(meta.db_table)} WHERE {condition}"
    )
    with plain_cursor() as cursor:
        cursor.execute(sql, [parameter])
        rows = cursor.fetchall()
    if values:
        return {row[0]: tuple(row[1:]) for row in rows}
    return {row[0]: row[1] for row in rows}


def new_row(model: type[models.Model], values: dict[str, Any]) -> Any:
    """An unsaved instance of ``model`` with ``values``, built without ``Model.__init__``.

    For rows that are only inserted: the defaults are set as ``__init__`` would (callables called
    per row) and the values are taken as they are, which is a tenth of ``__init__``'s work.
    """
    defaults = _DEFAULTS.get(model)
    if defaults is None:
        # ``_get_default`` is what ``__init__`` calls: the default, "" for text, or None.
        defaults = _DEFAULTS[model] = [
            (field.attname, field._get_default)  # type: ignore[attr-defined]
            for field in model._meta.concrete_fields
            if not field.primary_key
        ]
        attnames = {field.attname for field in model._meta.concrete_fields}
        _ATTNAMES[model] = attnames | {model._meta.pk.attname}
        # Asked once: a model's init signals are connected when the apps are loaded.
        _SIGNALLED[model] = signals.pre_init.has_listeners(
            model
        ) or signals.post_init.has_listeners(model)
    attnames = _ATTNAMES[model]
    if _SIGNALLED[model]:
        return model(**values)
    row = model.__new__(model)
    row._state = ModelState()
    data = row.__dict__
    data[model._meta.pk.attname] = None
    for attname, default in defaults:
        data[attname] = default()
    for name, value in values.items():
        if name in attnames:
            data[name] = value
        else:
            setattr(row, name, value)  # a relation given as an instance
    return row


_DEFAULTS: dict[type[models.Model], list[tuple[str, Callable[[], Any]]]] = {}
_ATTNAMES: dict[type[models.Model], set[str]] = {}
_SIGNALLED: dict[type[models.Model], bool] = {}


@dataclass
class _Layout:
    """The columns of a model and of its history table, with each value's converter."""

    table: str
    pk_column: str
    fields: list[models.Field[Any, Any]]
    columns: list[str]
    converters: list[bulk.Converter]
    history_table: str | None
    history_columns: list[str]
    # Per history column: the row's column it copies, or None for the history's own (whose
    # names are ``history_own``, in order), with that column's type for a cast.
    history_select: list[str | None]
    history_casts: list[str]
    history_own: list[str]


_LAYOUTS: dict[tuple[str, type[models.Model]], _Layout] = {}
_HISTORY_OWN = ("history_date", "history_change_reason", "history_type", "history_user_id")


def _layout(model: type[models.Model]) -> _Layout:
    key = (connection.alias, model)
    layout = _LAYOUTS.get(key)
    if layout is not None:
        return layout
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    history_table = None
    history_columns: list[str] = []
    history_select: list[str | None] = []
    history_casts: list[str] = []
    history_own: list[str] = []
    if hasattr(model, "history"):
        history_model = model.history.model
        history_table = history_model._meta.db_table
        for field in history_model._meta.concrete_fields:
            if field.primary_key:
                continue
            history_columns.append(field.column)
            history_casts.append(str(field.db_type(connection)))
            if field.attname in _HISTORY_OWN:
                history_select.append(None)
                history_own.append(field.attname)
            else:
                history_select.append(by_attname[field.attname].column)
    layout = _Layout(
        table=model._meta.db_table,
        pk_column=model._meta.pk.column,
        fields=fields,
        columns=[model_field.column for model_field in fields],
        converters=[bulk.converter(field, connection) for field in fields],
        history_table=history_table,
        history_columns=history_columns,
        history_select=history_select,
        history_casts=history_casts,
        history_own=history_own,
    )
    _LAYOUTS[key] = layout
    return layout


def _max_params() -> int:
    """How many parameters one statement may carry (SQLite says so itself since 3.32)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return connection.features.max_query_params or 100_000


def insert_rows(model: type[models.Model], rows: list[Any]) -> None:
    """Insert ``rows`` (unsaved instances) in multi-row statements; each gets its primary key.

    The values are read straight from the instances and converted once per field type, as
    ``bulk_create`` would but without its compiler's per-value work.
    """
    layout = _layout(model)
    quote = connection.ops.quote_name
    readers = list(zip([field.attname for field in layout.fields], layout.converters, strict=True))
    # What ``pre_save`` does for ``auto_now`` fields, with one time for the whole call.
    now = timezone.now()
    for model_field in layout.fields:
        if bulk.auto_now(model_field):
            for row in rows:
                setattr(row, model_field.attname, now)
    if connection.vendor == "postgresql":
        _copy_rows(model, layout, rows, readers)
        return
    width = len(readers)
    per_statement = max(1, min(1000, _max_params() // width))
    head = (
        f"INSERT INTO {quote(layout.table)} "  # noqa: S608
        f"({', '.join(quote(field.column) for field in layout.fields)}) VALUES "
    )
    marks = "(" + ", ".join(["?"] * width) + ")"
    tail = f" RETURNING {quote(layout.pk_column)}"
    # SQLite's own cursor, with its own placeholders: Django's would rewrite each statement of
    # thousands of "%s" first. The values are converted above as the backend would.
    with (
        connection.wrap_database_errors,
        contextlib.closing(connection.connection.cursor()) as cursor,
    ):
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params: list[Any] = []
            for row in chunk:
                params.extend(bulk.values_of(row, readers))
            cursor.execute(head + ", ".join([marks] * len(chunk)) + tail, params)
            for row, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                row.pk = pk
                row._state.adding = False
                row._state.db = connection.alias


def _copy_rows(
    model: type[models.Model],
    layout: _Layout,
    rows: list[Any],
    readers: list[tuple[str, bulk.Converter]],
) -> None:
    """PostgreSQL: take primary keys from the table's sequence, then ``COPY`` the rows in.

    A statement of thousands of placeholders costs the driver more to parse than the server to
    run; ``COPY`` sends plain rows, as the raw bulk insert does.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [layout.table, layout.pk_column, len(rows)],
        )
        pks = [pk for (pk,) in cursor.fetchall()]
        columns = ", ".join(quote(column) for column in [layout.pk_column, *layout.columns])
        with cursor.cursor.copy(f"COPY {quote(layout.table)} ({columns}) FROM STDIN") as copy:
            for row, pk in zip(rows, pks, strict=True):
                copy.write_row([pk, *bulk.values_of(row, readers)])
    for row, pk in zip(rows, pks, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias


def update_rows(model: type[models.Model], rows: list[Any], names: Iterable[str]) -> None:
    """Write ``names`` of ``rows`` with one plain ``UPDATE … WHERE pk`` sent for all rows."""
    layout = _layout(model)
    quote = connection.ops.quote_name
    wanted = set(names)
    chosen = [
        (model_field, converter)
        for model_field, converter in zip(layout.fields, layout.converters, strict=True)
        if model_field.attname in wanted or model_field.name in wanted
    ]
    sets = ", ".join(f"{quote(model_field.column)} = %s" for model_field, _conv in chosen)
    sql = f"UPDATE {quote(layout.table)} SET {sets} WHERE {quote(layout.pk_column)} = %s"  # noqa: S608
    readers = [(model_field.attname, converter) for model_field, converter in chosen]
    params = [[*bulk.values_of(row, readers), row.pk] for row in rows]
    with plain_cursor() as cursor:
        for start in range(0, len(params), BATCH_SIZE):
            cursor.executemany(sql, params[start : start + BATCH_SIZE])


def write_history(
    model: type[models.Model], rows: list[Any], *, ctx: ImportContext, update: bool
) -> None:
    """One history row per created or changed row, in bulk, named after the import.

    The rows are written already, so their history is copied by the database itself
    (``INSERT … SELECT`` by primary key), with the history's own columns: the import's time,
    reason and user, and "+" or "~". No value makes the round trip through Python.
    """
    if not rows or not hasattr(model, "history"):
        return
    layout = _layout(model)
    user = ctx.history_user()
    own = {
        "history_date": connection.ops.adapt_datetimefield_value(ctx.now),
        "history_change_reason": CHANGE_REASON,
        "history_type": "~" if update else "+",
        "history_user_id": user.pk if user is not None else None,
    }
    quote = connection.ops.quote_name
    postgresql = connection.vendor == "postgresql"
    constants = iter(layout.history_own)
    selected: list[str] = []
    params: list[Any] = []
    for source, cast in zip(layout.history_select, layout.history_casts, strict=True):
        if source is not None:
            selected.append(quote(source))
            continue
        params.append(own[next(constants)])
        # PostgreSQL types a bare parameter in a select list as text; SQLite needs no cast.
        selected.append(f"CAST(%s AS {cast})" if postgresql else "%s")
    where, keys = one_of(quote(layout.pk_column), sorted(row.pk for row in rows))
    # Names from the models' own metadata, quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(layout.history_table or '')} "  # noqa: S608
        f"({', '.join(quote(column) for column in layout.history_columns)}) "
        f"SELECT {', '.join(selected)} FROM {quote(layout.table)} WHERE {where} "
        f"ORDER BY {quote(layout.pk_column)}"
    )
    with plain_cursor() as cursor:
        cursor.execute(sql, [*params, keys])


def bulk_write(
    model: type[models.Model],
    *,
    ctx: ImportContext,
    created: list[Any],
    updated: list[Any],
    fields: Iterable[str],
) -> None:
    """Insert the new rows and update the changed ones, each with its history."""
    if created:
        insert_rows(model, created)
        write_history(model, created, ctx=ctx, update=False)
    if updated:
        names = set(fields)
        concrete = {model_field.attname for model_field in model._meta.concrete_fields}
        if "version" in concrete:
            for row in updated:
                row.version += 1
            names.add("version")
        if "updated_at" in concrete:
            for row in updated:
                row.updated_at = ctx.now
            names.add("updated_at")
        update_rows(model, updated, names)
        write_history(model, updated, ctx=ctx, update=True)


class Mapper:
    """The import of one Salesforce object into one Rapport model, a batch at a time.

    A subclass says how a record becomes field values (``values``), after resolving the
    references of the whole batch (``prepare``); the base upserts by Salesforce Id.
    """

    sobject: ClassVar[SalesforceObject]
    model: ClassVar[type[models.Model]]
    label: ClassVar[str] = ""
    # A column naming another row of the same object (ParentId, ReportsToId), the field it
    # fills and the longest chain allowed; see ``settle``.
    self_column: ClassVar[str] = ""
    self_attname: ClassVar[str] = ""
    self_depth: ClassVar[int] = 0
    # For people: the field both rows must share (a person reports within their account).
    self_group: ClassVar[str] = ""
    other_group: ClassVar[object] = ""  # the problem's text (lazily translated)

    def __init__(self, ctx: ImportContext, table: Table) -> None:
        self.ctx = ctx
        self.table = table
        self.name = self.sobject.name
        self.max_lengths = {
            model_field.attname: model_field.max_length
            for model_field in self.model._meta.concrete_fields
            if isinstance(model_field, models.CharField) and model_field.max_length
        }
        # Rows above this key were created by this run; the second pass counts them so.
        self.created_after = (
            self.model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
        )
        self.updated_pks: set[int] = set()
        # The new rows of the batch whose self-reference is set already (no second pass).
        self.settled: set[str] = set()
        # New rows of the batch and the new row they name, whose pk its level's insert gives.
        self.pending: list[tuple[Any, Any]] = []
        # Cells already reported as bad Ids: a reference is read more than once per row.
        self.bad_ids: set[tuple[str, int, str]] = set()

    # Helpers for subclasses -------------------------------------------------------------------

    def problem(self, record: Record, field_name: str, reason: str) -> None:
        self.ctx.report.add(record.file, record.line, field_name, reason)

    def has(self, column: str) -> bool:
        """Whether the files carry this column (an export of a real org lacks Rapport's)."""
        return column in self.table.columns

    def reference(self, record: Record, column: str) -> str | None:
        """The 18-character Id in a reference column, None when empty or not an Id."""
        text = record.row.get(column, "").strip()
        if not text:
            return None
        try:
            return normalize_id(text)
        except InvalidId as error:
            cell = (record.file, record.line, column)
            if cell not in self.bad_ids:
                self.bad_ids.add(cell)
                self.problem(record, column, error.message)
            return None

    def missing(self, record: Record, column: str, id18: str) -> None:
        kind = object_of(id18) or _("unknown object")
        self.problem(
            record,
            column,
            _("%(id)s (%(object)s) is neither in the export nor imported before; left empty.")
            % {"id": id18, "object": kind},
        )

    def too_long(self, record: Record, values: dict[str, Any]) -> bool:
        """Report every text longer than its column; the row is then skipped."""
        bad = False
        for name, value in values.items():
            limit = self.max_lengths.get(name)
            if limit and isinstance(value, str) and len(value) > limit:
                self.problem(
                    record,
                    name,
                    _("The text is %(length)s characters long; at most %(limit)s fit.")
                    % {"length": len(value), "limit": limit},
                )
                bad = True
        return bad

    # The steps --------------------------------------------------------------------------------

    def prepare(self, records: list[Record]) -> None:
        """Resolve the references of a whole batch (one query per referenced object)."""

    def values(self, record: Record) -> dict[str, Any] | None:
        """The field values of a record, or None to skip it (after reporting why)."""
        raise NotImplementedError

    def existing(self, records: list[Record]) -> dict[str, Any]:
        # The keys first, in one light query: a first import finds none, and reads no more.
        found = resolve(self.model, [record.id for record in records])
        if not found:
            return {}
        key = self.model._meta.pk.name
        rows = among(self.model._base_manager.all(), key, sorted(found.values()))
        return {row.salesforce_id: row for row in rows}

    def build(self, record: Record, values: dict[str, Any]) -> Any:
        return new_row(self.model, {"salesforce_id": record.id, **values})

    def changes(self, row: Any, values: dict[str, Any]) -> list[str]:
        return [name for name, value in values.items() if getattr(row, name) != value]

    def fill(self, row: Any) -> None:
        """Derived columns that ``save()`` would set (search keys, normalised cases)."""

    def after(self, records: list[Record], created: list[Any], updated: list[Any]) -> None:
        """Work that needs the batch written (links, self-references for the second pass)."""

    def finish(self) -> None:
        """Work once every row of the object is written (the second pass)."""

    def process(self, records: list[Record]) -> None:
        self.prepare(records)
        existing = self.existing(records)
        created: list[Any] = []
        created_records: list[Record] = []
        updated: list[Any] = []
        changed_fields: set[str] = set()
        kept: list[Record] = []
        for record in records:
            values = self.values(record)
            if values is NOTHING_TO_DO:
                self.ctx.count(self.name, "unchanged")
                continue
            if values is None or self.too_long(record, values):
                self.ctx.count(self.name, "skipped")
                continue
            kept.append(record)
            row = existing.get(record.id)
            if row is None:
                row = self.build(record, values)
                self.fill(row)
                created.append(row)
                created_records.append(record)
                continue
            changed = self.changes(row, values)
            if not changed:
                self.ctx.count(self.name, "unchanged")
                self.on_unchanged(row)
                continue
            for name in changed:
                setattr(row, name, values[name])
            self.fill(row)
            changed_fields.update(changed)
            self.on_changed(row, changed)
            updated.append(row)
        self.settled, self.pending = set(), []
        levels = self.settle(created_records, created) if self.self_column else [created]
        for level in levels:
            for row, parent in self.pending:
                if parent.pk is not None and row.pk is None:
                    setattr(row, self.self_attname, parent.pk)
            bulk_write(self.model, ctx=self.ctx, created=level, updated=[], fields=[])
        bulk_write(
            self.model,
            ctx=self.ctx,
            created=[],
            updated=updated,
            fields=changed_fields | self.derived_fields(changed_fields),
        )
        self.updated_pks.update(row.pk for row in updated)
        self.ctx.count(self.name, "created", len(created))
        self.ctx.count(self.name, "updated", len(updated))
        self.after(kept, created, updated)

    def settle(self, records: list[Record], rows: list[Any]) -> list[list[Any]]:
        """Set the reference to another row of the object on the new ``rows`` where it can be.

        It can when the row it names is written already (an earlier batch or import) or is new
        in this batch: the rows are then inserted a level at a time, managers before their
        reports, so that each new row's one history row carries its reference. A new row cannot
        close a loop (nothing names it yet), but its chain may be too long or, for a person, run
        through another account: left empty and reported. What names a later row (or a loop
        within the batch) is left to the second pass. Returns the rows by level; the records
        whose reference is settled are noted in ``settled``.
        """
        refs = [self.reference(record, self.self_column) for record in records]
        index = {record.id: position for position, record in enumerate(records)}
        outside = [ref for ref in refs if ref and ref not in index]
        known: dict[str, tuple[int, Any]] = (
            resolve(self.model, outside, self.self_group)
            if self.self_group
            else {ref: (pk, None) for ref, pk in resolve(self.model, outside).items()}
        )
        above = self._ancestors({pk for pk, _group in known.values()})
        self.pending = []
        children: dict[int, list[int]] = {}
        depth: dict[int, int] = {}
        roots: list[int] = []
        for position, (record, row, ref) in enumerate(zip(records, rows, refs, strict=True)):
            if not ref:
                depth[position] = 0
                roots.append(position)
                self.settled.add(record.id)
            elif ref in index:
                children.setdefault(index[ref], []).append(position)
            elif ref in known:
                parent = known[ref]
                depth[position] = self._link(record, row, parent, above[parent[0]] + 1)
                roots.append(position)
                self.settled.add(record.id)
            else:
                roots.append(position)  # named later in the file, or unknown: second pass
                depth[position] = 0
        levels: list[list[Any]] = []
        level = roots
        while level:
            levels.append([rows[position] for position in level])
            following = []
            for position in level:
                for child in children.get(position, []):
                    depth[child] = self._link(
                        records[child], rows[child], (None, rows[position]), depth[position] + 1
                    )
                    self.settled.add(records[child].id)
                    following.append(child)
            level = following
        # Rows in a loop within the batch (or below one) are inserted without the reference.
        rest = [rows[position] for position in range(len(rows)) if position not in depth]
        if rest and levels:
            levels[0].extend(rest)
        elif rest:
            levels.append(rest)
        return levels

    def _link(self, record: Record, row: Any, parent: tuple[int | None, Any], chain: int) -> int:
        """Point ``row`` at ``parent`` (a written row's pk and group, or a new row of the batch,
        inserted a level before) unless that is refused; the length of its chain."""
        pk, group = parent
        if pk is None:
            group = getattr(group, self.self_group) if self.self_group else None
        reason: object = None
        if chain >= self.self_depth:
            reason = _("The chain above this row is too long; left empty.")
        elif self.self_group and group != getattr(row, self.self_group):
            reason = self.other_group
        if reason is not None:
            self.problem(record, self.self_column, str(reason))
            return 0
        if pk is None:
            self.pending.append((row, parent[1]))
        else:
            setattr(row, self.self_attname, pk)
        return chain

    def _ancestors(self, pks: set[int]) -> dict[int, int]:
        """How many rows are above each of ``pks`` (at most the depth allowed); a query a level."""
        parents: dict[int, int | None] = {}
        frontier = set(pks)
        for _step in range(self.self_depth + 1):
            frontier -= parents.keys()
            if not frontier:
                break
            found = dict(
                self.model._base_manager.filter(pk__in=sorted(frontier)).values_list(
                    "pk", self.self_attname
                )
            )
            parents.update(found)
            frontier = {parent for parent in found.values() if parent is not None}
        counts: dict[int, int] = {}
        for pk in pks:
            count, current = 0, parents.get(pk)
            while current is not None and count <= self.self_depth:
                count += 1
                current = parents.get(current)
            counts[pk] = count
        return counts

    def moved(self, row: Any) -> None:
        """A row the second pass changed: counted updated unless created or updated already."""
        if row.pk > self.created_after or row.pk in self.updated_pks:
            return
        self.updated_pks.add(row.pk)
        self.ctx.count(self.name, "unchanged", -1)
        self.ctx.count(self.name, "updated")

    def on_unchanged(self, row: Any) -> None:
        """A row the export leaves as it is."""

    def on_changed(self, row: Any, changed: list[str]) -> None:
        """A row about to be updated, with the names of the fields that changed."""

    def derived_fields(self, changed: set[str]) -> set[str]:
        return set()
