"""The account map drawn as SVG, on the server, from an ``AccountMap``.

The same drawing is shown on the map page and downloaded as SVG, PNG or PDF, so every style
is an SVG presentation attribute: the file looks the same opened on its own, converted by a
renderer that knows no CSS, or inlined in the page (whose stylesheet only adds focus and
hover states). Text widths are estimated from Helvetica's metrics, which Arial and Liberation
Sans share, so long names are cut with an ellipsis before they leave their card.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from rapport.accountmaps.layout import AccountMap, MapLine, MapPerson, OwnerTie
from rapport.core.svg import escape as _escape
from rapport.core.svg import number as _number
from rapport.core.svg import tag as _tag
from rapport.core.svg import title as _title
from rapport.stakeholders.choices import DecisionRole, Influence, RelationshipKind, Stance

FONT_FAMILY = "'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', sans-serif"
INK = "#16202c"
MUTED_INK = "#4b5563"
BACKGROUND = "#f8fafc"
REPORTING_LINE = "#8a94a3"
OWNER_FILL = "#1f4e79"
UNKNOWN = ""  # a stance left empty while nobody knows it

CARD_RADIUS = 10
PADDING = 12
NAME_SIZE = 13.5
TITLE_SIZE = 11.5
BADGE_SIZE = 10
BADGE_HEIGHT = 17
OWNER_RADIUS = 10
MAX_OWNER_CIRCLES = 3
CONTACT_SIZE = 10.5
# The ring round an owner's initials: the line between our person and theirs, as thick as the
# relationship is strong. Three weights only, so that the difference reads at a glance.
TIE_WEIGHTS: tuple[tuple[int, float], ...] = ((67, 3.5), (34, 2.0), (0, 1.0))
TIE_GAP = 1.5
STANCE_MARK_RADIUS = 9
# How far below a manager the horizontal part of the reporting connectors runs.
BUS_DROP = 28
# How far left of a stacked column its rail runs.
STACK_RAIL_OFFSET = 8
HEADER_HEIGHT = 56
EMPTY_WIDTH = 640
EMPTY_HEIGHT = 220


@dataclass(frozen=True)
class StanceStyle:
    fill: str
    border: str
    mark: str  # a glyph, so the stance reads without colour too
    dashed: bool = False


@dataclass(frozen=True)
class LineStyle:
    colour: str
    dash: str
    arrow: bool


# Fills keep dark text above 5:1 contrast; the lightness differs from one stance to the next
# as well as the hue, so red and green remain apart for colour-blind readers.
STANCE_STYLES: dict[str, StanceStyle] = {
    Stance.ADVOCATE: StanceStyle(fill="#3fa86b", border="#1d6b40", mark="++"),
    Stance.SUPPORTER: StanceStyle(fill="#c6ebd3", border="#3d8b5a", mark="+"),
    Stance.NEUTRAL: StanceStyle(fill="#e3e7ec", border="#6b7280", mark="="),
    Stance.SKEPTIC: StanceStyle(fill="#f9c96b", border="#a16207", mark="−"),
    Stance.OPPONENT: StanceStyle(fill="#f08a84", border="#b42318", mark="−−"),
    UNKNOWN: StanceStyle(fill="#ffffff", border="#6b7280", mark="", dashed=True),
}

BORDER_WIDTHS: dict[str, float] = {
    Influence.HIGH: 3.5,
    Influence.MEDIUM: 1.75,
    Influence.LOW: 1.0,
    "": 1.25,
}

LINE_STYLES: dict[str, LineStyle] = {
    RelationshipKind.INFLUENCES: LineStyle(colour="#1d4ed8", dash="7 5", arrow=True),
    RelationshipKind.ALLIED_WITH: LineStyle(colour="#15803d", dash="3 4", arrow=False),
    RelationshipKind.IN_CONFLICT_WITH: LineStyle(colour="#b91c1c", dash="10 4 2 4", arrow=False),
}
OTHER_LINE = LineStyle(colour="#6b7280", dash="4 4", arrow=False)


def role_abbreviation(role: str) -> str:
    """The short label of a decision role on a card badge."""
    abbreviations = {
        DecisionRole.DECISION_MAKER: pgettext("decision role badge", "DM"),
        DecisionRole.ECONOMIC_BUYER: pgettext("decision role badge", "EB"),
        DecisionRole.CHAMPION: pgettext("decision role badge", "CH"),
        DecisionRole.INFLUENCER: pgettext("decision role badge", "INF"),
        DecisionRole.TECHNICAL_EVALUATOR: pgettext("decision role badge", "TE"),
        DecisionRole.USER: pgettext("decision role badge", "U"),
        DecisionRole.GATEKEEPER: pgettext("decision role badge", "GK"),
        DecisionRole.BLOCKER: pgettext("decision role badge", "BL"),
    }
    return abbreviations.get(role, role[:3].upper())  # type: ignore[call-overload]


def choice_label(choices: type[TextChoices], value: str) -> str:
    """The label of a choice, or the stored value if the choices no longer hold it (a map of a
    past date shows what was stored then)."""
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def role_label(role: str) -> str:
    return choice_label(DecisionRole, role)


def stance_label(stance: str) -> str:
    return choice_label(Stance, stance) if stance in Stance.values else _("Stance unknown")


def influence_label(influence: str) -> str:
    labels = {
        Influence.HIGH: _("High influence"),
        Influence.MEDIUM: _("Medium influence"),
        Influence.LOW: _("Low influence"),
    }
    return str(labels.get(influence, _("Influence unknown")))  # type: ignore[call-overload]


def line_label(kind: str) -> str:
    if kind == "reports_to":
        return _("Reports to")
    return choice_label(RelationshipKind, kind)


@dataclass(frozen=True)
class LegendEntry:
    key: str
    label: str
    fill: str = ""
    border: str = ""
    border_width: float = 1.5
    dash: str = ""
    mark: str = ""
    arrow: bool = False


@dataclass(frozen=True)
class Legend:
    """What the colours, lines and badges mean; drawn in the SVG and listed on the page."""

    stances: list[LegendEntry]
    influences: list[LegendEntry]
    lines: list[LegendEntry]
    roles: list[LegendEntry]
    ties: list[LegendEntry]


def tie_width(strength: int | None) -> float:
    """The weight of the ring round an owner's initials: 0 (no ring) while strength is unknown."""
    if strength is None:
        return 0.0
    return next(width for floor, width in TIE_WEIGHTS if strength >= floor)


