"""Salesforce's way of writing values in a Data Export, read into Python values.

Each parser takes the text of one cell (already stripped by the caller or not) and returns the
value or raises ``BadValue`` with a translated message meant for the problem report.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from django.utils import timezone
from django.utils.translation import gettext as _

T = TypeVar("T")


class BadValue(ValueError):
    """A cell that cannot be read as the value its column holds."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        # The column of the cell, when read through ``read_cell``: the report names it.
        self.column = ""


def read_cell(row: Mapping[str, str], column: str, parse: Callable[[str], T]) -> T | None:
    """A cell of ``row`` read by ``parse``; None when empty. A ``BadValue`` names the column."""
    text = row.get(column, "").strip()
    if not text:
        return None
    try:
        return parse(text)
    except BadValue as error:
        error.column = column
        raise


_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})
# 2024-01-31T10:00:00.000Z, 2024-01-31T10:00:00.000+0000, 2024-01-31 10:00:00, …+01:00.
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def parse_date(text: str) -> datetime.date:
    """A date written YYYY-MM-DD (a datetime's date part is accepted too)."""
    value = text.strip()
    try:
        if len(value) < 10 or (len(value) > 10 and value[10] not in "T "):
            return _no_date(value)
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return _no_date(value)


def _no_date(value: str) -> datetime.date:
    raise BadValue(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": _shown(value)})


def parse_datetime(text: str) -> datetime.datetime:
    """A moment, in Salesforce's forms; without a zone it is UTC, as Data Export writes it."""
    value = text.strip()
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise BadValue(
            _("“%(value)s” is not a date and time (YYYY-MM-DDThh:mm:ss.000Z).")
            % {"value": _shown(value)}
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tzinfo: datetime.tzinfo = datetime.UTC
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tzinfo = datetime.timezone(sign * offset)
    try:
        moment = datetime.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=tzinfo,
        )
    except ValueError:
        raise BadValue(
            _("“%(value)s” is not a real date and time.") % {"value": _shown(value)}
        ) from None
    return moment.astimezone(datetime.UTC)


def noon(day: datetime.date) -> datetime.datetime:
    """A day with no time of its own, placed at noon in the server's zone."""
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_default_timezone())


def parse_bool(text: str) -> bool:
    """true/false or 1/0 in any case; an empty cell is false."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadValue(_("“%(value)s” is not true or false.") % {"value": _shown(text.strip())})


def parse_decimal(text: str) -> Decimal:
    """A number with a dot for decimals, as Salesforce exports it."""
    value = text.strip()
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise BadValue(_("“%(value)s” is not a number.") % {"value": _shown(value)})
    return number


def parse_int(text: str) -> int:
    """A whole number; "12.0", which Salesforce writes for number fields, is 12."""
    number = parse_decimal(text)
    if number != number.to_integral_value():
        raise BadValue(_("“%(value)s” is not a whole number.") % {"value": _shown(text.strip())})
    return int(number)
