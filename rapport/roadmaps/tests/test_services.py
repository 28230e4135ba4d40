"""Playbook checks, date arithmetic and starting a roadmap, on the real database."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from rapport.accounts.choices import TeamRole
from rapport.communications.choices import TaskStatus
from rapport.core.exceptions import NotAllowedError
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.roadmaps import services
from rapport.roadmaps.choices import (
    Anchor,
    CommitmentStatus,
    ItemKind,
    ItemStatus,
    OwnerSide,
    PlaybookKind,
    RoadmapStatus,
)
from rapport.roadmaps.models import Playbook, PlaybookItem, PlaybookPhase, RoadmapItem

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 2)


def playbook_with(*items: dict, reference: str = "") -> Playbook:
    playbook = Playbook.objects.create(
        name="Test onboarding", kind=PlaybookKind.ONBOARDING, reference_label=reference
    )
    phase = PlaybookPhase.objects.create(playbook=playbook, name="Set-up", position=1)
    for position, fields in enumerate(items):
        PlaybookItem.objects.create(phase=phase, position=position, **fields)
    return playbook


def step(title: str, offset: int, **extra: object) -> dict:
    return {"title": title, "offset_days": offset, "kind": ItemKind.TASK, **extra}


def test_dates_count_from_the_start_and_skip_weekends() -> None:
    assert services.item_dates(
        anchor=Anchor.START, offset_days=3, duration_days=0, start=MONDAY, reference=None
    ) == (MONDAY + datetime.timedelta(days=3), MONDAY + datetime.timedelta(days=3))
    # Five days after a Monday is a Saturday: the Monday after.
    begins, due = services.item_dates(
        anchor=Anchor.START, offset_days=5, duration_days=2, start=MONDAY, reference=None
    )
    assert due == datetime.date(2026, 11, 9)
    assert begins == datetime.date(2026, 11, 7)


def test_dates_count_back_from_the_reference_date() -> None:
    end = datetime.date(2027, 3, 31)  # a Wednesday
    _begins, due = services.item_dates(
        anchor=Anchor.REFERENCE, offset_days=-120, duration_days=0, start=MONDAY, reference=end
    )
    assert due == end - datetime.timedelta(days=120)
    with pytest.raises(ValidationError):
        services.item_dates(
            anchor=Anchor.REFERENCE, offset_days=-1, duration_days=0, start=MONDAY, reference=None
        )


def test_a_cycle_is_reported_by_name() -> None:
    playbook = playbook_with(step("Kickoff", 0), step("Training", 10))
    kickoff, training = PlaybookItem.objects.filter(phase__playbook=playbook).order_by("position")
    kickoff.depends_on = training
    kickoff.save()
    training.depends_on = kickoff
    training.save()
    problems = services.playbook_problems(playbook)
    assert any("Kickoff" in problem and "Training" in problem for problem in problems)


def test_impossible_offsets_are_reported() -> None:
    playbook = playbook_with(
        step("Before the start", -3), step("From the contract end", -90, anchor=Anchor.REFERENCE)
    )
    problems = services.playbook_problems(playbook)
    assert len(problems) == 2


def test_an_item_due_before_the_one_it_follows_is_reported() -> None:
    playbook = playbook_with(step("Go-live", 30), step("Training", 10))
    go_live, training = PlaybookItem.objects.filter(phase__playbook=playbook).order_by("position")
    training.depends_on = go_live
    training.save()
    assert services.playbook_problems(playbook)


def test_starting_a_roadmap_copies_dates_owners_and_tasks(personas: Personas) -> None:
    champion = StakeholderFactory(account=personas.account, decision_roles=["champion"])
    playbook = playbook_with(
        step("Kickoff call", 0, kind=ItemKind.COMMUNICATION, owner_role=TeamRole.ACCOUNT_MANAGER),
        step("Support set-up", 7, owner_role=TeamRole.SUPPORT_LEAD),
        step("Champion signs off", 14, owner_side=OwnerSide.CLIENT, owner_role="champion"),
        step("Live", 30, kind=ItemKind.MILESTONE, owner_role=TeamRole.ACCOUNT_MANAGER),
    )
    roadmap = services.roadmap_start(
        acting_user=personas.owner, account=personas.account, playbook=playbook, start_date=MONDAY
    )
    items = {item.title: item for item in roadmap.items.all()}
    assert items["Kickoff call"].owner_user == personas.owner
    assert items["Support set-up"].owner_user == personas.teammate
    assert items["Champion signs off"].owner_stakeholder == champion
    assert items["Live"].due_on == datetime.date(2026, 12, 2)
    assert items["Kickoff call"].task is not None
    assert items["Kickoff call"].task.assignee == personas.owner
    # Milestones and the client's steps are not our tasks.
    assert items["Live"].task is None and items["Champion signs off"].task is None
    assert roadmap.playbook_revision == playbook.revision


def test_editing_a_playbook_does_not_rewrite_a_started_roadmap(personas: Personas) -> None:
    playbook = playbook_with(step("Kickoff", 0))
    roadmap = services.roadmap_start(
        acting_user=personas.owner, account=personas.account, playbook=playbook, start_date=MONDAY
    )
    PlaybookItem.objects.filter(phase__playbook=playbook).update(title="Renamed", offset_days=9)
    revised = services.playbook_revised(playbook=playbook, acting_user=personas.admin)
    assert revised.revision == 2
    item = roadmap.items.get()
    assert (item.title, item.due_on) == ("Kickoff", MONDAY)


def test_an_impossible_playbook_cannot_start_or_be_saved(personas: Personas) -> None:
    playbook = playbook_with(step("Too early", -1))
    with pytest.raises(ValidationError):
        services.roadmap_start(
            acting_user=personas.owner,
            account=personas.account,
            playbook=playbook,
            start_date=MONDAY,
        )
    with pytest.raises(ValidationError):
        services.playbook_revised(playbook=playbook, acting_user=personas.admin)
    assert not RoadmapItem.objects.exists()
    with pytest.raises(NotAllowedError):
        services.playbook_revised(playbook=playbook, acting_user=personas.owner)


def test_completing_every_item_completes_the_roadmap_and_its_tasks(personas: Personas) -> None:
    playbook = playbook_with(step("Kickoff", 0, owner_role=TeamRole.ACCOUNT_MANAGER))
    roadmap = services.roadmap_start(
        acting_user=personas.owner, account=personas.account, playbook=playbook, start_date=MONDAY
    )
    item = roadmap.items.get()
    services.roadmap_item_set_status(item=item, acting_user=personas.owner, status=ItemStatus.DONE)
    roadmap.refresh_from_db()
    item.refresh_from_db()
    assert roadmap.status == RoadmapStatus.COMPLETED
    assert item.task is not None and item.task.status == TaskStatus.DONE
    services.roadmap_item_set_status(
        item=item, acting_user=personas.owner, status=ItemStatus.PLANNED
    )
    roadmap.refresh_from_db()
    assert roadmap.status == RoadmapStatus.ACTIVE
    with pytest.raises(NotAllowedError):
        services.roadmap_item_set_status(
            item=item, acting_user=personas.outsider, status=ItemStatus.DONE
        )


def test_commitments_are_owned_and_closed(personas: Personas) -> None:
    commitment = services.commitment_create(
        acting_user=personas.owner,
        account=personas.account,
        data={"title": "Weekly report in French"},
    )
    assert commitment.owner == personas.owner
    kept = services.commitment_set_status(
        commitment=commitment, acting_user=personas.owner, status=CommitmentStatus.KEPT
    )
    assert kept.closed_at is not None
    with pytest.raises(ValidationError):
        services.commitment_create(
            acting_user=personas.owner,
            account=personas.account,
            data={"title": "x", "owner": personas.read_only},
        )
    assert services.commitments_from_lines("- One\n\n* Two\n•Three") == ["One", "Two", "Three"]


def test_items_of_a_cancelled_roadmap_no_longer_change(personas: Personas) -> None:
    playbook = playbook_with(step("Kickoff", 0))
    roadmap = services.roadmap_start(
        acting_user=personas.owner, account=personas.account, playbook=playbook, start_date=MONDAY
    )
    roadmap.status = RoadmapStatus.CANCELLED
    roadmap.save()
    item = roadmap.items.get()
    with pytest.raises(ValidationError):
        services.roadmap_item_set_status(
            item=item, acting_user=personas.owner, status=ItemStatus.DONE
        )
    item.refresh_from_db()
    assert item.status == ItemStatus.PLANNED
