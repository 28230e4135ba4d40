"""The agenda: what is due on which day, for a person, an owner's book or the whole book."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from rapport.accounts.choices import Tier
from rapport.communications import agenda
from rapport.communications.agenda import AgendaEntry, AgendaScope
from rapport.communications.choices import CadenceKind, TaskStatus
from rapport.communications.models import CadenceRule, Task
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 3, 12)
NOON = datetime.datetime(2025, 3, 12, 12, tzinfo=datetime.UTC)


def due(account, kind: str, on: datetime.date) -> CadenceRule:
    """Move the account's rule of this kind (created from its tier) to a due date."""
    rule, _created = CadenceRule.objects.get_or_create(
        account=account, kind=kind, defaults={"interval_days": 30, "next_due_on": on}
    )
    CadenceRule.objects.filter(pk=rule.pk).update(next_due_on=on)
    rule.refresh_from_db()
    return rule


def park_all_rules() -> None:
    """Every rule far in the future, so that only what a test sets falls in its window."""
    CadenceRule.objects.update(next_due_on=datetime.date(2099, 1, 1))


def task(personas: Personas, title: str, on: datetime.date | None, **extra) -> Task:
    return Task.objects.create(
        title=title,
        assignee=extra.pop("assignee", personas.owner),
        account=extra.pop("account", personas.account),
        due_on=on,
        **extra,
    )


def window(scope: AgendaScope, start=None, end=TODAY + datetime.timedelta(days=30), **extra):
    return agenda.entries(scope=scope, start=start, end=end, today=TODAY, **extra)


def test_entries_merge_cadences_and_tasks_in_date_order(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, CadenceKind.CHECK_IN, TODAY + datetime.timedelta(days=3))
    due(personas.account, CadenceKind.BUSINESS_REVIEW, TODAY - datetime.timedelta(days=5))
    task(personas, "Send the proposal", TODAY + datetime.timedelta(days=1))
    task(personas, "Book the review room", TODAY - datetime.timedelta(days=9))
    entries = window(AgendaScope(user=personas.owner))
    assert [(entry.date - TODAY).days for entry in entries] == [-9, -5, 1, 3]
    assert [entry.state for entry in entries] == ["overdue", "overdue", "due", "due"]
    assert [entry.source for entry in entries] == ["task", "cadence", "task", "cadence"]
    review = entries[1]
    assert review.kind == "cadence:business_review"
    assert review.title == "Business review with Northwind Traders"
    assert review.account == personas.account
    assert review.url == reverse("communications:account_cadence", args=[personas.account.pk])
    assert entries[0].url == entries[0].obj.get_absolute_url()
    assert len({entry.uid for entry in entries}) == 4


def test_same_day_entries_have_a_stable_order(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, CadenceKind.CHECK_IN, TODAY)
    task(personas, "zebra", TODAY)
    task(personas, "Alpha", TODAY)
    titles = [entry.title for entry in window(AgendaScope(user=personas.owner))]
    assert titles == ["Check-in with Northwind Traders", "Alpha", "zebra"]


def test_a_start_date_leaves_out_what_is_older(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, CadenceKind.CHECK_IN, TODAY - datetime.timedelta(days=1))
    task(personas, "Later", TODAY + datetime.timedelta(days=40))
    task(personas, "Inside", TODAY)
    entries = window(
        AgendaScope(user=personas.owner), start=TODAY, end=TODAY + datetime.timedelta(days=39)
    )
    assert [entry.title for entry in entries] == ["Inside"]


def test_only_open_tasks_with_a_due_date_count(personas: Personas) -> None:
    park_all_rules()
    task(personas, "No date", None)
    task(personas, "Done already", TODAY, status=TaskStatus.DONE, completed_at=NOON)
    task(personas, "Still open", TODAY)
    assert [entry.title for entry in window(AgendaScope(user=personas.owner))] == ["Still open"]


