"""The periodic job: onboarding for new accounts, renewals from reference dates, never twice."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable

import pytest
from django.core.management import call_command
from django.utils import timezone

from rapport.accounts.choices import Segment
from rapport.accounts.models import Account
from rapport.core.tests.factories import AccountFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.roadmaps import automation, tasks
from rapport.roadmaps.choices import Anchor, ItemKind, PlaybookKind, RoadmapStatus
from rapport.roadmaps.models import (
    AutomationRun,
    Playbook,
    PlaybookItem,
    PlaybookPhase,
    Roadmap,
)
from rapport.roadmaps.services import on_working_day
from rapport.users.choices import Role

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 3)  # a Wednesday
NOW = datetime.datetime(2026, 6, 3, 4, 0, tzinfo=datetime.UTC)


def playbook(name: str, kind: str = PlaybookKind.ONBOARDING, **extra: object) -> Playbook:
    book = Playbook.objects.create(name=name, kind=kind, **extra)
    phase = PlaybookPhase.objects.create(playbook=book, name="First steps")
    anchor = Anchor.REFERENCE if book.uses_reference else Anchor.START
    offset = -90 if book.uses_reference else 7
    PlaybookItem.objects.create(
        phase=phase,
        kind=ItemKind.MILESTONE,
        title="First milestone",
        anchor=anchor,
        offset_days=offset,
    )
    return book


def created(account: Account, days_ago: int) -> Account:
    Account.objects.filter(pk=account.pk).update(created_at=NOW - datetime.timedelta(days=days_ago))
    return Account.objects.get(pk=account.pk)


@pytest.fixture
def defaults(db: None) -> dict[str, Playbook]:
    """The onboarding playbooks Rapport ships (a data migration installs them)."""
    return {
        "mid": Playbook.objects.get(name="Mid-market onboarding"),
        "enterprise": Playbook.objects.get(name="Enterprise onboarding"),
    }


def retire(kind: str) -> None:
    Playbook.objects.filter(kind=kind).update(is_active=False)


@pytest.fixture(autouse=True)
def no_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry ships empty; each test registers its own sources."""
    monkeypatch.setattr(automation, "_sources", {})


def test_a_new_account_starts_its_segments_onboarding(
    personas: Personas, defaults: dict[str, Playbook]
) -> None:
    enterprise = created(
        AccountFactory(name="Big Co", owner=personas.owner, segment=Segment.ENTERPRISE), 3
    )
    mid = created(AccountFactory(name="Mid Co", owner=personas.owner), 10)
    # The personas' accounts were created just now (after NOW): they are new too.
    Account.objects.filter(pk__in=[personas.account.pk, personas.other_account.pk]).update(
        created_at=NOW - datetime.timedelta(days=60)
    )

    report = automation.run_automation(now=NOW)

    started = {outcome.account.pk: outcome.roadmap for outcome in report.started}
    assert set(started) == {enterprise.pk, mid.pk}
    big_roadmap = Roadmap.objects.get(account=enterprise)
    assert big_roadmap.playbook == defaults["enterprise"]
    assert big_roadmap.start_date == timezone.localdate(enterprise.created_at)
    assert big_roadmap.created_by == personas.owner
    assert big_roadmap.kind == PlaybookKind.ONBOARDING
    assert Roadmap.objects.get(account=mid).playbook == defaults["mid"]
    runs = AutomationRun.objects.filter(playbook_kind=PlaybookKind.ONBOARDING)
    assert {(run.account_id, run.roadmap_id, run.reference_date) for run in runs} == {
        (enterprise.pk, big_roadmap.pk, None),
        (mid.pk, Roadmap.objects.get(account=mid).pk, None),
    }
    assert report.skipped == []


