"""The demo's roadmaps, handoffs, commitments and reassignment: made once, believable, complete."""

from __future__ import annotations

import datetime
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from rapport.demo import roadmaps, services
from rapport.roadmaps import automation, continuity, handoffs, selectors
from rapport.roadmaps.choices import (
    CommitmentSource,
    CommitmentStatus,
    HandoffStatus,
    ItemStatus,
    PlaybookKind,
    Progress,
)
from rapport.roadmaps.models import (
    ClientLink,
    Commitment,
    Handoff,
    Reassignment,
    Roadmap,
    RoadmapItem,
)
from rapport.users.models import User


def roadmap_counts() -> tuple[int, ...]:
    return (
        Roadmap.objects.count(),
        RoadmapItem.objects.count(),
        Handoff.objects.count(),
        Commitment.objects.count(),
        ClientLink.objects.count(),
        Reassignment.objects.count(),
    )


def check_roadmaps() -> None:
    """What the demo's roadmaps must hold; called by the demo test after loading it."""
    today = timezone.localdate()
    marc = User.objects.get(email="marc@rapport.demo")
    # The four shipped playbooks, each running somewhere.
    used = set(Roadmap.objects.values_list("playbook__name", flat=True))
    assert used == set(roadmaps.SHIPPED)
    # Onboardings at various stages: some steps done, some late, one not started yet.
    rows = selectors.attach_progress(
        selectors.with_progress(Roadmap.objects.filter(kind=PlaybookKind.ONBOARDING), today=today),
        today=today,
    )
    progress = [roadmap.progress for roadmap in rows]  # type: ignore[attr-defined]
    assert len(progress) >= 6
    assert {item.state for item in progress} == {Progress.ON_TRACK, Progress.LATE}
    assert any(item.done == 0 for item in progress)
    assert any(item.percent >= 60 for item in progress)
    assert RoadmapItem.objects.filter(status=ItemStatus.SKIPPED).exists()
    # Steps are marked done by the people who own them.
    support = RoadmapItem.objects.filter(
        status=ItemStatus.DONE, owner_user__email="omar@rapport.demo"
    )
    assert support.exists()
    assert not support.exclude(completed_by__email="omar@rapport.demo").exists()
    # Renewals count back from the contract's end: two started by hand, and those the nightly
    # job started for the other contracts ending within its lead time.
    renewals = Roadmap.objects.filter(kind=PlaybookKind.RENEWAL)
    assert renewals.count() >= 2
    assert not renewals.filter(reference_date__isnull=True).exists()
    # Two handoffs to Marc: one waiting for him, one he acknowledged; both started onboarding.
    pending = handoffs.handoffs_waiting_for(user=marc)
    assert len(pending) == 1
    taken = Handoff.objects.get(status=HandoffStatus.ACKNOWLEDGED)
    assert taken.account_manager == marc and taken.acknowledgement_note
    assert not Handoff.objects.filter(roadmap__isnull=True).exists()
    # Promises: due this week, exactly one overdue, one kept, from a handoff and from a call.
    commitments = Commitment.objects.all()
    overdue = [commitment for commitment in commitments if commitment.is_overdue(today)]
    assert len(overdue) == 1
    week = today + datetime.timedelta(days=6)
    assert commitments.filter(status=CommitmentStatus.OPEN, due_on__range=(today, week)).count() > 2
    assert commitments.filter(status=CommitmentStatus.KEPT).exists()
    assert set(commitments.values_list("source", flat=True)) == set(CommitmentSource.values)
    # One roadmap is shared with its client, with a word for them.
    link = ClientLink.objects.select_related("roadmap").get()
    assert link.is_usable(today) and link.roadmap.client_summary
    # A past reassignment, whose brief reads.
    moved = Reassignment.objects.select_related("account", "from_user", "to_user").get()
    assert (moved.from_user.email, moved.to_user.email) == (  # type: ignore[union-attr]
        "james@rapport.demo",
        "sofia@rapport.demo",
    )
    assert moved.created_at < timezone.now() - datetime.timedelta(days=7)
    brief = continuity.handoff_brief(account=moved.account, reassignment=moved)
    assert brief.manager_history and not brief.needs_owner
    # The book's accounts are not new: the nightly job finds nothing to start.
    assert automation.run_automation().started == []


@pytest.mark.django_db
def test_an_earlier_demo_company_gets_its_roadmaps_once() -> None:
    with mock.patch.object(services, "load_roadmaps", return_value=0):
        assert services.demo_load().created
    assert not Roadmap.objects.exists()

    out = StringIO()
    call_command("demo", stdout=out)
    added = roadmap_counts()
    again = StringIO()
    call_command("demo", stdout=again)

    assert "Demo roadmaps and handoffs added." in out.getvalue()
    assert f"{added[0]} roadmaps." in out.getvalue()
    check_roadmaps()
    assert "nothing changed" in again.getvalue()
    assert roadmap_counts() == added
    # The demo's people are fictional: nobody was e-mailed.
    assert mail.outbox == []


@pytest.mark.django_db
def test_no_roadmaps_without_the_shipped_playbooks() -> None:
    with mock.patch.object(services, "load_roadmaps", return_value=0):
        services.demo_load()
    Roadmap.objects.all().delete()
    from rapport.roadmaps.models import Playbook

    Playbook.objects.filter(name=roadmaps.RECOVERY).delete()

    users = {user.email: user for user in User.objects.all()}
    assert roadmaps.load_roadmaps(users=users) == 0
    assert not roadmaps.has_roadmaps()
