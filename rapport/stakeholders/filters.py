"""The stakeholder filter, used by the list pages and the API alike."""

from __future__ import annotations

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

from rapport.core.db import prefix_q
from rapport.core.text import search_key
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import Stakeholder


class StakeholderFilter(Schema):
    q: str = Field(
        default="", max_length=200, description="First name, last name or e-mail prefix."
    )
    account: int | None = Field(default=None, description="Only this account's people.")
    status: StakeholderStatus | None = None
    department: str = Field(default="", max_length=100)

    def apply(self, queryset: QuerySet[Stakeholder]) -> QuerySet[Stakeholder]:
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        key = search_key(self.q)
        if key:
            # One indexed range per column, united, rather than one OR: with an OR the planner
            # may walk a whole name index in order, filtering row by row.
            every = Stakeholder.all_objects
            matching = (
                every.filter(prefix_q("search_last_name", key))
                .order_by()
                .values("id")
                .union(
                    every.filter(prefix_q("search_name", key)).order_by().values("id"),
                    every.filter(prefix_q("email", key)).order_by().values("id"),
                )
            )
            queryset = queryset.filter(id__in=matching)
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.department:
            queryset = queryset.filter(department__iexact=self.department)
        return queryset

    def is_filtered(self) -> bool:
        return bool(self.q or self.status or self.department)
