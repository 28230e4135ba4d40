"""Retention metrics, computed in the database from contract lines.

The formulas, with a worked example, are in docs/revenue-metrics.md; in short:

- an account's ARR on a day is the sum of the company-currency annual values of its lines in
  force that day (lines of cancelled contracts never count); MRR is ARR / 12;
- a period is cut into calendar months; each month compares every account's ARR at the end of
  the day before the month (or the period) starts with its ARR on the month's last day (or the
  period's) and files the difference under exactly one heading: new (no ARR before, and none
  ever), reactivation (no ARR before, but some once), expansion (up), contraction (down, not to
  nothing) or churn (down to nothing), so ending = starting + new + reactivation + expansion
  - contraction - churn, month by month;
- over the whole period, the cohort is the accounts with ARR the day before it starts: gross
  revenue retention is the sum over the cohort of min(ending, starting) over their starting ARR,
  net revenue retention the sum of their ending ARR over their starting ARR, and logo retention
  the share of the cohort still with ARR at the end.

Each figure is one query whatever the size of the book: the inner query groups the lines by
account with one conditional sum per snapshot day, and the outer one adds up the headings.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, Count, DecimalField, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth

from rapport.revenue.choices import ContractStatus, ForecastCategory, OpportunityStatus
from rapport.revenue.choices import OpportunityType as Type
from rapport.revenue.models import ContractLine, Opportunity

CENT = Decimal("0.01")
# ARR below half a cent is nothing: SQLite adds decimals as binary floats. A float, so that
# SQLite compares it as a number (it would compare a Decimal, sent as text, as text).
NOTHING = 0.005
ONE_DAY = datetime.timedelta(days=1)
WON, LOST = "won", "lost"


@dataclass(frozen=True)
class MetricsFilter:
    """Which accounts the figures cover, by their manager, tier and segment as they are now."""

    owner_id: int | None = None
    tier: str = ""
    segment: str = ""

    def account_filters(self, prefix: str) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        if self.owner_id is not None:
            filters[f"{prefix}owner_id"] = self.owner_id
        if self.tier:
            filters[f"{prefix}tier"] = self.tier
        if self.segment:
            filters[f"{prefix}segment"] = self.segment
        return filters


EVERYTHING = MetricsFilter()


def money(value: Any) -> Decimal:
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT)


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def counting_lines(filters: MetricsFilter = EVERYTHING) -> QuerySet[ContractLine]:
    """The lines that make revenue: those of contracts that were not cancelled."""
    return ContractLine.objects.exclude(contract__status=ContractStatus.CANCELLED).filter(
        **filters.account_filters("contract__account__")
    )


def arr_at(*, day: datetime.date, filters: MetricsFilter = EVERYTHING) -> Decimal:
    """Annual recurring revenue on a day, in the company currency."""
    total = (
        counting_lines(filters)
        .filter(start_date__lte=day, end_date__gte=day)
        .aggregate(total=Sum("annual_value_company"))["total"]
    )
    return money(total)


def mrr_at(*, day: datetime.date, filters: MetricsFilter = EVERYTHING) -> Decimal:
    return (arr_at(day=day, filters=filters) / 12).quantize(CENT)


def arr_by_account(*, account_ids: Sequence[int], day: datetime.date) -> dict[int, Decimal]:
    """Each account's ARR on a day (accounts with none are left out)."""
    rows = (
        counting_lines()
        .filter(contract__account_id__in=account_ids, start_date__lte=day, end_date__gte=day)
        .values_list("contract__account_id")
        .annotate(total=Sum("annual_value_company"))
    )
    return {account_id: money(total) for account_id, total in rows}


# The bridge ---------------------------------------------------------------------------------


