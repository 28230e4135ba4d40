"""The account filter, used by the list page and the API alike."""

from __future__ import annotations

from django.apps import apps
from django.db.models import F, OrderBy, QuerySet, Value
from django.db.models.functions import Coalesce
from pydantic import Field, field_validator

from rapport.accounts.choices import AccountSort, Industry, LifecycleStage, Segment, Tier
from rapport.accounts.models import Account
from rapport.core.api import InputSchema, RecordId
from rapport.core.db import prefix_q
from rapport.core.text import search_key


class AccountFilter(InputSchema):
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
    risk: str = Field(
        default="",
        max_length=40,
        description="Only accounts with this relationship risk, e.g. no_champion or "
        "single_threaded (the account map's risk flags).",
    )
    sort: AccountSort = AccountSort.NAME

    @field_validator("risk")
    @classmethod
    def _known_risk(cls, value: str) -> str:
        known = _risk_flag_values()
        if value and value not in known:
            raise ValueError(f"Unknown risk; choose among: {', '.join(known)}.")
        return value

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
        if self.risk:
            # Every stored coverage is at least 0, so the second condition filters nothing; it
            # gives the planner an indexed range on the summaries, so SQLite counts the matches
            # from there instead of looking up a summary for each account (a third of the time).
            queryset = queryset.filter(
                map_summary__risk_flags__has=self.risk, map_summary__coverage__gte=0
            )
        return queryset.order_by(*self.ordering())

    def ordering(self) -> list[str | OrderBy]:
        sort = self.sort.value
        if sort in {"name", "-name"}:
            direction = "-" if sort.startswith("-") else ""
            return [f"{direction}search_name", f"{direction}id"]
        if sort in {"coverage", "-coverage"}:
            # An account not assessed yet has no summary row and counts as not covered at all.
            # Filtered by a risk, every account listed has one: the bare column then lets the
            # database walk the coverage index and stop at the first page.
            coverage = (
                F("map_summary__coverage")
                if self.risk
                else Coalesce(F("map_summary__coverage"), Value(0))
            )
            ordered = coverage.desc() if sort.startswith("-") else coverage.asc()
            return [ordered, "search_name", "id"]
        if sort in {"last_contact", "-last_contact"}:
            # An account nobody has talked to yet is the quietest of all.
            contact = F("last_contact_at")
            ordered = (
                contact.desc(nulls_last=True)
                if sort.startswith("-")
                else contact.asc(nulls_first=True)
            )
            return [ordered, "search_name", "id"]
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
            or self.risk
        )


def _risk_flag_values() -> list[str]:
    """The risk flags of the account map summary, found through the ORM by name."""
    # Accounts sit below the account maps in the layers and may not import them; the summary is
    # reached the way the filter's lookups reach it, by its relation's name.
    summary = apps.get_model("accountmaps", "AccountMapSummary")
    field = summary._meta.get_field("risk_flags")
    return list(getattr(field, "option_values", []))
