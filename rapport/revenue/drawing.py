"""The revenue charts, drawn as SVG on the server: ARR over time, the retention bridge, renewals.

Each chart is a plain SVG document placed in the page: a title and a description for screen
readers, every figure also written as text (a tooltip per bar or point, axis labels in the
reader's number format), and colours taken from CSS classes (``app.css``), as the page's CSP
allows no style attribute. A page shows the same figures in a table beside each chart, which is
the accessible way to read them. Nothing in a chart is a link or a script, and every text it
places is escaped.

Bars and points carry their figure in ``data-value`` (and their month or day), so tests and
scripts can read what was drawn without measuring it.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from rapport.accountmaps.drawing import FONT_FAMILY, text_width
from rapport.core.svg import escape as _escape
from rapport.core.svg import number as _number
from rapport.core.svg import tag as _tag
from rapport.core.svg import title as _title
from rapport.revenue.choices import ForecastCategory
from rapport.revenue.metrics import LOST, WON, BridgeMonth, ForecastMonth, month_end
from rapport.revenue.rates import company_currency

WIDTH = 760
PADDING = 16
TOP = 18
PLOT_HEIGHT = 200
AXIS_HEIGHT = 34
LEGEND_ROW = 22
EMPTY_HEIGHT = 120
TICK_SIZE = 10.5
LEGEND_SIZE = 11
# A month label needs this much room; months are labelled every so many to keep it.
MONTH_LABEL_ROOM = 50
BAR_SHARE = 0.62
POINT_RADIUS = 3.5


# Numbers as text -----------------------------------------------------------------------------


def amount_text(value: Decimal | int | float, *, decimals: int | None = None) -> str:
    """A figure in the reader's number format: grouped, with cents only when it has some."""
    figure = Decimal(str(value))
    if decimals is None:
        decimals = 0 if figure == figure.to_integral_value() else 2
    return formats.number_format(
        figure.quantize(Decimal(1).scaleb(-decimals)),
        decimal_pos=decimals,
        use_l10n=True,
        force_grouping=True,
    )


def money_text(
    value: Decimal | int | float, currency: str | None = None, *, decimals: int | None = None
) -> str:
    """A figure with its currency, e.g. “12,500 EUR” (“12 500 EUR” in French)."""
    return _("%(amount)s %(currency)s") % {
        "amount": amount_text(value, decimals=decimals),
        "currency": currency or company_currency(),
    }


