"""The demo's revenue: three years of contracts, renewals and growth, and believable metrics."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from rapport.accounts.choices import LifecycleStage
from rapport.accounts.models import Account
from rapport.demo import revenue, services
from rapport.revenue import metrics
from rapport.revenue import services as revenue_services
from rapport.revenue.choices import ContractStatus, OpportunityStatus, OpportunityType
from rapport.revenue.filters import MetricsQuery
from rapport.revenue.models import (
    Contract,
    ContractAmendment,
    ContractLine,
    ExchangeRate,
    Opportunity,
    PipelineStage,
    Product,
    ProductFamily,
)
from rapport.revenue.rates import RateTable, company_currency
from rapport.roadmaps import automation
from rapport.users.models import User

CENT = Decimal("0.01")


def revenue_counts() -> tuple[int, ...]:
    return (
        *revenue.revenue_counts(),
        ContractLine.objects.count(),
        ContractAmendment.objects.count(),
        Contract.history.count(),
        Opportunity.history.count(),
    )


def check_revenue() -> None:
    """What the demo's revenue must hold; called by the demo test after loading it."""
    today = timezone.localdate()
    # The catalogue: five families of two to four products, each with a list price.
    families = ProductFamily.objects.all()
    assert families.count() == 5
    for family in families:
        assert 2 <= family.products.count() <= 4
    assert not Product.objects.filter(list_price__lte=0).exists()
    # Rates of two foreign currencies over the last two years, with a few changes.
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) == {"USD", "GBP"}
    for currency in ("USD", "GBP"):
        rates = ExchangeRate.objects.filter(currency=currency)
        assert rates.count() >= 4
        assert rates.filter(effective_date__lte=today - datetime.timedelta(days=730)).exists()
        assert rates.values("rate").distinct().count() >= 3

    contracts = Contract.objects.all()
    # A few contracts in dollars and pounds; the rest in the company currency.
    currencies = set(contracts.values_list("currency", flat=True))
    assert currencies == {company_currency(), "USD", "GBP"}
    assert contracts.exclude(currency=company_currency()).count() < contracts.count() / 4
    # Every line valued and converted as the services do.
    table = RateTable()
    for line in ContractLine.objects.select_related("contract"):
        assert line.annual_value == (line.quantity * line.unit_price).quantize(CENT)
        converted = table.convert(line.annual_value, line.contract.currency, line.start_date)
        assert line.annual_value_company == converted
    # Yearly terms renewed into the next one, over two to three years; some multi-year terms.
    renewed = contracts.filter(status=ContractStatus.RENEWED)
    assert renewed.count() > 80
    for contract in renewed:
        assert contract.next_terms.exclude(status=ContractStatus.CANCELLED).count() == 1
        assert contract.opportunities.filter(
            type=OpportunityType.RENEWAL, status=OpportunityStatus.WON
        ).exists()
    oldest = contracts.order_by("start_date").first()
    assert oldest is not None and oldest.start_date < today - datetime.timedelta(days=730)
    assert any(contract.term_days > 700 for contract in contracts.filter(previous=None))
    # Mid-term amendments: seats added, and a product removed without a successor.
    started = ContractLine.objects.filter(amendment__isnull=False)
    ended = ContractLine.objects.filter(ended_by__isnull=False)
    assert started.filter(
        contract__lines__ended_by=F("amendment"),
        contract__lines__product=F("product"),
        contract__lines__quantity__lt=F("quantity"),
    ).exists()
    assert any(
        not started.filter(amendment=line.ended_by, product=line.product_id).exists()
        for line in ended
    )

    # Churn: lost renewals with their reason; the accounts churned.
    lost = Opportunity.objects.filter(type=OpportunityType.RENEWAL, status=OpportunityStatus.LOST)
    assert lost.count() >= 5 and not lost.filter(loss_reason="").exists()
    churned = contracts.filter(status=ContractStatus.CHURNED)
    assert churned.count() == lost.count() and not churned.filter(churn_reason="").exists()
    for contract in churned.select_related("account"):
        later = contracts.filter(account=contract.account, start_date__gt=contract.end_date)
        if later.exists():
            # The client who came back is live again.
            assert contract.account.lifecycle_stage != LifecycleStage.CHURNED
        else:
            assert contract.account.lifecycle_stage == LifecycleStage.CHURNED
    comeback = [
        contract
        for contract in churned
        if contracts.filter(account=contract.account_id, start_date__gt=contract.end_date).exists()
    ]
    assert len(comeback) == 1
    # Tacit renewals: one client told of its notice date, one not yet (the manager has a task).
    tacit = contracts.filter(auto_renew=True, status=ContractStatus.ACTIVE, end_date__gte=today)
    assert tacit.filter(client_notified_on__isnull=False).count() >= 1
    pending = tacit.filter(client_notified_on__isnull=True)
    assert pending.filter(notice_reminder__isnull=False).exists()

    # Renewals: the nightly job has opened them all; the managers work them.
    assert revenue_services.renewals_open(today=today) == []
    assert revenue_services.notice_reminders_create(today=today) == []
    assert automation.run_automation().started == []
    open_renewals = Opportunity.objects.filter(
        type=OpportunityType.RENEWAL, status=OpportunityStatus.OPEN
    )
    assert open_renewals.count() >= 10
    assert open_renewals.exclude(risk_note="").exists()
    assert contracts.filter(status=ContractStatus.RENEWED, end_date__gte=today).exists()
    # Upsells and cross-sells at every open stage, owned, with next steps; some won or lost.
    growth = Opportunity.objects.exclude(type=OpportunityType.RENEWAL)
    live = growth.filter(status=OpportunityStatus.OPEN)
    open_stages = set(
        PipelineStage.objects.filter(outcome=OpportunityStatus.OPEN).values_list("pk", flat=True)
    )
    assert set(live.values_list("stage", flat=True)) == open_stages
    assert {OpportunityType.UPSELL, OpportunityType.CROSS_SELL} <= set(
        live.values_list("type", flat=True)
    )
    assert not live.filter(owner__isnull=True, account__owner__isnull=False).exists()
    assert not live.filter(next_step="").exists()
    assert live.exclude(risk_note="").exists()
    assert live.values("owner").distinct().count() >= 4
    assert growth.filter(status=OpportunityStatus.WON).count() >= 10
    assert not growth.filter(status=OpportunityStatus.LOST, loss_reason="").exists()
    assert growth.filter(status=OpportunityStatus.LOST).exists()
    # White space: accounts own some families, and open cross-sells aim at the others.
    owned = set(
        ContractLine.objects.filter(start_date__lte=today, end_date__gte=today)
        .exclude(contract__status=ContractStatus.CANCELLED)
        .values_list("contract__account_id", "product__family_id")
        .distinct()
    )
    families_per_account: dict[int, int] = {}
    for account_id, _family in owned:
        families_per_account[account_id] = families_per_account.get(account_id, 0) + 1
    assert any(count < 5 for count in families_per_account.values())
    aimed = set(
        live.filter(type=OpportunityType.CROSS_SELL).values_list(
            "account_id", "lines__product__family_id"
        )
    )
    assert aimed and not aimed & owned

    # Every account has ARR today, or a reason not to: it left, or its contract starts later.
    accounts = list(Account.objects.all())
    arr = metrics.arr_by_account(account_ids=[account.pk for account in accounts], day=today)
    for account in accounts:
        if arr.get(account.pk):
            continue
        latest = contracts.filter(account=account).order_by("-end_date").first()
        assert latest is not None, account
        assert latest.status == ContractStatus.CHURNED or latest.start_date > today, account

    # The dashboard's last twelve months read like a healthy book.
    start, end = MetricsQuery().period()
    report = metrics.retention(start=start, end=end)
    assert report.gross_revenue_retention is not None
    assert report.net_revenue_retention is not None
    assert report.logo_retention is not None
    assert Decimal(85) <= report.gross_revenue_retention <= Decimal(97)
    assert Decimal(102) <= report.net_revenue_retention <= Decimal(120)
    assert Decimal(85) <= report.logo_retention < Decimal(100)
    for heading in ("new", "expansion", "contraction", "churn", "reactivation"):
        assert report.total(heading) > 0, heading
    for month in report.months:
        assert month.ending == (
            month.starting
            + month.new
            + month.reactivation
            + month.expansion
            - month.contraction
            - month.churn
        )
    assert report.ending_arr == metrics.arr_at(day=end)


@pytest.mark.django_db
def test_an_earlier_demo_company_gets_its_revenue_once() -> None:
    with mock.patch.object(services, "load_revenue", return_value=0):
        assert services.demo_load().created
    assert not revenue.has_revenue()

    out = StringIO()
    call_command("demo", stdout=out)
    added = revenue_counts()
    again = StringIO()
    call_command("demo", stdout=again)

    assert "Demo contracts and opportunities added." in out.getvalue()
    assert f"{added[3]} contracts, {added[4]} opportunities." in out.getvalue()
    check_revenue()
    assert "nothing changed" in again.getvalue()
    assert revenue_counts() == added


@pytest.mark.django_db
def test_no_revenue_without_an_open_pipeline_stage() -> None:
    with mock.patch.object(services, "load_revenue", return_value=0):
        services.demo_load()
    PipelineStage.objects.filter(outcome=OpportunityStatus.OPEN).update(is_active=False)
    users = {user.email: user for user in User.objects.all()}

    assert revenue.load_revenue(users=users) == 0
    assert not revenue.has_revenue()
    assert not ProductFamily.objects.exists()