def month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - ONE_DAY


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of the months from ``first``'s to ``last``'s, both included."""
    months = []
    current = first.replace(day=1)
    while current <= last:
        months.append(current)
        current = month_end(current) + ONE_DAY
    return months


@dataclass
class BridgeMonth:
    """One month of the period: the ARR it started and ended with, and why it moved."""

    month: datetime.date
    starting: Decimal
    new: Decimal
    reactivation: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    ending: Decimal
    new_logos: int = 0
    churned_logos: int = 0

    @property
    def net_change(self) -> Decimal:
        return self.ending - self.starting


@dataclass
class RetentionReport:
    """The figures of one period, for the accounts the filter covers."""

    start: datetime.date
    end: datetime.date
    months: list[BridgeMonth] = field(default_factory=list)
    starting_arr: Decimal = Decimal("0.00")
    ending_arr: Decimal = Decimal("0.00")
    cohort_arr: Decimal = Decimal("0.00")
    cohort_retained_arr: Decimal = Decimal("0.00")
    cohort_ending_arr: Decimal = Decimal("0.00")
    cohort_logos: int = 0
    retained_logos: int = 0

    @property
    def gross_revenue_retention(self) -> Decimal | None:
        return percent(self.cohort_retained_arr, self.cohort_arr)

    @property
    def net_revenue_retention(self) -> Decimal | None:
        return percent(self.cohort_ending_arr, self.cohort_arr)

    @property
    def logo_retention(self) -> Decimal | None:
        return percent(self.retained_logos, self.cohort_logos)

    @property
    def starting_mrr(self) -> Decimal:
        return (self.starting_arr / 12).quantize(CENT)

    @property
    def ending_mrr(self) -> Decimal:
        return (self.ending_arr / 12).quantize(CENT)

    def total(self, heading: str) -> Decimal:
        return sum((getattr(month, heading) for month in self.months), Decimal("0.00"))


def snapshot_days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The day before the period, then the last day of each month (the period's last day)."""
    return [start - ONE_DAY, *(min(month_end(month), end) for month in months_between(start, end))]


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def retention(
    *, start: datetime.date, end: datetime.date, filters: MetricsFilter = EVERYTHING
) -> RetentionReport:
    """The retention bridge month by month, and GRR, NRR and logo retention over the period."""
    if end < start:
        raise ValueError("The period ends before it starts.")
    days = snapshot_days(start, end)
    money_field: Any = DecimalField(max_digits=20, decimal_places=2)
    columns: dict[str, Any] = {}
    for index, day in enumerate(days):
        # ARR on the day, and whether the account had any line begun by then.
        columns[f"arr_{index}"] = Sum(
            Case(
                When(start_date__lte=day, end_date__gte=day, then="annual_value_company"),
                default=Value(Decimal(0)),
                output_field=money_field,
            )
        )
        columns[f"began_{index}"] = Sum(
            Case(When(start_date__lte=day, then=Value(1)), default=Value(0)),
            output_field=IntegerField(),
        )
    inner = (
        counting_lines(filters)
        .filter(start_date__lte=days[-1])
        .values("contract__account_id")
        .annotate(**columns)
        .order_by()
    )
    inner_sql, inner_params = inner.query.sql_with_params()

    def arr(index: int) -> str:
        return _quoted(f"arr_{index}")

    def began(index: int) -> str:
        return _quoted(f"began_{index}")

    nothing = "%s"
    selects: list[str] = []
    params: list[Any] = []

    def add(expression: str) -> None:
        selects.append(expression)
        params.extend([NOTHING] * expression.count(nothing))

    for index in range(1, len(days)):
        before, after = arr(index - 1), arr(index)
        absent, present = f"{before} <= {nothing}", f"{after} > {nothing}"
        add(f"SUM({before})")
        add(
            f"SUM(CASE WHEN {absent} AND {present} AND {began(index - 1)} = 0 "
            f"THEN {after} ELSE 0 END)"
        )
        add(
            f"SUM(CASE WHEN {absent} AND {present} AND {began(index - 1)} > 0 "
            f"THEN {after} ELSE 0 END)"
        )
        add(
            f"SUM(CASE WHEN {before} > {nothing} AND {after} > {before} + {nothing} "
            f"THEN {after} - {before} ELSE 0 END)"
        )
        add(
            f"SUM(CASE WHEN {before} > {nothing} AND {present} AND {after} < {before} - {nothing} "
            f"THEN {before} - {after} ELSE 0 END)"
        )
        add(
            f"SUM(CASE WHEN {before} > {nothing} AND {after} <= {nothing} THEN {before} ELSE 0 END)"
        )
        add(f"SUM({after})")
        add(f"SUM(CASE WHEN {absent} AND {present} AND {began(index - 1)} = 0 THEN 1 ELSE 0 END)")
        add(f"SUM(CASE WHEN {before} > {nothing} AND {after} <= {nothing} THEN 1 ELSE 0 END)")
    first, last = arr(0), arr(len(days) - 1)
    in_cohort = f"{first} > {nothing}"
    add(f"SUM(CASE WHEN {in_cohort} THEN {first} ELSE 0 END)")
    add(
        f"SUM(CASE WHEN {in_cohort} THEN (CASE WHEN {last} < {first} THEN {last} ELSE {first} END) "
        f"ELSE 0 END)"
    )
    add(f"SUM(CASE WHEN {in_cohort} THEN {last} ELSE 0 END)")
    add(f"SUM(CASE WHEN {in_cohort} THEN 1 ELSE 0 END)")
    add(f"SUM(CASE WHEN {in_cohort} AND {last} > {nothing} THEN 1 ELSE 0 END)")
    sql = f"SELECT {', '.join(selects)} FROM ({inner_sql}) per_account"  # noqa: S608 - built from our own names
    with connection.cursor() as cursor:
        # The outer placeholders come first in the text, then the inner query's.
        cursor.execute(sql, [*params, *inner_params])
        row = cursor.fetchone()
    return _report(start, end, days, row)


