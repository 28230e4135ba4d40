"""Stakeholders over the REST API."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from rapport.accounts.models import Account
from rapport.core.api import (
    Page,
    PageQuery,
    RecordId,
    nulls_to_blanks,
    page_of,
    resolve_references,
)
from rapport.stakeholders import selectors, services
from rapport.stakeholders.choices import DecisionRole, Influence, StakeholderStatus, Stance
from rapport.stakeholders.filters import StakeholderFilter
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

router = Router(tags=["stakeholders"])


class StakeholderOut(Schema):
    id: int
    account_id: RecordId
    first_name: str
    last_name: str
    title: str
    department: str
    email: str
    phone: str
    profile_url: str
    reports_to_id: int | None
    status: StakeholderStatus
    left_on: datetime.date | None
    decision_roles: list[DecisionRole]
    stance: Stance | Literal[""]
    influence: Influence | Literal[""]
    notes: str
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class StakeholderIn(Schema):
    # Like the page forms, ignore surrounding blanks, so a name of spaces counts as empty.
    model_config = ConfigDict(str_strip_whitespace=True)

    account_id: RecordId
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    title: str = Field(default="", max_length=150)
    department: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=254)
    phone: str = Field(default="", max_length=40)
    profile_url: str = Field(default="", max_length=200)
    reports_to_id: RecordId | None = None
    status: StakeholderStatus = StakeholderStatus.ACTIVE
    left_on: datetime.date | None = None
    decision_roles: list[DecisionRole] = Field(default_factory=list)
    stance: Stance | Literal[""] = ""
    influence: Influence | Literal[""] = ""
    notes: str = ""


class StakeholderPatch(Schema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update."""

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    title: str | None = Field(default=None, max_length=150)
    department: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    profile_url: str | None = Field(default=None, max_length=200)
    reports_to_id: RecordId | None = None
    status: StakeholderStatus | None = None
    left_on: datetime.date | None = None
    decision_roles: list[DecisionRole] | None = None
    stance: Stance | Literal[""] | None = None
    influence: Influence | Literal[""] | None = None
    notes: str | None = None


@router.get("/stakeholders", response=Page[StakeholderOut])
def list_stakeholders(
    request: HttpRequest, filters: Query[StakeholderFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    queryset = selectors.stakeholder_list(user=request.user, filters=filters)  # type: ignore[arg-type]
    return page_of(queryset, paging)


@router.get("/stakeholders/{stakeholder_id}", response=StakeholderOut)
def get_stakeholder(request: HttpRequest, stakeholder_id: RecordId) -> Stakeholder:
    return selectors.stakeholder_detail(user=request.user, pk=stakeholder_id)  # type: ignore[arg-type]


@router.post("/stakeholders", response={201: StakeholderOut})
def create_stakeholder(request: HttpRequest, payload: StakeholderIn) -> Status[Stakeholder]:
    data = nulls_to_blanks(payload.dict(), Stakeholder)
    data = resolve_references(
        data, {"account": Account.objects.all(), "reports_to": Stakeholder.objects.all()}
    )
    account = data.pop("account")
    stakeholder = services.stakeholder_create(account=account, acting_user=request.user, data=data)  # type: ignore[arg-type]
    return Status(201, stakeholder)


@router.patch("/stakeholders/{stakeholder_id}", response=StakeholderOut)
def update_stakeholder(
    request: HttpRequest, stakeholder_id: RecordId, payload: StakeholderPatch
) -> Stakeholder:
    stakeholder = get_object_or_404(
        Stakeholder.objects.select_related("account"), pk=stakeholder_id
    )
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Stakeholder)
    version = sent.pop("version", None)
    data = resolve_references(sent, {"reports_to": Stakeholder.objects.all()})
    user: User = request.user  # type: ignore[assignment]
    return services.stakeholder_update(
        stakeholder=stakeholder,
        acting_user=user,
        data=data,
        expected_version=version,
    )


@router.delete("/stakeholders/{stakeholder_id}", response={204: None})
def delete_stakeholder(request: HttpRequest, stakeholder_id: RecordId) -> Status[None]:
    """Moves the person to the trash, from which an administrator can restore them."""
    stakeholder = get_object_or_404(
        Stakeholder.objects.select_related("account"), pk=stakeholder_id
    )
    services.stakeholder_delete(stakeholder=stakeholder, acting_user=request.user)  # type: ignore[arg-type]
    return Status(204, None)
