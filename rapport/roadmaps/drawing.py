"""A roadmap drawn as a Gantt-like SVG, on the server, and the roadmap as a PDF.

The same drawing is shown on the roadmap page, printed in the PDF and shown on the client's
link: phases are bands, items bars from the day they start to the day they are due, milestones
diamonds, and a vertical line marks today. Done items carry a tick and late ones an exclamation
mark, so their state reads without colour too. Every style is an SVG presentation attribute (the
page's CSP allows no style attribute, and WeasyPrint reads no page stylesheet inside an SVG);
the drawing holds no script and no link, and escapes every text it places.

``for_client`` leaves out the items not shown to the client and every internal note. The client
pages read only client-facing items in the first place; this is a second fence.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from rapport.accountmaps.drawing import FONT_FAMILY, text_width, truncate
from rapport.accountmaps.exports import pdf_url_fetcher
from rapport.core.svg import escape as _escape
from rapport.core.svg import number as _number
from rapport.core.svg import tag as _tag
from rapport.core.svg import title as _title
from rapport.roadmaps.choices import ItemKind, ItemStatus
from rapport.roadmaps.models import Roadmap, RoadmapItem, owner_role_label

INK = "#16202c"
MUTED_INK = "#4b5563"
GRID = "#d9dee5"
BACKGROUND = "#ffffff"
BAND_FILLS = ("#f3f6fa", "#ffffff")
PHASE_BAR = "#4b5563"
TODAY_LINE = "#6d28d9"

PADDING = 16
LABEL_WIDTH = 290
CHART_WIDTH = 760
MAX_DAY_WIDTH = 24.0
AXIS_HEIGHT = 46
ROW_HEIGHT = 26
PHASE_ROW_HEIGHT = 28
BAR_HEIGHT = 14
LEGEND_HEIGHT = 40
HEADER_HEIGHT = 50
EMPTY_HEIGHT = 120
LABEL_SIZE = 12
PHASE_SIZE = 12.5
AXIS_SIZE = 10.5
# A month label needs this much room; months are labelled every so many to keep it.
MONTH_LABEL_ROOM = 64
MIN_DAYS = 28
# A few days of air either side of the first start and the last due date.
MARGIN_DAYS = 3
# Today joins the drawing when it is this close to the roadmap; further off, the axis says where
# it is instead of squeezing the roadmap into a corner.
TODAY_SLACK_DAYS = 120
# Rows of each PDF page's drawing (the rest of the page holds its header and axis).
PDF_ROWS_PER_PAGE = 20
# SVG user units are CSS pixels, 96 to the inch; A4 landscape less its margins.
MM_PER_UNIT = 25.4 / 96
PDF_ROOM_MM = (273.0, 150.0)


@dataclass(frozen=True)
class ItemStyle:
    fill: str
    border: str
    mark: str  # drawn in the label column, so the state reads without colour
    dash: str = ""


PLANNED, DONE, LATE, SKIPPED = "planned", "done", "late", "skipped"
STYLES: dict[str, ItemStyle] = {
    PLANNED: ItemStyle(fill="#5b9bd5", border="#1f4e79", mark=""),
    DONE: ItemStyle(fill="#3fa86b", border="#1d6b40", mark="✓"),
    LATE: ItemStyle(fill="#f08a84", border="#b42318", mark="!"),
    SKIPPED: ItemStyle(fill="#e3e7ec", border="#6b7280", mark="–", dash="3 3"),
}


@dataclass(frozen=True)
class GanttItem:
    """One item as the drawing needs it: what it is, when, whose, and in which state."""

    title: str
    kind: str
    start_on: datetime.date
    due_on: datetime.date
    state: str
    owner: str
    client_facing: bool
    notes: str  # empty on a drawing for the client

    @property
    def is_milestone(self) -> bool:
        return self.kind == ItemKind.MILESTONE


@dataclass(frozen=True)
class GanttRow:
    """A row of the drawing: a phase's own row (``item`` is None) or one of its items."""

    phase: str
    band: int
    item: GanttItem | None = None
    span: tuple[datetime.date, datetime.date] | None = None
    continued: bool = False

    @property
    def height(self) -> int:
        return ROW_HEIGHT if self.item is not None else PHASE_ROW_HEIGHT


