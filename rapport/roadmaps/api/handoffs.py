"""Commitments and handoffs over the REST API; the quality gate answers 422 in its words."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from rapport.accounts.api import UserRef
from rapport.accounts.choices import Segment, Tier
from rapport.accounts.models import Account
from rapport.communications.api import Day
from rapport.core.api import (
    InputSchema,
    Page,
    PageQuery,
    RecordId,
    no_nulls,
    nulls_to_blanks,
    page_of,
    resolve_references,
)
from rapport.roadmaps import handoffs, services
from rapport.roadmaps.api.common import (
    VersionQuery,
    acting_user,
    reader_today,
    today_of,
)
from rapport.roadmaps.choices import (
    CommitmentSource,
    CommitmentStatus,
    HandoffStatus,
)
from rapport.roadmaps.models import (
    Commitment,
    Handoff,
    Playbook,
)
from rapport.users.models import User

router = Router(tags=["handoffs"])


# Commitments ---------------------------------------------------------------------------------


class CommitmentOut(Schema):
    id: int
    account_id: int
    title: str
    details: str
    due_on: datetime.date | None
    owner: UserRef
    status: CommitmentStatus
    source: CommitmentSource
    handoff_id: int | None
    touchpoint_id: int | None
    is_overdue: bool = Field(description="Open and due before today in the reader's time zone.")
    closed_at: datetime.datetime | None
    created_by_id: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_is_overdue(obj: Commitment, context: dict[str, Any]) -> bool:
        return obj.is_overdue(reader_today(context))


class CommitmentIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    account_id: RecordId
    title: str = Field(min_length=1, max_length=300, description="The promise, in a sentence.")
    details: str = ""
    due_on: Day | None = None
    owner_id: RecordId | None = Field(
        default=None, description="The account manager (or whoever records it) when left out."
    )


class CommitmentPatch(InputSchema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update."""

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    title: str | None = Field(default=None, min_length=1, max_length=300)
    details: str | None = None
    due_on: Day | None = None
    owner_id: RecordId | None = None


class CommitmentStatusIn(InputSchema):
    status: CommitmentStatus
    version: int | None = Field(default=None, ge=1)


class CommitmentFilter(InputSchema):
    account: RecordId | None = None
    owner: RecordId | None = Field(default=None, description="Held by this user.")
    status: CommitmentStatus | None = None
    source: CommitmentSource | None = None
    handoff: RecordId | None = Field(default=None, description="Made in this handoff.")
    due_before: datetime.date | None = Field(default=None, description="Due on or before.")
    overdue: bool | None = Field(
        default=None, description="Open and due before today (or, false, not so)."
    )

    def apply(
        self, queryset: QuerySet[Commitment], *, today: datetime.date
    ) -> QuerySet[Commitment]:
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.owner is not None:
            queryset = queryset.filter(owner_id=self.owner)
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.source:
            queryset = queryset.filter(source=self.source)
        if self.handoff is not None:
            queryset = queryset.filter(handoff_id=self.handoff)
        if self.due_before is not None:
            queryset = queryset.filter(due_on__lte=self.due_before)
        if self.overdue is not None:
            late = Q(status=CommitmentStatus.OPEN, due_on__lt=today)
            queryset = queryset.filter(late) if self.overdue else queryset.exclude(late)
        return queryset


def _commitment(commitment_id: int) -> Commitment:
    return get_object_or_404(
        Commitment.objects.select_related("account", "owner"), pk=commitment_id
    )


