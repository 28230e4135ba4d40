"""Stakeholders over the REST API."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from rapport.accounts.api import UserRef
from rapport.accounts.models import Account
from rapport.core.api import (
    InputSchema,
    Page,
    PageQuery,
    RecordId,
    nulls_to_blanks,
    page_of,
    resolve_references,
)
from rapport.stakeholders import selectors, services
from rapport.stakeholders.choices import (
    DecisionRole,
    Influence,
    RelationshipKind,
    StakeholderStatus,
    Stance,
)
from rapport.stakeholders.filters import StakeholderFilter
from rapport.stakeholders.models import (
    AccountLink,
    JobPosition,
    RelationshipOwner,
    Stakeholder,
    StakeholderRelationship,
)
from rapport.stakeholders.selectors import AccountChangeKind
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
    is_placeholder: bool
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class StakeholderIn(InputSchema):
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


class StakeholderPatch(InputSchema):
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


def _person(stakeholder_id: int) -> Stakeholder:
    return get_object_or_404(Stakeholder.objects.select_related("account"), pk=stakeholder_id)


def _acting_user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


@router.get("/stakeholders", response=Page[StakeholderOut])
def list_stakeholders(
    request: HttpRequest, filters: Query[StakeholderFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    queryset = selectors.stakeholder_list(user=_acting_user(request), filters=filters)
    return page_of(queryset, paging)


@router.get("/stakeholders/{stakeholder_id}", response=StakeholderOut)
def get_stakeholder(request: HttpRequest, stakeholder_id: RecordId) -> Stakeholder:
    return selectors.stakeholder_detail(user=_acting_user(request), pk=stakeholder_id)


@router.post("/stakeholders", response={201: StakeholderOut})
def create_stakeholder(request: HttpRequest, payload: StakeholderIn) -> Status[Stakeholder]:
    data = nulls_to_blanks(payload.dict(), Stakeholder)
    data = resolve_references(
        data, {"account": Account.objects.all(), "reports_to": Stakeholder.objects.all()}
    )
    account = data.pop("account")
    stakeholder = services.stakeholder_create(
        account=account, acting_user=_acting_user(request), data=data
    )
    return Status(201, stakeholder)


@router.patch("/stakeholders/{stakeholder_id}", response=StakeholderOut)
def update_stakeholder(
    request: HttpRequest, stakeholder_id: RecordId, payload: StakeholderPatch
) -> Stakeholder:
    stakeholder = _person(stakeholder_id)
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Stakeholder)
    version = sent.pop("version", None)
    data = resolve_references(sent, {"reports_to": Stakeholder.objects.all()})
    return services.stakeholder_update(
        stakeholder=stakeholder,
        acting_user=_acting_user(request),
        data=data,
        expected_version=version,
    )


@router.delete("/stakeholders/{stakeholder_id}", response={204: None})
def delete_stakeholder(request: HttpRequest, stakeholder_id: RecordId) -> Status[None]:
    """Moves the person to the trash, from which an administrator can restore them."""
    services.stakeholder_delete(
        stakeholder=_person(stakeholder_id), acting_user=_acting_user(request)
    )
    return Status(204, None)


# Owners on our side


class RelationshipOwnerOut(Schema):
    id: int
    stakeholder_id: int
    user: UserRef
    strength: int | None
    created_at: datetime.datetime


class RelationshipOwnerIn(InputSchema):
    user_id: RecordId
    strength: int | None = Field(default=None, ge=0, le=100)


class RelationshipOwnerPatch(InputSchema):
    """The strength, 0 to 100, or null while unknown."""

    strength: int | None = Field(ge=0, le=100)


@router.get("/stakeholders/{stakeholder_id}/owners", response=list[RelationshipOwnerOut])
def list_owners(request: HttpRequest, stakeholder_id: RecordId) -> list[RelationshipOwner]:
    return list(selectors.relationship_owner_list(stakeholder=_person(stakeholder_id)))


@router.post("/stakeholders/{stakeholder_id}/owners", response={201: RelationshipOwnerOut})
def add_owner(
    request: HttpRequest, stakeholder_id: RecordId, payload: RelationshipOwnerIn
) -> Status[RelationshipOwner]:
    stakeholder = _person(stakeholder_id)
    data = resolve_references(payload.dict(), {"user": User.objects.filter(is_active=True)})
    owner = services.relationship_owner_add(
        stakeholder=stakeholder, acting_user=_acting_user(request), **data
    )
    return Status(201, owner)


@router.patch("/stakeholders/{stakeholder_id}/owners/{owner_id}", response=RelationshipOwnerOut)
def update_owner(
    request: HttpRequest,
    stakeholder_id: RecordId,
    owner_id: RecordId,
    payload: RelationshipOwnerPatch,
) -> RelationshipOwner:
    owner = get_object_or_404(
        RelationshipOwner.objects.select_related("stakeholder__account", "user"),
        pk=owner_id,
        stakeholder_id=stakeholder_id,
    )
    return services.relationship_owner_set_strength(
        owner=owner, strength=payload.strength, acting_user=_acting_user(request)
    )


@router.delete("/stakeholders/{stakeholder_id}/owners/{owner_id}", response={204: None})
def remove_owner(
    request: HttpRequest, stakeholder_id: RecordId, owner_id: RecordId
) -> Status[None]:
    owner = get_object_or_404(
        RelationshipOwner.objects.select_related("stakeholder__account"),
        pk=owner_id,
        stakeholder_id=stakeholder_id,
    )
    services.relationship_owner_remove(owner=owner, acting_user=_acting_user(request))
    return Status(204, None)


# Relationships beyond the reporting line


class RelationshipOut(Schema):
    id: int
    account_id: int
    source_id: int
    target_id: int
    kind: RelationshipKind
    note: str
    created_at: datetime.datetime


class RelationshipIn(InputSchema):
    """From the stakeholder in the path to ``target_id``, of the same account."""

    model_config = ConfigDict(str_strip_whitespace=True)

    target_id: RecordId
    kind: RelationshipKind
    note: str = Field(default="", max_length=300)


@router.get("/stakeholders/{stakeholder_id}/relationships", response=list[RelationshipOut])
def list_relationships(
    request: HttpRequest, stakeholder_id: RecordId
) -> list[StakeholderRelationship]:
    """The person's relationships either way round: they are the source or the target."""
    return list(selectors.stakeholder_relationship_list(stakeholder=_person(stakeholder_id)))


