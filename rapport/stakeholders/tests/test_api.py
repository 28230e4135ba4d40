"""Stakeholders over the REST API, authenticated by personal tokens."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User
from rapport.users.services import api_token_create, api_token_revoke

EDITORS = ("owner", "teammate", "head", "admin")
REFUSED = ("outsider", "read_only")
PERSONAS = EDITORS + REFUSED


def bearer(user: User) -> dict[str, str]:
    _token, raw = api_token_create(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def persona_headers(personas: Personas, name: str) -> tuple[User, dict[str, str]]:
    user: User = getattr(personas, name)
    return user, bearer(user)


def body(response: HttpResponse) -> Any:
    return json.loads(response.content)


def send(client: Client, method: str, url: str, data: Any, headers: dict[str, str]) -> HttpResponse:
    call = getattr(client, method)
    return call(url, data=json.dumps(data), content_type="application/json", **headers)  # type: ignore[no-any-return]


def error_fields(response: HttpResponse) -> dict[str, str]:
    """The field each 422 message is about (last part of its location) and the message."""
    assert response.status_code == 422, response.content
    return {str(item["loc"][-1]): item["msg"] for item in body(response)["detail"]}


def snapshot(obj: Model) -> dict[str, Any]:
    return type(obj)._base_manager.filter(pk=obj.pk).values().get()  # type: ignore[no-any-return]


def full_names(response: HttpResponse) -> list[str]:
    assert response.status_code == 200, response.content
    return [f"{row['first_name']} {row['last_name']}" for row in body(response)["results"]]


def new_person(personas: Personas, **changes: Any) -> dict[str, Any]:
    data = {
        "account_id": personas.account.pk,
        "first_name": "Grace",
        "last_name": "Hopper",
        "title": "CTO",
        "email": "Grace@Client.example",
        "reports_to_id": personas.stakeholder.pk,
    }
    data.update(changes)
    return data


# Listing and reading


def test_list_pages_with_an_envelope(client: Client, personas: Personas) -> None:
    for last_name in ("Babbage", "Curie", "Darwin", "Euler"):
        StakeholderFactory(account=personas.account, first_name="Sam", last_name=last_name)
    headers = bearer(personas.read_only)

    first = client.get("/api/v1/stakeholders?page_size=2", **headers)
    last = client.get("/api/v1/stakeholders?page_size=2&page=3", **headers)

    assert first.status_code == 200
    assert {key: value for key, value in body(first).items() if key != "results"} == {
        "count": 5,
        "page": 1,
        "pages": 3,
    }
    assert full_names(first) == ["Sam Babbage", "Sam Curie"]
    assert full_names(last) == ["Ada Lovelace"]


def test_list_filters_by_account_name_and_status(client: Client, personas: Personas) -> None:
    StakeholderFactory(account=personas.other_account, first_name="Alan", last_name="Turing")
    StakeholderFactory(
        account=personas.account,
        first_name="Émile",
        last_name="Lovell",
        status=StakeholderStatus.LEFT,
    )
    headers = bearer(personas.outsider)

    by_account = client.get(f"/api/v1/stakeholders?account={personas.other_account.pk}", **headers)
    by_name = client.get("/api/v1/stakeholders?q=LOV", **headers)
    by_first_name = client.get("/api/v1/stakeholders?q=emile", **headers)
    left = client.get("/api/v1/stakeholders?status=left", **headers)

    assert full_names(by_account) == ["Alan Turing"]
    assert full_names(by_name) == ["Ada Lovelace", "Émile Lovell"]
    assert full_names(by_first_name) == ["Émile Lovell"]
    assert full_names(left) == ["Émile Lovell"]
    assert client.get("/api/v1/stakeholders?status=gone", **headers).status_code == 422


def test_list_runs_a_fixed_number_of_queries(client: Client, personas: Personas) -> None:
    headers = bearer(personas.owner)
    url = "/api/v1/stakeholders?page_size=50"
    client.get(url, **headers)  # the first call notes when the token was used

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, **headers).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    manager = None
    for _index in range(10):
        manager = StakeholderFactory(account=AccountFactory(), reports_to=None)
        StakeholderFactory(account=manager.account, reports_to=manager)
    assert queries() == few == 3


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_reads_a_stakeholder(
    client: Client, personas: Personas, persona: str
) -> None:
    _user, headers = persona_headers(personas, persona)

    response = client.get(f"/api/v1/stakeholders/{personas.stakeholder.pk}", **headers)

    assert response.status_code == 200
    data = body(response)
    assert (data["id"], data["account_id"]) == (personas.stakeholder.pk, personas.account.pk)
    assert (data["first_name"], data["last_name"], data["version"]) == ("Ada", "Lovelace", 1)


# Creating


@pytest.mark.parametrize("persona", PERSONAS)
def test_create(client: Client, personas: Personas, persona: str) -> None:
    user, headers = persona_headers(personas, persona)
    before = Stakeholder.all_objects.count()

    response = send(client, "post", "/api/v1/stakeholders", new_person(personas), headers)

    if persona in EDITORS:
        assert response.status_code == 201, response.content
        person = Stakeholder.objects.get(pk=body(response)["id"])
        assert (person.account, person.reports_to, person.email) == (
            personas.account,
            personas.stakeholder,
            "grace@client.example",
        )
        record = person.history.first()
        assert record is not None and record.history_user == user
    else:
        assert response.status_code == 403
        assert body(response) == {"detail": "You may not change this record."}
        assert Stakeholder.all_objects.count() == before


def test_create_refuses_an_account_the_user_does_not_work_on(
    client: Client, personas: Personas
) -> None:
    """The owner may add people to their own account, not to one reached by changing the id."""
    before = Stakeholder.all_objects.count()

    response = send(
        client,
        "post",
        "/api/v1/stakeholders",
        new_person(personas, account_id=personas.other_account.pk, reports_to_id=None),
        bearer(personas.owner),
    )

    assert response.status_code == 403
    assert Stakeholder.all_objects.count() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "String should have at least 1 character"),
        ({"last_name": "  "}, "last_name", "String should have at least 1 character"),
        ({"email": "grace-at-client"}, "email", "Enter a valid email address."),
        ({"status": "retired"}, "status", "Input should be 'active' or 'left'"),
        ({"account_id": 999999}, "account_id", "No record has the id 999999."),
        ({"reports_to_id": 999999}, "reports_to_id", "No record has the id 999999."),
    ],
)
def test_create_refuses_invalid_data_field_by_field(
    client: Client, personas: Personas, changes: dict[str, Any], field: str, message: str
) -> None:
    before = Stakeholder.all_objects.count()

    response = send(
        client,
        "post",
        "/api/v1/stakeholders",
        new_person(personas, **changes),
        bearer(personas.owner),
    )

    assert error_fields(response) == {field: message}
    assert Stakeholder.all_objects.count() == before


def test_create_refuses_a_manager_from_another_account(client: Client, personas: Personas) -> None:
    foreign = StakeholderFactory(account=personas.other_account)
    before = Stakeholder.all_objects.count()

    response = send(
        client,
        "post",
        "/api/v1/stakeholders",
        new_person(personas, reports_to_id=foreign.pk),
        bearer(personas.owner),
    )

    assert error_fields(response) == {
        "reports_to_id": "A person can only report to someone of the same account."
    }
    assert Stakeholder.all_objects.count() == before


# Updating


@pytest.mark.parametrize("persona", PERSONAS)
def test_update(client: Client, personas: Personas, persona: str) -> None:
    user, headers = persona_headers(personas, persona)
    stakeholder = personas.stakeholder
    before = snapshot(stakeholder)

    response = send(
        client,
        "patch",
        f"/api/v1/stakeholders/{stakeholder.pk}",
        {"title": "Chief Analyst", "department": "Engines"},
        headers,
    )

    stakeholder.refresh_from_db()
    if persona in EDITORS:
        assert response.status_code == 200, response.content
        assert (body(response)["title"], body(response)["version"]) == ("Chief Analyst", 2)
        assert (stakeholder.title, stakeholder.department, stakeholder.version) == (
            "Chief Analyst",
            "Engines",
            2,
        )
        assert stakeholder.first_name == "Ada"
        record = stakeholder.history.first()
        assert record is not None and record.history_user == user
    else:
        assert response.status_code == 403
        assert snapshot(stakeholder) == before


def test_update_refuses_a_person_of_an_account_the_user_does_not_work_on(
    client: Client, personas: Personas
) -> None:
    foreign = StakeholderFactory(account=personas.other_account, title="Buyer")
    before = snapshot(foreign)
    headers = bearer(personas.owner)

    patch = send(client, "patch", f"/api/v1/stakeholders/{foreign.pk}", {"title": "Gone"}, headers)
    delete = client.delete(f"/api/v1/stakeholders/{foreign.pk}", **headers)

    assert patch.status_code == 403
    assert delete.status_code == 403
    assert snapshot(foreign) == before


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "String should have at least 1 character"),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"profile_url": "not a url"}, "profile_url", "Enter a valid URL."),
        ({"reports_to_id": 999999}, "reports_to_id", "No record has the id 999999."),
    ],
)
def test_update_refuses_invalid_data_field_by_field(
    client: Client, personas: Personas, payload: dict[str, Any], field: str, message: str
) -> None:
    stakeholder = personas.stakeholder
    before = snapshot(stakeholder)

    response = send(
        client, "patch", f"/api/v1/stakeholders/{stakeholder.pk}", payload, bearer(personas.owner)
    )

    assert error_fields(response) == {field: message}
    assert snapshot(stakeholder) == before


def test_update_refuses_a_reporting_cycle(client: Client, personas: Personas) -> None:
    boss = personas.stakeholder
    deputy = StakeholderFactory(account=personas.account, reports_to=boss)
    assistant = StakeholderFactory(account=personas.account, reports_to=deputy)
    before = snapshot(boss)
    headers = bearer(personas.owner)

    direct = send(
        client, "patch", f"/api/v1/stakeholders/{boss.pk}", {"reports_to_id": deputy.pk}, headers
    )
    indirect = send(
        client, "patch", f"/api/v1/stakeholders/{boss.pk}", {"reports_to_id": assistant.pk}, headers
    )
    itself = send(
        client, "patch", f"/api/v1/stakeholders/{boss.pk}", {"reports_to_id": boss.pk}, headers
    )

    assert error_fields(direct)["reports_to_id"].startswith("This would make a loop")
    assert error_fields(indirect)["reports_to_id"].startswith("This would make a loop")
    assert error_fields(itself) == {"reports_to_id": "A person cannot report to themselves."}
    assert snapshot(boss) == before


def test_update_refuses_a_manager_from_another_account(client: Client, personas: Personas) -> None:
    foreign = StakeholderFactory(account=personas.other_account)
    before = snapshot(personas.stakeholder)

    response = send(
        client,
        "patch",
        f"/api/v1/stakeholders/{personas.stakeholder.pk}",
        {"reports_to_id": foreign.pk},
        bearer(personas.owner),
    )

    assert error_fields(response) == {
        "reports_to_id": "A person can only report to someone of the same account."
    }
    assert snapshot(personas.stakeholder) == before


def test_update_with_a_stale_version_is_a_conflict(client: Client, personas: Personas) -> None:
    stakeholder = personas.stakeholder
    url = f"/api/v1/stakeholders/{stakeholder.pk}"
    first = send(client, "patch", url, {"version": 1, "title": "First"}, bearer(personas.teammate))
    assert first.status_code == 200

    response = send(client, "patch", url, {"version": 1, "title": "Second"}, bearer(personas.owner))

    assert response.status_code == 409
    assert body(response)["current_version"] == 2
    assert body(response)["detail"].startswith("Someone else changed this record")
    stakeholder.refresh_from_db()
    assert (stakeholder.title, stakeholder.version) == ("First", 2)


# Deleting moves to the trash


@pytest.mark.parametrize("persona", PERSONAS)
def test_delete(client: Client, personas: Personas, persona: str) -> None:
    user, headers = persona_headers(personas, persona)
    stakeholder = personas.stakeholder
    before = snapshot(stakeholder)

    response = client.delete(f"/api/v1/stakeholders/{stakeholder.pk}", **headers)

    if persona in EDITORS:
        assert response.status_code == 204
        trashed = Stakeholder.all_objects.get(pk=stakeholder.pk)
        assert trashed.deleted_at is not None and trashed.deleted_by == user
        record = trashed.history.first()
        assert record is not None and record.history_user == user
        assert full_names(client.get("/api/v1/stakeholders", **headers)) == []
        assert client.get(f"/api/v1/stakeholders/{stakeholder.pk}", **headers).status_code == 404
        patch = send(
            client, "patch", f"/api/v1/stakeholders/{stakeholder.pk}", {"title": "X"}, headers
        )
        assert patch.status_code == 404
    else:
        assert response.status_code == 403
        assert snapshot(stakeholder) == before


def test_deleted_stakeholder_is_restored_from_the_trash(client: Client, personas: Personas) -> None:
    stakeholder = personas.stakeholder
    headers = bearer(personas.owner)
    assert client.delete(f"/api/v1/stakeholders/{stakeholder.pk}", **headers).status_code == 204

    # Only administrators empty or restore the trash.
    client.force_login(personas.owner)
    assert client.post(f"/stakeholders/{stakeholder.pk}/restore/").status_code == 403
    assert Stakeholder.all_objects.get(pk=stakeholder.pk).in_trash
    client.force_login(personas.admin)
    assert client.get("/stakeholders/trash/").context["page"].object_list[0] == stakeholder
    restored = client.post(f"/stakeholders/{stakeholder.pk}/restore/")

    assert restored.status_code == 302
    stakeholder.refresh_from_db()
    assert stakeholder.deleted_at is None and stakeholder.deleted_by is None
    record = stakeholder.history.first()
    assert record is not None and record.history_user == personas.admin
    assert full_names(client.get("/api/v1/stakeholders", **headers)) == ["Ada Lovelace"]
    assert client.get(f"/api/v1/stakeholders/{stakeholder.pk}", **headers).status_code == 200


# Authentication


def test_requests_without_a_valid_token_are_unauthorised(
    client: Client, personas: Personas
) -> None:
    token, raw = api_token_create(user=personas.owner, name="revoked soon")
    api_token_revoke(token=token)
    stakeholder = personas.stakeholder
    before = snapshot(stakeholder)
    count = Stakeholder.all_objects.count()

    for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}):
        assert client.get("/api/v1/stakeholders", **headers).status_code == 401
        assert client.get(f"/api/v1/stakeholders/{stakeholder.pk}", **headers).status_code == 401
        created = send(client, "post", "/api/v1/stakeholders", new_person(personas), headers)
        assert created.status_code == 401
        patch = send(
            client, "patch", f"/api/v1/stakeholders/{stakeholder.pk}", {"title": "X"}, headers
        )
        assert patch.status_code == 401
        assert body(patch) == {"detail": "Unauthorized"}
        assert client.delete(f"/api/v1/stakeholders/{stakeholder.pk}", **headers).status_code == 401

    assert snapshot(stakeholder) == before
    assert Stakeholder.all_objects.count() == count