def strength_text(tie: OwnerTie) -> str:
    """How strong a relationship is, in words, and where the figure comes from."""
    if tie.strength is None:
        return _("strength unknown")
    if tie.computed:
        text = _("strength %(strength)d / 100, from shared exchanges")
    else:
        text = _("strength %(strength)d / 100, as estimated by hand")
    return text % {"strength": tie.strength}


def tie_label(tie: OwnerTie) -> str:
    """An owner's initials and the strength of their relationship."""
    return _("%(initials)s: %(strength)s") % {
        "initials": tie.initials,
        "strength": strength_text(tie),
    }


def contact_age(when: datetime.datetime | None, *, now: datetime.datetime) -> str:
    """How long ago the last exchange with someone was: "12 days ago", or "never"."""
    if when is None:
        return _("never")
    days = max(0, (now - when).days)
    if days == 0:
        return _("today")
    if days < 60:
        return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
    if days < 730:
        months = days // 30
        return ngettext("%(count)d month ago", "%(count)d months ago", months) % {"count": months}
    years = days // 365
    return ngettext("%(count)d year ago", "%(count)d years ago", years) % {"count": years}


def contact_text(person: MapPerson, *, now: datetime.datetime) -> str:
    """The card's line about the last exchange with the person."""
    return _("Last contacted: %(age)s") % {"age": contact_age(person.last_contact_at, now=now)}


def legend() -> Legend:
    """The legend's entries, in the order they are shown."""
    stance_order = [*Stance.values, UNKNOWN]
    stances = [
        LegendEntry(
            key=stance or "unknown",
            label=stance_label(stance),
            fill=STANCE_STYLES[stance].fill,
            border=STANCE_STYLES[stance].border,
            dash="4 3" if STANCE_STYLES[stance].dashed else "",
            mark=STANCE_STYLES[stance].mark,
        )
        for stance in stance_order
    ]
    influences = [
        LegendEntry(
            key=influence,
            label=influence_label(influence),
            fill="#ffffff",
            border=INK,
            border_width=BORDER_WIDTHS[influence],
        )
        for influence in Influence.values
    ]
    lines = [LegendEntry(key="reports_to", label=line_label("reports_to"), border=REPORTING_LINE)]
    lines += [
        LegendEntry(
            key=kind,
            label=line_label(kind),
            border=style.colour,
            dash=style.dash,
            arrow=style.arrow,
        )
        for kind, style in LINE_STYLES.items()
    ]
    roles = [
        LegendEntry(key=role, label=role_label(role), mark=role_abbreviation(role))
        for role in DecisionRole.values
    ]
    tie_labels = [_("Strong relationship"), _("Fair relationship"), _("Weak relationship")]
    ties = [
        LegendEntry(key=f"tie-{floor}", label=label, border=OWNER_FILL, border_width=width)
        for (floor, width), label in zip(TIE_WEIGHTS, tie_labels, strict=True)
    ]
    return Legend(stances=stances, influences=influences, lines=lines, roles=roles, ties=ties)


