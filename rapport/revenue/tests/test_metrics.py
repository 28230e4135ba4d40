"""The retention metrics against figures computed by hand (docs/revenue-metrics.md).

The worked example of the docs is built through the services, so every line, amendment, renewal
and converted value is what the product itself stores; each expected figure is written here as a
literal worked out on paper, never recomputed by the formula under test.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pytest_django import DjangoAssertNumQueries

from rapport.accounts.choices import Segment, Tier
from rapport.accounts.models import Account
from rapport.core.tests.factories import AccountFactory, UserFactory
from rapport.revenue import services
from rapport.revenue.choices import ContractStatus, ForecastCategory, OpportunityType
from rapport.revenue.metrics import (
    FORECAST_COLUMNS,
    BridgeMonth,
    ForecastMonth,
    MetricsFilter,
    RetentionReport,
    arr_at,
    arr_by_account,
    arr_series,
    month_end,
    months_between,
    mrr_at,
    renewal_forecast,
    retention,
    snapshot_days,
)
from rapport.revenue.models import Contract, ContractLine, Opportunity, Product
from rapport.revenue.tests import factories
from rapport.users.choices import Role
from rapport.users.models import User

pytestmark = pytest.mark.django_db


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@dataclass
class Book:
    """The worked example: five accounts, two account managers, January to April 2025."""

    head: User
    first_manager: User
    second_manager: User
    alder: Account
    birch: Account
    cedar: Account
    dogwood: Account
    elm: Account
    platform: Product
    analytics: Product
    support: Product
    alder_contract: Contract
    birch_first_term: Contract
    birch_second_term: Contract
    cedar_contract: Contract
    dogwood_contract: Contract
    dogwood_cancelled: Contract
    elm_first_term: Contract
    elm_second_term: Contract
    alder_upsell: Opportunity


def build_book() -> Book:
    factories.pipeline()
    head = UserFactory(email="head@example.com", role=Role.HEAD_OF_ACCOUNT_MANAGEMENT)
    first_manager = UserFactory(email="first@example.com", role=Role.ACCOUNT_MANAGER)
    second_manager = UserFactory(email="second@example.com", role=Role.ACCOUNT_MANAGER)
    alder = AccountFactory(
        name="Alder", owner=first_manager, tier=Tier.STRATEGIC, segment=Segment.ENTERPRISE
    )
    birch = AccountFactory(
        name="Birch", owner=first_manager, tier=Tier.KEY, segment=Segment.ENTERPRISE
    )
    cedar = AccountFactory(
        name="Cedar", owner=first_manager, tier=Tier.GROWTH, segment=Segment.MID_MARKET
    )
    dogwood = AccountFactory(
        name="Dogwood", owner=second_manager, tier=Tier.GROWTH, segment=Segment.SMALL_BUSINESS
    )
    elm = AccountFactory(
        name="Elm", owner=second_manager, tier=Tier.KEY, segment=Segment.MID_MARKET
    )
    platform = factories.product("Platform licence", family_name="Platform", list_price=1200)
    analytics = factories.product("Analytics add-on", family_name="Analytics", list_price=1200)
    support = factories.product("Support plan", family_name="Services", list_price=6000)
    factories.rate("USD", day("2024-01-01"), "0.90")

    # Alder: 10 seats, then an upsell won on 20 February and recorded from 1 March: 15 seats.
    alder_contract = factories.contract(
        account=alder,
        start=day("2024-01-01"),
        end=day("2025-12-31"),
        lines=[factories.line(platform, 10, 1200)],
        acting_user=head,
    )
    alder_upsell = factories.opportunity(
        account=alder,
        type=OpportunityType.UPSELL,
        close_date=day("2025-02-20"),
        amount=6000,
        acting_user=head,
    )
    alder_upsell = services.opportunity_win(
        opportunity=alder_upsell, acting_user=head, closed_on=day("2025-02-20")
    )
    services.contract_amend(
        contract=alder_contract,
        acting_user=head,
        effective_date=day("2025-03-01"),
        reason="Five more seats, as won on 20 February.",
        lines=[factories.line(platform, 15, 1200)],
    )

    # Birch: 20 seats, cut to 15 from 1 February, renewed from 1 April at a higher price.
    birch_first_term = factories.contract(
        account=birch,
        start=day("2024-04-01"),
        end=day("2025-03-31"),
        lines=[factories.line(platform, 20, 1200)],
        acting_user=head,
    )
    services.contract_amend(
        contract=birch_first_term,
        acting_user=head,
        effective_date=day("2025-02-01"),
        reason="Five seats fewer after a reorganisation.",
        lines=[factories.line(platform, 15, 1200)],
    )

    # Cedar: a new client in January, billed in US dollars (0.90 then, 0.95 from 1 March).
    cedar_contract = factories.contract(
        account=cedar,
        start=day("2025-01-20"),
        end=day("2026-01-19"),
        currency="USD",
        lines=[factories.line(platform, 10, 1000)],
        acting_user=head,
    )
    factories.rate("USD", day("2025-03-01"), "0.95")

    # Dogwood: its renewal is lost on 25 January; a next term typed in by mistake is cancelled.
    dogwood_contract = factories.contract(
        account=dogwood,
        start=day("2024-02-01"),
        end=day("2025-01-31"),
        lines=[factories.line(support, 1, 6000)],
        acting_user=head,
    )
    dogwood_cancelled = factories.contract(
        account=dogwood,
        start=day("2025-02-01"),
        end=day("2026-01-31"),
        lines=[factories.line(support, 1, 5000)],
        acting_user=head,
    )
    services.contract_set_status(
        contract=dogwood_cancelled, acting_user=head, status=ContractStatus.CANCELLED
    )
    dogwood_renewal = services.renewal_open(contract=dogwood_contract)
    assert dogwood_renewal is not None
    services.opportunity_lose(
        opportunity=dogwood_renewal,
        acting_user=head,
        loss_reason="budget",
        closed_on=day("2025-01-25"),
    )

    # Elm: its term ends on 15 January; it comes back on 10 March with three seats of four.
    elm_first_term = factories.contract(
        account=elm,
        start=day("2024-01-16"),
        end=day("2025-01-15"),
        lines=[factories.line(analytics, 4, 1200)],
        acting_user=head,
    )
    elm_second_term = factories.contract(
        account=elm,
        start=day("2025-03-10"),
        end=day("2026-03-09"),
        lines=[factories.line(analytics, 3, 1200)],
        acting_user=head,
    )

    # Birch renews: won on 20 March at 1,320 a seat; the next term starts on 1 April.
    birch_renewal = services.renewal_open(contract=birch_first_term)
    assert birch_renewal is not None
    birch_renewal = services.opportunity_update(
        opportunity=birch_renewal,
        acting_user=head,
        data={},
        expected_version=None,
        lines=[factories.line(platform, 15, 1320)],
    )
    birch_renewal = services.opportunity_win(
        opportunity=birch_renewal, acting_user=head, closed_on=day("2025-03-20")
    )
    assert birch_renewal.next_contract is not None
    birch_second_term = birch_renewal.next_contract

    # The renewals still open, one per forecast category.
    services.renewal_open(contract=alder_contract, stage=factories.stage("Commit"))
    services.renewal_open(contract=cedar_contract)
    services.renewal_open(contract=elm_second_term, stage=factories.stage("Negotiation"))
    birch_next = services.renewal_open(contract=birch_second_term)
    assert birch_next is not None
    services.opportunity_update(
        opportunity=birch_next,
        acting_user=head,
        data={"forecast_category": ForecastCategory.OMITTED},
        expected_version=None,
    )
    return Book(
        head=head,
        first_manager=first_manager,
        second_manager=second_manager,
        alder=alder,
        birch=birch,
        cedar=cedar,
        dogwood=dogwood,
        elm=elm,
        platform=platform,
        analytics=analytics,
        support=support,
        alder_contract=alder_contract,
        birch_first_term=birch_first_term,
        birch_second_term=birch_second_term,
        cedar_contract=cedar_contract,
        dogwood_contract=dogwood_contract,
        dogwood_cancelled=dogwood_cancelled,
        elm_first_term=elm_first_term,
        elm_second_term=elm_second_term,
        alder_upsell=alder_upsell,
    )


@pytest.fixture
def book(db: None) -> Book:
    return build_book()


def row(month: BridgeMonth) -> tuple[object, ...]:
    """A bridge month: its month, starting, new, reactivation, expansion, contraction, churn and
    ending ARR, then its new, reactivated and churned logos."""
    return (
        month.month.strftime("%Y-%m"),
        month.starting,
        month.new,
        month.reactivation,
        month.expansion,
        month.contraction,
        month.churn,
        month.ending,
        month.new_logos,
        month.reactivated_logos,
        month.churned_logos,
    )


def rates(report: RetentionReport) -> tuple[str, str, str]:
    return (
        str(report.gross_revenue_retention),
        str(report.net_revenue_retention),
        str(report.logo_retention),
    )


def cohort(report: RetentionReport) -> tuple[object, ...]:
    """The cohort's starting, retained (capped) and ending ARR, its logos and those kept."""
    return (
        report.cohort_arr,
        report.cohort_retained_arr,
        report.cohort_ending_arr,
        report.cohort_logos,
        report.retained_logos,
    )


