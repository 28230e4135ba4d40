"""People across accounts: links to a holding or a subsidiary, and moving a person's own account."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from rapport.accounts.models import Account
from rapport.core.exceptions import NotAllowedError
from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.models import AccountLink, Stakeholder, StakeholderRelationship
from rapport.stakeholders.services import (
    account_link_add,
    account_link_remove,
    account_link_update,
    stakeholder_make_primary,
    stakeholder_relationship_add,
)
from rapport.stakeholders.tests.test_api import bearer, body, error_fields, send

REFUSED = ("outsider", "read_only")


@pytest.fixture
def subsidiary(personas: Personas) -> Account:
    """A subsidiary of the persona's account, managed by the same owner."""
    return AccountFactory(name="Northwind Retail", parent=personas.account, owner=personas.owner)


def tie(personas: Personas, account: Account, **extra: object) -> AccountLink:
    return account_link_add(
        stakeholder=personas.stakeholder,
        account=account,
        role="Board member",
        start_date=datetime.date(2025, 1, 1),
        acting_user=personas.owner,
        **extra,  # type: ignore[arg-type]
    )


def test_a_link_is_recorded_and_shown_on_both_pages(
    client: Client, personas: Personas, subsidiary: Account
) -> None:
    link = tie(personas, subsidiary)
    assert (link.account, link.role, link.end_date) == (subsidiary, "Board member", None)
    assert link.history.get().history_user == personas.owner

    client.force_login(personas.read_only)
    person_page = client.get(f"/stakeholders/{personas.stakeholder.pk}/").content.decode()
    assert "Also linked to" in person_page and "Northwind Retail" in person_page
    people_page = client.get(f"/stakeholders/?account={subsidiary.pk}").content.decode()
    assert "Linked people from other accounts" in people_page
    assert "Ada Lovelace" in people_page and "Board member" in people_page
    own_page = client.get(f"/stakeholders/?account={personas.account.pk}").content.decode()
    assert "Linked people from other accounts" not in own_page


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("own account", "account", "This is the person's own account already."),
        ("ends before it starts", "__all__", "The end date cannot be before the start date."),
        ("already linked", "account", "This person is already linked to this account."),
    ],
)
def test_bad_links_are_refused_and_nothing_changes(
    personas: Personas, subsidiary: Account, case: str, field: str, message: str
) -> None:
    tie(personas, subsidiary)
    account = personas.account if case == "own account" else subsidiary
    end = datetime.date(2024, 1, 1) if case == "ends before it starts" else None
    with pytest.raises(ValidationError) as error:
        tie(personas, account, end_date=end)
    assert error.value.message_dict == {field: [message]}
    assert AccountLink.objects.count() == 1


def test_a_past_link_to_the_same_account_is_allowed(
    personas: Personas, subsidiary: Account
) -> None:
    tie(personas, subsidiary)
    tie(personas, subsidiary, end_date=datetime.date(2025, 6, 30))
    assert AccountLink.objects.count() == 2


@pytest.mark.parametrize("persona", REFUSED)
def test_outsiders_and_read_only_users_change_no_link(
    personas: Personas, subsidiary: Account, persona: str
) -> None:
    link = tie(personas, subsidiary)
    acting = getattr(personas, persona)
    with pytest.raises(NotAllowedError):
        account_link_add(stakeholder=personas.stakeholder, account=subsidiary, acting_user=acting)
    with pytest.raises(NotAllowedError):
        account_link_update(link=link, data={"role": "Chair"}, acting_user=acting)
    with pytest.raises(NotAllowedError):
        account_link_remove(link=link, acting_user=acting)
    with pytest.raises(NotAllowedError):
        stakeholder_make_primary(link=link, acting_user=acting)
    assert list(AccountLink.objects.values_list("role", flat=True)) == ["Board member"]
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.account == personas.account


# Making another account the person's own


