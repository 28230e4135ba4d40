"""Opportunities (renewals, upsells, cross-sells), their stage, outcome and consensus.

Every write goes through the services: whoever may edit the account works its opportunities;
winning a renewal starts the contract's next term, losing one churns the contract.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from rapport.accounts.api import UserRef
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
    Amount,
    Currency,
    LineIn,
    Money,
    ProductRef,
    VersionIn,
    acting_user,
    line_specs,
    without_nones,
)
from rapport.revenue.choices import (
    Consensus,
    ForecastCategory,
    LossReason,
    OpportunityStatus,
    OpportunityType,
)
from rapport.revenue.filters import OpportunityFilter
from rapport.revenue.models import Contract, Opportunity, PipelineStage
from rapport.revenue.rates import company_currency
from rapport.stakeholders.choices import DecisionRole, Stance
from rapport.users.models import User

router = Router(tags=["revenue"])

MAX_LINES = 500


class StageRef(Schema):
    id: int
    name: str
    outcome: OpportunityStatus


class OpportunityLineOut(Schema):
    id: int
    product: ProductRef
    quantity: Money
    unit_price: Money = Field(description="Per unit and per year, in the opportunity's currency.")
    annual_value: Money


class OpportunityOut(Schema):
    id: int
    account: AccountRef
    name: str
    type: OpportunityType
    contract_id: int | None = Field(description="For a renewal, the term it renews.")
    stage: StageRef
    status: OpportunityStatus
    probability: int
    forecast_category: ForecastCategory
    currency: str
    amount: Money = Field(
        description="The change in annual value; for a renewal, the next term's annual value."
    )
    amount_company: Money = Field(description="`amount` in the company currency.")
    weighted_amount: Money = Field(description="`amount_company` times the probability.")
    company_currency: str
    close_date: datetime.date
    owner: UserRef | None
    next_step: str
    risk_note: str
    description: str
    closed_on: datetime.date | None
    loss_reason: LossReason | Literal[""]
    close_note: str
    next_contract_id: int | None = Field(description="The term a won renewal started.")
    created_by_id: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_company_currency(obj: Opportunity) -> str:
        return company_currency()


class OpportunityDetailOut(OpportunityOut):
    lines: list[OpportunityLineOut]


class OpportunityIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    account_id: RecordId
    type: OpportunityType
    name: str = Field(default="", max_length=200, description="Type and account when empty.")
    contract_id: RecordId | None = Field(default=None, description="Required for a renewal.")
    stage_id: RecordId | None = Field(
        default=None, description="An open stage; the pipeline's first when left out."
    )
    probability: int | None = Field(default=None, ge=0, le=100, description="The stage's.")
    forecast_category: ForecastCategory | None = Field(default=None, description="The stage's.")
    currency: Currency | None = Field(
        default=None, description="The contract's, else the company's, when left out."
    )
    amount: Amount | None = Field(default=None, description="The lines' total when left out.")
    close_date: Day
    owner_id: RecordId | None = Field(
        default=None, description="The account's manager when left out."
    )
    next_step: str = Field(default="", max_length=300)
    risk_note: str = ""
    description: str = ""
    lines: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)


class OpportunityPatch(InputSchema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update.

    A closed opportunity only takes ``close_note`` and ``loss_reason``: reopen it to change more.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: OpportunityType | None = None
    contract_id: RecordId | None = None
    stage_id: RecordId | None = Field(default=None, description="An open stage.")
    probability: int | None = Field(default=None, ge=0, le=100)
    forecast_category: ForecastCategory | None = None
    currency: Currency | None = None
    amount: Amount | None = None
    close_date: Day | None = None
    owner_id: RecordId | None = None
    next_step: str | None = Field(default=None, max_length=300)
    risk_note: str | None = None
    description: str | None = None
    loss_reason: LossReason | None = None
    close_note: str | None = None
    lines: list[LineIn] | None = Field(
        default=None, max_length=MAX_LINES, description="Replaces every line."
    )


class MoveIn(VersionIn):
    stage_id: RecordId = Field(description="An open stage, or a won one to win it.")


class WinIn(VersionIn):
    closed_on: Day | None = Field(default=None, description="Today when left out.")
    close_note: str = Field(default="", max_length=5000, description="Why it was won.")


class LoseIn(VersionIn):
    loss_reason: LossReason
    closed_on: Day | None = Field(default=None, description="Today when left out.")
    close_note: str = Field(default="", max_length=5000, description="What happened.")


def _opportunity(opportunity_id: int) -> Opportunity:
    return selectors.opportunity_detail(pk=opportunity_id)


def _row(opportunity_id: int) -> Opportunity:
    return get_object_or_404(Opportunity.objects.select_related("account"), pk=opportunity_id)


def _references() -> dict[str, QuerySet[Any]]:
    return {
        "account": Account.objects.all(),
        "contract": Contract.objects.all(),
        "stage": PipelineStage.objects.all(),
        "owner": User.objects.all(),
    }


@router.get("/opportunities", response=Page[OpportunityOut])
def list_opportunities(
    request: HttpRequest, filters: Query[OpportunityFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Opportunities, the soonest closing first; open ones unless ``status`` says otherwise."""
    return page_of(selectors.opportunity_list(user=acting_user(request), filters=filters), paging)


