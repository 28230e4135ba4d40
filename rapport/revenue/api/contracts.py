"""Contracts, their lines and amendments, their status and notice over the REST API.

Every write goes through the services: whoever may edit the account changes its contracts, and
a refused change (overlapping lines, a negative quantity, a currency with no rate on the day)
answers 422 with the service's own words, nothing changed.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from rapport.accounts.models import Account
from rapport.core.api import (
    Day,
    InputSchema,
    Page,
    PageQuery,
    RecordId,
    no_nulls,
    nulls_to_blanks,
    page_of,
    resolve_references,
)
from rapport.revenue import selectors, services
from rapport.revenue.api.schemas import (
    AccountRef,
    ContractLineIn,
    Currency,
    LineIn,
    Money,
    ProductRef,
    VersionIn,
    acting_user,
    check_term,
    line_specs,
    without_nones,
)
from rapport.revenue.choices import ContractStatus, LossReason, OpportunityType
from rapport.revenue.filters import ContractFilter
from rapport.revenue.models import (
    Contract,
    Opportunity,
)
from rapport.revenue.rates import company_currency

router = Router(tags=["revenue"])

MAX_LINES = 500


class ContractLineOut(Schema):
    id: int
    product: ProductRef
    quantity: Money
    unit_price: Money = Field(description="Per unit and per year, in the contract's currency.")
    annual_value: Money = Field(description="In the contract's currency.")
    annual_value_company: Money = Field(description="In the company currency.")
    start_date: datetime.date
    end_date: datetime.date = Field(description="Its last day in force (included).")
    amendment_id: int | None = Field(description="The amendment that started it.")
    ended_by_id: int | None = Field(description="The amendment that ended it.")


class AmendmentOut(Schema):
    id: int
    effective_date: datetime.date
    reason: str
    created_by_id: int | None
    created_at: datetime.datetime


class ContractOut(Schema):
    id: int
    account: AccountRef
    reference: str
    currency: str
    start_date: datetime.date
    end_date: datetime.date = Field(description="The last day of the term (included).")
    auto_renew: bool = Field(description="Renews tacitly unless one side gives notice.")
    notice_days: int | None
    notice_date: datetime.date | None = Field(
        description="The last day to give notice, for a tacit renewal with a notice period."
    )
    client_notified_on: datetime.date | None
    status: ContractStatus
    churn_reason: LossReason | Literal[""]
    previous_id: int | None = Field(description="The term this one renews.")
    renewal_id: int | None = Field(description="Its renewal opportunity, once opened.")
    notes: str
    arr_today: Money = Field(
        description="Its annual value in force today, in the company currency."
    )
    company_currency: str
    created_by_id: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_arr_today(obj: Contract) -> Decimal:
        # A cancelled term never took effect: it has no ARR whatever its lines say.
        if not obj.counts:
            return Decimal(0)
        if hasattr(obj, "arr_now"):  # a list row
            return Decimal(obj.arr_now or 0)
        today = timezone.localdate()
        in_force = (line for line in obj.lines.all() if line.in_force_on(today))
        return sum((line.annual_value_company for line in in_force), Decimal(0))

    @staticmethod
    def resolve_renewal_id(obj: Contract) -> int | None:
        if hasattr(obj, "renewal_pk"):  # a list row
            return obj.renewal_pk
        return next((row.pk for row in obj.opportunities.all() if row.is_renewal), None)

    @staticmethod
    def resolve_company_currency(obj: Contract) -> str:
        return company_currency()


class ContractDetailOut(ContractOut):
    lines: list[ContractLineOut] = Field(description="Every line, those ended by amendments too.")
    amendments: list[AmendmentOut]


class ContractIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    account_id: RecordId
    reference: str = Field(default="", max_length=80)
    currency: Currency | None = Field(default=None, description="The company's when left out.")
    start_date: Day
    end_date: Day = Field(description="The last day of the term (included).")
    auto_renew: bool = False
    notice_days: int | None = Field(default=None, ge=0, le=730)
    client_notified_on: Day | None = None
    notes: str = ""
    previous_id: RecordId | None = Field(default=None, description="The term this one renews.")
    lines: list[ContractLineIn] = Field(
        default_factory=list,
        max_length=MAX_LINES,
        description="At least one; a line without dates runs for the whole term.",
    )


class ContractPatch(InputSchema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update.

    ``lines`` replaces every line, only while the contract has no amendment; without it the
    lines follow the new dates.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    reference: str | None = Field(default=None, max_length=80)
    currency: Currency | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    auto_renew: bool | None = None
    notice_days: int | None = Field(default=None, ge=0, le=730)
    client_notified_on: Day | None = None
    notes: str | None = None
    lines: list[ContractLineIn] | None = Field(default=None, max_length=MAX_LINES)


class AmendmentIn(VersionIn):
    model_config = ConfigDict(str_strip_whitespace=True)

    effective_date: Day = Field(description="The first day the new lines are in force.")
    reason: str = Field(max_length=2000)
    lines: list[LineIn] = Field(
        max_length=MAX_LINES, description="Everything in force from that day on."
    )


class ContractStatusIn(VersionIn):
    status: ContractStatus = Field(description="Renewed comes only from a won renewal.")
    churn_reason: LossReason | Literal[""] = Field(default="", description="Required to churn.")


class NoticeIn(VersionIn):
    notified_on: Day = Field(description="The day the client was reminded of the notice date.")


def _with_renewal(queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    renewal = Opportunity.objects.filter(
        contract=OuterRef("pk"), type=OpportunityType.RENEWAL
    ).values("pk")[:1]
    return queryset.annotate(renewal_pk=Subquery(renewal))


def _contract(contract_id: int) -> Contract:
    return selectors.contract_detail(pk=contract_id)


def _contract_row(contract_id: int) -> Contract:
    return get_object_or_404(Contract.objects.select_related("account"), pk=contract_id)


def _renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    """The service's error, its fields named as the client sent them."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {names.get(field, field): messages for field, messages in error.error_dict.items()}
    )


