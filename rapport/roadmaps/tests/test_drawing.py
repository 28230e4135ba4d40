"""The Gantt drawing: what it draws, for whom, how it scales, and the PDF built from it."""

from __future__ import annotations

import datetime
import itertools
import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from rapport.accountmaps.drawing import text_width
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.roadmaps import drawing, selectors
from rapport.roadmaps.choices import ItemStatus, OwnerSide
from rapport.roadmaps.models import Roadmap
from rapport.roadmaps.tests.test_selectors import TODAY, day, item, make_roadmap, milestone

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def loaded(roadmap: Roadmap) -> Roadmap:
    return selectors.roadmap_detail(pk=roadmap.pk)


def draw(roadmap: Roadmap, *, today: datetime.date = TODAY, for_client: bool = False) -> str:
    gantt = drawing.build_gantt(loaded(roadmap), today=today, for_client=for_client)
    return drawing.render_svg(gantt, standalone=True)


def groups(svg: str, state: str) -> list[ElementTree.Element]:
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output)
    return [
        group
        for group in root.iter(f"{SVG}g")
        if f"gantt-{state}" in (group.get("class") or "").split()
    ]


@pytest.fixture
def roadmap(personas: Personas) -> Roadmap:
    champion = StakeholderFactory(account=personas.account, first_name="Ada", last_name="King")
    return make_roadmap(
        personas.account,
        item("Kickoff call", day(-20), status=ItemStatus.DONE, owner_user=personas.owner),
        item("Data import", day(-3), start_on=day(-12), internal_notes="Their IT is slow"),
        milestone(
            "Go-live",
            day(12),
            owner_side=OwnerSide.CLIENT,
            owner_stakeholder=champion,
            phase=1,
        ),
        item("Skipped survey", day(15), status=ItemStatus.SKIPPED, phase=1),
        item("Training", day(25), start_on=day(18), phase=1),
    )


def test_phases_items_milestones_and_states_are_drawn(roadmap: Roadmap) -> None:
    svg = draw(roadmap)
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output)
    assert root.get("role") == "img"
    assert [group.find(f"{SVG}title").text for group in groups(svg, "phase")] == [  # type: ignore[union-attr]
        "Set-up",
        "Adoption",
    ]
    done, late, skipped, planned = (
        groups(svg, state) for state in ("done", "late", "skipped", "planned")
    )
    assert [len(done), len(late), len(skipped), len(planned)] == [1, 1, 1, 2]
    # A bar from the start to the due date; a milestone is a diamond.
    assert late[0].find(f"{SVG}rect") is not None
    go_live = next(group for group in planned if group.find(f"{SVG}polygon") is not None)
    hover = go_live.find(f"{SVG}title").text or ""  # type: ignore[union-attr]
    assert "Go-live" in hover and "Milestone" in hover and "Ada King" in hover
    # States read without colour too.
    assert "✓" in ElementTree.tostring(done[0], encoding="unicode")
    assert "!" in ElementTree.tostring(late[0], encoding="unicode")


def test_bars_run_from_the_start_to_the_due_date(roadmap: Roadmap) -> None:
    gantt = drawing.build_gantt(loaded(roadmap), today=TODAY)
    svg = drawing.render_svg(gantt, standalone=False)
    training = next(
        group
        for group in groups(svg, "planned")
        if (group.find(f"{SVG}title").text or "").startswith("Training")  # type: ignore[union-attr]
    )
    bar = training.find(f"{SVG}rect")
    assert bar is not None
    x, width = float(bar.get("x", 0)), float(bar.get("width", 0))
    left = drawing.PADDING + drawing.LABEL_WIDTH
    assert x == pytest.approx(left + (day(18) - gantt.first_day).days * gantt.day_width, abs=0.1)
    assert width == pytest.approx(8 * gantt.day_width, abs=0.2)


def test_todays_line_and_the_month_ticks(roadmap: Roadmap) -> None:
    svg = draw(roadmap)
    today_group = groups(svg, "today")
    assert len(today_group) == 1
    assert "March 11, 2026" in (today_group[0].find(f"{SVG}title").text or "")  # type: ignore[union-attr]
    axis = ElementTree.fromstring(svg)  # noqa: S314 (our own output).find(f".//{SVG}g[@class='gantt-axis']")
    assert axis is not None
    labels = [text.text for text in axis.iter(f"{SVG}text")]
    # The axis runs from mid-February to early April: its first month is named with its year.
    assert "Mar 2026" in labels and "Apr" in labels
    # A faint line and the day's number each Monday on a roadmap this short.
    assert "16" in labels and "23" in labels


def test_a_far_away_today_is_named_rather_than_drawn(personas: Personas) -> None:
    roadmap = make_roadmap(personas.account, item("Renewal call", day(400)), start=day(380))
    svg = draw(roadmap)
    assert not groups(svg, "today")
    assert "Today (March 11, 2026) is before this timeline." in svg


def test_a_nearby_today_stretches_the_axis_to_show_it(personas: Personas) -> None:
    roadmap = make_roadmap(personas.account, item("Kickoff", day(30)), start=day(30))
    gantt = drawing.build_gantt(loaded(roadmap), today=TODAY)
    assert gantt.shows_today and gantt.first_day < TODAY