def test_mine_means_my_accounts_and_my_tasks(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, CadenceKind.CHECK_IN, TODAY)
    due(personas.other_account, CadenceKind.CHECK_IN, TODAY)
    task(personas, "Theirs", TODAY, assignee=personas.outsider, account=personas.other_account)
    task(personas, "Mine on their account", TODAY, account=personas.other_account)
    owner_titles = [entry.title for entry in window(AgendaScope(user=personas.owner))]
    assert owner_titles == ["Check-in with Northwind Traders", "Mine on their account"]
    # A team member sees the cadences of the accounts whose team they are on.
    teammate_entries = window(AgendaScope(user=personas.teammate))
    assert [entry.account for entry in teammate_entries] == [personas.account]


def test_heads_see_an_owner_or_the_whole_book(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, CadenceKind.CHECK_IN, TODAY)
    due(personas.other_account, CadenceKind.CHECK_IN, TODAY)
    task(personas, "Theirs", TODAY, assignee=personas.outsider, account=personas.other_account)
    of_outsider = window(AgendaScope(user=personas.head, owner=personas.outsider))
    assert [entry.title for entry in of_outsider] == ["Check-in with Contoso", "Theirs"]
    whole = window(AgendaScope(user=personas.head, whole_book=True))
    assert {entry.title for entry in whole} == {
        "Check-in with Contoso",
        "Check-in with Northwind Traders",
        "Theirs",
    }


def test_others_asking_for_the_book_get_their_own(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, CadenceKind.CHECK_IN, TODAY)
    due(personas.other_account, CadenceKind.CHECK_IN, TODAY)
    entries = window(AgendaScope(user=personas.owner, whole_book=True))
    assert [entry.account for entry in entries] == [personas.account]
    entries = window(AgendaScope(user=personas.owner, owner=personas.outsider))
    assert [entry.account for entry in entries] == [personas.account]


def test_tier_narrows_cadences_and_tasks(personas: Personas) -> None:
    key_account = AccountFactory(name="Key client", owner=personas.owner, tier=Tier.KEY)
    park_all_rules()
    due(personas.account, CadenceKind.CHECK_IN, TODAY)
    due(key_account, CadenceKind.CHECK_IN, TODAY)
    task(personas, "On the key account", TODAY, account=key_account)
    task(personas, "On no account", TODAY, account=None)
    entries = window(AgendaScope(user=personas.owner, tier=Tier.KEY))
    assert [entry.title for entry in entries] == ["Check-in with Key client", "On the key account"]


def test_archived_accounts_leave_the_agenda(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, CadenceKind.CHECK_IN, TODAY)
    personas.account.is_archived = True
    personas.account.save()
    assert window(AgendaScope(user=personas.head, whole_book=True)) == []


def test_limit_keeps_the_earliest(personas: Personas) -> None:
    park_all_rules()
    for day in range(5):
        task(personas, f"Task {day}", TODAY + datetime.timedelta(days=day))
    entries = window(AgendaScope(user=personas.owner), limit=3)
    assert [entry.title for entry in entries] == ["Task 0", "Task 1", "Task 2"]


def test_a_registered_source_joins_the_agenda(personas: Personas) -> None:
    class Milestones:
        name = "milestone"

        def entries(self, *, scope, start, end, today, limit):  # type: ignore[no-untyped-def]
            return [
                AgendaEntry(
                    date=TODAY,
                    kind="milestone",
                    label="Milestone",
                    title="Go-live",
                    url="/somewhere/",
                    state=agenda.state_on(TODAY, today),
                    uid="milestone-1",
                )
            ]

    park_all_rules()
    agenda.register(Milestones())
    try:
        entries = window(AgendaScope(user=personas.owner))
    finally:
        agenda._sources.pop("milestone")
    assert [entry.title for entry in entries] == ["Go-live"]


def test_query_count_does_not_grow_with_entries(
    personas: Personas, django_assert_num_queries
) -> None:
    park_all_rules()
    for number in range(6):
        account = AccountFactory(owner=personas.owner)
        due(account, CadenceKind.CHECK_IN, TODAY + datetime.timedelta(days=number))
        task(personas, f"Task {number}", TODAY, account=account)
    # One query a source: the two built in, and any a later capability registered.
    with django_assert_num_queries(len(agenda.sources())):
        entries = window(AgendaScope(user=personas.owner))
        assert all(entry.account is not None and entry.account.name for entry in entries)
    assert len(entries) == 12
