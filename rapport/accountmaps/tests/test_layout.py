"""Layout invariants: nobody overlaps, every reporting line is drawn, groups sit side by side."""

from __future__ import annotations

import itertools

import pytest

from rapport.accountmaps.layout import MapFilters, build_account_map
from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.stakeholders.models import Stakeholder


def overlaps(a, b) -> bool:  # type: ignore[no-untyped-def]
    return (
        a.x < b.x + b.width
        and b.x < a.x + a.width
        and a.y < b.y + b.height
        and b.y < a.y + a.height
    )


@pytest.fixture
def org(db: None) -> dict[str, Stakeholder]:
    account = AccountFactory()
    ceo = StakeholderFactory(account=account, first_name="Ceo", decision_roles=["decision_maker"])
    cfo = StakeholderFactory(
        account=account, first_name="Cfo", reports_to=ceo, decision_roles=["economic_buyer"]
    )
    cio = StakeholderFactory(account=account, first_name="Cio", reports_to=ceo, department="IT")
    people = {"ceo": ceo, "cfo": cfo, "cio": cio}
    for index in range(6):
        people[f"it{index}"] = StakeholderFactory(account=account, reports_to=cio, department="IT")
    people["loner"] = StakeholderFactory(account=account, first_name="Loner")
    people["loner_report"] = StakeholderFactory(account=account, reports_to=people["loner"])
    return people


def test_no_two_people_overlap_and_every_reporting_line_is_drawn(
    org: dict[str, Stakeholder],
) -> None:
    account_map = build_account_map(account=org["ceo"].account)
    assert len(account_map.people) == len(org)
    for a, b in itertools.combinations(account_map.people, 2):
        assert not overlaps(a, b), (a.name, b.name)
    drawn = {(line.source, line.target) for line in account_map.reporting_lines}
    expected = {(p.reports_to_id, p.pk) for p in org.values() if p.reports_to_id}
    assert drawn == expected
    for person in account_map.people:
        assert person.x >= 0 and person.x + person.width <= account_map.width
        assert person.y >= 0 and person.y + person.height <= account_map.height


def test_managers_sit_above_their_reports(org: dict[str, Stakeholder]) -> None:
    account_map = build_account_map(account=org["ceo"].account)
    for line in account_map.reporting_lines:
        assert account_map.person(line.source).y < account_map.person(line.target).y


def test_disconnected_groups_sit_side_by_side(org: dict[str, Stakeholder]) -> None:
    account_map = build_account_map(account=org["ceo"].account)
    ceo, loner = account_map.person(org["ceo"].pk), account_map.person(org["loner"].pk)
    assert ceo.y == loner.y
    group = [account_map.person(p.pk) for key, p in org.items() if not key.startswith("loner")]
    loners = [account_map.person(org[key].pk) for key in ("loner", "loner_report")]
    assert max(p.x for p in group) < min(p.x for p in loners) or max(p.x for p in loners) < min(
        p.x for p in group
    )


def test_filters_keep_lines_to_the_nearest_kept_manager(org: dict[str, Stakeholder]) -> None:
    account_map = build_account_map(
        account=org["ceo"].account, filters=MapFilters(only_decision_roles=True)
    )
    assert {p.id for p in account_map.people} == {org["ceo"].pk, org["cfo"].pk}
    assert {(line.source, line.target) for line in account_map.lines} == {
        (org["ceo"].pk, org["cfo"].pk)
    }
    it_only = build_account_map(account=org["ceo"].account, filters=MapFilters(department="it"))
    assert len(it_only.people) == 7
    assert all(line.source == org["cio"].pk for line in it_only.reporting_lines)


def test_a_collapsed_branch_hides_its_people_and_counts_them(org: dict[str, Stakeholder]) -> None:
    account_map = build_account_map(
        account=org["ceo"].account, filters=MapFilters(collapsed=frozenset({org["cio"].pk}))
    )
    assert len(account_map.people) == len(org) - 6
    assert account_map.person(org["cio"].pk).hidden_reports == 6


@pytest.mark.django_db
def test_an_empty_account_has_an_empty_map() -> None:
    account_map = build_account_map(account=AccountFactory())
    assert account_map.people == [] and account_map.width == 0


def test_a_large_team_of_individual_contributors_is_stacked_in_a_column(
    org: dict[str, Stakeholder],
) -> None:
    account_map = build_account_map(account=org["ceo"].account)
    team = [account_map.person(org[f"it{index}"].pk) for index in range(6)]
    cio = account_map.person(org["cio"].pk)
    assert all(card.stacked for card in team)
    assert len({card.x for card in team}) == 1
    assert team[0].x > cio.x and team[0].x + team[0].width <= cio.x + 230
    ys = sorted(card.y for card in team)
    assert ys[0] > cio.y + cio.height
    assert len({round(b - a, 3) for a, b in itertools.pairwise(ys)}) == 1
    assert not account_map.person(org["cfo"].pk).stacked


@pytest.mark.django_db
def test_a_stacked_column_never_collides_with_a_deep_neighbouring_branch() -> None:
    account = AccountFactory()
    top = StakeholderFactory(account=account)
    lead = StakeholderFactory(account=account, reports_to=top)
    for _index in range(12):
        StakeholderFactory(account=account, reports_to=lead)
    neighbour = StakeholderFactory(account=account, reports_to=top)
    level = neighbour
    for _depth in range(6):
        wide = [StakeholderFactory(account=account, reports_to=level) for _ in range(2)]
        level = wide[0]
    account_map = build_account_map(account=account)
    for a, b in itertools.combinations(account_map.people, 2):
        assert not overlaps(a, b), (a.name, b.name)