@router.get("/contracts", response=Page[ContractOut])
def list_contracts(
    request: HttpRequest, filters: Query[ContractFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Contracts, the soonest ending first."""
    return page_of(_with_renewal(selectors.contract_list(filters=filters)), paging)


@router.get("/accounts/{account_id}/contracts", response=Page[ContractOut])
def list_account_contracts(
    request: HttpRequest, account_id: RecordId, paging: Query[PageQuery]
) -> dict[str, Any]:
    """The account's contracts, the latest term first."""
    account = get_object_or_404(Account, pk=account_id)
    rows = selectors.contract_list(filters=ContractFilter(account=account.pk))
    return page_of(_with_renewal(rows).order_by("-start_date", "-id"), paging)


@router.get("/contracts/{contract_id}", response=ContractDetailOut)
def get_contract(request: HttpRequest, contract_id: RecordId) -> Contract:
    """The contract with every line (amended ones too), its amendments and today's ARR."""
    return _contract(contract_id)


@router.post("/contracts", response={201: ContractDetailOut})
def create_contract(request: HttpRequest, payload: ContractIn) -> Status[Contract]:
    """A term with its lines, converted into the company currency at the rate of each line's
    first day."""
    check_term(payload.start_date, payload.end_date)
    sent = nulls_to_blanks(without_nones(payload.dict(), "currency"), Contract)
    specs = line_specs(payload.lines)
    sent.pop("lines")
    data = resolve_references(
        sent, {"account": Account.objects.all(), "previous": Contract.objects.all()}
    )
    account = data.pop("account")
    previous = data.pop("previous")
    contract = services.contract_create(
        acting_user=acting_user(request),
        account=account,
        data=data,
        lines=specs,
        previous=previous,
    )
    return Status(201, _contract(contract.pk))


@router.patch("/contracts/{contract_id}", response=ContractDetailOut)
def update_contract(
    request: HttpRequest, contract_id: RecordId, payload: ContractPatch
) -> Contract:
    """Corrects the contract; its lines follow its dates unless ``lines`` replaces them."""
    contract = _contract_row(contract_id)
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Contract)
    no_nulls(sent, "currency", "start_date", "end_date", "auto_renew", "lines")
    version = sent.pop("version", None)
    lines = payload.lines if "lines" in sent else None
    sent.pop("lines", None)
    check_term(sent.get("start_date", contract.start_date), sent.get("end_date", contract.end_date))
    services.contract_update(
        contract=contract,
        acting_user=acting_user(request),
        data=sent,
        expected_version=version,
        lines=None if lines is None else line_specs(lines),
    )
    return _contract(contract_id)


@router.post("/contracts/{contract_id}/amendments", response={201: ContractDetailOut})
def amend_contract(
    request: HttpRequest, contract_id: RecordId, payload: AmendmentIn
) -> Status[Contract]:
    """Changes what the client has from a day on: changed lines are ended the day before and
    continued, the old ones kept as history."""
    contract = _contract_row(contract_id)
    services.contract_amend(
        contract=contract,
        acting_user=acting_user(request),
        effective_date=payload.effective_date,
        reason=payload.reason,
        lines=line_specs(payload.lines),
        expected_version=payload.version,
    )
    return Status(201, _contract(contract_id))


@router.post("/contracts/{contract_id}/status", response=ContractDetailOut)
def set_contract_status(
    request: HttpRequest, contract_id: RecordId, payload: ContractStatusIn
) -> Contract:
    """Churns (with a reason) or cancels the contract, or makes it active again."""
    services.contract_set_status(
        contract=_contract_row(contract_id),
        acting_user=acting_user(request),
        status=payload.status,
        churn_reason=payload.churn_reason,
        expected_version=payload.version,
    )
    return _contract(contract_id)


@router.post("/contracts/{contract_id}/notice", response=ContractDetailOut)
def record_contract_notice(
    request: HttpRequest, contract_id: RecordId, payload: NoticeIn
) -> Contract:
    """Records the day the client was reminded of a tacit renewal's notice date; its reminder
    task is done."""
    try:
        services.contract_record_notice(
            contract=_contract_row(contract_id),
            acting_user=acting_user(request),
            notified_on=payload.notified_on,
            expected_version=payload.version,
        )
    except ValidationError as error:
        raise _renamed(error, {"client_notified_on": "notified_on"}) from error
    return _contract(contract_id)
