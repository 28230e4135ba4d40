"""The log's forms: what they ask for, what they refuse and how they read times."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from rapport.communications.choices import TouchpointKind
from rapport.communications.forms import (
    QuickLogForm,
    TaskForm,
    TimelineFilterForm,
    TouchpointForm,
)
from rapport.communications.models import Task, Touchpoint
from rapport.core.tests.factories import AccountFactory, StakeholderFactory, TeamMemberFactory
from rapport.core.tests.personas import Personas

pytestmark = pytest.mark.django_db


def test_quick_log_asks_three_things_at_most(personas: Personas) -> None:
    free = QuickLogForm(user=personas.owner)
    assert [name for name, field in free.fields.items() if field.required] == [
        "account",
        "kind",
        "subject",
    ]
    assert list(free.fields)[:3] == ["account", "kind", "subject"]
    fixed = QuickLogForm(user=personas.owner, account=personas.account)
    assert [name for name, field in fixed.fields.items() if field.required] == ["kind", "subject"]
    assert fixed["kind"].value() == TouchpointKind.CALL


def test_quick_log_offers_the_users_accounts_by_name(personas: Personas) -> None:
    TeamMemberFactory(account=AccountFactory(name="Zenith"), user=personas.owner)
    TeamMemberFactory(account=AccountFactory(name="Ácme"), user=personas.owner)
    form = QuickLogForm(user=personas.owner)
    names = [account.name for account in form.fields["account"].queryset]  # type: ignore[attr-defined]
    assert names == ["Ácme", "Northwind Traders", "Zenith"]


def test_quick_log_is_keyboard_friendly_and_steals_no_focus(personas: Personas) -> None:
    html = str(QuickLogForm(user=personas.owner)["subject"])
    assert 'accesskey="l"' in html and "autofocus" not in html
    assert all(
        "autofocus" not in str(bound)
        for bound in QuickLogForm(user=personas.owner).visible_fields()
    )


def test_quick_log_defaults_to_now_and_checks_people(personas: Personas) -> None:
    stranger = StakeholderFactory(
        account=personas.other_account, first_name="Grace", last_name="Hopper"
    )
    now = timezone.now()
    form = QuickLogForm(
        {"kind": "call", "subject": "Hello", "stakeholders": [personas.stakeholder.pk]},
        user=personas.owner,
        account=personas.account,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["stakeholders"] == [personas.stakeholder]
    assert abs(form.cleaned_data["occurred_at"] - now) < datetime.timedelta(minutes=1)
    assert form.account_to_log() == personas.account
    refused = QuickLogForm(
        {"kind": "call", "subject": "Hello", "stakeholders": [stranger.pk, "abc"]},
        user=personas.owner,
        account=personas.account,
    )
    assert not refused.is_valid()
    assert refused.errors["stakeholders"] == [
        "Grace Hopper is not one of Northwind Traders’s people."
    ]
    assert refused.extras_have_errors


def test_a_trashed_person_is_refused(personas: Personas) -> None:
    gone = StakeholderFactory(account=personas.account, first_name="Old", last_name="Timer")
    gone.deleted_at = timezone.now()
    gone.save()
    form = TouchpointForm(
        {
            "kind": "call",
            "occurred_at": "2026-05-10T10:00",
            "subject": "x",
            "stakeholders": [gone.pk],
        },
        account=personas.account,
        user=personas.owner,
    )
    assert form.errors["stakeholders"] == ["Old Timer is in the trash."]


def test_touchpoint_form_reads_the_users_time_zone(personas: Personas) -> None:
    with timezone.override("America/New_York"):
        form = TouchpointForm(
            {"kind": "call", "occurred_at": "2026-01-15T09:00", "subject": "Morning call"},
            account=personas.account,
            user=personas.owner,
        )
        assert form.is_valid(), form.errors
    assert form.cleaned_data["occurred_at"] == datetime.datetime(
        2026, 1, 15, 14, 0, tzinfo=datetime.UTC
    )
    assert form.follow_up() is None


def test_touchpoint_form_offers_the_accounts_people_and_keeps_past_participants(
    personas: Personas,
) -> None:
    StakeholderFactory(account=personas.other_account, first_name="Grace", last_name="Hopper")
    creating = TouchpointForm(account=personas.account, user=personas.owner)
    labels = [label for _value, label in creating.fields["stakeholders"].choices]  # type: ignore[attr-defined]
    assert labels == ["Ada Lovelace — Director"]
    assert creating.initial["users"] == [personas.owner.pk]
    assert "follow_up_title" in creating.fields
    touchpoint = Touchpoint.objects.create(account=personas.account, kind="call", subject="x")
    moved = StakeholderFactory(account=personas.account, first_name="Moved", last_name="On")
    touchpoint.stakeholder_links.create(stakeholder=moved, occurred_at=touchpoint.occurred_at)
    moved.account = personas.other_account
    moved.save()
    editing = TouchpointForm(instance=touchpoint, account=personas.account, user=personas.owner)
    labels = [label for _value, label in editing.fields["stakeholders"].choices]  # type: ignore[attr-defined]
    assert "Moved On — Director" in labels and "Grace Hopper — Director" not in labels
    assert "follow_up_title" not in editing.fields


def test_a_follow_up_date_needs_a_title(personas: Personas) -> None:
    form = TouchpointForm(
        {
            "kind": "call",
            "occurred_at": "2026-05-10T10:00",
            "subject": "x",
            "follow_up_due_on": "2026-05-12",
        },
        account=personas.account,
        user=personas.owner,
    )
    assert form.errors["follow_up_title"] == ["Give the follow-up task a title."]


def test_task_form_assignees_and_touchpoints(personas: Personas) -> None:
    form = TaskForm(user=personas.owner, account=personas.account)
    assignees = set(form.fields["assignee"].queryset)  # type: ignore[attr-defined]
    assert personas.read_only not in assignees and personas.owner in assignees
    assert form.initial["assignee"] == personas.owner.pk
    mine = Touchpoint.objects.create(account=personas.account, kind="call", subject="Ours")
    Touchpoint.objects.create(account=personas.other_account, kind="call", subject="Theirs")
    form = TaskForm(user=personas.owner, account=personas.account)
    labels = [label for _value, label in form.fields["touchpoint"].choices]  # type: ignore[attr-defined]
    assert len(labels) == 2 and labels[1].endswith("Ours")
    assert "touchpoint" not in TaskForm(user=personas.owner).fields
    task = Task.objects.create(
        title="t", assignee=personas.owner, account=personas.account, touchpoint=mine
    )
    editing = TaskForm(instance=task, user=personas.owner)
    assert editing.initial["account"] == "Northwind Traders"
    assert editing.initial["version"] == task.version


def test_timeline_filter_drops_what_does_not_fit(personas: Personas) -> None:
    form = TimelineFilterForm(
        {"kind": ["call", "task"], "person": f"s{personas.stakeholder.pk}"},
        account=personas.account,
    )
    filters = form.timeline_filters()
    assert filters.kinds == {"call", "task"}
    assert (filters.stakeholder_id, filters.user_id) == (personas.stakeholder.pk, None)
    ours = TimelineFilterForm({"person": f"u{personas.owner.pk}"}, account=personas.account)
    assert ours.timeline_filters().user_id == personas.owner.pk
    stranger = StakeholderFactory(account=personas.other_account)
    bad = TimelineFilterForm(
        {"kind": "telegram", "person": f"s{stranger.pk}"}, account=personas.account
    )
    assert bad.timeline_filters() == type(filters)()
    assert set(bad.errors) == {"kind", "person"}
