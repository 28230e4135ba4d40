"""The account filter, used by the list page and the API alike."""

from __future__ import annotations

from django.db.models import F, OrderBy, QuerySet
from ninja import Schema
from pydantic import Field

from rapport.accounts.choices import AccountSort, Industry, LifecycleStage, Segment, Tier
from rapport.accounts.models import Account
from rapport.core.api import RecordId
from rapport.core.db import prefix_q
from rapport.core.text import search_key


class AccountFilter(Schema):
    q: str = Field(
        default="", max_length=200, description="Name prefix (accents and case ignored)."
    )
    owner: RecordId | None = Field(default=None, description="Account manager's user id.")
    tier: Tier | None = None
    lifecycle_stage: LifecycleStage | None = None
    industry: Industry | None = None
    segment: Segment | None = None
    parent: RecordId | None = Field(default=None, description="Only subsidiaries of this account.")
    archived: bool = Field(
        default=False, description="Show archived accounts instead of active ones."
    )
    sort: AccountSort = AccountSort.NAME

    def apply(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        queryset = queryset.filter(is_archived=self.archived)
        key = search_key(self.q)
        if key:
            queryset = queryset.filter(prefix_q("search_name", key))
        if self.owner is not None:
            queryset = queryset.filter(owner_id=self.owner)
        if self.tier:
            queryset = queryset.filter(tier=self.tier)
        if self.lifecycle_stage:
            queryset = queryset.filter(lifecycle_stage=self.lifecycle_stage)
        if self.industry:
            queryset = queryset.filter(industry=self.industry)
        if self.segment:
            queryset = queryset.filter(segment=self.segment)
        if self.parent is not None:
            queryset = queryset.filter(parent_id=self.parent)
        return queryset.order_by(*self.ordering())

    def ordering(self) -> list[str | OrderBy]:
        sort = self.sort.value
        if sort in {"name", "-name"}:
            direction = "-" if sort.startswith("-") else ""
            return [f"{direction}search_name", f"{direction}id"]
        if sort == "-employees":
            return [F("employees").desc(nulls_last=True), "search_name", "id"]
        return [sort, "search_name", "id"]

    def is_filtered(self) -> bool:
        return bool(
            self.q
            or self.owner
            or self.tier
            or self.lifecycle_stage
            or self.industry
            or self.segment
            or self.parent
            or self.archived
        )
