"""Query helpers for both database engines: prefix search kept on an index, a comparison that
treats nulls as values, SQLite's page cache for bulk loads, and a cursor whose parameters the
server binds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Func, Q

# The largest code point: every string that starts with a prefix sorts below prefix + this.
_HIGHEST = "\U0010ffff"


def prefix_q(field: str, prefix: str) -> Q:
    """Rows whose already-normalised ``field`` starts with ``prefix``, using its B-tree index.

    On PostgreSQL the search columns are byte-ordered (see ``SearchKeyField``; e-mail has a
    ``varchar_pattern_ops`` index), so ``LIKE 'x%'`` is an index range. SQLite's LIKE is
    case-insensitive and cannot use a plain index; a range on the binary-collated column
    can, and gives the same rows because the column is stored lower-cased.
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + _HIGHEST})


class Differs(Func):
    """A condition: the two values differ, a null differing from a value and two nulls alike.

    ``IS DISTINCT FROM`` on PostgreSQL, ``IS NOT`` on SQLite: ``~Q(a=b)`` would leave out the
    rows where either side is null.
    """

    arg_joiner = " IS NOT "
    template = "(%(expressions)s)"
    output_field = BooleanField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, arg_joiner=" IS DISTINCT FROM ", **extra)


@contextmanager
def sqlite_page_cache(kib: int) -> Iterator[None]:
    """On SQLite, a page cache of ``kib`` KiB for a bulk load, the previous size restored after.

    The indexes of a large load (keys, search columns, history dates) soon outgrow the default
    2 MB cache; each insert then reads index pages back from the file, and the load slows down
    as the tables grow. The cache is bounded: memory does not grow beyond it. Nothing changes
    on PostgreSQL.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        # A negative size is in KiB rather than pages.
        cursor.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


@contextmanager
def plain_cursor() -> Iterator[Any]:
    """A cursor for plain bulk statements, whose parameters the database binds itself.

    Django's PostgreSQL cursors bind on the client: each statement's text is parsed and its
    values quoted into it in Python, row by row for ``executemany``. psycopg's own cursor sends
    the values apart, reuses the parsing of a statement it has seen, and sends an
    ``executemany`` in one pipeline. Errors are wrapped as Django's. SQLite binds its
    parameters itself: Django's cursor is given there.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor
