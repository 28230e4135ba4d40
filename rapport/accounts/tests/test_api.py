"""Accounts and account teams over the REST API, authenticated by personal tokens."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.accounts.choices import TeamRole, Tier
from rapport.accounts.models import Account, TeamMember
from rapport.core.tests.factories import AccountFactory, TeamMemberFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.users.models import User
from rapport.users.services import api_token_create, api_token_revoke

EDITORS = ("owner", "teammate", "head", "admin")
REFUSED = ("outsider", "read_only")
PERSONAS = EDITORS + REFUSED
# Team members and read-only users work on accounts others bring in; they do not create them.
CREATORS = ("owner", "outsider", "head", "admin")
NOT_CREATORS = ("teammate", "read_only")


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


def names(response: HttpResponse) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in body(response)["results"]]


# Listing and reading


def test_list_pages_with_an_envelope(client: Client, personas: Personas) -> None:
    for index in range(3):
        AccountFactory(name=f"Zephyr {index}")
    headers = bearer(personas.read_only)

    first = client.get("/api/v1/accounts?page_size=2", **headers)
    last = client.get("/api/v1/accounts?page_size=2&page=3", **headers)

    assert first.status_code == 200
    assert {key: value for key, value in body(first).items() if key != "results"} == {
        "count": 5,
        "page": 1,
        "pages": 3,
    }
    assert [row["name"] for row in body(first)["results"]] == ["Contoso", "Northwind Traders"]
    assert body(last)["page"] == 3
    assert [row["name"] for row in body(last)["results"]] == ["Zephyr 2"]


def test_list_filters_by_name_owner_tier_and_archive(client: Client, personas: Personas) -> None:
    AccountFactory(name="Nordic Mining", tier=Tier.STRATEGIC, owner=personas.head)
    AccountFactory(name="Old Client", is_archived=True)
    headers = bearer(personas.read_only)

    assert names(client.get("/api/v1/accounts?q=N%C3%94R", **headers)) == [
        "Nordic Mining",
        "Northwind Traders",
    ]
    assert names(client.get(f"/api/v1/accounts?owner={personas.outsider.pk}", **headers)) == [
        "Contoso"
    ]
    assert names(client.get("/api/v1/accounts?tier=strategic", **headers)) == ["Nordic Mining"]
    assert names(client.get("/api/v1/accounts?archived=true", **headers)) == ["Old Client"]
    assert "Old Client" not in names(client.get("/api/v1/accounts", **headers))


def test_list_refuses_an_unknown_tier(client: Client, personas: Personas) -> None:
    response = client.get("/api/v1/accounts?tier=gold", **bearer(personas.owner))
    assert error_fields(response).keys() == {"tier"}


def test_list_runs_a_fixed_number_of_queries(client: Client, personas: Personas) -> None:
    headers = bearer(personas.owner)
    url = "/api/v1/accounts?page_size=50"
    client.get(url, **headers)  # the first call notes when the token was used

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, **headers).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for _index in range(10):
        AccountFactory(owner=UserFactory())
    # The token lookup, the count and the page with its owners, whatever the number of rows.
    assert queries() == few == 3


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_reads_an_account(client: Client, personas: Personas, persona: str) -> None:
    _user, headers = persona_headers(personas, persona)

    response = client.get(f"/api/v1/accounts/{personas.account.pk}", **headers)

    assert response.status_code == 200
    data = body(response)
    assert data["id"] == personas.account.pk
    assert data["name"] == "Northwind Traders"
    assert data["owner"] == {
        "id": personas.owner.pk,
        "email": "owner@example.com",
        "name": personas.owner.get_full_name(),
    }
    assert data["version"] == 1


def test_read_of_an_unknown_account_is_not_found(client: Client, personas: Personas) -> None:
    response = client.get("/api/v1/accounts/999999", **bearer(personas.owner))
    assert response.status_code == 404
    assert body(response) == {"detail": "Not found."}


# Creating


@pytest.mark.parametrize("persona", CREATORS + NOT_CREATORS)
def test_create(client: Client, personas: Personas, persona: str) -> None:
    user, headers = persona_headers(personas, persona)
    before = Account.objects.count()

    response = send(
        client,
        "post",
        "/api/v1/accounts",
        {"name": "Fabrikam", "tier": "key", "owner_id": personas.owner.pk, "country": "fr"},
        headers,
    )

    if persona in CREATORS:
        assert response.status_code == 201, response.content
        account = Account.objects.get(pk=body(response)["id"])
        assert (account.name, account.tier, account.owner, account.country) == (
            "Fabrikam",
            Tier.KEY,
            personas.owner,
            "FR",
        )
        assert body(response)["owner"]["id"] == personas.owner.pk
        record = account.history.first()
        assert record is not None and record.history_user == user
        # The account manager joins the team, so the account lands in their book.
        assert (
            TeamMember.objects.current()
            .filter(account=account, user=personas.owner, role=TeamRole.ACCOUNT_MANAGER)
            .exists()
        )
    else:
        assert response.status_code == 403
        assert body(response) == {"detail": "You may not change this record."}
        assert Account.objects.count() == before


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": ""}, "name", "String should have at least 1 character"),
        ({"name": "   "}, "name", "String should have at least 1 character"),
        (
            {"name": "Fabrikam", "tier": "gold"},
            "tier",
            "Input should be 'strategic', 'key', 'growth' or 'maintain'",
        ),
        ({"name": "Fabrikam", "owner_id": 999999}, "owner_id", "No record has the id 999999."),
        ({"name": "Fabrikam", "website": "not a url"}, "website", "Enter a valid URL."),
    ],
)
def test_create_refuses_invalid_data_field_by_field(
    client: Client, personas: Personas, payload: dict[str, Any], field: str, message: str
) -> None:
    before = Account.objects.count()

    response = send(client, "post", "/api/v1/accounts", payload, bearer(personas.owner))

    assert error_fields(response) == {field: message}
    assert Account.objects.count() == before


# Updating


@pytest.mark.parametrize("persona", PERSONAS)
def test_update(client: Client, personas: Personas, persona: str) -> None:
    user, headers = persona_headers(personas, persona)
    account = personas.account
    before = snapshot(account)

    response = send(
        client,
        "patch",
        f"/api/v1/accounts/{account.pk}",
        {"name": "Northwind Group", "tier": "strategic"},
        headers,
    )

    account.refresh_from_db()
    if persona in EDITORS:
        assert response.status_code == 200, response.content
        assert body(response)["name"] == "Northwind Group"
        assert body(response)["version"] == 2
        assert (account.name, account.tier, account.version) == (
            "Northwind Group",
            Tier.STRATEGIC,
            2,
        )
        # Fields not sent are left alone.
        assert account.owner == personas.owner
        record = account.history.first()
        assert record is not None and record.history_user == user
    else:
        assert response.status_code == 403
        assert snapshot(account) == before


def test_update_refuses_an_outsider_on_any_account_they_do_not_work_on(
    client: Client, personas: Personas
) -> None:
    """Ids are guessable; the outsider's own account is editable, the next id is not."""
    headers = bearer(personas.outsider)
    before = snapshot(personas.account)

    own = send(
        client,
        "patch",
        f"/api/v1/accounts/{personas.other_account.pk}",
        {"name": "Contoso Ltd"},
        headers,
    )
    other = send(
        client, "patch", f"/api/v1/accounts/{personas.account.pk}", {"name": "Mine now"}, headers
    )
    archive = send(
        client, "patch", f"/api/v1/accounts/{personas.account.pk}", {"is_archived": True}, headers
    )

    assert own.status_code == 200
    assert other.status_code == 403
    assert archive.status_code == 403
    assert snapshot(personas.account) == before


