"""Writes on the catalogue, contracts and opportunities: checked, atomic, recorded in history.

A refused change raises ``ValidationError`` with a message per field (``lines`` for the lines,
each message naming its line) and leaves the database as it was: every public service runs in one
transaction.
"""

from __future__ import annotations

import calendar
import datetime
import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts import services as accounts
from rapport.accounts.choices import LifecycleStage
from rapport.accounts.models import Account
from rapport.communications import services as communications
from rapport.communications.choices import TaskStatus
from rapport.core.services import apply_fields, lock_versioned, require_permission, save_versioned
from rapport.revenue.choices import (
    ContractStatus,
    ForecastCategory,
    OpportunityStatus,
    OpportunityType,
)
from rapport.revenue.models import (
    Contract,
    ContractAmendment,
    ContractLine,
    ExchangeRate,
    Opportunity,
    OpportunityLine,
    PipelineStage,
    Product,
    ProductFamily,
)
from rapport.revenue.rates import CENT, RateTable, company_currency
from rapport.users.models import User

ONE_DAY = datetime.timedelta(days=1)


def cents(value: Decimal) -> int:
    """A company-currency figure in whole cents (it is already rounded to the cent)."""
    return int((value * 100).to_integral_value())


def _save_new(instance: Any, *, acting_user: User | None) -> None:
    instance.full_clean()
    instance._history_user = acting_user
    instance.save()


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_term_dates(contract: Contract) -> tuple[datetime.date, datetime.date]:
    """The dates of the term after this one: as many whole months when the term is so, or days."""
    start = contract.end_date + ONE_DAY
    for months in range(1, 121):
        anniversary = add_months(contract.start_date, months)
        if anniversary == start:
            return start, add_months(start, months) - ONE_DAY
        if anniversary > start:
            break
    return start, start + datetime.timedelta(days=contract.term_days - 1)


def _next_position(model: type[ProductFamily] | type[PipelineStage]) -> int:
    """The position after the last one, for a row added at the end of an ordered list."""
    return int(model.objects.aggregate(last=Max("position"))["last"] or 0) + 1


# Catalogue --------------------------------------------------------------------------------

PRODUCT_FIELDS = ("name", "code", "family", "list_price", "is_active", "description")
FAMILY_FIELDS = ("name", "position", "description")


@transaction.atomic
def product_family_create(*, acting_user: User, data: Mapping[str, Any]) -> ProductFamily:
    require_permission(acting_user, "revenue.change_catalogue")
    family = ProductFamily()
    if "position" not in data:
        family.position = _next_position(ProductFamily)
    apply_fields(family, data, FAMILY_FIELDS)
    _save_new(family, acting_user=acting_user)
    return family


@transaction.atomic
def product_family_update(
    *, family: ProductFamily, acting_user: User, data: Mapping[str, Any]
) -> ProductFamily:
    require_permission(acting_user, "revenue.change_catalogue")
    locked = ProductFamily.objects.select_for_update().get(pk=family.pk)
    if apply_fields(locked, data, FAMILY_FIELDS):
        _save_new(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def product_create(*, acting_user: User, data: Mapping[str, Any]) -> Product:
    require_permission(acting_user, "revenue.change_catalogue")
    # Given at once: reading an unset family (as apply_fields compares) raises.
    product = Product(family=data.get("family"))
    apply_fields(product, data, PRODUCT_FIELDS)
    _save_new(product, acting_user=acting_user)
    return product


@transaction.atomic
def product_update(
    *, product: Product, acting_user: User, data: Mapping[str, Any], expected_version: int | None
) -> Product:
    require_permission(acting_user, "revenue.change_catalogue")
    locked = lock_versioned(Product, pk=product.pk, expected_version=expected_version)
    if apply_fields(locked, data, PRODUCT_FIELDS):
        save_versioned(locked, acting_user=acting_user)
    return locked


# Exchange rates ---------------------------------------------------------------------------


@transaction.atomic
def exchange_rate_set(
    *, acting_user: User, currency: str, effective_date: datetime.date, rate: Decimal
) -> ExchangeRate:
    """Record (or correct) a currency's rate from a day on, and convert again what it affects."""
    require_permission(acting_user, "revenue.change_catalogue")
    currency = (currency or "").strip().upper()
    if currency == company_currency():
        raise ValidationError(
            {"currency": _("This is the company currency: it always converts at 1.")}
        )
    existing = ExchangeRate.objects.select_for_update().filter(
        currency=currency, effective_date=effective_date
    )
    row = existing.first() or ExchangeRate(currency=currency, effective_date=effective_date)
    row.rate = rate
    _save_new(row, acting_user=acting_user)
    reconvert(currency=currency, acting_user=acting_user)
    return row


@transaction.atomic
def exchange_rate_delete(*, acting_user: User, rate: ExchangeRate) -> None:
    """Remove a rate; refused when some figure would be left with no rate at all."""
    require_permission(acting_user, "revenue.change_catalogue")
    rate._history_user = acting_user  # type: ignore[attr-defined]
    currency = rate.currency
    rate.delete()
    reconvert(currency=currency, acting_user=acting_user)


def reconvert(*, currency: str, acting_user: User | None) -> int:
    """Convert again every line and opportunity in ``currency``; return how many changed.

    Raises ``ValidationError`` (so the caller's transaction rolls back) when one of them has no
    rate any more.
    """
    table = RateTable([currency])
    lines = ContractLine.objects.filter(contract__currency=currency).only(
        "annual_value", "annual_value_company", "start_date"
    )
    changed_lines = []
    for line in lines.iterator(chunk_size=2000):
        value = table.convert(line.annual_value, currency, line.start_date, field="rate")
        if value != line.annual_value_company:
            line.annual_value_company, line.annual_cents = value, cents(value)
            changed_lines.append(line)
    ContractLine.objects.bulk_update(
        changed_lines, ["annual_value_company", "annual_cents"], batch_size=1000
    )
    opportunities = Opportunity.objects.filter(currency=currency).only(
        "amount", "amount_company", "close_date"
    )
    changed_opportunities = []
    for opportunity in opportunities.iterator(chunk_size=2000):
        value = table.convert(opportunity.amount, currency, opportunity.close_date, field="rate")
        if value != opportunity.amount_company:
            opportunity.amount_company = value
            changed_opportunities.append(opportunity)
    Opportunity.objects.bulk_update(changed_opportunities, ["amount_company"], batch_size=1000)
    changed = len(changed_lines) + len(changed_opportunities)
    return changed


# Pipeline stages --------------------------------------------------------------------------

STAGE_FIELDS = ("name", "position", "outcome", "probability", "forecast_category", "is_active")


def first_open_stage() -> PipelineStage:
    stage = PipelineStage.objects.filter(is_active=True, outcome=OpportunityStatus.OPEN).first()
    if stage is None:
        raise ValidationError({"stage": _("The pipeline has no open stage in use.")})
    return stage


def closing_stage(outcome: str) -> PipelineStage:
    stage = PipelineStage.objects.filter(is_active=True, outcome=outcome).first()
    if stage is None:
        raise ValidationError(
            {"stage": _("The pipeline has no stage in use that closes an opportunity so.")}
        )
    return stage


def _check_pipeline() -> None:
    """The pipeline keeps at least one open, one won and one lost stage in use."""
    outcomes = set(
        PipelineStage.objects.filter(is_active=True).values_list("outcome", flat=True).distinct()
    )
    if not set(OpportunityStatus.values) <= outcomes:
        raise ValidationError(
            _("The pipeline needs at least one open, one won and one lost stage in use.")
        )


@transaction.atomic
def stage_create(*, acting_user: User, data: Mapping[str, Any]) -> PipelineStage:
    require_permission(acting_user, "revenue.change_catalogue")
    stage = PipelineStage()
    if "position" not in data:
        stage.position = _next_position(PipelineStage)
    apply_fields(stage, data, STAGE_FIELDS)
    _save_new(stage, acting_user=acting_user)
    return stage


@transaction.atomic
def stage_update(
    *, stage: PipelineStage, acting_user: User, data: Mapping[str, Any]
) -> PipelineStage:
    """Change a stage; a stage holding opportunities keeps its outcome (it would reclose them)."""
    require_permission(acting_user, "revenue.change_catalogue")
    locked = PipelineStage.objects.select_for_update().get(pk=stage.pk)
    previous_outcome = locked.outcome
    if not apply_fields(locked, data, STAGE_FIELDS):
        return locked
    if locked.outcome != previous_outcome and Opportunity.objects.filter(stage=locked).exists():
        raise ValidationError(
            {"outcome": _("Opportunities are at this stage: move them before changing this.")}
        )
    _save_new(locked, acting_user=acting_user)
    _check_pipeline()
    return locked


@transaction.atomic
def stage_reorder(*, acting_user: User, stage_ids: Sequence[int]) -> None:
    """Put the stages in the given order (the board's columns follow it)."""
    require_permission(acting_user, "revenue.change_catalogue")
    stages = PipelineStage.objects.select_for_update().in_bulk(list(stage_ids))
    if len(stages) != len(set(stage_ids)) or len(stages) != PipelineStage.objects.count():
        raise ValidationError(_("Give every stage once."))
    for position, stage_id in enumerate(stage_ids, start=1):
        stage = stages[stage_id]
        if stage.position != position:
            stage.position = position
            _save_new(stage, acting_user=acting_user)


# Contract lines ---------------------------------------------------------------------------

CONTRACT_FIELDS = (
    "reference",
    "currency",
    "start_date",
    "end_date",
    "auto_renew",
    "notice_days",
    "client_notified_on",
    "notes",
)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _line_problems(
    number: int,
    spec: Mapping[str, Any],
    *,
    start: datetime.date,
    end: datetime.date,
) -> list[str]:
    """What is wrong with one line as given, each problem naming the line."""
    problems = []
    prefix = _("Line %(number)s") % {"number": number}
    if not isinstance(spec.get("product"), Product):
        problems.append(_("%(line)s: choose a product.") % {"line": prefix})
    quantity = _decimal(spec.get("quantity"))
    if quantity is None:
        problems.append(_("%(line)s: give a quantity.") % {"line": prefix})
    elif quantity <= 0:
        problems.append(_("%(line)s: the quantity must be more than zero.") % {"line": prefix})
    price = _decimal(spec.get("unit_price"))
    if price is None:
        problems.append(_("%(line)s: give a unit price.") % {"line": prefix})
    elif price < 0:
        problems.append(_("%(line)s: a price cannot be negative.") % {"line": prefix})
    line_start = spec.get("start_date") or start
    line_end = spec.get("end_date") or end
    if line_end < line_start:
        problems.append(_("%(line)s: it cannot end before it starts.") % {"line": prefix})
    if line_start < start or line_end > end:
        problems.append(
            _("%(line)s: its dates must lie within the term (%(start)s – %(end)s).")
            % {"line": prefix, "start": start.isoformat(), "end": end.isoformat()}
        )
    return problems


def _overlaps(lines: Sequence[ContractLine]) -> list[str]:
    """Stretches of the same product that overlap: one product is on a contract once a day."""
    problems = []
    by_product: dict[int, list[ContractLine]] = {}
    for line in lines:
        by_product.setdefault(line.product_id, []).append(line)
    for rows in by_product.values():
        rows.sort(key=lambda row: (row.start_date, row.end_date))
        for earlier, later in itertools.pairwise(rows):
            if later.start_date <= earlier.end_date:
                problems.append(
                    _(
                        "%(product)s is already on this contract from %(start)s to %(end)s: "
                        "the terms of one line cannot overlap."
                    )
                    % {
                        "product": later.product,
                        "start": earlier.start_date.isoformat(),
                        "end": earlier.end_date.isoformat(),
                    }
                )
    return problems


def _new_lines(
    contract: Contract,
    specs: Sequence[Mapping[str, Any]],
    *,
    start: datetime.date,
    end: datetime.date,
    amendment: ContractAmendment | None = None,
) -> list[ContractLine]:
    problems: list[str] = []
    for number, spec in enumerate(specs, start=1):
        problems.extend(_line_problems(number, spec, start=start, end=end))
    if problems:
        raise ValidationError({"lines": problems})
    return [
        ContractLine(
            contract=contract,
            account_id=contract.account_id,
            product=spec["product"],
            quantity=Decimal(str(spec["quantity"])),
            unit_price=Decimal(str(spec["unit_price"])),
            start_date=spec.get("start_date") or start,
            end_date=spec.get("end_date") or end,
            amendment=amendment,
        )
        for spec in specs
    ]


def _save_lines(
    contract: Contract,
    lines: Sequence[ContractLine],
    *,
    acting_user: User | None,
    table: RateTable | None = None,
) -> None:
    """Value, convert, check against every other line of the contract, and save."""
    table = table or RateTable([contract.currency])
    for line in lines:
        line.annual_value = (line.quantity * line.unit_price).quantize(CENT)
        line.annual_value_company = table.convert(
            line.annual_value, contract.currency, line.start_date
        )
        line.annual_cents = cents(line.annual_value_company)
    saved = [line for line in contract.lines.all() if line.pk not in {row.pk for row in lines}]
    problems = _overlaps([*saved, *lines])
    if problems:
        raise ValidationError({"lines": problems})
    for line in lines:
        line.full_clean(exclude=["contract"])
        line._history_user = acting_user  # type: ignore[attr-defined]
        line.save()


# Contracts --------------------------------------------------------------------------------


def _check_contract(contract: Contract) -> None:
    if contract.notice_days is not None and contract.notice_days >= contract.term_days:
        raise ValidationError(
            {"notice_days": _("The notice period must be shorter than the term.")}
        )
    previous = contract.previous
    if previous is not None and previous.account_id != contract.account_id:
        raise ValidationError({"previous": _("The previous term belongs to another account.")})


@transaction.atomic
def contract_create(
    *,
    acting_user: User | None,
    account: Account,
    data: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    previous: Contract | None = None,
    check_permission: bool = True,
) -> Contract:
    """A new term with its lines; lines given without dates run for the whole term."""
    if check_permission:
        require_permission(acting_user, "revenue.add_contract", account)
    if account.is_archived:
        raise ValidationError(_("This account is archived: restore it before adding a contract."))
    contract = Contract(
        account=account, created_by=acting_user, currency=company_currency(), previous=previous
    )
    apply_fields(contract, data, CONTRACT_FIELDS)
    contract.currency = (contract.currency or "").strip().upper()
    contract.full_clean()
    _check_contract(contract)
    if not lines:
        raise ValidationError({"lines": [_("Add at least one product.")]})
    contract._history_user = acting_user  # type: ignore[attr-defined]
    contract.save()
    new = _new_lines(contract, lines, start=contract.start_date, end=contract.end_date)
    _save_lines(contract, new, acting_user=acting_user)
    return contract


@transaction.atomic
def contract_update(
    *,
    contract: Contract,
    acting_user: User,
    data: Mapping[str, Any],
    expected_version: int | None,
    lines: Sequence[Mapping[str, Any]] | None = None,
) -> Contract:
    """Correct a contract; its lines follow its dates, or are replaced if none was amended."""
    require_permission(acting_user, "revenue.change_contract", contract)
    locked = lock_versioned(Contract, pk=contract.pk, expected_version=expected_version)
    if locked.status == ContractStatus.CANCELLED:
        raise ValidationError(_("This contract was cancelled: restore it before changing it."))
    old_start, old_end = locked.start_date, locked.end_date
    changed = apply_fields(locked, data, CONTRACT_FIELDS)
    locked.currency = (locked.currency or "").strip().upper()
    if not changed and lines is None:
        return locked
    save_versioned(locked, acting_user=acting_user)
    _check_contract(locked)
    has_amendments = locked.amendments.exists()
    if lines is not None:
        if has_amendments:
            raise ValidationError(
                {"lines": [_("This contract has amendments: record a change as an amendment.")]}
            )
        for line in locked.lines.all():
            line._history_user = acting_user  # type: ignore[attr-defined]
            line.delete()
        if not lines:
            raise ValidationError({"lines": [_("Add at least one product.")]})
        new = _new_lines(locked, lines, start=locked.start_date, end=locked.end_date)
        _save_lines(locked, new, acting_user=acting_user)
        return locked
    existing = list(locked.lines.select_related("product"))
    for line in existing:
        if line.start_date == old_start:
            line.start_date = locked.start_date
        if line.end_date == old_end:
            line.end_date = locked.end_date
        if line.start_date < locked.start_date or line.end_date > locked.end_date:
            raise ValidationError(
                {"end_date": _("A line or an amendment falls outside the new dates.")}
            )
        if line.end_date < line.start_date:
            raise ValidationError(
                {"start_date": _("The new dates would leave a line with no days.")}
            )
    _save_lines(locked, existing, acting_user=acting_user)
    return locked


def lines_in_force(contract: Contract, day: datetime.date) -> list[ContractLine]:
    return [
        line for line in contract.lines.select_related("product").all() if line.in_force_on(day)
    ]


@transaction.atomic
def contract_amend(
    *,
    contract: Contract,
    acting_user: User,
    effective_date: datetime.date,
    reason: str,
    lines: Sequence[Mapping[str, Any]],
    expected_version: int | None = None,
) -> ContractAmendment:
    """Change what the client has from a day on; ``lines`` is everything in force from then.

    A line whose product, quantity and price stay the same goes on untouched; a changed one is
    ended the day before and continued by a new line; a product left out is ended; a new one
    starts on the day. The old lines stay as they were: the amendment is history, not an edit.
    """
    require_permission(acting_user, "revenue.change_contract", contract)
    locked = lock_versioned(Contract, pk=contract.pk, expected_version=expected_version)
    if locked.status == ContractStatus.CANCELLED:
        raise ValidationError(_("This contract was cancelled: it no longer changes."))
    if not (locked.start_date < effective_date <= locked.end_date):
        raise ValidationError(
            {
                "effective_date": _(
                    "An amendment takes effect after the first day of the term and no later than "
                    "its last day (%(start)s – %(end)s)."
                )
                % {"start": locked.start_date.isoformat(), "end": locked.end_date.isoformat()}
            }
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the contract changes.")})
    if locked.lines.filter(start_date__gte=effective_date).exists():
        raise ValidationError(
            {"effective_date": _("A later amendment exists: amend from its date or after it.")}
        )
    problems: list[str] = []
    seen: set[int] = set()
    for number, spec in enumerate(lines, start=1):
        problems.extend(_line_problems(number, spec, start=effective_date, end=locked.end_date))
        product = spec.get("product")
        if isinstance(product, Product):
            if product.pk in seen:
                problems.append(
                    _("Line %(number)s: this product is listed twice.") % {"number": number}
                )
            seen.add(product.pk)
    if problems:
        raise ValidationError({"lines": problems})
    wanted = {spec["product"].pk: spec for spec in lines}
    current = {line.product_id: line for line in lines_in_force(locked, effective_date)}
    amendment = ContractAmendment(
        contract=locked,
        effective_date=effective_date,
        reason=reason.strip(),
        created_by=acting_user,
    )
    ended: list[ContractLine] = []
    started: list[Mapping[str, Any]] = []
    for product_id, line in current.items():
        kept = wanted.get(product_id)
        if kept is not None and (
            Decimal(str(kept["quantity"])) == line.quantity
            and Decimal(str(kept["unit_price"])) == line.unit_price
        ):
            continue
        ended.append(line)
        if kept is not None:
            started.append({**kept, "start_date": effective_date, "end_date": line.end_date})
    started.extend(
        {**spec, "start_date": effective_date, "end_date": locked.end_date}
        for product_id, spec in wanted.items()
        if product_id not in current
    )
    if not ended and not started:
        raise ValidationError({"lines": [_("This amendment changes nothing.")]})
    _save_new(amendment, acting_user=acting_user)
    for line in ended:
        line.end_date = effective_date - ONE_DAY
        line.ended_by = amendment
    new = _new_lines(
        locked, started, start=effective_date, end=locked.end_date, amendment=amendment
    )
    _save_lines(locked, [*ended, *new], acting_user=acting_user)
    save_versioned(locked, acting_user=acting_user)
    return amendment


@transaction.atomic
def contract_set_status(
    *,
    contract: Contract,
    acting_user: User,
    status: str,
    churn_reason: str = "",
    expected_version: int | None = None,
) -> Contract:
    """Mark a contract churned or cancelled by hand, or make it active again."""
    require_permission(acting_user, "revenue.change_contract", contract)
    locked = lock_versioned(Contract, pk=contract.pk, expected_version=expected_version)
    if status not in ContractStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if locked.status == status:
        return locked
    if ContractStatus.RENEWED in (status, locked.status):
        raise ValidationError(
            {"status": _("A contract is renewed, or stops being so, through its renewal.")}
        )
    if status == ContractStatus.CHURNED and not churn_reason:
        raise ValidationError({"churn_reason": _("Say why the client left.")})
    locked.status = status
    locked.churn_reason = churn_reason if status == ContractStatus.CHURNED else ""
    save_versioned(locked, acting_user=acting_user)
    if status == ContractStatus.CHURNED:
        _mark_account_churned(locked.account, acting_user=acting_user, leaving=locked)
    return locked


@transaction.atomic
def contract_record_notice(
    *,
    contract: Contract,
    acting_user: User,
    notified_on: datetime.date,
    expected_version: int | None = None,
) -> Contract:
    """Record the day the client was reminded of a tacit renewal's notice date."""
    require_permission(acting_user, "revenue.change_contract", contract)
    locked = lock_versioned(Contract, pk=contract.pk, expected_version=expected_version)
    if locked.notice_date is None:
        raise ValidationError(
            {"client_notified_on": _("Only a contract that renews tacitly has a notice date.")}
        )
    if notified_on > timezone.localdate():
        raise ValidationError({"client_notified_on": _("This day has not come yet.")})
    locked.client_notified_on = notified_on
    save_versioned(locked, acting_user=acting_user)
    reminder = locked.notice_reminder
    if reminder is not None and reminder.status == TaskStatus.OPEN:
        communications.task_set_status(
            task=reminder, acting_user=acting_user, status=TaskStatus.DONE
        )
    return locked


def _mark_account_churned(account: Account, *, acting_user: User, leaving: Contract) -> None:
    """The account has churned once no other term of it is live."""
    live = Contract.objects.filter(
        account=account, status=ContractStatus.ACTIVE, end_date__gte=timezone.localdate()
    ).exclude(pk=leaving.pk)
    if live.exists() or account.lifecycle_stage == LifecycleStage.CHURNED:
        return
    accounts.account_update(
        account=account,
        acting_user=acting_user,
        data={"lifecycle_stage": LifecycleStage.CHURNED},
        expected_version=None,
    )


# Opportunities ----------------------------------------------------------------------------

OPPORTUNITY_FIELDS = (
    "name",
    "type",
    "contract",
    "probability",
    "forecast_category",
    "currency",
    "amount",
    "close_date",
    "owner",
    "next_step",
    "risk_note",
    "description",
)


def _opportunity_lines(
    opportunity: Opportunity, specs: Sequence[Mapping[str, Any]]
) -> list[OpportunityLine]:
    problems: list[str] = []
    for number, spec in enumerate(specs, start=1):
        far = datetime.date.max
        problems.extend(
            _line_problems(
                number,
                {
                    key: value
                    for key, value in spec.items()
                    if key not in ("start_date", "end_date")
                },
                start=datetime.date.min,
                end=far,
            )
        )
    if problems:
        raise ValidationError({"lines": problems})
    return [
        OpportunityLine(
            opportunity=opportunity,
            product=spec["product"],
            quantity=Decimal(str(spec["quantity"])),
            unit_price=Decimal(str(spec["unit_price"])),
        )
        for spec in specs
    ]


def _replace_opportunity_lines(
    opportunity: Opportunity, lines: Sequence[OpportunityLine], *, acting_user: User | None
) -> None:
    for old in opportunity.lines.all():
        old._history_user = acting_user  # type: ignore[attr-defined]
        old.delete()
    for line in lines:
        line.full_clean(exclude=["opportunity"])
        line._history_user = acting_user  # type: ignore[attr-defined]
        line.save()


def _check_opportunity(opportunity: Opportunity) -> None:
    contract = opportunity.contract
    if contract is not None and contract.account_id != opportunity.account_id:
        raise ValidationError({"contract": _("This contract belongs to another account.")})
    if opportunity.owner is not None and (
        not opportunity.owner.is_active or opportunity.owner.is_read_only
    ):
        raise ValidationError({"owner": _("This person cannot own an opportunity.")})
    if opportunity.type != OpportunityType.RENEWAL and opportunity.amount < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})