@pytest.fixture
def team(personas: Personas) -> dict[str, Stakeholder]:
    """Ada reports to a boss, has two direct reports and an ally, all at her account."""
    boss = StakeholderFactory(account=personas.account, first_name="Boss", last_name="Babbage")
    ada = personas.stakeholder
    ada.reports_to = boss
    ada.save()
    first = StakeholderFactory(
        account=personas.account, first_name="Ann", last_name="Agnesi", reports_to=ada
    )
    second = StakeholderFactory(
        account=personas.account, first_name="Bea", last_name="Bernoulli", reports_to=ada
    )
    stakeholder_relationship_add(
        source=ada, target=boss, kind="allied_with", acting_user=personas.owner
    )
    return {"boss": boss, "first": first, "second": second}


def test_making_a_link_primary_moves_the_person_and_undoes_crossing_ties(
    personas: Personas, subsidiary: Account, team: dict[str, Stakeholder]
) -> None:
    link = tie(personas, subsidiary)

    change = stakeholder_make_primary(link=link, acting_user=personas.owner)

    ada = Stakeholder.objects.get(pk=personas.stakeholder.pk)
    assert (ada.account, ada.reports_to) == (subsidiary, None)
    assert change.previous_account == personas.account
    assert change.former_manager == team["boss"]
    assert sorted(p.first_name for p in change.detached_reports) == ["Ann", "Bea"]
    assert change.removed_relationships == 1
    for name in ("first", "second"):
        team[name].refresh_from_db()
        assert team[name].reports_to is None
        assert team[name].history.first().history_user == personas.owner
    assert not StakeholderRelationship.objects.exists()
    # The promoted link is gone; the account she leaves is now a link, with her title.
    assert list(AccountLink.objects.values_list("account", "role")) == [
        (personas.account.pk, ada.title)
    ]
    latest, previous = list(ada.history.all()[:2])
    changed = {c.field: (c.old, c.new) for c in latest.diff_against(previous).changes}
    assert changed["account"] == (personas.account.pk, subsidiary.pk)
    assert changed["reports_to"] == (team["boss"].pk, None)
    assert latest.history_user == personas.owner


def test_making_primary_needs_edit_rights_on_the_other_account(personas: Personas) -> None:
    link = tie(personas, personas.other_account)
    with pytest.raises(NotAllowedError):
        stakeholder_make_primary(link=link, acting_user=personas.owner)
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.account == personas.account
    assert AccountLink.objects.filter(pk=link.pk).exists()
    # A head of account management edits every account.
    stakeholder_make_primary(link=link, acting_user=personas.head)
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.account == personas.other_account


def test_the_page_says_what_making_primary_undid(
    client: Client, personas: Personas, subsidiary: Account, team: dict[str, Stakeholder]
) -> None:
    link = tie(personas, subsidiary)
    client.force_login(personas.owner)
    page = client.get(f"/stakeholders/{personas.stakeholder.pk}/").content.decode()
    assert "Make their own account" in page

    response = client.post(
        f"/stakeholders/{personas.stakeholder.pk}/links/{link.pk}/primary/", follow=True
    )

    content = response.content.decode()
    assert (
        "Ada Lovelace now belongs to Northwind Retail; Northwind Traders stays linked." in content
    )
    assert "They no longer report to Boss Babbage" in content
    assert "2 direct reports no longer report to them: Ann Agnesi, Bea Bernoulli." in content
    assert "1 relationship with people of Northwind Traders was removed." in content
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.account == subsidiary


def test_the_link_pages_add_and_remove_in_place(
    client: Client, personas: Personas, subsidiary: Account
) -> None:
    client.force_login(personas.teammate)
    url = f"/stakeholders/{personas.stakeholder.pk}/links/"
    hx = {"HX-Request": "true"}

    added = client.post(url, {"account": "northwind retail", "role": "Adviser"}, headers=hx)
    assert "Ada Lovelace is now linked to Northwind Retail." in added.content.decode()
    unknown = client.post(url, {"account": "Nowhere Inc"}, headers=hx)
    assert "No account is named “Nowhere Inc”." in unknown.content.decode()
    own = client.post(url, {"account": "Northwind Traders"}, headers=hx)
    assert "This is the person&#x27;s own account already." in own.content.decode()
    link = AccountLink.objects.get()
    assert (link.account, link.role) == (subsidiary, "Adviser")

    assert client.post(f"{url}{link.pk}/remove/").status_code == 302
    assert not AccountLink.objects.exists()