def test_update_with_the_current_version_saves(client: Client, personas: Personas) -> None:
    account = personas.account
    response = send(
        client,
        "patch",
        f"/api/v1/accounts/{account.pk}",
        {"version": 1, "employees": 250},
        bearer(personas.owner),
    )
    account.refresh_from_db()
    assert response.status_code == 200
    assert (account.employees, account.version) == (250, 2)


def test_update_with_a_stale_version_is_a_conflict(client: Client, personas: Personas) -> None:
    account = personas.account
    headers = bearer(personas.teammate)
    assert (
        send(
            client,
            "patch",
            f"/api/v1/accounts/{account.pk}",
            {"version": 1, "name": "First"},
            headers,
        ).status_code
        == 200
    )

    response = send(
        client,
        "patch",
        f"/api/v1/accounts/{account.pk}",
        {"version": 1, "name": "Second"},
        bearer(personas.owner),
    )

    assert response.status_code == 409
    assert body(response)["current_version"] == 2
    assert body(response)["detail"].startswith("Someone else changed this record")
    account.refresh_from_db()
    assert (account.name, account.version) == ("First", 2)


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": ""}, "name", "String should have at least 1 character"),
        ({"tier": "gold"}, "tier", "Input should be 'strategic', 'key', 'growth' or 'maintain'"),
        ({"owner_id": 999999}, "owner_id", "No record has the id 999999."),
        ({"country": "FRA"}, "country", "String should have at most 2 characters"),
    ],
)
def test_update_refuses_invalid_data_field_by_field(
    client: Client, personas: Personas, payload: dict[str, Any], field: str, message: str
) -> None:
    before = snapshot(personas.account)

    response = send(
        client, "patch", f"/api/v1/accounts/{personas.account.pk}", payload, bearer(personas.owner)
    )

    assert error_fields(response) == {field: message}
    assert snapshot(personas.account) == before