def _date(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _month(day: datetime.date) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


# Scales --------------------------------------------------------------------------------------


def nice_step(span: float, count: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that cuts ``span`` in about ``count``."""
    raw = span / count if span > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    factors = (1.0, 2.0, 2.5, 5.0, 10.0) if magnitude >= 10 else (1.0, 2.0, 5.0, 10.0)
    for factor in factors:
        if raw <= factor * magnitude:
            return max(factor * magnitude, 1.0)
    return max(10 * magnitude, 1.0)


@dataclass(frozen=True)
class ValueScale:
    """The value axis: from ``low`` (zero or below) to ``high`` (zero or above), in ``step``s."""

    low: float
    high: float
    step: float
    top: float
    bottom: float

    @classmethod
    def around(cls, values: Sequence[float], *, top: float, bottom: float) -> ValueScale:
        smallest, largest = min([0.0, *values]), max([0.0, *values])
        step = nice_step(largest - smallest)
        low = math.floor(smallest / step) * step
        high = math.ceil(largest / step) * step
        if high == low:
            high = low + step
        return cls(low=low, high=high, step=step, top=top, bottom=bottom)

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return self.bottom - share * (self.bottom - self.top)

    @property
    def ticks(self) -> list[float]:
        count = round((self.high - self.low) / self.step)
        return [self.low + index * self.step for index in range(count + 1)]

    def label_width(self) -> float:
        return max(text_width(amount_text(round(tick)), TICK_SIZE) for tick in self.ticks)


def _plot_left(scale: ValueScale) -> float:
    return PADDING + scale.label_width() + 8


# The document --------------------------------------------------------------------------------


def _document(
    *, kind: str, id_prefix: str, title: str, description: str, body: str, height: float
) -> str:
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_number(height)}"'
        f' width="{WIDTH}" height="{_number(height)}" role="img"'
        f' aria-labelledby="{title_id} {desc_id}" font-family="{_escape(FONT_FAMILY)}"'
        f' class="revenue-chart chart-{kind}">'
        f'<title id="{title_id}">{_escape(title)}</title>'
        f'<desc id="{desc_id}">{_escape(description)}</desc>'
        + _tag("rect", {"x": 0, "y": 0, "width": WIDTH, "height": height, "class": "chart-ground"})
        + body
        + "</svg>"
    )


def _empty(*, kind: str, id_prefix: str, title: str, message: str) -> str:
    body = _tag(
        "text",
        {
            "x": WIDTH / 2,
            "y": EMPTY_HEIGHT / 2 + 4,
            "font-size": 13,
            "text-anchor": "middle",
            "class": "chart-empty",
        },
        _escape(message),
    )
    return _document(
        kind=kind,
        id_prefix=id_prefix,
        title=title,
        description=message,
        body=body,
        height=EMPTY_HEIGHT,
    )


def _value_axis(scale: ValueScale, *, left: float, right: float) -> str:
    """Horizontal lines at each round value, labelled on the left; the zero line stands out."""
    parts = ['<g class="chart-value-axis">']
    for tick in scale.ticks:
        y = scale.y(tick)
        parts.append(
            _tag(
                "line",
                {
                    "x1": left,
                    "y1": y,
                    "x2": right,
                    "y2": y,
                    "class": "chart-zero" if tick == 0 else "chart-grid",
                },
            )
        )
        parts.append(
            _tag(
                "text",
                {
                    "x": left - 6,
                    "y": y + 3.5,
                    "font-size": TICK_SIZE,
                    "text-anchor": "end",
                    "class": "chart-tick",
                },
                _escape(amount_text(round(tick))),
            )
        )
    parts.append("</g>")
    return "".join(parts)


def _month_axis(months: Sequence[tuple[datetime.date, float]], *, y: float, slot: float) -> str:
    """A label under every month (or every few, when months are narrow) at its x, with the
    year on January and on the first month."""
    step = max(1, math.ceil(MONTH_LABEL_ROOM / max(slot, 1.0)))
    parts = ['<g class="chart-month-axis">']
    for index, (month, x) in enumerate(months):
        if index % step:
            continue
        with_year = index == 0 or month.month == 1
        label = formats.date_format(month, "M Y" if with_year else "M")
        parts.append(
            _tag(
                "text",
                {
                    "x": x,
                    "y": y + 16,
                    "font-size": TICK_SIZE,
                    "text-anchor": "middle",
                    "class": "chart-tick",
                },
                _escape(label),
            )
        )
    parts.append("</g>")
    return "".join(parts)


@dataclass(frozen=True)
class Series:
    """One colour of a chart: its key (and CSS class) and its label in the legend."""

    key: str
    label: str


def _legend(series: Sequence[Series], *, top: float, prefix: str) -> tuple[str, float]:
    """Swatches and their names, wrapped onto as many rows as they need; returns the height."""
    parts = ['<g class="chart-legend">']
    x, y, rows = float(PADDING), top + LEGEND_ROW / 2, 1
    for entry in series:
        room = 18 + text_width(entry.label, LEGEND_SIZE) + 16
        if x + room > WIDTH - PADDING and x > PADDING:
            x, y, rows = float(PADDING), y + LEGEND_ROW, rows + 1
        parts.append(
            _tag(
                "rect",
                {
                    "x": x,
                    "y": y - 6,
                    "width": 12,
                    "height": 12,
                    "rx": 2,
                    "class": f"chart-swatch {prefix}-{entry.key}",
                },
            )
        )
        parts.append(
            _tag(
                "text",
                {"x": x + 18, "y": y + 4, "font-size": LEGEND_SIZE, "class": "chart-label"},
                _escape(entry.label),
            )
        )
        x += room
    parts.append("</g>")
    return "".join(parts), rows * LEGEND_ROW + 6


# (a) ARR over time ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrPoint:
    """The ARR on a day (a month's last day, or the day before a period starts)."""

    day: datetime.date
    arr: Decimal


def arr_points(
    start: datetime.date, months: Sequence[BridgeMonth], end: datetime.date
) -> list[ArrPoint]:
    """The ARR line of a retention report: the day before it starts, then each month's end."""
    if not months:
        return []
    points = [ArrPoint(day=start - datetime.timedelta(days=1), arr=months[0].starting)]
    points += [ArrPoint(day=min(month_end(row.month), end), arr=row.ending) for row in months]
    return points


def _months_within(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first day of each month that starts inside [first, last], or first's month if none."""
    months = []
    day = first.replace(day=1)
    if day < first:
        day = month_end(day) + datetime.timedelta(days=1)
    while day <= last:
        months.append(day)
        day = month_end(day) + datetime.timedelta(days=1)
    return months or [first.replace(day=1)]


def arr_chart(
    points: Sequence[ArrPoint],
    *,
    title: str | None = None,
    currency: str | None = None,
    id_prefix: str = "arr-chart",
) -> str:
    """ARR over time: a line over a shaded area, a point at each day given, month ticks."""
    title = title or _("ARR over time")
    currency = currency or company_currency()
    if len(points) < 2 or not any(point.arr for point in points):
        return _empty(
            kind="arr",
            id_prefix=id_prefix,
            title=title,
            message=_("No ARR in this period yet: nothing to draw."),
        )
    scale = ValueScale.around(
        [float(point.arr) for point in points], top=TOP, bottom=TOP + PLOT_HEIGHT
    )
    left, right = _plot_left(scale), WIDTH - PADDING - 8
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)

    def x_of(day: datetime.date) -> float:
        return left + (day - first).days / span * (right - left)

    months = _months_within(first, last)
    slot = (right - left) / max(len(months), 1)

    def month_middle(month: datetime.date) -> float:
        return x_of(min(month + datetime.timedelta(days=14), last))

    base = scale.y(0)
    coordinates = [(x_of(point.day), scale.y(float(point.arr))) for point in points]
    line = " ".join(f"{_number(x)},{_number(y)}" for x, y in coordinates)
    area = (
        f"M{_number(coordinates[0][0])},{_number(base)} "
        + " ".join(f"L{_number(x)},{_number(y)}" for x, y in coordinates)
        + f" L{_number(coordinates[-1][0])},{_number(base)} Z"
    )
    parts = [
        _value_axis(scale, left=left, right=right),
        '<g class="chart-month-ticks">',
        *(
            _tag(
                "line",
                {
                    "x1": x_of(month),
                    "y1": base,
                    "x2": x_of(month),
                    "y2": base + 4,
                    "class": "chart-grid",
                },
            )
            for month in months
        ),
        "</g>",
        _month_axis(
            [(month, month_middle(month)) for month in months], y=TOP + PLOT_HEIGHT, slot=slot
        ),
        _tag("path", {"d": area, "class": "arr-area"}),
        _tag("polyline", {"points": line, "class": "arr-line"}),
        '<g class="arr-points">',
    ]
    for point, (x, y) in zip(points, coordinates, strict=True):
        parts.append(
            _tag(
                "circle",
                {
                    "cx": x,
                    "cy": y,
                    "r": POINT_RADIUS,
                    "class": "arr-point",
                    "data-day": point.day.isoformat(),
                    "data-value": f"{point.arr:f}",
                },
                _title(
                    _("%(date)s: %(amount)s")
                    % {"date": _date(point.day), "amount": money_text(point.arr, currency)}
                ),
            )
        )
    parts.append("</g>")
    description = _(
        "ARR from %(first)s (%(first_amount)s) to %(last)s (%(last_amount)s), lowest "
        "%(lowest)s, highest %(highest)s."
    ) % {
        "first": _date(first),
        "first_amount": money_text(points[0].arr, currency),
        "last": _date(last),
        "last_amount": money_text(points[-1].arr, currency),
        "lowest": money_text(min(point.arr for point in points), currency),
        "highest": money_text(max(point.arr for point in points), currency),
    }
    return _document(
        kind="arr",
        id_prefix=id_prefix,
        title=title,
        description=description,
        body="".join(parts),
        height=TOP + PLOT_HEIGHT + AXIS_HEIGHT,
    )


# Stacked bars per month ----------------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    """One month's bar: the amount of each series, above zero or (``below``) under it."""

    month: datetime.date
    amounts: dict[str, Decimal]


def _stacked_bars(
    stacks: Sequence[Stack],
    series: Sequence[Series],
    below: frozenset[str],
    *,
    kind: str,
    prefix: str,
    title: str,
    description: str,
    currency: str,
    id_prefix: str,
) -> str:
    ups = [
        float(
            sum(
                (stack.amounts.get(s.key, Decimal(0)) for s in series if s.key not in below),
                Decimal(0),
            )
        )
        for stack in stacks
    ]
    downs = [
        -float(
            sum(
                (stack.amounts.get(s.key, Decimal(0)) for s in series if s.key in below), Decimal(0)
            )
        )
        for stack in stacks
    ]
    scale = ValueScale.around([*ups, *downs], top=TOP, bottom=TOP + PLOT_HEIGHT)
    left, right = _plot_left(scale), WIDTH - PADDING
    slot = (right - left) / len(stacks)
    bar = slot * BAR_SHARE
    labels = {entry.key: entry.label for entry in series}

    parts = [_value_axis(scale, left=left, right=right), f'<g class="chart-bars {prefix}-bars">']
    for index, stack in enumerate(stacks):
        x = left + slot * index + (slot - bar) / 2
        above, under = 0.0, 0.0
        parts.append(f'<g class="chart-month" data-month="{stack.month.isoformat()}">')
        for entry in series:
            amount = stack.amounts.get(entry.key, Decimal(0))
            if not amount:
                continue
            value = float(amount)
            if entry.key in below:
                y_top, y_bottom = scale.y(under), scale.y(under - value)
                under -= value
            else:
                y_top, y_bottom = scale.y(above + value), scale.y(above)
                above += value
            parts.append(
                _tag(
                    "rect",
                    {
                        "x": x,
                        "y": y_top,
                        "width": bar,
                        "height": max(y_bottom - y_top, 0.5),
                        "class": f"chart-bar {prefix}-{entry.key}",
                        "data-series": entry.key,
                        "data-value": f"{-amount if entry.key in below else amount:f}",
                    },
                    _title(
                        _("%(month)s, %(series)s: %(amount)s")
                        % {
                            "month": _month(stack.month),
                            "series": labels[entry.key],
                            "amount": money_text(amount, currency),
                        }
                    ),
                )
            )
        parts.append("</g>")
    parts.append("</g>")
    bottom = TOP + PLOT_HEIGHT
    middles = [(stack.month, left + slot * (index + 0.5)) for index, stack in enumerate(stacks)]
    parts.append(_month_axis(middles, y=bottom, slot=slot))
    legend, legend_height = _legend(series, top=bottom + AXIS_HEIGHT, prefix=prefix)
    parts.append(legend)
    return _document(
        kind=kind,
        id_prefix=id_prefix,
        title=title,
        description=description,
        body="".join(parts),
        height=bottom + AXIS_HEIGHT + legend_height,
    )


# (b) The retention bridge --------------------------------------------------------------------

BRIDGE_UP = ("new", "reactivation", "expansion")
BRIDGE_DOWN = ("contraction", "churn")


def bridge_series() -> list[Series]:
    return [
        Series("new", _("New")),
        Series("reactivation", _("Reactivation")),
        Series("expansion", _("Expansion")),
        Series("contraction", _("Contraction")),
        Series("churn", _("Churn")),
    ]


def bridge_chart(
    months: Sequence[BridgeMonth],
    *,
    title: str | None = None,
    currency: str | None = None,
    id_prefix: str = "bridge-chart",
) -> str:
    """Each month's ARR movements: new, reactivation and expansion above zero, contraction and
    churn below it."""
    title = title or _("Retention bridge by month")
    currency = currency or company_currency()
    headings = (*BRIDGE_UP, *BRIDGE_DOWN)
    if not any(getattr(month, heading) for month in months for heading in headings):
        return _empty(
            kind="bridge",
            id_prefix=id_prefix,
            title=title,
            message=_("No ARR moved in this period: nothing to draw."),
        )
    stacks = [
        Stack(month=row.month, amounts={heading: getattr(row, heading) for heading in headings})
        for row in months
    ]
    total = {
        heading: sum((getattr(row, heading) for row in months), Decimal(0)) for heading in headings
    }
    description = _(
        "From %(first)s to %(last)s: new %(new)s, reactivation %(reactivation)s, expansion "
        "%(expansion)s above zero; contraction %(contraction)s and churn %(churn)s below it."
    ) % {
        "first": _month(months[0].month),
        "last": _month(months[-1].month),
        **{heading: money_text(total[heading], currency) for heading in headings},
    }
    return _stacked_bars(
        stacks,
        bridge_series(),
        frozenset(BRIDGE_DOWN),
        kind="bridge",
        prefix="bridge",
        title=title,
        description=description,
        currency=currency,
        id_prefix=id_prefix,
    )


# (c) Renewals by month -----------------------------------------------------------------------


def renewal_series() -> list[Series]:
    return [
        Series(ForecastCategory.COMMIT.value, str(ForecastCategory.COMMIT.label)),
        Series(ForecastCategory.BEST_CASE.value, str(ForecastCategory.BEST_CASE.label)),
        Series(ForecastCategory.PIPELINE.value, str(ForecastCategory.PIPELINE.label)),
        Series(ForecastCategory.OMITTED.value, str(ForecastCategory.OMITTED.label)),
        Series(WON, _("Won")),
        Series(LOST, _("Lost")),
    ]


def renewals_chart(
    months: Sequence[ForecastMonth],
    *,
    title: str | None = None,
    currency: str | None = None,
    id_prefix: str = "renewals-chart",
) -> str:
    """Renewals by the month they close: open ones by forecast category, closed ones as won or
    lost."""
    title = title or _("Renewals by month")
    currency = currency or company_currency()
    series = renewal_series()
    if not any(month.amount(entry.key) for month in months for entry in series):
        return _empty(
            kind="renewals",
            id_prefix=id_prefix,
            title=title,
            message=_("No renewal closes in these months: nothing to draw."),
        )
    stacks = [
        Stack(month=row.month, amounts={entry.key: row.amount(entry.key) for entry in series})
        for row in months
    ]
    total = {
        entry.key: sum((row.amount(entry.key) for row in months), Decimal(0)) for entry in series
    }
    description = _(
        "From %(first)s to %(last)s: %(open)s open (commit %(commit)s, best case %(best_case)s, "
        "pipeline %(pipeline)s, omitted %(omitted)s), %(won)s won and %(lost)s lost."
    ) % {
        "first": _month(months[0].month),
        "last": _month(months[-1].month),
        "open": money_text(sum((row.open_total for row in months), Decimal(0)), currency),
        **{key: money_text(value, currency) for key, value in total.items()},
    }
    return _stacked_bars(
        stacks,
        series,
        frozenset(),
        kind="renewals",
        prefix="renewals",
        title=title,
        description=description,
        currency=currency,
        id_prefix=id_prefix,
    )
