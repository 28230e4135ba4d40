"""Query helpers that keep prefix search on an index on both database engines."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q

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
