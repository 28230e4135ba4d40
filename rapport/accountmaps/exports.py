"""The account map as files: SVG, PNG, PDF, draw.io, Mermaid, CSV and JSON.

Every format is built from the same ``AccountMap``, so a download shows what the page shows:
the same people, at the same places, with the same lines.
"""

from __future__ import annotations

import csv
import datetime
import enum
import html
import io
import json
import re
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import resvg_py
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rapport.accountmaps.drawing import (
    BORDER_WIDTHS,
    INK,
    LINE_STYLES,
    OTHER_LINE,
    REPORTING_LINE,
    STANCE_STYLES,
    UNKNOWN,
    choice_label,
    legend,
    line_label,
    render_svg,
)
from rapport.accountmaps.layout import REPORTS_TO, AccountMap, MapPerson
from rapport.stakeholders.choices import (
    DecisionRole,
    Influence,
    StakeholderStatus,
    Stance,
)
from rapport.stakeholders.models import Stakeholder


class MapFormat(enum.StrEnum):
    """The formats a map can be downloaded in."""

    JSON = "json"
    SVG = "svg"
    PNG = "png"
    PDF = "pdf"
    DRAWIO = "drawio"
    MERMAID = "mermaid"
    CSV = "csv"


# Content type and file extension of each format. draw.io registers its own media type;
# Mermaid has none, and plain text lets a browser show it.
CONTENT_TYPES = {
    MapFormat.JSON: ("application/json", "json"),
    MapFormat.SVG: ("image/svg+xml", "svg"),
    MapFormat.PNG: ("image/png", "png"),
    MapFormat.PDF: ("application/pdf", "pdf"),
    MapFormat.DRAWIO: ("application/vnd.jgraph.mxfile", "drawio"),
    MapFormat.MERMAID: ("text/plain; charset=utf-8", "mmd"),
    MapFormat.CSV: ("text/csv; charset=utf-8", "csv"),
}

# A raster at twice the size stays sharp on high-density screens and when zoomed in a slide.
PNG_ZOOM = 2.0

# SVG user units are CSS pixels, 96 to the inch.
MM_PER_SVG_UNIT = 25.4 / 96
# Room for the drawing on a landscape page, in millimetres, once the margins, the title and
# the legend are placed; the larger page is used only when the smaller would shrink the cards
# below SMALLEST_PRINT_SCALE, where their text stops being legible.
PAGE_ROOM_MM = {"A4": (273.0, 128.0), "A3": (396.0, 215.0)}
SMALLEST_PRINT_SCALE = 0.6
# The drawing's size, from the viewBox on its root element.
_VIEW_BOX = re.compile(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"')

# Mermaid class names: a stance's value, or these for an unknown stance and a person who left.
UNKNOWN_STANCE_CLASS = "unknown"
LEFT_CLASS = "left"

# Column names that org-chart importers recognise on their own (Lucidchart matches "Id",
# "Name" and "Manager Id"), so they stay in English whatever the user's language.
CSV_COLUMNS = [
    "Id",
    "Name",
    "Title",
    "Department",
    "Manager Id",
    "Email",
    "Stance",
    "Influence",
    "Decision roles",
    "Status",
]


@dataclass(frozen=True)
class MapFile:
    """A downloadable map: its bytes, their media type and a file name."""

    content: bytes
    content_type: str
    filename: str


def export_map(account_map: AccountMap, fmt: str) -> MapFile:
    """The map in the format asked for; an unknown format raises ``ValueError``."""
    try:
        map_format = MapFormat(fmt)
    except ValueError:
        raise ValueError(unknown_format_message(fmt)) from None
    content_type, extension = CONTENT_TYPES[map_format]
    builders = {
        MapFormat.JSON: _json,
        MapFormat.SVG: _svg,
        MapFormat.PNG: _png,
        MapFormat.PDF: _pdf,
        MapFormat.DRAWIO: _drawio,
        MapFormat.MERMAID: _mermaid,
        MapFormat.CSV: _csv,
    }
    return MapFile(
        content=builders[map_format](account_map),
        content_type=content_type,
        filename=f"{_file_stem(account_map)}.{extension}",
    )


def unknown_format_message(fmt: str) -> str:
    """The error shown for a format we do not export, listing the ones we do."""
    return _("Unknown map format “%(format)s”; choose one of: %(formats)s.") % {
        "format": fmt,
        "formats": ", ".join(item.value for item in MapFormat),
    }


def map_document(account_map: AccountMap) -> dict[str, Any]:
    """The map as plain data: the JSON export and the API's answer."""
    return {
        "account": {"id": account_map.account_id, "name": account_map.account_name},
        "as_of": account_map.as_of.isoformat() if account_map.as_of else None,
        "people": [
            {
                "id": person.id,
                "name": person.name,
                "title": person.title,
                "department": person.department,
                "stance": person.stance,
                "influence": person.influence,
                "roles": list(person.roles),
                "owners": list(person.owners),
                "has_left": person.has_left,
                "manager_id": person.manager_id,
                "x": person.x,
                "y": person.y,
                "width": person.width,
                "height": person.height,
            }
            for person in account_map.people
        ],
        "lines": [
            {"source": line.source, "target": line.target, "kind": line.kind, "note": line.note}
            for line in account_map.lines
        ],
        "width": account_map.width,
        "height": account_map.height,
    }


def _file_stem(account_map: AccountMap) -> str:
    # A name with no Latin letters slugifies to nothing; the id still names the file.
    slug = slugify(account_map.account_name) or f"account-{account_map.account_id}"
    return f"{slug}-map-{_map_date(account_map).isoformat()}"


def _map_date(account_map: AccountMap) -> datetime.date:
    """The day the map shows: its "as of" date, or today."""
    if account_map.as_of is not None:
        return timezone.localdate(account_map.as_of)
    return timezone.localdate()


def _json(account_map: AccountMap) -> bytes:
    return json.dumps(map_document(account_map), ensure_ascii=False, indent=2).encode()


def _svg(account_map: AccountMap) -> bytes:
    return render_svg(account_map, standalone=True).encode()


def _png(account_map: AccountMap) -> bytes:
    svg = render_svg(account_map, standalone=True)
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, zoom=PNG_ZOOM, background="#ffffff"))