# Helvetica advance widths (thousandths of the font size) for ASCII; other letters are
# measured by their unaccented form, and anything else counts as a wide character.
_WIDTHS = dict(
    zip(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~",
        [
            278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
            556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
            1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
            667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
            333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
            556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
        ],
        strict=True,
    )
)  # fmt: skip
# Helvetica Bold's letters; its other characters are as wide as the regular ones.
_BOLD_WIDTHS = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        [
            722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667,
            778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 556, 611, 556, 611, 556, 333,
            611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556,
            778, 556, 556, 500,
        ],
        strict=True,
    )
)  # fmt: skip
_BOLD_TABLE = {**_WIDTHS, **_BOLD_WIDTHS}
ELLIPSIS = "…"


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The text's estimated width in user units at this font size."""
    table = _BOLD_TABLE if bold else _WIDTHS
    total = 0
    for character in text:
        width = table.get(character)
        if width is None:
            base = unicodedata.normalize("NFKD", character)[:1]
            width = table.get(base, 1000)
        total += width
    # A little wider than measured: renderers substitute fonts whose letters run slightly wider.
    return total * size / 1000 * 1.03


def truncate(text: str, max_width: float, size: float, *, bold: bool = False) -> str:
    """The text, cut and ended with an ellipsis if it would not fit in ``max_width``."""
    text = " ".join(text.split())
    if text_width(text, size, bold=bold) <= max_width:
        return text
    while text and text_width(text + ELLIPSIS, size, bold=bold) > max_width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


ToggleHref = Callable[[MapPerson], str]


def render_svg(
    account_map: AccountMap,
    *,
    standalone: bool = True,
    interactive: bool | None = None,
    toggle_href: ToggleHref | None = None,
) -> str:
    """The map as an SVG document.

    ``standalone`` adds a title and the legend, for a file read on its own; the page shows its
    legend as HTML beside the map instead. ``interactive`` (by default: when not standalone)
    makes the cards focusable buttons for the page's keyboard users, and ``toggle_href``,
    which gives the address that collapses or expands a branch, adds that control to each
    card with reports.
    """
    interactive = not standalone if interactive is None else interactive
    header = HEADER_HEIGHT if standalone else 0
    # The page lists its legend as HTML: only a file read on its own draws one.
    the_legend = legend() if standalone else None
    legend_width, legend_height = _legend_size(the_legend) if the_legend else (0.0, 0.0)
    map_width = account_map.width if account_map.people else EMPTY_WIDTH
    map_height = account_map.height if account_map.people else EMPTY_HEIGHT
    width = max(map_width, legend_width + 80)
    height = header + map_height + legend_height
    title = _("Account map of %(account)s") % {"account": account_map.account_name}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_number(width)} '
        f'{_number(height)}"'
        + (f' width="{_number(width)}" height="{_number(height)}"' if standalone else "")
        + (' role="img"' if standalone else ' role="group"')
        + f' aria-label="{_escape(title)}" font-family="{_escape(FONT_FAMILY)}"'
        ' class="map-svg" data-map-width="' + _number(map_width) + '"'
        ' data-map-height="' + _number(header + map_height) + '">',
        _title(title),
        _defs(),
        _tag(
            "rect",
            {
                "class": "map-background",
                "x": 0,
                "y": 0,
                "width": width,
                "height": height,
                "fill": BACKGROUND,
            },
        ),
    ]
    if standalone:
        parts.append(_header(account_map, title))
    parts.append(f'<g transform="translate(0 {header})">' if header else "<g>")
    if not account_map.people:
        parts.append(_empty_state(map_width, in_the_past=account_map.as_of is not None))
    else:
        by_id = {person.id: person for person in account_map.people}
        parts.append('<g class="map-reporting-lines">')
        parts += [_reporting_line(line, by_id) for line in account_map.reporting_lines]
        parts.append("</g>")
        parts.append('<g class="map-relationships">')
        parts += [
            _relationship(line, by_id, interactive=interactive)
            for line in account_map.relationship_lines
        ]
        parts.append("</g>")
        managers = {line.source for line in account_map.reporting_lines}
        parts.append('<g class="map-cards">')
        now = account_map.drawn_at or timezone.now()
        parts += [_card(person, interactive=interactive, now=now) for person in account_map.people]
        parts.append("</g>")
        parts.append('<g class="map-toggles">')
        parts += [
            _toggle(person, has_visible_reports=person.id in managers, href=toggle_href)
            for person in account_map.people
        ]
        parts.append("</g>")
    parts.append("</g>")
    if the_legend is not None:
        parts.append(_legend(the_legend, top=header + map_height))
    parts.append("</svg>")
    return "".join(parts)