def _value(
    opportunity: Opportunity, lines: Sequence[OpportunityLine] | None, *, from_lines: bool
) -> None:
    """The amount: as given, or the lines' total; then in the company currency."""
    if from_lines or opportunity.amount is None:
        opportunity.amount = sum((line.annual_value for line in lines or []), Decimal(0))
    opportunity.amount_company = RateTable([opportunity.currency]).convert(
        Decimal(str(opportunity.amount)), opportunity.currency, opportunity.close_date
    )


def _default_name(opportunity: Opportunity) -> str:
    kind = OpportunityType(opportunity.type).label
    return f"{kind} – {opportunity.account.name}"[:200]


@transaction.atomic
def opportunity_create(
    *,
    acting_user: User | None,
    account: Account,
    data: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]] = (),
    check_permission: bool = True,
) -> Opportunity:
    """Open an opportunity at the pipeline's first stage (or the one given)."""
    if check_permission:
        require_permission(acting_user, "revenue.add_opportunity", account)
    stage = data.get("stage") or first_open_stage()
    if not stage.is_open:
        raise ValidationError({"stage": _("Open it at an open stage, then mark it won or lost.")})
    contract = data.get("contract")
    opportunity = Opportunity(
        account=account,
        stage=stage,
        probability=stage.probability,
        forecast_category=stage.forecast_category,
        currency=contract.currency if contract is not None else company_currency(),
        owner=account.owner if account.owner and account.owner.is_active else acting_user,
        created_by=acting_user,
    )
    apply_fields(opportunity, data, OPPORTUNITY_FIELDS)
    opportunity.currency = (opportunity.currency or "").strip().upper()
    if not opportunity.name and opportunity.type in OpportunityType.values:
        opportunity.name = _default_name(opportunity)
    if opportunity.close_date is None:
        raise ValidationError({"close_date": _("Give the day it should close.")})
    new_lines = _opportunity_lines(opportunity, lines)
    _value(opportunity, new_lines, from_lines=data.get("amount") is None)
    # The domain checks first, so that a negative amount is said about the amount.
    _check_opportunity(opportunity)
    opportunity.full_clean()
    opportunity._history_user = acting_user  # type: ignore[attr-defined]
    opportunity.save()
    _replace_opportunity_lines(opportunity, new_lines, acting_user=acting_user)
    return opportunity


