"""The demo's communications: months of believable exchanges, follow-ups and cadences."""

from __future__ import annotations

import datetime
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db.models import Count, Max
from django.utils import timezone

from rapport.accounts.models import Account, TeamMember
from rapport.communications.choices import (
    EXCHANGE_KINDS,
    InboundStatus,
    Sentiment,
    TaskStatus,
    TouchpointKind,
)
from rapport.communications.models import (
    CadenceDefault,
    CadenceRule,
    InboundMessage,
    RelationshipStrength,
    Task,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.communications.selectors import today_view
from rapport.demo import data, services
from rapport.users.models import User


def french_subjects() -> set[str]:
    return {french[0] for entries in data.EXCHANGES.values() for _english, french in entries}


def communication_counts() -> tuple[int, ...]:
    return (
        Touchpoint.objects.count(),
        TouchpointStakeholder.objects.count(),
        TouchpointUser.objects.count(),
        Task.objects.count(),
        CadenceRule.objects.count(),
        InboundMessage.objects.count(),
        TeamMember.objects.count(),
    )


def check_communications() -> None:
    """What the demo's communications must hold; called by the demo test after loading it."""
    now = timezone.now()
    today = timezone.localdate()
    touchpoints = Touchpoint.objects.all()
    # Months of exchanges of every kind, a few still to come.
    assert 1000 <= touchpoints.count() <= 2500
    assert set(touchpoints.values_list("kind", flat=True)) == set(TouchpointKind.values)
    oldest = touchpoints.order_by("occurred_at").first()
    assert oldest is not None and oldest.occurred_at < now - datetime.timedelta(days=180)
    assert touchpoints.filter(occurred_at__gt=now).exists()
    # Participants on both sides: ours on every touchpoint, theirs on most exchanges.
    assert not touchpoints.filter(user_links__isnull=True).exists()
    exchanges = touchpoints.filter(kind__in=EXCHANGE_KINDS)
    with_people = exchanges.filter(stakeholder_links__isnull=False).distinct().count()
    assert with_people >= 0.95 * exchanges.count()
    assert touchpoints.annotate(people=Count("stakeholder_links")).filter(people__gte=3).exists()
    # In the client's language.
    assert touchpoints.filter(account__country="FR", subject__in=french_subjects()).exists()
    assert not touchpoints.filter(account__country="US", subject__in=french_subjects()).exists()
    # How it went, what came of it, and a few recent exchanges that went badly.
    assert set(touchpoints.values_list("sentiment", flat=True)) == {"", *Sentiment.values}
    assert touchpoints.exclude(outcome="").count() > touchpoints.count() / 2
    assert touchpoints.exclude(next_steps="").exists()
    recent_bad = touchpoints.filter(
        sentiment=Sentiment.NEGATIVE, occurred_at__gte=now - datetime.timedelta(days=14)
    )
    for email in data.MANAGER_EMAILS:
        assert recent_bad.filter(account__owner__email=email).exists()
    # Logged by real people, dated when it happened.
    call = touchpoints.filter(occurred_at__lt=now - datetime.timedelta(days=30)).first()
    assert call is not None and call.created_at == call.occurred_at
    record = call.history.get()
    assert record.history_user == call.logged_by and record.history_date <= call.occurred_at + (
        datetime.timedelta(seconds=1)
    )
    # Follow-ups: some late, some due this week, most of the old ones done.
    tasks = Task.objects.all()
    late = tasks.filter(status=TaskStatus.OPEN, due_on__lt=today)
    this_week = tasks.filter(
        status=TaskStatus.OPEN, due_on__gte=today, due_on__lte=today + datetime.timedelta(days=6)
    )
    assert late.exists() and this_week.exists()
    assert tasks.filter(status=TaskStatus.DONE, touchpoint__isnull=False).count() > late.count()
    assert not tasks.filter(status=TaskStatus.DONE, completed_at__isnull=True).exists()
    assert not tasks.filter(assignee__role="read_only").exists()
    # Every account keeps its tier's cadence; a few their own; some are behind.
    defaults = dict(
        CadenceDefault.objects.values_list("tier").annotate(kinds=Count("id")).order_by()
    )
    expected = sum(defaults.get(tier, 0) for tier in Account.objects.values_list("tier", flat=True))
    rules = CadenceRule.objects.all()
    # Each custom rule replaced the tier's own.
    assert (rules.count(), rules.filter(is_custom=True).count()) == (expected, 3)
    overdue = rules.filter(next_due_on__lt=today).count()
    assert 0.05 * rules.count() < overdue < 0.35 * rules.count()
    # Recency and strength are derived from the log.
    latest = dict(
        exchanges.filter(occurred_at__lte=now)
        .values("account_id")
        .annotate(last=Max("occurred_at"))
        .values_list("account_id", "last")
    )
    for account in Account.objects.all():
        assert account.last_contact_at == latest.get(account.pk)
    assert len(latest) >= 0.9 * Account.objects.count()
    assert RelationshipStrength.objects.filter(strength__gte=50).exists()
    # E-mails waiting for an account on the review page.
    assert InboundMessage.objects.filter(status=InboundStatus.PENDING).count() == 3
    # Everyone has something on their today view.
    for user in User.objects.all():
        view = today_view(user=user)
        assert not view.is_empty, user.email
    marc = today_view(user=User.objects.get(email="marc@rapport.demo"))
    assert marc.overdue_cadence_count and marc.due_soon_cadence_count
    assert marc.overdue_task_count and marc.untouched_count and marc.negative


@pytest.mark.django_db
def test_an_earlier_demo_company_gets_its_communications_once() -> None:
    # A company from before communications had no roadmaps either (their steps are tasks).
    with (
        mock.patch.object(services, "load_communications"),
        mock.patch.object(services, "load_roadmaps", return_value=0),
    ):
        assert services.demo_load().created
    assert not Touchpoint.objects.exists()

    out = StringIO()
    call_command("demo", stdout=out)
    added = communication_counts()
    again = StringIO()
    call_command("demo", stdout=again)

    assert "Demo communications added." in out.getvalue()
    check_communications()
    assert "nothing changed" in again.getvalue()
    assert communication_counts() == added
