"""The account map over the REST API: JSON by default, every export format on request."""

from __future__ import annotations

import csv
import datetime
import io
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.accountmaps.exports import CONTENT_TYPES, MapFormat, map_document
from rapport.accountmaps.layout import build_account_map
from rapport.accountmaps.tests.test_exports import OLD_DAY, Org, backdate_history, make_org
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.users.models import User
from rapport.users.services import api_token_create


def bearer(user: User) -> dict[str, str]:
    _token, raw = api_token_create(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def org(personas: Personas) -> Org:
    return make_org(personas.account, personas.owner)


def map_url(org: Org, query: str = "") -> str:
    return f"/api/v1/accounts/{org.account.pk}/map" + (f"?{query}" if query else "")


def test_the_map_is_json_by_default(client: Client, personas: Personas, org: Org) -> None:
    response = client.get(map_url(org), **bearer(personas.owner))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    document = response.json()
    expected = map_document(build_account_map(account=org.account))
    assert (
        document["account"]
        == expected["account"]
        == {
            "id": org.account.pk,
            "name": "Northwind Traders",
        }
    )
    assert document["people"] == expected["people"]
    assert document["lines"] == expected["lines"]
    assert document["as_of"] is None
    by_id = {person["id"]: person for person in document["people"]}
    assert by_id[org.engineer.pk]["manager_id"] == org.cio.pk
    assert by_id[org.ceo.pk]["roles"] == ["decision_maker"]


def test_signed_out_clients_are_refused(client: Client, org: Org) -> None:
    assert client.get(map_url(org)).status_code == 401
    assert client.get(map_url(org, "format=png")).status_code == 401
    bad_token = {"HTTP_AUTHORIZATION": "Bearer not-a-token"}
    assert client.get(map_url(org), **bad_token).status_code == 401


@pytest.mark.parametrize("persona", ["outsider", "read_only", "teammate", "admin"])
def test_any_signed_in_user_reads_the_map(
    client: Client, personas: Personas, org: Org, persona: str
) -> None:
    response = client.get(map_url(org), **bearer(getattr(personas, persona)))
    assert response.status_code == 200
    assert len(response.json()["people"]) == 7


def test_a_signed_in_browser_session_works_too(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.outsider)
    assert client.get(map_url(org, "format=mermaid")).status_code == 200


@pytest.mark.parametrize("map_format", [item for item in MapFormat if item != MapFormat.JSON])
def test_every_other_format_comes_back_as_a_file(
    client: Client, personas: Personas, org: Org, map_format: MapFormat
) -> None:
    response = client.get(map_url(org, f"format={map_format.value}"), **bearer(personas.outsider))
    assert response.status_code == 200, response.content
    content_type, extension = CONTENT_TYPES[map_format]
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith(f'.{extension}"')
    content = response.content
    if map_format == MapFormat.SVG:
        assert ElementTree.fromstring(content).tag.endswith("svg")  # noqa: S314 (our own output)
    elif map_format == MapFormat.DRAWIO:
        assert ElementTree.fromstring(content).tag == "mxfile"  # noqa: S314 (our own output)
    elif map_format == MapFormat.PNG:
        assert content.startswith(b"\x89PNG\r\n\x1a\n")
    elif map_format == MapFormat.PDF:
        assert content.startswith(b"%PDF-")
    elif map_format == MapFormat.MERMAID:
        assert content.decode().startswith("flowchart TD\n")
    elif map_format == MapFormat.CSV:
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
        assert {row["Id"] for row in rows} == {
            str(pk)
            for pk in (
                personas.stakeholder.pk,
                org.ceo.pk,
                org.cfo.pk,
                org.cio.pk,
                org.engineer.pk,
                org.awkward.pk,
                org.loner.pk,
            )
        }


def test_an_unknown_format_is_refused_with_the_formats_to_choose_from(
    client: Client, personas: Personas, org: Org
) -> None:
    response = client.get(map_url(org, "format=visio"), **bearer(personas.owner))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "format"]
    for map_format in MapFormat:
        assert f"'{map_format.value}'" in error["msg"]


