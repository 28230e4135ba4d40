"""Job history and moves: a friend who moves is an opening at their new company."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from rapport.accounts.models import Account
from rapport.core.exceptions import NotAllowedError
from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import JobPosition, Stakeholder
from rapport.stakeholders.services import (
    job_position_add,
    job_position_remove,
    stakeholder_record_move,
    stakeholder_update,
)
from rapport.stakeholders.tests.test_api import bearer, body, error_fields, send

REFUSED = ("outsider", "read_only")
MOVE_DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def fabrikam(personas: Personas) -> Account:
    return AccountFactory(name="Fabrikam", owner=personas.outsider)


def make_champion(personas: Personas) -> Stakeholder:
    return stakeholder_update(
        stakeholder=personas.stakeholder,
        acting_user=personas.owner,
        data={"decision_roles": ["champion"], "title": "Head of Data"},
        expected_version=None,
    )


# Job history


def test_positions_are_added_listed_latest_first_and_removed(
    client: Client, personas: Personas, fabrikam: Account
) -> None:
    old = job_position_add(
        stakeholder=personas.stakeholder,
        company="Initech",
        title="Analyst",
        start_date=datetime.date(2015, 1, 1),
        end_date=datetime.date(2019, 12, 31),
        acting_user=personas.owner,
    )
    current = job_position_add(
        stakeholder=personas.stakeholder,
        account=personas.account,
        title="Director",
        start_date=datetime.date(2020, 1, 1),
        acting_user=personas.teammate,
    )
    assert current.company == "Northwind Traders"
    assert current.history.get().history_user == personas.teammate
    client.force_login(personas.read_only)
    page = client.get(f"/stakeholders/{personas.stakeholder.pk}/").content.decode()
    assert page.index("Northwind Traders", page.index("Job history")) < page.index("Initech")

    job_position_remove(position=old, acting_user=personas.owner)
    assert list(JobPosition.objects.all()) == [current]


def test_a_position_ending_before_it_starts_or_without_company_is_refused(
    personas: Personas,
) -> None:
    with pytest.raises(ValidationError) as error:
        job_position_add(
            stakeholder=personas.stakeholder,
            company="Initech",
            start_date=datetime.date(2020, 1, 1),
            end_date=datetime.date(2019, 1, 1),
            acting_user=personas.owner,
        )
    assert "The end date cannot be before the start date." in error.value.messages
    with pytest.raises(ValidationError) as error:
        job_position_add(stakeholder=personas.stakeholder, acting_user=personas.owner)
    assert "company" in error.value.message_dict
    assert not JobPosition.objects.exists()


def test_the_position_form_adds_in_place(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    url = f"/stakeholders/{personas.stakeholder.pk}/positions/"
    hx = {"HX-Request": "true"}
    empty = client.post(url, {"company": "", "account": ""}, headers=hx)
    assert "Name the company, or pick one of our accounts." in empty.content.decode()
    added = client.post(url, {"account": "Northwind Traders", "title": "CTO"}, headers=hx)
    assert "Position added." in added.content.decode() and "<html" not in added.content.decode()
    position = JobPosition.objects.get()
    assert (position.company, position.account, position.title) == (
        "Northwind Traders",
        personas.account,
        "CTO",
    )
    assert client.post(f"{url}{position.pk}/remove/").status_code == 302
    assert not JobPosition.objects.exists()


# Moves


def test_a_champion_moving_to_an_account_is_an_opening_and_joins_its_people(
    personas: Personas, fabrikam: Account
) -> None:
    make_champion(personas)

    move = stakeholder_record_move(
        stakeholder=personas.stakeholder,
        company="",
        account=fabrikam,
        title="Chief Data Officer",
        date=MOVE_DAY,
        acting_user=personas.owner,
    )

    ada = Stakeholder.objects.get(pk=personas.stakeholder.pk)
    assert (ada.status, ada.left_on) == (StakeholderStatus.LEFT, MOVE_DAY)
    assert ada.history.first().history_user == personas.owner
    ended, new = move.ended_positions[0], move.new_position
    assert (ended.company, ended.account, ended.title, ended.end_date) == (
        "Northwind Traders",
        personas.account,
        "Head of Data",
        MOVE_DAY,
    )
    assert (new.company, new.account, new.title, new.start_date, new.is_opportunity) == (
        "Fabrikam",
        fabrikam,
        "Chief Data Officer",
        MOVE_DAY,
        True,
    )
    assert move.friend_as == "Champion"
    arrival = Stakeholder.objects.get(account=fabrikam)
    assert move.arrival == arrival and move.arrival_created
    assert (arrival.full_name, arrival.title, arrival.email, arrival.status) == (
        "Ada Lovelace",
        "Chief Data Officer",
        "",
        StakeholderStatus.ACTIVE,
    )
    assert "Northwind Traders" in arrival.notes
    assert f"/stakeholders/{ada.pk}/" in arrival.notes
    assert arrival.history.get().history_user == personas.owner


def test_a_neutral_person_moving_elsewhere_is_no_opening(personas: Personas) -> None:
    current = job_position_add(
        stakeholder=personas.stakeholder,
        company="Northwind Traders",
        start_date=datetime.date(2021, 1, 1),
        acting_user=personas.owner,
    )
    move = stakeholder_record_move(
        stakeholder=personas.stakeholder,
        company="Initech",
        account=None,
        title="CIO",
        date=MOVE_DAY,
        acting_user=personas.teammate,
    )
    current.refresh_from_db()
    assert current.end_date == MOVE_DAY
    assert move.ended_positions == [current]
    assert (move.new_position.is_opportunity, move.arrival, move.friend_as) == (False, None, None)
    assert Stakeholder.objects.count() == 1


def test_a_supporter_counts_as_a_friend(personas: Personas) -> None:
    stakeholder_update(
        stakeholder=personas.stakeholder,
        acting_user=personas.owner,
        data={"stance": "supporter"},
        expected_version=None,
    )
    move = stakeholder_record_move(
        stakeholder=personas.stakeholder,
        company="Initech",
        date=MOVE_DAY,
        acting_user=personas.owner,
    )
    assert move.new_position.is_opportunity and move.friend_as == "Supporter"


def test_someone_already_at_the_new_account_is_not_added_twice(
    personas: Personas, fabrikam: Account
) -> None:
    there = StakeholderFactory(account=fabrikam, first_name="Ada", last_name="Lovelace")
    move = stakeholder_record_move(
        stakeholder=personas.stakeholder,
        account=fabrikam,
        date=MOVE_DAY,
        acting_user=personas.owner,
    )
    assert (move.arrival, move.arrival_created) == (there, False)
    assert Stakeholder.objects.filter(account=fabrikam).count() == 1


@pytest.mark.parametrize(
    ("company", "to_own_account", "field"),
    [("", False, "company"), ("", True, "account")],
)
def test_a_move_nowhere_or_to_the_same_account_is_refused(
    personas: Personas, company: str, to_own_account: bool, field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        stakeholder_record_move(
            stakeholder=personas.stakeholder,
            company=company,
            account=personas.account if to_own_account else None,
            date=MOVE_DAY,
            acting_user=personas.owner,
        )
    assert field in error.value.message_dict
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.status == StakeholderStatus.ACTIVE
    assert not JobPosition.objects.exists()


@pytest.mark.parametrize("persona", REFUSED)
def test_outsiders_and_read_only_users_record_no_move(
    personas: Personas, fabrikam: Account, persona: str
) -> None:
    acting = getattr(personas, persona)
    with pytest.raises(NotAllowedError):
        stakeholder_record_move(
            stakeholder=personas.stakeholder, account=fabrikam, date=MOVE_DAY, acting_user=acting
        )
    with pytest.raises(NotAllowedError):
        job_position_add(stakeholder=personas.stakeholder, company="Initech", acting_user=acting)
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.status == StakeholderStatus.ACTIVE
    assert not JobPosition.objects.exists()
    assert Stakeholder.objects.count() == 1


# Pages


def test_the_move_page_records_the_move_and_says_it_is_an_opening(
    client: Client, personas: Personas, fabrikam: Account
) -> None:
    make_champion(personas)
    client.force_login(personas.owner)
    url = f"/stakeholders/{personas.stakeholder.pk}/move/"
    assert "Record the move" in client.get(url).content.decode()

    response = client.post(
        url, {"account": "Fabrikam", "title": "CDO", "date": "2026-03-02"}, follow=True
    )

    content = response.content.decode()
    assert "Ada Lovelace moved to Fabrikam and is marked as having left." in content
    assert "A friend of ours (Champion) moved to Fabrikam: an opening there." in content
    assert "Ada Lovelace was added to the people of Fabrikam." in content
    assert JobPosition.objects.filter(is_opportunity=True, account=fabrikam).exists()


def test_the_move_page_refuses_a_move_nowhere(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    response = client.post(f"/stakeholders/{personas.stakeholder.pk}/move/", {"date": "2026-03-02"})
    assert "Name the company, or pick one of our accounts." in response.content.decode()
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.status == StakeholderStatus.ACTIVE


@pytest.mark.parametrize("persona", REFUSED)
def test_refused_users_get_403_from_the_move_pages(
    client: Client, personas: Personas, persona: str
) -> None:
    client.force_login(getattr(personas, persona))
    base = f"/stakeholders/{personas.stakeholder.pk}/"
    assert client.get(f"{base}move/").status_code == 403
    assert client.post(f"{base}move/", {"company": "X", "date": "2026-03-02"}).status_code == 403
    assert client.post(f"{base}positions/", {"company": "X"}).status_code == 403
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.status == StakeholderStatus.ACTIVE
    assert not JobPosition.objects.exists()


def test_the_moves_page_lists_openings_newest_first(
    client: Client, personas: Personas, fabrikam: Account
) -> None:
    make_champion(personas)
    earlier = StakeholderFactory(
        account=personas.account, first_name="Grace", last_name="Hopper", stance="advocate"
    )
    neutral = StakeholderFactory(account=personas.account, first_name="Neil", last_name="Neutral")
    stakeholder_record_move(
        stakeholder=earlier,
        company="Initech",
        date=datetime.date(2025, 5, 1),
        acting_user=personas.owner,
    )
    stakeholder_record_move(
        stakeholder=personas.stakeholder,
        account=fabrikam,
        date=MOVE_DAY,
        acting_user=personas.owner,
    )
    stakeholder_record_move(
        stakeholder=neutral, company="Globex", date=MOVE_DAY, acting_user=personas.owner
    )
    client.force_login(personas.read_only)
    assert "/stakeholders/moves/" in client.get("/stakeholders/").content.decode()

    content = client.get("/stakeholders/moves/").content.decode()

    assert content.index("Ada Lovelace") < content.index("Grace Hopper")
    assert "Initech" in content and f"?account={fabrikam.pk}" in content
    assert "Neil Neutral" not in content and "Globex" not in content


# API


def test_the_api_adds_lists_and_removes_positions(client: Client, personas: Personas) -> None:
    headers = bearer(personas.owner)
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}/positions"

    created = send(
        client, "post", url, {"account_id": personas.account.pk, "title": "CTO"}, headers
    )
    assert created.status_code == 201, created.content
    assert (body(created)["company"], body(created)["is_opportunity"]) == (
        "Northwind Traders",
        False,
    )
    nowhere = send(client, "post", url, {"title": "CTO"}, headers)
    assert "company" in error_fields(nowhere)
    listed = client.get(url, **bearer(personas.read_only))
    assert [row["id"] for row in body(listed)] == [body(created)["id"]]
    assert client.delete(f"{url}/{body(created)['id']}", **headers).status_code == 204
    assert not JobPosition.objects.exists()


def test_the_api_records_a_move(client: Client, personas: Personas, fabrikam: Account) -> None:
    make_champion(personas)
    response = send(
        client,
        "post",
        f"/api/v1/stakeholders/{personas.stakeholder.pk}/move",
        {"account_id": fabrikam.pk, "title": "CDO", "date": "2026-03-02"},
        bearer(personas.teammate),
    )
    assert response.status_code == 200, response.content
    data = body(response)
    assert data["stakeholder"]["status"] == "left"
    assert data["stakeholder"]["left_on"] == "2026-03-02"
    assert data["is_opportunity"] is True and data["new_stakeholder_created"] is True
    assert data["new_position"]["company"] == "Fabrikam"
    assert [p["end_date"] for p in data["ended_positions"]] == ["2026-03-02"]
    arrival = Stakeholder.objects.get(pk=data["new_stakeholder_id"])
    assert arrival.account == fabrikam


def test_the_api_refuses_bad_moves(client: Client, personas: Personas) -> None:
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}/move"
    own = send(client, "post", url, {"account_id": personas.account.pk}, bearer(personas.owner))
    assert "account_id" in error_fields(own)
    for persona in REFUSED:
        refused = send(
            client, "post", url, {"company": "Initech"}, bearer(getattr(personas, persona))
        )
        assert refused.status_code == 403
        positions = f"/api/v1/stakeholders/{personas.stakeholder.pk}/positions"
        added = send(
            client, "post", positions, {"company": "Initech"}, bearer(getattr(personas, persona))
        )
        assert added.status_code == 403
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.status == StakeholderStatus.ACTIVE
    assert not JobPosition.objects.exists()