@dataclass(frozen=True)
class Gantt:
    """A roadmap ready to draw: its rows, the days its axis covers, and today."""

    title: str
    rows: tuple[GanttRow, ...]
    first_day: datetime.date
    last_day: datetime.date
    today: datetime.date
    for_client: bool

    @property
    def items(self) -> list[GanttItem]:
        return [row.item for row in self.rows if row.item is not None]

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def day_width(self) -> float:
        return min(MAX_DAY_WIDTH, CHART_WIDTH / self.days)

    @property
    def shows_today(self) -> bool:
        return self.first_day <= self.today <= self.last_day


def item_state(item: RoadmapItem, today: datetime.date) -> str:
    """Planned, done, late or skipped."""
    if item.status == ItemStatus.DONE:
        return DONE
    if item.status == ItemStatus.SKIPPED:
        return SKIPPED
    return LATE if item.due_on < today else PLANNED


def state_label(state: str) -> str:
    labels = {
        PLANNED: _("Planned"),
        DONE: _("Done"),
        LATE: _("Late"),
        SKIPPED: _("Skipped"),
    }
    return labels[state]


def owner_label(item: RoadmapItem) -> str:
    """Who owns the item: a name, or the role still waiting for one."""
    if item.owner_user_id is not None and item.owner_user is not None:
        return str(item.owner_user)
    if item.owner_stakeholder_id is not None and item.owner_stakeholder is not None:
        return item.owner_stakeholder.full_name
    if item.owner_role:
        return _("%(role)s (to be named)") % {
            "role": owner_role_label(item.owner_side, item.owner_role)
        }
    return ""


def build_gantt(roadmap: Roadmap, *, today: datetime.date, for_client: bool = False) -> Gantt:
    """The drawing's rows from a roadmap whose phases and items are prefetched."""
    rows: list[GanttRow] = []
    dates = [roadmap.start_date]
    band = 0
    for phase in roadmap.phases.all():
        items = [item for item in phase.items.all() if item.client_facing or not for_client]
        items.sort(key=lambda item: (item.due_on, item.position, item.pk))
        if for_client and not items:
            continue
        span = (min(i.start_on for i in items), max(i.due_on for i in items)) if items else None
        rows.append(GanttRow(phase=phase.name, band=band, span=span))
        for item in items:
            dates += [item.start_on, item.due_on]
            rows.append(
                GanttRow(
                    phase=phase.name,
                    band=band,
                    item=GanttItem(
                        title=item.title,
                        kind=item.kind,
                        start_on=item.start_on,
                        due_on=item.due_on,
                        state=item_state(item, today),
                        owner=owner_label(item),
                        client_facing=item.client_facing,
                        notes="" if for_client else item.internal_notes,
                    ),
                )
            )
        band += 1
    first, last = min(dates), max(dates)
    if first - datetime.timedelta(days=TODAY_SLACK_DAYS) <= today < first:
        first = today
    if last < today <= last + datetime.timedelta(days=TODAY_SLACK_DAYS):
        last = today
    margin = datetime.timedelta(days=MARGIN_DAYS)
    # A short roadmap still gets four weeks of axis, room enough for its legend.
    last = max(last, first + datetime.timedelta(days=MIN_DAYS - 1) - 2 * margin)
    return Gantt(
        title=_("Timeline of %(roadmap)s") % {"roadmap": roadmap.name},
        rows=tuple(rows),
        first_day=first - margin,
        last_day=last + margin,
        today=today,
        for_client=for_client,
    )


# Drawing -------------------------------------------------------------------------------------


