"""The person's page, the moves and changes pages and the tie lists of the API run a fixed
number of queries, whatever the number of owners, relationships, positions, moves or changes."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rapport.core.tests.factories import AccountFactory, StakeholderFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.services import (
    job_position_add,
    relationship_owner_add,
    stakeholder_record_move,
    stakeholder_relationship_add,
    stakeholder_update,
)
from rapport.stakeholders.tests.test_api import bearer


def grow(personas: Personas, count: int) -> None:
    """Add ``count`` of each kind of tie around Ada, and as many friends who moved away."""
    ada = personas.stakeholder
    for _index in range(count):
        colleague = StakeholderFactory(account=personas.account, stance="supporter")
        relationship_owner_add(
            stakeholder=ada, user=UserFactory(), strength=50, acting_user=personas.owner
        )
        stakeholder_relationship_add(
            source=ada, target=colleague, kind="influences", acting_user=personas.owner
        )
        job_position_add(stakeholder=ada, company="Initech", acting_user=personas.owner)
        stakeholder_update(
            stakeholder=colleague,
            acting_user=personas.owner,
            data={"stance": "advocate", "decision_roles": ["champion"]},
            expected_version=None,
        )
        stakeholder_record_move(
            stakeholder=colleague,
            account=AccountFactory(),
            date=datetime.date(2026, 1, 1),
            acting_user=personas.owner,
        )


PAGES: dict[str, Callable[[Personas], str]] = {
    "person page": lambda p: f"/stakeholders/{p.stakeholder.pk}/",
    "moves page": lambda p: "/stakeholders/moves/",
    "changes page": lambda p: f"/stakeholders/changes/{p.account.pk}/",
    "people of an account": lambda p: f"/stakeholders/?account={p.account.pk}",
}
API_LISTS: dict[str, Callable[[Personas], str]] = {
    "owners": lambda p: f"/api/v1/stakeholders/{p.stakeholder.pk}/owners",
    "relationships": lambda p: f"/api/v1/stakeholders/{p.stakeholder.pk}/relationships",
    "positions": lambda p: f"/api/v1/stakeholders/{p.stakeholder.pk}/positions",
    "changes": lambda p: f"/api/v1/accounts/{p.account.pk}/changes",
}


def count_queries(client: Client, url: str, **headers: str) -> int:
    client.get(url, **headers)  # warm up: the first request does one-off bookkeeping
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_a_fixed_number_of_queries(client: Client, personas: Personas, page: str) -> None:
    client.force_login(personas.owner)
    url = PAGES[page](personas)
    grow(personas, 1)
    few = count_queries(client, url)
    grow(personas, 4)
    many = count_queries(client, url)
    assert few == many, f"{page}: {few} queries with few ties, {many} with more"
    assert many <= 14, f"{page}: {many} queries"


@pytest.mark.parametrize("listing", API_LISTS)
def test_api_list_runs_a_fixed_number_of_queries(
    client: Client, personas: Personas, listing: str
) -> None:
    headers = bearer(personas.owner)
    url = API_LISTS[listing](personas)
    grow(personas, 1)
    few = count_queries(client, url, **headers)
    grow(personas, 4)
    assert count_queries(client, url, **headers) == few <= 8
