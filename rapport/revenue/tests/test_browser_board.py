"""Moving opportunities across the board in a real Chromium: by dragging, and by keyboard.

The account manager signs in, opens the board, drags a card from one stage's column to
another's; the board comes back with the card in its new column, still there after a reload, and
the opportunity is at the new stage with its version raised. A second card moves one stage on
with the right arrow key, then is dropped on Lost, which asks why first. No console error, no
Content-Security-Policy violation.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from rapport.core.tests.personas import Personas
from rapport.core.tests.test_browser_journey import (  # noqa: F401  (fixtures)
    BrowserProblems,
    browser,
    labelled,
    page,
    problems,
    sign_in,
)
from rapport.revenue.models import Opportunity
from rapport.revenue.tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def column(on: Page, stage_name: str):  # type: ignore[no-untyped-def]
    return on.get_by_role("region", name=stage_name, exact=True)


def test_drag_a_card_to_another_stage(
    page: Page,  # noqa: F811
    personas: Personas,
    problems: BrowserProblems,  # noqa: F811
) -> None:
    # The transactional database was flushed of the shipped stages: make them again.
    factories.pipeline()
    soon = timezone.localdate() + datetime.timedelta(days=20)
    dragged = factories.opportunity(
        account=personas.account, name="Seats for the new office", close_date=soon, amount=4800
    )
    keyed = factories.opportunity(
        account=personas.account,
        name="Analytics cross-sell",
        close_date=soon,
        stage=factories.stage("Proposal"),
    )
    ARTIFACTS.mkdir(exist_ok=True)

    sign_in(page, personas.owner.email)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto(reverse("revenue:opportunity_board"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunity board")
    card = page.locator(f"#opportunity-card-{dragged.pk}")
    expect(column(page, "Qualification").locator(card)).to_be_visible()

    # 1. Drag the card from Qualification onto the Negotiation column.
    card.drag_to(column(page, "Negotiation"))

    expect(page.get_by_role("status")).to_contain_text(
        "“Seats for the new office” moved to Negotiation."
    )
    expect(column(page, "Negotiation").locator(f"#opportunity-card-{dragged.pk}")).to_be_visible()
    expect(column(page, "Qualification").locator(f"#opportunity-card-{dragged.pk}")).to_have_count(
        0
    )
    expect(column(page, "Negotiation")).to_contain_text("4,800.00 EUR")
    page.screenshot(path=ARTIFACTS / "opportunity-board.png", full_page=True)

    # 2. After a reload it is still there, and so it is in the database.
    page.reload()
    expect(column(page, "Negotiation").locator(f"#opportunity-card-{dragged.pk}")).to_be_visible()
    stored = Opportunity.objects.select_related("stage").get(pk=dragged.pk)
    assert stored.stage.name == "Negotiation"
    assert stored.version == dragged.version + 1
    assert stored.probability == 75

    # 3. With the keyboard: focus the other card and press the right arrow.
    other = page.locator(f"#opportunity-card-{keyed.pk}")
    other.focus()
    page.keyboard.press("ArrowRight")
    expect(column(page, "Negotiation").locator(f"#opportunity-card-{keyed.pk}")).to_be_visible()
    # The focus stays on the card that moved, for the next key press.
    expect(page.locator(f"#opportunity-card-{keyed.pk}")).to_be_focused()
    assert Opportunity.objects.get(pk=keyed.pk).stage.name == "Negotiation"

    # 4. Dropped on Lost, a card asks why before it closes; the board comes back after.
    page.locator(f"#opportunity-card-{keyed.pk}").drag_to(column(page, "Lost"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mark Analytics cross-sell lost")
    assert Opportunity.objects.get(pk=keyed.pk).status == "open"
    labelled(page, "Reason lost").select_option(label="Budget cut")
    page.get_by_role("button", name="Mark lost").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunity board")
    expect(page.locator(f"#opportunity-card-{keyed.pk}")).to_have_count(0)
    assert Opportunity.objects.get(pk=keyed.pk).loss_reason == "budget"

    problems.assert_none()