def _date(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _x(gantt: Gantt, day: datetime.date) -> float:
    return PADDING + LABEL_WIDTH + (day - gantt.first_day).days * gantt.day_width


def render_svg(
    gantt: Gantt,
    *,
    rows: Sequence[GanttRow] | None = None,
    standalone: bool = True,
    id_prefix: str = "gantt",
) -> str:
    """The Gantt as an SVG document.

    ``rows`` draws only some of the rows (a page of the PDF); ``standalone`` adds the title, for
    a drawing read on its own. ``id_prefix`` keeps ids apart when one page holds several.
    """
    rows = list(gantt.rows if rows is None else rows)
    chart_width = gantt.days * gantt.day_width
    width = PADDING * 2 + LABEL_WIDTH + chart_width
    header = HEADER_HEIGHT if standalone else 0
    body = sum(row.height for row in rows) if rows else EMPTY_HEIGHT
    top = header + AXIS_HEIGHT
    height = top + body + LEGEND_HEIGHT
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_number(width)} '
        f'{_number(height)}" width="{_number(width)}" height="{_number(height)}" role="img"'
        f' aria-labelledby="{title_id} {desc_id}" font-family="{_escape(FONT_FAMILY)}"'
        ' class="gantt-svg">',
        f'<title id="{title_id}">{_escape(gantt.title)}</title>',
        f'<desc id="{desc_id}">{_escape(_description(gantt))}</desc>',
        _tag("rect", {"x": 0, "y": 0, "width": width, "height": height, "fill": BACKGROUND}),
    ]
    if standalone:
        parts.append(
            _tag(
                "text",
                {"x": PADDING, "y": 30, "font-size": 17, "font-weight": 700, "fill": INK},
                _escape(gantt.title),
            )
        )
    parts.append(_axis(gantt, top=header, bottom=top + body))
    if rows:
        parts.append(_rows(gantt, rows, top=top))
    else:
        parts.append(_empty(gantt, top=top, width=width))
    if gantt.shows_today:
        parts.append(_today(gantt, top=header, bottom=top + body))
    parts.append(_legend(top=top + body))
    parts.append("</svg>")
    return "".join(parts)


def _description(gantt: Gantt) -> str:
    items = gantt.items
    done = sum(1 for item in items if item.state == DONE)
    late = sum(1 for item in items if item.state == LATE)
    counts = ngettext("%(count)d item", "%(count)d items", len(items)) % {"count": len(items)}
    return _(
        "%(counts)s from %(first)s to %(last)s: %(done)d done, %(late)d late. Today is %(today)s."
    ) % {
        "counts": counts,
        "first": _date(gantt.first_day),
        "last": _date(gantt.last_day),
        "done": done,
        "late": late,
        "today": _date(gantt.today),
    }


def _months(gantt: Gantt) -> list[datetime.date]:
    """The first day of each month inside the axis."""
    day = gantt.first_day.replace(day=1)
    months = []
    while day <= gantt.last_day:
        if day >= gantt.first_day:
            months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


def _axis(gantt: Gantt, *, top: float, bottom: float) -> str:
    """Month lines and labels; on a short roadmap, a faint line each Monday."""
    parts = ['<g class="gantt-axis">']
    day_width = gantt.day_width
    if day_width * 7 >= 14:
        monday = gantt.first_day + datetime.timedelta(days=-gantt.first_day.weekday() % 7)
        while monday <= gantt.last_day:
            x = _x(gantt, monday)
            parts.append(
                _tag(
                    "line",
                    {"x1": x, "y1": top + 28, "x2": x, "y2": bottom, "stroke": "#eef1f5"},
                )
            )
            if day_width * 7 >= 30:
                parts.append(
                    _tag(
                        "text",
                        {"x": x + 2, "y": top + 40, "font-size": 9, "fill": MUTED_INK},
                        _escape(formats.date_format(monday, "j")),
                    )
                )
            monday += datetime.timedelta(days=7)
    step = max(1, math.ceil(MONTH_LABEL_ROOM / (30 * day_width)))
    months = _months(gantt)
    right_edge = _x(gantt, gantt.last_day) + day_width
    for index, month in enumerate(months):
        if index % step:
            continue
        x = _x(gantt, month)
        label = formats.date_format(month, "M Y" if month.month == 1 or index == 0 else "M")
        parts.append(_tag("line", {"x1": x, "y1": top + 6, "x2": x, "y2": bottom, "stroke": GRID}))
        # A label that would run past the end of the axis is left to its line.
        if x + 3 + text_width(label, AXIS_SIZE) > right_edge:
            continue
        parts.append(
            _tag(
                "text",
                {"x": x + 3, "y": top + 18, "font-size": AXIS_SIZE, "fill": MUTED_INK},
                _escape(label),
            )
        )
    if not months:
        parts.append(
            _tag(
                "text",
                {
                    "x": _x(gantt, gantt.first_day) + 3,
                    "y": top + 18,
                    "font-size": AXIS_SIZE,
                    "fill": MUTED_INK,
                },
                _escape(formats.date_format(gantt.first_day, "M Y")),
            )
        )
    if not gantt.shows_today:
        where = _("Today (%(date)s) is before this timeline.")
        if gantt.today > gantt.last_day:
            where = _("Today (%(date)s) is after this timeline.")
        parts.append(
            _tag(
                "text",
                {"x": PADDING, "y": top + 18, "font-size": AXIS_SIZE, "fill": TODAY_LINE},
                _escape(where % {"date": _date(gantt.today)}),
            )
        )
    parts.append(
        _tag(
            "line",
            {
                "x1": PADDING,
                "y1": top + AXIS_HEIGHT - 0.5,
                "x2": _x(gantt, gantt.last_day) + gantt.day_width,
                "y2": top + AXIS_HEIGHT - 0.5,
                "stroke": GRID,
            },
        )
    )
    parts.append("</g>")
    return "".join(parts)