@router.post("/stakeholders/{stakeholder_id}/relationships", response={201: RelationshipOut})
def add_relationship(
    request: HttpRequest, stakeholder_id: RecordId, payload: RelationshipIn
) -> Status[StakeholderRelationship]:
    source = _person(stakeholder_id)
    data = resolve_references(payload.dict(), {"target": Stakeholder.objects.all()})
    relationship = services.stakeholder_relationship_add(
        source=source, acting_user=_acting_user(request), **data
    )
    return Status(201, relationship)


@router.delete(
    "/stakeholders/{stakeholder_id}/relationships/{relationship_id}", response={204: None}
)
def remove_relationship(
    request: HttpRequest, stakeholder_id: RecordId, relationship_id: RecordId
) -> Status[None]:
    relationship = get_object_or_404(
        StakeholderRelationship.objects.select_related("source__account").filter(
            Q(source_id=stakeholder_id) | Q(target_id=stakeholder_id)
        ),
        pk=relationship_id,
    )
    services.stakeholder_relationship_remove(
        relationship=relationship, acting_user=_acting_user(request)
    )
    return Status(204, None)


# People across accounts


class AccountLinkOut(Schema):
    id: int
    stakeholder_id: int
    account_id: int
    role: str
    start_date: datetime.date | None
    end_date: datetime.date | None


class AccountLinkIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    account_id: RecordId
    role: str = Field(default="", max_length=150)
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None


