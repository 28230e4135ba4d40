"""Accounts and account teams over the REST API."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from rapport.accounts import selectors, services
from rapport.accounts.choices import Industry, LifecycleStage, Segment, TeamRole, Tier
from rapport.accounts.filters import AccountFilter
from rapport.accounts.models import Account, TeamMember
from rapport.core.api import (
    InputSchema,
    Page,
    PageQuery,
    RecordId,
    nulls_to_blanks,
    page_of,
    resolve_references,
)
from rapport.users.models import User

router = Router(tags=["accounts"])


class UserRef(Schema):
    id: int
    email: str
    name: str = Field(alias="get_full_name")


class AccountOut(Schema):
    id: int
    name: str
    legal_name: str
    website: str
    domain: str
    industry: str
    country: str
    employees: int | None
    tier: Tier
    segment: Segment
    lifecycle_stage: LifecycleStage
    parent_id: int | None
    owner: UserRef | None
    originating_executive_id: int | None
    description: str
    is_archived: bool
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class AccountIn(InputSchema):
    # Like the page forms, ignore surrounding blanks, so a name of spaces counts as empty.
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    legal_name: str = Field(default="", max_length=200)
    website: str = Field(default="", max_length=200)
    domain: str = Field(default="", max_length=120)
    industry: Industry | None = None
    country: str = Field(default="", max_length=2)
    employees: int | None = Field(default=None, ge=0)
    tier: Tier = Tier.GROWTH
    segment: Segment = Segment.MID_MARKET
    lifecycle_stage: LifecycleStage = LifecycleStage.ONBOARDING
    parent_id: RecordId | None = None
    owner_id: RecordId | None = None
    originating_executive_id: RecordId | None = None
    description: str = ""


class AccountPatch(InputSchema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update."""

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    legal_name: str | None = Field(default=None, max_length=200)
    website: str | None = Field(default=None, max_length=200)
    domain: str | None = Field(default=None, max_length=120)
    industry: Industry | None = None
    country: str | None = Field(default=None, max_length=2)
    employees: int | None = Field(default=None, ge=0)
    tier: Tier | None = None
    segment: Segment | None = None
    lifecycle_stage: LifecycleStage | None = None
    parent_id: RecordId | None = None
    owner_id: RecordId | None = None
    originating_executive_id: RecordId | None = None
    description: str | None = None
    is_archived: bool | None = None


class TeamMemberOut(Schema):
    id: int
    account_id: int
    user: UserRef
    role: TeamRole
    start_date: datetime.date
    end_date: datetime.date | None
    note: str
    is_current: bool


class TeamMemberIn(InputSchema):
    user_id: RecordId
    role: TeamRole
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    note: str = Field(default="", max_length=200)


def _account_references() -> dict[str, Any]:
    users = User.objects.filter(is_active=True)
    return {"parent": Account.objects.all(), "owner": users, "originating_executive": users}


@router.get("/accounts", response=Page[AccountOut])
def list_accounts(
    request: HttpRequest, filters: Query[AccountFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    return page_of(selectors.account_list(user=request.user, filters=filters), paging)  # type: ignore[arg-type]


@router.get("/accounts/{account_id}", response=AccountOut)
def get_account(request: HttpRequest, account_id: RecordId) -> Account:
    return selectors.account_detail(user=request.user, pk=account_id)  # type: ignore[arg-type]


@router.post("/accounts", response={201: AccountOut})
def create_account(request: HttpRequest, payload: AccountIn) -> Status[Account]:
    data = resolve_references(nulls_to_blanks(payload.dict(), Account), _account_references())
    return Status(201, services.account_create(acting_user=request.user, data=data))  # type: ignore[arg-type]


@router.patch("/accounts/{account_id}", response=AccountOut)
def update_account(request: HttpRequest, account_id: RecordId, payload: AccountPatch) -> Account:
    account = get_object_or_404(Account, pk=account_id)
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version", None)
    archived = sent.pop("is_archived", None)
    data = resolve_references(nulls_to_blanks(sent, Account), _account_references())
    user: User = request.user  # type: ignore[assignment]
    account = services.account_update(
        account=account, acting_user=user, data=data, expected_version=version
    )
    if archived is not None:
        account = services.account_set_archived(
            account=account, acting_user=user, archived=archived
        )
    return account


@router.delete("/accounts/{account_id}", response=AccountOut)
def archive_account(request: HttpRequest, account_id: RecordId) -> Account:
    """Accounts are archived, never deleted."""
    account = get_object_or_404(Account, pk=account_id)
    return services.account_set_archived(account=account, acting_user=request.user, archived=True)  # type: ignore[arg-type]


@router.get("/accounts/{account_id}/team", response=list[TeamMemberOut])
def list_team(
    request: HttpRequest, account_id: RecordId, include_past: bool = True
) -> list[TeamMember]:
    account = get_object_or_404(Account, pk=account_id)
    return list(selectors.team_member_list(account=account, include_past=include_past))


@router.post("/accounts/{account_id}/team", response={201: TeamMemberOut})
def add_team_member(
    request: HttpRequest, account_id: RecordId, payload: TeamMemberIn
) -> Status[TeamMember]:
    account = get_object_or_404(Account, pk=account_id)
    data = resolve_references(payload.dict(), {"user": User.objects.filter(is_active=True)})
    member = services.team_member_add(account=account, acting_user=request.user, **data)  # type: ignore[arg-type]
    return Status(201, member)


@router.delete("/accounts/{account_id}/team/{member_id}", response=TeamMemberOut)
def end_team_membership(
    request: HttpRequest, account_id: RecordId, member_id: RecordId
) -> TeamMember:
    """Ends the membership today; it stays in the team's history."""
    member = get_object_or_404(
        TeamMember.objects.select_related("account", "user"), pk=member_id, account_id=account_id
    )
    return services.team_member_end(member=member, acting_user=request.user)  # type: ignore[arg-type]