def _defs() -> str:
    markers = []
    for kind, style in LINE_STYLES.items():
        if style.arrow:
            markers.append(
                f'<marker id="map-arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" '
                'markerWidth="4.5" markerHeight="4.5" orient="auto-start-reverse">'
                f'<path d="M0 0 L10 5 L0 10 z" fill="{style.colour}"/></marker>'
            )
    return f"<defs>{''.join(markers)}</defs>"


def _header(account_map: AccountMap, title: str) -> str:
    subtitle = (
        _("As it was on %(date)s") % {"date": formats.date_format(account_map.as_of, "DATE_FORMAT")}
        if account_map.as_of
        else ngettext("%(count)d person", "%(count)d people", len(account_map.people))
        % {"count": len(account_map.people)}
    )
    return _tag(
        "text",
        {"x": 40, "y": 30, "font-size": 18, "font-weight": 700, "fill": INK},
        _escape(title),
    ) + _tag(
        "text",
        {"x": 40, "y": 48, "font-size": 12, "fill": MUTED_INK},
        _escape(subtitle),
    )


def _empty_state(width: float, *, in_the_past: bool) -> str:
    box = _tag(
        "rect",
        {
            "x": 40,
            "y": 40,
            "width": width - 80,
            "height": EMPTY_HEIGHT - 80,
            "rx": CARD_RADIUS,
            "fill": "#ffffff",
            "stroke": "#b8c0cc",
            "stroke-width": 1.5,
            "stroke-dasharray": "6 5",
        },
    )
    headline = _tag(
        "text",
        {
            "x": width / 2,
            "y": EMPTY_HEIGHT / 2 - 4,
            "text-anchor": "middle",
            "font-size": 16,
            "font-weight": 700,
            "fill": INK,
        },
        _escape(_("No one was on this map then") if in_the_past else _("No one on this map yet")),
    )
    hint = _tag(
        "text",
        {
            "x": width / 2,
            "y": EMPTY_HEIGHT / 2 + 18,
            "text-anchor": "middle",
            "font-size": 12,
            "fill": MUTED_INK,
        },
        _escape(
            _("Choose a later date, or clear the filters.")
            if in_the_past
            else _("Add the people you meet at this account, or clear the filters.")
        ),
    )
    return f'<g class="map-empty">{box}{headline}{hint}</g>'


def _reporting_line(line: MapLine, by_id: dict[int, MapPerson]) -> str:
    """An orthogonal connector from the manager's bottom edge to the report's top edge."""
    manager, report = by_id[line.source], by_id[line.target]
    x1, y1 = manager.center_x, manager.y + manager.height
    x2, y2 = report.center_x, report.y
    bus = y1 + min(BUS_DROP, max((y2 - y1) / 2, 0))
    if report.stacked:
        # A report in the column under their manager: down a rail on the left, then in.
        rail = report.x - STACK_RAIL_OFFSET
        d = f"M{_number(rail)} {_number(y1)} V{_number(report.center_y)} H{_number(report.x)}"
    elif abs(x2 - x1) < 0.5 or y2 <= y1:
        d = f"M{_number(x1)} {_number(y1)} L{_number(x2)} {_number(y2)}"
    else:
        # Rounded corners where the connector turns, as on a hand-drawn chart.
        radius = min(8.0, abs(x2 - x1) / 2, bus - y1, y2 - bus)
        step = radius if x2 > x1 else -radius
        d = (
            f"M{_number(x1)} {_number(y1)} V{_number(bus - radius)} "
            f"Q{_number(x1)} {_number(bus)} {_number(x1 + step)} {_number(bus)} "
            f"H{_number(x2 - step)} "
            f"Q{_number(x2)} {_number(bus)} {_number(x2)} {_number(bus + radius)} "
            f"V{_number(y2)}"
        )
    return _tag(
        "path",
        {
            "class": "map-reporting-line",
            "data-from": line.source,
            "data-to": line.target,
            "d": d,
            "fill": "none",
            "stroke": REPORTING_LINE,
            "stroke-width": 1.5,
            "stroke-linejoin": "round",
        },
    )


