"""Relationships beyond the reporting line: influences, allied with, in conflict with."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from rapport.core.exceptions import NotAllowedError
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.models import Stakeholder, StakeholderRelationship
from rapport.stakeholders.services import (
    stakeholder_relationship_add,
    stakeholder_relationship_remove,
)
from rapport.stakeholders.tests.test_api import bearer, body, error_fields, send

REFUSED = ("outsider", "read_only")


@pytest.fixture
def grace(personas: Personas) -> Stakeholder:
    return StakeholderFactory(account=personas.account, first_name="Grace", last_name="Hopper")


def link(personas: Personas, target: Stakeholder, kind: str = "influences") -> Any:
    return stakeholder_relationship_add(
        source=personas.stakeholder,
        target=target,
        kind=kind,
        note=" Sits on the board ",
        acting_user=personas.owner,
    )


def test_a_relationship_is_recorded_with_its_account_note_and_author(
    personas: Personas, grace: Stakeholder
) -> None:
    relationship = link(personas, grace)
    stored = StakeholderRelationship.objects.get()
    assert (stored.pk, stored.account, stored.source, stored.target) == (
        relationship.pk,
        personas.account,
        personas.stakeholder,
        grace,
    )
    assert (stored.kind, stored.note) == ("influences", "Sits on the board")
    assert stored.history.get().history_user == personas.owner


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("other account", "Both people must belong to the same account."),
        ("self", "A relationship links two different people."),
        ("duplicate", "This relationship is already recorded."),
        ("reverse alliance", "This relationship is already recorded."),
        ("unknown kind", "is not a valid choice"),
    ],
)
def test_bad_relationships_are_refused_and_nothing_changes(
    personas: Personas, grace: Stakeholder, case: str, message: str
) -> None:
    link(personas, grace, "influences")
    stakeholder_relationship_add(
        source=grace, target=personas.stakeholder, kind="allied_with", acting_user=personas.owner
    )
    source, target, kind = {
        "other account": (
            personas.stakeholder,
            StakeholderFactory(account=personas.other_account),
            "influences",
        ),
        "self": (personas.stakeholder, personas.stakeholder, "allied_with"),
        "duplicate": (personas.stakeholder, grace, "influences"),
        "reverse alliance": (personas.stakeholder, grace, "allied_with"),
        "unknown kind": (personas.stakeholder, grace, "admires"),
    }[case]
    with pytest.raises(ValidationError) as error:
        stakeholder_relationship_add(
            source=source, target=target, kind=kind, acting_user=personas.owner
        )
    assert message in " ".join(error.value.messages)
    assert StakeholderRelationship.objects.count() == 2
    assert StakeholderRelationship.history.count() == 2


def test_influence_runs_one_way_so_its_reverse_is_allowed(
    personas: Personas, grace: Stakeholder
) -> None:
    link(personas, grace, "influences")
    stakeholder_relationship_add(
        source=grace, target=personas.stakeholder, kind="influences", acting_user=personas.owner
    )
    assert StakeholderRelationship.objects.count() == 2


def test_a_person_in_the_trash_cannot_be_linked(personas: Personas, grace: Stakeholder) -> None:
    Stakeholder.objects.filter(pk=grace.pk).update(deleted_at="2026-01-01T00:00Z")
    with pytest.raises(ValidationError) as error:
        link(personas, grace)
    assert error.value.message_dict == {"target": ["This person is in the trash."]}
    assert not StakeholderRelationship.objects.exists()


@pytest.mark.parametrize("persona", REFUSED)
def test_outsiders_and_read_only_users_change_no_relationship(
    personas: Personas, grace: Stakeholder, persona: str
) -> None:
    relationship = link(personas, grace)
    acting = getattr(personas, persona)
    with pytest.raises(NotAllowedError):
        stakeholder_relationship_add(
            source=personas.stakeholder, target=grace, kind="allied_with", acting_user=acting
        )
    with pytest.raises(NotAllowedError):
        stakeholder_relationship_remove(relationship=relationship, acting_user=acting)
    assert list(StakeholderRelationship.objects.values_list("kind", flat=True)) == ["influences"]


def test_removal_is_kept_in_history(personas: Personas, grace: Stakeholder) -> None:
    relationship = link(personas, grace)
    stakeholder_relationship_remove(relationship=relationship, acting_user=personas.teammate)
    assert not StakeholderRelationship.objects.exists()
    record = StakeholderRelationship.history.filter(id=relationship.pk).first()
    assert record is not None
    assert (record.history_type, record.history_user) == ("-", personas.teammate)


# Pages


def test_both_people_see_the_relationship_from_their_side(
    client: Client, personas: Personas, grace: Stakeholder
) -> None:
    link(personas, grace)
    client.force_login(personas.read_only)
    ada_page = client.get(f"/stakeholders/{personas.stakeholder.pk}/").content.decode()
    grace_page = client.get(f"/stakeholders/{grace.pk}/").content.decode()
    assert "Influences" in ada_page and "Grace Hopper" in ada_page
    assert "Influenced by" in grace_page and "Ada Lovelace" in grace_page
    assert "Sits on the board" in grace_page
    assert "Add a relationship" not in ada_page


def test_adding_in_place_shows_the_card_or_the_refusal(
    client: Client, personas: Personas, grace: Stakeholder
) -> None:
    client.force_login(personas.owner)
    url = f"/stakeholders/{personas.stakeholder.pk}/relationships/"
    hx = {"HX-Request": "true"}

    added = client.post(
        url, {"kind": "in_conflict_with", "target": grace.pk, "note": ""}, headers=hx
    )
    assert added.status_code == 200 and "<html" not in added.content.decode()
    assert "Relationship recorded." in added.content.decode()
    again = client.post(url, {"kind": "in_conflict_with", "target": grace.pk}, headers=hx)
    assert "This relationship is already recorded." in again.content.decode()
    itself = client.post(
        url, {"kind": "allied_with", "target": personas.stakeholder.pk}, headers=hx
    )
    assert "Select a valid choice" in itself.content.decode()
    assert list(StakeholderRelationship.objects.values_list("kind", flat=True)) == [
        "in_conflict_with"
    ]

    relationship = StakeholderRelationship.objects.get()
    removed = client.post(f"{url}{relationship.pk}/remove/")
    assert removed.status_code == 302
    assert not StakeholderRelationship.objects.exists()


@pytest.mark.parametrize("persona", REFUSED)
def test_refused_users_get_403_from_the_relationship_pages(
    client: Client, personas: Personas, grace: Stakeholder, persona: str
) -> None:
    relationship = link(personas, grace)
    client.force_login(getattr(personas, persona))
    url = f"/stakeholders/{personas.stakeholder.pk}/relationships/"
    assert client.post(url, {"kind": "allied_with", "target": grace.pk}).status_code == 403
    assert client.post(f"{url}{relationship.pk}/remove/").status_code == 403
    assert StakeholderRelationship.objects.count() == 1


# API


def test_the_api_lists_adds_and_removes_relationships(
    client: Client, personas: Personas, grace: Stakeholder
) -> None:
    headers = bearer(personas.teammate)
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}/relationships"

    created = send(client, "post", url, {"target_id": grace.pk, "kind": "allied_with"}, headers)
    assert created.status_code == 201, created.content
    data = body(created)
    assert (data["source_id"], data["target_id"], data["account_id"], data["kind"]) == (
        personas.stakeholder.pk,
        grace.pk,
        personas.account.pk,
        "allied_with",
    )
    from_grace = client.get(f"/api/v1/stakeholders/{grace.pk}/relationships", **headers)
    assert [row["id"] for row in body(from_grace)] == [data["id"]]

    # Either person's path reaches the relationship.
    deleted = client.delete(
        f"/api/v1/stakeholders/{grace.pk}/relationships/{data['id']}", **headers
    )
    assert deleted.status_code == 204
    assert not StakeholderRelationship.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"kind": "influences", "target": "foreign"}, "target_id", "Both people must belong"),
        ({"kind": "influences", "target": "self"}, "payload", "two different people"),
        ({"kind": "influences", "target": "grace"}, "payload", "already recorded"),
        ({"kind": "admires", "target": "grace"}, "kind", "Input should be"),
        ({"kind": "influences", "target": 999999}, "target_id", "No record has the id 999999."),
    ],
)
def test_the_api_refuses_bad_relationships_with_422(
    client: Client,
    personas: Personas,
    grace: Stakeholder,
    payload: dict[str, Any],
    field: str,
    message: str,
) -> None:
    link(personas, grace)
    targets = {
        "foreign": StakeholderFactory(account=personas.other_account).pk,
        "self": personas.stakeholder.pk,
        "grace": grace.pk,
    }
    target = targets.get(payload["target"], payload["target"])
    response = send(
        client,
        "post",
        f"/api/v1/stakeholders/{personas.stakeholder.pk}/relationships",
        {"kind": payload["kind"], "target_id": target},
        bearer(personas.owner),
    )
    errors = error_fields(response)
    assert message in errors[field]
    assert StakeholderRelationship.objects.count() == 1


@pytest.mark.parametrize("persona", REFUSED)
def test_the_api_refuses_relationship_changes_with_403(
    client: Client, personas: Personas, grace: Stakeholder, persona: str
) -> None:
    relationship = link(personas, grace)
    headers = bearer(getattr(personas, persona))
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}/relationships"
    created = send(client, "post", url, {"target_id": grace.pk, "kind": "allied_with"}, headers)
    assert created.status_code == 403
    assert client.delete(f"{url}/{relationship.pk}", **headers).status_code == 403
    assert StakeholderRelationship.objects.count() == 1