def test_update_refuses_a_parent_that_is_a_subsidiary(client: Client, personas: Personas) -> None:
    account = personas.account
    subsidiary = AccountFactory(name="Northwind Europe", parent=account)
    before = snapshot(account)

    response = send(
        client,
        "patch",
        f"/api/v1/accounts/{account.pk}",
        {"parent_id": subsidiary.pk},
        bearer(personas.owner),
    )

    assert error_fields(response) == {
        "parent_id": "This parent is one of the account's own subsidiaries."
    }
    assert snapshot(account) == before


# Archiving: DELETE never deletes


@pytest.mark.parametrize("persona", PERSONAS)
def test_delete_archives(client: Client, personas: Personas, persona: str) -> None:
    user, headers = persona_headers(personas, persona)
    account = personas.account
    before = snapshot(account)

    response = client.delete(f"/api/v1/accounts/{account.pk}", **headers)

    if persona in EDITORS:
        assert response.status_code == 200
        assert body(response)["is_archived"] is True
        account.refresh_from_db()
        assert account.is_archived is True
        record = account.history.first()
        assert record is not None and record.history_user == user
        assert "Northwind Traders" not in names(client.get("/api/v1/accounts", **headers))
        assert names(client.get("/api/v1/accounts?archived=true", **headers)) == [
            "Northwind Traders"
        ]
    else:
        assert response.status_code == 403
        assert snapshot(account) == before


# The team