@transaction.atomic
def opportunity_update(
    *,
    opportunity: Opportunity,
    acting_user: User,
    data: Mapping[str, Any],
    expected_version: int | None,
    lines: Sequence[Mapping[str, Any]] | None = None,
) -> Opportunity:
    """Change an open opportunity; a new stage brings its probability and forecast category."""
    require_permission(acting_user, "revenue.change_opportunity", opportunity)
    locked = lock_versioned(Opportunity, pk=opportunity.pk, expected_version=expected_version)
    if not locked.is_open:
        if set(data) - {"close_note", "loss_reason"} or lines is not None:
            raise ValidationError(_("This opportunity is closed: reopen it to change it."))
        apply_fields(locked, data, ("close_note", "loss_reason"))
        save_versioned(locked, acting_user=acting_user)
        return locked
    stage = data.get("stage")
    if stage is not None and stage.pk != locked.stage_id:
        if not stage.is_open:
            raise ValidationError({"stage": _("Mark it won or lost to close it.")})
        locked.stage = stage
        locked.probability = stage.probability
        locked.forecast_category = stage.forecast_category
    apply_fields(locked, data, OPPORTUNITY_FIELDS)
    locked.currency = (locked.currency or "").strip().upper()
    new_lines = None if lines is None else _opportunity_lines(locked, lines)
    _value(locked, new_lines, from_lines=new_lines is not None and data.get("amount") is None)
    _check_opportunity(locked)
    save_versioned(locked, acting_user=acting_user)
    if new_lines is not None:
        _replace_opportunity_lines(locked, new_lines, acting_user=acting_user)
    return locked


