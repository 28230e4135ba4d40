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
account with one conditional sum per snapshot day (and the day of its first paid line), and the
outer one adds up the headings. Money and percentages are rounded half up, to the cent and to a
tenth of a percent.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    DecimalField,
    Min,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth

from rapport.revenue.choices import ContractStatus, ForecastCategory, OpportunityStatus
from rapport.revenue.choices import OpportunityType as Type
from rapport.revenue.models import Contract, ContractLine, Opportunity

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ONE_DAY = datetime.timedelta(days=1)
WON, LOST = "won", "lost"


@dataclass(frozen=True)
class MetricsFilter:
    """Which accounts the figures cover, by their manager, tier and segment as they are now.

    ``account_id`` narrows them to one account (its own figures, e.g. on its page).
    """

    owner_id: int | None = None
    tier: str = ""
    segment: str = ""
    account_id: int | None = None

    def account_filters(self, prefix: str) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        if self.account_id is not None:
            filters[f"{prefix}id"] = self.account_id
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
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def from_cents(value: Any) -> Decimal:
    return money(Decimal(int(value or 0)) / 100)


def monthly(arr: Decimal) -> Decimal:
    """MRR from ARR: a twelfth, to the cent."""
    return (arr / 12).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def counting_lines(filters: MetricsFilter = EVERYTHING) -> QuerySet[ContractLine]:
    """The lines that make revenue: those of contracts that were not cancelled.

    Cancelled contracts are few: leaving them out by a subquery spares the whole book's lines
    a join with the contracts.
    """
    cancelled = Contract.objects.filter(status=ContractStatus.CANCELLED).values("pk")
    return ContractLine.objects.exclude(contract_id__in=cancelled).filter(
        **filters.account_filters("account__")
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
    """Monthly recurring revenue on a day: ARR / 12."""
    return monthly(arr_at(day=day, filters=filters))


def arr_by_account(*, account_ids: Sequence[int], day: datetime.date) -> dict[int, Decimal]:
    """Each account's ARR on a day (accounts with none are left out)."""
    rows = (
        counting_lines()
        .filter(account_id__in=account_ids, start_date__lte=day, end_date__gte=day)
        .values_list("account_id")
        .annotate(total=Sum("annual_value_company"))
    )
    return {account_id: money(total) for account_id, total in rows}


def _arr_on(day: datetime.date) -> Sum:
    """An account's (or the book's) ARR on a day, as one conditional sum over its lines."""
    return Sum(
        Case(
            When(start_date__lte=day, end_date__gte=day, then="annual_value_company"),
            default=Value(Decimal(0)),
            output_field=DecimalField(max_digits=20, decimal_places=2),
        )
    )


def _cents_on(day: datetime.date) -> Sum:
    """An account's ARR on a day in whole cents: the bridge then adds and compares integers,
    exactly on both engines (SQLite adds decimals as binary floats) and faster."""
    return Sum(
        Case(
            When(start_date__lte=day, end_date__gte=day, then="annual_cents"),
            default=Value(0),
            output_field=BigIntegerField(),
        )
    )


def arr_series(
    days: Sequence[datetime.date], filters: MetricsFilter = EVERYTHING
) -> list[tuple[datetime.date, Decimal]]:
    """ARR on each of the days (e.g. the month ends of a chart), in one query."""
    if not days:
        return []
    totals = (
        counting_lines(filters)
        .filter(start_date__lte=max(days), end_date__gte=min(days))
        .aggregate(**{f"arr_{index}": _arr_on(day) for index, day in enumerate(days)})
    )
    return [(day, money(totals[f"arr_{index}"])) for index, day in enumerate(days)]


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
    reactivated_logos: int = 0
    starting_logos: int = 0
    ending_logos: int = 0

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
        return monthly(self.starting_arr)

    @property
    def ending_mrr(self) -> Decimal:
        return monthly(self.ending_arr)

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
    columns: dict[str, Any] = {f"arr_{index}": _cents_on(day) for index, day in enumerate(days)}
    # The first day the account had some ARR: a free line alone makes nobody a client.
    columns["first_paid"] = Min(
        Case(
            When(annual_value_company__gt=0, then="start_date"),
            default=None,
            output_field=DateField(),
        )
    )
    inner = (
        counting_lines(filters)
        .filter(start_date__lte=days[-1])
        .values("account_id")
        .annotate(**columns)
        .order_by()
    )
    inner_sql, inner_params = inner.query.sql_with_params()
    sql, params = _bridge_sql(days)
    query = f"SELECT {sql} FROM ({inner_sql}) per_account"  # noqa: S608 - built from our own names
    with connection.cursor() as cursor:
        # The outer placeholders come first in the text, then the inner query's.
        cursor.execute(query, [*params, *inner_params])
        row = cursor.fetchone()
    return _report(start, end, days, row)


# The outer query's columns: per snapshot day, then per month, then for the cohort.
PER_DAY = ("total", "logos")
PER_MONTH = (
    "new",
    "reactivation",
    "expansion",
    "contraction",
    "churn",
    "new_logos",
    "reactivated_logos",
    "churned_logos",
)
COHORT = ("cohort", "retained", "cohort_ending", "cohort_logos", "kept_logos")


def _bridge_sql(days: Sequence[datetime.date]) -> tuple[str, list[Any]]:
    """The outer query's select list (PER_DAY for each day, PER_MONTH for each month, then
    COHORT) and its parameters."""
    first_paid = _quoted("first_paid")

    def arr(index: int) -> str:
        return _quoted(f"arr_{index}")

    selects: list[str] = []
    params: list[Any] = []
    for index in range(len(days)):
        selects += [f"SUM({arr(index)})", f"SUM(CASE WHEN {arr(index)} > 0 THEN 1 END)"]
    for index in range(1, len(days)):
        before, after = arr(index - 1), arr(index)
        arriving = f"{before} = 0 AND {after} > 0"
        new = f"{arriving} AND {first_paid} > %s"
        back = f"{arriving} AND {first_paid} <= %s"
        up = f"{before} > 0 AND {after} > {before}"
        down = f"{after} > 0 AND {after} < {before}"
        leaving = f"{before} > 0 AND {after} = 0"
        selects += [
            f"SUM(CASE WHEN {new} THEN {after} END)",
            f"SUM(CASE WHEN {back} THEN {after} END)",
            f"SUM(CASE WHEN {up} THEN {after} - {before} END)",
            f"SUM(CASE WHEN {down} THEN {before} - {after} END)",
            f"SUM(CASE WHEN {leaving} THEN {before} END)",
            f"SUM(CASE WHEN {new} THEN 1 END)",
            f"SUM(CASE WHEN {back} THEN 1 END)",
            f"SUM(CASE WHEN {leaving} THEN 1 END)",
        ]
        # The day before the month (or the period): "had ARR once" means a paid line by then.
        eve = connection.ops.adapt_datefield_value(days[index - 1])
        params += [eve, eve, eve, eve]
    first, last = arr(0), arr(len(days) - 1)
    in_cohort = f"{first} > 0"
    kept = f"CASE WHEN {last} < {first} THEN {last} ELSE {first} END"
    selects += [
        f"SUM(CASE WHEN {in_cohort} THEN {first} END)",
        f"SUM(CASE WHEN {in_cohort} THEN {kept} END)",
        f"SUM(CASE WHEN {in_cohort} THEN {last} END)",
        f"SUM(CASE WHEN {in_cohort} THEN 1 END)",
        f"SUM(CASE WHEN {in_cohort} AND {last} > 0 THEN 1 END)",
    ]
    return ", ".join(selects), params


def _report(
    start: datetime.date, end: datetime.date, days: list[datetime.date], row: Sequence[Any] | None
) -> RetentionReport:
    values = list(row or [None] * (len(days) * (len(PER_DAY) + len(PER_MONTH)) + len(COHORT)))
    per_day = values[: len(days) * len(PER_DAY)]
    totals = [from_cents(value) for value in per_day[0::2]]
    logos = [int(value or 0) for value in per_day[1::2]]
    rest = values[len(per_day) :]
    report = RetentionReport(start=start, end=end)
    for index, month in enumerate(months_between(start, end)):
        chunk = dict(
            zip(PER_MONTH, rest[index * len(PER_MONTH) : (index + 1) * len(PER_MONTH)], strict=True)
        )
        report.months.append(
            BridgeMonth(
                month=month,
                starting=totals[index],
                new=from_cents(chunk["new"]),
                reactivation=from_cents(chunk["reactivation"]),
                expansion=from_cents(chunk["expansion"]),
                contraction=from_cents(chunk["contraction"]),
                churn=from_cents(chunk["churn"]),
                ending=totals[index + 1],
                new_logos=int(chunk["new_logos"] or 0),
                churned_logos=int(chunk["churned_logos"] or 0),
                reactivated_logos=int(chunk["reactivated_logos"] or 0),
                starting_logos=logos[index],
                ending_logos=logos[index + 1],
            )
        )
    cohort = dict(zip(COHORT, rest[len(report.months) * len(PER_MONTH) :], strict=True))
    report.cohort_arr = from_cents(cohort["cohort"])
    report.cohort_retained_arr = from_cents(cohort["retained"])
    report.cohort_ending_arr = from_cents(cohort["cohort_ending"])
    report.cohort_logos = int(cohort["cohort_logos"] or 0)
    report.retained_logos = int(cohort["kept_logos"] or 0)
    report.starting_arr = totals[0]
    report.ending_arr = totals[-1]
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
