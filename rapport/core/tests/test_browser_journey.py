"""The main user journey in a real Chromium, against a live server.

Sign in, create an account, map two stakeholders and their reporting line, edit one and read
its history, filter the account list with htmx, switch to French; all without a console error
or a Content-Security-Policy violation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from rapport.core.tests.factories import PASSWORD
from rapport.core.tests.personas import Personas
from rapport.users.models import User

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
# Short enough that a missing element fails the test quickly, long enough for a cold server.
TIMEOUT_MS = 5_000

# Reported from inside the page: the event carries the directive, the source line and a sample,
# which the console message alone does not always give.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: `${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`,
    sample: event.sample,
    page: document.location.pathname,
  });
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
    # every ORM call made by the test (and by the database fixtures' teardown) as "async".
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


@dataclass
class BrowserProblems:
    """Console errors, uncaught exceptions and CSP violations seen while a test ran."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[dict[str, Any]] = field(default_factory=list)
    # Pages a test opens on purpose to get an error status, whose "Failed to load" is expected.
    expected_failures: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        location = message.location.get("url", "")
        if "Failed to load resource" in message.text and any(
            location.endswith(path) for path in self.expected_failures
        ):
            return
        self.console_errors.append(f"{message.text} ({location})")

    def on_csp_violation(self, violation: dict[str, Any]) -> None:
        self.csp_violations.append(violation)

    def assert_none(self) -> None:
        assert self.csp_violations == [], (
            f"Content-Security-Policy violations: {self.csp_violations}"
        )
        assert self.console_errors == [], f"Console errors: {self.console_errors}"
        assert self.page_errors == [], f"Uncaught page errors: {self.page_errors}"