@transaction.atomic
def opportunity_move(
    *,
    opportunity: Opportunity,
    acting_user: User,
    stage: PipelineStage,
    expected_version: int | None = None,
) -> Opportunity:
    """Move an opportunity to another stage of the board; a won stage wins it."""
    if stage.outcome == OpportunityStatus.WON:
        return opportunity_win(
            opportunity=opportunity, acting_user=acting_user, expected_version=expected_version
        )
    if stage.outcome == OpportunityStatus.LOST:
        raise ValidationError({"stage": _("Say why it was lost to close it.")})
    return opportunity_update(
        opportunity=opportunity,
        acting_user=acting_user,
        data={"stage": stage},
        expected_version=expected_version,
    )


def _close(
    locked: Opportunity, *, outcome: str, closed_on: datetime.date | None, note: str
) -> None:
    if not locked.is_open:
        raise ValidationError(_("This opportunity is already closed."))
    locked.stage = closing_stage(outcome)
    locked.status = outcome
    locked.probability = 100 if outcome == OpportunityStatus.WON else 0
    locked.closed_on = closed_on or timezone.localdate()
    locked.close_note = note
    if locked.closed_on > timezone.localdate():
        raise ValidationError({"closed_on": _("An opportunity cannot close in the future.")})
    # From now on the close date is the day it closed, and the amount is converted on it.
    locked.close_date = locked.closed_on
    _value(locked, None, from_lines=False)


