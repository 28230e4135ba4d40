"""The nightly renewals job, the notice reminders, and where renewals show up elsewhere.

The job opens one renewal per contract ending within the lead time, worth what is in force on
the contract's last day, and opens nothing more when run again; tacit renewals get a reminder
before their notice date, once. Renewals then appear on the account timeline, on the calendar,
and start the renewal playbook.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django.fixtures import Settings

from rapport.accounts.models import Account
from rapport.communications import agenda
from rapport.communications.agenda import AgendaScope
from rapport.communications.models import Task
from rapport.communications.timeline import TimelineFilters, account_timeline
from rapport.core.tests.factories import AccountFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.revenue import services
from rapport.revenue.choices import ContractStatus, LossReason, OpportunityType
from rapport.revenue.models import Contract, Opportunity
from rapport.revenue.sources import ContractEnds, OpportunityEvents
from rapport.revenue.tests import factories
from rapport.roadmaps import automation
from rapport.roadmaps.choices import PlaybookKind
from rapport.roadmaps.models import Playbook, Roadmap
from rapport.users.choices import Role

pytestmark = pytest.mark.django_db


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


def ending_in(account: Account, number: int, **data: object) -> Contract:
    """A one-year-ish contract whose last day is ``number`` days from today."""
    end = days(number)
    return factories.contract(
        account=account, start=end - datetime.timedelta(days=364), end=end, **data
    )


def next_year(contract: Contract) -> int:
    """The year the next term starts, which names the renewal."""
    return (contract.end_date + datetime.timedelta(days=1)).year


def renewals() -> list[Opportunity]:
    return list(Opportunity.objects.filter(type=OpportunityType.RENEWAL).order_by("close_date"))


# The job ---------------------------------------------------------------------------------------


def test_one_renewal_per_contract_ending_within_the_lead_time(personas: Personas) -> None:
    factories.pipeline()
    soon = ending_in(personas.account, 30, reference="Soon")
    last_day = ending_in(personas.account, 120, reference="Last day in reach")
    ending_in(personas.account, 121, reference="Not yet")

    opened = services.renewals_open()

    assert sorted(row.contract_id for row in opened) == [soon.pk, last_day.pk]
    assert [(row.contract_id, row.close_date) for row in renewals()] == [
        (soon.pk, soon.end_date),
        (last_day.pk, last_day.end_date),
    ]


def test_the_lead_time_is_a_setting(personas: Personas, settings: Settings) -> None:
    factories.pipeline()
    settings.RAPPORT_RENEWAL_LEAD_DAYS = 30
    soon = ending_in(personas.account, 30)
    ending_in(personas.account, 31)

    opened = services.renewals_open()

    assert [row.contract_id for row in opened] == [soon.pk]


def test_the_renewal_is_worth_what_is_in_force_on_the_last_day(personas: Personas) -> None:
    factories.pipeline()
    licence = factories.product("Platform licence")
    support = factories.product("Premium support", family_name="Services")
    contract = ending_in(
        personas.account,
        60,
        lines=[factories.line(licence, 10, 100), factories.line(support, 1, 400)],
    )
    services.contract_amend(
        contract=contract,
        acting_user=personas.owner,
        effective_date=days(-30),
        reason="More seats, no support",
        lines=[factories.line(licence, 12, 100)],
    )

    (renewal,) = services.renewals_open()

    assert renewal.amount == Decimal("1200.00")
    assert renewal.amount_company == Decimal("1200.00")
    assert [(line.product, line.quantity) for line in renewal.lines.all()] == [
        (licence, Decimal(12))
    ]
    assert renewal.close_date == contract.end_date
    assert renewal.owner == personas.owner
    assert renewal.created_by is None
    assert renewal.stage.name == "Qualification"
    assert renewal.name == f"Renewal {next_year(contract)} – Northwind Traders"


def test_a_foreign_contract_renews_in_its_currency(personas: Personas) -> None:
    factories.pipeline()
    factories.rate("USD", days(-800), "0.90")
    ending_in(personas.account, 60, currency="USD")

    (renewal,) = services.renewals_open()

    assert (renewal.currency, renewal.amount, renewal.amount_company) == (
        "USD",
        Decimal("1000.00"),
        Decimal("900.00"),
    )


@pytest.mark.parametrize("who", ["inactive", "read_only"])
def test_a_manager_who_cannot_own_it_leaves_the_renewal_without_owner(who: str) -> None:
    factories.pipeline()
    if who == "inactive":
        manager = UserFactory(role=Role.ACCOUNT_MANAGER, is_active=False)
    else:
        manager = UserFactory(role=Role.READ_ONLY)
    account = AccountFactory(name="Orphan Ltd", owner=manager)
    ending_in(account, 60, acting_user=manager)

    (renewal,) = services.renewals_open()

    assert renewal.owner is None


def test_running_the_job_twice_opens_nothing_more(personas: Personas) -> None:
    factories.pipeline()
    ending_in(personas.account, 30)
    ending_in(personas.other_account, 90)

    first = services.renewals_open()
    second = services.renewals_open()

    assert len(first) == 2
    assert second == []
    assert Opportunity.objects.count() == 2


def test_a_renewal_opened_by_hand_is_not_opened_again(personas: Personas) -> None:
    contract = ending_in(personas.account, 30)
    factories.opportunity(
        account=personas.account,
        type=OpportunityType.RENEWAL,
        contract=contract,
        close_date=contract.end_date,
    )

    assert services.renewals_open() == []
    assert Opportunity.objects.count() == 1


def test_contracts_no_longer_live_are_skipped(personas: Personas) -> None:
    factories.pipeline()
    cancelled = ending_in(personas.account, 30, reference="Cancelled")
    services.contract_set_status(
        contract=cancelled, acting_user=personas.owner, status=ContractStatus.CANCELLED
    )
    churned = ending_in(personas.account, 40, reference="Churned")
    services.contract_set_status(
        contract=churned,
        acting_user=personas.owner,
        status=ContractStatus.CHURNED,
        churn_reason=LossReason.BUDGET,
    )
    renewed = ending_in(personas.account, 50, reference="Renewed")
    Contract.objects.filter(pk=renewed.pk).update(status=ContractStatus.RENEWED)
    live = ending_in(personas.account, 60, reference="Live")

    opened = services.renewals_open()

    assert [row.contract_id for row in opened] == [live.pk]


def test_the_command_prints_what_it_opened_and_is_idempotent(personas: Personas) -> None:
    factories.pipeline()
    contract = ending_in(personas.account, 45)
    out = io.StringIO()

    call_command("open_renewals", stdout=out)

    printed = out.getvalue()
    assert f"Opened “Renewal {next_year(contract)} – Northwind Traders”" in printed
    assert "1 renewals opened (120 days ahead), 0 notice reminders." in printed
    out = io.StringIO()
    call_command("open_renewals", stdout=out)
    assert "0 renewals opened (120 days ahead), 0 notice reminders." in out.getvalue()
    assert Opportunity.objects.count() == 1


# Notice reminders --------------------------------------------------------------------------------


def tacit(account: Account, *, ends_in: int, notice_days: int = 60) -> Contract:
    return ending_in(account, ends_in, auto_renew=True, notice_days=notice_days)


def test_a_reminder_goes_to_the_manager_before_the_notice_date_once(personas: Personas) -> None:
    contract = tacit(personas.account, ends_in=80)  # notice date in 20 days
    tacit(personas.account, ends_in=100)  # notice date in 40 days: not yet

    reminded = services.notice_reminders_create()
    again = services.notice_reminders_create()

    assert [row.pk for row in reminded] == [contract.pk]
    assert again == []
    task = Task.objects.get()
    assert (task.assignee, task.account, task.due_on) == (
        personas.owner,
        personas.account,
        days(20),
    )
    assert "remind the client" in task.title
    assert Contract.objects.get(pk=contract.pk).notice_reminder == task


def test_the_reminder_comes_when_the_notice_date_comes_within_reach(personas: Personas) -> None:
    contract = tacit(personas.account, ends_in=100)  # notice date in 40 days

    assert services.notice_reminders_create() == []
    later = services.notice_reminders_create(today=days(10))

    assert [row.pk for row in later] == [contract.pk]
    assert Task.objects.get().due_on == days(40)


def test_no_reminder_once_the_client_was_notified(personas: Personas) -> None:
    contract = tacit(personas.account, ends_in=80)
    services.contract_record_notice(
        contract=contract, acting_user=personas.owner, notified_on=days(-1)
    )

    assert services.notice_reminders_create() == []
    assert not Task.objects.exists()


def test_the_reminder_window_is_a_setting(personas: Personas, settings: Settings) -> None:
    settings.RAPPORT_NOTICE_REMINDER_DAYS = 10
    tacit(personas.account, ends_in=80)  # notice date in 20 days

    assert services.notice_reminders_create() == []


# Renewals elsewhere ----------------------------------------------------------------------------


def test_renewals_and_opportunities_show_on_the_account_timeline(personas: Personas) -> None:
    factories.pipeline()
    contract = ending_in(personas.account, 60)
    (renewal,) = services.renewals_open()
    upsell = factories.opportunity(account=personas.account, close_date=days(10))
    factories.opportunity(account=personas.other_account, close_date=days(20))

    page = account_timeline(account=personas.account)
    ours = [(event.kind, event.obj) for event in page.events if event.source == "opportunity"]

    assert ours == [("renewal", renewal), ("opportunity", upsell)]
    assert page.events[0].when.date() == contract.end_date
    only_renewals = account_timeline(
        account=personas.account, filters=TimelineFilters(kinds=frozenset({"renewal"}))
    )
    assert [event.obj for event in only_renewals.events] == [renewal]
    assert (
        OpportunityEvents().events(
            account=personas.account,
            filters=TimelineFilters(user_id=personas.outsider.pk),
            before=None,
            limit=10,
        )
        == []
    )


def test_close_dates_and_notice_dates_are_on_the_calendar(personas: Personas) -> None:
    factories.pipeline()
    contract = tacit(personas.account, ends_in=80)
    (renewal,) = services.renewals_open()
    upsell = factories.opportunity(account=personas.account, close_date=days(5))

    entries = agenda.entries(scope=AgendaScope(user=personas.owner), start=days(0), end=days(90))
    revenue = [
        (entry.kind, entry.date, entry.url)
        for entry in entries
        if entry.source in ("opportunity", "notice")
    ]

    assert revenue == [
        ("opportunity:opportunity", days(5), upsell.get_absolute_url()),
        ("notice", days(20), contract.get_absolute_url()),
        ("opportunity:renewal", days(80), renewal.get_absolute_url()),
    ]
    # Someone with no link to the account sees none of it.
    theirs = agenda.entries(scope=AgendaScope(user=personas.outsider), start=days(0), end=days(90))
    assert [entry for entry in theirs if entry.source in ("opportunity", "notice")] == []


def test_a_contract_ending_soon_starts_the_renewal_playbook(personas: Personas) -> None:
    playbook = Playbook.objects.get(name="Renewal", kind=PlaybookKind.RENEWAL)
    assert playbook.lead_days == 120
    contract = ending_in(personas.account, 100)
    ending_in(personas.other_account, 150)  # beyond the playbook's lead time

    report = automation.run_automation(today=days(0))
    renewals_started = [
        outcome for outcome in report.started if outcome.playbook_kind == PlaybookKind.RENEWAL
    ]

    assert [(outcome.account, outcome.reference_date) for outcome in renewals_started] == [
        (personas.account, contract.end_date)
    ]
    roadmap = Roadmap.objects.get(account=personas.account, kind=PlaybookKind.RENEWAL)
    assert roadmap.reference_date == contract.end_date
    again = automation.run_automation(today=days(0))
    assert [o for o in again.started if o.playbook_kind == PlaybookKind.RENEWAL] == []
    assert list(ContractEnds().dates(today=days(0), until=days(120))) == [
        (personas.account, contract.end_date)
    ]
