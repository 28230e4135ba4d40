"""Reassignments and continuity risk over the REST API."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from rapport.accounts.api import UserRef
from rapport.accounts.models import Account
from rapport.core.api import (
    InputSchema,
    Page,
    PageQuery,
    RecordId,
    page_of,
    resolve_references,
)
from rapport.core.services import require_permission
from rapport.roadmaps import continuity
from rapport.roadmaps.api.common import acting_user
from rapport.roadmaps.models import Reassignment
from rapport.users.models import User

router = Router(tags=["continuity"])


# Reassignment --------------------------------------------------------------------------------


class MoveIn(InputSchema):
    account_id: RecordId
    to_user_id: RecordId
    version: int | None = Field(
        default=None, ge=1, description="Refuse the move if the account changed since."
    )


class SplitIn(InputSchema):
    account_ids: list[RecordId] = Field(
        default_factory=list, max_length=2000, description="These accounts…"
    )
    from_user_id: RecordId | None = Field(
        default=None, description="…or every live account this person manages."
    )
    receiver_ids: list[RecordId] = Field(
        default_factory=list,
        max_length=200,
        description="Who takes them over, in a balanced split by number of accounts.",
    )


class ReassignmentIn(SplitIn):
    model_config = ConfigDict(str_strip_whitespace=True)

    moves: list[MoveIn] = Field(
        default_factory=list,
        max_length=2000,
        description="Or each account to whom, as adjusted after the suggested split.",
    )
    reason: str = Field(default="", max_length=300)


class SuggestedMoveOut(Schema):
    account_id: int
    account_name: str
    from_user: UserRef | None
    to_user: UserRef


class ReceiverLoadOut(Schema):
    user: UserRef
    accounts: int


class SplitOut(Schema):
    moves: list[SuggestedMoveOut]
    receivers: list[ReceiverLoadOut]
    problems: list[str] = Field(description="Why some accounts cannot go to anyone chosen.")


class ReassignmentOut(Schema):
    id: int
    batch: str
    account_id: int
    account_name: str = Field(alias="account.name")
    from_user: UserRef | None
    to_user: UserRef
    reason: str
    moved_by_id: int | None
    created_at: datetime.datetime
    brief_url: str = Field(alias="get_absolute_url", description="The handoff brief's page.")

    @staticmethod
    def resolve_batch(obj: Reassignment) -> str:
        return str(obj.batch)


class ReassignmentResultOut(Schema):
    batch: str
    moves: list[ReassignmentOut]
    tasks: int = Field(description="Open follow-up tasks moved with the accounts.")
    commitments: int = Field(description="Open commitments moved with the accounts.")
    roadmap_items: int = Field(description="Planned roadmap items moved with the accounts.")


class ReassignmentFilter(InputSchema):
    batch: uuid.UUID | None = None
    account: RecordId | None = None
    from_user: RecordId | None = None
    to_user: RecordId | None = None

    def apply(self, queryset: QuerySet[Reassignment]) -> QuerySet[Reassignment]:
        if self.batch is not None:
            queryset = queryset.filter(batch=self.batch)
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.from_user is not None:
            queryset = queryset.filter(from_user_id=self.from_user)
        if self.to_user is not None:
            queryset = queryset.filter(to_user_id=self.to_user)
        return queryset


def _split(payload: SplitIn) -> tuple[list[Account], list[User], dict[int, User]]:
    """The accounts to move, the receivers, and the suggested receiver of each account."""
    if payload.account_ids and payload.from_user_id is not None:
        raise ValidationError(
            {"account_ids": _("Choose accounts or the person whose book moves, not both.")}
        )
    if payload.from_user_id is not None:
        from_user = resolve_references(
            {"from_user_id": payload.from_user_id}, {"from_user": User.objects.all()}
        )["from_user"]
        accounts = list(continuity.book_of(from_user).select_related("owner"))
    else:
        accounts = _records(payload.account_ids, Account.objects.select_related("owner"), "account")
    receivers = _records(payload.receiver_ids, User.objects.all(), "receiver")
    if not receivers:
        raise ValidationError({"receiver_ids": _("Choose who takes the accounts over.")})
    return accounts, receivers, continuity.suggest_split(accounts=accounts, receivers=receivers)


def _records(ids: list[int], queryset: QuerySet[Any], name: str) -> list[Any]:
    """The records of these ids, in the order sent, refusing ids that match nothing."""
    wanted = list(dict.fromkeys(ids))
    found = queryset.in_bulk(wanted)
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ValidationError(
            {f"{name}_ids": _("No record has the id %(id)s.") % {"id": ", ".join(missing)}}
        )
    return [found[pk] for pk in wanted]


@router.post("/reassignments/preview", response=SplitOut)
def preview_reassignment(request: HttpRequest, payload: SplitIn) -> dict[str, Any]:
    """The suggested balanced split of the accounts among the receivers; nothing changes."""
    require_permission(acting_user(request), "roadmaps.reassign")
    accounts, receivers, proposal = _split(payload)
    # What would refuse the move, said now: receivers who may not hold accounts, and accounts
    # nobody chosen can take.
    problems = [
        problem
        for receiver in receivers
        for problem in continuity.receiver_problems(receiver=receiver)
    ]
    left_out = [account for account in accounts if account.pk not in proposal]
    problems += [
        _("%(account)s: nobody chosen but its current manager.") % {"account": account.name}
        for account in left_out
    ]
    loads = {receiver.pk: 0 for receiver in receivers}
    for receiver in proposal.values():
        loads[receiver.pk] += 1
    return {
        "moves": [
            {
                "account_id": account.pk,
                "account_name": account.name,
                "from_user": account.owner,
                "to_user": proposal[account.pk],
            }
            for account in accounts
            if account.pk in proposal
        ],
        "receivers": [{"user": receiver, "accounts": loads[receiver.pk]} for receiver in receivers],
        "problems": problems,
    }


@router.post("/reassignments", response={201: ReassignmentResultOut})
def create_reassignment(request: HttpRequest, payload: ReassignmentIn) -> Status[dict[str, Any]]:
    """Moves accounts to new managers in one transaction, with their open tasks, commitments
    and roadmap steps; refused whole (422, every reason said) when a receiver may not hold an
    account. Each account moved gets a handoff brief; the receivers are told by e-mail."""
    user = acting_user(request)
    require_permission(user, "roadmaps.reassign")
    if payload.moves:
        if payload.account_ids or payload.from_user_id is not None or payload.receiver_ids:
            raise ValidationError(
                {"moves": _("Send the moves, or the accounts and receivers to split; not both.")}
            )
        accounts = _records(
            [move.account_id for move in payload.moves], Account.objects.all(), "account"
        )
        receivers = {
            receiver.pk: receiver
            for receiver in _records(
                [move.to_user_id for move in payload.moves], User.objects.all(), "receiver"
            )
        }
        by_id = {account.pk: account for account in accounts}
        moves = [
            continuity.Move(
                account=by_id[move.account_id],
                to_user=receivers[move.to_user_id],
                expected_version=move.version,
            )
            for move in payload.moves
        ]
    else:
        accounts, chosen, proposal = _split(payload)
        # An account nobody else can take goes to the first receiver, who is then refused
        # with the reason in words.
        moves = [
            continuity.Move(account=account, to_user=proposal.get(account.pk, chosen[0]))
            for account in accounts
        ]
    result = continuity.reassign_accounts(acting_user=user, moves=moves, reason=payload.reason)
    rows = list(continuity.reassignment_batch(batch=result.batch))
    return Status(
        201,
        {
            "batch": str(result.batch),
            "moves": rows,
            "tasks": result.tasks,
            "commitments": result.commitments,
            "roadmap_items": result.roadmap_items,
        },
    )


@router.get("/reassignments", response=Page[ReassignmentOut])
def list_reassignments(
    request: HttpRequest, filters: Query[ReassignmentFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Accounts moved from one person to another, the latest first."""
    return page_of(filters.apply(continuity.reassignment_list()), paging)


