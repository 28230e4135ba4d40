"""The revenue charts: what they draw, where, in whose number format, and when there is nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.utils import translation

from rapport.revenue import drawing
from rapport.revenue.metrics import BridgeMonth, ForecastMonth

SVG = "{http://www.w3.org/2000/svg}"
D = Decimal


def parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 (our own output)


def bars(root: ElementTree.Element) -> list[ElementTree.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if "chart-bar" in rect.get("class", "")]


def zero_line(root: ElementTree.Element) -> float:
    line = next(line for line in root.iter(f"{SVG}line") if line.get("class") == "chart-zero")
    return float(line.get("y1", "nan"))


def text_of(root: ElementTree.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def bridge_month(month: int, **amounts: str) -> BridgeMonth:
    values = {
        heading: D(amounts.get(heading, "0"))
        for heading in (*drawing.BRIDGE_UP, *drawing.BRIDGE_DOWN)
    }
    return BridgeMonth(month=datetime.date(2025, month, 1), starting=D(0), ending=D(0), **values)


def test_the_arr_line_has_a_point_per_day_at_its_value() -> None:
    points = [
        drawing.ArrPoint(datetime.date(2024, 12, 31), D("10000")),
        drawing.ArrPoint(datetime.date(2025, 1, 31), D("12000")),
        drawing.ArrPoint(datetime.date(2025, 2, 28), D("6000")),
        drawing.ArrPoint(datetime.date(2025, 3, 31), D("6000")),
    ]
    root = parsed(drawing.arr_chart(points, title="ARR of the book", currency="EUR"))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "ARR of the book"  # type: ignore[union-attr]
    description = root.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert "12,000 EUR" in description and "6,000 EUR" in description
    circles = list(root.iter(f"{SVG}circle"))
    assert [circle.get("data-value") for circle in circles] == ["10000", "12000", "6000", "6000"]
    assert [circle.get("data-day") for circle in circles] == [
        "2024-12-31",
        "2025-01-31",
        "2025-02-28",
        "2025-03-31",
    ]
    # Higher ARR is drawn higher; the same ARR at the same height; left to right in time.
    ys = [float(circle.get("cy", "nan")) for circle in circles]
    xs = [float(circle.get("cx", "nan")) for circle in circles]
    assert ys[1] < ys[0] < ys[2] and ys[2] == ys[3]
    assert xs == sorted(xs) and len(set(xs)) == 4
    # The heights are proportional to the values, measured from the zero line.
    base = zero_line(root)
    assert (base - ys[1]) / (base - ys[2]) == pytest.approx(2, rel=0.02)
    # Each point says its figure as text, and the axes are labelled.
    tooltips = [circle.findtext(f"{SVG}title") for circle in circles]
    assert tooltips[1] == "Jan. 31, 2025: 12,000 EUR"
    labels = text_of(root)
    assert "0" in labels and "10,000" in labels
    assert "Jan 2025" in labels and "Feb" in labels and "Mar" in labels
    # No style attribute anywhere: the CSP allows none, colours come from classes.
    assert all("style" not in element.attrib for element in root.iter())
    assert root.find(f".//{SVG}polyline[@class='arr-line']") is not None


def test_the_bridge_stacks_gains_above_zero_and_losses_below() -> None:
    months = [
        bridge_month(1, new="3000", expansion="1000"),
        bridge_month(2, contraction="500", churn="2000"),
        bridge_month(3, reactivation="800", expansion="200", churn="1000"),
    ]
    root = parsed(drawing.bridge_chart(months, currency="EUR"))
    drawn = bars(root)
    # One bar a non-zero figure: 2 + 2 + 3.
    assert [(bar.get("data-series"), bar.get("data-value")) for bar in drawn] == [
        ("new", "3000"),
        ("expansion", "1000"),
        ("contraction", "-500"),
        ("churn", "-2000"),
        ("reactivation", "800"),
        ("expansion", "200"),
        ("churn", "-1000"),
    ]
    base = zero_line(root)
    for bar in drawn:
        top, height = float(bar.get("y", "nan")), float(bar.get("height", "nan"))
        if bar.get("data-value", "").startswith("-"):
            assert top >= base - 0.01, "a loss hangs below the zero line"
        else:
            assert top + height <= base + 0.01, "a gain stands on the zero line"
    # Heights are proportional to the amounts; stacked bars touch.
    new, expansion, contraction, churn = drawn[0], drawn[1], drawn[2], drawn[3]
    height = {bar: float(bar.get("height", "nan")) for bar in (new, expansion, churn, contraction)}
    assert height[new] / height[expansion] == pytest.approx(3, rel=0.02)
    assert height[churn] / height[contraction] == pytest.approx(4, rel=0.02)
    assert float(expansion.get("y", "nan")) + height[expansion] == pytest.approx(
        float(new.get("y", "nan")), abs=0.1
    )
    assert float(contraction.get("y", "nan")) + height[contraction] == pytest.approx(
        float(churn.get("y", "nan")), abs=0.1
    )
    # Months are grouped and labelled; every bar says its figure.
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "chart-month"]
    assert [g.get("data-month") for g in groups] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    tooltip = churn.find(f"{SVG}title").text  # type: ignore[union-attr]
    assert tooltip == "February 2025, Churn: 2,000 EUR"
    # The legend names each heading beside its swatch.
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "chart-legend")
    assert text_of(legend) == ["New", "Reactivation", "Expansion", "Contraction", "Churn"]
    swatches = [rect.get("class") for rect in legend.iter(f"{SVG}rect")]
    assert swatches[0] == "chart-swatch bridge-new" and swatches[-1] == "chart-swatch bridge-churn"
    assert all("style" not in element.attrib for element in root.iter())


def test_renewals_stack_forecast_categories_and_outcomes() -> None:
    months = [
        ForecastMonth(
            month=datetime.date(2025, 1, 1),
            amounts={"commit": D("1000"), "pipeline": D("500"), "won": D("2000")},
        ),
        ForecastMonth(month=datetime.date(2025, 2, 1)),
        ForecastMonth(month=datetime.date(2025, 3, 1), amounts={"lost": D("700")}),
    ]
    root = parsed(drawing.renewals_chart(months, currency="USD"))
    drawn = bars(root)
    assert [(bar.get("data-series"), bar.get("data-value")) for bar in drawn] == [
        ("commit", "1000"),
        ("pipeline", "500"),
        ("won", "2000"),
        ("lost", "700"),
    ]
    base = zero_line(root)
    assert all(
        float(bar.get("y", "nan")) + float(bar.get("height", "nan")) <= base + 0.01 for bar in drawn
    )
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "chart-legend")
    assert text_of(legend) == ["Commit", "Best case", "Pipeline", "Omitted", "Won", "Lost"]
    assert "USD" in (drawn[0].find(f"{SVG}title").text or "")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "svg",
    [
        lambda: drawing.arr_chart([]),
        lambda: drawing.arr_chart(
            [
                drawing.ArrPoint(datetime.date(2025, 1, 31), D(0)),
                drawing.ArrPoint(datetime.date(2025, 2, 28), D(0)),
            ]
        ),
        lambda: drawing.bridge_chart([]),
        lambda: drawing.bridge_chart([bridge_month(1), bridge_month(2)]),
        lambda: drawing.renewals_chart([]),
        lambda: drawing.renewals_chart([ForecastMonth(month=datetime.date(2025, 1, 1))]),
    ],
    ids=["arr none", "arr zero", "bridge none", "bridge still", "renewals none", "renewals zero"],
)
def test_nothing_to_draw_is_said_not_drawn(svg: object) -> None:
    root = parsed(svg())  # type: ignore[operator]
    assert root.get("role") == "img"
    assert not bars(root) and not list(root.iter(f"{SVG}circle"))
    message = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-empty")
    assert "nothing to draw" in (message.text or "")
    assert root.find(f"{SVG}desc").text == message.text  # type: ignore[union-attr]


def test_numbers_and_months_follow_the_readers_language() -> None:
    months = [bridge_month(1, new="12500.5"), bridge_month(2, churn="1000")]
    with translation.override("fr"):
        root = parsed(drawing.bridge_chart(months, currency="EUR"))
    tooltip = bars(root)[0].find(f"{SVG}title").text or ""  # type: ignore[union-attr]
    # French groups digits and keeps the amount with its currency by no-break spaces.
    assert "12\xa0500,50\xa0EUR" in tooltip
    assert "janvier 2025" in tooltip
    labels = text_of(root)
    assert any(label.startswith("-") for label in labels), "the axis reaches below zero"


def test_text_is_escaped() -> None:
    svg = drawing.arr_chart(
        [
            drawing.ArrPoint(datetime.date(2025, 1, 31), D(5)),
            drawing.ArrPoint(datetime.date(2025, 2, 28), D(10)),
        ],
        title='<script>alert("x")</script> & Co',
    )
    assert "<script>" not in svg
    assert parsed(svg).find(f"{SVG}title").text == '<script>alert("x")</script> & Co'  # type: ignore[union-attr]


def test_round_steps() -> None:
    assert drawing.nice_step(10_000) == 2000
    assert drawing.nice_step(12_500) == 2500
    assert drawing.nice_step(7) == 2
    scale = drawing.ValueScale.around([-1200.0, 5100.0], top=0, bottom=100)
    assert scale.low < -1200 and scale.high >= 5100 and 0 in scale.ticks
    assert scale.y(0) == pytest.approx(100 * scale.high / (scale.high - scale.low))


def test_money_text() -> None:
    assert drawing.money_text(D("1234.5"), "USD") == "1,234.50 USD"
    assert drawing.money_text(D("1234"), "EUR") == "1,234 EUR"
    with translation.override("fr"):
        assert drawing.money_text(D("1234.5"), "EUR").replace("\xa0", " ") == "1 234,50 EUR"