def _relationship_path(source: MapPerson, target: MapPerson) -> str:
    """A curve between two cards that leaves the middle of their edges to reporting lines."""
    direction = 1.0 if target.center_x >= source.center_x else -1.0
    quarter = source.width / 4
    if abs(target.y - source.y) < source.height:
        # Same row: dip below the cards, deeper the further apart they are.
        x1, y1 = source.center_x + direction * quarter, source.y + source.height
        x2, y2 = target.center_x - direction * quarter, target.y + target.height
        depth = min(90.0, 30 + abs(x2 - x1) * 0.1)
        return (
            f"M{_number(x1)} {_number(y1)} "
            f"Q{_number((x1 + x2) / 2)} {_number(max(y1, y2) + depth)} "
            f"{_number(x2)} {_number(y2)}"
        )
    downward = target.y > source.y
    x1 = source.center_x + direction * quarter
    x2 = target.center_x - direction * quarter
    y1 = source.y + source.height if downward else source.y
    y2 = target.y if downward else target.y + target.height
    pull = max(30.0, abs(y2 - y1) * 0.45) * (1 if downward else -1)
    return (
        f"M{_number(x1)} {_number(y1)} "
        f"C{_number(x1)} {_number(y1 + pull)} {_number(x2)} {_number(y2 - pull)} "
        f"{_number(x2)} {_number(y2)}"
    )


def _relationship(line: MapLine, by_id: dict[int, MapPerson], *, interactive: bool) -> str:
    source, target = by_id[line.source], by_id[line.target]
    style = LINE_STYLES.get(line.kind, OTHER_LINE)
    d = _relationship_path(source, target)
    description = _("%(source)s — %(kind)s — %(target)s") % {
        "source": source.name,
        "kind": line_label(line.kind).lower(),
        "target": target.name,
    }
    if line.note:
        description = f"{description}: {line.note}"
    # A wide invisible stroke under the dashes makes the tooltip easy to reach with a pointer.
    hit_area = (
        _tag(
            "path",
            {"d": d, "fill": "none", "stroke": "#000000", "stroke-opacity": 0, "stroke-width": 10},
        )
        if interactive
        else ""
    )
    path = _tag(
        "path",
        {
            "class": "map-relationship-line",
            "d": d,
            "fill": "none",
            "stroke": style.colour,
            "stroke-width": 2,
            "stroke-dasharray": style.dash,
            "stroke-linecap": "round",
            "marker-end": f"url(#map-arrow-{line.kind})" if style.arrow else None,
        },
    )
    return _tag(
        "g",
        {
            "class": f"map-relationship map-relationship-{line.kind}",
            "data-kind": line.kind,
            "data-from": line.source,
            "data-to": line.target,
        },
        _title(description) + hit_area + path,
    )


def _card_label(person: MapPerson, *, now: datetime.datetime) -> str:
    facts = [person.name]
    if person.title:
        facts.append(person.title)
    facts.append(stance_label(person.stance))
    facts.append(influence_label(person.influence))
    if person.roles:
        facts.append(", ".join(role_label(role) for role in person.roles))
    if person.owners:
        facts.append(_("Owned by %(initials)s") % {"initials": ", ".join(person.owners)})
    if person.contact_known:
        facts.append(contact_text(person, now=now))
    if person.has_left:
        facts.append(_("Left the company"))
    if person.hidden_reports:
        facts.append(
            ngettext(
                "%(count)d person hidden below",
                "%(count)d people hidden below",
                person.hidden_reports,
            )
            % {"count": person.hidden_reports}
        )
    return " · ".join(facts)


