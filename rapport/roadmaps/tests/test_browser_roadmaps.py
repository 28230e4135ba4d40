"""Handing a new client over, in a real Chromium: from the executive's login to the client's view.

The account executive fills in the handoff form and submits it; the quality gate refuses with
its checklist, they add the missing decision makers and the client's goals, and submit again.
The account manager then finds the handoff waiting, acknowledges it, opens the onboarding
roadmap it started, completes the first milestone and makes a client link, which opens in a
fresh browser (no session) on the roadmap without its internal items. No console error, no
Content-Security-Policy violation.
"""

from __future__ import annotations

import datetime
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from rapport.core.tests.factories import UserFactory
from rapport.core.tests.personas import Personas
from rapport.core.tests.test_browser_journey import (  # noqa: F401  (fixtures)
    CSP_LISTENER,
    TIMEOUT_MS,
    BrowserProblems,
    browser,
    labelled,
    page,
    problems,
    sign_in,
)
from rapport.roadmaps import services
from rapport.roadmaps.choices import HandoffStatus, ItemKind, ItemStatus
from rapport.roadmaps.models import Handoff, Playbook, RoadmapItem
from rapport.users.choices import Role
from rapport.users.models import User

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CLIENT = "Fabrikam Industries"
PLAYBOOK = "Mid-market onboarding"
INTERNAL_NOTE = "Their CSV export drops accents; check before importing."


@pytest.fixture
def shipped_playbooks(transactional_db: None) -> None:
    """A transactional test starts from an emptied database: ship the playbooks again."""
    if not Playbook.objects.filter(name=PLAYBOOK).exists():
        migration = importlib.import_module("rapport.roadmaps.migrations.0002_shipped_playbooks")
        migration.add_playbooks(apps, None)


@pytest.fixture
def executive(db: None) -> User:
    user: User = UserFactory(
        email="nina@example.com", first_name="Nina", last_name="Patel", role=Role.ACCOUNT_EXECUTIVE
    )
    return user