@pytest.fixture
def problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, problems: BrowserProblems) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.expose_function("reportCspViolation", problems.on_csp_violation)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", problems.on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    yield page
    context.close()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/auth/login/")
    labelled(page, "Email").fill(email)
    labelled(page, "Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def labelled(page: Page, label: str) -> Locator:
    """The form control with exactly this label (Django forms add a colon to each label)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def french(text: str) -> str:
    with translation.override("fr"):
        return gettext(text)


def test_account_manager_journey(page: Page, personas: Personas, problems: BrowserProblems) -> None:
    user = personas.owner
    ARTIFACTS.mkdir(exist_ok=True)

    # 1. Sign in through the real form.
    sign_in(page, user.email)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")

    # 2. Create an account through the "New account" form and land on its 360° page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="New account").click()
    labelled(page, "Name").fill("Fabrikam Industries")
    labelled(page, "Legal name").fill("Fabrikam Industries SA")
    labelled(page, "Industry").select_option(label="Manufacturing")
    labelled(page, "Country").fill("fr")
    labelled(page, "Employees").fill("1200")
    labelled(page, "Tier").select_option(label="Key")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam Industries")
    expect(page.get_by_role("status")).to_contain_text("Account “Fabrikam Industries” created.")
    expect(page.get_by_role("link", name="360°")).to_have_attribute("aria-current", "page")
    overview = page.get_by_role("region", name="Overview")
    expect(overview).to_contain_text("Fabrikam Industries SA")
    expect(overview).to_contain_text("FR")
    account_url = page.url

    # 3. Add a stakeholder, then a second one who reports to the first.
    page.get_by_role("link", name="Add a stakeholder").click()
    labelled(page, "First name").fill("Clara")
    labelled(page, "Last name").fill("Ostrowski")
    labelled(page, "Job title").fill("Chief Operating Officer")
    labelled(page, "E-mail").fill("clara.ostrowski@fabrikam.example")
    page.get_by_role("button", name="Add stakeholder", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clara Ostrowski")

    page.get_by_role("link", name="Fabrikam Industries").first.click()
    page.get_by_role("link", name="Add a stakeholder").click()
    labelled(page, "First name").fill("Tomas")
    labelled(page, "Last name").fill("Brandt")
    labelled(page, "Job title").fill("Plant Manager")
    labelled(page, "Reports to").select_option(label="Clara Ostrowski")
    page.get_by_role("button", name="Add stakeholder", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tomas Brandt")
    expect(page.locator("main")).to_contain_text("Reports to: Clara Ostrowski")
    second_url = page.url

    # The 360° page lists both, with the reporting line.
    page.goto(account_url)
    people = page.get_by_role("region", name="2 stakeholders")
    second_row = people.get_by_role("row").filter(has_text="Tomas Brandt")
    expect(second_row).to_contain_text("Clara Ostrowski")
    page.screenshot(path=ARTIFACTS / "account-360.png", full_page=True)

    # 4. The stakeholder pages show the second under the first.
    people.get_by_role("link", name="Reporting lines").click()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_be_visible()
    tree = page.locator("ul.org-tree")
    top = tree.locator(":scope > li").filter(has=page.get_by_role("link", name="Clara Ostrowski"))
    expect(top.locator("ul > li")).to_contain_text("Tomas Brandt")
    page.get_by_role("link", name="Clara Ostrowski").click()
    expect(page.locator("main")).to_contain_text("Direct reports")
    expect(page.get_by_role("link", name="Tomas Brandt")).to_be_visible()
    page.locator(".breadcrumb").get_by_role("link", name="Stakeholders").click()
    list_row = page.get_by_role("row").filter(has_text="Tomas Brandt")
    expect(list_row).to_contain_text("Clara Ostrowski")

    # 5. Edit the second stakeholder's job title, then read it in their history.
    page.goto(second_url)
    page.get_by_role("link", name="Edit", exact=True).click()
    labelled(page, "Job title").fill("Head of Operations")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".lead")).to_have_text("Head of Operations")
    page.get_by_role("link", name="History").click()
    latest = page.locator("ol.history > li").first
    expect(latest.locator(".history-head")).to_contain_text(str(user))
    expect(latest.locator(".history-head")).to_contain_text("changed")
    change = latest.get_by_role("row").filter(has_text="Job title")
    expect(change.locator("td.old")).to_have_text("Plant Manager")
    expect(change.locator("td.new")).to_have_text("Head of Operations")

    # 6. The list's search box filters the rows with htmx, without reloading the page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("link", name="Northwind Traders")).to_be_visible()
    page.evaluate("window.loadedOnce = true")
    search_box = labelled(page, "Name starts with")
    with page.expect_response(
        lambda response: (
            "/accounts/?" in response.url
            and response.request.headers.get("hx-request") == "true"
            and "q=fab" in response.url
        )
    ):
        search_box.press_sequentially("fab")
    results = page.locator("#results")
    expect(results.get_by_role("row")).to_have_count(2)
    expect(results.get_by_role("link", name="Fabrikam Industries")).to_be_visible()
    expect(results).not_to_contain_text("Northwind Traders")
    expect(page).to_have_url(re.compile(r"/accounts/\?q=fab"))
    assert page.evaluate("window.loadedOnce") is True, "the search reloaded the whole page"

    # 7. Switch to French with the header's language switch.
    page.goto(account_url)
    page.get_by_role("banner").get_by_label("Language").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_url(account_url)
    assert User.objects.get(pk=user.pk).language == "fr"
    # The French catalogue is still being written: the page attribute and the saved preference
    # prove the switch; the navigation's words are checked once a translation exists.
    accounts_in_french = french("Accounts")
    if accounts_in_french != "Accounts":
        main_navigation = page.get_by_role("navigation", name=french("Main"))
        expect(main_navigation).to_contain_text(accounts_in_french)
    page.screenshot(path=ARTIFACTS / "account-360-fr.png", full_page=True)

    problems.assert_none()


def test_sign_in_rejects_a_wrong_password(
    page: Page, personas: Personas, problems: BrowserProblems
) -> None:
    sign_in(page, personas.owner.email, password="not-the-password")
    expect(page).to_have_url(re.compile(r"/auth/login/"))
    card = page.locator("section.auth-card")
    error = card.get_by_text("The email address and/or password you specified are not correct.")
    expect(error).to_be_visible()
    # Administrators create accounts, so the page must not invite anyone to sign up.
    expect(page.get_by_role("link", name=re.compile("sign up", re.IGNORECASE))).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    problems.assert_none()


def test_outsider_sees_no_edit_button_and_gets_403(
    page: Page, personas: Personas, problems: BrowserProblems
) -> None:
    account = personas.account
    sign_in(page, personas.outsider.email)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    page.goto(account.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(account.name)
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Add a stakeholder")).to_have_count(0)

    edit_path = f"{account.get_absolute_url()}edit/"
    problems.expected_failures.append(edit_path)
    response = page.goto(edit_path)
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not do this")
    expect(labelled(page, "Name")).to_have_count(0)
    problems.assert_none()