def _rows(gantt: Gantt, rows: Sequence[GanttRow], *, top: float) -> str:
    parts = ['<g class="gantt-rows">']
    right = _x(gantt, gantt.last_day) + gantt.day_width
    y = top
    for row in rows:
        parts.append(
            _tag(
                "rect",
                {
                    "x": PADDING,
                    "y": y,
                    "width": right - PADDING,
                    "height": row.height,
                    "fill": BAND_FILLS[row.band % 2],
                },
            )
        )
        if row.item is None:
            parts.append(_phase_row(gantt, row, y=y))
        else:
            parts.append(_item_row(gantt, row.item, y=y))
        y += row.height
    parts.append("</g>")
    return "".join(parts)


def _phase_row(gantt: Gantt, row: GanttRow, *, y: float) -> str:
    name = row.phase
    if row.continued:
        name = _("%(phase)s (continued)") % {"phase": row.phase}
    label = truncate(name, LABEL_WIDTH - 12, PHASE_SIZE, bold=True)
    parts = [
        '<g class="gantt-phase">',
        _title(name),
        _tag(
            "text",
            {
                "x": PADDING + 6,
                "y": y + PHASE_ROW_HEIGHT / 2 + 4.5,
                "font-size": PHASE_SIZE,
                "font-weight": 700,
                "fill": INK,
            },
            _escape(label),
        ),
    ]
    if row.span is not None:
        start = _x(gantt, row.span[0])
        end = _x(gantt, row.span[1]) + gantt.day_width
        parts.append(
            _tag(
                "rect",
                {
                    "x": start,
                    "y": y + PHASE_ROW_HEIGHT / 2 - 3,
                    "width": max(end - start, 3.0),
                    "height": 6,
                    "rx": 3,
                    "fill": PHASE_BAR,
                },
            )
        )
    parts.append("</g>")
    return "".join(parts)


def _item_title(item: GanttItem) -> str:
    """What a reader hovering over the item learns: everything the row stands for."""
    kind = _("Milestone") if item.is_milestone else ""
    when = (
        _("due %(date)s") % {"date": _date(item.due_on)}
        if item.is_milestone or item.start_on == item.due_on
        else _("%(start)s to %(due)s") % {"start": _date(item.start_on), "due": _date(item.due_on)}
    )
    parts = [item.title, kind, when, state_label(item.state)]
    if item.owner:
        parts.append(_("Owner: %(owner)s") % {"owner": item.owner})
    if not item.client_facing:
        parts.append(_("Not shown to the client"))
    if item.notes:
        parts.append(_("Internal notes: %(notes)s") % {"notes": " ".join(item.notes.split())})
    return " — ".join(part for part in parts if part)


