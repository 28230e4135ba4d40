"""A cross-sell from the white-space matrix, in a real Chromium.

The account manager signs in, goes to Revenue, then White space, finds Northwind's Analytics
cell white and clicks "Cross-sell": the cell turns into an open opportunity without the page
reloading, the opportunity is in the database with its one line, and its link leads to the
opportunity's page. The dashboard's charts draw under the CSP too. No console error, no
Content-Security-Policy violation.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from rapport.core.tests.personas import Personas
from rapport.core.tests.test_browser_journey import (  # noqa: F401  (fixtures)
    BrowserProblems,
    browser,
    page,
    problems,
    sign_in,
)
from rapport.revenue.choices import OpportunityType
from rapport.revenue.models import Opportunity, ProductFamily
from rapport.revenue.tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def test_cross_sell_from_a_white_cell(
    page: Page,  # noqa: F811
    personas: Personas,
    problems: BrowserProblems,  # noqa: F811
) -> None:
    # The transactional database was flushed of the shipped stages: make them again.
    factories.pipeline()
    today = timezone.localdate()
    platform = factories.product("Platform licence", family_name="Platform", list_price=1000)
    factories.product("Analytics suite", family_name="Analytics", list_price=2400)
    factories.contract(
        account=personas.account,
        start=today - datetime.timedelta(days=200),
        end=today + datetime.timedelta(days=165),
        lines=[factories.line(platform, 12, 1000)],
    )
    analytics = ProductFamily.objects.get(name="Analytics")
    ARTIFACTS.mkdir(exist_ok=True)

    # 1. Revenue, then White space, from the navigation.
    sign_in(page, personas.owner.email)
    main = page.get_by_role("navigation", name="Main")
    expect(main).to_be_visible()
    main.get_by_role("link", name="Revenue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revenue")
    expect(page.locator("svg.chart-arr")).to_be_visible()
    page.get_by_role("navigation", name="Revenue sections").get_by_role(
        "link", name="White space"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("White space")
    row = page.get_by_role("row").filter(has_text="Northwind Traders")
    expect(row).to_contain_text("Owned")
    expect(row).to_contain_text("12,000 EUR")

    # 2. One click on the white Analytics cell; the page is not reloaded.
    page.evaluate("window.stillThesamePage = true")
    cell = page.locator(f"#ws-{personas.account.pk}-{analytics.pk}")
    expect(cell).to_have_attribute("data-state", "white")
    cell.get_by_role("button", name="Cross-sell Analytics to Northwind Traders").click()
    expect(cell).to_have_attribute("data-state", "open")
    link = cell.get_by_role("link", name="Open opportunity")
    expect(link).to_be_visible()
    assert page.evaluate("window.stillThesamePage") is True
    page.screenshot(path=ARTIFACTS / "white-space.png", full_page=True)

    opportunity = Opportunity.objects.get()
    assert opportunity.type == OpportunityType.CROSS_SELL
    assert opportunity.name == "Cross-sell: Analytics – Northwind Traders"
    assert [(line.product.name, line.quantity) for line in opportunity.lines.all()] == [
        ("Analytics suite", 1)
    ]
    expect(link).to_have_attribute("href", opportunity.get_absolute_url())

    # 3. The link leads to the opportunity.
    link.click()
    expect(page).to_have_url(f"{page.url.split('/revenue/')[0]}{opportunity.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text(opportunity.name)
    problems.assert_none()
