"""Touchpoint, task and cadence services against the real database."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.accounts.services import account_update
from rapport.communications import services
from rapport.communications.choices import CadenceKind, TaskStatus, TouchpointKind
from rapport.communications.models import (
    CadenceDefault,
    CadenceRule,
    RelationshipStrength,
    Touchpoint,
    TouchpointStakeholder,
)
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.models import Stakeholder

pytestmark = pytest.mark.django_db


def log(personas: Personas, *, days_ago: float = 0, kind: str = TouchpointKind.CALL, **extra):
    when = timezone.now() - datetime.timedelta(days=days_ago)
    people = extra.pop("stakeholders", [personas.stakeholder])
    return services.touchpoint_create(
        acting_user=extra.pop("acting_user", personas.owner),
        account=extra.pop("account", personas.account),
        data={
            "kind": kind,
            "subject": extra.pop("subject", "Quarterly check-in"),
            "occurred_at": when,
            **extra,
        },
        stakeholders=people,
    )


def test_logging_a_call_sets_last_contact_of_account_and_person(personas: Personas) -> None:
    touchpoint = log(personas, days_ago=3)
    personas.account.refresh_from_db()
    personas.stakeholder.refresh_from_db()
    assert personas.account.last_contact_at == touchpoint.occurred_at
    assert personas.stakeholder.last_contact_at == touchpoint.occurred_at
    assert list(touchpoint.users.all()) == [personas.owner]
    assert touchpoint.history.count() == 1


def test_a_note_is_not_a_contact(personas: Personas) -> None:
    log(personas, kind=TouchpointKind.NOTE)
    personas.account.refresh_from_db()
    personas.stakeholder.refresh_from_db()
    assert personas.account.last_contact_at is None
    assert personas.stakeholder.last_contact_at is None


def test_a_planned_meeting_is_not_a_contact_yet(personas: Personas) -> None:
    log(personas, days_ago=-2, kind=TouchpointKind.MEETING)
    personas.account.refresh_from_db()
    assert personas.account.last_contact_at is None


def test_deleting_the_only_exchange_clears_last_contact(personas: Personas) -> None:
    only = log(personas, days_ago=4)
    services.touchpoint_delete(touchpoint=only, acting_user=personas.owner)
    personas.account.refresh_from_db()
    personas.stakeholder.refresh_from_db()
    assert personas.account.last_contact_at is None
    assert personas.stakeholder.last_contact_at is None


def test_a_stale_last_contact_is_corrected_by_a_refresh(personas: Personas) -> None:
    touchpoint = log(personas, days_ago=2)
    stale = touchpoint.occurred_at - datetime.timedelta(days=30)
    Account.objects.filter(pk=personas.account.pk).update(last_contact_at=stale)
    Stakeholder.all_objects.filter(pk=personas.stakeholder.pk).update(last_contact_at=None)
    services.refresh_contacts(
        account_ids=[personas.account.pk], stakeholder_ids=[personas.stakeholder.pk]
    )
    personas.account.refresh_from_db()
    personas.stakeholder.refresh_from_db()
    assert personas.account.last_contact_at == touchpoint.occurred_at
    assert personas.stakeholder.last_contact_at == touchpoint.occurred_at


def test_deleting_the_latest_touchpoint_moves_last_contact_back(personas: Personas) -> None:
    older = log(personas, days_ago=10)
    newer = log(personas, days_ago=1)
    services.touchpoint_delete(touchpoint=newer, acting_user=personas.owner)
    personas.account.refresh_from_db()
    personas.stakeholder.refresh_from_db()
    assert personas.account.last_contact_at == older.occurred_at
    assert personas.stakeholder.last_contact_at == older.occurred_at
    assert Touchpoint.history.filter(id=newer.pk, history_type="-").exists()


def test_removing_a_participant_clears_their_last_contact(personas: Personas) -> None:
    touchpoint = log(personas, days_ago=1)
    services.touchpoint_update(
        touchpoint=touchpoint,
        acting_user=personas.owner,
        data={},
        stakeholders=[],
        expected_version=touchpoint.version,
    )
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.last_contact_at is None
    assert not RelationshipStrength.objects.exists()


def test_moving_a_touchpoint_in_time_moves_the_participant_rows(personas: Personas) -> None:
    touchpoint = log(personas, days_ago=1)
    earlier = timezone.now() - datetime.timedelta(days=20)
    services.touchpoint_update(
        touchpoint=touchpoint,
        acting_user=personas.owner,
        data={"occurred_at": earlier},
        expected_version=touchpoint.version,
    )
    link = TouchpointStakeholder.objects.get(touchpoint=touchpoint)
    assert link.occurred_at == earlier
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.last_contact_at == earlier


def test_stale_edit_is_refused(personas: Personas) -> None:
    touchpoint = log(personas)
    with pytest.raises(StaleVersionError):
        services.touchpoint_update(
            touchpoint=touchpoint,
            acting_user=personas.owner,
            data={"subject": "Changed"},
            expected_version=touchpoint.version + 1,
        )


def test_read_only_cannot_log(personas: Personas) -> None:
    with pytest.raises(NotAllowedError):
        log(personas, acting_user=personas.read_only)
    assert not Touchpoint.objects.exists()


def test_outsider_may_log_but_not_change_someone_elses_touchpoint(personas: Personas) -> None:
    touchpoint = log(personas)
    log(personas, acting_user=personas.outsider)
    with pytest.raises(NotAllowedError):
        services.touchpoint_update(
            touchpoint=touchpoint,
            acting_user=personas.outsider,
            data={"subject": "Mine now"},
            expected_version=None,
        )


def test_trashed_participant_is_refused_and_nothing_is_written(personas: Personas) -> None:
    personas.stakeholder.deleted_at = timezone.now()
    personas.stakeholder.save()
    gone = Stakeholder.all_objects.get(pk=personas.stakeholder.pk)
    with pytest.raises(ValidationError):
        log(personas, stakeholders=[gone])
    assert not Touchpoint.objects.exists()


def test_strength_grows_with_frequency_and_fades_with_time(personas: Personas) -> None:
    now = timezone.now()
    assert services.strength_score(last_contact_at=None, shared=0, now=now) == 0
    assert services.strength_score(last_contact_at=now, shared=12, now=now) == 100
    assert services.strength_score(last_contact_at=now, shared=0, now=now) == 60
    half = now - datetime.timedelta(days=90)
    assert services.strength_score(last_contact_at=half, shared=6, now=now) == 50
    old = now - datetime.timedelta(days=400)
    assert services.strength_score(last_contact_at=old, shared=0, now=now) == 0
    for days in (1, 30, 60):
        log(personas, days_ago=days)
    strength = RelationshipStrength.objects.get(
        user=personas.owner, stakeholder=personas.stakeholder
    )
    assert strength.shared_touchpoints == 3
    assert 60 < strength.strength < 75


def test_new_account_gets_its_tier_cadence(personas: Personas) -> None:
    account = AccountFactory(tier="strategic")
    kinds = set(CadenceRule.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds == {CadenceKind.CHECK_IN, CadenceKind.BUSINESS_REVIEW, CadenceKind.EXECUTIVE_TOUCH}


def test_tier_change_brings_the_new_tier_cadence(personas: Personas) -> None:
    account = personas.account
    account_update(
        account=account,
        acting_user=personas.owner,
        data={"tier": "maintain"},
        expected_version=None,
    )
    rules = {rule.kind: rule.interval_days for rule in CadenceRule.objects.filter(account=account)}
    assert rules == {CadenceKind.CHECK_IN: 60}


def test_rules_a_tier_change_brings_start_from_the_exchanges_already_logged(
    personas: Personas,
) -> None:
    account = personas.account

    def move_to(tier: str) -> None:
        account.refresh_from_db()
        account_update(
            account=account, acting_user=personas.owner, data={"tier": tier}, expected_version=None
        )

    move_to("maintain")
    review_held = log(personas, days_ago=20, kind=TouchpointKind.BUSINESS_REVIEW)
    touchpoint = log(personas, days_ago=5)
    move_to("strategic")
    rules = {rule.kind: rule for rule in CadenceRule.objects.filter(account=account)}
    assert set(rules) == {
        CadenceKind.CHECK_IN,
        CadenceKind.BUSINESS_REVIEW,
        CadenceKind.EXECUTIVE_TOUCH,
    }
    # Resized: the strategic interval, counted from the exchange already logged.
    check_in = rules[CadenceKind.CHECK_IN]
    assert check_in.interval_days != 60
    assert check_in.last_done_at == touchpoint.occurred_at
    assert check_in.next_due_on == timezone.localdate(touchpoint.occurred_at) + datetime.timedelta(
        days=check_in.interval_days
    )
    # New: kept by the review held before the tier asked for one.
    review = rules[CadenceKind.BUSINESS_REVIEW]
    assert review.last_done_at == review_held.occurred_at
    assert review.next_due_on == timezone.localdate(review_held.occurred_at) + datetime.timedelta(
        days=review.interval_days
    )
    # New and never kept (no decision maker took part): due one interval after it starts.
    executive = rules[CadenceKind.EXECUTIVE_TOUCH]
    assert executive.last_done_at is None
    assert executive.next_due_on == executive.starts_on + datetime.timedelta(
        days=executive.interval_days
    )


def test_cadence_next_due_follows_the_log(personas: Personas) -> None:
    account: Account = personas.account
    services.cadence_rule_set(
        acting_user=personas.owner, account=account, kind=CadenceKind.CHECK_IN, interval_days=30
    )
    touchpoint = log(personas, days_ago=5)
    rule = CadenceRule.objects.get(account=account, kind=CadenceKind.CHECK_IN)
    assert rule.is_custom
    assert rule.last_done_at == touchpoint.occurred_at
    assert rule.next_due_on == timezone.localdate(touchpoint.occurred_at) + datetime.timedelta(
        days=30
    )


def test_executive_touch_needs_a_decision_maker(personas: Personas) -> None:
    account = personas.account
    services.cadence_rule_set(
        acting_user=personas.owner,
        account=account,
        kind=CadenceKind.EXECUTIVE_TOUCH,
        interval_days=90,
    )
    log(personas, days_ago=2)
    rule = CadenceRule.objects.get(account=account, kind=CadenceKind.EXECUTIVE_TOUCH)
    assert rule.last_done_at is None
    boss = StakeholderFactory(account=account, decision_roles=["decision_maker"])
    meeting = log(personas, days_ago=1, stakeholders=[boss], kind=TouchpointKind.MEETING)
    rule.refresh_from_db()
    assert rule.last_done_at == meeting.occurred_at


def test_changing_a_tier_default_follows_on_accounts_without_their_own(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    growth = AccountFactory(tier="growth")
    custom = AccountFactory(tier="growth")
    services.cadence_rule_set(
        acting_user=personas.admin, account=custom, kind=CadenceKind.CHECK_IN, interval_days=7
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.cadence_default_set(
            acting_user=personas.admin, tier="growth", kind=CadenceKind.CHECK_IN, interval_days=21
        )
    assert CadenceDefault.objects.get(tier="growth", kind=CadenceKind.CHECK_IN).interval_days == 21
    assert CadenceRule.objects.get(account=growth, kind=CadenceKind.CHECK_IN).interval_days == 21
    assert CadenceRule.objects.get(account=custom, kind=CadenceKind.CHECK_IN).interval_days == 7
    with pytest.raises(NotAllowedError):
        services.cadence_default_set(
            acting_user=personas.owner, tier="growth", kind=CadenceKind.CHECK_IN, interval_days=5
        )


def test_reset_returns_a_rule_to_the_tier_default(personas: Personas) -> None:
    account = AccountFactory(tier="growth", owner=personas.owner)
    rule = services.cadence_rule_set(
        acting_user=personas.admin, account=account, kind=CadenceKind.CHECK_IN, interval_days=7
    )
    back = services.cadence_rule_reset(acting_user=personas.admin, rule=rule)
    assert back is not None and not back.is_custom and back.interval_days == 30


def test_completing_a_task_records_who_and_when(personas: Personas) -> None:
    task = services.task_create(
        acting_user=personas.owner,
        data={
            "title": "Send the pricing",
            "account": personas.account,
            "due_on": timezone.localdate(),
        },
    )
    assert task.assignee == personas.owner
    done = services.task_set_status(task=task, acting_user=personas.owner, status=TaskStatus.DONE)
    assert done.completed_by == personas.owner and done.completed_at is not None
    reopened = services.task_set_status(
        task=done, acting_user=personas.owner, status=TaskStatus.OPEN
    )
    assert reopened.completed_at is None
    assert task.history.count() == 3
    with pytest.raises(NotAllowedError):
        services.task_set_status(task=task, acting_user=personas.outsider, status=TaskStatus.DONE)


def test_task_cannot_go_to_a_read_only_user(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        services.task_create(
            acting_user=personas.owner, data={"title": "Call back", "assignee": personas.read_only}
        )


def test_refresh_book_is_repeatable(personas: Personas) -> None:
    log(personas, days_ago=3)
    before = list(RelationshipStrength.objects.values_list("strength", flat=True))
    assert services.refresh_book() == Account.objects.count()
    assert services.refresh_book() == Account.objects.count()
    assert list(RelationshipStrength.objects.values_list("strength", flat=True)) == before
