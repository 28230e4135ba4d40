"""Query helpers that keep prefix search on an index on both database engines."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q

# The largest code point: every string that starts with a prefix sorts below prefix + this.
_HIGHEST = "\U0010ffff"


def prefix_q(field: str, prefix: str) -> Q:
    """Rows whose already-normalised ``field`` starts with ``prefix``, using its B-tree index.

    PostgreSQL uses a ``varchar_pattern_ops`` index for ``LIKE 'x%'``. SQLite's LIKE is
    case-insensitive, so it cannot use a plain index; a range on the binary-collated
    column can, and gives the same rows because the column is stored lower-cased.
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + _HIGHEST})
