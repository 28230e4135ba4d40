"""A form saved after someone else changed the record is refused, not silently overwritten."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.db.models import Model
from django.test import Client

from rapport.accounts import services as account_services
from rapport.accounts.choices import Tier
from rapport.core.tests.personas import Personas
from rapport.stakeholders import services as stakeholder_services
from rapport.stakeholders.choices import StakeholderStatus

STALE = (
    "Someone else changed this record since you opened it. "
    "Reload to see their changes, then make yours again."
)


def snapshot(obj: Model) -> dict[str, Any]:
    return type(obj)._base_manager.filter(pk=obj.pk).values().get()  # type: ignore[no-any-return]


def loaded_form(client: Client, url: str) -> dict[str, Any]:
    """The values the edit page puts in its form, as a browser would post them back."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["form"]
    return {name: "" if (value := form[name].value()) is None else value for name in form.fields}


def test_account_form_loaded_before_another_save_is_refused(
    client: Client, personas: Personas
) -> None:
    account = personas.account
    client.force_login(personas.owner)
    data = loaded_form(client, f"/accounts/{account.pk}/edit/")
    assert data["version"] == 1

    account_services.account_update(
        account=account,
        acting_user=personas.head,
        data={"name": "Northwind Group", "tier": Tier.STRATEGIC},
        expected_version=None,
    )
    after_their_save = snapshot(account)
    response = client.post(
        f"/accounts/{account.pk}/edit/", {**data, "name": "Northwind Mine", "employees": 12}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [STALE]
    assert STALE in response.content.decode()
    assert list(get_messages(response.wsgi_request)) == []
    assert snapshot(account) == after_their_save
    account.refresh_from_db()
    assert (account.name, account.employees, account.version) == ("Northwind Group", None, 2)
    record = account.history.first()
    assert record is not None and record.history_user == personas.head


def test_account_form_with_the_current_version_saves(client: Client, personas: Personas) -> None:
    account = personas.account
    client.force_login(personas.owner)
    data = loaded_form(client, f"/accounts/{account.pk}/edit/")

    response = client.post(f"/accounts/{account.pk}/edit/", {**data, "employees": 12})

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.employees, account.version) == (12, 2)


def test_stakeholder_form_loaded_before_another_save_is_refused(
    client: Client, personas: Personas
) -> None:
    stakeholder = personas.stakeholder
    client.force_login(personas.teammate)
    data = loaded_form(client, f"/stakeholders/{stakeholder.pk}/edit/")
    assert data["version"] == 1

    stakeholder_services.stakeholder_mark_left(stakeholder=stakeholder, acting_user=personas.owner)
    after_their_save = snapshot(stakeholder)
    response = client.post(
        f"/stakeholders/{stakeholder.pk}/edit/", {**data, "title": "Head of Engines"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [STALE]
    assert STALE in response.content.decode()
    assert list(get_messages(response.wsgi_request)) == []
    assert snapshot(stakeholder) == after_their_save
    stakeholder.refresh_from_db()
    assert (stakeholder.status, stakeholder.title, stakeholder.version) == (
        StakeholderStatus.LEFT,
        "Director",
        2,
    )


def test_stakeholder_form_with_the_current_version_saves(
    client: Client, personas: Personas
) -> None:
    stakeholder = personas.stakeholder
    client.force_login(personas.teammate)
    data = loaded_form(client, f"/stakeholders/{stakeholder.pk}/edit/")

    response = client.post(
        f"/stakeholders/{stakeholder.pk}/edit/", {**data, "title": "Head of Engines"}
    )

    assert response.status_code == 302
    stakeholder.refresh_from_db()
    assert (stakeholder.title, stakeholder.version) == ("Head of Engines", 2)
