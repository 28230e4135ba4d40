"""Finding people by the start of a last name, a full name or an e-mail address."""

from __future__ import annotations

import pytest
from django.test import Client

from rapport.core.tests.factories import AccountFactory, StakeholderFactory, UserFactory
from rapport.stakeholders import filters
from rapport.stakeholders.filters import StakeholderFilter
from rapport.stakeholders.selectors import stakeholder_list, stakeholder_search
from rapport.stakeholders.services import stakeholder_delete


@pytest.fixture
def people(db: None) -> dict[str, object]:
    north, south = AccountFactory(name="North"), AccountFactory(name="South")
    return {
        "north": north,
        "south": south,
        "martin": StakeholderFactory(
            account=north, first_name="Léa", last_name="Martin", email="lea@north.example"
        ),
        "marty": StakeholderFactory(
            account=south, first_name="Marty", last_name="Byrd", email="mb@south.example"
        ),
        "mark": StakeholderFactory(
            account=north, first_name="Zoé", last_name="Dupont", email="martha@north.example"
        ),
        "other": StakeholderFactory(
            account=south, first_name="Tom", last_name="Smith", email="tom@south.example"
        ),
    }


def names(rows: object) -> list[str]:
    return [person.full_name for person in rows]  # type: ignore[attr-defined]


def test_list_search_matches_last_name_full_name_and_email_in_name_order(
    people: dict[str, object],
) -> None:
    user = UserFactory()
    found = stakeholder_list(user=user, filters=StakeholderFilter(q="MAR"))
    assert names(found) == ["Marty Byrd", "Zoé Dupont", "Léa Martin"]
    assert len(found) == 3


def test_list_search_respects_the_other_filters(people: dict[str, object]) -> None:
    user = UserFactory()
    north = people["north"]
    found = stakeholder_list(user=user, filters=StakeholderFilter(q="mar", account=north.pk))  # type: ignore[attr-defined]
    assert names(found) == ["Zoé Dupont", "Léa Martin"]


def test_list_search_leaves_out_people_in_the_trash(people: dict[str, object]) -> None:
    admin = UserFactory(role="administrator", is_superuser=True)
    stakeholder_delete(stakeholder=people["martin"], acting_user=admin)  # type: ignore[arg-type]
    assert names(stakeholder_list(user=admin, filters=StakeholderFilter(q="mar"))) == [
        "Marty Byrd",
        "Zoé Dupont",
    ]
    assert stakeholder_search(user=admin, text="martin") == []


def test_quick_search_ranks_by_last_name(people: dict[str, object]) -> None:
    user = UserFactory()
    assert names(stakeholder_search(user=user, text="mar")) == [
        "Marty Byrd",
        "Zoé Dupont",
        "Léa Martin",
    ]
    assert names(stakeholder_search(user=user, text="mar", limit=2)) == ["Marty Byrd", "Zoé Dupont"]


def test_a_very_common_prefix_is_capped_and_the_page_says_so(
    client: Client, people: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filters, "SEARCH_MATCH_LIMIT", 2)
    client.force_login(UserFactory())
    # Two e-mail addresses start with "m": that range reaches the limit.
    response = client.get("/stakeholders/?q=m")
    assert response.status_code == 200
    assert "Type more of the name" in response.content.decode()
    assert "Type more of the name" not in client.get("/stakeholders/?q=tom").content.decode()


def test_search_pages_read_only_their_own_rows(
    client: Client, people: dict[str, object], settings
) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_PAGE_SIZE = 2
    client.force_login(UserFactory())
    first = client.get("/stakeholders/?q=mar")
    second = client.get("/stakeholders/?q=mar&page=2")
    assert names(first.context["page"].object_list) == ["Marty Byrd", "Zoé Dupont"]
    assert names(second.context["page"].object_list) == ["Léa Martin"]
    assert first.context["page"].paginator.count == 3
