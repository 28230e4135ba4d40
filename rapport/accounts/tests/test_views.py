"""Account pages: the list's search, filters, sorting and pages; the 360° page; history."""

from __future__ import annotations

import pytest
from django.test import Client

from rapport.accounts.models import Account
from rapport.accounts.services import account_update
from rapport.core.tests.factories import AccountFactory, StakeholderFactory, UserFactory
from rapport.core.tests.personas import Personas


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [account.name for account in response.context["page"].object_list]


@pytest.mark.django_db
def test_search_by_name_prefix_ignores_case_and_accents(client: Client) -> None:
    client.force_login(UserFactory())
    AccountFactory(name="Éclair Énergie")
    AccountFactory(name="Eclipse Media")
    AccountFactory(name="Northwind")
    assert names(client.get("/accounts/?q=ecl")) == ["Éclair Énergie", "Eclipse Media"]
    assert names(client.get("/accounts/?q=ÉCLA")) == ["Éclair Énergie"]
    assert names(client.get("/accounts/?q=zzz")) == []


@pytest.mark.django_db
def test_filters_combine_and_bad_values_are_reported_not_fatal(client: Client) -> None:
    owner = UserFactory()
    client.force_login(owner)
    AccountFactory(name="A1", owner=owner, tier="key", industry="energy")
    AccountFactory(name="A2", owner=owner, tier="growth", industry="energy")
    AccountFactory(name="A3", tier="key", industry="energy")
    assert names(client.get(f"/accounts/?owner={owner.pk}&tier=key")) == ["A1"]
    assert names(client.get("/accounts/?industry=energy&tier=key")) == ["A1", "A3"]
    response = client.get("/accounts/?tier=platinum")
    assert response.status_code == 200
    assert response.context["invalid"] == ["tier"]
    assert names(response) == ["A1", "A2", "A3"]


@pytest.mark.django_db
def test_archived_accounts_leave_the_list_until_asked_for(client: Client) -> None:
    client.force_login(UserFactory())
    AccountFactory(name="Active")
    AccountFactory(name="Dormant", is_archived=True)
    assert names(client.get("/accounts/")) == ["Active"]
    assert names(client.get("/accounts/?archived=true")) == ["Dormant"]