def _item_row(gantt: Gantt, item: GanttItem, *, y: float) -> str:
    style = STYLES[item.state]
    middle = y + ROW_HEIGHT / 2
    indent = PADDING + 20
    label = truncate(item.title, LABEL_WIDTH - 30, LABEL_SIZE)
    parts = [f'<g class="gantt-item gantt-{item.state}">', _title(_item_title(item))]
    if style.mark:
        parts.append(
            _tag(
                "text",
                {
                    "x": PADDING + 10,
                    "y": middle + 4,
                    "font-size": LABEL_SIZE,
                    "font-weight": 700,
                    "text-anchor": "middle",
                    "fill": style.border,
                },
                _escape(style.mark),
            )
        )
    parts.append(
        _tag(
            "text",
            {
                "x": indent,
                "y": middle + 4,
                "font-size": LABEL_SIZE,
                "fill": MUTED_INK if item.state in (DONE, SKIPPED) else INK,
                "font-weight": 700 if item.is_milestone else None,
            },
            _escape(label),
        )
    )
    if item.is_milestone:
        centre = _x(gantt, item.due_on) + gantt.day_width / 2
        size = BAR_HEIGHT / 2 + 1
        points = (
            f"{_number(centre)},{_number(middle - size)} {_number(centre + size)},"
            f"{_number(middle)} {_number(centre)},{_number(middle + size)} "
            f"{_number(centre - size)},{_number(middle)}"
        )
        parts.append(
            _tag(
                "polygon",
                {
                    "points": points,
                    "fill": style.fill,
                    "stroke": style.border,
                    "stroke-width": 1.5,
                    "stroke-dasharray": style.dash or None,
                },
            )
        )
    else:
        start = _x(gantt, item.start_on)
        end = _x(gantt, item.due_on) + gantt.day_width
        parts.append(
            _tag(
                "rect",
                {
                    "x": start,
                    "y": middle - BAR_HEIGHT / 2,
                    "width": max(end - start, 4.0),
                    "height": BAR_HEIGHT,
                    "rx": 3,
                    "fill": style.fill,
                    "stroke": style.border,
                    "stroke-width": 2 if item.state == LATE else 1,
                    "stroke-dasharray": style.dash or None,
                },
            )
        )
    parts.append("</g>")
    return "".join(parts)


def _today(gantt: Gantt, *, top: float, bottom: float) -> str:
    x = _x(gantt, gantt.today) + gantt.day_width / 2
    label = _("Today")
    # The label sits left of the line when the line is near the right edge.
    right_edge = _x(gantt, gantt.last_day) + gantt.day_width
    anchor = "end" if x + text_width(label, 10, bold=True) + 6 > right_edge else "start"
    return (
        '<g class="gantt-today">'
        + _title(_("Today, %(date)s") % {"date": _date(gantt.today)})
        + _tag(
            "line",
            {
                "x1": x,
                "y1": top + 22,
                "x2": x,
                "y2": bottom,
                "stroke": TODAY_LINE,
                "stroke-width": 1.5,
                "stroke-dasharray": "5 3",
            },
        )
        + _tag(
            "text",
            {
                "x": x + (3 if anchor == "start" else -3),
                "y": top + 30,
                "font-size": 10,
                "font-weight": 700,
                "text-anchor": anchor,
                "fill": TODAY_LINE,
            },
            _escape(label),
        )
        + "</g>"
    )


def _empty(gantt: Gantt, *, top: float, width: float) -> str:
    message = (
        _("Nothing on this roadmap is shared yet.")
        if gantt.for_client
        else _("Nothing planned on this roadmap yet.")
    )
    return _tag(
        "text",
        {
            "x": width / 2,
            "y": top + EMPTY_HEIGHT / 2,
            "font-size": 13,
            "text-anchor": "middle",
            "fill": MUTED_INK,
        },
        _escape(message),
    )


def _legend(*, top: float) -> str:
    """What the shapes and colours mean, at the foot of every drawing."""
    parts = ['<g class="gantt-legend">']
    x = float(PADDING)
    y = top + LEGEND_HEIGHT / 2 + 2
    for state in (PLANNED, DONE, LATE, SKIPPED):
        style = STYLES[state]
        parts.append(
            _tag(
                "rect",
                {
                    "x": x,
                    "y": y - 6,
                    "width": 22,
                    "height": 12,
                    "rx": 3,
                    "fill": style.fill,
                    "stroke": style.border,
                    "stroke-dasharray": style.dash or None,
                },
            )
        )
        if style.mark:
            parts.append(
                _tag(
                    "text",
                    {
                        "x": x + 11,
                        "y": y + 4,
                        "font-size": 10,
                        "font-weight": 700,
                        "text-anchor": "middle",
                        "fill": style.border,
                    },
                    _escape(style.mark),
                )
            )
        label = state_label(state)
        parts.append(
            _tag("text", {"x": x + 28, "y": y + 4, "font-size": 10.5, "fill": INK}, _escape(label))
        )
        x += 28 + text_width(label, 10.5) + 18
    size = 6.5
    parts.append(
        _tag(
            "polygon",
            {
                "points": f"{_number(x + size)},{_number(y - size)} {_number(x + 2 * size)},"
                f"{_number(y)} {_number(x + size)},{_number(y + size)} {_number(x)},{_number(y)}",
                "fill": STYLES[PLANNED].fill,
                "stroke": STYLES[PLANNED].border,
            },
        )
    )
    milestone = _("Milestone")
    parts.append(
        _tag("text", {"x": x + 20, "y": y + 4, "font-size": 10.5, "fill": INK}, _escape(milestone))
    )
    x += 20 + text_width(milestone, 10.5) + 18
    parts.append(
        _tag(
            "line",
            {
                "x1": x + 6,
                "y1": y - 8,
                "x2": x + 6,
                "y2": y + 8,
                "stroke": TODAY_LINE,
                "stroke-width": 1.5,
                "stroke-dasharray": "5 3",
            },
        )
    )
    parts.append(
        _tag("text", {"x": x + 14, "y": y + 4, "font-size": 10.5, "fill": INK}, _escape(_("Today")))
    )
    parts.append("</g>")
    return "".join(parts)


