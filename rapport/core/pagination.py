"""One paginator for pages and the API."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any, Generic, TypeVar, overload

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet

ModelT = TypeVar("ModelT", bound=Model)


class OrderedRows(Generic[ModelT]):
    """Rows known by their ids, already in display order; a page reads only its own rows.

    For searches whose matches are found by several index ranges: sorting a few thousand
    ids in Python is cheap, while asking the database to sort and page them invites it to
    walk a whole index in order.
    """

    def __init__(self, ids: list[int], queryset: QuerySet[ModelT]) -> None:
        self.ids = ids
        self.queryset = queryset

    def __len__(self) -> int:
        return len(self.ids)

    def count(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[ModelT]:
        for start in range(0, len(self.ids), 500):
            yield from self[start : start + 500]

    @overload
    def __getitem__(self, index: int) -> ModelT: ...

    @overload
    def __getitem__(self, index: slice) -> list[ModelT]: ...

    def __getitem__(self, index: int | slice) -> ModelT | list[ModelT]:
        if isinstance(index, int):
            return self[index : index + 1 or None][0]
        wanted = self.ids[index]
        rows = self.queryset.in_bulk(wanted)
        return [rows[pk] for pk in wanted if pk in rows]


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows, so a list of millions costs a bounded count.

    ``SELECT COUNT(*)`` over ten million rows reads them all; counting a ``LIMIT cap + 1``
    subquery stops early. Beyond the cap the pages are not offered: the reader narrows the
    filters instead (``is_capped`` tells the template to say so).
    """

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.queryset = object_list
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        return self.queryset[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def is_capped(self) -> bool:
        return self._counted > self.cap


def paginate(
    queryset: QuerySet[Any] | Sequence[Any] | OrderedRows[Any],
    *,
    page: int | str | None,
    per_page: int,
    count_cap: int | None = None,
) -> Page[Any]:
    """The requested page, or the nearest valid one for a bad or out-of-range number."""
    if count_cap is not None and isinstance(queryset, QuerySet):
        return CappedPaginator(queryset, per_page, cap=count_cap).get_page(page)
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(page)