@router.get("/opportunities/{opportunity_id}", response=OpportunityDetailOut)
def get_opportunity(request: HttpRequest, opportunity_id: RecordId) -> Opportunity:
    return _opportunity(opportunity_id)


@router.post("/opportunities", response={201: OpportunityDetailOut})
def create_opportunity(request: HttpRequest, payload: OpportunityIn) -> Status[Opportunity]:
    """Opens an opportunity at the pipeline's first stage (or the open stage given)."""
    sent = without_nones(
        payload.dict(),
        "stage_id",
        "probability",
        "forecast_category",
        "currency",
        "amount",
        "owner_id",
    )
    sent = nulls_to_blanks(sent, Opportunity)
    sent.pop("lines")
    specs = line_specs(payload.lines)
    data = resolve_references(sent, _references())
    account = data.pop("account")
    opportunity = services.opportunity_create(
        acting_user=acting_user(request), account=account, data=data, lines=specs
    )
    return Status(201, _opportunity(opportunity.pk))


@router.patch("/opportunities/{opportunity_id}", response=OpportunityDetailOut)
def update_opportunity(
    request: HttpRequest, opportunity_id: RecordId, payload: OpportunityPatch
) -> Opportunity:
    """Changes an open opportunity; a new stage brings its probability and forecast category."""
    opportunity = _row(opportunity_id)
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Opportunity)
    no_nulls(
        sent,
        "name",
        "type",
        "stage_id",
        "probability",
        "forecast_category",
        "currency",
        "amount",
        "close_date",
        "lines",
    )
    version = sent.pop("version", None)
    lines = payload.lines if "lines" in sent else None
    sent.pop("lines", None)
    data = resolve_references(sent, _references())
    services.opportunity_update(
        opportunity=opportunity,
        acting_user=acting_user(request),
        data=data,
        expected_version=version,
        lines=None if lines is None else line_specs(lines),
    )
    return _opportunity(opportunity_id)


@router.post("/opportunities/{opportunity_id}/move", response=OpportunityDetailOut)
def move_opportunity(
    request: HttpRequest, opportunity_id: RecordId, payload: MoveIn
) -> Opportunity:
    """Moves it to another stage of the board; a won stage wins it (a lost one needs /lose)."""
    opportunity = _row(opportunity_id)
    data = resolve_references({"stage_id": payload.stage_id}, _references())
    services.opportunity_move(
        opportunity=opportunity,
        acting_user=acting_user(request),
        stage=data["stage"],
        expected_version=payload.version,
    )
    return _opportunity(opportunity_id)