def page_rows(gantt: Gantt, per_page: int = PDF_ROWS_PER_PAGE) -> list[list[GanttRow]]:
    """The rows cut into pages; a page that starts inside a phase repeats the phase's row."""
    pages: list[list[GanttRow]] = []
    current: list[GanttRow] = []
    phase_rows: dict[int, GanttRow] = {}
    for row in gantt.rows:
        if row.item is None:
            phase_rows[row.band] = row
        if len(current) >= per_page:
            pages.append(current)
            current = []
            if row.item is not None:
                head = phase_rows[row.band]
                current.append(
                    GanttRow(phase=head.phase, band=head.band, span=head.span, continued=True)
                )
        current.append(row)
    if current or not pages:
        pages.append(current)
    return pages


# PDF -----------------------------------------------------------------------------------------


def _print_size(svg_width: float, svg_height: float) -> tuple[str, str]:
    """The drawing's printed width and height: its natural size, shrunk to fit the page."""
    width_mm, height_mm = svg_width * MM_PER_UNIT, svg_height * MM_PER_UNIT
    scale = min(1.0, PDF_ROOM_MM[0] / width_mm, PDF_ROOM_MM[1] / height_mm)
    return f"{width_mm * scale:.1f}mm", f"{height_mm * scale:.1f}mm"


def pdf_html(
    roadmap: Roadmap,
    *,
    items: Sequence[RoadmapItem],
    today: datetime.date,
    for_client: bool,
    progress: object,
) -> str:
    """The page WeasyPrint prints: the header, the Gantt a page at a time, and the item list."""
    gantt = build_gantt(roadmap, today=today, for_client=for_client)
    chart_width = PADDING * 2 + LABEL_WIDTH + gantt.days * gantt.day_width
    figures = []
    for index, rows in enumerate(page_rows(gantt)):
        body = sum(row.height for row in rows) if rows else EMPTY_HEIGHT
        height = AXIS_HEIGHT + body + LEGEND_HEIGHT
        svg = render_svg(gantt, rows=rows, standalone=False, id_prefix=f"gantt-{index}")
        width_mm, height_mm = _print_size(chart_width, height)
        # The drawing escapes every text it places; the page only carries it.
        figures.append({"svg": mark_safe(svg), "width": width_mm, "height": height_mm})  # noqa: S308
    shown = [item for item in items if item.client_facing or not for_client]
    context = {
        "roadmap": roadmap,
        "account_name": roadmap.account.name,
        "language": get_language(),
        "figures": figures,
        "rows": [
            (item, item_state(item, today), state_label(item_state(item, today)), owner_label(item))
            for item in shown
        ],
        "for_client": for_client,
        "progress": progress,
        "printed_on": _date(today),
    }
    return render_to_string("roadmaps/roadmap_pdf.html", context)


def roadmap_pdf(
    roadmap: Roadmap,
    *,
    items: Sequence[RoadmapItem],
    today: datetime.date,
    for_client: bool,
    progress: object,
) -> bytes:
    """The roadmap as a PDF: the same Gantt as the page, then every item in a table."""
    # WeasyPrint loads Pango and its fonts on import: only PDF downloads should pay for that.
    from weasyprint import HTML

    page = pdf_html(roadmap, items=items, today=today, for_client=for_client, progress=progress)
    return bytes(HTML(string=page, url_fetcher=pdf_url_fetcher()).write_pdf())