# What the services stored --------------------------------------------------------------------


def test_the_example_stores_what_the_docs_say(book: Book) -> None:
    values = {
        (line.contract.account.name, line.start_date.isoformat(), line.end_date.isoformat()): str(
            line.annual_value_company
        )
        for line in ContractLine.objects.select_related("contract__account")
    }
    assert values == {
        ("Alder", "2024-01-01", "2025-02-28"): "12000.00",
        ("Alder", "2025-03-01", "2025-12-31"): "18000.00",
        ("Birch", "2024-04-01", "2025-01-31"): "24000.00",
        ("Birch", "2025-02-01", "2025-03-31"): "18000.00",
        ("Birch", "2025-04-01", "2026-03-31"): "19800.00",
        ("Cedar", "2025-01-20", "2026-01-19"): "9000.00",
        ("Dogwood", "2024-02-01", "2025-01-31"): "6000.00",
        ("Dogwood", "2025-02-01", "2026-01-31"): "5000.00",
        ("Elm", "2024-01-16", "2025-01-15"): "4800.00",
        ("Elm", "2025-03-10", "2026-03-09"): "3600.00",
    }
    assert book.cedar_contract.lines.get().annual_value == Decimal("10000.00")
    assert book.birch_second_term.previous == book.birch_first_term
    assert Contract.objects.get(pk=book.birch_first_term.pk).status == ContractStatus.RENEWED
    assert Contract.objects.get(pk=book.dogwood_contract.pk).status == ContractStatus.CHURNED
    assert Contract.objects.get(pk=book.dogwood_cancelled.pk).status == ContractStatus.CANCELLED