@transaction.atomic
def opportunity_win(
    *,
    opportunity: Opportunity,
    acting_user: User,
    closed_on: datetime.date | None = None,
    close_note: str = "",
    expected_version: int | None = None,
) -> Opportunity:
    """Mark it won; a renewal starts the next term of its contract, with its lines."""
    require_permission(acting_user, "revenue.change_opportunity", opportunity)
    locked = lock_versioned(Opportunity, pk=opportunity.pk, expected_version=expected_version)
    _close(locked, outcome=OpportunityStatus.WON, closed_on=closed_on, note=close_note)
    if locked.is_renewal and locked.contract is not None:
        locked.next_contract = _renew(locked, acting_user=acting_user)
    save_versioned(locked, acting_user=acting_user)
    return locked


def _renew(opportunity: Opportunity, *, acting_user: User) -> Contract:
    contract = lock_versioned(Contract, pk=opportunity.contract_id or 0, expected_version=None)
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.CHURNED):
        raise ValidationError(
            {
                "contract": _("This contract is %(status)s: it cannot be renewed.")
                % {"status": contract.get_status_display()}
            }
        )
    specs: list[dict[str, Any]] = [
        {"product": line.product, "quantity": line.quantity, "unit_price": line.unit_price}
        for line in opportunity.lines.select_related("product")
    ]
    if not specs:
        specs = [
            {"product": line.product, "quantity": line.quantity, "unit_price": line.unit_price}
            for line in lines_in_force(contract, contract.end_date)
        ]
    start, end = next_term_dates(contract)
    next_term = contract_create(
        acting_user=acting_user,
        account=contract.account,
        data={
            "reference": contract.reference,
            "currency": opportunity.currency,
            "start_date": start,
            "end_date": end,
            "auto_renew": contract.auto_renew,
            "notice_days": contract.notice_days,
        },
        lines=specs,
        previous=contract,
        check_permission=False,
    )
    contract.status = ContractStatus.RENEWED
    contract.churn_reason = ""
    save_versioned(contract, acting_user=acting_user)
    return next_term