def test_every_persona_reads_the_team(client: Client, personas: Personas) -> None:
    today = timezone.localdate()
    TeamMemberFactory(
        account=personas.account,
        role=TeamRole.MARKETING,
        start_date=today - datetime.timedelta(days=30),
        end_date=today - datetime.timedelta(days=1),
    )

    everyone = client.get(
        f"/api/v1/accounts/{personas.account.pk}/team", **bearer(personas.outsider)
    )
    current = client.get(
        f"/api/v1/accounts/{personas.account.pk}/team?include_past=false",
        **bearer(personas.outsider),
    )

    assert everyone.status_code == 200
    assert len(body(everyone)) == 4
    assert {row["user"]["email"] for row in body(current)} == {
        "owner@example.com",
        "teammate@example.com",
        "readonly@example.com",
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_team_add(client: Client, personas: Personas, persona: str) -> None:
    user, headers = persona_headers(personas, persona)
    account = personas.account
    newcomer = UserFactory()

    response = send(
        client,
        "post",
        f"/api/v1/accounts/{account.pk}/team",
        {"user_id": newcomer.pk, "role": "sales_engineer"},
        headers,
    )

    added = TeamMember.objects.filter(account=account, user=newcomer)
    if persona in EDITORS:
        assert response.status_code == 201, response.content
        member = added.get()
        assert body(response)["id"] == member.pk
        assert body(response)["is_current"] is True
        assert member.start_date == timezone.localdate()
        record = member.history.first()
        assert record is not None and record.history_user == user
    else:
        assert response.status_code == 403
        assert not added.exists()


def test_team_add_refuses_an_unknown_person_and_a_bad_role(
    client: Client, personas: Personas
) -> None:
    url = f"/api/v1/accounts/{personas.account.pk}/team"
    headers = bearer(personas.owner)
    before = TeamMember.objects.count()

    unknown = send(client, "post", url, {"user_id": 999999, "role": "marketing"}, headers)
    bad_role = send(client, "post", url, {"user_id": personas.head.pk, "role": "king"}, headers)
    twice = send(
        client, "post", url, {"user_id": personas.teammate.pk, "role": "support_lead"}, headers
    )

    assert error_fields(unknown) == {"user_id": "No record has the id 999999."}
    assert error_fields(bad_role).keys() == {"role"}
    assert twice.status_code == 422
    assert "This person already holds this role on the account." in twice.content.decode()
    assert TeamMember.objects.count() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_team_end(client: Client, personas: Personas, persona: str) -> None:
    user, headers = persona_headers(personas, persona)
    member = TeamMemberFactory(account=personas.account, role=TeamRole.MARKETING)
    before = snapshot(member)

    response = client.delete(f"/api/v1/accounts/{personas.account.pk}/team/{member.pk}", **headers)

    member.refresh_from_db()
    if persona in EDITORS:
        assert response.status_code == 200
        assert member.end_date == timezone.localdate()
        assert body(response)["end_date"] == timezone.localdate().isoformat()
        record = member.history.first()
        assert record is not None and record.history_user == user
    else:
        assert response.status_code == 403
        assert snapshot(member) == before


def test_team_end_refuses_a_member_of_another_account(client: Client, personas: Personas) -> None:
    headers = bearer(personas.owner)
    foreign = TeamMemberFactory(account=personas.other_account, role=TeamRole.MARKETING)
    before = snapshot(foreign)

    mixed = client.delete(f"/api/v1/accounts/{personas.account.pk}/team/{foreign.pk}", **headers)
    direct = client.delete(
        f"/api/v1/accounts/{personas.other_account.pk}/team/{foreign.pk}", **headers
    )

    assert mixed.status_code == 404
    assert direct.status_code == 403
    assert snapshot(foreign) == before


# Authentication


def test_requests_without_a_valid_token_are_unauthorised(
    client: Client, personas: Personas
) -> None:
    token, raw = api_token_create(user=personas.owner, name="revoked soon")
    api_token_revoke(token=token)
    before = snapshot(personas.account)
    count = Account.objects.count()

    for headers in (
        {},
        {"HTTP_AUTHORIZATION": f"Bearer {raw}"},
        {"HTTP_AUTHORIZATION": "Bearer rpt_unknown"},
    ):
        assert client.get("/api/v1/accounts", **headers).status_code == 401
        assert client.get(f"/api/v1/accounts/{personas.account.pk}", **headers).status_code == 401
        assert (
            send(client, "post", "/api/v1/accounts", {"name": "Ghost"}, headers).status_code == 401
        )
        patch = send(
            client, "patch", f"/api/v1/accounts/{personas.account.pk}", {"name": "Ghost"}, headers
        )
        assert patch.status_code == 401
        assert body(patch) == {"detail": "Unauthorized"}
        assert (
            client.delete(f"/api/v1/accounts/{personas.account.pk}", **headers).status_code == 401
        )

    assert snapshot(personas.account) == before
    assert Account.objects.count() == count


def test_token_of_a_deactivated_user_is_refused(client: Client, personas: Personas) -> None:
    headers = bearer(personas.owner)
    User.objects.filter(pk=personas.owner.pk).update(is_active=False)

    assert client.get("/api/v1/accounts", **headers).status_code == 401


# The API's description


def test_openapi_document_lists_the_paths(client: Client, db: None) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = body(response)
    assert document["info"]["title"] == "Rapport API"
    assert {
        "/api/v1/accounts",
        "/api/v1/accounts/{account_id}",
        "/api/v1/accounts/{account_id}/team",
        "/api/v1/accounts/{account_id}/team/{member_id}",
        "/api/v1/stakeholders",
        "/api/v1/stakeholders/{stakeholder_id}",
    } <= document["paths"].keys()
    assert set(document["paths"]["/api/v1/accounts/{account_id}"]) == {"get", "patch", "delete"}
    assert any(
        scheme.get("scheme") == "bearer"
        for scheme in document["components"]["securitySchemes"].values()
    )


def test_api_docs_page_points_at_the_document(client: Client, db: None) -> None:
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.content.decode()
