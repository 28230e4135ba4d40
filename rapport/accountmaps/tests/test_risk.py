"""Each relationship-risk rule fires when it should and only then; coverage examples by hand."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings

from rapport.accountmaps.choices import RiskFlag
from rapport.accountmaps.risk import (
    OwnerRef,
    Person,
    assess,
    assess_account,
    champion_left,
    coverage_score,
    decision_maker_left,
    disengaged_decision_maker,
    hostile_blocker,
    no_champion,
    role_coverage,
    single_threaded,
    unowned_decision_maker,
)
from rapport.core.tests.factories import AccountFactory, StakeholderFactory, UserFactory
from rapport.stakeholders.models import RelationshipOwner


def person(
    number: int,
    *roles: str,
    owners: tuple[int, ...] = (),
    stance: str = "",
    influence: str = "",
    active: bool = True,
    last_contact_at: datetime.datetime | None = None,
) -> Person:
    return Person(
        id=number,
        name=f"Person {number}",
        roles=frozenset(roles),
        stance=stance,
        influence=influence,
        is_active=active,
        owners=tuple(OwnerRef(user, f"User {user}") for user in owners),
        last_contact_at=last_contact_at,
    )


NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


def days_ago(days: int) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


# single_threaded


def test_single_threaded_fires_when_nobody_or_one_person_is_on_the_map() -> None:
    assert single_threaded([]) is not None
    finding = single_threaded([person(1, owners=(10,)), person(2, active=False, owners=(11,))])
    assert finding is not None
    assert finding.flag == RiskFlag.SINGLE_THREADED
    assert [p.id for p in finding.people] == [1]
    assert "one person at the client" in str(finding.message)


def test_single_threaded_fires_when_only_one_client_person_has_an_owner() -> None:
    finding = single_threaded([person(1, owners=(10, 11)), person(2), person(3)])
    assert finding is not None
    assert [p.id for p in finding.people] == [1]
    assert {owner.id for owner in finding.owners} == {10, 11}


def test_single_threaded_fires_when_one_of_our_people_owns_every_relationship() -> None:
    finding = single_threaded([person(1, owners=(10,)), person(2, owners=(10,)), person(3)])
    assert finding is not None
    assert [owner.id for owner in finding.owners] == [10]
    assert "on our side" in str(finding.message)


def test_single_threaded_does_not_fire_with_two_threads_on_each_side() -> None:
    assert single_threaded([person(1, owners=(10,)), person(2, owners=(11,))]) is None
    # Several people and no owned relationship at all: unowned, not single-threaded.
    assert single_threaded([person(1), person(2)]) is None
    # Someone who left no longer counts as a thread, but two active people with owners still do.
    assert (
        single_threaded([person(1, owners=(10,)), person(2, owners=(11,)), person(3, active=False)])
        is None
    )


# no_champion


def test_no_champion_fires_without_an_active_champion() -> None:
    assert no_champion([person(1, "decision_maker")]) is not None
    finding = no_champion([person(1, "champion", active=False)])
    assert finding is not None and finding.flag == RiskFlag.NO_CHAMPION


def test_no_champion_does_not_fire_with_an_active_champion() -> None:
    assert no_champion([person(1, "champion"), person(2, "champion", active=False)]) is None


# champion_left and decision_maker_left


def test_champion_left_fires_for_a_champion_who_left() -> None:
    finding = champion_left([person(1, "champion", active=False), person(2, "champion")])
    assert finding is not None
    assert finding.flag == RiskFlag.CHAMPION_LEFT
    assert [p.id for p in finding.people] == [1]


def test_champion_left_does_not_fire_while_champions_stay() -> None:
    assert champion_left([person(1, "champion"), person(2, "user", active=False)]) is None


def test_decision_maker_left_fires_for_a_decision_maker_or_economic_buyer_who_left() -> None:
    finding = decision_maker_left(
        [
            person(1, "decision_maker", active=False),
            person(2, "economic_buyer", active=False),
            person(3, "champion", active=False),
        ]
    )
    assert finding is not None
    assert finding.flag == RiskFlag.DECISION_MAKER_LEFT
    assert [p.id for p in finding.people] == [1, 2]


def test_decision_maker_left_does_not_fire_while_they_stay() -> None:
    assert decision_maker_left([person(1, "decision_maker"), person(2, "economic_buyer")]) is None


# hostile_blocker


def test_hostile_blocker_fires_for_an_influential_blocker_or_opponent() -> None:
    finding = hostile_blocker(
        [
            person(1, "blocker", influence="high"),
            person(2, stance="opponent", influence="high"),
            person(3, "blocker", influence="medium"),
        ]
    )
    assert finding is not None
    assert finding.flag == RiskFlag.HOSTILE_BLOCKER
    assert [p.id for p in finding.people] == [1, 2]


def test_hostile_blocker_does_not_fire_for_the_less_influential_the_friendly_or_the_gone() -> None:
    assert (
        hostile_blocker(
            [
                person(1, "blocker", influence="medium"),
                person(2, stance="opponent", influence="low"),
                person(3, stance="skeptic", influence="high"),
                person(4, "blocker", stance="opponent", influence="high", active=False),
            ]
        )
        is None
    )


# unowned_decision_maker


def test_unowned_decision_maker_fires_for_a_decider_nobody_owns() -> None:
    finding = unowned_decision_maker(
        [person(1, "economic_buyer"), person(2, "decision_maker", owners=(10,))]
    )
    assert finding is not None
    assert finding.flag == RiskFlag.UNOWNED_DECISION_MAKER
    assert [p.id for p in finding.people] == [1]


def test_unowned_decision_maker_does_not_fire_for_owned_or_departed_deciders() -> None:
    assert (
        unowned_decision_maker(
            [
                person(1, "decision_maker", owners=(10,)),
                person(2, "economic_buyer", active=False),
                person(3, "champion"),
            ]
        )
        is None
    )


# coverage


def test_coverage_counts_key_roles_held_by_an_active_owned_person() -> None:
    people = [
        person(1, "economic_buyer", owners=(10,)),  # economic buyer: 25
        person(2, "decision_maker"),  # held, but nobody on our side: 0
        person(3, "champion", owners=(10,), active=False),  # owned, but gone: 0
        person(4, "technical_evaluator", "influencer", owners=(11,)),  # technical evaluator: 25
        person(5, "influencer", owners=(11,)),  # not a key role
    ]
    assert coverage_score(role_coverage(people)) == 50


def test_coverage_is_full_when_one_owned_person_holds_every_key_role() -> None:
    everything = person(
        1, "economic_buyer", "decision_maker", "champion", "technical_evaluator", owners=(10,)
    )
    assert coverage_score(role_coverage([everything])) == 100


def test_coverage_counts_a_role_once_however_many_hold_it() -> None:
    people = [person(1, "champion", owners=(10,)), person(2, "champion", owners=(11,))]
    assert coverage_score(role_coverage(people)) == 25
    assert coverage_score(role_coverage([])) == 0


def test_assess_runs_every_rule_in_order() -> None:
    people = [
        person(1, "decision_maker", active=False),
        person(2, "champion", active=False),
        person(3, "economic_buyer", stance="opponent", influence="high"),
    ]
    assessment = assess(7, people)
    assert assessment.account_id == 7
    assert assessment.coverage == 0
    assert assessment.flags == [
        "single_threaded",
        "no_champion",
        "champion_left",
        "decision_maker_left",
        "hostile_blocker",
        "unowned_decision_maker",
        "disengaged_decision_maker",
    ]


# disengaged_decision_maker


@pytest.mark.parametrize("role", ["decision_maker", "economic_buyer"])
def test_disengaged_fires_for_a_decider_never_met_or_not_for_too_long(
    role: str, settings: Settings
) -> None:
    settings.RAPPORT_DISENGAGED_DAYS = 90
    people = [
        person(1, role, last_contact_at=days_ago(91)),
        person(2, role),
        person(3, role, last_contact_at=days_ago(10)),
        person(4, "champion", last_contact_at=days_ago(400)),
    ]

    finding = disengaged_decision_maker(people, now=NOW)

    assert finding is not None
    assert finding.flag == RiskFlag.DISENGAGED_DECISION_MAKER
    assert [p.name for p in finding.people] == ["Person 1", "Person 2"]
    assert "90 days" in str(finding.message)


def test_disengaged_stays_quiet_when_every_decider_was_met_recently(
    settings: Settings,
) -> None:
    settings.RAPPORT_DISENGAGED_DAYS = 90
    people = [
        person(1, "decision_maker", last_contact_at=days_ago(89)),
        person(2, "economic_buyer", "champion", last_contact_at=days_ago(0)),
        person(3, "user"),  # nobody talks to them, and no rule cares
    ]
    assert disengaged_decision_maker(people, now=NOW) is None
    assert disengaged_decision_maker([], now=NOW) is None


def test_disengaged_follows_the_setting(settings: Settings) -> None:
    people = [person(1, "decision_maker", last_contact_at=days_ago(40))]
    settings.RAPPORT_DISENGAGED_DAYS = 30
    finding = disengaged_decision_maker(people, now=NOW)
    assert finding is not None
    assert "30 days" in str(finding.message)
    settings.RAPPORT_DISENGAGED_DAYS = 45
    assert disengaged_decision_maker(people, now=NOW) is None


def test_disengaged_ignores_people_who_left(settings: Settings) -> None:
    settings.RAPPORT_DISENGAGED_DAYS = 90
    people = [
        person(1, "decision_maker", active=False),
        person(2, "economic_buyer", active=False, last_contact_at=days_ago(300)),
    ]
    assert disengaged_decision_maker(people, now=NOW) is None


# From the database


@pytest.mark.django_db
def test_assess_account_reads_the_map_in_one_query_and_names_everyone() -> None:
    account = AccountFactory()
    ours = UserFactory(first_name="Olive", last_name="Owner")
    other = UserFactory(first_name="Omar", last_name="Other")
    champion = StakeholderFactory(
        account=account, first_name="Chloe", last_name="Champ", decision_roles=["champion"]
    )
    buyer = StakeholderFactory(
        account=account, first_name="Bob", last_name="Buyer", decision_roles=["economic_buyer"]
    )
    RelationshipOwner.objects.create(stakeholder=champion, user=ours)
    RelationshipOwner.objects.create(stakeholder=champion, user=other)
    # Neither the trash nor a placeholder is a person at the client.
    StakeholderFactory(account=account, decision_roles=["champion"], deleted_at=timezone.now())
    StakeholderFactory(account=account, decision_roles=["decision_maker"], is_placeholder=True)
    StakeholderFactory(decision_roles=["decision_maker"])  # another account

    with CaptureQueriesContext(connection) as captured:
        assessment = assess_account(account)

    assert len(captured.captured_queries) == 1
    assert assessment.coverage == 25
    assert assessment.flags == [
        "single_threaded",
        "unowned_decision_maker",
        "disengaged_decision_maker",
    ]
    threaded = assessment.findings[0]
    assert [p.name for p in threaded.people] == ["Chloe Champ"]
    assert [str(owner) for owner in threaded.owners] == ["Olive Owner", "Omar Other"]
    assert [p.name for p in assessment.findings[1].people] == ["Bob Buyer"]
    # The last contact comes with the same query: never met, so named.
    assert [p.name for p in assessment.findings[2].people] == ["Bob Buyer"]
    assert assessment.findings[1].people[0].url == buyer.get_absolute_url()


@pytest.mark.django_db
def test_assess_account_reads_the_stored_last_contact() -> None:
    account = AccountFactory()
    recent = StakeholderFactory(
        account=account,
        first_name="Rita",
        last_name="Recent",
        decision_roles=["decision_maker"],
        last_contact_at=timezone.now() - datetime.timedelta(days=3),
    )
    StakeholderFactory(
        account=account,
        first_name="Olga",
        last_name="Old",
        decision_roles=["economic_buyer"],
        last_contact_at=timezone.now() - datetime.timedelta(days=200),
    )

    assessment = assess_account(account)

    quiet = [f for f in assessment.findings if f.flag == RiskFlag.DISENGAGED_DECISION_MAKER]
    assert [p.name for p in quiet[0].people] == ["Olga Old"]
    assert recent.last_contact_at is not None