def test_running_twice_starts_nothing_twice(personas: Personas, defaults: dict) -> None:
    Account.objects.update(created_at=NOW - datetime.timedelta(days=60))
    account = created(AccountFactory(owner=personas.owner), 1)
    first = automation.run_automation(now=NOW)
    assert [outcome.account for outcome in first.started] == [account]
    count = Roadmap.objects.count()

    second = automation.run_automation(now=NOW)
    assert second.started == []
    assert Roadmap.objects.count() == count
    assert AutomationRun.objects.filter(account=account).count() == 1
    # Even when the roadmap is cancelled later, the job does not start it again.
    Roadmap.objects.filter(account=account).update(status=RoadmapStatus.CANCELLED)
    assert automation.run_automation(now=NOW).started == []


def test_old_accounts_and_accounts_already_onboarding_are_left_alone(
    personas: Personas, defaults: dict
) -> None:
    Account.objects.update(created_at=NOW - datetime.timedelta(days=31))
    onboarding = created(AccountFactory(owner=personas.owner), 2)
    Roadmap.objects.create(
        account=onboarding, name="By hand", kind=PlaybookKind.ONBOARDING, start_date=TODAY
    )
    archived = created(AccountFactory(owner=personas.owner, is_archived=True), 2)

    report = automation.run_automation(now=NOW)

    assert report.started == [] and report.skipped == []
    assert not Roadmap.objects.filter(account=archived).exists()


def test_any_onboarding_playbook_stands_in_for_a_missing_default(personas: Personas) -> None:
    Account.objects.update(created_at=NOW - datetime.timedelta(days=60))
    retire(PlaybookKind.ONBOARDING)
    playbook("Retired onboarding", is_active=False)
    fallback = playbook("Our own onboarding")
    account = created(AccountFactory(owner=personas.owner, segment=Segment.ENTERPRISE), 1)

    automation.run_automation(now=NOW)

    assert Roadmap.objects.get(account=account).playbook == fallback


def test_without_an_onboarding_playbook_nothing_starts(personas: Personas) -> None:
    Account.objects.update(created_at=NOW - datetime.timedelta(days=60))
    retire(PlaybookKind.ONBOARDING)
    account = created(AccountFactory(owner=personas.owner), 1)

    report = automation.run_automation(now=NOW)

    assert report.started == []
    [skipped] = report.skipped
    assert skipped.account == account
    assert "No onboarding playbook" in skipped.note
    assert not AutomationRun.objects.exists()


def test_an_account_without_an_active_manager_waits_for_one(
    personas: Personas, defaults: dict
) -> None:
    Account.objects.update(created_at=NOW - datetime.timedelta(days=60))
    left = UserFactory(role=Role.ACCOUNT_MANAGER, is_active=False)
    orphan = created(AccountFactory(name="Orphan", owner=None), 1)
    abandoned = created(AccountFactory(name="Abandoned", owner=left), 1)

    report = automation.run_automation(now=NOW)

    assert report.started == []
    notes = {outcome.account.pk: outcome.note for outcome in report.skipped}
    assert "no account manager" in notes[orphan.pk]
    assert "needs an owner" in notes[abandoned.pk]
    assert not AutomationRun.objects.exists()

    Account.objects.filter(pk=orphan.pk).update(owner=personas.outsider)
    again = automation.run_automation(now=NOW)
    assert [outcome.account.pk for outcome in again.started] == [orphan.pk]
    assert Roadmap.objects.get(account=orphan).created_by == personas.outsider


class ContractEnds:
    """A stand-in for the revenue capability's source of contract end dates."""

    name = "test-contracts"
    playbook_kind = PlaybookKind.RENEWAL

    def __init__(self, ends: list[tuple[Account, datetime.date]]) -> None:
        self.ends = ends
        self.asked: list[tuple[datetime.date, datetime.date]] = []

    def dates(
        self, *, today: datetime.date, until: datetime.date
    ) -> Iterable[tuple[Account, datetime.date]]:
        self.asked.append((today, until))
        return list(self.ends)


