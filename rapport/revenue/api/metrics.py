"""ARR and MRR, the retention bridge with GRR, NRR and logo retention, and the renewal forecast.

The figures are those of ``rapport.revenue.metrics`` (formulas in docs/revenue-metrics.md), in
the company currency, for the accounts the owner, tier and segment filters cover.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from rapport.accounts.choices import Segment, Tier
from rapport.core.api import Day, InputSchema, RecordId
from rapport.revenue import metrics
from rapport.revenue.api.schemas import CENT, Money, Percent
from rapport.revenue.filters import MetricsQuery
from rapport.revenue.metrics import ForecastMonth, MetricsFilter, RetentionReport, month_end
from rapport.revenue.rates import company_currency
from rapport.revenue.services import add_months

router = Router(tags=["revenue"])


# ARR and MRR on a day ------------------------------------------------------------------------


class ArrQuery(InputSchema):
    date: Day | None = Field(default=None, description="The day (default: today).")
    owner: RecordId | None = Field(default=None, description="Accounts this user manages.")
    tier: Tier | None = None
    segment: Segment | None = None

    def metrics_filter(self) -> MetricsFilter:
        return MetricsFilter(owner_id=self.owner, tier=self.tier or "", segment=self.segment or "")


class ArrOut(Schema):
    date: datetime.date
    currency: str = Field(description="The company currency.")
    arr: Money = Field(description="Annual recurring revenue on the day.")
    mrr: Money = Field(description="ARR / 12.")


@router.get("/revenue/arr", response=ArrOut)
def revenue_arr(request: HttpRequest, query: Query[ArrQuery]) -> dict[str, Any]:
    """ARR and MRR on a day: the annual values of the lines in force that day."""
    day = query.date or timezone.localdate()
    arr = metrics.arr_at(day=day, filters=query.metrics_filter())
    return {
        "date": day,
        "currency": company_currency(),
        "arr": arr,
        "mrr": (arr / 12).quantize(CENT),
    }


# Retention -----------------------------------------------------------------------------------


class BridgeMonthOut(Schema):
    month: datetime.date = Field(description="Its first day.")
    starting: Money = Field(description="ARR the day before the month (or the period) starts.")
    new: Money
    reactivation: Money
    expansion: Money
    contraction: Money
    churn: Money
    ending: Money = Field(description="ARR on the month's (or the period's) last day.")
    net_change: Money
    new_logos: int
    churned_logos: int


class BridgeTotalsOut(Schema):
    new: Money
    reactivation: Money
    expansion: Money
    contraction: Money
    churn: Money


class RetentionOut(Schema):
    start: datetime.date
    end: datetime.date
    currency: str = Field(description="The company currency.")
    months: list[BridgeMonthOut]
    totals: BridgeTotalsOut
    starting_arr: Money
    ending_arr: Money
    starting_mrr: Money
    ending_mrr: Money
    gross_revenue_retention: Percent | None = Field(
        description="Percent of the cohort's starting ARR kept, expansion left out."
    )
    net_revenue_retention: Percent | None = Field(
        description="Percent of the cohort's starting ARR it ends with, expansion included."
    )
    logo_retention: Percent | None = Field(
        description="Percent of the cohort's accounts still with ARR at the end; null with no "
        "cohort."
    )
    cohort_logos: int = Field(description="Accounts with ARR the day before the period.")
    retained_logos: int
    cohort_arr: Money
    cohort_ending_arr: Money


HEADINGS = ("new", "reactivation", "expansion", "contraction", "churn")


def _retention_out(report: RetentionReport) -> dict[str, Any]:
    return {
        "start": report.start,
        "end": report.end,
        "currency": company_currency(),
        "months": report.months,
        "totals": {heading: report.total(heading) for heading in HEADINGS},
        "starting_arr": report.starting_arr,
        "ending_arr": report.ending_arr,
        "starting_mrr": report.starting_mrr,
        "ending_mrr": report.ending_mrr,
        "gross_revenue_retention": report.gross_revenue_retention,
        "net_revenue_retention": report.net_revenue_retention,
        "logo_retention": report.logo_retention,
        "cohort_logos": report.cohort_logos,
        "retained_logos": report.retained_logos,
        "cohort_arr": report.cohort_arr,
        "cohort_ending_arr": report.cohort_ending_arr,
    }


@router.get("/revenue/retention", response=RetentionOut)
def revenue_retention(request: HttpRequest, query: Query[MetricsQuery]) -> dict[str, Any]:
    """The retention bridge month by month (new, reactivation, expansion, contraction, churn)
    and GRR, NRR and logo retention over the period."""
    start, end = query.period()
    return _retention_out(metrics.retention(start=start, end=end, filters=query.metrics_filter()))


# Renewal forecast ----------------------------------------------------------------------------


def _this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


class ForecastQuery(MetricsQuery):
    """A period and the accounts it covers; by default this month and the eleven after."""

    start: Day | None = Field(
        default=None, description="First day of the period (default: this month's first)."
    )
    end: Day | None = Field(
        default=None, description="Last day of the period (default: twelve months on)."
    )

    def period(self) -> tuple[datetime.date, datetime.date]:
        start = self.start or _this_month()
        end = self.end or month_end(add_months(start.replace(day=1), 11))
        return start, end


class ForecastMonthOut(Schema):
    month: datetime.date = Field(description="Its first day.")
    commit: Money
    best_case: Money
    pipeline: Money
    omitted: Money
    won: Money
    lost: Money
    open_total: Money = Field(description="Commit, best case, pipeline and omitted.")
    counts: dict[str, int] = Field(description="Renewals per column.")


class ForecastOut(Schema):
    start: datetime.date
    end: datetime.date
    currency: str = Field(description="The company currency.")
    months: list[ForecastMonthOut]


def _forecast_month(entry: ForecastMonth) -> dict[str, Any]:
    columns = {column: entry.amount(column) for column in metrics.FORECAST_COLUMNS}
    return {
        "month": entry.month,
        **columns,
        "open_total": entry.open_total,
        "counts": {column: entry.counts.get(column, 0) for column in metrics.FORECAST_COLUMNS},
    }


@router.get("/revenue/renewal-forecast", response=ForecastOut)
def renewal_forecast(request: HttpRequest, query: Query[ForecastQuery]) -> dict[str, Any]:
    """Renewals by the month they close: open ones by forecast category, closed ones as won or
    lost, in the company currency."""
    start, end = query.period()
    months = metrics.renewal_forecast(start=start, end=end, filters=query.metrics_filter())
    return {
        "start": start,
        "end": end,
        "currency": company_currency(),
        "months": [_forecast_month(entry) for entry in months],
    }
