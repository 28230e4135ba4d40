"""The contract services: lines and their conversion, bad input, amendments, corrections, status,
the notice of tacit renewals, exchange rates, and the history each change leaves."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.accounts.choices import LifecycleStage
from rapport.communications.choices import TaskStatus
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.tests.personas import Personas
from rapport.revenue import metrics, services
from rapport.revenue.choices import ContractStatus, LossReason
from rapport.revenue.models import (
    Contract,
    ContractAmendment,
    ContractLine,
    ExchangeRate,
    Product,
)
from rapport.revenue.tests import factories
from rapport.revenue.tests.factories import line

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR_START, YEAR_END = D(2024, 1, 1), D(2024, 12, 31)


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


@dataclass
class Catalogue:
    platform: Product
    seats: Product
    support: Product
    analytics: Product


@pytest.fixture
def catalogue(db: None) -> Catalogue:
    return Catalogue(
        platform=factories.product("Platform licence", list_price=1000),
        seats=factories.product("Seats", list_price=50),
        support=factories.product("Premium support", family_name="Services", list_price=5000),
        analytics=factories.product("Analytics", family_name="Insights", list_price=3000),
    )


def create(personas: Personas, lines: list[dict[str, Any]], **data: Any) -> Contract:
    values = {"start_date": YEAR_START, "end_date": YEAR_END, "reference": "NW-2024", **data}
    return services.contract_create(
        acting_user=personas.owner, account=personas.account, data=values, lines=lines
    )


def messages_of(error: pytest.ExceptionInfo[ValidationError], field: str) -> list[str]:
    return error.value.message_dict[field]


def snapshot() -> list[tuple[Any, ...]]:
    """Every line as stored, to prove a refused change left them as they were."""
    return list(
        ContractLine.objects.order_by("pk").values_list(
            "pk",
            "product_id",
            "quantity",
            "unit_price",
            "annual_value_company",
            "start_date",
            "end_date",
            "ended_by_id",
        )
    )


# Creating a contract -------------------------------------------------------------------------


def test_create_values_each_line_and_converts_it_at_the_rate_of_its_first_day(
    personas: Personas, catalogue: Catalogue
) -> None:
    factories.rate("USD", D(2023, 12, 1), "0.9")
    factories.rate("USD", D(2024, 7, 1), "0.8")
    contract = create(
        personas,
        [
            line(catalogue.platform, 2, "1000"),
            line(catalogue.seats, 10, "55.50", start_date=D(2024, 7, 1)),
        ],
        currency=" usd ",
    )
    assert contract.currency == "USD" and contract.created_by == personas.owner
    platform, seats = contract.lines.order_by("start_date")
    assert (platform.start_date, platform.end_date) == (YEAR_START, YEAR_END)
    assert platform.annual_value == Decimal("2000.00")
    assert platform.annual_value_company == Decimal("1800.00")
    assert (seats.start_date, seats.end_date) == (D(2024, 7, 1), YEAR_END)
    assert seats.annual_value == Decimal("555.00")
    assert seats.annual_value_company == Decimal("444.00")
    assert metrics.arr_at(day=D(2024, 8, 1)) == Decimal("2244.00")
    # Everything it wrote is in the history, in the acting user's name.
    assert contract.history.get().history_user == personas.owner
    recorded = ContractLine.history.filter(contract_id=contract.pk)
    assert recorded.count() == 2
    assert {record.history_user for record in recorded} == {personas.owner}


def test_a_contract_in_the_company_currency_needs_no_rate(
    personas: Personas, catalogue: Catalogue
) -> None:
    contract = create(personas, [line(catalogue.platform, 3, "900")])
    assert contract.currency == "EUR"
    assert contract.lines.get().annual_value_company == Decimal("2700.00")


@pytest.mark.parametrize(
    ("lines", "data", "field", "message"),
    [
        pytest.param(
            lambda c: [
                line(c.platform, 1, 100),
                line(c.platform, 2, 100, start_date=D(2024, 6, 1)),
            ],
            {},
            "lines",
            "Platform licence is already on this contract from 2024-01-01 to 2024-12-31: "
            "the terms of one line cannot overlap.",
            id="overlapping-terms-of-one-product",
        ),
        pytest.param(
            lambda c: [line(c.platform, 1, 100), line(c.seats, -5, 50)],
            {},
            "lines",
            "Line 2: the quantity must be more than zero.",
            id="negative-quantity",
        ),
        pytest.param(
            lambda c: [line(c.platform, 0, 100)],
            {},
            "lines",
            "Line 1: the quantity must be more than zero.",
            id="zero-quantity",
        ),
        pytest.param(
            lambda c: [line(c.platform, 1, "-0.01")],
            {},
            "lines",
            "Line 1: a price cannot be negative.",
            id="negative-price",
        ),
        pytest.param(
            lambda c: [line(c.platform, 1, 100, end_date=D(2025, 2, 1))],
            {},
            "lines",
            "Line 1: its dates must lie within the term (2024-01-01 – 2024-12-31).",
            id="line-outside-the-term",
        ),
        pytest.param(
            lambda c: [line(c.platform, 1, 100)],
            {"start_date": D(2024, 6, 1), "end_date": D(2024, 5, 31)},
            "__all__",
            "The end date must be after the start date.",
            id="end-before-start",
        ),
        pytest.param(
            lambda c: [line(c.platform, 1, 100)],
            {"currency": "USD"},
            "currency",
            "There is no exchange rate for USD on 2024-01-01: add one under Exchange rates first.",
            id="currency-without-a-rate",
        ),
        pytest.param(
            lambda c: [line(c.platform, 1, 100)],
            {"notice_days": 400},
            "notice_days",
            "The notice period must be shorter than the term.",
            id="notice-longer-than-the-term",
        ),
        pytest.param(lambda c: [], {}, "lines", "Add at least one product.", id="no-lines"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_saved(
    personas: Personas,
    catalogue: Catalogue,
    lines: Any,
    data: dict[str, Any],
    field: str,
    message: str,
) -> None:
    # A rate that starts too late: the contract's first day still has none.
    factories.rate("USD", D(2024, 2, 1), "0.9")
    existing = create(personas, [line(catalogue.support, 1, 5000)], reference="Kept")
    before = (Contract.objects.count(), snapshot(), Contract.history.count())
    with pytest.raises(ValidationError) as error:
        create(personas, lines(catalogue), **data)
    assert message in messages_of(error, field)
    assert (Contract.objects.count(), snapshot(), Contract.history.count()) == before
    assert list(Contract.objects.all()) == [existing]


def test_a_line_that_overlaps_a_stretch_that_ended_first_is_accepted(
    personas: Personas, catalogue: Catalogue
) -> None:
    contract = create(
        personas,
        [
            line(catalogue.platform, 1, 100, end_date=D(2024, 5, 31)),
            line(catalogue.platform, 2, 100, start_date=D(2024, 6, 1)),
        ],
    )
    assert contract.lines.count() == 2


def test_only_those_who_edit_the_account_add_its_contracts(
    personas: Personas, catalogue: Catalogue
) -> None:
    for user in (personas.outsider, personas.read_only):
        with pytest.raises(NotAllowedError):
            services.contract_create(
                acting_user=user,
                account=personas.account,
                data={"start_date": YEAR_START, "end_date": YEAR_END},
                lines=[line(catalogue.platform, 1, 100)],
            )
    assert not Contract.objects.exists()
    made = services.contract_create(
        acting_user=personas.teammate,
        account=personas.account,
        data={"start_date": YEAR_START, "end_date": YEAR_END},
        lines=[line(catalogue.platform, 1, 100)],
    )
    assert made.created_by == personas.teammate


# Amendments ----------------------------------------------------------------------------------


@pytest.fixture
def signed(personas: Personas, catalogue: Catalogue) -> Contract:
    """A year of platform, seats and support, in the company currency."""
    return create(
        personas,
        [
            line(catalogue.platform, 2, 1000),
            line(catalogue.seats, 10, 50),
            line(catalogue.support, 1, 5000),
        ],
    )


def lines_of(contract: Contract, product: Product) -> list[ContractLine]:
    return list(contract.lines.filter(product=product).order_by("start_date"))


def test_an_amendment_keeps_unchanged_lines_and_ends_and_continues_the_others(
    personas: Personas, catalogue: Catalogue, signed: Contract
) -> None:
    platform_before = lines_of(signed, catalogue.platform)[0]
    amendment = services.contract_amend(
        contract=signed,
        acting_user=personas.owner,
        effective_date=D(2024, 7, 1),
        reason="  Twenty seats from July; support dropped; analytics added.  ",
        lines=[
            line(catalogue.platform, 2, 1000),
            line(catalogue.seats, 20, 50),
            line(catalogue.analytics, 1, 3000),
        ],
    )
    assert amendment.reason == "Twenty seats from July; support dropped; analytics added."
    assert amendment.created_by == personas.owner
    # Unchanged: the very same row, untouched.
    (platform,) = lines_of(signed, catalogue.platform)
    assert platform.pk == platform_before.pk
    assert (platform.end_date, platform.ended_by, platform.updated_at) == (
        YEAR_END,
        None,
        platform_before.updated_at,
    )
    # Changed: ended the day before, continued with the new quantity to the end of the old line.
    old_seats, new_seats = lines_of(signed, catalogue.seats)
    assert (old_seats.quantity, old_seats.end_date) == (Decimal(10), D(2024, 6, 30))
    assert old_seats.ended_by == amendment and old_seats.amendment is None
    assert (new_seats.quantity, new_seats.start_date, new_seats.end_date) == (
        Decimal(20),
        D(2024, 7, 1),
        YEAR_END,
    )
    assert new_seats.amendment == amendment and new_seats.annual_value == Decimal("1000.00")
    # Removed: ended, with no successor.
    (support,) = lines_of(signed, catalogue.support)
    assert (support.end_date, support.ended_by) == (D(2024, 6, 30), amendment)
    # Added: from the day to the end of the term.
    (analytics,) = lines_of(signed, catalogue.analytics)
    assert (analytics.start_date, analytics.end_date, analytics.amendment) == (
        D(2024, 7, 1),
        YEAR_END,
        amendment,
    )
    assert metrics.arr_at(day=D(2024, 6, 30)) == Decimal("7500.00")
    assert metrics.arr_at(day=D(2024, 7, 1)) == Decimal("6000.00")
    signed.refresh_from_db()
    assert signed.version == 2
    # The amendment, the lines it ended and started, and the contract: all in the owner's name.
    assert ContractAmendment.history.get(id=amendment.pk).history_user == personas.owner
    changed = ContractLine.history.filter(contract_id=signed.pk, history_type="~")
    assert {record.id for record in changed} == {old_seats.pk, support.pk}
    assert {record.history_user for record in changed} == {personas.owner}
    started = ContractLine.history.filter(amendment_id=amendment.pk, history_type="+")
    assert {record.id for record in started} == {new_seats.pk, analytics.pk}
    assert signed.history.first().history_user == personas.owner


def test_an_amendment_that_changes_nothing_is_refused(
    personas: Personas, catalogue: Catalogue, signed: Contract
) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.contract_amend(
            contract=signed,
            acting_user=personas.owner,
            effective_date=D(2024, 7, 1),
            reason="Nothing really",
            lines=[
                line(catalogue.support, 1, "5000.00"),
                line(catalogue.platform, 2, 1000),
                line(catalogue.seats, "10.00", 50),
            ],
        )
    assert messages_of(error, "lines") == ["This amendment changes nothing."]
    assert not ContractAmendment.objects.exists() and snapshot() == before


@pytest.mark.parametrize("effective", [YEAR_START, D(2023, 12, 31), D(2025, 1, 1)])
def test_an_amendment_takes_effect_within_the_term_after_its_first_day(
    personas: Personas, catalogue: Catalogue, signed: Contract, effective: datetime.date
) -> None:
    with pytest.raises(ValidationError) as error:
        services.contract_amend(
            contract=signed,
            acting_user=personas.owner,
            effective_date=effective,
            reason="Out of the term",
            lines=[line(catalogue.platform, 5, 1000)],
        )
    assert "after the first day of the term" in messages_of(error, "effective_date")[0]
    assert not ContractAmendment.objects.exists()


def test_the_last_day_of_the_term_is_a_valid_effective_date(
    personas: Personas, catalogue: Catalogue, signed: Contract
) -> None:
    amendment = services.contract_amend(
        contract=signed,
        acting_user=personas.owner,
        effective_date=YEAR_END,
        reason="Last day",
        lines=[line(catalogue.platform, 3, 1000)],
    )
    assert amendment.started_lines.get().start_date == YEAR_END


def test_an_amendment_before_a_later_one_is_refused(
    personas: Personas, catalogue: Catalogue, signed: Contract
) -> None:
    services.contract_amend(
        contract=signed,
        acting_user=personas.owner,
        effective_date=D(2024, 7, 1),
        reason="More seats",
        lines=[
            line(catalogue.platform, 2, 1000),
            line(catalogue.seats, 20, 50),
            line(catalogue.support, 1, 5000),
        ],
    )
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.contract_amend(
            contract=signed,
            acting_user=personas.owner,
            effective_date=D(2024, 3, 1),
            reason="Earlier change",
            lines=[line(catalogue.platform, 3, 1000)],
        )
    assert messages_of(error, "effective_date") == [
        "A later amendment exists: amend from its date or after it."
    ]
    assert ContractAmendment.objects.count() == 1 and snapshot() == before


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            lambda c: [line(c.platform, 2, 1000), line(c.platform, 3, 1000)],
            "Line 2: this product is listed twice.",
        ),
        (lambda c: [line(c.platform, -2, 1000)], "Line 1: the quantity must be more than zero."),
        (lambda c: [line(c.platform, 2, -1)], "Line 1: a price cannot be negative."),
    ],
)
def test_amended_lines_are_checked_like_new_ones(
    personas: Personas, catalogue: Catalogue, signed: Contract, lines: Any, message: str
) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.contract_amend(
            contract=signed,
            acting_user=personas.owner,
            effective_date=D(2024, 7, 1),
            reason="Bad lines",
            lines=lines(catalogue),
        )
    assert message in messages_of(error, "lines")
    assert not ContractAmendment.objects.exists() and snapshot() == before


def test_an_amendment_needs_a_reason_the_right_and_the_current_version(
    personas: Personas, catalogue: Catalogue, signed: Contract
) -> None:
    arguments: dict[str, Any] = {
        "contract": signed,
        "effective_date": D(2024, 7, 1),
        "lines": [line(catalogue.platform, 3, 1000)],
    }
    with pytest.raises(ValidationError) as error:
        services.contract_amend(acting_user=personas.owner, reason="  ", **arguments)
    assert messages_of(error, "reason") == ["Say why the contract changes."]
    with pytest.raises(NotAllowedError):
        services.contract_amend(acting_user=personas.outsider, reason="Why not", **arguments)
    with pytest.raises(StaleVersionError):
        services.contract_amend(
            acting_user=personas.owner, reason="Late", expected_version=7, **arguments
        )
    assert not ContractAmendment.objects.exists()


# Correcting a contract -----------------------------------------------------------------------


def test_new_dates_stretch_the_lines_that_ran_to_them(
    personas: Personas, catalogue: Catalogue
) -> None:
    contract = create(
        personas,
        [
            line(catalogue.platform, 1, 1000),
            line(catalogue.seats, 5, 50, start_date=D(2024, 3, 1), end_date=D(2024, 9, 30)),
        ],
    )
    saved = services.contract_update(
        contract=contract,
        acting_user=personas.head,
        data={"start_date": D(2023, 12, 1), "end_date": D(2025, 3, 31), "notes": "Extended"},
        expected_version=1,
    )
    assert (saved.start_date, saved.end_date, saved.version) == (
        D(2023, 12, 1),
        D(2025, 3, 31),
        2,
    )
    platform, seats = contract.lines.order_by("product__search_name")
    assert (platform.start_date, platform.end_date) == (D(2023, 12, 1), D(2025, 3, 31))
    assert (seats.start_date, seats.end_date) == (D(2024, 3, 1), D(2024, 9, 30))
    record = ContractLine.history.filter(id=platform.pk).first()
    assert record.history_type == "~" and record.history_user == personas.head
    assert contract.history.first().history_user == personas.head


def test_new_dates_that_would_cut_amended_lines_are_refused(
    personas: Personas, catalogue: Catalogue, signed: Contract
) -> None:
    services.contract_amend(
        contract=signed,
        acting_user=personas.owner,
        effective_date=D(2024, 7, 1),
        reason="More seats",
        lines=[
            line(catalogue.platform, 2, 1000),
            line(catalogue.seats, 20, 50),
            line(catalogue.support, 1, 5000),
        ],
    )
    signed.refresh_from_db()
    before = (snapshot(), signed.version, signed.end_date)
    with pytest.raises(ValidationError) as error:
        services.contract_update(
            contract=signed,
            acting_user=personas.owner,
            data={"end_date": D(2024, 6, 15)},
            expected_version=signed.version,
        )
    assert set(error.value.message_dict) & {"end_date", "start_date"}
    signed.refresh_from_db()
    assert (snapshot(), signed.version, signed.end_date) == before


def test_lines_are_replaced_only_while_no_amendment_was_recorded(
    personas: Personas, catalogue: Catalogue, signed: Contract
) -> None:
    old_ids = set(signed.lines.values_list("pk", flat=True))
    services.contract_update(
        contract=signed,
        acting_user=personas.owner,
        data={},
        expected_version=None,
        lines=[line(catalogue.platform, 4, 900)],
    )
    (replacement,) = signed.lines.all()
    assert replacement.pk not in old_ids and replacement.annual_value == Decimal("3600.00")
    deleted = ContractLine.history.filter(id__in=old_ids, history_type="-")
    assert deleted.count() == 3 and {r.history_user for r in deleted} == {personas.owner}
    services.contract_amend(
        contract=signed,
        acting_user=personas.owner,
        effective_date=D(2024, 4, 1),
        reason="Five",
        lines=[line(catalogue.platform, 5, 900)],
    )
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.contract_update(
            contract=signed,
            acting_user=personas.owner,
            data={},
            expected_version=None,
            lines=[line(catalogue.platform, 1, 900)],
        )
    assert messages_of(error, "lines") == [
        "This contract has amendments: record a change as an amendment."
    ]
    assert snapshot() == before


def test_a_stale_correction_is_refused(personas: Personas, signed: Contract) -> None:
    services.contract_update(
        contract=signed, acting_user=personas.owner, data={"notes": "First"}, expected_version=1
    )
    with pytest.raises(StaleVersionError):
        services.contract_update(
            contract=signed, acting_user=personas.head, data={"notes": "Second"}, expected_version=1
        )
    signed.refresh_from_db()
    assert signed.notes == "First"


# Status --------------------------------------------------------------------------------------


@pytest.fixture
def live(personas: Personas, catalogue: Catalogue) -> Contract:
    """A contract in force today."""
    return factories.contract(
        account=personas.account,
        start=days(-100),
        end=days(265),
        lines=[line(catalogue.platform, 1, 1000)],
    )


def test_churn_needs_a_reason_and_churns_the_account_with_no_other_live_contract(
    personas: Personas, live: Contract
) -> None:
    with pytest.raises(ValidationError) as error:
        services.contract_set_status(
            contract=live, acting_user=personas.owner, status=ContractStatus.CHURNED
        )
    assert messages_of(error, "churn_reason") == ["Say why the client left."]
    live.refresh_from_db()
    assert live.status == ContractStatus.ACTIVE
    saved = services.contract_set_status(
        contract=live,
        acting_user=personas.owner,
        status=ContractStatus.CHURNED,
        churn_reason=LossReason.COMPETITOR,
    )
    assert (saved.status, saved.churn_reason) == (ContractStatus.CHURNED, LossReason.COMPETITOR)
    personas.account.refresh_from_db()
    assert personas.account.lifecycle_stage == LifecycleStage.CHURNED
    assert personas.account.history.first().history_user == personas.owner
    assert live.history.first().history_user == personas.owner
    # Made active again: the reason goes.
    again = services.contract_set_status(
        contract=live, acting_user=personas.owner, status=ContractStatus.ACTIVE
    )
    assert (again.status, again.churn_reason) == (ContractStatus.ACTIVE, "")


def test_the_account_stays_when_another_contract_is_live(
    personas: Personas, catalogue: Catalogue, live: Contract
) -> None:
    factories.contract(
        account=personas.account,
        start=days(-10),
        end=days(355),
        lines=[line(catalogue.support, 1, 5000)],
    )
    stage = personas.account.lifecycle_stage
    services.contract_set_status(
        contract=live,
        acting_user=personas.owner,
        status=ContractStatus.CHURNED,
        churn_reason=LossReason.PRICE,
    )
    personas.account.refresh_from_db()
    assert personas.account.lifecycle_stage == stage != LifecycleStage.CHURNED


def test_renewed_is_reached_only_through_a_renewal_and_cancelled_stops_changes(
    personas: Personas, catalogue: Catalogue, live: Contract
) -> None:
    with pytest.raises(ValidationError) as error:
        services.contract_set_status(
            contract=live, acting_user=personas.owner, status=ContractStatus.RENEWED
        )
    assert "through its renewal" in messages_of(error, "status")[0]
    with pytest.raises(NotAllowedError):
        services.contract_set_status(
            contract=live, acting_user=personas.read_only, status=ContractStatus.CANCELLED
        )
    services.contract_set_status(
        contract=live, acting_user=personas.owner, status=ContractStatus.CANCELLED
    )
    assert metrics.arr_at(day=timezone.localdate()) == Decimal("0.00")
    with pytest.raises(ValidationError) as error:
        services.contract_update(
            contract=live, acting_user=personas.owner, data={"notes": "x"}, expected_version=None
        )
    assert "cancelled" in error.value.messages[0]
    with pytest.raises(ValidationError):
        services.contract_amend(
            contract=live,
            acting_user=personas.owner,
            effective_date=days(0),
            reason="Too late",
            lines=[line(catalogue.platform, 2, 1000)],
        )


# The notice of tacit renewals ----------------------------------------------------------------


def test_the_notice_is_recorded_only_for_tacit_renewals_and_not_in_the_future(
    personas: Personas, live: Contract
) -> None:
    with pytest.raises(ValidationError) as error:
        services.contract_record_notice(
            contract=live, acting_user=personas.owner, notified_on=days(0)
        )
    assert messages_of(error, "client_notified_on") == [
        "Only a contract that renews tacitly has a notice date."
    ]
    tacit = services.contract_update(
        contract=live,
        acting_user=personas.owner,
        data={"auto_renew": True, "notice_days": 90},
        expected_version=None,
    )
    with pytest.raises(ValidationError) as error:
        services.contract_record_notice(
            contract=tacit, acting_user=personas.owner, notified_on=days(1)
        )
    assert messages_of(error, "client_notified_on") == ["This day has not come yet."]
    tacit.refresh_from_db()
    assert tacit.client_notified_on is None


def test_recording_the_notice_completes_the_open_reminder(
    personas: Personas, catalogue: Catalogue
) -> None:
    contract = factories.contract(
        account=personas.account,
        start=days(-300),
        end=days(60),
        auto_renew=True,
        notice_days=30,
        lines=[line(catalogue.platform, 1, 1000)],
    )
    assert services.notice_reminders_create(today=days(0), reminder_days=45) == [contract]
    contract.refresh_from_db()
    reminder = contract.notice_reminder
    assert reminder is not None and reminder.status == TaskStatus.OPEN
    saved = services.contract_record_notice(
        contract=contract, acting_user=personas.teammate, notified_on=days(-1)
    )
    assert saved.client_notified_on == days(-1)
    reminder.refresh_from_db()
    assert reminder.status == TaskStatus.DONE
    assert contract.history.first().history_user == personas.teammate


# Exchange rates ------------------------------------------------------------------------------


@pytest.fixture
def in_dollars(personas: Personas, catalogue: Catalogue) -> Contract:
    factories.rate("USD", D(2023, 12, 1), "0.9")
    return create(
        personas,
        [
            line(catalogue.platform, 1, 1000),
            line(catalogue.seats, 10, 100, start_date=D(2024, 8, 1)),
        ],
        currency="USD",
    )


def company_values(contract: Contract) -> list[Decimal]:
    return list(
        contract.lines.order_by("start_date").values_list("annual_value_company", flat=True)
    )


def test_setting_a_rate_converts_again_what_it_affects(
    personas: Personas, in_dollars: Contract
) -> None:
    opportunity = factories.opportunity(
        account=personas.account, close_date=D(2024, 9, 1), currency="USD", amount=2000
    )
    assert company_values(in_dollars) == [Decimal("900.00"), Decimal("900.00")]
    services.exchange_rate_set(
        acting_user=personas.head, currency="usd", effective_date=D(2024, 7, 1), rate=Decimal("0.8")
    )
    assert company_values(in_dollars) == [Decimal("900.00"), Decimal("800.00")]
    opportunity.refresh_from_db()
    assert opportunity.amount_company == Decimal("1600.00")
    # The same currency and day again corrects the rate instead of adding one.
    corrected = services.exchange_rate_set(
        acting_user=personas.admin, currency="USD", effective_date=D(2023, 12, 1), rate=Decimal("1")
    )
    assert ExchangeRate.objects.filter(currency="USD").count() == 2
    assert company_values(in_dollars) == [Decimal("1000.00"), Decimal("800.00")]
    records = ExchangeRate.history.filter(id=corrected.pk).order_by("history_date")
    assert [record.history_user for record in records] == [None, personas.admin]
    assert records.last().rate == Decimal("1")


def test_rates_are_kept_by_administrators_and_heads_and_never_for_the_company_currency(
    personas: Personas,
) -> None:
    for user in (personas.owner, personas.read_only, personas.teammate):
        with pytest.raises(NotAllowedError):
            services.exchange_rate_set(
                acting_user=user, currency="USD", effective_date=YEAR_START, rate=Decimal("0.9")
            )
    with pytest.raises(ValidationError) as error:
        services.exchange_rate_set(
            acting_user=personas.head, currency="eur", effective_date=YEAR_START, rate=Decimal(2)
        )
    assert messages_of(error, "currency") == [
        "This is the company currency: it always converts at 1."
    ]
    assert not ExchangeRate.objects.exists()


def test_deleting_a_rate_is_refused_when_a_figure_would_lose_its_rate(
    personas: Personas, in_dollars: Contract
) -> None:
    only = ExchangeRate.objects.get()
    only_pk, before = only.pk, snapshot()
    with pytest.raises(ValidationError) as error:
        services.exchange_rate_delete(acting_user=personas.head, rate=only)
    assert messages_of(error, "rate") == [
        "There is no exchange rate for USD on 2024-01-01: add one under Exchange rates first."
    ]
    assert ExchangeRate.objects.filter(pk=only_pk).exists() and snapshot() == before
    assert not ExchangeRate.history.filter(history_type="-").exists()


def test_deleting_a_rate_converts_again_at_the_rate_left(
    personas: Personas, in_dollars: Contract
) -> None:
    later = factories.rate("USD", D(2024, 7, 1), "0.8")
    later_pk = later.pk
    services.reconvert(currency="USD", acting_user=None)
    assert company_values(in_dollars) == [Decimal("900.00"), Decimal("800.00")]
    services.exchange_rate_delete(acting_user=personas.admin, rate=later)
    assert company_values(in_dollars) == [Decimal("900.00"), Decimal("900.00")]
    deleted = ExchangeRate.history.get(id=later_pk, history_type="-")
    assert deleted.history_user == personas.admin
    with pytest.raises(NotAllowedError):
        services.exchange_rate_delete(acting_user=personas.owner, rate=ExchangeRate.objects.get())
