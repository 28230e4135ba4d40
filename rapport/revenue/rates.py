"""Conversion into the company currency, at the rate in force on a day.

The rate in force on a day is the one with the latest ``effective_date`` on or before it. The
company currency converts at 1 and needs no rate. A currency with no rate on or before the day
cannot be converted: the figure is refused, never reported at a guessed rate.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from rapport.revenue.models import ExchangeRate

CENT = Decimal("0.01")


def company_currency() -> str:
    return str(settings.RAPPORT_CURRENCY)


def missing_rate(currency: str, day: datetime.date, *, field: str = "currency") -> ValidationError:
    return ValidationError(
        {
            field: _(
                "There is no exchange rate for %(currency)s on %(date)s: add one under "
                "Exchange rates first."
            )
            % {"currency": currency, "date": day.isoformat()}
        },
        code="missing_rate",
    )


class RateTable:
    """The rates of some currencies, loaded once, for converting many figures."""

    def __init__(self, currencies: Iterable[str] | None = None) -> None:
        rows = ExchangeRate.objects.order_by("currency", "effective_date")
        if currencies is not None:
            rows = rows.filter(currency__in=set(currencies))
        self._days: dict[str, list[datetime.date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, day, rate in rows.values_list("currency", "effective_date", "rate"):
            self._days.setdefault(currency, []).append(day)
            self._rates.setdefault(currency, []).append(rate)

    def rate(self, currency: str, day: datetime.date) -> Decimal | None:
        if currency == company_currency():
            return Decimal(1)
        days = self._days.get(currency, [])
        index = bisect.bisect_right(days, day)
        return self._rates[currency][index - 1] if index else None

    def convert(
        self, amount: Decimal, currency: str, day: datetime.date, *, field: str = "currency"
    ) -> Decimal:
        rate = self.rate(currency, day)
        if rate is None:
            raise missing_rate(currency, day, field=field)
        return (amount * rate).quantize(CENT)


def to_company(
    amount: Decimal, currency: str, day: datetime.date, *, field: str = "currency"
) -> Decimal:
    """One figure in the company currency, at the rate in force on ``day``."""
    return RateTable([currency]).convert(amount, currency, day, field=field)