def _card(person: MapPerson, *, interactive: bool, now: datetime.datetime) -> str:
    style = STANCE_STYLES.get(person.stance, STANCE_STYLES[UNKNOWN])
    label = _card_label(person, now=now)
    body = [
        _title(label),
        _tag(
            "rect",
            {
                "class": "map-card-shape",
                "width": person.width,
                "height": person.height,
                "rx": CARD_RADIUS,
                "fill": style.fill,
                "stroke": style.border,
                "stroke-width": BORDER_WIDTHS.get(person.influence, BORDER_WIDTHS[""]),
                "stroke-dasharray": "5 4" if style.dashed else None,
            },
        ),
    ]
    if interactive:
        # Drawn only on keyboard focus, by the page's stylesheet: the border stays the
        # influence's own.
        body.append(
            _tag(
                "rect",
                {
                    "class": "map-card-focus",
                    "x": -4,
                    "y": -4,
                    "width": person.width + 8,
                    "height": person.height + 8,
                    "rx": CARD_RADIUS + 3,
                    "fill": "none",
                    "stroke": "none",
                },
            )
        )
    name_room = person.width - 2 * PADDING - (2 * STANCE_MARK_RADIUS + 8)
    right = person.width - PADDING
    if style.mark:
        body.append(_stance_mark(style, right - STANCE_MARK_RADIUS, 17))
        right -= 2 * STANCE_MARK_RADIUS + 4
    if person.has_left:
        left_text = _("left")
        tag_width = text_width(left_text, BADGE_SIZE, bold=True) + 10
        right -= tag_width
        name_room -= tag_width + 4
        body.append(
            _tag(
                "rect",
                {
                    "class": "map-left-tag",
                    "x": right,
                    "y": 9,
                    "width": tag_width,
                    "height": 16,
                    "rx": 8,
                    "fill": MUTED_INK,
                },
            )
            + _tag(
                "text",
                {
                    "x": right + tag_width / 2,
                    "y": 21,
                    "text-anchor": "middle",
                    "font-size": BADGE_SIZE,
                    "font-weight": 700,
                    "fill": "#ffffff",
                },
                _escape(left_text),
            )
        )
    body.append(
        _tag(
            "text",
            {
                "class": "map-card-name",
                "x": PADDING,
                "y": 23,
                "font-size": NAME_SIZE,
                "font-weight": 700,
                "fill": INK,
            },
            _escape(truncate(person.name, name_room, NAME_SIZE, bold=True)),
        )
    )
    if person.title:
        body.append(
            _tag(
                "text",
                {
                    "class": "map-card-title",
                    "x": PADDING,
                    "y": 41,
                    "font-size": TITLE_SIZE,
                    "fill": INK,
                },
                _escape(truncate(person.title, person.width - 2 * PADDING, TITLE_SIZE)),
            )
        )
    if person.contact_known:
        text = contact_text(person, now=now)
        body.append(
            _tag(
                "text",
                {
                    "class": "map-card-contact",
                    "x": PADDING,
                    "y": 58,
                    "font-size": CONTACT_SIZE,
                    "fill": MUTED_INK,
                },
                _escape(truncate(text, person.width - 2 * PADDING, CONTACT_SIZE)),
            )
        )
    owners_width = _owner_circles(person, body)
    _role_badges(person, body, room=person.width - 2 * PADDING - owners_width)
    return _tag(
        "g",
        {
            "class": "map-card" + (" map-card-left" if person.has_left else ""),
            "transform": f"translate({_number(person.x)} {_number(person.y)})",
            "data-person-id": person.id,
            "data-manager-id": person.manager_id if person.manager_id is not None else "",
            "data-stance": person.stance or "unknown",
            "data-fill": style.fill,
            "opacity": 0.5 if person.has_left else None,
            "role": "button" if interactive else None,
            "tabindex": 0 if interactive else None,
            "aria-label": label if interactive else None,
        },
        "".join(body),
    )


def _stance_mark(style: StanceStyle, cx: float, cy: float) -> str:
    return _tag(
        "circle",
        {
            "cx": cx,
            "cy": cy,
            "r": STANCE_MARK_RADIUS,
            "fill": "#ffffff",
            "fill-opacity": 0.85,
            "stroke": style.border,
            "stroke-width": 1,
        },
    ) + _tag(
        "text",
        {
            "x": cx,
            "y": cy + 4,
            "text-anchor": "middle",
            "font-size": 11 if len(style.mark) == 1 else 9,
            "font-weight": 700,
            "fill": INK,
            "aria-hidden": "true",
        },
        _escape(style.mark),
    )


def _owner_circles(person: MapPerson, body: list[str]) -> float:
    """Our relationship owners' initials, right-aligned on the bottom row; returns the width.

    Each sits in a ring as thick as the relationship is strong (see ``TIE_WEIGHTS``).
    """
    if not person.owners:
        return 0.0
    ties = person.ties or [OwnerTie(initials=initials) for initials in person.owners]
    shown = ties[:MAX_OWNER_CIRCLES]
    extra = len(ties) - len(shown)
    cy = person.height - PADDING - OWNER_RADIUS + 2
    cx = person.width - PADDING - OWNER_RADIUS
    circles = []
    if extra:
        hidden = ", ".join(tie_label(tie) for tie in ties[MAX_OWNER_CIRCLES:])
        circles.append(
            _tag(
                "g", {"class": "map-owner-more"}, _title(hidden) + _owner_disc(cx, cy, f"+{extra}")
            )
        )
        cx -= 2 * OWNER_RADIUS - 2
    for tie in reversed(shown):
        width = tie_width(tie.strength)
        ring = (
            _tag(
                "circle",
                {
                    "class": "map-owner-tie",
                    "cx": cx,
                    "cy": cy,
                    "r": OWNER_RADIUS + TIE_GAP + width / 2,
                    "fill": "none",
                    "stroke": OWNER_FILL,
                    "stroke-width": width,
                },
            )
            if width
            else ""
        )
        circles.append(
            _tag(
                "g",
                {
                    "class": "map-owner",
                    "data-strength": tie.strength if tie.strength is not None else "",
                    "data-strength-source": "computed" if tie.computed else "manual",
                },
                _title(tie_label(tie)) + ring + _owner_disc(cx, cy, tie.initials[:3]),
            )
        )
        cx -= 2 * OWNER_RADIUS - 2
    owners = _("Relationship owners: %(initials)s") % {"initials": ", ".join(person.owners)}
    body.append(_tag("g", {"class": "map-owners"}, _title(owners) + "".join(circles)))
    return (len(shown) + bool(extra)) * (2 * OWNER_RADIUS - 2) + 6


