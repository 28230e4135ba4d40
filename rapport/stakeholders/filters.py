"""The stakeholder filter, used by the list pages and the API alike."""

from __future__ import annotations

from django.db.models import QuerySet
from pydantic import Field, PrivateAttr

from rapport.core.api import InputSchema, RecordId
from rapport.core.db import prefix_q
from rapport.core.text import search_key
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import Stakeholder

# Matches read per column by a name search: plenty to page through, and a common prefix on a
# book of a million people is never sorted whole.
SEARCH_MATCH_LIMIT = 1000


class StakeholderFilter(InputSchema):
    q: str = Field(
        default="", max_length=200, description="First name, last name or e-mail prefix."
    )
    account: RecordId | None = Field(default=None, description="Only this account's people.")
    status: StakeholderStatus | None = None
    department: str = Field(default="", max_length=100)

    _capped: bool = PrivateAttr(default=False)

    def apply(self, queryset: QuerySet[Stakeholder]) -> QuerySet[Stakeholder]:
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.department:
            queryset = queryset.filter(department__iexact=self.department)
        return queryset

    @property
    def search(self) -> str:
        """The normalised search text; the list is then found by ``matching_ids``."""
        return search_key(self.q)

    def matching_ids(self, queryset: QuerySet[Stakeholder]) -> list[int]:
        """Ids of the people whose last name, full name or e-mail starts with the search text,
        in list order (last name, then full name).

        One short, ordered index range per column rather than one OR, which the planner
        answers by walking a whole name index row by row; each range stops after
        SEARCH_MATCH_LIMIT rows, so a common prefix on a large book stays cheap.
        """
        key = self.search
        rows: set[tuple[str, str, int]] = set()
        for column, order in (
            ("search_last_name", ("search_last_name", "search_name")),
            ("search_name", ("search_name",)),
            # Unordered: ordering by the e-mail's linguistic collation tempts the planner
            # into walking the whole e-mail index.
            ("email", ()),
        ):
            found = list(
                queryset.filter(prefix_q(column, key))
                .order_by(*order)
                .values_list("search_last_name", "search_name", "id")[:SEARCH_MATCH_LIMIT]
            )
            self._capped = self._capped or len(found) == SEARCH_MATCH_LIMIT
            rows.update(found)
        return [pk for _last_name, _name, pk in sorted(rows)]

    @property
    def capped(self) -> bool:
        """True when more people match than one search returns: the user should type more."""
        return self._capped

    def is_filtered(self) -> bool:
        return bool(self.q or self.status or self.department)
