"""Roadmap reads: progress, an account's roadmaps, the 360° card, a person's items, the client's."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from rapport.accounts.models import Account
from rapport.core.tests.personas import Personas
from rapport.roadmaps import selectors
from rapport.roadmaps.choices import ItemKind, ItemStatus, PlaybookKind, Progress, RoadmapStatus
from rapport.roadmaps.models import Roadmap, RoadmapItem, RoadmapPhase

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 11)  # a Wednesday


def day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


def make_roadmap(
    account: Account,
    *items: dict[str, Any],
    name: str = "Onboarding",
    start: datetime.date = TODAY,
    status: str = RoadmapStatus.ACTIVE,
    phases: tuple[str, ...] = ("Set-up", "Adoption"),
) -> Roadmap:
    """A roadmap with its phases and items; each item names its phase by index (``phase``)."""
    roadmap = Roadmap.objects.create(
        account=account, name=name, kind=PlaybookKind.ONBOARDING, start_date=start, status=status
    )
    made = [
        RoadmapPhase.objects.create(roadmap=roadmap, name=phase, position=index)
        for index, phase in enumerate(phases)
    ]
    for position, fields in enumerate(items):
        fields = dict(fields)
        phase = made[fields.pop("phase", 0)]
        due = fields.pop("due_on")
        fields.setdefault("start_on", due)
        fields.setdefault("kind", ItemKind.TASK)
        RoadmapItem.objects.create(
            roadmap=roadmap, phase=phase, due_on=due, position=position, **fields
        )
    return roadmap


def item(title: str, due: datetime.date, **extra: Any) -> dict[str, Any]:
    return {"title": title, "due_on": due, **extra}


def milestone(title: str, due: datetime.date, **extra: Any) -> dict[str, Any]:
    return item(title, due, kind=ItemKind.MILESTONE, **extra)


def sample(account: Account, name: str = "Onboarding") -> Roadmap:
    return make_roadmap(
        account,
        item("Kickoff", day(-10), status=ItemStatus.DONE),
        item("Skipped survey", day(-8), status=ItemStatus.SKIPPED),
        item("Send the plan", day(-2)),
        milestone("Go-live", day(5), phase=1),
        milestone("First review", day(30), phase=1),
        item("Training", day(7), start_on=day(1), phase=1),
        name=name,
    )


def test_progress_leaves_skipped_items_out_and_finds_the_next_milestone(
    personas: Personas,
) -> None:
    roadmap = selectors.roadmap_detail(pk=sample(personas.account).pk)
    progress = selectors.progress_from_items(roadmap, selectors.roadmap_items(roadmap), today=TODAY)
    assert (progress.total, progress.done, progress.late, progress.percent) == (5, 1, 1, 20)
    assert progress.state == Progress.LATE
    assert progress.next_milestone is not None
    assert (progress.next_milestone.title, progress.next_milestone.due_on) == ("Go-live", day(5))
    assert not progress.next_milestone.is_late


def test_the_annotated_progress_agrees_with_the_items(personas: Personas) -> None:
    roadmap = sample(personas.account)
    annotated = selectors.annotated_progress(
        selectors.with_progress(Roadmap.objects.filter(pk=roadmap.pk), today=TODAY).get(),
        today=TODAY,
    )
    loaded = selectors.roadmap_detail(pk=roadmap.pk)
    from_items = selectors.progress_from_items(loaded, selectors.roadmap_items(loaded), today=TODAY)
    assert annotated == from_items


def test_a_roadmap_with_nothing_late_is_on_track_and_a_finished_one_done(
    personas: Personas,
) -> None:
    on_track = make_roadmap(personas.account, item("Later", day(3)))
    finished = make_roadmap(
        personas.account,
        item("Done", day(-3), status=ItemStatus.DONE),
        status=RoadmapStatus.COMPLETED,
    )
    rows = {
        roadmap.pk: roadmap.progress
        for roadmap in selectors.attach_progress(
            selectors.account_roadmaps(account=personas.account, today=TODAY), today=TODAY
        )
    }
    assert rows[on_track.pk].state == Progress.ON_TRACK
    assert rows[on_track.pk].next_milestone is None
    assert (rows[finished.pk].state, rows[finished.pk].percent) == (Progress.DONE, 100)


def test_an_accounts_roadmaps_come_active_first(personas: Personas) -> None:
    old_active = make_roadmap(personas.account, name="Old active", start=day(-100))
    make_roadmap(personas.account, name="Cancelled", status=RoadmapStatus.CANCELLED)
    make_roadmap(personas.account, name="Completed", status=RoadmapStatus.COMPLETED)
    make_roadmap(personas.account, name="New active", start=day(-1))
    make_roadmap(personas.other_account, name="Someone else's")
    names = [
        roadmap.name
        for roadmap in selectors.account_roadmaps(account=personas.account, today=TODAY)
    ]
    assert names == ["New active", old_active.name, "Completed", "Cancelled"]


def test_the_360_card_reads_everything_in_one_query(
    personas: Personas, django_assert_num_queries: Any
) -> None:
    for index in range(5):
        sample(personas.account, name=f"Onboarding {index}")
    make_roadmap(personas.account, name="Over", status=RoadmapStatus.COMPLETED)
    with django_assert_num_queries(1):
        card = selectors.account_roadmap_card(account=personas.account, today=TODAY)
        shown = [(roadmap.name, roadmap.progress.late) for roadmap in card.roadmaps]
    assert len(shown) == selectors.CARD_ROADMAPS_LIMIT and card.has_more
    assert "Over" not in [name for name, _late in shown]
    assert card.late_count == selectors.CARD_ROADMAPS_LIMIT


def test_my_items_are_the_late_ones_and_this_weeks_milestones(
    personas: Personas, django_assert_num_queries: Any
) -> None:
    mine = {"owner_user": personas.owner}
    make_roadmap(
        personas.account,
        item("Late step", day(-3), **mine),
        milestone("Late milestone", day(-1), **mine),
        milestone("Milestone this week", day(6), **mine),
        milestone("Milestone next week", day(7), **mine),
        item("Step this week", day(2), **mine),
        item("Done late", day(-3), status=ItemStatus.DONE, **mine),
        item("Someone else's", day(-3), owner_user=personas.teammate),
    )
    make_roadmap(
        personas.account,
        item("In a cancelled roadmap", day(-3), **mine),
        status=RoadmapStatus.CANCELLED,
    )
    archived = make_roadmap(
        Account.objects.create(name="Archived", is_archived=True),
        item("On an archived account", day(-3), **mine),
    )
    assert archived.pk
    with django_assert_num_queries(1):
        view = selectors.my_roadmap_items(user=personas.owner, today=TODAY)
        accounts = {entry.roadmap.account.name for entry in view.late + view.milestones}
    assert [entry.title for entry in view.late] == ["Late step", "Late milestone"]
    assert [entry.title for entry in view.milestones] == ["Milestone this week"]
    assert accounts == {"Northwind Traders"}
    assert view.count == 3 and not view.has_more


def test_my_items_are_capped(personas: Personas) -> None:
    late = [
        item(f"Late {index}", day(-1 - index), owner_user=personas.owner) for index in range(12)
    ]
    make_roadmap(personas.account, *late)
    view = selectors.my_roadmap_items(user=personas.owner, today=TODAY)
    assert len(view.late) == selectors.MY_ITEMS_LIMIT and view.has_more
    # The most overdue first.
    assert view.late[0].title == "Late 11"


def test_the_client_reads_only_the_items_shown_to_the_client(personas: Personas) -> None:
    roadmap = make_roadmap(
        personas.account,
        item("Shared", day(1)),
        item("Internal", day(2), client_facing=False),
        item("Internal in the second phase", day(2), client_facing=False, phase=1),
    )
    seen = selectors.client_roadmap(pk=roadmap.pk)
    assert [entry.title for entry in selectors.roadmap_items(seen)] == ["Shared"]
    assert [phase.items.all().count() for phase in seen.phases.all()] == [1, 0]