def test_a_contract_end_within_the_lead_time_starts_the_renewal(personas: Personas) -> None:
    renewal = playbook(
        "Our renewal", kind=PlaybookKind.RENEWAL, reference_label="contract end", lead_days=120
    )
    # The shipped renewal playbook is older: retired, so that ours runs.
    Playbook.objects.filter(kind=PlaybookKind.RENEWAL).exclude(pk=renewal.pk).update(
        is_active=False
    )
    soon = TODAY + datetime.timedelta(days=100)
    later = TODAY + datetime.timedelta(days=200)
    past = TODAY - datetime.timedelta(days=1)
    third = AccountFactory(owner=personas.owner)
    Account.objects.update(created_at=NOW - datetime.timedelta(days=60))
    source = ContractEnds(
        [(personas.account, soon), (personas.other_account, later), (third, past)]
    )
    automation.register(source)
    assert automation.sources() == [source]

    report = automation.run_automation(today=TODAY, now=NOW)

    assert source.asked == [(TODAY, TODAY + datetime.timedelta(days=120))]
    [outcome] = report.started
    assert (outcome.account, outcome.reference_date) == (personas.account, soon)
    roadmap = Roadmap.objects.get(account=personas.account)
    assert (roadmap.playbook, roadmap.kind) == (renewal, PlaybookKind.RENEWAL)
    assert roadmap.reference_date == soon
    # Learnt of 100 days ahead, with a 120-day lead: the journey starts today.
    assert roadmap.start_date == TODAY
    assert roadmap.items.get().due_on == on_working_day(soon - datetime.timedelta(days=90))
    assert AutomationRun.objects.get(account=personas.account).reference_date == soon

    # Twice: nothing more. A new contract end for the same account: a new renewal.
    assert automation.run_automation(today=TODAY, now=NOW).started == []
    source.ends.append((personas.account, soon + datetime.timedelta(days=10)))
    third_run = automation.run_automation(today=TODAY, now=NOW)
    assert [outcome.reference_date for outcome in third_run.started] == [
        soon + datetime.timedelta(days=10)
    ]
    assert Roadmap.objects.filter(account=personas.account).count() == 2


def test_a_renewal_started_by_hand_is_not_started_again(personas: Personas) -> None:
    Account.objects.update(created_at=NOW - datetime.timedelta(days=60))
    end = TODAY + datetime.timedelta(days=60)
    Roadmap.objects.create(
        account=personas.account,
        name="Renewal 2026",
        kind=PlaybookKind.RENEWAL,
        start_date=TODAY,
        reference_date=end,
    )
    automation.register(ContractEnds([(personas.account, end)]))

    assert automation.run_automation(today=TODAY, now=NOW).started == []


def test_a_source_without_a_playbook_starts_nothing(personas: Personas) -> None:
    Account.objects.update(created_at=NOW - datetime.timedelta(days=60))
    retire(PlaybookKind.RENEWAL)
    source = ContractEnds([(personas.account, TODAY + datetime.timedelta(days=10))])
    automation.register(source)

    report = automation.run_automation(today=TODAY, now=NOW)

    assert report.started == [] and source.asked == []


def test_the_command_runs_the_job_once(personas: Personas, defaults: dict) -> None:
    Account.objects.update(created_at=timezone.now() - datetime.timedelta(days=60))
    account = AccountFactory(name="Fresh Co", owner=personas.owner)
    out = io.StringIO()

    call_command("start_playbooks", stdout=out)

    assert "Fresh Co" in out.getvalue()
    assert "1 started, 0 skipped." in out.getvalue()
    out = io.StringIO()
    call_command("start_playbooks", stdout=out)
    assert "0 started, 0 skipped." in out.getvalue()
    assert Roadmap.objects.filter(account=account).count() == 1


def test_the_nightly_task_calls_the_job(personas: Personas, defaults: dict) -> None:
    Account.objects.update(created_at=timezone.now() - datetime.timedelta(days=60))
    account = AccountFactory(owner=personas.owner)

    result = tasks.start_playbooks.call_local()

    assert result == 1
    assert Roadmap.objects.filter(account=account).exists()