def _pdf(account_map: AccountMap) -> bytes:
    # WeasyPrint loads Pango and its fonts on import: only PDF exports should pay for that.
    from weasyprint import HTML

    # The page has its own title and legend, so it takes the drawing without them.
    svg = render_svg(account_map, standalone=False)
    page_size, width_mm, height_mm = _page_fit(svg)
    as_of = account_map.as_of
    the_legend = legend()
    half_of_roles = (len(the_legend.roles) + 1) // 2
    context = {
        "account_name": account_map.account_name,
        "language": get_language(),
        "page_size": page_size,
        "svg_width": f"{width_mm:.1f}mm",
        "svg_height": f"{height_mm:.1f}mm",
        "printed_on": date_format(timezone.localdate(), "DATE_FORMAT"),
        "as_of": date_format(timezone.localdate(as_of), "DATE_FORMAT") if as_of else "",
        # The drawing escapes every text it places; the page only carries it.
        "svg": mark_safe(svg),  # noqa: S308
        "legend": the_legend,
        # Two short columns keep the legend as low as the stance column beside it.
        "role_columns": [the_legend.roles[:half_of_roles], the_legend.roles[half_of_roles:]],
    }
    page = render_to_string("accountmaps/map_pdf.html", context)
    document = HTML(string=page, url_fetcher=pdf_url_fetcher())
    return bytes(document.write_pdf())


def _page_fit(svg: str) -> tuple[str, float, float]:
    """The page size and the drawing's printed size in millimetres: at most its natural size,
    shrunk to fit an A4 page, or an A3 page when A4 would make the cards too small to read."""
    found = _VIEW_BOX.search(svg)
    view_width, view_height = (float(found[1]), float(found[2])) if found else (1.0, 1.0)
    width_mm = max(view_width, 1.0) * MM_PER_SVG_UNIT
    height_mm = max(view_height, 1.0) * MM_PER_SVG_UNIT
    fits: tuple[str, float, float] = ("A4", width_mm, height_mm)
    for page_size, (room_width, room_height) in PAGE_ROOM_MM.items():
        scale = min(1.0, room_width / width_mm, room_height / height_mm)
        fits = (page_size, width_mm * scale, height_mm * scale)
        if scale >= SMALLEST_PRINT_SCALE:
            break
    return fits