@router.get("/commitments", response=Page[CommitmentOut])
def list_commitments(
    request: HttpRequest, filters: Query[CommitmentFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Promises made to clients, the soonest due first (those with no date last)."""
    user = acting_user(request)
    queryset = filters.apply(Commitment.objects.select_related("owner"), today=today_of(user))
    return page_of(queryset, paging)


@router.get("/commitments/{commitment_id}", response=CommitmentOut)
def get_commitment(request: HttpRequest, commitment_id: RecordId) -> Commitment:
    return _commitment(commitment_id)


@router.post("/commitments", response={201: CommitmentOut})
def create_commitment(request: HttpRequest, payload: CommitmentIn) -> Status[Commitment]:
    """Records a promise made to the client, entered directly."""
    sent = nulls_to_blanks(payload.dict(), Commitment)
    if sent["owner_id"] is None:
        sent.pop("owner_id")
    data = resolve_references(sent, {"account": Account.objects.all(), "owner": User.objects.all()})
    account = data.pop("account")
    commitment = services.commitment_create(
        acting_user=acting_user(request), account=account, data=data
    )
    return Status(201, _commitment(commitment.pk))


@router.patch("/commitments/{commitment_id}", response=CommitmentOut)
def update_commitment(
    request: HttpRequest, commitment_id: RecordId, payload: CommitmentPatch
) -> Commitment:
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Commitment)
    version = sent.pop("version", None)
    if "owner_id" in sent and sent["owner_id"] is None:
        raise ValidationError({"owner": _("A commitment always has an owner.")})
    data = resolve_references(sent, {"owner": User.objects.all()})
    services.commitment_update(
        commitment=_commitment(commitment_id),
        acting_user=acting_user(request),
        data=data,
        expected_version=version,
    )
    return _commitment(commitment_id)


@router.post("/commitments/{commitment_id}/status", response=CommitmentOut)
def set_commitment_status(
    request: HttpRequest, commitment_id: RecordId, payload: CommitmentStatusIn
) -> Commitment:
    """Marks the promise kept or cancelled, or opens it again."""
    services.commitment_set_status(
        commitment=_commitment(commitment_id),
        acting_user=acting_user(request),
        status=payload.status,
        expected_version=payload.version,
    )
    return _commitment(commitment_id)


# Handoffs ------------------------------------------------------------------------------------


class GateOut(Schema):
    passed: bool
    decision_people: int = Field(description="Active, real people with a decision role.")
    required: int
    goals_written: bool
    problems: list[str] = Field(description="Exactly what is missing, one sentence each.")


class HandoffOut(Schema):
    id: int
    account_id: int
    executive: UserRef
    account_manager: UserRef
    what_was_sold: str
    client_goals: str
    promises: str = Field(description="One per line; each becomes a commitment on submission.")
    risks: str
    next_steps: str
    kickoff_date: datetime.date
    playbook_id: int
    roadmap_id: int | None = Field(description="The onboarding roadmap started on submission.")
    status: HandoffStatus
    submitted_at: datetime.datetime | None
    acknowledged_at: datetime.datetime | None
    acknowledgement_note: str
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class HandoffDetailOut(HandoffOut):
    gate: GateOut | None = Field(
        description="While a draft: whether it may be submitted, and what is missing."
    )

    @staticmethod
    def resolve_gate(obj: Handoff) -> dict[str, Any] | None:
        if obj.status != HandoffStatus.DRAFT:
            return None
        gate = handoffs.handoff_gate(account=obj.account, client_goals=obj.client_goals)
        return {
            "passed": gate.passed,
            "decision_people": gate.decision_people,
            "required": gate.required,
            "goals_written": gate.goals_written,
            "problems": gate.problems(),
        }


class NewAccountIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    tier: Tier = Tier.GROWTH
    segment: Segment = Segment.MID_MARKET
    domain: str = Field(default="", max_length=120)


class HandoffIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    account_id: RecordId | None = Field(default=None, description="The client's account…")
    new_account: NewAccountIn | None = Field(
        default=None, description="…or a new account, created with the draft."
    )
    executive_id: RecordId | None = Field(
        default=None,
        description="Whoever records it when left out (a manager of the book may name another).",
    )
    account_manager_id: RecordId
    what_was_sold: str = Field(min_length=1)
    client_goals: str = ""
    promises: str = ""
    risks: str = ""
    next_steps: str = ""
    kickoff_date: Day
    playbook_id: RecordId = Field(description="An onboarding playbook still offered.")


class HandoffPatch(InputSchema):
    """Only the fields sent are changed, while a draft; send ``version`` to refuse a stale one."""

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    account_id: RecordId | None = None
    executive_id: RecordId | None = None
    account_manager_id: RecordId | None = None
    what_was_sold: str | None = Field(default=None, min_length=1)
    client_goals: str | None = None
    promises: str | None = None
    risks: str | None = None
    next_steps: str | None = None
    kickoff_date: Day | None = None
    playbook_id: RecordId | None = None


class AcknowledgementIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    note: str = Field(default="", max_length=2000)


class HandoffFilter(InputSchema):
    status: HandoffStatus | None = None
    account: RecordId | None = None
    executive: RecordId | None = Field(default=None, description="Given by this user.")
    account_manager: RecordId | None = Field(default=None, description="Handed to this user.")
    waiting_for_me: bool = Field(
        default=False, description="Only those submitted to me and not yet acknowledged."
    )

    def apply(self, queryset: QuerySet[Handoff], *, user: User) -> QuerySet[Handoff]:
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.executive is not None:
            queryset = queryset.filter(executive_id=self.executive)
        if self.account_manager is not None:
            queryset = queryset.filter(account_manager_id=self.account_manager)
        if self.waiting_for_me:
            queryset = queryset.filter(account_manager=user, status=HandoffStatus.SUBMITTED)
        return queryset


def _handoff(request: HttpRequest, handoff_id: int) -> Handoff:
    """The handoff, if the reader may see it: other people's drafts do not exist for them."""
    return handoffs.handoff_detail(user=acting_user(request), pk=handoff_id)


def _handoff_references() -> dict[str, QuerySet[Any]]:
    return {
        "account": Account.objects.all(),
        "executive": User.objects.all(),
        "account_manager": User.objects.all(),
        "playbook": Playbook.objects.all(),
    }


@router.get("/handoffs", response=Page[HandoffOut])
def list_handoffs(
    request: HttpRequest, filters: Query[HandoffFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Handoffs, the latest first; other people's drafts are left out."""
    user = acting_user(request)
    queryset = filters.apply(handoffs.handoff_list(user=user), user=user)
    return page_of(queryset.order_by("-created_at", "-id"), paging)


@router.get("/handoffs/{handoff_id}", response=HandoffDetailOut)
def get_handoff(request: HttpRequest, handoff_id: RecordId) -> Handoff:
    """The handoff; a draft says whether the quality gate lets it be submitted."""
    return _handoff(request, handoff_id)


@router.post("/handoffs", response={201: HandoffDetailOut})
def create_handoff(request: HttpRequest, payload: HandoffIn) -> Status[Handoff]:
    """Records a draft handoff, on an existing account or a new one; nothing else changes yet."""
    sent = nulls_to_blanks(payload.dict(), Handoff)
    new_account = sent.pop("new_account")
    if (sent["account_id"] is None) == (new_account is None):
        raise ValidationError(
            {"account": _("Choose an existing account or name a new one (not both).")}
        )
    if sent["executive_id"] is None:
        sent.pop("executive_id")
    data = resolve_references(sent, _handoff_references())
    handoff = handoffs.handoff_record(
        acting_user=acting_user(request),
        handoff=None,
        account=data.pop("account", None),
        new_account=new_account,
        data=data,
    )
    return Status(201, _handoff(request, handoff.pk))


@router.patch("/handoffs/{handoff_id}", response=HandoffDetailOut)
def update_handoff(request: HttpRequest, handoff_id: RecordId, payload: HandoffPatch) -> Handoff:
    """Changes a draft; a submitted handoff no longer changes."""
    handoff = _handoff(request, handoff_id)
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Handoff)
    no_nulls(
        sent, "account_id", "executive_id", "account_manager_id", "kickoff_date", "playbook_id"
    )
    version = sent.pop("version", None)
    data = resolve_references(sent, _handoff_references())
    handoffs.handoff_save_draft(
        acting_user=acting_user(request),
        account=data.pop("account", handoff.account),
        data=data,
        handoff=handoff,
        expected_version=version,
    )
    return _handoff(request, handoff_id)


@router.post("/handoffs/{handoff_id}/submit", response=HandoffDetailOut)
def submit_handoff(
    request: HttpRequest, handoff_id: RecordId, query: Query[VersionQuery]
) -> Handoff:
    """Passes the client on: the account manager becomes the account's owner, the executive
    stays on its team as originator, the promises become commitments and the onboarding
    roadmap starts on the kickoff date. Refused whole (422, each missing thing said) until the
    account map has enough people with a decision role and the client's goals are written."""
    handoffs.handoff_submit(
        handoff=_handoff(request, handoff_id),
        acting_user=acting_user(request),
        expected_version=query.version,
    )
    return _handoff(request, handoff_id)


@router.post("/handoffs/{handoff_id}/acknowledge", response=HandoffDetailOut)
def acknowledge_handoff(
    request: HttpRequest, handoff_id: RecordId, payload: AcknowledgementIn
) -> Handoff:
    """The account manager the handoff names takes the client on (403 for anyone else)."""
    handoffs.handoff_acknowledge(
        handoff=_handoff(request, handoff_id),
        acting_user=acting_user(request),
        note=payload.note,
    )
    return _handoff(request, handoff_id)