def test_the_client_drawing_leaves_out_internal_items_and_notes(
    personas: Personas, roadmap: Roadmap
) -> None:
    make_roadmap(
        personas.account,
        item("Secret step", day(1), client_facing=False, internal_notes="nothing"),
    )
    roadmap.items.filter(title="Training").update(client_facing=False)
    ours = draw(roadmap)
    theirs = draw(roadmap, for_client=True)
    assert "Training" in ours and "Their IT is slow" in ours and "Not shown to the client" in ours
    assert "Training" not in theirs and "Their IT is slow" not in theirs
    assert "Not shown to the client" not in theirs and "Secret step" not in theirs
    assert "Data import" in theirs and "Go-live" in theirs


def test_the_drawing_is_the_same_every_time_and_holds_no_script(roadmap: Roadmap) -> None:
    roadmap.items.filter(title="Training").update(
        title='<script>alert("x")</script> & "quotes"', internal_notes="<img onerror=alert(1)>"
    )
    first, second = draw(roadmap), draw(roadmap)
    assert first == second
    root = ElementTree.fromstring(first)  # noqa: S314 (our own output)
    for element in root.iter():
        assert element.tag.removeprefix(SVG) not in {"script", "a", "foreignObject", "image"}
        assert not any(name.lower().startswith("on") for name in element.attrib)
        assert not any("href" in name for name in element.attrib)
    assert "<script>" not in first and "&lt;script&gt;" in first


def test_an_empty_roadmap_says_so(personas: Personas) -> None:
    roadmap = make_roadmap(personas.account, phases=())
    svg = draw(roadmap)
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output)
    assert "Nothing planned on this roadmap yet." in svg
    # Four weeks of axis at least, so the legend has room.
    assert float(root.get("width", 0)) >= 900
    # The client sees no phase without a shared item.
    with_phases = make_roadmap(personas.account, item("Internal", day(1), client_facing=False))
    assert "Nothing on this roadmap is shared yet." in draw(with_phases, for_client=True)
    assert "Set-up" not in draw(with_phases, for_client=True)


def test_a_hundred_items_stay_readable(personas: Personas) -> None:
    long_title = "Configure the single sign-on for every regional subsidiary and its partners"
    items = [
        (milestone if index % 10 == 0 else item)(
            f"{long_title} {index}",
            day(index * 3),
            start_on=day(index * 3 - 4),
            phase=index // 25,
        )
        for index in range(100)
    ]
    roadmap = make_roadmap(personas.account, *items, phases=("One", "Two", "Three", "Four"))
    gantt = drawing.build_gantt(loaded(roadmap), today=TODAY)
    svg = drawing.render_svg(gantt)
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output)
    height = float(root.get("height", 0))
    assert height == pytest.approx(
        drawing.HEADER_HEIGHT
        + drawing.AXIS_HEIGHT
        + 100 * drawing.ROW_HEIGHT
        + 4 * drawing.PHASE_ROW_HEIGHT
        + drawing.LEGEND_HEIGHT
    )
    # A width that fits a screen whatever the span: the days shrink, not the page.
    assert float(root.get("width", 0)) <= drawing.PADDING * 2 + drawing.LABEL_WIDTH + 761
    for group in root.iter(f"{SVG}g"):
        if "gantt-item" not in (group.get("class") or ""):
            continue
        label = group.findall(f"{SVG}text")[-1].text or ""
        assert label.endswith("…")
        assert text_width(label, drawing.LABEL_SIZE) <= drawing.LABEL_WIDTH - 30
    # Month labels are spaced out so they never overlap.
    axis = root.find(f".//{SVG}g[@class='gantt-axis']")
    assert axis is not None
    xs = [float(text.get("x", 0)) for text in axis.iter(f"{SVG}text") if text.get("y") != "58"]
    month_xs = sorted(xs)
    assert all(b - a >= 40 for a, b in itertools.pairwise(month_xs))


def test_pdf_pages_repeat_the_phase_they_continue(personas: Personas) -> None:
    items = [item(f"Step {index}", day(index)) for index in range(30)]
    roadmap = make_roadmap(personas.account, *items, phases=("Only phase",))
    pages = drawing.page_rows(drawing.build_gantt(loaded(roadmap), today=TODAY), per_page=20)
    assert [len(page) for page in pages] == [20, 12]
    assert pages[1][0].item is None and pages[1][0].continued
    svg = drawing.render_svg(
        drawing.build_gantt(loaded(roadmap), today=TODAY), rows=pages[1], id_prefix="page-2"
    )
    assert "Only phase (continued)" in svg and 'id="page-2-title"' in svg


def pdf_text(content: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "roadmap.pdf"
    pdf.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],  # noqa: S607
        capture_output=True,
        check=True,
        text=True,
    )
    return re.sub(r"\s+", " ", result.stdout)


def test_the_pdf_holds_the_gantt_and_the_item_list(roadmap: Roadmap, tmp_path: Path) -> None:
    full = loaded(roadmap)
    items = selectors.roadmap_items(full)
    progress = selectors.progress_from_items(full, items, today=TODAY)
    content = drawing.roadmap_pdf(
        full, items=items, today=TODAY, for_client=False, progress=progress
    )
    assert content.startswith(b"%PDF-")
    text = pdf_text(content, tmp_path)
    assert "Onboarding" in text and "Northwind Traders" in text
    assert "Kickoff call" in text and "Their IT is slow" in text
    # The drawing's own words are in the PDF too (its legend and today's line).
    assert "Milestone" in text and "Today" in text