def pdf_url_fetcher() -> Any:
    """A fetcher for WeasyPrint that loads nothing the page names, neither over the network nor
    from the server's disk: the PDF is built from our own markup, with inline ``data:`` URLs at
    most. Whatever else is asked for is refused, and left out of the PDF."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def _drawio(account_map: AccountMap) -> bytes:
    mxfile = ElementTree.Element("mxfile", {"host": "Rapport", "type": "device"})
    diagram = ElementTree.SubElement(
        mxfile,
        "diagram",
        {
            "id": f"account-map-{account_map.account_id}",
            "name": account_map.account_name or _("Account map"),
        },
    )
    model = ElementTree.SubElement(
        diagram,
        "mxGraphModel",
        {
            "grid": "1",
            "gridSize": "10",
            "guides": "1",
            "tooltips": "1",
            "connect": "1",
            "arrows": "1",
            "fold": "1",
            "page": "0",
            "pageScale": "1",
            "pageWidth": _number(max(account_map.width, 850)),
            "pageHeight": _number(max(account_map.height, 1100)),
            "math": "0",
            "shadow": "0",
        },
    )
    root = ElementTree.SubElement(model, "root")
    # draw.io expects these two cells first: the root, and the default layer everything is on.
    ElementTree.SubElement(root, "mxCell", {"id": "0"})
    ElementTree.SubElement(root, "mxCell", {"id": "1", "parent": "0"})
    for person in account_map.people:
        cell = ElementTree.SubElement(
            root,
            "mxCell",
            {
                "id": _drawio_person_id(person.id),
                "value": _drawio_label(person),
                "style": _drawio_person_style(person),
                "vertex": "1",
                "parent": "1",
            },
        )
        geometry = {
            "x": _number(person.x),
            "y": _number(person.y),
            "width": _number(person.width),
            "height": _number(person.height),
            "as": "geometry",
        }
        ElementTree.SubElement(cell, "mxGeometry", geometry)
    for line in account_map.lines:
        reporting = line.kind == REPORTS_TO
        cell = ElementTree.SubElement(
            root,
            "mxCell",
            {
                # (source, target, kind) is unique: one reporting line per person, and the
                # database allows each relationship once.
                "id": f"line-{line.source}-{line.target}-{line.kind}",
                "value": "" if reporting else html.escape(line_label(line.kind)),
                "style": _drawio_line_style(line.kind),
                "edge": "1",
                "parent": "1",
                "source": _drawio_person_id(line.source),
                "target": _drawio_person_id(line.target),
            },
        )
        ElementTree.SubElement(cell, "mxGeometry", {"relative": "1", "as": "geometry"})
    ElementTree.indent(mxfile)
    return ElementTree.tostring(mxfile, encoding="utf-8", xml_declaration=True)


def _drawio_person_id(person_id: int) -> str:
    return f"person-{person_id}"


def _drawio_label(person: MapPerson) -> str:
    """The card's text as draw.io's HTML label: the name in bold, the title below."""
    label = f"<b>{html.escape(person.name)}</b>"
    if person.title:
        label += f"<br>{html.escape(person.title)}"
    return label


def _drawio_person_style(person: MapPerson) -> str:
    """The card as the map draws it: stance colours, a border as thick as the influence, and
    faded for a person who left."""
    stance = STANCE_STYLES.get(person.stance, STANCE_STYLES[UNKNOWN])
    border = BORDER_WIDTHS.get(person.influence, BORDER_WIDTHS[""])
    style = (
        f"rounded=1;arcSize=12;whiteSpace=wrap;html=1;align=left;spacingLeft=8;"
        f"fillColor={stance.fill};strokeColor={stance.border};strokeWidth={border:g};"
    )
    if stance.dashed:
        style += "dashed=1;"
    if person.has_left:
        style += "opacity=50;"
    return style


def _drawio_line_style(kind: str) -> str:
    """Reporting lines as orthogonal connectors; relationships dashed, as on the map."""
    if kind == REPORTS_TO:
        return (
            "edgeStyle=orthogonalEdgeStyle;rounded=1;html=1;endArrow=none;"
            f"strokeColor={REPORTING_LINE};strokeWidth=1.5;"
        )
    line = LINE_STYLES.get(kind, OTHER_LINE)
    arrow = "classic" if line.arrow else "none"
    return (
        f"curved=1;html=1;dashed=1;dashPattern={line.dash};endArrow={arrow};"
        f"strokeColor={line.colour};fontColor={line.colour};strokeWidth=2;"
    )


def _number(value: float) -> str:
    """Coordinates without a useless ``.0``."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _mermaid(account_map: AccountMap) -> bytes:
    lines = ["flowchart TD"]
    for person in account_map.people:
        label = _mermaid_text(person.name)
        if person.title:
            label += "<br/>" + _mermaid_text(person.title)
        lines.append(f'    {_mermaid_id(person.id)}["{label}"]')
    for line in account_map.lines:
        source, target = _mermaid_id(line.source), _mermaid_id(line.target)
        if line.kind == REPORTS_TO:
            lines.append(f"    {source} --> {target}")
        else:
            lines.append(f"    {source} -.->|{_mermaid_text(line_label(line.kind))}| {target}")
    by_class: dict[str, list[str]] = {}
    for person in account_map.people:
        by_class.setdefault(person.stance or UNKNOWN_STANCE_CLASS, []).append(
            _mermaid_id(person.id)
        )
        if person.has_left:
            by_class.setdefault(LEFT_CLASS, []).append(_mermaid_id(person.id))
    for stance, style in STANCE_STYLES.items():
        name = stance or UNKNOWN_STANCE_CLASS
        dash = ",stroke-dasharray:5 4" if style.dashed else ""
        lines.append(
            f"    classDef {name} fill:{style.fill},stroke:{style.border},color:{INK}{dash}"
        )
    lines.append(f"    classDef {LEFT_CLASS} opacity:0.5")
    for name, ids in by_class.items():
        lines.append(f"    class {','.join(ids)} {name}")
    return ("\n".join(lines) + "\n").encode()