@transaction.atomic
def opportunity_lose(
    *,
    opportunity: Opportunity,
    acting_user: User,
    loss_reason: str,
    closed_on: datetime.date | None = None,
    close_note: str = "",
    expected_version: int | None = None,
) -> Opportunity:
    """Mark it lost, with the reason; a lost renewal churns its contract and maybe the account."""
    require_permission(acting_user, "revenue.change_opportunity", opportunity)
    locked = lock_versioned(Opportunity, pk=opportunity.pk, expected_version=expected_version)
    if not loss_reason:
        raise ValidationError({"loss_reason": _("Say why it was lost.")})
    _close(locked, outcome=OpportunityStatus.LOST, closed_on=closed_on, note=close_note)
    locked.loss_reason = loss_reason
    locked.forecast_category = ForecastCategory.OMITTED
    save_versioned(locked, acting_user=acting_user)
    if locked.is_renewal and locked.contract is not None:
        contract = lock_versioned(Contract, pk=locked.contract.pk, expected_version=None)
        if contract.status == ContractStatus.ACTIVE:
            contract.status = ContractStatus.CHURNED
            contract.churn_reason = loss_reason
            save_versioned(contract, acting_user=acting_user)
            _mark_account_churned(contract.account, acting_user=acting_user, leaving=contract)
    return locked


@transaction.atomic
def opportunity_reopen(
    *, opportunity: Opportunity, acting_user: User, expected_version: int | None = None
) -> Opportunity:
    """Open a closed opportunity again, undoing what closing it did to its contract."""
    require_permission(acting_user, "revenue.change_opportunity", opportunity)
    locked = lock_versioned(Opportunity, pk=opportunity.pk, expected_version=expected_version)
    if locked.is_open:
        return locked
    if locked.next_contract is not None:
        next_term = lock_versioned(Contract, pk=locked.next_contract.pk, expected_version=None)
        if next_term.amendments.exists() or Contract.objects.filter(previous=next_term).exists():
            raise ValidationError(
                _("The next term has changed since: cancel or correct it by hand instead.")
            )
        next_term.status = ContractStatus.CANCELLED
        save_versioned(next_term, acting_user=acting_user)
        locked.next_contract = None
    if locked.is_renewal and locked.contract is not None:
        contract = lock_versioned(Contract, pk=locked.contract.pk, expected_version=None)
        if contract.status in (ContractStatus.RENEWED, ContractStatus.CHURNED):
            contract.status = ContractStatus.ACTIVE
            contract.churn_reason = ""
            save_versioned(contract, acting_user=acting_user)
            # The loss had moved the account to churned: it is back in its renewal.
            account = contract.account
            if account.lifecycle_stage == LifecycleStage.CHURNED:
                accounts.account_update(
                    account=account,
                    acting_user=acting_user,
                    data={"lifecycle_stage": LifecycleStage.RENEWAL},
                    expected_version=None,
                )
    stage = first_open_stage()
    locked.stage = stage
    locked.status = OpportunityStatus.OPEN
    locked.probability = stage.probability
    locked.forecast_category = stage.forecast_category
    locked.closed_on = None
    locked.loss_reason = ""
    save_versioned(locked, acting_user=acting_user)
    return locked


