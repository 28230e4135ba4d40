"""The account map in a real Chromium: open a person, change their stance, drag them elsewhere.

Checked through the drawing itself (the card's fill, its manager, the connector's ends), and
without a console error or a Content-Security-Policy violation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from rapport.accountmaps.drawing import STANCE_STYLES
from rapport.core.tests.personas import Personas
from rapport.core.tests.test_browser_journey import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CSP_LISTENER,
    TIMEOUT_MS,
    BrowserProblems,
    sign_in,
)
from rapport.stakeholders.choices import Stance
from rapport.stakeholders.models import Stakeholder

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
    # the ORM calls made by the test and the database fixtures as "async".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, problems: BrowserProblems) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.expose_function("reportCspViolation", problems.on_csp_violation)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", problems.on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    yield page
    context.close()


def card(page: Page, person: Stakeholder) -> Locator:
    return page.locator(f'#map-canvas .map-card[data-person-id="{person.pk}"]')


def drag(page: Page, source: Locator, target: Locator) -> None:
    """Press on one card, move over the other in small steps, as a hand would, and let go."""
    page.locator("#map-canvas").evaluate("canvas => canvas.scrollIntoView({block: 'center'})")
    start, end = source.bounding_box(), target.bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=8)
    page.mouse.up()


def test_edit_a_stance_and_move_a_person_on_the_map(
    page: Page, personas: Personas, problems: BrowserProblems
) -> None:
    account = personas.account
    boss = Stakeholder.objects.create(
        account=account, first_name="Grace", last_name="Hopper", title="Chief Executive Officer"
    )
    finance = Stakeholder.objects.create(
        account=account,
        first_name="Carl",
        last_name="Finch",
        title="Finance Director",
        reports_to=boss,
        stance=Stance.SKEPTIC,
    )
    engineer = Stakeholder.objects.create(
        account=account, first_name="Eng", last_name="Ineer", reports_to=boss
    )
    analyst = Stakeholder.objects.create(
        account=account, first_name="Ana", last_name="Lyst", reports_to=finance
    )
    sign_in(page, personas.owner.email)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto(f"/maps/{account.pk}/")
    expect(page.get_by_role("link", name="Map", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    # 1. Open a person in the side panel and change their stance: the card changes colour.
    finance_card = card(page, finance)
    expect(finance_card.locator(".map-card-shape")).to_have_attribute(
        "fill", STANCE_STYLES[Stance.SKEPTIC].fill
    )
    finance_card.click()
    panel = page.locator("#map-person")
    expect(panel.get_by_role("heading", name="Carl Finch")).to_be_visible()
    panel.get_by_label("Stance toward us").select_option(label="Advocate")
    panel.get_by_role("button", name="Save").click()
    expect(panel).to_contain_text("Changes to Carl Finch saved.")
    expect(panel.locator(".map-fact-stance")).to_have_text("Advocate")
    expect(card(page, finance).locator(".map-card-shape")).to_have_attribute(
        "fill", STANCE_STYLES[Stance.ADVOCATE].fill
    )

    # 2. Drag a person onto a new manager: the reporting line now joins them.
    drag(page, card(page, analyst), card(page, engineer))
    expect(card(page, analyst)).to_have_attribute("data-manager-id", str(engineer.pk))
    connector = page.locator(
        f'#map-canvas path.map-reporting-line[data-from="{engineer.pk}"][data-to="{analyst.pk}"]'
    )
    expect(connector).to_have_count(1)
    expect(page.locator(f'path.map-reporting-line[data-to="{analyst.pk}"]')).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text="now reports to")).to_have_text(
        "Ana Lyst now reports to Eng Ineer."
    )

    # 3. A loop is refused: the reason is shown and the boss stays where they were. The
    # refusal is a 400, which the browser reports in its console.
    problems.expected_failures.append(f"/maps/{account.pk}/people/{boss.pk}/manager/")
    drag(page, card(page, boss), card(page, analyst))
    expect(page.get_by_role("alert")).to_contain_text("This would make a loop")
    expect(card(page, boss)).to_have_attribute("data-manager-id", "")

    # 4. The keyboard opens a person too.
    card(page, engineer).focus()
    page.keyboard.press("Enter")
    expect(panel.get_by_role("heading", name="Eng Ineer")).to_be_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "account-map.png", full_page=True)
    analyst.refresh_from_db()
    assert analyst.reports_to_id == engineer.pk
    problems.assert_none()


def test_every_export_downloads_from_the_map_page(
    page: Page, personas: Personas, problems: BrowserProblems, tmp_path: Path
) -> None:
    account = personas.account
    Stakeholder.objects.create(
        account=account, first_name="Grace", last_name="Hopper", reports_to=personas.stakeholder
    )
    sign_in(page, personas.read_only.email)
    page.goto(f"/maps/{account.pk}/")
    links = page.locator("#map-exports a")
    expect(links).to_have_count(7)
    signatures = {
        "svg": b"<svg",
        "png": b"\x89PNG",
        "pdf": b"%PDF",
        "drawio": b"<mxfile",
        "mermaid": b"flowchart",
        "csv": b"Manager Id",
        "json": b'"people"',
    }
    for link in links.all():
        fmt = link.get_attribute("data-format")
        assert fmt in signatures
        with page.expect_download() as download_info:
            link.click()
        download = download_info.value
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        content = saved.read_bytes()
        assert signatures[fmt] in content[:4096], fmt
        if fmt not in {"png", "pdf"}:
            assert "Grace Hopper" in content.decode("utf-8-sig"), fmt
    problems.assert_none()