# ARR and MRR on a day -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "arr", "mrr"),
    [
        ("2024-12-31", "46800.00", "3900.00"),
        ("2025-01-15", "46800.00", "3900.00"),  # Elm's last day
        ("2025-01-16", "42000.00", "3500.00"),
        ("2025-01-20", "51000.00", "4250.00"),  # Cedar's first day
        ("2025-01-31", "51000.00", "4250.00"),
        ("2025-02-28", "39000.00", "3250.00"),
        ("2025-03-09", "45000.00", "3750.00"),
        ("2025-03-10", "48600.00", "4050.00"),
        ("2025-03-31", "48600.00", "4050.00"),
        ("2025-04-01", "50400.00", "4200.00"),
        ("2025-04-30", "50400.00", "4200.00"),
        ("2023-12-31", "0.00", "0.00"),
    ],
)
def test_arr_and_mrr_on_a_day(book: Book, on: str, arr: str, mrr: str) -> None:
    assert str(arr_at(day=day(on))) == arr
    assert str(mrr_at(day=day(on))) == mrr


def test_arr_on_a_day_is_one_query(
    book: Book, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        arr_at(day=day("2025-03-31"))


def test_arr_by_account(book: Book, django_assert_num_queries: DjangoAssertNumQueries) -> None:
    ids = [book.alder.pk, book.birch.pk, book.cedar.pk, book.dogwood.pk, book.elm.pk]
    with django_assert_num_queries(1):
        figures = arr_by_account(account_ids=ids, day=day("2025-02-28"))
    assert {key: str(value) for key, value in figures.items()} == {
        book.alder.pk: "12000.00",
        book.birch.pk: "18000.00",
        book.cedar.pk: "9000.00",
    }


def test_arr_series_gives_each_month_end_in_one_query(
    book: Book, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    days = snapshot_days(day("2025-01-01"), day("2025-04-30"))
    with django_assert_num_queries(1):
        series = arr_series(days)
    assert [(on.isoformat(), str(value)) for on, value in series] == [
        ("2024-12-31", "46800.00"),
        ("2025-01-31", "51000.00"),
        ("2025-02-28", "39000.00"),
        ("2025-03-31", "48600.00"),
        ("2025-04-30", "50400.00"),
    ]
    second = MetricsFilter(owner_id=book.second_manager.pk)
    assert [str(value) for _on, value in arr_series(days, second)] == [
        "10800.00",
        "6000.00",
        "0.00",
        "3600.00",
        "3600.00",
    ]
    assert arr_series([]) == []


# The bridge ----------------------------------------------------------------------------------


def test_the_bridge_month_by_month(book: Book) -> None:
    report = retention(start=day("2025-01-01"), end=day("2025-04-30"))
    assert [row(month) for month in report.months] == [
        # month, starting, new, reactivation, expansion, contraction, churn, ending, logos ±
        ("2025-01", 46800, 9000, 0, 0, 0, 4800, 51000, 1, 0, 1),
        ("2025-02", 51000, 0, 0, 0, 6000, 6000, 39000, 0, 0, 1),
        ("2025-03", 39000, 0, 3600, 6000, 0, 0, 48600, 0, 1, 0),
        ("2025-04", 48600, 0, 0, 1800, 0, 0, 50400, 0, 0, 0),
    ]
    assert [(month.starting_logos, month.ending_logos) for month in report.months] == [
        (4, 4),
        (4, 3),
        (3, 4),
        (4, 4),
    ]
    assert [str(month.net_change) for month in report.months] == [
        "4200.00",
        "-12000.00",
        "9600.00",
        "1800.00",
    ]
    assert (str(report.starting_arr), str(report.ending_arr)) == ("46800.00", "50400.00")
    assert (str(report.starting_mrr), str(report.ending_mrr)) == ("3900.00", "4200.00")
    assert [
        str(report.total(heading))
        for heading in ("new", "reactivation", "expansion", "contraction", "churn")
    ] == ["9000.00", "3600.00", "7800.00", "6000.00", "10800.00"]


def test_retention_over_the_period(book: Book) -> None:
    report = retention(start=day("2025-01-01"), end=day("2025-04-30"))
    # Cohort: Alder, Birch, Dogwood and Elm (ARR on 31 December); Cedar came after.
    assert cohort(report) == (46800, 35400, 41400, 4, 3)
    assert rates(report) == ("75.6", "88.5", "75.0")


def test_retention_over_a_sub_period(book: Book) -> None:
    report = retention(start=day("2025-02-01"), end=day("2025-03-31"))
    assert [row(month) for month in report.months] == [
        ("2025-02", 51000, 0, 0, 0, 6000, 6000, 39000, 0, 0, 1),
        ("2025-03", 39000, 0, 3600, 6000, 0, 0, 48600, 0, 1, 0),
    ]
    # Cohort: Alder, Birch, Cedar and Dogwood (ARR on 31 January); Elm had left by then.
    assert cohort(report) == (51000, 39000, 45000, 4, 3)
    assert rates(report) == ("76.5", "88.2", "75.0")


def test_a_period_starting_and_ending_mid_month(book: Book) -> None:
    report = retention(start=day("2025-01-16"), end=day("2025-03-09"))
    assert [row(month) for month in report.months] == [
        ("2025-01", 46800, 9000, 0, 0, 0, 4800, 51000, 1, 0, 1),
        ("2025-02", 51000, 0, 0, 0, 6000, 6000, 39000, 0, 0, 1),
        ("2025-03", 39000, 0, 0, 6000, 0, 0, 45000, 0, 0, 0),
    ]
    # The day before is 15 January, Elm's last day: Elm is in the cohort and gone by 9 March.
    assert cohort(report) == (46800, 30000, 36000, 4, 2)
    assert rates(report) == ("64.1", "76.9", "50.0")


def test_a_period_of_one_day(book: Book) -> None:
    report = retention(start=day("2025-02-01"), end=day("2025-02-01"))
    assert [row(month) for month in report.months] == [
        ("2025-02", 51000, 0, 0, 0, 6000, 6000, 39000, 0, 0, 1),
    ]
    assert cohort(report) == (51000, 39000, 39000, 4, 3)
    assert rates(report) == ("76.5", "76.5", "75.0")


def test_a_ten_year_period_fits_in_one_query(
    book: Book, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # 121 snapshot days: the widest period the API accepts, within both engines' column limits.
    with django_assert_num_queries(1):
        report = retention(start=day("2016-01-01"), end=day("2025-12-31"))
    assert len(report.months) == 120
    assert row(report.months[0]) == ("2016-01", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert [row(month) for month in report.months[108:112]] == [
        ("2025-01", 46800, 9000, 0, 0, 0, 4800, 51000, 1, 0, 1),
        ("2025-02", 51000, 0, 0, 0, 6000, 6000, 39000, 0, 0, 1),
        ("2025-03", 39000, 0, 3600, 6000, 0, 0, 48600, 0, 1, 0),
        ("2025-04", 48600, 0, 0, 1800, 0, 0, 50400, 0, 0, 0),
    ]
    assert (report.starting_arr, report.ending_arr) == (0, 50400)
    assert rates(report) == ("None", "None", "None")


def test_retention_is_one_query(
    book: Book, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        retention(start=day("2024-05-01"), end=day("2025-04-30"))


def test_a_period_that_ends_before_it_starts_is_refused(book: Book) -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        retention(start=day("2025-02-01"), end=day("2025-01-31"))


# Churn, reactivation and renewals -----------------------------------------------------------


def test_a_client_who_comes_back_is_a_reactivation_not_a_new_logo(book: Book) -> None:
    elm = MetricsFilter(account_id=book.elm.pk)
    report = retention(start=day("2025-01-01"), end=day("2025-04-30"), filters=elm)
    assert [row(month) for month in report.months] == [
        ("2025-01", 4800, 0, 0, 0, 0, 4800, 0, 0, 0, 1),
        ("2025-02", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ("2025-03", 0, 0, 3600, 0, 0, 0, 3600, 0, 1, 0),
        ("2025-04", 3600, 0, 0, 0, 0, 0, 3600, 0, 0, 0),
    ]
    # Over a period starting after it left, it is not in the cohort; it still is no new logo.
    later = retention(start=day("2025-03-01"), end=day("2025-03-31"), filters=elm)
    assert row(later.months[0])[2:4] == (0, 3600)
    assert cohort(later) == (0, 0, 0, 0, 0)
    assert rates(later) == ("None", "None", "None")


def test_a_new_client_is_new(book: Book) -> None:
    report = retention(
        start=day("2025-01-01"),
        end=day("2025-01-31"),
        filters=MetricsFilter(account_id=book.cedar.pk),
    )
    assert row(report.months[0]) == ("2025-01", 0, 9000, 0, 0, 0, 0, 9000, 1, 0, 0)


def test_a_renewal_won_is_continuous(book: Book) -> None:
    birch = MetricsFilter(account_id=book.birch.pk)
    report = retention(start=day("2025-03-01"), end=day("2025-04-30"), filters=birch)
    # The first term's last day is 31 March, the next term's first day 1 April: no churn, no new;
    # the higher price of the new term is expansion.
    assert [row(month) for month in report.months] == [
        ("2025-03", 18000, 0, 0, 0, 0, 0, 18000, 0, 0, 0),
        ("2025-04", 18000, 0, 0, 1800, 0, 0, 19800, 0, 0, 0),
    ]
    assert rates(report) == ("100.0", "110.0", "100.0")


def test_a_renewal_lost_churns_in_the_month_after_the_last_day(book: Book) -> None:
    dogwood = MetricsFilter(account_id=book.dogwood.pk)
    report = retention(start=day("2025-01-01"), end=day("2025-02-28"), filters=dogwood)
    # Lost on 25 January, the term still runs to its last day, 31 January: churn in February.
    assert [row(month) for month in report.months] == [
        ("2025-01", 6000, 0, 0, 0, 0, 0, 6000, 0, 0, 0),
        ("2025-02", 6000, 0, 0, 0, 0, 6000, 0, 0, 0, 1),
    ]
    assert rates(report) == ("0.0", "0.0", "0.0")


def test_a_cancelled_contract_never_counts(book: Book) -> None:
    # Dogwood's cancelled term (5,000 from 1 February) would otherwise have kept it.
    assert (
        str(arr_at(day=day("2025-02-01"), filters=MetricsFilter(account_id=book.dogwood.pk)))
        == "0.00"
    )
    services.contract_set_status(
        contract=book.dogwood_cancelled, acting_user=book.head, status=ContractStatus.ACTIVE
    )
    assert str(arr_at(day=day("2025-02-01"))) == "44000.00"
    report = retention(start=day("2025-02-01"), end=day("2025-02-28"))
    assert row(report.months[0]) == ("2025-02", 51000, 0, 0, 0, 7000, 0, 44000, 0, 0, 0)


def test_a_won_upsell_counts_only_once_amended(book: Book) -> None:
    alder = MetricsFilter(account_id=book.alder.pk)
    assert book.alder_upsell.status == "won"
    assert str(arr_at(day=day("2025-02-20"), filters=alder)) == "12000.00"
    assert str(arr_at(day=day("2025-02-28"), filters=alder)) == "12000.00"
    assert str(arr_at(day=day("2025-03-01"), filters=alder)) == "18000.00"
    report = retention(start=day("2025-02-01"), end=day("2025-03-31"), filters=alder)
    assert [str(month.expansion) for month in report.months] == ["0.00", "6000.00"]


def test_a_gap_across_a_month_end_is_churn_then_reactivation(db: None) -> None:
    account = AccountFactory(name="Gap")
    factories.contract(account=account, start=day("2025-01-01"), end=day("2025-02-20"))
    factories.contract(account=account, start=day("2025-03-05"), end=day("2025-12-31"))
    report = retention(start=day("2025-02-01"), end=day("2025-03-31"))
    assert [row(month) for month in report.months] == [
        ("2025-02", 1000, 0, 0, 0, 0, 1000, 0, 0, 0, 1),
        ("2025-03", 0, 0, 1000, 0, 0, 0, 1000, 0, 1, 0),
    ]
    assert rates(report) == ("100.0", "100.0", "100.0")


def test_a_gap_inside_a_month_is_not_seen(db: None) -> None:
    account = AccountFactory(name="Gap")
    factories.contract(account=account, start=day("2025-01-01"), end=day("2025-02-10"))
    factories.contract(account=account, start=day("2025-02-20"), end=day("2025-12-31"))
    report = retention(start=day("2025-02-01"), end=day("2025-02-28"))
    assert row(report.months[0]) == ("2025-02", 1000, 0, 0, 0, 0, 0, 1000, 0, 0, 0)
    assert str(arr_at(day=day("2025-02-15"))) == "0.00"


def test_a_free_line_before_the_first_paid_one_leaves_the_client_new(db: None) -> None:
    account = AccountFactory(name="Pilot")
    pilot = factories.product("Pilot", list_price=0)
    factories.contract(
        account=account,
        start=day("2024-10-01"),
        end=day("2024-12-31"),
        lines=[factories.line(pilot, 1, 0)],
    )
    factories.contract(account=account, start=day("2025-01-01"), end=day("2025-12-31"))
    report = retention(start=day("2025-01-01"), end=day("2025-01-31"))
    assert row(report.months[0]) == ("2025-01", 0, 1000, 0, 0, 0, 0, 1000, 1, 0, 0)
    assert cohort(report) == (0, 0, 0, 0, 0)


# Amendments ----------------------------------------------------------------------------------


def test_amendments_on_the_last_and_first_days_of_months(db: None) -> None:
    head = UserFactory(role=Role.HEAD_OF_ACCOUNT_MANAGEMENT)
    account = AccountFactory(name="Maple")
    platform = factories.product()
    contract = factories.contract(
        account=account,
        start=day("2025-01-01"),
        end=day("2025-12-31"),
        lines=[factories.line(platform, 12, 1000)],
    )
    # From the last day of April (up), then from the first day of June (down, not to nothing).
    services.contract_amend(
        contract=contract,
        acting_user=head,
        effective_date=day("2025-04-30"),
        reason="Three more seats.",
        lines=[factories.line(platform, 15, 1000)],
    )
    services.contract_amend(
        contract=contract,
        acting_user=head,
        effective_date=day("2025-06-01"),
        reason="Five seats fewer.",
        lines=[factories.line(platform, 10, 1000)],
    )
    assert [
        str(arr_at(day=day(on))) for on in ("2025-04-29", "2025-04-30", "2025-05-31", "2025-06-01")
    ] == [
        "12000.00",
        "15000.00",
        "15000.00",
        "10000.00",
    ]
    report = retention(start=day("2025-04-01"), end=day("2025-06-30"))
    assert [row(month) for month in report.months] == [
        ("2025-04", 12000, 0, 0, 3000, 0, 0, 15000, 0, 0, 0),
        ("2025-05", 15000, 0, 0, 0, 0, 0, 15000, 0, 0, 0),
        ("2025-06", 15000, 0, 0, 0, 5000, 0, 10000, 0, 0, 0),
    ]
    assert rates(report) == ("83.3", "83.3", "100.0")


def test_an_amendment_swapping_products_contracts_and_one_ending_every_line_churns(
    db: None,
) -> None:
    head = UserFactory(role=Role.HEAD_OF_ACCOUNT_MANAGEMENT)
    swapped = factories.contract(
        account=AccountFactory(name="Rowan"), start=day("2025-01-01"), end=day("2025-12-31")
    )
    services.contract_amend(
        contract=swapped,
        acting_user=head,
        effective_date=day("2025-05-01"),
        reason="Another product instead.",
        lines=[factories.line(factories.product("Lite", family_name="Platform"), 1, 500)],
    )
    emptied = factories.contract(
        account=AccountFactory(name="Spruce"), start=day("2025-01-01"), end=day("2025-12-31")
    )
    services.contract_amend(
        contract=emptied,
        acting_user=head,
        effective_date=day("2025-05-31"),
        reason="Ended early by agreement.",
        lines=[],
    )
    report = retention(start=day("2025-05-01"), end=day("2025-05-31"))
    assert row(report.months[0]) == ("2025-05", 2000, 0, 0, 0, 500, 1000, 500, 0, 0, 1)


def test_mrr_rounds_halves_up(db: None) -> None:
    factories.contract(
        account=AccountFactory(name="Larch"),
        start=day("2025-01-01"),
        end=day("2025-12-31"),
        lines=[factories.line(factories.product(), 1, "1000.14")],
    )
    # 1,000.14 / 12 = 83.345.
    assert str(mrr_at(day=day("2025-02-01"))) == "83.35"
    report = retention(start=day("2025-02-01"), end=day("2025-02-28"))
    assert (str(report.starting_mrr), str(report.ending_mrr)) == ("83.35", "83.35")


# Currencies ----------------------------------------------------------------------------------


def test_a_later_rate_does_not_move_a_line_started_before_it(book: Book) -> None:
    cedar = MetricsFilter(account_id=book.cedar.pk)
    # 10,000 USD at 0.90, the rate in force on 20 January; 0.95 from 1 March changes nothing.
    assert [str(arr_at(day=day(on), filters=cedar)) for on in ("2025-01-31", "2025-03-31")] == [
        "9000.00",
        "9000.00",
    ]
    report = retention(start=day("2025-01-01"), end=day("2025-04-30"), filters=cedar)
    assert [str(month.expansion + month.contraction) for month in report.months] == [
        "0.00",
        "0.00",
        "0.00",
        "0.00",
    ]


def test_correcting_a_rate_converts_again_what_it_covers(book: Book) -> None:
    services.exchange_rate_set(
        acting_user=book.head,
        currency="USD",
        effective_date=day("2024-01-01"),
        rate=Decimal("0.92"),
    )
    assert str(book.cedar_contract.lines.get().annual_value_company) == "9200.00"
    assert str(arr_at(day=day("2025-01-31"))) == "51200.00"
    # Cedar's renewal closes in 2026, under the 0.95 rate: not affected.
    renewal = Opportunity.objects.get(contract=book.cedar_contract)
    assert str(renewal.amount_company) == "9500.00"


def test_a_line_started_after_a_rate_change_converts_at_the_new_rate(db: None) -> None:
    head = UserFactory(role=Role.HEAD_OF_ACCOUNT_MANAGEMENT)
    account = AccountFactory(name="Willow")
    platform = factories.product()
    factories.rate("USD", day("2024-01-01"), "0.90")
    contract = factories.contract(
        account=account,
        start=day("2025-01-01"),
        end=day("2025-12-31"),
        currency="USD",
        lines=[factories.line(platform, 10, 1000)],
    )
    services.exchange_rate_set(
        acting_user=head, currency="USD", effective_date=day("2025-03-01"), rate=Decimal("0.95")
    )
    services.contract_amend(
        contract=contract,
        acting_user=head,
        effective_date=day("2025-04-01"),
        reason="Two more seats.",
        lines=[factories.line(platform, 12, 1000)],
    )
    assert [str(arr_at(day=day(on))) for on in ("2025-03-31", "2025-04-01")] == [
        "9000.00",
        "11400.00",
    ]
    report = retention(start=day("2025-04-01"), end=day("2025-04-30"))
    assert str(report.months[0].expansion) == "2400.00"
    # Correcting the March rate converts again the April line, not the January one.
    services.exchange_rate_set(
        acting_user=head, currency="USD", effective_date=day("2025-03-01"), rate=Decimal("1.00")
    )
    assert [str(arr_at(day=day(on))) for on in ("2025-03-31", "2025-04-01")] == [
        "9000.00",
        "12000.00",
    ]


# Filters -------------------------------------------------------------------------------------


def test_filter_by_owner(book: Book) -> None:
    first = MetricsFilter(owner_id=book.first_manager.pk)
    report = retention(start=day("2025-01-01"), end=day("2025-04-30"), filters=first)
    assert [row(month) for month in report.months] == [
        ("2025-01", 36000, 9000, 0, 0, 0, 0, 45000, 1, 0, 0),
        ("2025-02", 45000, 0, 0, 0, 6000, 0, 39000, 0, 0, 0),
        ("2025-03", 39000, 0, 0, 6000, 0, 0, 45000, 0, 0, 0),
        ("2025-04", 45000, 0, 0, 1800, 0, 0, 46800, 0, 0, 0),
    ]
    assert cohort(report) == (36000, 31800, 37800, 2, 2)
    assert rates(report) == ("88.3", "105.0", "100.0")
    second = MetricsFilter(owner_id=book.second_manager.pk)
    report = retention(start=day("2025-01-01"), end=day("2025-04-30"), filters=second)
    assert cohort(report) == (10800, 3600, 3600, 2, 1)
    assert rates(report) == ("33.3", "33.3", "50.0")
    assert str(arr_at(day=day("2025-04-30"), filters=second)) == "3600.00"


def test_filter_by_tier(book: Book) -> None:
    key = MetricsFilter(tier=Tier.KEY)  # Birch and Elm
    assert str(arr_at(day=day("2025-03-31"), filters=key)) == "21600.00"
    assert str(mrr_at(day=day("2025-03-31"), filters=key)) == "1800.00"
    report = retention(start=day("2025-01-01"), end=day("2025-04-30"), filters=key)
    assert cohort(report) == (28800, 23400, 23400, 2, 2)
    # 23,400 / 28,800 = 81.25 %: halves round up.
    assert rates(report) == ("81.3", "81.3", "100.0")


def test_filter_by_segment(book: Book) -> None:
    enterprise = MetricsFilter(segment=Segment.ENTERPRISE)  # Alder and Birch
    assert str(arr_at(day=day("2025-04-30"), filters=enterprise)) == "37800.00"
    mid_market = MetricsFilter(segment=Segment.MID_MARKET)  # Cedar and Elm
    assert str(arr_at(day=day("2025-04-30"), filters=mid_market)) == "12600.00"
    both = MetricsFilter(owner_id=book.first_manager.pk, tier=Tier.KEY)  # Birch alone
    assert str(arr_at(day=day("2025-04-30"), filters=both)) == "19800.00"


def test_filters_use_the_account_as_it_is_now(book: Book) -> None:
    Account.objects.filter(pk=book.elm.pk).update(owner=book.first_manager)
    first = MetricsFilter(owner_id=book.first_manager.pk)
    assert str(arr_at(day=day("2024-12-31"), filters=first)) == "40800.00"


def test_a_filter_matching_nothing_gives_zeros(book: Book) -> None:
    nobody = MetricsFilter(tier=Tier.MAINTAIN)
    assert str(arr_at(day=day("2025-03-31"), filters=nobody)) == "0.00"
    report = retention(start=day("2025-01-01"), end=day("2025-02-28"), filters=nobody)
    assert [row(month) for month in report.months] == [
        ("2025-01", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ("2025-02", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ]
    assert rates(report) == ("None", "None", "None")


# An empty book, a leap year ------------------------------------------------------------------


def test_an_empty_book(db: None, django_assert_num_queries: DjangoAssertNumQueries) -> None:
    assert str(arr_at(day=day("2025-03-31"))) == "0.00"
    assert str(mrr_at(day=day("2025-03-31"))) == "0.00"
    assert arr_by_account(account_ids=[], day=day("2025-03-31")) == {}
    with django_assert_num_queries(1):
        report = retention(start=day("2025-01-01"), end=day("2025-03-31"))
    assert [row(month) for month in report.months] == [
        ("2025-01", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ("2025-02", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ("2025-03", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ]
    assert cohort(report) == (0, 0, 0, 0, 0)
    assert rates(report) == ("None", "None", "None")
    assert (str(report.starting_mrr), str(report.ending_mrr)) == ("0.00", "0.00")
    forecast = renewal_forecast(start=day("2025-01-01"), end=day("2025-02-28"))
    assert [
        (month.month.isoformat(), month.amounts, str(month.open_total)) for month in forecast
    ] == [
        ("2025-01-01", {}, "0.00"),
        ("2025-02-01", {}, "0.00"),
    ]


def test_a_period_spanning_a_leap_day(db: None) -> None:
    head = UserFactory(role=Role.HEAD_OF_ACCOUNT_MANAGEMENT)
    factories.pipeline()
    platform = factories.product()
    # Renewed: the term's last day is the leap day, the next term starts on 1 March.
    renewed = factories.contract(
        account=AccountFactory(name="Hazel"),
        start=day("2023-03-01"),
        end=day("2024-02-29"),
        lines=[factories.line(platform, 1, 3000)],
    )
    renewal = services.renewal_open(contract=renewed)
    assert renewal is not None
    renewal = services.opportunity_win(
        opportunity=renewal, acting_user=head, closed_on=day("2024-02-15")
    )
    assert renewal.next_contract is not None
    assert (renewal.next_contract.start_date, renewal.next_contract.end_date) == (
        day("2024-03-01"),
        day("2025-02-28"),
    )
    # Gone: the term's last day is 28 February, so it has nothing on the leap day.
    factories.contract(
        account=AccountFactory(name="Holly"),
        start=day("2023-03-01"),
        end=day("2024-02-28"),
        lines=[factories.line(platform, 1, 2000)],
    )
    # New: its first day is the leap day.
    factories.contract(
        account=AccountFactory(name="Juniper"),
        start=day("2024-02-29"),
        end=day("2025-02-28"),
        lines=[factories.line(platform, 1, 1500)],
    )
    assert month_end(day("2024-02-10")) == day("2024-02-29")
    assert snapshot_days(day("2024-02-01"), day("2024-03-31")) == [
        day("2024-01-31"),
        day("2024-02-29"),
        day("2024-03-31"),
    ]
    assert [str(arr_at(day=day(on))) for on in ("2024-02-28", "2024-02-29", "2024-03-01")] == [
        "5000.00",
        "4500.00",
        "4500.00",
    ]
    report = retention(start=day("2024-02-01"), end=day("2024-03-31"))
    assert [row(month) for month in report.months] == [
        ("2024-02", 5000, 1500, 0, 0, 0, 2000, 4500, 1, 0, 1),
        ("2024-03", 4500, 0, 0, 0, 0, 0, 4500, 0, 0, 0),
    ]
    assert cohort(report) == (5000, 3000, 3000, 2, 1)
    assert rates(report) == ("60.0", "60.0", "50.0")
    leap_day = retention(start=day("2024-02-29"), end=day("2024-02-29"))
    assert row(leap_day.months[0]) == ("2024-02", 5000, 1500, 0, 0, 0, 2000, 4500, 1, 0, 1)


def test_months_between_and_snapshot_days() -> None:
    assert months_between(day("2024-11-15"), day("2025-02-01")) == [
        day("2024-11-01"),
        day("2024-12-01"),
        day("2025-01-01"),
        day("2025-02-01"),
    ]
    assert snapshot_days(day("2024-11-15"), day("2025-02-01")) == [
        day("2024-11-14"),
        day("2024-11-30"),
        day("2024-12-31"),
        day("2025-01-31"),
        day("2025-02-01"),
    ]
    assert month_end(day("2025-02-10")) == day("2025-02-28")
    assert month_end(day("2025-12-31")) == day("2025-12-31")


# The renewal forecast ------------------------------------------------------------------------


def test_the_renewal_forecast_by_month_and_category(
    book: Book, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1):
        forecast = renewal_forecast(start=day("2025-01-01"), end=day("2026-03-31"))
    assert [month.month.isoformat() for month in forecast] == [
        "2025-01-01",
        "2025-02-01",
        "2025-03-01",
        "2025-04-01",
        "2025-05-01",
        "2025-06-01",
        "2025-07-01",
        "2025-08-01",
        "2025-09-01",
        "2025-10-01",
        "2025-11-01",
        "2025-12-01",
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
    ]
    filled = {
        month.month.isoformat(): (
            {column: str(month.amount(column)) for column in month.amounts},
            month.counts,
            str(month.open_total),
        )
        for month in forecast
        if month.amounts
    }
    # The upsell won in February is no renewal; Dogwood's lost and Birch's won renewals count in
    # the month they closed; Cedar's is 10,000 USD at 0.95, the rate on its close date.
    assert filled == {
        "2025-01-01": ({"lost": "6000.00"}, {"lost": 1}, "0.00"),
        "2025-03-01": ({"won": "19800.00"}, {"won": 1}, "0.00"),
        "2025-12-01": ({"commit": "18000.00"}, {"commit": 1}, "18000.00"),
        "2026-01-01": ({"pipeline": "9500.00"}, {"pipeline": 1}, "9500.00"),
        "2026-03-01": (
            {"best_case": "3600.00", "omitted": "19800.00"},
            {"best_case": 1, "omitted": 1},
            "23400.00",
        ),
    }
    assert FORECAST_COLUMNS == ("commit", "best_case", "pipeline", "omitted", "won", "lost")
    assert str(forecast[1].amount("commit")) == "0.00"


def test_the_renewal_forecast_is_filtered(book: Book) -> None:
    second = MetricsFilter(owner_id=book.second_manager.pk)
    forecast = renewal_forecast(start=day("2025-01-01"), end=day("2026-03-31"), filters=second)
    filled = {
        month.month.isoformat(): {column: str(month.amount(column)) for column in month.amounts}
        for month in forecast
        if month.amounts
    }
    assert filled == {"2025-01-01": {"lost": "6000.00"}, "2026-03-01": {"best_case": "3600.00"}}
    enterprise = MetricsFilter(segment=Segment.ENTERPRISE)
    forecast = renewal_forecast(start=day("2025-12-01"), end=day("2026-03-31"), filters=enterprise)
    assert [str(month.open_total) for month in forecast] == [
        "18000.00",
        "0.00",
        "0.00",
        "19800.00",
    ]
    assert isinstance(forecast[0], ForecastMonth)