# Renewals: the daily job ------------------------------------------------------------------


def renewal_candidates(*, today: datetime.date, lead_days: int) -> Any:
    """Live contracts ending within the lead time (or lately ended) with no renewal yet."""
    renewed = Opportunity.objects.filter(type=OpportunityType.RENEWAL).values("contract_id")
    return (
        Contract.objects.filter(
            status=ContractStatus.ACTIVE,
            end_date__gte=today - datetime.timedelta(days=lead_days),
            end_date__lte=today + datetime.timedelta(days=lead_days),
        )
        .exclude(pk__in=renewed)
        .select_related("account", "account__owner")
        .order_by("end_date", "id")
    )


def renewal_open(*, contract: Contract, stage: PipelineStage | None = None) -> Opportunity | None:
    """The renewal opportunity of a contract, opened by the system; None if one exists already.

    The expected value is what is in force on the last day of the term, in the same currency;
    the opportunity closes on that day and belongs to the account's manager.
    """
    specs = [
        {"product": line.product, "quantity": line.quantity, "unit_price": line.unit_price}
        for line in lines_in_force(contract, contract.end_date)
    ]
    owner = contract.account.owner
    if owner is not None and (not owner.is_active or owner.is_read_only):
        owner = None
    try:
        with transaction.atomic():
            if Opportunity.objects.filter(type=OpportunityType.RENEWAL, contract=contract).exists():
                return None
            return opportunity_create(
                acting_user=None,
                account=contract.account,
                data={
                    "type": OpportunityType.RENEWAL,
                    "name": _("Renewal %(year)s – %(account)s")
                    % {
                        "year": (contract.end_date + ONE_DAY).year,
                        "account": contract.account.name,
                    },
                    "contract": contract,
                    "close_date": contract.end_date,
                    "owner": owner,
                    "currency": contract.currency,
                    **({"stage": stage} if stage is not None else {}),
                },
                lines=specs,
                check_permission=False,
            )
    except (ValidationError, IntegrityError):
        if Opportunity.objects.filter(type=OpportunityType.RENEWAL, contract=contract).exists():
            return None  # Another worker opened it in the meantime.
        raise


def renewals_open(
    *, today: datetime.date | None = None, lead_days: int | None = None
) -> list[Opportunity]:
    """Open the renewal of every contract that needs one now; running it twice opens nothing."""
    from django.conf import settings

    today = today or timezone.localdate()
    lead = settings.RAPPORT_RENEWAL_LEAD_DAYS if lead_days is None else lead_days
    stage = first_open_stage()
    opened = []
    for contract in renewal_candidates(today=today, lead_days=lead).iterator(chunk_size=500):
        opportunity = renewal_open(contract=contract, stage=stage)
        if opportunity is not None:
            opened.append(opportunity)
    return opened


def notice_reminders_create(
    *, today: datetime.date | None = None, reminder_days: int | None = None
) -> list[Contract]:
    """Give the account manager a task before each tacit renewal's notice date, once."""
    from django.conf import settings

    today = today or timezone.localdate()
    days = settings.RAPPORT_NOTICE_REMINDER_DAYS if reminder_days is None else reminder_days
    longest = (
        Contract.objects.filter(auto_renew=True).aggregate(longest=Max("notice_days"))["longest"]
        or 0
    )
    candidates = Contract.objects.filter(
        Q(notice_days__isnull=False),
        status=ContractStatus.ACTIVE,
        auto_renew=True,
        client_notified_on__isnull=True,
        notice_reminder__isnull=True,
        end_date__gte=today,
        end_date__lte=today + datetime.timedelta(days=days + longest),
    ).select_related("account", "account__owner")
    reminded = []
    for contract in candidates.iterator(chunk_size=500):
        notice = contract.notice_date
        owner = contract.account.owner
        if notice is None or not (today <= notice <= today + datetime.timedelta(days=days)):
            continue
        if owner is None or not owner.is_active or owner.is_read_only:
            continue
        with transaction.atomic():
            task = communications.task_create(
                acting_user=owner,
                data={
                    "title": _("Notice date for %(contract)s: remind the client before %(date)s")
                    % {"contract": contract.reference or contract.account.name, "date": notice},
                    "account": contract.account,
                    "assignee": owner,
                    "due_on": notice,
                    "notes": _(
                        "This contract renews tacitly on %(end)s unless notice is given by "
                        "%(date)s. Remind the client and record the day on the contract."
                    )
                    % {"end": contract.end_date + ONE_DAY, "date": notice},
                },
            )
            Contract.objects.filter(pk=contract.pk).update(notice_reminder=task)
        reminded.append(contract)
    return reminded