@pytest.fixture
def fresh_page(
    browser: Browser,  # noqa: F811
    live_server: LiveServer,
    problems: BrowserProblems,  # noqa: F811
) -> Iterator[Page]:
    """A second browser with nothing in common with the first: no cookie, no session."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.expose_function("reportCspViolation", problems.on_csp_violation)
    context.add_init_script(CSP_LISTENER)
    fresh = context.new_page()
    fresh.on("console", problems.on_console)
    fresh.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    yield fresh
    context.close()


def signed_in(on: Page, email: str) -> None:
    """Sign in and let the home page finish loading its parts (leaving earlier aborts them)."""
    sign_in(on, email)
    expect(on.get_by_role("navigation", name="Main")).to_be_visible()
    on.wait_for_load_state("networkidle")


def new_person(on: Page, row: int, first: str, last: str, role: str) -> None:
    """Fill one row of the "people to add to the map" table, ticking one decision role."""
    number = row + 1
    on.get_by_label(f"First name (person {number})").fill(first)
    on.get_by_label(f"Last name (person {number})").fill(last)
    roles = on.get_by_role("group", name=f"Decision roles of person {number}")
    roles.get_by_label(role, exact=True).check()


def test_hand_off_acknowledge_and_share_a_new_client(
    page: Page,  # noqa: F811
    fresh_page: Page,
    personas: Personas,
    executive: User,
    shipped_playbooks: None,
    problems: BrowserProblems,  # noqa: F811
    live_server: LiveServer,
    settings: Settings,
) -> None:
    # The link given to the client names this server.
    settings.RAPPORT_BASE_URL = live_server.url
    manager = personas.owner
    kickoff = timezone.localdate() + datetime.timedelta(days=3)
    ARTIFACTS.mkdir(exist_ok=True)

    # 1. The account executive opens the handoff form and fills in the deal.
    signed_in(page, executive.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Handoffs").click()
    page.get_by_role("link", name="Hand off a client").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand off a client")
    labelled(page, "New account's name").fill(CLIENT)
    labelled(page, "Tier").select_option(label="Key")
    labelled(page, "What was sold").fill("Platform licence for 120 seats, standard onboarding.")
    labelled(page, "Promises and commitments made").fill(
        "- Weekly report in French\n- Training for the twelve team leads"
    )
    labelled(page, "Risks").fill("Small internal team.")
    labelled(page, "Kickoff date").fill(kickoff.isoformat())
    labelled(page, "Account manager").select_option(label=str(manager))
    labelled(page, "Onboarding playbook").select_option(label=PLAYBOOK)

    # 2. Submitted too early: the gate refuses and says exactly what is missing.
    page.get_by_role("button", name="Submit the handoff").click()
    refusal = page.get_by_role("alert").filter(has_text="Not submitted yet")
    expect(refusal).to_contain_text("Add 2 more stakeholders with a decision role")
    expect(refusal).to_contain_text("Write the client's goals.")
    checklist = page.get_by_role("complementary", name="Before you submit").first
    expect(checklist.locator("li.is-missing")).to_have_count(2)
    assert not Handoff.objects.exists(), "a refused submission leaves nothing behind"
    page.screenshot(path=ARTIFACTS / "handoff-refused.png", full_page=True)

    # 3. They add the decision makers and the goals; the checklist turns green as they type.
    new_person(page, 0, "Clara", "Ostrowski", "Decision maker")
    new_person(page, 1, "Tomas", "Brandt", "Champion")
    labelled(page, "The client's goals").fill("One view of each customer for the sales team.")
    expect(checklist.locator("li.is-missing")).to_have_count(0)
    expect(checklist).to_contain_text("Ready to submit.")
    page.get_by_role("button", name="Submit the handoff").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Handoff of {CLIENT} submitted to {manager}."
    )
    expect(page.locator(".badge.handoff-submitted")).to_be_visible()
    handoff = Handoff.objects.select_related("roadmap", "account").get()
    assert handoff.status == HandoffStatus.SUBMITTED and handoff.roadmap is not None
    assert handoff.account.owner == manager
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)

    # An internal note the client must never read, written meanwhile by the team.
    roadmap = handoff.roadmap
    noted = roadmap.items.filter(client_facing=True).order_by("due_on", "id").last()
    assert noted is not None
    services.roadmap_item_update(
        item=noted,
        acting_user=manager,
        data={"internal_notes": INTERNAL_NOTE},
        expected_version=None,
    )
    internal = list(roadmap.items.filter(client_facing=False).values_list("title", flat=True))
    assert internal, "the playbook has internal-only steps"

    # 4. The account manager finds the handoff waiting for them and acknowledges it.
    signed_in(page, manager.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Handoffs").click()
    waiting = page.locator("#results")
    expect(waiting.get_by_role("row").filter(has_text=CLIENT)).to_contain_text(
        "Waiting for acknowledgement"
    )
    waiting.get_by_role("link", name=CLIENT).click()
    expect(page.get_by_role("heading", name="Take this client on")).to_be_visible()
    labelled(page, "Note to the account executive").fill("Thanks Nina, kickoff booked.")
    page.get_by_role("button", name="Acknowledge the handoff").click()
    expect(page.get_by_role("status")).to_contain_text(f"You acknowledged the handoff of {CLIENT}")
    expect(page.locator(".badge.handoff-acknowledged")).to_be_visible()

    # 5. They open the onboarding roadmap and complete its first milestone.
    page.get_by_role("link", name=roadmap.name).click()
    expect(page.get_by_role("heading", level=2, name=roadmap.name)).to_be_visible()
    first = (
        roadmap.items.filter(kind=ItemKind.MILESTONE).order_by("due_on", "position", "id").first()
    )
    assert first is not None
    row = page.locator(f"#item-{first.pk}")
    row.get_by_role("button", name=re.compile(r"Done")).click()
    expect(page.locator(f"#item-{first.pk} .item-status-done")).to_be_visible()
    assert RoadmapItem.objects.get(pk=first.pk).status == ItemStatus.DONE

    # 6. A link for the client.
    page.get_by_role("button", name="Make a client link").click()
    address = page.get_by_label("Link for the client")
    expect(address).to_have_value(re.compile(r"/shared/roadmaps/"))
    url = address.input_value()
    page.screenshot(path=ARTIFACTS / "roadmap-client-link.png", full_page=True)

    # 7. The client opens it in a browser of their own: the roadmap, none of its internals.
    fresh_page.goto(url)
    expect(fresh_page.get_by_role("heading", level=1)).to_have_text(roadmap.name)
    expect(fresh_page.locator(".client-account")).to_have_text(CLIENT)
    milestone_row = fresh_page.get_by_role("row").filter(has_text=first.title)
    expect(milestone_row.locator(".item-status-done")).to_be_visible()
    expect(fresh_page.get_by_role("navigation", name="Main")).to_have_count(0)
    text = fresh_page.locator("body").inner_text()
    for title in internal:
        assert title not in text, f"internal-only item {title!r} shown to the client"
    assert INTERNAL_NOTE not in text
    assert noted.title in text
    fresh_page.screenshot(path=ARTIFACTS / "roadmap-client-view.png", full_page=True)

    problems.assert_none()