class AccountLinkPatch(InputSchema):
    """Only the fields sent are changed."""

    model_config = ConfigDict(str_strip_whitespace=True)

    role: str | None = Field(default=None, max_length=150)
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None


class PrimaryAccountOut(Schema):
    stakeholder: StakeholderOut
    previous_account_id: int
    former_manager_id: int | None
    detached_report_ids: list[int]
    removed_relationships: int


def _link(stakeholder_id: int, link_id: int) -> AccountLink:
    return get_object_or_404(
        AccountLink.objects.select_related("stakeholder__account", "account"),
        pk=link_id,
        stakeholder_id=stakeholder_id,
    )


@router.get("/stakeholders/{stakeholder_id}/links", response=list[AccountLinkOut])
def list_links(request: HttpRequest, stakeholder_id: RecordId) -> list[AccountLink]:
    """The accounts the person is tied to besides their own."""
    return list(selectors.account_link_list(stakeholder=_person(stakeholder_id)))


@router.post("/stakeholders/{stakeholder_id}/links", response={201: AccountLinkOut})
def add_link(
    request: HttpRequest, stakeholder_id: RecordId, payload: AccountLinkIn
) -> Status[AccountLink]:
    stakeholder = _person(stakeholder_id)
    data = resolve_references(payload.dict(), {"account": Account.objects.all()})
    link = services.account_link_add(
        stakeholder=stakeholder, acting_user=_acting_user(request), **data
    )
    return Status(201, link)


@router.patch("/stakeholders/{stakeholder_id}/links/{link_id}", response=AccountLinkOut)
def update_link(
    request: HttpRequest, stakeholder_id: RecordId, link_id: RecordId, payload: AccountLinkPatch
) -> AccountLink:
    data = nulls_to_blanks(payload.dict(exclude_unset=True), AccountLink)
    return services.account_link_update(
        link=_link(stakeholder_id, link_id), acting_user=_acting_user(request), data=data
    )


@router.delete("/stakeholders/{stakeholder_id}/links/{link_id}", response={204: None})
def remove_link(request: HttpRequest, stakeholder_id: RecordId, link_id: RecordId) -> Status[None]:
    services.account_link_remove(
        link=_link(stakeholder_id, link_id), acting_user=_acting_user(request)
    )
    return Status(204, None)


@router.post(
    "/stakeholders/{stakeholder_id}/links/{link_id}/primary",
    response=PrimaryAccountOut,
    description=(
        "Makes the linked account the person's own. Whom they reported to is cleared, their "
        "direct reports are detached and their relationships with people of the account they "
        "leave are removed; that account becomes a link."
    ),
)
def make_link_primary(
    request: HttpRequest, stakeholder_id: RecordId, link_id: RecordId
) -> dict[str, Any]:
    change = services.stakeholder_make_primary(
        link=_link(stakeholder_id, link_id), acting_user=_acting_user(request)
    )
    return {
        "stakeholder": change.stakeholder,
        "previous_account_id": change.previous_account.pk,
        "former_manager_id": change.former_manager.pk if change.former_manager else None,
        "detached_report_ids": [report.pk for report in change.detached_reports],
        "removed_relationships": change.removed_relationships,
    }


# Job history and moves


class JobPositionOut(Schema):
    id: int
    stakeholder_id: int
    company: str
    account_id: int | None
    title: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    is_opportunity: bool


class JobPositionIn(InputSchema):
    """``company`` may be left empty when ``account_id`` names one of our accounts."""

    model_config = ConfigDict(str_strip_whitespace=True)

    company: str = Field(default="", max_length=200)
    account_id: RecordId | None = None
    title: str = Field(default="", max_length=150)
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None


class MoveIn(InputSchema):
    """Where the person went: a company name, or one of our accounts, or both."""

    model_config = ConfigDict(str_strip_whitespace=True)

    company: str = Field(default="", max_length=200)
    account_id: RecordId | None = None
    title: str = Field(default="", max_length=150)
    date: datetime.date | None = Field(default=None, description="Today when left out.")