def test_a_bad_or_future_date_is_refused(client: Client, personas: Personas, org: Org) -> None:
    headers = bearer(personas.owner)
    for bad_date in ("2024-02-30", "yesterday"):
        response = client.get(map_url(org, f"as_of={bad_date}"), **headers)
        assert response.status_code == 422, bad_date
        assert response.json()["detail"][0]["loc"] == ["query", "as_of"]
    future = timezone.localdate() + datetime.timedelta(days=2)
    response = client.get(map_url(org, f"as_of={future.isoformat()}"), **headers)
    assert response.status_code == 422
    assert "future" in response.json()["detail"][0]["msg"]


def test_an_unknown_account_is_not_found(client: Client, personas: Personas) -> None:
    response = client.get("/api/v1/accounts/999999/map", **bearer(personas.owner))
    assert response.status_code == 404
    assert client.get("/api/v1/accounts/0/map", **bearer(personas.owner)).status_code == 422


def test_the_map_takes_the_page_filters(client: Client, personas: Personas, org: Org) -> None:
    headers = bearer(personas.read_only)

    def people(query: str) -> set[int]:
        response = client.get(map_url(org, query), **headers)
        assert response.status_code == 200, response.content
        return {person["id"] for person in response.json()["people"]}

    assert people("only_decision_roles=true") == {org.ceo.pk, org.cfo.pk}
    assert people("department=IT") == {org.cio.pk, org.engineer.pk, org.awkward.pk}
    assert people(f"collapsed={org.cio.pk}&collapsed={org.ceo.pk}") == {
        personas.stakeholder.pk,
        org.ceo.pk,
        org.loner.pk,
    }


def test_the_map_as_of_a_date_is_the_old_map(client: Client, personas: Personas, org: Org) -> None:
    backdate_history(OLD_DAY)
    newcomer = StakeholderFactory(account=org.account, first_name="New", reports_to=org.cio)
    org.awkward.reports_to = org.ceo
    org.awkward.save()
    headers = bearer(personas.outsider)

    old = client.get(map_url(org, "as_of=2024-03-01"), **headers).json()
    assert old["as_of"].startswith("2024-03-01T23:59:59")
    assert newcomer.pk not in {person["id"] for person in old["people"]}
    managers = {person["id"]: person["manager_id"] for person in old["people"]}
    assert managers[org.awkward.pk] == org.cio.pk

    now = client.get(map_url(org), **headers).json()
    managers = {person["id"]: person["manager_id"] for person in now["people"]}
    assert managers[org.awkward.pk] == org.ceo.pk and newcomer.pk in managers

    old_csv = client.get(map_url(org, "as_of=2024-03-01&format=csv"), **headers)
    assert "northwind-traders-map-2024-03-01.csv" in old_csv["Content-Disposition"]
    rows = csv.DictReader(io.StringIO(old_csv.content.decode("utf-8-sig")))
    assert str(newcomer.pk) not in {row["Id"] for row in rows}


def test_the_number_of_queries_does_not_grow_with_the_map(
    client: Client, personas: Personas, org: Org
) -> None:
    headers = bearer(personas.owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(map_url(org), **headers).status_code == 200
        return len(captured.captured_queries)

    queries()  # the token's first use writes its "last used" time; later ones that minute do not
    small = queries()
    for _index in range(10):
        StakeholderFactory(account=org.account, reports_to=org.cfo)
    assert queries() == small


def test_the_schema_documents_the_map_and_its_file_formats(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/accounts/{account_id}/map"]["get"]
    content = operation["responses"]["200"]["content"]
    assert "application/json" in content
    for map_format, (content_type, _extension) in CONTENT_TYPES.items():
        assert content_type.split(";")[0] in content, map_format
    parameters = {parameter["name"] for parameter in operation["parameters"]}
    assert {"account_id", "format", "as_of", "department", "collapsed"} <= parameters