@router.get("/reassignments/{reassignment_id}", response=ReassignmentOut)
def get_reassignment(request: HttpRequest, reassignment_id: RecordId) -> Reassignment:
    return get_object_or_404(continuity.reassignment_list(), pk=reassignment_id)


# Continuity risk -----------------------------------------------------------------------------


class StakeholderRef(Schema):
    id: int
    name: str = Field(alias="full_name")


class SoleHolderOut(Schema):
    user: UserRef
    stakeholders: list[StakeholderRef] = Field(description="The client people only they hold.")


class AccountContinuityOut(Schema):
    account_id: int
    relationships: int = Field(description="Client people that one of our people holds.")
    single_held: int = Field(description="Those that only one of our people holds.")
    share: int = Field(description="Percent of the relationships held by one person only.")
    needs_owner: bool = Field(description="No manager, or one who can no longer sign in.")
    holders: list[SoleHolderOut]


class AccountShareOut(Schema):
    account_id: int
    name: str
    count: int


class PersonContinuityOut(Schema):
    user: UserRef
    held: int = Field(description="Client relationships this person holds.")
    sole: int = Field(description="Those only they hold: lost if they left tomorrow.")
    share: int = Field(description="Percent of their relationships only they hold.")
    accounts: list[AccountShareOut]