class MoveOut(Schema):
    stakeholder: StakeholderOut
    new_position: JobPositionOut
    ended_positions: list[JobPositionOut]
    is_opportunity: bool
    new_stakeholder_id: int | None = Field(
        description="The person at the account they moved to, when it is one of ours."
    )
    new_stakeholder_created: bool


@router.get("/stakeholders/{stakeholder_id}/positions", response=list[JobPositionOut])
def list_positions(request: HttpRequest, stakeholder_id: RecordId) -> list[JobPosition]:
    """The person's job history, the latest first."""
    return list(selectors.job_position_list(stakeholder=_person(stakeholder_id)))


@router.post("/stakeholders/{stakeholder_id}/positions", response={201: JobPositionOut})
def add_position(
    request: HttpRequest, stakeholder_id: RecordId, payload: JobPositionIn
) -> Status[JobPosition]:
    stakeholder = _person(stakeholder_id)
    data = resolve_references(payload.dict(), {"account": Account.objects.all()})
    position = services.job_position_add(
        stakeholder=stakeholder, acting_user=_acting_user(request), **data
    )
    return Status(201, position)


@router.delete("/stakeholders/{stakeholder_id}/positions/{position_id}", response={204: None})
def remove_position(
    request: HttpRequest, stakeholder_id: RecordId, position_id: RecordId
) -> Status[None]:
    position = get_object_or_404(
        JobPosition.objects.select_related("stakeholder__account"),
        pk=position_id,
        stakeholder_id=stakeholder_id,
    )
    services.job_position_remove(position=position, acting_user=_acting_user(request))
    return Status(204, None)


@router.post(
    "/stakeholders/{stakeholder_id}/move",
    response=MoveOut,
    description=(
        "The person leaves for another company: marked as left, their current position ends "
        "and a new one starts. A friend's move is flagged as an opening; when the company is "
        "one of our accounts, the person is added to its people."
    ),
)
def record_move(request: HttpRequest, stakeholder_id: RecordId, payload: MoveIn) -> dict[str, Any]:
    stakeholder = _person(stakeholder_id)
    data = resolve_references(payload.dict(), {"account": Account.objects.all()})
    data["date"] = data["date"] or timezone.localdate()
    move = services.stakeholder_record_move(
        stakeholder=stakeholder, acting_user=_acting_user(request), **data
    )
    return {
        "stakeholder": move.stakeholder,
        "new_position": move.new_position,
        "ended_positions": move.ended_positions,
        "is_opportunity": move.new_position.is_opportunity,
        "new_stakeholder_id": move.arrival.pk if move.arrival is not None else None,
        "new_stakeholder_created": move.arrival_created,
    }


# Account-wide: the skeleton and what changed


class AccountChangeOut(Schema):
    when: datetime.datetime
    who_id: int | None
    kind: AccountChangeKind
    stakeholder_id: int
    name: str
    is_placeholder: bool
    old: str
    new: str
    detail: str = Field(description="The other account, or our person, the change is about.")


@router.post(
    "/accounts/{account_id}/buying-committee",
    response=list[StakeholderOut],
    description=(
        "Adds a placeholder for each typical buying role nobody fills yet and returns them; "
        "calling it again adds nothing."
    ),
)
def seed_buying_committee(request: HttpRequest, account_id: RecordId) -> list[Stakeholder]:
    account = get_object_or_404(Account, pk=account_id)
    return services.account_seed_buying_committee(
        account=account, acting_user=_acting_user(request)
    )


@router.get("/accounts/{account_id}/changes", response=list[AccountChangeOut])
def list_account_changes(
    request: HttpRequest, account_id: RecordId, since: datetime.date | None = None
) -> list[selectors.AccountChange]:
    """People added and gone, stance, role and owner changes since a day, newest first."""
    account = get_object_or_404(Account, pk=account_id)
    _day, start = selectors.changes_window(since)
    return selectors.account_changes_since(account=account, since=start)