def _report(
    start: datetime.date, end: datetime.date, days: list[datetime.date], row: Sequence[Any] | None
) -> RetentionReport:
    values = list(row or [])
    report = RetentionReport(start=start, end=end)
    per_month = 9
    for index, month in enumerate(months_between(start, end)):
        chunk = values[index * per_month : (index + 1) * per_month]
        starting, new, reactivation, expansion, contraction, churn, ending, logos, lost = chunk
        report.months.append(
            BridgeMonth(
                month=month,
                starting=money(starting),
                new=money(new),
                reactivation=money(reactivation),
                expansion=money(expansion),
                contraction=money(contraction),
                churn=money(churn),
                ending=money(ending),
                new_logos=int(logos or 0),
                churned_logos=int(lost or 0),
            )
        )
    tail = values[len(report.months) * per_month :]
    cohort, retained, cohort_ending, logos, kept = tail
    report.cohort_arr = money(cohort)
    report.cohort_retained_arr = money(retained)
    report.cohort_ending_arr = money(cohort_ending)
    report.cohort_logos = int(logos or 0)
    report.retained_logos = int(kept or 0)
    if report.months:
        report.starting_arr = report.months[0].starting
        report.ending_arr = report.months[-1].ending
    return report


# Renewal forecast ---------------------------------------------------------------------------


@dataclass
class ForecastMonth:
    """The renewals closing in one month, by forecast category (closed ones as won or lost)."""

    month: datetime.date
    amounts: dict[str, Decimal] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def amount(self, column: str) -> Decimal:
        return self.amounts.get(column, Decimal("0.00"))

    @property
    def open_total(self) -> Decimal:
        return sum((self.amount(category) for category in ForecastCategory.values), Decimal("0.00"))


FORECAST_COLUMNS = (*ForecastCategory.values, WON, LOST)


def renewal_forecast(
    *, start: datetime.date, end: datetime.date, filters: MetricsFilter = EVERYTHING
) -> list[ForecastMonth]:
    """Renewals by the month they close and their forecast category, in the company currency."""
    rows = (
        Opportunity.objects.filter(
            type=Type.RENEWAL,
            close_date__gte=start,
            close_date__lte=end,
            **filters.account_filters("account__"),
        )
        .annotate(month=TruncMonth("close_date"))
        .values_list("month", "status", "forecast_category")
        .annotate(total=Sum("amount_company"), count=Count("id"))
        .order_by()
    )
    months = {month: ForecastMonth(month=month) for month in months_between(start, end)}
    for month, status, category, total, count in rows:
        day = month.date() if isinstance(month, datetime.datetime) else month
        column = category if status == OpportunityStatus.OPEN else status
        entry = months.setdefault(day, ForecastMonth(month=day))
        entry.amounts[column] = entry.amount(column) + money(total)
        entry.counts[column] = entry.counts.get(column, 0) + int(count)
    return [months[month] for month in sorted(months)]
