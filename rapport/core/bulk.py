"""Plain bulk writes: values converted once per field type and sent with ``executemany``
(or ``COPY`` on PostgreSQL).

Django's ``bulk_create`` prepares each value through its insert compiler, which for tens of
thousands of rows costs more than the database's own work. These helpers decide once per field
how its Python value becomes what the driver takes, and send plain statements. Like
``bulk_create``, they call no ``save()`` and send no signal.
"""

from __future__ import annotations

import datetime
import enum
import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from rapport.core.db import plain_cursor
from rapport.core.models import SearchKeyField

# Field types whose Python values the database drivers take as they are.
PLAIN_FIELDS: tuple[type[models.Field[Any, Any]], ...] = (
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.EmailField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SlugField,
    models.SmallIntegerField,
    models.TextField,
    models.URLField,
    SearchKeyField,
)
Converter = Callable[[Any], Any]
# Values every driver takes as they are (an enum or a date is not one of them).
SCALARS = frozenset({str, int, float, bool})


def _plain(value: Any) -> Any:
    # Choices are enums: psycopg would send an enum's name, not its value.
    return value.value if isinstance(value, enum.Enum) else value


def converter(field: models.Field[Any, Any], connection: BaseDatabaseWrapper) -> Converter:
    """How one field's Python value becomes what the driver is given, decided once per field."""
    if type(field) in PLAIN_FIELDS:
        return _plain
    if isinstance(field, models.ForeignKey) and type(field.target_field) in PLAIN_FIELDS:
        return _plain
    if type(field) is models.DateTimeField:
        if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
            return _sqlite_datetime
        return connection.ops.adapt_datetimefield_value
    if type(field) is models.DateField:
        return connection.ops.adapt_datefield_value
    # The connection itself rather than ``django.db.connection``, a proxy that looks the
    # connection up again on every use: the conversions only read its settings.
    return functools.partial(_prepared, field, connections[connection.alias])


# The same times come back in a row's history and its links' rows: converted once each.
@functools.lru_cache(maxsize=1 << 12)
def _sqlite_datetime(value: datetime.datetime) -> str:
    # What the SQLite backend stores: the time in UTC, as text without an offset.
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return str(value)


def _prepared(field: models.Field[Any, Any], connection: BaseDatabaseWrapper, value: Any) -> Any:
    return field.get_db_prep_save(value, connection=connection)


def auto_now(field: models.Field[Any, Any]) -> bool:
    """Whether ``save()`` would set this field to the current time."""
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def values_of(row: models.Model, readers: Sequence[tuple[str, Converter]]) -> list[Any]:
    """A row's values for the driver: each attribute read, converted unless plain already."""
    values = []
    for attname, convert in readers:
        value = getattr(row, attname)
        values.append(value if value is None or value.__class__ in SCALARS else convert(value))
    return values


def insert_plain(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert unsaved instances: ``COPY`` on PostgreSQL, one plain ``INSERT`` by ``executemany``
    elsewhere.

    For rows nobody reads back by key in the same step: their primary keys are not fetched.
    """
    if not rows:
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    for field in fields:
        if auto_now(field):
            for row in rows:
                setattr(row, field.attname, now)
    readers = [(field.attname, converter(field, connection)) for field in fields]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    with plain_cursor() as cursor:
        if connection.vendor == "postgresql":
            # Names from the model's own metadata, quoted; the rows are sent as data.
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values_of(row, readers))
            return
        # Names from the model's own metadata, quoted; every value is a parameter.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        cursor.executemany(sql, [values_of(row, readers) for row in rows])