def _owner_disc(cx: float, cy: float, text: str) -> str:
    return _tag(
        "circle",
        {
            "cx": cx,
            "cy": cy,
            "r": OWNER_RADIUS,
            "fill": OWNER_FILL,
            "stroke": "#ffffff",
            "stroke-width": TIE_GAP,
        },
    ) + _tag(
        "text",
        {
            "x": cx,
            "y": cy + 3.5,
            "text-anchor": "middle",
            "font-size": 9,
            "font-weight": 700,
            "fill": "#ffffff",
        },
        _escape(text),
    )


def _role_badges(person: MapPerson, body: list[str], *, room: float) -> None:
    x = float(PADDING)
    y = person.height - PADDING - BADGE_HEIGHT + 1
    for index, role in enumerate(person.roles):
        text = role_abbreviation(role)
        width = text_width(text, BADGE_SIZE, bold=True) + 10
        remaining = len(person.roles) - index
        more = f"+{remaining - 1}"
        more_width = text_width(more, BADGE_SIZE, bold=True) + 10 if remaining > 1 else 0
        if x + width + (more_width + 4 if more_width else 0) > PADDING + room and remaining > 1:
            hidden = ", ".join(role_label(other) for other in person.roles[index:])
            body.append(_badge(f"+{remaining}", hidden, x, y))
            return
        body.append(_badge(text, role_label(role), x, y))
        x += width + 4


def _badge(text: str, tooltip: str, x: float, y: float) -> str:
    width = text_width(text, BADGE_SIZE, bold=True) + 10
    return _tag(
        "g",
        {"class": "map-role"},
        _title(tooltip)
        + _tag(
            "rect",
            {
                "x": x,
                "y": y,
                "width": width,
                "height": BADGE_HEIGHT,
                "rx": 4,
                "fill": "#ffffff",
                "stroke": INK,
                "stroke-width": 0.75,
            },
        )
        + _tag(
            "text",
            {
                "x": x + width / 2,
                "y": y + 12,
                "text-anchor": "middle",
                "font-size": BADGE_SIZE,
                "font-weight": 700,
                "fill": INK,
            },
            _escape(text),
        ),
    )


def _toggle(person: MapPerson, *, has_visible_reports: bool, href: ToggleHref | None) -> str:
    """The "+N" marker of a collapsed branch; on the page, also the control that flips it."""
    cx, cy = person.center_x, person.y + person.height
    if person.hidden_reports:
        text = f"+{person.hidden_reports}"
        tooltip = ngettext(
            "Show the %(count)d person under %(name)s",
            "Show the %(count)d people under %(name)s",
            person.hidden_reports,
        ) % {"count": person.hidden_reports, "name": person.name}
        width = max(24.0, text_width(text, 11, bold=True) + 14)
        shape = _tag(
            "rect",
            {
                "x": cx - width / 2,
                "y": cy - 9,
                "width": width,
                "height": 18,
                "rx": 9,
                "fill": "#1f4e79",
                "stroke": "#ffffff",
                "stroke-width": 1.5,
            },
        ) + _tag(
            "text",
            {
                "x": cx,
                "y": cy + 4,
                "text-anchor": "middle",
                "font-size": 11,
                "font-weight": 700,
                "fill": "#ffffff",
            },
            _escape(text),
        )
    elif has_visible_reports and href is not None:
        tooltip = _("Collapse the people under %(name)s") % {"name": person.name}
        shape = _tag(
            "circle",
            {"cx": cx, "cy": cy, "r": 9, "fill": "#ffffff", "stroke": MUTED_INK, "stroke-width": 1},
        ) + _tag(
            "path",
            {
                "d": f"M{_number(cx - 4)} {_number(cy)} H{_number(cx + 4)}",
                "stroke": INK,
                "stroke-width": 1.75,
                "stroke-linecap": "round",
            },
        )
    else:
        return ""
    if href is None:
        return _tag(
            "g",
            {"class": "map-hidden-count", "data-person-id": person.id},
            _title(tooltip) + shape,
        )
    return _tag(
        "a",
        {
            "class": "map-toggle",
            "href": href(person),
            "data-person-id": person.id,
            "aria-label": tooltip,
        },
        _title(tooltip) + shape,
    )


