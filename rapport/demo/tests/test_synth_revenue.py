"""The synthetic book's revenue: bulk rows that read as if the revenue services had written them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count

from rapport.accounts.choices import LifecycleStage
from rapport.accounts.models import Account
from rapport.communications.models import Touchpoint
from rapport.demo.synth import (
    RevenueProgress,
    synth_accounts_without_revenue,
    synth_book,
    synth_revenue,
)
from rapport.revenue import metrics, services
from rapport.revenue.choices import ContractStatus, OpportunityStatus, OpportunityType
from rapport.revenue.models import (
    Contract,
    ContractAmendment,
    ContractLine,
    ExchangeRate,
    Opportunity,
    OpportunityLine,
    Product,
    ProductFamily,
)
from rapport.revenue.rates import RateTable, company_currency
from rapport.revenue.services import next_term_dates

pytestmark = pytest.mark.django_db

ACCOUNTS = 40
# The load's today, given so that every date of a test is known.
TODAY = datetime.date(2026, 11, 27)
CENT = Decimal("0.01")


def _book(*, churned: int = 6) -> list[int]:
    """A small book; the first accounts at the churned stage, the others not."""
    synth_book(accounts=ACCOUNTS, users=8, stakeholders_per_account=1, batch_size=20)
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    Account.objects.filter(pk__in=ids[:churned]).update(lifecycle_stage=LifecycleStage.CHURNED)
    Account.objects.filter(pk__in=ids[churned:], lifecycle_stage=LifecycleStage.CHURNED).update(
        lifecycle_stage=LifecycleStage.GROWTH
    )
    return ids


def test_about_three_terms_and_three_opportunities_an_account_in_batches() -> None:
    _book()
    progress: list[RevenueProgress] = []

    result = synth_revenue(batch_size=15, today=TODAY, on_progress=progress.append)

    assert [step.accounts_done for step in progress] == [15, 30, 40]
    assert result.contracts == Contract.objects.count()
    assert result.lines == ContractLine.objects.count()
    assert result.amendments == ContractAmendment.objects.count()
    assert result.opportunities == Opportunity.objects.count()
    assert 2 * ACCOUNTS <= result.contracts <= 4 * ACCOUNTS
    assert 2.5 * ACCOUNTS <= result.opportunities <= 4.5 * ACCOUNTS
    assert result.lines >= result.contracts
    assert not Account.objects.annotate(terms=Count("contracts")).filter(terms=0).exists()
    # The demo's catalogue and rates, once.
    assert ProductFamily.objects.count() == 5
    assert 12 <= Product.objects.count() <= 14
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) == {"USD", "GBP"}
    assert synth_accounts_without_revenue() == []


def test_values_are_those_the_services_compute() -> None:
    _book()
    synth_revenue(today=TODAY)
    table = RateTable()

    for line in ContractLine.objects.select_related("contract"):
        assert line.annual_value == (line.quantity * line.unit_price).quantize(CENT)
        assert line.annual_value_company == table.convert(
            line.annual_value, line.contract.currency, line.start_date
        )
        assert line.contract.start_date <= line.start_date <= line.end_date
        assert line.end_date <= line.contract.end_date
    for opportunity in Opportunity.objects.prefetch_related("lines"):
        assert opportunity.amount_company == table.convert(
            opportunity.amount, opportunity.currency, opportunity.close_date
        )
        lines = list(opportunity.lines.all())
        assert lines
        assert opportunity.amount == sum((line.annual_value for line in lines), Decimal(0))
    # A line of the same product never overlaps another on its contract.
    for contract in Contract.objects.prefetch_related("lines__product"):
        assert services._overlaps(list(contract.lines.all())) == []


def test_terms_follow_each_other_renewed_by_won_renewals() -> None:
    _book()
    synth_revenue(today=TODAY)

    for contract in Contract.objects.filter(previous__isnull=False).select_related("previous"):
        previous = contract.previous
        assert previous is not None and previous.status == ContractStatus.RENEWED
        assert (contract.start_date, contract.end_date) == next_term_dates(previous)
        assert previous.account_id == contract.account_id
        assert contract.currency == previous.currency
        won = Opportunity.objects.get(type=OpportunityType.RENEWAL, contract=previous)
        assert won.status == OpportunityStatus.WON and won.next_contract == contract
        assert won.closed_on is not None and won.closed_on <= TODAY
    assert not Contract.objects.filter(
        status=ContractStatus.RENEWED, next_terms__isnull=True
    ).exists()
    # The last terms: live until some day of the coming year, or lost by the churned accounts.
    last_terms = Contract.objects.filter(next_terms__isnull=True)
    assert set(last_terms.values_list("status", flat=True)) == {
        ContractStatus.ACTIVE,
        ContractStatus.CHURNED,
    }
    live = last_terms.filter(status=ContractStatus.ACTIVE)
    assert not live.filter(end_date__lt=TODAY).exists()
    assert not live.filter(account__lifecycle_stage=LifecycleStage.CHURNED).exists()
    churned = last_terms.filter(status=ContractStatus.CHURNED)
    assert churned.count() == 6 and not churned.filter(churn_reason="").exists()
    for contract in churned:
        lost = Opportunity.objects.get(type=OpportunityType.RENEWAL, contract=contract)
        assert lost.status == OpportunityStatus.LOST
        assert lost.loss_reason == contract.churn_reason
    # Some terms in dollars or pounds, some amended: a larger seat line from the amendment on.
    assert Contract.objects.exclude(currency=company_currency()).exists()
    for amendment in ContractAmendment.objects.all():
        ended = ContractLine.objects.get(ended_by=amendment)
        started = ContractLine.objects.get(amendment=amendment)
        assert ended.end_date == amendment.effective_date - datetime.timedelta(days=1)
        assert started.start_date == amendment.effective_date
        assert started.product_id == ended.product_id and started.quantity > ended.quantity


def test_the_pipeline_and_the_renewals_are_what_the_jobs_leave() -> None:
    _book()
    synth_revenue(today=TODAY)
    lead = datetime.timedelta(days=settings.RAPPORT_RENEWAL_LEAD_DAYS)

    # Every contract ending within the lead time has its renewal open: the job opens nothing.
    assert services.renewal_candidates(today=TODAY, lead_days=lead.days).count() == 0
    open_renewals = Opportunity.objects.filter(
        type=OpportunityType.RENEWAL, status=OpportunityStatus.OPEN
    )
    assert open_renewals.exists()
    assert not open_renewals.exclude(close_date__lte=TODAY + lead).exists()
    growth = Opportunity.objects.exclude(type=OpportunityType.RENEWAL)
    assert set(growth.values_list("type", flat=True)) == {
        OpportunityType.UPSELL,
        OpportunityType.CROSS_SELL,
    }
    assert set(growth.values_list("status", flat=True)) == set(OpportunityStatus.values)
    assert not growth.filter(status=OpportunityStatus.LOST, loss_reason="").exists()
    assert not growth.filter(status=OpportunityStatus.OPEN, close_date__lt=TODAY).exists()
    for opportunity in growth.filter(status=OpportunityStatus.OPEN).select_related("stage"):
        assert opportunity.stage.is_open
        assert opportunity.probability == opportunity.stage.probability
    # A cross-sell offers a family the account's last term does not hold.
    for opportunity in growth.filter(type=OpportunityType.CROSS_SELL):
        last = Contract.objects.filter(account=opportunity.account_id).order_by("-end_date")[0]
        held = set(last.lines.values_list("product__family", flat=True))
        offered = set(opportunity.lines.values_list("product__family", flat=True))
        assert not held & offered
    assert OpportunityLine.objects.count() >= Opportunity.objects.count()


def test_the_metrics_read_the_book_and_a_won_renewal_starts_the_next_term() -> None:
    _book()
    synth_revenue(today=TODAY)

    report = metrics.retention(start=datetime.date(2025, 12, 1), end=TODAY)
    assert report.cohort_logos > 0 and report.ending_arr > 0
    assert report.gross_revenue_retention is not None
    assert report.gross_revenue_retention <= 100
    assert report.total("churn") > 0 and report.total("expansion") > 0
    assert report.ending_arr == metrics.arr_at(day=TODAY)

    renewal = Opportunity.objects.filter(
        type=OpportunityType.RENEWAL, status=OpportunityStatus.OPEN, account__owner__isnull=False
    ).select_related("account__owner", "contract")[0]
    contract = renewal.contract
    assert contract is not None
    won = services.opportunity_win(
        opportunity=renewal, acting_user=renewal.account.owner, closed_on=TODAY
    )
    assert won.next_contract is not None
    assert won.next_contract.previous == contract
    assert won.next_contract.lines.count() == renewal.lines.count()


def test_the_command_adds_revenue_to_an_existing_book_without_touching_its_log() -> None:
    _book()
    synth_revenue(today=TODAY)
    contracts = Contract.objects.count()
    assert not Touchpoint.objects.exists()

    out = StringIO()
    call_command("synth", accounts=0, touchpoints=0, stdout=out)
    assert Contract.objects.count() == contracts
    assert "contracts" not in out.getvalue()

    call_command("synth", accounts=5, touchpoints=0, stdout=out)
    assert "Writing the contracts and opportunities of 5 accounts" in out.getvalue()
    assert not Account.objects.annotate(terms=Count("contracts")).filter(terms=0).exists()
    assert not Touchpoint.objects.exists()

    call_command("synth", accounts=2, touchpoints=0, contracts_per_account=0, stdout=out)
    assert len(synth_accounts_without_revenue()) == 2
