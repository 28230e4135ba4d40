"""Opportunity services: defaults, amounts and currencies, moves, winning, losing, reopening.

Each refusal is checked for its message and for leaving the database as it was; each change
for what it writes (the next term of a renewal, the churned contract and account) and for the
history it records.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from rapport.accounts.choices import LifecycleStage
from rapport.accounts.models import Account
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.tests.factories import AccountFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.revenue import services
from rapport.revenue.choices import (
    ContractStatus,
    ForecastCategory,
    LossReason,
    OpportunityStatus,
    OpportunityType,
)
from rapport.revenue.models import Contract, Opportunity, OpportunityLine
from rapport.revenue.tests import factories
from rapport.users.choices import Role

pytestmark = pytest.mark.django_db

ONE_DAY = datetime.timedelta(days=1)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


def renewal_of(contract: Contract, **data: object) -> Opportunity:
    return factories.opportunity(
        account=contract.account,
        type=OpportunityType.RENEWAL,
        contract=contract,
        close_date=contract.end_date,
        amount=data.pop("amount", None),
        **data,
    )


# Creating --------------------------------------------------------------------------------------


def test_a_new_opportunity_takes_the_first_stage_and_the_account_manager(
    personas: Personas,
) -> None:
    factories.pipeline()
    opportunity = services.opportunity_create(
        acting_user=personas.teammate,
        account=personas.account,
        data={"type": OpportunityType.UPSELL, "close_date": day("2030-03-31"), "amount": 1200},
    )

    assert opportunity.stage.name == "Qualification"
    assert opportunity.probability == 10
    assert opportunity.forecast_category == ForecastCategory.PIPELINE
    assert opportunity.owner == personas.owner
    assert opportunity.created_by == personas.teammate
    assert opportunity.name == "Upsell – Northwind Traders"
    assert opportunity.currency == "EUR"
    assert opportunity.status == OpportunityStatus.OPEN


def test_a_stage_given_brings_its_probability_and_forecast_category(personas: Personas) -> None:
    opportunity = factories.opportunity(
        account=personas.account,
        close_date=day("2030-03-31"),
        stage=factories.stage("Negotiation"),
    )

    assert (opportunity.probability, opportunity.forecast_category) == (
        75,
        ForecastCategory.BEST_CASE,
    )


def test_an_account_without_an_active_manager_gives_the_opportunity_to_its_author(
    personas: Personas,
) -> None:
    personas.owner.is_active = False
    personas.owner.save()

    opportunity = factories.opportunity(
        account=Account.objects.get(pk=personas.account.pk),
        close_date=day("2030-03-31"),
        acting_user=personas.head,
    )

    assert opportunity.owner == personas.head


def test_opening_at_a_closing_stage_is_refused(personas: Personas) -> None:
    with pytest.raises(ValidationError) as refused:
        factories.opportunity(
            account=personas.account,
            close_date=day("2030-03-31"),
            stage=factories.stage("Closed won"),
        )

    assert "Open it at an open stage" in str(refused.value)
    assert not Opportunity.objects.exists()


def test_the_amount_adds_up_the_lines_unless_given(personas: Personas) -> None:
    licence = factories.product("Platform licence")
    support = factories.product("Premium support", family_name="Services", list_price=200)
    lines = [factories.line(licence, 2, "100.50"), factories.line(support, 1, 50)]

    from_lines = factories.opportunity(
        account=personas.account, close_date=day("2030-03-31"), amount=None, lines=lines
    )
    given = factories.opportunity(
        account=personas.account, close_date=day("2030-03-31"), amount=999, lines=lines
    )

    assert from_lines.amount == Decimal("251.00")
    assert from_lines.amount_company == Decimal("251.00")
    assert from_lines.lines.count() == 2
    assert given.amount == Decimal("999.00")


def test_bad_lines_are_refused_each_by_its_number_and_nothing_is_saved(
    personas: Personas,
) -> None:
    licence = factories.product()
    with pytest.raises(ValidationError) as refused:
        factories.opportunity(
            account=personas.account,
            close_date=day("2030-03-31"),
            amount=None,
            lines=[factories.line(licence, 1, 100), factories.line(licence, -2, "-5")],
        )

    problems = refused.value.message_dict["lines"]
    assert "Line 2: the quantity must be more than zero." in problems
    assert "Line 2: a price cannot be negative." in problems
    assert not any(problem.startswith("Line 1") for problem in problems)
    assert not Opportunity.objects.exists()
    assert not OpportunityLine.objects.exists()


def test_a_foreign_amount_is_converted_at_the_rate_of_the_close_date(personas: Personas) -> None:
    factories.rate("USD", day("2030-01-01"), "0.90")
    factories.rate("USD", day("2030-06-01"), "0.80")

    before = factories.opportunity(
        account=personas.account, close_date=day("2030-05-31"), amount=1000, currency="USD"
    )
    after = factories.opportunity(
        account=personas.account, close_date=day("2030-06-01"), amount=1000, currency="usd"
    )

    assert (before.currency, before.amount_company) == ("USD", Decimal("900.00"))
    assert (after.currency, after.amount_company) == ("USD", Decimal("800.00"))
    # Moving the close date converts again at the rate of the new day.
    moved = services.opportunity_update(
        opportunity=before,
        acting_user=personas.owner,
        data={"close_date": day("2030-07-01")},
        expected_version=before.version,
    )
    assert moved.amount_company == Decimal("800.00")


def test_a_currency_without_a_rate_on_the_close_date_is_refused(personas: Personas) -> None:
    factories.rate("USD", day("2030-06-01"), "0.80")

    with pytest.raises(ValidationError) as refused:
        factories.opportunity(
            account=personas.account, close_date=day("2030-05-31"), amount=1000, currency="USD"
        )

    assert "There is no exchange rate for USD on 2030-05-31" in str(refused.value)
    assert not Opportunity.objects.exists()


# Changing and moving -------------------------------------------------------------------------


def test_moving_to_an_open_stage_brings_its_figures_and_raises_the_version(
    personas: Personas,
) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=day("2030-03-31"))

    moved = services.opportunity_move(
        opportunity=opportunity,
        acting_user=personas.teammate,
        stage=factories.stage("Commit"),
        expected_version=opportunity.version,
    )

    stored = Opportunity.objects.get(pk=opportunity.pk)
    assert stored.stage.name == "Commit"
    assert (stored.probability, stored.forecast_category) == (90, ForecastCategory.COMMIT)
    assert stored.version == opportunity.version + 1
    assert moved.status == OpportunityStatus.OPEN


def test_a_probability_given_with_the_stage_wins_over_the_stage(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=day("2030-03-31"))

    changed = services.opportunity_update(
        opportunity=opportunity,
        acting_user=personas.owner,
        data={"stage": factories.stage("Proposal"), "probability": 65},
        expected_version=opportunity.version,
    )

    assert (changed.stage.name, changed.probability) == ("Proposal", 65)


def test_moving_to_the_won_stage_wins_it(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=day("2030-03-31"))

    won = services.opportunity_move(
        opportunity=opportunity, acting_user=personas.owner, stage=factories.stage("Closed won")
    )

    assert won.status == OpportunityStatus.WON
    assert won.probability == 100
    assert won.closed_on == today()
    assert won.close_date == today()


def test_a_closing_stage_is_not_reached_by_an_update_nor_a_lost_one_by_a_move(
    personas: Personas,
) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=day("2030-03-31"))

    with pytest.raises(ValidationError) as by_update:
        services.opportunity_update(
            opportunity=opportunity,
            acting_user=personas.owner,
            data={"stage": factories.stage("Closed won")},
            expected_version=None,
        )
    with pytest.raises(ValidationError) as by_move:
        services.opportunity_move(
            opportunity=opportunity,
            acting_user=personas.owner,
            stage=factories.stage("Closed lost"),
        )

    assert "Mark it won or lost to close it." in str(by_update.value)
    assert "Say why it was lost to close it." in str(by_move.value)
    stored = Opportunity.objects.get(pk=opportunity.pk)
    assert (stored.status, stored.stage.name, stored.version) == (
        OpportunityStatus.OPEN,
        "Qualification",
        opportunity.version,
    )


def test_a_stale_version_is_refused_and_changes_nothing(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=day("2030-03-31"))
    services.opportunity_update(
        opportunity=opportunity,
        acting_user=personas.teammate,
        data={"next_step": "Call the buyer"},
        expected_version=opportunity.version,
    )

    with pytest.raises(StaleVersionError):
        services.opportunity_move(
            opportunity=opportunity,
            acting_user=personas.owner,
            stage=factories.stage("Proposal"),
            expected_version=opportunity.version,
        )
    with pytest.raises(StaleVersionError):
        services.opportunity_win(
            opportunity=opportunity,
            acting_user=personas.owner,
            expected_version=opportunity.version,
        )

    stored = Opportunity.objects.get(pk=opportunity.pk)
    assert stored.stage.name == "Qualification"
    assert stored.status == OpportunityStatus.OPEN
    assert stored.next_step == "Call the buyer"


def test_new_lines_replace_the_old_ones_and_set_the_amount(personas: Personas) -> None:
    licence = factories.product()
    opportunity = factories.opportunity(
        account=personas.account,
        close_date=day("2030-03-31"),
        amount=None,
        lines=[factories.line(licence, 1, 100)],
    )

    changed = services.opportunity_update(
        opportunity=opportunity,
        acting_user=personas.owner,
        data={},
        expected_version=opportunity.version,
        lines=[factories.line(licence, 3, 100)],
    )

    assert changed.amount == Decimal("300.00")
    assert [(line.quantity, line.unit_price) for line in changed.lines.all()] == [
        (Decimal("3.00"), Decimal("100.00"))
    ]


def test_a_closed_opportunity_refuses_changes_but_its_note(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=day("2030-03-31"))
    won = services.opportunity_win(opportunity=opportunity, acting_user=personas.owner)

    with pytest.raises(ValidationError) as refused:
        services.opportunity_update(
            opportunity=won,
            acting_user=personas.owner,
            data={"amount": Decimal(1), "name": "Bigger"},
            expected_version=won.version,
        )
    noted = services.opportunity_update(
        opportunity=won,
        acting_user=personas.owner,
        data={"close_note": "Signed at the business review."},
        expected_version=won.version,
    )

    assert "This opportunity is closed: reopen it to change it." in str(refused.value)
    assert noted.close_note == "Signed at the business review."
    assert noted.amount == Decimal("5000.00")
    with pytest.raises(ValidationError, match="already closed"):
        services.opportunity_win(opportunity=won, acting_user=personas.owner)


# Winning a renewal -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "next_start", "next_end"),
    [
        # A calendar year renews to the next calendar year.
        ("2025-01-01", "2025-12-31", "2026-01-01", "2026-12-31"),
        # Three years renew to three years, whatever the leap days.
        ("2023-03-01", "2026-02-28", "2026-03-01", "2029-02-28"),
        # Six months renew to six months.
        ("2025-02-28", "2025-08-27", "2025-08-28", "2026-02-27"),
        # A term that is no number of months renews by its number of days (100 here).
        ("2025-01-10", "2025-04-19", "2025-04-20", "2025-07-28"),
    ],
)
def test_winning_a_renewal_starts_the_next_term(
    personas: Personas, start: str, end: str, next_start: str, next_end: str
) -> None:
    contract = factories.contract(account=personas.account, start=day(start), end=day(end))
    renewal = renewal_of(contract)

    won = services.opportunity_win(
        opportunity=renewal, acting_user=personas.owner, close_note="Signed"
    )

    next_term = won.next_contract
    assert next_term is not None
    assert (next_term.start_date, next_term.end_date) == (day(next_start), day(next_end))
    assert next_term.previous == contract
    assert next_term.status == ContractStatus.ACTIVE
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.RENEWED
    assert won.status == OpportunityStatus.WON


def test_the_next_term_takes_the_renewal_lines_when_it_has_some(personas: Personas) -> None:
    licence = factories.product("Platform licence")
    support = factories.product("Premium support", family_name="Services")
    contract = factories.contract(
        account=personas.account,
        start=day("2025-01-01"),
        end=day("2025-12-31"),
        lines=[factories.line(licence, 10, 100)],
    )
    renewal = renewal_of(
        contract, lines=[factories.line(licence, 12, 110), factories.line(support, 1, 500)]
    )

    next_term = services.opportunity_win(opportunity=renewal, acting_user=personas.owner)
    assert next_term.next_contract is not None

    lines = sorted(
        (line.product.name, line.quantity, line.unit_price, line.start_date, line.end_date)
        for line in next_term.next_contract.lines.select_related("product")
    )
    assert lines == [
        ("Platform licence", Decimal(12), Decimal(110), day("2026-01-01"), day("2026-12-31")),
        ("Premium support", Decimal(1), Decimal(500), day("2026-01-01"), day("2026-12-31")),
    ]


def test_without_lines_the_next_term_takes_the_lines_in_force_at_the_end(
    personas: Personas,
) -> None:
    licence = factories.product("Platform licence")
    support = factories.product("Premium support", family_name="Services")
    contract = factories.contract(
        account=personas.account,
        start=day("2025-01-01"),
        end=day("2025-12-31"),
        lines=[factories.line(licence, 10, 100), factories.line(support, 1, 300)],
    )
    # Mid-term, the client grows to 15 seats and drops support: what renews is that.
    services.contract_amend(
        contract=contract,
        acting_user=personas.owner,
        effective_date=day("2025-07-01"),
        reason="Growth",
        lines=[factories.line(licence, 15, 100)],
    )
    renewal = renewal_of(contract)

    won = services.opportunity_win(opportunity=renewal, acting_user=personas.owner)
    assert won.next_contract is not None

    lines = [
        (line.product.name, line.quantity, line.start_date)
        for line in won.next_contract.lines.select_related("product")
    ]
    assert lines == [("Platform licence", Decimal(15), day("2026-01-01"))]


# Losing ----------------------------------------------------------------------------------------


def test_losing_needs_a_reason(personas: Personas) -> None:
    contract = factories.contract(
        account=personas.account, start=today() - 300 * ONE_DAY, end=today() + 64 * ONE_DAY
    )
    renewal = renewal_of(contract)

    with pytest.raises(ValidationError) as refused:
        services.opportunity_lose(opportunity=renewal, acting_user=personas.owner, loss_reason="")

    assert refused.value.message_dict == {"loss_reason": ["Say why it was lost."]}
    assert Opportunity.objects.get(pk=renewal.pk).status == OpportunityStatus.OPEN
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE


def test_losing_the_last_live_contract_churns_it_and_the_account(personas: Personas) -> None:
    contract = factories.contract(
        account=personas.account, start=today() - 300 * ONE_DAY, end=today() + 64 * ONE_DAY
    )
    renewal = renewal_of(contract)

    lost = services.opportunity_lose(
        opportunity=renewal,
        acting_user=personas.teammate,
        loss_reason=LossReason.COMPETITOR,
        close_note="Moved to a cheaper tool.",
    )

    assert (lost.status, lost.loss_reason, lost.probability) == (
        OpportunityStatus.LOST,
        LossReason.COMPETITOR,
        0,
    )
    assert lost.forecast_category == ForecastCategory.OMITTED
    assert lost.stage.name == "Closed lost"
    stored = Contract.objects.get(pk=contract.pk)
    assert (stored.status, stored.churn_reason) == (ContractStatus.CHURNED, LossReason.COMPETITOR)
    assert Account.objects.get(pk=personas.account.pk).lifecycle_stage == LifecycleStage.CHURNED


def test_losing_one_contract_of_several_keeps_the_account_stage(personas: Personas) -> None:
    leaving = factories.contract(
        account=personas.account, start=today() - 300 * ONE_DAY, end=today() + 64 * ONE_DAY
    )
    factories.contract(
        account=personas.account,
        start=today() - 10 * ONE_DAY,
        end=today() + 400 * ONE_DAY,
        reference="Analytics add-on",
    )
    stage_before = Account.objects.get(pk=personas.account.pk).lifecycle_stage

    services.opportunity_lose(
        opportunity=renewal_of(leaving), acting_user=personas.owner, loss_reason=LossReason.PRICE
    )

    assert Contract.objects.get(pk=leaving.pk).status == ContractStatus.CHURNED
    account = Account.objects.get(pk=personas.account.pk)
    assert account.lifecycle_stage == stage_before != LifecycleStage.CHURNED


def test_losing_an_upsell_leaves_its_contract_alone(personas: Personas) -> None:
    contract = factories.contract(
        account=personas.account, start=today() - 300 * ONE_DAY, end=today() + 64 * ONE_DAY
    )
    upsell = factories.opportunity(
        account=personas.account, contract=contract, close_date=today() + 10 * ONE_DAY
    )

    services.opportunity_lose(
        opportunity=upsell, acting_user=personas.owner, loss_reason=LossReason.BUDGET
    )

    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE


# Reopening -------------------------------------------------------------------------------------


def test_reopening_a_won_renewal_cancels_the_next_term(personas: Personas) -> None:
    contract = factories.contract(
        account=personas.account, start=day("2025-01-01"), end=day("2025-12-31")
    )
    won = services.opportunity_win(opportunity=renewal_of(contract), acting_user=personas.owner)
    next_term = won.next_contract
    assert next_term is not None

    reopened = services.opportunity_reopen(
        opportunity=won, acting_user=personas.owner, expected_version=won.version
    )

    assert reopened.status == OpportunityStatus.OPEN
    assert reopened.next_contract is None
    assert reopened.closed_on is None
    assert (reopened.stage.name, reopened.probability) == ("Qualification", 10)
    assert Contract.objects.get(pk=next_term.pk).status == ContractStatus.CANCELLED
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE
    # Won again, it starts a fresh next term: the cancelled one leaves room for it.
    again = services.opportunity_win(opportunity=reopened, acting_user=personas.owner)
    assert again.next_contract is not None
    assert again.next_contract.pk != next_term.pk


def test_reopening_a_lost_renewal_makes_the_contract_active_again(personas: Personas) -> None:
    contract = factories.contract(
        account=personas.account, start=today() - 300 * ONE_DAY, end=today() + 64 * ONE_DAY
    )
    lost = services.opportunity_lose(
        opportunity=renewal_of(contract), acting_user=personas.owner, loss_reason=LossReason.PRICE
    )
    personas.account.refresh_from_db()
    assert personas.account.lifecycle_stage == LifecycleStage.CHURNED

    reopened = services.opportunity_reopen(opportunity=lost, acting_user=personas.owner)

    assert (reopened.status, reopened.loss_reason) == (OpportunityStatus.OPEN, "")
    stored = Contract.objects.get(pk=contract.pk)
    assert (stored.status, stored.churn_reason) == (ContractStatus.ACTIVE, "")
    # The account is back in its renewal rather than left churned.
    personas.account.refresh_from_db()
    assert personas.account.lifecycle_stage == LifecycleStage.RENEWAL


def test_reopening_is_refused_once_the_next_term_was_amended(personas: Personas) -> None:
    licence = factories.product()
    contract = factories.contract(
        account=personas.account, start=day("2025-01-01"), end=day("2025-12-31")
    )
    won = services.opportunity_win(opportunity=renewal_of(contract), acting_user=personas.owner)
    assert won.next_contract is not None
    services.contract_amend(
        contract=won.next_contract,
        acting_user=personas.owner,
        effective_date=day("2026-04-01"),
        reason="More seats",
        lines=[factories.line(licence, 5, 1000)],
    )

    with pytest.raises(ValidationError) as refused:
        services.opportunity_reopen(opportunity=won, acting_user=personas.owner)

    assert "The next term has changed since" in str(refused.value)
    assert Opportunity.objects.get(pk=won.pk).status == OpportunityStatus.WON
    assert Contract.objects.get(pk=won.next_contract.pk).status == ContractStatus.ACTIVE
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.RENEWED


# Permissions and history -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "teammate", "head", "admin"])
def test_whoever_edits_the_account_opens_and_closes_its_opportunities(
    personas: Personas, who: str
) -> None:
    factories.pipeline()
    user = getattr(personas, who)
    opportunity = services.opportunity_create(
        acting_user=user,
        account=personas.account,
        data={"type": OpportunityType.CROSS_SELL, "close_date": day("2030-01-31"), "amount": 10},
    )

    won = services.opportunity_win(opportunity=opportunity, acting_user=user)

    assert won.status == OpportunityStatus.WON


@pytest.mark.parametrize("who", ["outsider", "read_only"])
def test_others_may_neither_open_nor_change_an_opportunity(personas: Personas, who: str) -> None:
    user = getattr(personas, who)
    opportunity = factories.opportunity(account=personas.account, close_date=day("2030-03-31"))

    with pytest.raises(NotAllowedError):
        services.opportunity_create(
            acting_user=user,
            account=personas.account,
            data={"type": OpportunityType.UPSELL, "close_date": day("2030-01-31")},
        )
    for change in (
        lambda: services.opportunity_update(
            opportunity=opportunity, acting_user=user, data={"name": "Mine"}, expected_version=None
        ),
        lambda: services.opportunity_move(
            opportunity=opportunity, acting_user=user, stage=factories.stage("Proposal")
        ),
        lambda: services.opportunity_win(opportunity=opportunity, acting_user=user),
        lambda: services.opportunity_lose(
            opportunity=opportunity, acting_user=user, loss_reason=LossReason.OTHER
        ),
    ):
        with pytest.raises(NotAllowedError):
            change()

    assert Opportunity.objects.count() == 1
    stored = Opportunity.objects.get(pk=opportunity.pk)
    assert (stored.status, stored.version, stored.name) == (
        OpportunityStatus.OPEN,
        opportunity.version,
        opportunity.name,
    )


def test_an_inactive_or_read_only_owner_is_refused(personas: Personas) -> None:
    gone = UserFactory(role=Role.ACCOUNT_MANAGER, is_active=False)

    for owner in (gone, personas.read_only):
        with pytest.raises(ValidationError) as refused:
            factories.opportunity(
                account=personas.account, close_date=day("2030-03-31"), owner=owner
            )
        assert "This person cannot own an opportunity." in str(refused.value)
    assert not Opportunity.objects.exists()


def test_a_contract_of_another_account_is_refused(personas: Personas) -> None:
    elsewhere = factories.contract(
        account=AccountFactory(name="Elsewhere", owner=personas.owner),
        start=day("2025-01-01"),
        end=day("2025-12-31"),
    )

    with pytest.raises(ValidationError) as refused:
        factories.opportunity(
            account=personas.account, close_date=day("2030-03-31"), contract=elsewhere
        )

    assert "This contract belongs to another account." in str(refused.value)


def test_each_change_is_recorded_with_its_author(personas: Personas) -> None:
    licence = factories.product()
    opportunity = factories.opportunity(
        account=personas.account,
        close_date=day("2030-03-31"),
        amount=None,
        lines=[factories.line(licence, 1, 100)],
        acting_user=personas.owner,
    )
    services.opportunity_move(
        opportunity=opportunity, acting_user=personas.teammate, stage=factories.stage("Proposal")
    )
    services.opportunity_lose(
        opportunity=opportunity, acting_user=personas.head, loss_reason=LossReason.NO_DECISION
    )

    records = list(opportunity.history.order_by("history_date", "history_id"))
    assert [record.history_type for record in records] == ["+", "~", "~"]
    assert [record.history_user for record in records] == [
        personas.owner,
        personas.teammate,
        personas.head,
    ]
    assert [record.status for record in records] == ["open", "open", "lost"]
    line_records = OpportunityLine.history.filter(opportunity_id=opportunity.pk)
    assert [(record.history_type, record.history_user) for record in line_records] == [
        ("+", personas.owner)
    ]