@router.post("/opportunities/{opportunity_id}/win", response=OpportunityDetailOut)
def win_opportunity(request: HttpRequest, opportunity_id: RecordId, payload: WinIn) -> Opportunity:
    """Marks it won; a won renewal starts the contract's next term with its lines."""
    services.opportunity_win(
        opportunity=_row(opportunity_id),
        acting_user=acting_user(request),
        closed_on=payload.closed_on,
        close_note=payload.close_note,
        expected_version=payload.version,
    )
    return _opportunity(opportunity_id)


@router.post("/opportunities/{opportunity_id}/lose", response=OpportunityDetailOut)
def lose_opportunity(
    request: HttpRequest, opportunity_id: RecordId, payload: LoseIn
) -> Opportunity:
    """Marks it lost with the reason; a lost renewal churns its contract."""
    services.opportunity_lose(
        opportunity=_row(opportunity_id),
        acting_user=acting_user(request),
        loss_reason=payload.loss_reason,
        closed_on=payload.closed_on,
        close_note=payload.close_note,
        expected_version=payload.version,
    )
    return _opportunity(opportunity_id)


@router.post("/opportunities/{opportunity_id}/reopen", response=OpportunityDetailOut)
def reopen_opportunity(
    request: HttpRequest, opportunity_id: RecordId, payload: VersionIn
) -> Opportunity:
    """Opens a closed opportunity again, undoing what closing it did to its contract."""
    services.opportunity_reopen(
        opportunity=_row(opportunity_id),
        acting_user=acting_user(request),
        expected_version=payload.version,
    )
    return _opportunity(opportunity_id)


# Consensus ---------------------------------------------------------------------------------


class ApproverOut(Schema):
    id: int = Field(description="The stakeholder's id.")
    name: str
    title: str
    decision_roles: list[DecisionRole]
    stance: Stance | Literal[""] = Field(description="Empty while unknown.")
    consensus: Consensus = Field(description="Their stance, as for, undecided or against.")
    last_contact_at: datetime.datetime | None
    quiet_days: int | None = Field(
        description="Days since the last contact, when longer than the disengagement threshold."
    )


class ConsensusOut(Schema):
    opportunity_id: int
    account_id: int
    approvers: list[ApproverOut] = Field(
        description="The account's active decision makers, economic buyers and champions."
    )
    counts: dict[Consensus, int] = Field(description="Approvers for, undecided and against.")
    total: int
    percent_for: int | None = Field(description="The share of approvers for; null with none.")
    missing_roles: list[DecisionRole] = Field(description="Approver roles nobody holds.")
    reached: bool = Field(description="Every approver role is held and every approver is for.")
    summary: str


def _consensus_out(opportunity: Opportunity, view: selectors.ConsensusView) -> dict[str, Any]:
    return {
        "opportunity_id": opportunity.pk,
        "account_id": opportunity.account_id,
        "approvers": [
            {
                "id": approver.stakeholder.pk,
                "name": approver.stakeholder.full_name,
                "title": approver.stakeholder.title,
                "decision_roles": approver.stakeholder.decision_roles,
                "stance": approver.stakeholder.stance,
                "consensus": approver.consensus,
                "last_contact_at": approver.last_contact_at,
                "quiet_days": approver.quiet_days,
            }
            for approver in view.approvers
        ],
        "counts": {
            Consensus.FOR: view.in_favour,
            Consensus.UNDECIDED: view.undecided,
            Consensus.AGAINST: view.against,
        },
        "total": view.total,
        "percent_for": view.percent,
        "missing_roles": view.missing_roles,
        "reached": view.is_reached,
        "summary": view.summary,
    }


@router.get("/opportunities/{opportunity_id}/consensus", response=ConsensusOut)
def opportunity_consensus(request: HttpRequest, opportunity_id: RecordId) -> dict[str, Any]:
    """Who must approve it, from the account map (decision makers, economic buyers, champions),
    each one's stance and last contact, and how far consensus is."""
    opportunity = _row(opportunity_id)
    return _consensus_out(opportunity, selectors.consensus(opportunity))
