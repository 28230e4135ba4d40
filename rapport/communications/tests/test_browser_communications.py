"""Logging a call from the today view, by keyboard only, in a real Chromium.

The account manager signs in, opens the today view, focuses the quick-log form with its access
key, picks the account by typing its name, types the subject and presses Enter; the success
message shows, the quiet-accounts list redraws without the account, the call is on the account's
timeline and the account's last contact moved to today. No console error, no Content-Security-
Policy violation.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from playwright.sync_api import Locator, Page, expect

from rapport.accounts.models import Account
from rapport.communications import services
from rapport.communications.choices import CadenceKind, TouchpointKind
from rapport.communications.models import CadenceDefault, CadenceRule, Task
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas
from rapport.core.tests.test_browser_journey import (  # noqa: F401  (fixtures)
    BrowserProblems,
    browser,
    page,
    problems,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
SUBJECT = "Renewal timing with procurement"
# The navigation, the search box and the page's own links come before the form.
MAX_TABS = 40


def short_date(day: datetime.date) -> str:
    with translation.override("en"):
        return formats.date_format(day, "SHORT_DATE_FORMAT")


def last_contact(on: Page) -> Locator:
    comms = on.get_by_role("region", name="Communications")
    return comms.locator("dt", has_text="Last contact").locator("xpath=following-sibling::dd[1]")


def test_log_a_call_from_today_by_keyboard(
    page: Page,  # noqa: F811
    personas: Personas,
    problems: BrowserProblems,  # noqa: F811
) -> None:
    account = personas.account
    # Another browser test may have flushed the shipped defaults: the check-in is set here.
    services.cadence_rule_set(
        acting_user=personas.owner, account=account, kind=CadenceKind.CHECK_IN, interval_days=30
    )
    # A second account of the same person, so that choosing by typing has something to skip.
    AccountFactory(name="Fabrikam Industries", owner=personas.owner)
    # The last exchange was two months ago: the account is one of the quiet ones.
    long_ago = timezone.now() - datetime.timedelta(days=60)
    services.touchpoint_create(
        acting_user=personas.owner,
        account=account,
        data={"kind": TouchpointKind.MEETING, "subject": "Kick-off", "occurred_at": long_ago},
        stakeholders=[],
    )
    ARTIFACTS.mkdir(exist_ok=True)

    sign_in(page, personas.owner.email)
    page.goto(account.get_absolute_url())
    expect(last_contact(page)).to_contain_text(short_date(timezone.localdate(long_ago)))

    # 1. The today view, from the main navigation.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    # The check-in is a month overdue: the navigation counts it.
    expect(page.locator("#today-count")).to_have_text(re.compile(r"^\s*1\b"))
    quiet = page.locator("#today-untouched")
    expect(quiet.get_by_role("link", name=account.name)).to_be_visible()
    page.screenshot(path=ARTIFACTS / "today-before.png", full_page=True)

    # 2. Keyboard only: Tab from the top of the page to the form's first field, the account.
    # (Its subject also has an access key, which headless Chromium does not deliver.)
    form = page.locator("#quick-log")
    account_field = form.get_by_label("Account")
    expect(form.get_by_label("Subject")).to_have_attribute("accesskey", "l")
    for _press in range(MAX_TABS):
        page.keyboard.press("Tab")
        if account_field.evaluate("field => field === document.activeElement"):
            break
    expect(account_field).to_be_focused()
    page.keyboard.type("North")
    expect(account_field).to_have_value(str(account.pk))
    page.keyboard.press("Tab")
    expect(form.get_by_label("Kind")).to_be_focused()
    expect(form.get_by_label("Kind")).to_have_value(TouchpointKind.CALL)
    page.keyboard.press("Tab")
    subject = form.get_by_label("Subject")
    expect(subject).to_be_focused()
    page.keyboard.type(SUBJECT)
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.keyboard.press("Enter")

    # 3. The success message, and the lists redrawn: the account is no longer quiet.
    message = page.locator("#quick-log").get_by_role("status")
    expect(message).to_contain_text(f"Call “{SUBJECT}” logged on {account.name}.")
    expect(page.locator("#today-untouched").get_by_role("link", name=account.name)).to_have_count(0)
    expect(page.locator("#today-overdue")).to_contain_text("Nothing overdue — well kept.")
    expect(page.locator("#today-count")).to_have_text("")
    page.screenshot(path=ARTIFACTS / "today-after.png", full_page=True)

    # 4. The call is on the account's timeline.
    page.goto(account.get_absolute_url())
    page.get_by_role("navigation", name="Account sections").get_by_role(
        "link", name="Timeline"
    ).click()
    expect(page.get_by_role("link", name="Timeline", exact=True).first).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("main")).to_contain_text(SUBJECT)
    expect(page.locator("main")).to_contain_text("Kick-off")
    main_text = page.locator("main").inner_text()
    assert main_text.index(SUBJECT) < main_text.index("Kick-off"), "newest first"

    # 5. The account page's last contact is today.
    page.get_by_role("navigation", name="Account sections").get_by_role("link", name="360°").click()
    expect(last_contact(page)).to_contain_text(short_date(timezone.localdate()))
    expect(last_contact(page)).not_to_contain_text(short_date(timezone.localdate(long_ago)))

    problems.assert_none()


def test_calendar_and_cadence_pages_render_cleanly(
    page: Page,  # noqa: F811
    personas: Personas,
    problems: BrowserProblems,  # noqa: F811
) -> None:
    # A transactional test after another starts without the shipped defaults (flushed).
    CadenceDefault.objects.update_or_create(
        tier="growth", kind=CadenceKind.CHECK_IN, defaults={"interval_days": 30}
    )
    services.cadence_sync(accounts=Account.objects.all())
    today = timezone.localdate()
    CadenceRule.objects.filter(account=personas.account).update(
        next_due_on=today - datetime.timedelta(days=2)
    )
    CadenceRule.objects.filter(account=personas.other_account).update(
        next_due_on=today + datetime.timedelta(days=1)
    )
    Task.objects.create(
        title="Send the renewal quote",
        assignee=personas.outsider,
        account=personas.other_account,
        due_on=today,
    )
    sign_in(page, personas.head.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Communication calendar")
    expect(page.locator("td[aria-current=date]")).to_have_count(1)
    # The filter redraws the results with htmx.
    page.get_by_label("Whose").select_option(label="The whole book")
    expect(page).to_have_url(re.compile(r"who=book"))
    results = page.locator("#results")
    expect(results.locator(".agenda-entry.agenda-overdue")).to_contain_text(personas.account.name)
    expect(results.get_by_role("link", name=re.compile("Send the renewal quote"))).to_be_visible()
    page.screenshot(path=ARTIFACTS / "calendar-month.png", full_page=True)
    page.get_by_role("link", name=re.compile(r"^Agenda")).click()
    expect(page.get_by_role("heading", level=2, name=re.compile("^Due until"))).to_be_visible()
    overdue = page.get_by_role("region", name=re.compile(r"^Overdue \(1\)"))
    expect(overdue).to_contain_text(personas.account.name)
    page.screenshot(path=ARTIFACTS / "calendar-agenda.png", full_page=True)
    page.get_by_role("link", name="Cadence defaults").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cadence defaults")
    page.get_by_label("Growth, Check-in (days)").fill("0")
    page.get_by_role("button", name="Save defaults").click()
    expect(page.get_by_role("alert")).to_contain_text("At least 1 day.")
    page.screenshot(path=ARTIFACTS / "cadence-defaults.png", full_page=True)
    page.goto(reverse("communications:account_cadence", args=[personas.account.pk]))
    expect(page.get_by_role("link", name="Cadence", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    page.screenshot(path=ARTIFACTS / "account-cadence.png", full_page=True)
    problems.assert_none()