LEGEND_ROW = 18
LEGEND_COLUMN = 170
LEGEND_TOP_PADDING = 46


def _legend_size(the_legend: Legend) -> tuple[float, float]:
    rows = max(
        len(the_legend.stances),
        len(the_legend.lines) + len(the_legend.influences) + 1,
        (len(the_legend.roles) + 1) // 2 + 1 + len(the_legend.ties),
    )
    return 4 * LEGEND_COLUMN, LEGEND_TOP_PADDING + rows * LEGEND_ROW + 30


def _legend(the_legend: Legend, *, top: float) -> str:
    left = 40.0
    parts = [
        f'<g class="map-legend" transform="translate({_number(left)} {_number(top)})">',
        _tag(
            "line",
            {"x1": 0, "y1": 8, "x2": 4 * LEGEND_COLUMN - 40, "y2": 8, "stroke": "#d9dee5"},
        ),
    ]
    parts.append(_legend_heading(_("Stance"), 0))
    for row, entry in enumerate(the_legend.stances):
        y = LEGEND_TOP_PADDING + row * LEGEND_ROW
        parts.append(
            _tag(
                "rect",
                {
                    "x": 0,
                    "y": y - 11,
                    "width": 26,
                    "height": 14,
                    "rx": 3,
                    "fill": entry.fill,
                    "stroke": entry.border,
                    "stroke-width": 1,
                    "stroke-dasharray": entry.dash or None,
                },
            )
        )
        if entry.mark:
            parts.append(_legend_text(entry.mark, 13, y, anchor="middle", bold=True, size=9))
        parts.append(_legend_text(entry.label, 34, y))
    column = LEGEND_COLUMN
    parts.append(_legend_heading(_("Lines"), column))
    for row, entry in enumerate(the_legend.lines):
        y = LEGEND_TOP_PADDING + row * LEGEND_ROW - 4
        parts.append(
            _tag(
                "path",
                {
                    "d": f"M{column} {y} H{column + 28}",
                    "stroke": entry.border,
                    "stroke-width": 2 if entry.dash else 1.5,
                    "stroke-dasharray": entry.dash or None,
                    "marker-end": f"url(#map-arrow-{entry.key})" if entry.arrow else None,
                },
            )
        )
        parts.append(_legend_text(entry.label, column + 36, y + 4))
    first_influence_row = len(the_legend.lines) + 1
    for offset, entry in enumerate(the_legend.influences):
        y = LEGEND_TOP_PADDING + (first_influence_row + offset) * LEGEND_ROW
        parts.append(
            _tag(
                "rect",
                {
                    "x": column + 1,
                    "y": y - 11,
                    "width": 26,
                    "height": 14,
                    "rx": 3,
                    "fill": "#ffffff",
                    "stroke": INK,
                    "stroke-width": entry.border_width,
                },
            )
        )
        parts.append(_legend_text(entry.label, column + 36, y))
    column = 2 * LEGEND_COLUMN
    parts.append(_legend_heading(_("Decision roles"), column))
    half = (len(the_legend.roles) + 1) // 2
    for index, entry in enumerate(the_legend.roles):
        x = column + (index // half) * LEGEND_COLUMN
        y = LEGEND_TOP_PADDING + (index % half) * LEGEND_ROW
        parts.append(_badge(entry.mark, entry.label, x, y - 12))
        parts.append(_legend_text(entry.label, x + 36, y))
    for offset, entry in enumerate(the_legend.ties):
        y = LEGEND_TOP_PADDING + (half + 1 + offset) * LEGEND_ROW
        parts.append(
            _tag(
                "circle",
                {
                    "cx": column + 13,
                    "cy": y - 4,
                    "r": 5 + TIE_GAP + entry.border_width / 2,
                    "fill": "none",
                    "stroke": entry.border,
                    "stroke-width": entry.border_width,
                },
            )
            + _tag("circle", {"cx": column + 13, "cy": y - 4, "r": 5, "fill": OWNER_FILL})
        )
        parts.append(_legend_text(entry.label, column + 36, y))
    parts.append("</g>")
    return "".join(parts)


def _legend_heading(text: str, x: float) -> str:
    return _tag(
        "text",
        {"x": x, "y": 24, "font-size": 11, "font-weight": 700, "fill": MUTED_INK},
        _escape(text.upper()),
    )


def _legend_text(
    text: str,
    x: float,
    y: float,
    *,
    anchor: str | None = None,
    bold: bool = False,
    size: float = 11,
) -> str:
    return _tag(
        "text",
        {
            "x": x,
            "y": y,
            "font-size": size,
            "font-weight": 700 if bold else None,
            "text-anchor": anchor,
            "fill": INK,
        },
        _escape(text),
    )