@pytest.mark.django_db
def test_sorting_and_pagination(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_PAGE_SIZE = 2
    client.force_login(UserFactory())
    for name, employees in [("Bravo", 10), ("Alpha", 300), ("Charlie", None)]:
        AccountFactory(name=name, employees=employees)
    assert names(client.get("/accounts/")) == ["Alpha", "Bravo"]
    assert names(client.get("/accounts/?page=2")) == ["Charlie"]
    assert names(client.get("/accounts/?sort=-name")) == ["Charlie", "Bravo"]
    assert names(client.get("/accounts/?sort=-employees")) == ["Alpha", "Bravo"]
    assert names(client.get("/accounts/?page=99")) == ["Charlie"]


@pytest.mark.django_db
def test_htmx_requests_get_only_the_results(client: Client) -> None:
    client.force_login(UserFactory())
    AccountFactory(name="Northwind")
    full = client.get("/accounts/?q=north")
    partial = client.get("/accounts/?q=north", headers={"HX-Request": "true"})
    assert b"<html" in full.content
    assert b"<html" not in partial.content
    assert b"Northwind" in partial.content
    assert "HX-Request" in partial["Vary"]


@pytest.mark.django_db
def test_the_list_has_an_empty_state(client: Client) -> None:
    client.force_login(UserFactory())
    assert b"There are no accounts yet" in client.get("/accounts/").content
    AccountFactory(name="Northwind")
    assert b"No account matches these filters" in client.get("/accounts/?q=zz").content


def test_the_360_page_shows_team_people_and_group(client: Client, personas: Personas) -> None:
    client.force_login(personas.teammate)
    subsidiary = AccountFactory(name="Northwind Iberia", parent=personas.account)
    StakeholderFactory(
        account=personas.account,
        first_name="Alan",
        last_name="Turing",
        reports_to=personas.stakeholder,
    )
    response = client.get(f"/accounts/{personas.account.pk}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Northwind Traders" in content
    assert str(personas.owner) in content
    assert "Ada Lovelace" in content and "Alan Turing" in content
    assert subsidiary.name in content
    assert f"/accounts/{personas.account.pk}/edit/" in content


def test_an_outsider_sees_no_edit_button(client: Client, personas: Personas) -> None:
    client.force_login(personas.outsider)
    content = client.get(f"/accounts/{personas.account.pk}/").content.decode()
    assert f"/accounts/{personas.account.pk}/edit/" not in content


@pytest.mark.django_db
def test_an_unknown_account_is_a_friendly_404(client: Client) -> None:
    client.force_login(UserFactory())
    response = client.get("/accounts/999999/")
    assert response.status_code == 404
    assert b"Nothing here" in response.content


def test_history_page_shows_who_changed_which_field(client: Client, personas: Personas) -> None:
    account_update(
        account=personas.account,
        acting_user=personas.head,
        data={"tier": "strategic"},
        expected_version=None,
    )
    client.force_login(personas.read_only)
    content = client.get(f"/accounts/{personas.account.pk}/history/").content.decode()
    assert str(personas.head) in content
    assert "Tier" in content and "Growth" in content and "Strategic" in content


def test_create_through_the_form_records_history(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    parent = AccountFactory(name="Umbrella Holding")
    response = client.post(
        "/accounts/new/",
        {
            "name": "Umbrella Retail",
            "tier": "key",
            "segment": "enterprise",
            "lifecycle_stage": "onboarding",
            "parent": "umbrella holding",
            "owner": personas.owner.pk,
            "country": "fr",
        },
    )
    account = Account.objects.get(name="Umbrella Retail")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{account.pk}/"
    assert account.parent == parent
    assert account.country == "FR"
    assert account.history.first().history_user == personas.owner


def test_the_form_refuses_an_unknown_parent_and_writes_nothing(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.owner)
    response = client.post(
        "/accounts/new/",
        {
            "name": "Orphan",
            "tier": "key",
            "segment": "enterprise",
            "lifecycle_stage": "onboarding",
            "parent": "Nope",
        },
    )
    assert response.status_code == 200
    assert "No account is named" in response.content.decode()
    assert not Account.objects.filter(name="Orphan").exists()


@pytest.mark.django_db
def test_parent_suggestions_match_the_typed_prefix(client: Client) -> None:
    client.force_login(UserFactory())
    AccountFactory(name="Umbrella Holding")
    AccountFactory(name="Initech")
    response = client.get("/accounts/suggest/?parent=umb")
    assert b'value="Umbrella Holding"' in response.content
    assert b"Initech" not in response.content


def test_global_search_finds_accounts_and_people_by_name_or_email(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.outsider)
    StakeholderFactory(
        account=personas.other_account,
        first_name="Nora",
        last_name="Ortiz",
        email="nora@contoso.example",
    )
    content = client.get("/search/?q=nor").content.decode()
    assert "Northwind Traders" in content and "Nora Ortiz" in content
    assert "Nora Ortiz" in client.get("/search/?q=ortiz").content.decode()
    assert "Nora Ortiz" in client.get("/search/?q=nora@contoso").content.decode()
    assert "Nothing matches" in client.get("/search/?q=qqq").content.decode()


def test_history_page_names_team_changes_by_person_and_role(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.owner)
    client.post(f"/accounts/{personas.account.pk}/team/{personas.membership.pk}/end/")
    content = client.get(f"/accounts/{personas.account.pk}/history/").content.decode()
    assert f"{personas.teammate} — Support lead" in content
    assert "End date" in content
    assert " as of " not in content