def _mermaid_id(person_id: int) -> str:
    return f"p{person_id}"


# Characters that end or change a quoted Mermaid label, written as Mermaid's entity codes.
# "#" comes first so the codes written for the others are not escaped again.
_MERMAID_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "[": "#91;",
    "]": "#93;",
    "(": "#40;",
    ")": "#41;",
    "{": "#123;",
    "}": "#125;",
    "|": "#124;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
}


def _mermaid_text(text: str) -> str:
    """A name or title safe inside a quoted Mermaid label, on one line."""
    flat = " ".join(text.split())
    return "".join(_MERMAID_ENTITIES.get(character, character) for character in flat)


def _csv(account_map: AccountMap) -> bytes:
    emails = _emails(account_map)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for person in account_map.people:
        writer.writerow(
            [
                person.id,
                _csv_text(person.name),
                _csv_text(person.title),
                _csv_text(person.department),
                person.manager_id or "",
                _csv_text(emails.get(person.id, "")),
                choice_label(Stance, person.stance),
                choice_label(Influence, person.influence),
                "; ".join(choice_label(DecisionRole, role) for role in person.roles),
                choice_label(
                    StakeholderStatus,
                    StakeholderStatus.LEFT if person.has_left else StakeholderStatus.ACTIVE,
                ),
            ]
        )
    # The byte-order mark makes Excel read the file as UTF-8 instead of the local code page.
    return buffer.getvalue().encode("utf-8-sig")


# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(text: str) -> str:
    """Text typed by users, kept from running as a formula when the file is opened in a
    spreadsheet: a leading apostrophe makes it plain text there."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _emails(account_map: AccountMap) -> dict[int, str]:
    """The people's e-mail addresses, as recorded at the map's date: the map itself has none."""
    ids = [person.id for person in account_map.people]
    if not ids:
        return {}
    if account_map.as_of is None:
        rows = Stakeholder.all_objects.filter(pk__in=ids).values_list("pk", "email")
    else:
        # On history rows "pk" is the history row's own id; the person's id is "id".
        rows = (
            Stakeholder.history.as_of(account_map.as_of)
            .filter(id__in=ids)
            .values_list("id", "email")
        )
    return dict(rows)
