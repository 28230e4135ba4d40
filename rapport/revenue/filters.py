"""The revenue filters, used by the list pages, the dashboard and the API alike."""

from __future__ import annotations

import datetime
from typing import Literal

from django.db.models import Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import Field, model_validator

from rapport.accounts.choices import Segment, Tier
from rapport.accounts.models import Account
from rapport.core.api import Day, InputSchema, RecordId
from rapport.core.db import prefix_q
from rapport.core.text import search_key
from rapport.revenue.choices import (
    ContractStatus,
    ForecastCategory,
    OpportunityStatus,
    OpportunityType,
)
from rapport.revenue.metrics import MetricsFilter, month_end
from rapport.revenue.models import Contract, ContractLine, Opportunity, Product


class ContractFilter(InputSchema):
    q: str = Field(default="", max_length=200, description="Words the reference contains.")
    account: RecordId | None = Field(default=None, description="Only this account's contracts.")
    owner: RecordId | None = Field(default=None, description="Accounts this user manages.")
    status: ContractStatus | None = None
    currency: str = Field(default="", max_length=3, description="A three-letter currency code.")
    product: RecordId | None = Field(default=None, description="Holding this product at any time.")
    ends_after: Day | None = Field(default=None, description="Ending on or after this day.")
    ends_before: Day | None = Field(default=None, description="Ending on or before this day.")
    auto_renew: bool | None = Field(default=None, description="Only tacit renewals (or none).")

    def apply(self, queryset: QuerySet[Contract]) -> QuerySet[Contract]:
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.owner is not None:
            queryset = queryset.filter(account__owner_id=self.owner)
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.currency.strip():
            queryset = queryset.filter(currency=self.currency.strip().upper())
        if self.product is not None:
            queryset = queryset.filter(
                pk__in=ContractLine.objects.filter(product_id=self.product).values("contract_id")
            )
        if self.ends_after is not None:
            queryset = queryset.filter(end_date__gte=self.ends_after)
        if self.ends_before is not None:
            queryset = queryset.filter(end_date__lte=self.ends_before)
        if self.auto_renew is not None:
            queryset = queryset.filter(auto_renew=self.auto_renew)
        if self.q.strip():
            queryset = queryset.filter(reference__icontains=self.q.strip())
        return queryset.order_by("end_date", "id")

    def is_filtered(self) -> bool:
        return bool(
            self.q.strip()
            or self.account
            or self.owner
            or self.status
            or self.currency.strip()
            or self.product
            or self.ends_after
            or self.ends_before
            or self.auto_renew is not None
        )


class OpportunityFilter(InputSchema):
    q: str = Field(default="", max_length=200, description="Words the name contains.")
    account: RecordId | None = Field(default=None, description="Only this account's.")
    owner: Literal["me"] | RecordId | None = Field(
        default=None, description="A user id or “me”; everyone's when absent."
    )
    type: OpportunityType | None = None
    status: OpportunityStatus | Literal["any"] = Field(
        default=OpportunityStatus.OPEN, description="A status (open by default) or “any”."
    )
    stage: RecordId | None = None
    forecast_category: ForecastCategory | None = None
    tier: Tier | None = Field(default=None, description="The account's tier.")
    segment: Segment | None = Field(default=None, description="The account's segment.")
    closes_after: Day | None = Field(default=None, description="Closing on or after this day.")
    closes_before: Day | None = Field(default=None, description="Closing on or before this day.")

    def apply(self, queryset: QuerySet[Opportunity], *, user_id: int) -> QuerySet[Opportunity]:
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.owner == "me":
            queryset = queryset.filter(owner_id=user_id)
        elif self.owner is not None:
            queryset = queryset.filter(owner_id=self.owner)
        if self.type:
            queryset = queryset.filter(type=self.type)
        if self.status != "any":
            queryset = queryset.filter(status=self.status)
        if self.stage is not None:
            queryset = queryset.filter(stage_id=self.stage)
        if self.forecast_category:
            queryset = queryset.filter(forecast_category=self.forecast_category)
        if self.tier:
            queryset = queryset.filter(account__tier=self.tier)
        if self.segment:
            queryset = queryset.filter(account__segment=self.segment)
        if self.closes_after is not None:
            queryset = queryset.filter(close_date__gte=self.closes_after)
        if self.closes_before is not None:
            queryset = queryset.filter(close_date__lte=self.closes_before)
        if self.q.strip():
            words = self.q.strip()
            queryset = queryset.filter(Q(name__icontains=words) | Q(account__name__icontains=words))
        return queryset.order_by("close_date", "id")

    def is_filtered(self) -> bool:
        return bool(
            self.q.strip()
            or self.account
            or self.owner
            or self.type
            or self.status != OpportunityStatus.OPEN
            or self.stage
            or self.forecast_category
            or self.tier
            or self.segment
            or self.closes_after
            or self.closes_before
        )