@pytest.mark.parametrize("persona", REFUSED)
def test_refused_users_get_403_from_the_link_pages(
    client: Client, personas: Personas, subsidiary: Account, persona: str
) -> None:
    link = tie(personas, subsidiary)
    client.force_login(getattr(personas, persona))
    url = f"/stakeholders/{personas.stakeholder.pk}/links/"
    assert client.post(url, {"account": "Northwind Retail"}).status_code == 403
    assert client.post(f"{url}{link.pk}/remove/").status_code == 403
    assert client.post(f"{url}{link.pk}/primary/").status_code == 403
    assert AccountLink.objects.count() == 1
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.account == personas.account


# API


def test_the_api_manages_links_and_makes_one_primary(
    client: Client, personas: Personas, subsidiary: Account, team: dict[str, Stakeholder]
) -> None:
    headers = bearer(personas.owner)
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}/links"

    created = send(
        client,
        "post",
        url,
        {"account_id": subsidiary.pk, "role": "Chair", "start_date": "2025-02-01"},
        headers,
    )
    assert created.status_code == 201, created.content
    link_id = body(created)["id"]
    patched = send(
        client, "patch", f"{url}/{link_id}", {"role": None, "end_date": "2025-12-31"}, headers
    )
    assert (body(patched)["role"], body(patched)["end_date"]) == ("", "2025-12-31")
    backwards = send(client, "patch", f"{url}/{link_id}", {"end_date": "2024-01-01"}, headers)
    assert error_fields(backwards) == {"payload": "The end date cannot be before the start date."}
    assert [row["id"] for row in body(client.get(url, **headers))] == [link_id]

    primary = client.post(f"{url}/{link_id}/primary", **headers)

    assert primary.status_code == 200, primary.content
    data = body(primary)
    assert data["stakeholder"]["account_id"] == subsidiary.pk
    assert data["stakeholder"]["reports_to_id"] is None
    assert data["previous_account_id"] == personas.account.pk
    assert data["former_manager_id"] == team["boss"].pk
    assert sorted(data["detached_report_ids"]) == sorted([team["first"].pk, team["second"].pk])
    assert data["removed_relationships"] == 1
    links = body(client.get(url, **headers))
    assert [row["account_id"] for row in links] == [personas.account.pk]
    assert client.delete(f"{url}/{links[0]['id']}", **headers).status_code == 204
    assert not AccountLink.objects.exists()


def test_the_api_refuses_bad_links(client: Client, personas: Personas, subsidiary: Account) -> None:
    headers = bearer(personas.owner)
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}/links"
    own = send(client, "post", url, {"account_id": personas.account.pk}, headers)
    unknown = send(client, "post", url, {"account_id": 999999}, headers)
    assert error_fields(own) == {"account_id": "This is the person's own account already."}
    assert error_fields(unknown) == {"account_id": "No record has the id 999999."}
    link = tie(personas, personas.other_account)
    refused = client.post(f"{url}/{link.pk}/primary", **headers)
    assert refused.status_code == 403
    assert AccountLink.objects.count() == 1


@pytest.mark.parametrize("persona", REFUSED)
def test_the_api_refuses_link_changes_with_403(
    client: Client, personas: Personas, subsidiary: Account, persona: str
) -> None:
    link = tie(personas, subsidiary)
    headers = bearer(getattr(personas, persona))
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}/links"
    assert send(client, "post", url, {"account_id": subsidiary.pk}, headers).status_code == 403
    assert send(client, "patch", f"{url}/{link.pk}", {"role": "X"}, headers).status_code == 403
    assert client.delete(f"{url}/{link.pk}", **headers).status_code == 403
    assert client.post(f"{url}/{link.pk}/primary", **headers).status_code == 403
    assert list(AccountLink.objects.values_list("role", flat=True)) == ["Board member"]
