"""The buying-committee skeleton: placeholders for the typical roles nobody fills yet."""

from __future__ import annotations

import pytest
from django.test import Client

from rapport.core.exceptions import NotAllowedError
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import Stakeholder
from rapport.stakeholders.services import account_seed_buying_committee, stakeholder_update
from rapport.stakeholders.tests.test_api import bearer, body, send
from rapport.stakeholders.tests.test_views import form_data

REFUSED = ("outsider", "read_only")
ALL_ROLES = [
    "economic_buyer",
    "decision_maker",
    "champion",
    "technical_evaluator",
    "user",
    "gatekeeper",
]


def placeholders(personas: Personas) -> list[Stakeholder]:
    return list(
        Stakeholder.objects.filter(account=personas.account, is_placeholder=True).order_by("id")
    )


def test_the_skeleton_seeds_one_placeholder_per_missing_role(personas: Personas) -> None:
    StakeholderFactory(account=personas.account, decision_roles=["champion", "user"])
    # Someone who left fills nothing: their role is missing again.
    StakeholderFactory(
        account=personas.account, decision_roles=["gatekeeper"], status=StakeholderStatus.LEFT
    )

    seeded = account_seed_buying_committee(account=personas.account, acting_user=personas.owner)

    assert [p.decision_roles for p in seeded] == [
        ["economic_buyer"],
        ["decision_maker"],
        ["technical_evaluator"],
        ["gatekeeper"],
    ]
    stored = placeholders(personas)
    assert stored == seeded
    assert [p.full_name for p in stored] == [
        "To identify Economic buyer",
        "To identify Decision maker",
        "To identify Technical evaluator",
        "To identify Procurement / gatekeeper",
    ]
    assert all(p.history.get().history_user == personas.owner for p in stored)


def test_seeding_twice_adds_nothing_the_second_time(personas: Personas) -> None:
    first = account_seed_buying_committee(account=personas.account, acting_user=personas.owner)
    second = account_seed_buying_committee(account=personas.account, acting_user=personas.teammate)
    assert sorted(role for p in first for role in p.decision_roles) == sorted(ALL_ROLES)
    assert second == []
    assert len(placeholders(personas)) == 6


@pytest.mark.parametrize("persona", REFUSED)
def test_outsiders_and_read_only_users_seed_nothing(personas: Personas, persona: str) -> None:
    with pytest.raises(NotAllowedError):
        account_seed_buying_committee(
            account=personas.account, acting_user=getattr(personas, persona)
        )
    assert placeholders(personas) == []


def test_a_placeholder_given_a_real_name_becomes_a_person(personas: Personas) -> None:
    account_seed_buying_committee(account=personas.account, acting_user=personas.owner)
    champion = Stakeholder.objects.get(decision_roles__has="champion")

    titled = stakeholder_update(
        stakeholder=champion,
        acting_user=personas.owner,
        data={"title": "Head of IT"},
        expected_version=None,
    )
    assert titled.is_placeholder

    named = stakeholder_update(
        stakeholder=champion,
        acting_user=personas.owner,
        data={"first_name": "Grace", "last_name": "Hopper"},
        expected_version=None,
    )

    named.refresh_from_db()
    assert (named.full_name, named.is_placeholder, named.decision_roles) == (
        "Grace Hopper",
        False,
        ["champion"],
    )
    latest, previous = list(named.history.all()[:2])
    changed = {c.field: (c.old, c.new) for c in latest.diff_against(previous).changes}
    assert changed["is_placeholder"] == (True, False)
    # The role is filled now by a real person: seeding again leaves it alone.
    assert account_seed_buying_committee(account=personas.account, acting_user=personas.owner) == []


# Pages


def test_the_people_page_offers_the_template_to_editors_only(
    client: Client, personas: Personas
) -> None:
    url = f"/stakeholders/?account={personas.account.pk}"
    client.force_login(personas.owner)
    assert "Start the map from a template" in client.get(url).content.decode()
    client.force_login(personas.read_only)
    assert "Start the map from a template" not in client.get(url).content.decode()


def test_the_button_seeds_and_the_list_shows_placeholders(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.owner)
    url = f"/stakeholders/skeleton/{personas.account.pk}/"

    response = client.post(url, follow=True)

    content = response.content.decode()
    assert "6 placeholders added for the roles still to fill" in content
    assert "To identify Champion" in content and "to identify</span>" in content
    assert len(placeholders(personas)) == 6
    again = client.post(url, follow=True).content.decode()
    assert "Every typical role is already filled or waiting for someone." in again
    assert len(placeholders(personas)) == 6


def test_editing_a_placeholder_on_its_page_clears_the_badge(
    client: Client, personas: Personas
) -> None:
    account_seed_buying_committee(account=personas.account, acting_user=personas.owner)
    champion = Stakeholder.objects.get(decision_roles__has="champion")
    client.force_login(personas.owner)
    page = client.get(f"/stakeholders/{champion.pk}/").content.decode()
    assert "A placeholder for a role nobody fills yet." in page

    response = client.post(
        f"/stakeholders/{champion.pk}/edit/",
        form_data(champion, first_name="Grace", last_name="Hopper", decision_roles=["champion"]),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Grace Hopper" in content and "A placeholder for a role" not in content
    champion.refresh_from_db()
    assert not champion.is_placeholder


@pytest.mark.parametrize("persona", REFUSED)
def test_refused_users_get_403_from_the_skeleton_button(
    client: Client, personas: Personas, persona: str
) -> None:
    client.force_login(getattr(personas, persona))
    assert client.post(f"/stakeholders/skeleton/{personas.account.pk}/").status_code == 403
    assert placeholders(personas) == []


# API


def test_the_api_seeds_once_and_refuses_read_only_users(client: Client, personas: Personas) -> None:
    url = f"/api/v1/accounts/{personas.account.pk}/buying-committee"
    headers = bearer(personas.owner)

    first = send(client, "post", url, {}, headers)
    second = send(client, "post", url, {}, headers)
    refused = send(client, "post", url, {}, bearer(personas.read_only))

    assert first.status_code == 200, first.content
    assert sorted(row["decision_roles"][0] for row in body(first)) == sorted(ALL_ROLES)
    assert all(row["is_placeholder"] for row in body(first))
    assert body(second) == []
    assert refused.status_code == 403
    assert len(placeholders(personas)) == 6