# Ten years of months is as far back as a chart goes; it bounds the size of the query too.
MAX_PERIOD_DAYS = 3660


def _twelve_months_ago() -> datetime.date:
    """The first day of the month eleven months back: with this one, twelve months."""
    first = timezone.localdate().replace(day=1)
    if first.month == 12:
        return first.replace(month=1)
    return first.replace(year=first.year - 1, month=first.month + 1)


class MetricsQuery(InputSchema):
    """A period and the accounts it covers; by default the last twelve months, to date."""

    start: Day | None = Field(
        default=None, description="First day of the period (default: twelve months back)."
    )
    end: Day | None = Field(default=None, description="Last day of the period (default: today).")
    owner: RecordId | None = Field(default=None, description="Accounts this user manages.")
    tier: Tier | None = None
    segment: Segment | None = None

    @model_validator(mode="after")
    def _period_makes_sense(self) -> MetricsQuery:
        start, end = self.period()
        if end < start:
            raise ValueError("The period ends before it starts.")
        if (end - start).days > MAX_PERIOD_DAYS:
            raise ValueError("The period is longer than ten years.")
        return self

    def period(self) -> tuple[datetime.date, datetime.date]:
        end = self.end or timezone.localdate()
        start = self.start or _twelve_months_ago()
        return start, end

    def metrics_filter(self) -> MetricsFilter:
        return MetricsFilter(owner_id=self.owner, tier=self.tier or "", segment=self.segment or "")

    def is_filtered(self) -> bool:
        return bool(self.owner or self.tier or self.segment)


def whole_months(start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period stretched to whole months, as the charts draw them."""
    return start.replace(day=1), month_end(end)


# Catalogue ----------------------------------------------------------------------------------


class ProductState(TextChoices):
    """Which products the list shows: on sale (the default), withdrawn, or both."""

    ACTIVE = "active", _("On sale")
    INACTIVE = "inactive", _("No longer sold")
    ALL = "all", _("On sale and withdrawn")


class ProductFilter(InputSchema):
    """Which products the catalogue shows."""

    q: str = Field(default="", max_length=200, description="Words the name or code contains.")
    family: RecordId | None = Field(default=None, description="Only this family's products.")
    state: ProductState = ProductState.ACTIVE

    def apply(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.family is not None:
            queryset = queryset.filter(family_id=self.family)
        if self.state == ProductState.ACTIVE:
            queryset = queryset.filter(is_active=True)
        elif self.state == ProductState.INACTIVE:
            queryset = queryset.filter(is_active=False)
        words = self.q.strip()
        if words:
            queryset = queryset.filter(Q(name__icontains=words) | Q(code__icontains=words))
        return queryset.order_by("family__position", "family__name", "search_name", "id")

    def is_filtered(self) -> bool:
        return bool(self.q.strip() or self.family or self.state != ProductState.ACTIVE)


# White space --------------------------------------------------------------------------------


class WhiteSpaceFilter(InputSchema):
    """Which accounts the white-space matrix lists: live ones, by name, narrowed so."""

    q: str = Field(
        default="", max_length=200, description="Name prefix (accents and case ignored)."
    )
    owner: Literal["me"] | RecordId | None = Field(
        default=None, description="A user id or “me”; everyone's accounts when absent."
    )
    tier: Tier | None = Field(default=None, description="The account's tier.")
    segment: Segment | None = Field(default=None, description="The account's segment.")

    def apply(self, queryset: QuerySet[Account], *, user_id: int) -> QuerySet[Account]:
        queryset = queryset.filter(is_archived=False)
        key = search_key(self.q)
        if key:
            queryset = queryset.filter(prefix_q("search_name", key))
        if self.owner == "me":
            queryset = queryset.filter(owner_id=user_id)
        elif self.owner is not None:
            queryset = queryset.filter(owner_id=self.owner)
        if self.tier:
            queryset = queryset.filter(tier=self.tier)
        if self.segment:
            queryset = queryset.filter(segment=self.segment)
        return queryset.order_by("search_name", "id")

    def is_filtered(self) -> bool:
        return bool(self.q.strip() or self.owner or self.tier or self.segment)
