"""What changed among an account's people since a day, read from the history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.models import Stakeholder
from rapport.stakeholders.selectors import account_changes_since
from rapport.stakeholders.services import (
    account_link_add,
    relationship_owner_add,
    relationship_owner_remove,
    relationship_owner_set_strength,
    stakeholder_create,
    stakeholder_make_primary,
    stakeholder_mark_left,
    stakeholder_update,
)
from rapport.stakeholders.tests.test_api import bearer, body

START = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
SINCE = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)


@dataclass
class Clock:
    now: datetime.datetime

    def advance(self, **delta: float) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Time stands still unless a test moves it, from before the personas are made: history
    dates and team memberships then follow the story's calendar exactly."""
    frozen = Clock(START)
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


def change(personas: Personas, data: dict[str, object]) -> None:
    stakeholder_update(
        stakeholder=personas.stakeholder,
        acting_user=personas.owner,
        data=data,
        expected_version=None,
    )


@pytest.fixture
def story(personas: Personas, clock: Clock) -> dict[str, Stakeholder]:
    """January, before the window: Bob is added and Ada gets a stance and an owner.
    February, in the window: Grace is added, Ada's stance and roles change, owners change,
    Bob leaves."""
    bob = stakeholder_create(
        account=personas.account,
        acting_user=personas.owner,
        data={"first_name": "Bob", "last_name": "Babbage"},
    )
    change(personas, {"stance": "neutral"})
    owner = relationship_owner_add(
        stakeholder=personas.stakeholder,
        user=personas.teammate,
        strength=40,
        acting_user=personas.owner,
    )
    clock.now = datetime.datetime(2026, 2, 3, 10, tzinfo=datetime.UTC)
    grace = stakeholder_create(
        account=personas.account,
        acting_user=personas.teammate,
        data={"first_name": "Grace", "last_name": "Hopper"},
    )
    clock.advance(days=1)
    change(personas, {"stance": "advocate"})
    clock.advance(days=1)
    change(personas, {"decision_roles": ["champion", "decision_maker"]})
    clock.advance(days=1)
    relationship_owner_set_strength(owner=owner, strength=80, acting_user=personas.owner)
    clock.advance(days=1)
    relationship_owner_add(
        stakeholder=personas.stakeholder, user=personas.head, acting_user=personas.owner
    )
    clock.advance(days=1)
    relationship_owner_remove(owner=owner, acting_user=personas.owner)
    clock.advance(days=1)
    stakeholder_mark_left(stakeholder=bob, acting_user=personas.owner)
    clock.advance(days=1)
    return {"bob": bob, "grace": grace}


def test_changes_since_a_day_newest_first(
    personas: Personas, story: dict[str, Stakeholder]
) -> None:
    changes = account_changes_since(account=personas.account, since=SINCE)

    summary = [(c.kind, c.name, c.old, c.new, c.detail) for c in changes]
    assert summary == [
        ("left", "Bob Babbage", "", "", ""),
        ("owner_removed", "Ada Lovelace", "", "", str(personas.teammate)),
        ("owner_added", "Ada Lovelace", "", "", str(personas.head)),
        ("owner_strength", "Ada Lovelace", "40", "80", str(personas.teammate)),
        ("roles", "Ada Lovelace", "—", "Decision maker, Champion", ""),
        ("stance", "Ada Lovelace", "Neutral", "Advocate", ""),
        ("added", "Grace Hopper", "", "", ""),
    ]
    assert changes[-1].who == personas.teammate
    assert changes[0].when == datetime.datetime(2026, 2, 9, 10, tzinfo=datetime.UTC)
    # Nothing from January.
    assert not any(c.name == "Bob Babbage" and c.kind == "added" for c in changes)


def test_a_later_day_narrows_the_list(personas: Personas, story: dict[str, Stakeholder]) -> None:
    since = datetime.datetime(2026, 2, 8, tzinfo=datetime.UTC)
    kinds = [c.kind for c in account_changes_since(account=personas.account, since=since)]
    assert kinds == ["left", "owner_removed"]
    future = datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)
    assert account_changes_since(account=personas.account, since=future) == []


def test_a_person_moved_to_another_account_leaves_one_list_and_joins_the_other(
    personas: Personas, clock: Clock
) -> None:
    subsidiary: Account = AccountFactory(name="Northwind Retail", owner=personas.owner)
    link = account_link_add(
        stakeholder=personas.stakeholder, account=subsidiary, acting_user=personas.owner
    )
    clock.now = datetime.datetime(2026, 2, 10, tzinfo=datetime.UTC)
    stakeholder_make_primary(link=link, acting_user=personas.owner)

    here = account_changes_since(account=personas.account, since=SINCE)
    there = account_changes_since(account=subsidiary, since=SINCE)

    assert [(c.kind, c.name, c.detail) for c in here] == [
        ("left", "Ada Lovelace", "Northwind Retail")
    ]
    assert [(c.kind, c.name, c.detail) for c in there] == [
        ("added", "Ada Lovelace", "Northwind Traders")
    ]


def test_the_changes_page_defaults_to_thirty_days_and_takes_a_date(
    client: Client, personas: Personas, story: dict[str, Stakeholder], clock: Clock
) -> None:
    # Thirty days back from March 20 is February 18: after the whole story.
    clock.now = datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.UTC)
    client.force_login(personas.read_only)
    people = client.get(f"/stakeholders/?account={personas.account.pk}").content.decode()
    url = f"/stakeholders/changes/{personas.account.pk}/"
    assert url in people
    default = client.get(url).content.decode()
    assert 'value="2026-02-18"' in default
    assert "Nothing changed among the people since" in default

    chosen = client.get(f"{url}?since=2026-02-01").content.decode()
    assert 'value="2026-02-01"' in chosen
    assert "Bob Babbage" in chosen and "Neutral → Advocate" in chosen
    assert "Owner removed" in chosen and "40 → 80" in chosen

    partial = client.get(f"{url}?since=2026-02-01", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "Grace Hopper" in partial.content.decode()

    unreadable = client.get(f"{url}?since=yesterday").content.decode()
    assert "That date could not be read; showing the last 30 days." in unreadable
    ancient = client.get(f"{url}?since=0001-01-01")
    assert ancient.status_code == 200 and 'value="1900-01-01"' in ancient.content.decode()


def test_the_api_lists_changes_since_a_day(
    client: Client, personas: Personas, story: dict[str, Stakeholder]
) -> None:
    response = client.get(
        f"/api/v1/accounts/{personas.account.pk}/changes?since=2026-02-08",
        **bearer(personas.read_only),
    )
    assert response.status_code == 200, response.content
    assert [(row["kind"], row["name"]) for row in body(response)] == [
        ("left", "Bob Babbage"),
        ("owner_removed", "Ada Lovelace"),
    ]
    assert body(response)[0]["who_id"] == personas.owner.pk
