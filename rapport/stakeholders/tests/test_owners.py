"""Relationship owners: who on our side owns each stakeholder, and how strongly."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from rapport.core.exceptions import NotAllowedError
from rapport.core.tests.factories import UserFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.models import RelationshipOwner
from rapport.stakeholders.services import (
    relationship_owner_add,
    relationship_owner_remove,
    relationship_owner_set_strength,
)
from rapport.stakeholders.tests.test_api import bearer, body, error_fields, send

EDITORS = ("owner", "teammate", "head", "admin")
REFUSED = ("outsider", "read_only")


def own(personas: Personas, strength: int | None = 40) -> RelationshipOwner:
    return relationship_owner_add(
        stakeholder=personas.stakeholder,
        user=personas.teammate,
        strength=strength,
        acting_user=personas.owner,
    )


# Services


@pytest.mark.parametrize("persona", EDITORS)
def test_an_editor_names_an_owner_and_history_says_who(personas: Personas, persona: str) -> None:
    acting = getattr(personas, persona)
    owner = relationship_owner_add(
        stakeholder=personas.stakeholder, user=personas.owner, strength=70, acting_user=acting
    )
    stored = RelationshipOwner.objects.get(stakeholder=personas.stakeholder)
    assert (stored.pk, stored.user, stored.strength) == (owner.pk, personas.owner, 70)
    record = stored.history.get()
    assert (record.history_type, record.history_user) == ("+", acting)


@pytest.mark.parametrize("persona", REFUSED)
def test_outsiders_and_read_only_users_change_no_owner(personas: Personas, persona: str) -> None:
    acting = getattr(personas, persona)
    owner = own(personas)
    with pytest.raises(NotAllowedError):
        relationship_owner_add(
            stakeholder=personas.stakeholder, user=personas.head, acting_user=acting
        )
    with pytest.raises(NotAllowedError):
        relationship_owner_set_strength(owner=owner, strength=90, acting_user=acting)
    with pytest.raises(NotAllowedError):
        relationship_owner_remove(owner=owner, acting_user=acting)
    assert list(RelationshipOwner.objects.values_list("user", "strength")) == [
        (personas.teammate.pk, 40)
    ]
    assert RelationshipOwner.history.count() == 1


def test_strength_changes_are_recorded_old_and_new(personas: Personas) -> None:
    owner = own(personas, strength=None)
    relationship_owner_set_strength(owner=owner, strength=85, acting_user=personas.head)
    owner.refresh_from_db()
    assert owner.strength == 85
    latest, first = list(owner.history.all()[:2])
    change = latest.diff_against(first).changes
    assert [(c.field, c.old, c.new) for c in change] == [("strength", None, 85)]
    assert latest.history_user == personas.head


def test_removing_an_owner_keeps_it_in_history(personas: Personas) -> None:
    owner = own(personas)
    relationship_owner_remove(owner=owner, acting_user=personas.owner)
    assert not RelationshipOwner.objects.exists()
    record = RelationshipOwner.history.filter(id=owner.pk).first()
    assert record is not None
    assert (record.history_type, record.history_user) == ("-", personas.owner)


@pytest.mark.parametrize(
    ("strength", "user_kind", "message"),
    [
        (101, "active", "less than or equal to 100"),
        (30, "inactive", "Only an active user can own a relationship."),
        (30, "duplicate", "This person already owns this relationship."),
    ],
)
def test_bad_owners_are_refused_and_nothing_changes(
    personas: Personas, strength: int, user_kind: str, message: str
) -> None:
    own(personas)
    user = {
        "active": personas.head,
        "inactive": UserFactory(is_active=False),
        "duplicate": personas.teammate,
    }[user_kind]
    with pytest.raises(ValidationError) as error:
        relationship_owner_add(
            stakeholder=personas.stakeholder,
            user=user,
            strength=strength,
            acting_user=personas.owner,
        )
    assert message in " ".join(error.value.messages)
    assert RelationshipOwner.objects.count() == 1


# Pages


def test_the_page_shows_owners_and_adds_one_in_place(client: Client, personas: Personas) -> None:
    own(personas, strength=55)
    client.force_login(personas.owner)
    url = f"/stakeholders/{personas.stakeholder.pk}/"
    page = client.get(url).content.decode()
    assert (
        "Owned on our side by" in page and str(personas.teammate) in page and 'value="55"' in page
    )

    response = client.post(
        f"{url}owners/",
        {"user": personas.head.pk, "strength": "20"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert f"{personas.head} now owns the relationship" in content
    assert RelationshipOwner.objects.get(user=personas.head).strength == 20


def test_changing_and_removing_an_owner_from_the_page(client: Client, personas: Personas) -> None:
    owner = own(personas)
    client.force_login(personas.teammate)
    base = f"/stakeholders/{personas.stakeholder.pk}/owners/{owner.pk}/"

    changed = client.post(base, {"strength": "75"})
    assert changed.status_code == 302
    owner.refresh_from_db()
    assert owner.strength == 75
    message = client.get(changed["Location"]).content.decode()
    assert "relationship saved" in message

    refused = client.post(base, {"strength": "150"}, headers={"HX-Request": "true"})
    assert "less than or equal to 100" in refused.content.decode()
    owner.refresh_from_db()
    assert owner.strength == 75

    assert client.post(f"{base}remove/").status_code == 302
    assert not RelationshipOwner.objects.exists()


@pytest.mark.parametrize("persona", REFUSED)
def test_refused_users_get_403_from_the_owner_pages(
    client: Client, personas: Personas, persona: str
) -> None:
    owner = own(personas)
    client.force_login(getattr(personas, persona))
    base = f"/stakeholders/{personas.stakeholder.pk}/owners/"
    assert client.post(base, {"user": personas.head.pk}).status_code == 403
    assert client.post(f"{base}{owner.pk}/", {"strength": "1"}).status_code == 403
    assert client.post(f"{base}{owner.pk}/remove/").status_code == 403
    page = client.get(f"/stakeholders/{personas.stakeholder.pk}/").content.decode()
    assert "Add an owner" not in page
    assert list(RelationshipOwner.objects.values_list("user", "strength")) == [
        (personas.teammate.pk, 40)
    ]


# API


def test_the_api_lists_adds_changes_and_removes_owners(client: Client, personas: Personas) -> None:
    headers = bearer(personas.owner)
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}/owners"

    created = send(client, "post", url, {"user_id": personas.teammate.pk, "strength": 30}, headers)
    assert created.status_code == 201, created.content
    owner_id = body(created)["id"]
    assert body(created)["user"]["id"] == personas.teammate.pk

    patched = send(client, "patch", f"{url}/{owner_id}", {"strength": None}, headers)
    assert patched.status_code == 200 and body(patched)["strength"] is None

    listed = client.get(url, **bearer(personas.read_only))
    assert [(row["id"], row["strength"]) for row in body(listed)] == [(owner_id, None)]

    assert client.delete(f"{url}/{owner_id}", **headers).status_code == 204
    assert not RelationshipOwner.objects.exists()
    assert RelationshipOwner.history.filter(history_user=personas.owner).count() == 3


def test_the_api_refuses_bad_owners_with_422(client: Client, personas: Personas) -> None:
    own(personas)
    headers = bearer(personas.owner)
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}/owners"
    inactive = UserFactory(is_active=False)

    duplicate = send(client, "post", url, {"user_id": personas.teammate.pk}, headers)
    unknown = send(client, "post", url, {"user_id": inactive.pk}, headers)
    too_strong = send(client, "post", url, {"user_id": personas.head.pk, "strength": 150}, headers)

    assert error_fields(duplicate) == {"payload": "This person already owns this relationship."}
    assert error_fields(unknown) == {"user_id": f"No record has the id {inactive.pk}."}
    assert "strength" in error_fields(too_strong)
    assert RelationshipOwner.objects.count() == 1


@pytest.mark.parametrize("persona", REFUSED)
def test_the_api_refuses_owner_changes_with_403(
    client: Client, personas: Personas, persona: str
) -> None:
    owner = own(personas)
    headers = bearer(getattr(personas, persona))
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}/owners"

    assert send(client, "post", url, {"user_id": personas.head.pk}, headers).status_code == 403
    assert send(client, "patch", f"{url}/{owner.pk}", {"strength": 1}, headers).status_code == 403
    assert client.delete(f"{url}/{owner.pk}", **headers).status_code == 403
    assert list(RelationshipOwner.objects.values_list("user", "strength")) == [
        (personas.teammate.pk, 40)
    ]