class AccountRiskOut(Schema):
    account_id: int
    name: str
    owner: UserRef | None
    relationships: int
    single_held: int
    share: int


def _person_risk(row: continuity.PersonRisk) -> dict[str, Any]:
    return {
        "user": row.user,
        "held": row.held,
        "sole": row.sole,
        "share": continuity.percent(row.sole, row.held),
        "accounts": [
            {"account_id": share.account_id, "name": share.name, "count": share.count}
            for share in row.accounts
        ],
    }


@router.get("/accounts/{account_id}/continuity-risk", response=AccountContinuityOut)
def account_continuity_risk(request: HttpRequest, account_id: RecordId) -> dict[str, Any]:
    """If one of our people left tomorrow: the account's client relationships only they hold."""
    account = get_object_or_404(Account.objects.select_related("owner"), pk=account_id)
    risk = continuity.account_continuity(account=account)
    return {
        "account_id": account.pk,
        "relationships": risk.relationships,
        "single_held": risk.single_held,
        "share": risk.share,
        "needs_owner": continuity.account_needs_owner(account),
        "holders": [
            {"user": holder.user, "stakeholders": list(holder.stakeholders)}
            for holder in risk.holders
        ],
    }


@router.get("/users/{user_id}/continuity-risk", response=PersonContinuityOut)
def person_continuity_risk(request: HttpRequest, user_id: RecordId) -> dict[str, Any]:
    """The client relationships only this person holds, by account (for themselves, and for
    managers of the book)."""
    reader = acting_user(request)
    person = get_object_or_404(User, pk=user_id)
    if person.pk != reader.pk:
        require_permission(reader, "roadmaps.view_continuity")
    ranked = continuity.people_at_risk().filter(pk=person.pk).first()
    if ranked is None:
        held = continuity.held_relationships().filter(user=person).count()
        return _person_risk(continuity.PersonRisk(user=person, sole=0, held=held, accounts=()))
    return _person_risk(continuity.person_rows([ranked])[0])


@router.get("/continuity-risk/people", response=Page[PersonContinuityOut])
def list_people_at_risk(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """Our people ranked by the client relationships only they hold (managers of the book)."""
    require_permission(acting_user(request), "roadmaps.view_continuity")
    page = page_of(continuity.people_at_risk(), paging)
    page["results"] = [_person_risk(row) for row in continuity.person_rows(page["results"])]
    return page


@router.get("/continuity-risk/accounts", response=Page[AccountRiskOut])
def list_accounts_at_risk(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """Live accounts ranked by the share of relationships one of ours holds alone."""
    require_permission(acting_user(request), "roadmaps.view_continuity")
    page = page_of(continuity.accounts_at_risk(), paging)
    page["results"] = [
        {
            "account_id": account.pk,
            "name": account.name,
            "owner": account.owner,
            "relationships": account.relationship_count,
            "single_held": account.single_count,
            "share": continuity.percent(
                account.single_count,
                account.relationship_count,
            ),
        }
        for account in page["results"]
    ]
    return page
