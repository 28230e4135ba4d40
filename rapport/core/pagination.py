"""One paginator for pages and the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def paginate(
    queryset: QuerySet[Any] | Sequence[Any], *, page: int | str | None, per_page: int
) -> Page[Any]:
    """The requested page, or the nearest valid one for a bad or out-of-range number."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(page)
