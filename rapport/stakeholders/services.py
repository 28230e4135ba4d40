"""Writes on stakeholders: atomic, validated, recorded in history, deletions to the trash."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts.models import Account
from rapport.core.services import apply_fields, lock_versioned, require_permission, save_versioned
from rapport.core.text import search_key
from rapport.stakeholders.choices import DecisionRole, RelationshipKind, StakeholderStatus, Stance
from rapport.stakeholders.models import (
    AccountLink,
    JobPosition,
    RelationshipOwner,
    Stakeholder,
    StakeholderRelationship,
)
from rapport.users.models import User

STAKEHOLDER_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "department",
    "email",
    "phone",
    "profile_url",
    "reports_to",
    "status",
    "left_on",
    "decision_roles",
    "stance",
    "influence",
    "notes",
)


@transaction.atomic
def stakeholder_create(
    *, account: Account, acting_user: User, data: Mapping[str, Any]
) -> Stakeholder:
    """Add a person to an account."""
    require_permission(acting_user, "stakeholders.add_stakeholder", account)
    stakeholder = Stakeholder(account=account)
    apply_fields(stakeholder, data, STAKEHOLDER_FIELDS)
    _save(stakeholder, acting_user=acting_user)
    return stakeholder


@transaction.atomic
def stakeholder_update(
    *,
    stakeholder: Stakeholder,
    acting_user: User,
    data: Mapping[str, Any],
    expected_version: int | None,
) -> Stakeholder:
    """Change a person, refusing the change if someone else saved it first."""
    require_permission(acting_user, "stakeholders.change_stakeholder", stakeholder)
    locked = _lock_person(stakeholder.pk, expected_version=expected_version)
    changed = apply_fields(locked, data, STAKEHOLDER_FIELDS)
    if not changed:
        return locked
    # A placeholder given a name is someone we now know: it leaves the skeleton.
    if locked.is_placeholder and {"first_name", "last_name"}.intersection(changed):
        locked.is_placeholder = False
    save_versioned(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def stakeholder_set_manager(
    *, stakeholder: Stakeholder, manager: Stakeholder | None, acting_user: User
) -> Stakeholder:
    """Change whom a person reports to; loops and other accounts are refused."""
    return stakeholder_update(
        stakeholder=stakeholder,
        acting_user=acting_user,
        data={"reports_to": manager},
        expected_version=None,
    )


@transaction.atomic
def stakeholder_mark_left(
    *, stakeholder: Stakeholder, acting_user: User, expected_version: int | None = None
) -> Stakeholder:
    """Record that a person has left the client company; they stay on the map, greyed."""
    return stakeholder_update(
        stakeholder=stakeholder,
        acting_user=acting_user,
        data={"status": StakeholderStatus.LEFT, "left_on": timezone.localdate()},
        expected_version=expected_version,
    )


@transaction.atomic
def stakeholder_delete(*, stakeholder: Stakeholder, acting_user: User) -> Stakeholder:
    """Move a person to the trash, from which an administrator can restore them."""
    require_permission(acting_user, "stakeholders.delete_stakeholder", stakeholder)
    locked = lock_versioned(Stakeholder, pk=stakeholder.pk, expected_version=None)
    if locked.in_trash:
        return locked
    locked.deleted_at = timezone.now()
    locked.deleted_by = acting_user
    save_versioned(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def stakeholder_restore(*, stakeholder: Stakeholder, acting_user: User) -> Stakeholder:
    """Bring a person back from the trash."""
    require_permission(acting_user, "users.restore_from_trash")
    locked = lock_versioned(Stakeholder, pk=stakeholder.pk, expected_version=None)
    if not locked.in_trash:
        return locked
    locked.deleted_at = None
    locked.deleted_by = None
    # Their manager may have been deleted or changed meanwhile; keep the link only if still valid.
    try:
        save_versioned(locked, acting_user=acting_user)
    except ValidationError:
        locked.reports_to = None
        locked.version -= 1
        save_versioned(locked, acting_user=acting_user)
    return locked


# What may change on a tie to another account once it is made.
ACCOUNT_LINK_FIELDS = ("role", "start_date", "end_date")

# Who counts as a friend of ours when they move: their arrival elsewhere is an opening.
FRIENDLY_ROLES = (DecisionRole.CHAMPION, DecisionRole.ECONOMIC_BUYER, DecisionRole.DECISION_MAKER)
FRIENDLY_STANCES = (Stance.ADVOCATE, Stance.SUPPORTER)

# Either way round, these say the same thing: recording both directions would be a duplicate.
SYMMETRIC_KINDS = (RelationshipKind.ALLIED_WITH, RelationshipKind.IN_CONFLICT_WITH)

# The ties a person has that change under their lock, like the person themselves.
TieT = TypeVar("TieT", RelationshipOwner, AccountLink, JobPosition)

# The roles of a typical buying committee, in the order a map is usually filled in, with the
# name a placeholder for each one carries until someone real is found.
BUYING_COMMITTEE = (
    (DecisionRole.ECONOMIC_BUYER, gettext_lazy("Economic buyer")),
    (DecisionRole.DECISION_MAKER, gettext_lazy("Decision maker")),
    (DecisionRole.CHAMPION, gettext_lazy("Champion")),
    (DecisionRole.TECHNICAL_EVALUATOR, gettext_lazy("Technical evaluator")),
    (DecisionRole.USER, gettext_lazy("Users’ representative")),
    (DecisionRole.GATEKEEPER, gettext_lazy("Procurement / gatekeeper")),
)


def _lock_person(pk: int, *, expected_version: int | None = None) -> Stakeholder:
    """Lock a person for the rest of the transaction, so their ties change one writer at a time."""
    locked = lock_versioned(Stakeholder, pk=pk, expected_version=expected_version)
    if locked.in_trash:
        raise ValidationError(_("This person is in the trash; restore them before editing."))
    return locked


def _current_tie(tie: TieT, *, acting_user: User, related: tuple[str, ...] = ()) -> TieT | None:
    """A person's tie read afresh under the lock of its person; None if removed meanwhile."""
    require_permission(acting_user, "stakeholders.change_stakeholder", tie.stakeholder)
    _lock_person(tie.stakeholder_id)
    return type(tie)._default_manager.select_related(*related).filter(pk=tie.pk).first()


def _save(instance: Any, *, acting_user: User) -> None:
    """Validate and save a row, naming who changed it in its history."""
    instance.full_clean()
    _record(instance, acting_user=acting_user)


def _record(instance: Any, *, acting_user: User) -> None:
    """Save a row already validated, naming who changed it in its history."""
    instance._history_user = acting_user
    instance.save()


def _delete(instance: Any, *, acting_user: User) -> None:
    """Delete a row; its history keeps the last version and who removed it."""
    instance._history_user = acting_user
    instance.delete()


# Owners on our side


@transaction.atomic
def relationship_owner_add(
    *, stakeholder: Stakeholder, user: User, acting_user: User, strength: int | None = None
) -> RelationshipOwner:
    """Name one of our active users as an owner of the relationship with a person."""
    require_permission(acting_user, "stakeholders.change_stakeholder", stakeholder)
    person = _lock_person(stakeholder.pk)
    if not user.is_active:
        raise ValidationError({"user": _("Only an active user can own a relationship.")})
    owner = RelationshipOwner(stakeholder=person, user=user, strength=strength)
    _save(owner, acting_user=acting_user)
    return owner


@transaction.atomic
def relationship_owner_set_strength(
    *, owner: RelationshipOwner, strength: int | None, acting_user: User
) -> RelationshipOwner:
    """Change how strong our person's relationship with a stakeholder is (0 to 100, or unknown)."""
    locked = _current_tie(owner, acting_user=acting_user, related=("user",))
    if locked is None:
        raise ValidationError(_("Someone took this owner off the relationship meanwhile."))
    if locked.strength == strength:
        return locked
    locked.strength = strength
    _save(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def relationship_owner_remove(*, owner: RelationshipOwner, acting_user: User) -> None:
    """Take one of our people off a relationship; the history keeps that they owned it."""
    locked = _current_tie(owner, acting_user=acting_user)
    if locked is not None:
        _delete(locked, acting_user=acting_user)


# Relationships beyond the reporting line


@transaction.atomic
def stakeholder_relationship_add(
    *,
    source: Stakeholder,
    target: Stakeholder,
    kind: str,
    acting_user: User,
    note: str = "",
) -> StakeholderRelationship:
    """Record how one person stands with another of the same account."""
    require_permission(acting_user, "stakeholders.change_stakeholder", source)
    person = _lock_person(source.pk)
    if not Stakeholder.objects.filter(pk=target.pk).exists():
        raise ValidationError({"target": _("This person is in the trash.")})
    relationship = StakeholderRelationship(
        account_id=person.account_id, source=person, target=target, kind=kind, note=note.strip()
    )
    relationship.full_clean()
    if (
        kind in SYMMETRIC_KINDS
        and StakeholderRelationship.objects.filter(source=target, target=person, kind=kind).exists()
    ):
        raise ValidationError(_("This relationship is already recorded."))
    _record(relationship, acting_user=acting_user)
    return relationship


@transaction.atomic
def stakeholder_relationship_remove(
    *, relationship: StakeholderRelationship, acting_user: User
) -> None:
    """Remove a relationship between two people; the history keeps it."""
    require_permission(acting_user, "stakeholders.change_stakeholder", relationship.source)
    locked = StakeholderRelationship.objects.filter(pk=relationship.pk).first()
    if locked is not None:
        _delete(locked, acting_user=acting_user)


# People across accounts


@transaction.atomic
def account_link_add(
    *,
    stakeholder: Stakeholder,
    account: Account,
    acting_user: User,
    role: str = "",
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
) -> AccountLink:
    """Tie a person to an account other than their own: a holding, a subsidiary, a partner."""
    require_permission(acting_user, "stakeholders.change_stakeholder", stakeholder)
    person = _lock_person(stakeholder.pk)
    link = AccountLink(
        stakeholder=person,
        account=account,
        role=role.strip(),
        start_date=start_date,
        end_date=end_date,
    )
    link.full_clean()
    if (
        end_date is None
        and AccountLink.objects.filter(
            stakeholder=person, account=account, end_date__isnull=True
        ).exists()
    ):
        raise ValidationError({"account": _("This person is already linked to this account.")})
    _record(link, acting_user=acting_user)
    return link


@transaction.atomic
def account_link_update(
    *, link: AccountLink, acting_user: User, data: Mapping[str, Any]
) -> AccountLink:
    """Change the role or the dates of a person's tie to another account."""
    locked = _current_tie(link, acting_user=acting_user, related=("account",))
    if locked is None:
        raise ValidationError(_("Someone removed this link meanwhile."))
    if "role" in data:
        data = {**data, "role": str(data["role"]).strip()}
    if apply_fields(locked, data, ACCOUNT_LINK_FIELDS):
        _save(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def account_link_remove(*, link: AccountLink, acting_user: User) -> None:
    """Remove a person's tie to another account; the history keeps it."""
    locked = _current_tie(link, acting_user=acting_user)
    if locked is not None:
        _delete(locked, acting_user=acting_user)


@dataclass(frozen=True)
class PrimaryAccountChange:
    """What making another account a person's own changed besides their account."""

    stakeholder: Stakeholder
    previous_account: Account
    former_manager: Stakeholder | None
    detached_reports: list[Stakeholder] = field(default_factory=list)
    removed_relationships: int = 0


@transaction.atomic
def stakeholder_make_primary(*, link: AccountLink, acting_user: User) -> PrimaryAccountChange:
    """Make a linked account the person's own, undoing ties that would cross accounts."""
    require_permission(acting_user, "stakeholders.change_stakeholder", link.stakeholder)
    # They join the other account's map: whoever does this must be able to edit that map too.
    require_permission(acting_user, "stakeholders.add_stakeholder", link.account)
    person = _lock_person(link.stakeholder_id)
    locked_link = AccountLink.objects.select_related("account").filter(pk=link.pk).first()
    if locked_link is None or locked_link.stakeholder_id != person.pk:
        raise ValidationError(_("This link no longer exists."))
    new_account = locked_link.account
    previous_account = person.account
    if new_account.pk == previous_account.pk:
        raise ValidationError({"account": _("This is the person's own account already.")})

    # Reporting lines stay within one account: their people keep their place, without them.
    detached = []
    for report in Stakeholder.all_objects.select_for_update().filter(reports_to=person):
        report.reports_to = None
        save_versioned(report, acting_user=acting_user)
        detached.append(report)
    relationships = StakeholderRelationship.objects.filter(Q(source=person) | Q(target=person))
    removed = 0
    for relationship in relationships:
        _delete(relationship, acting_user=acting_user)
        removed += 1

    former_manager = person.reports_to
    person.account = new_account
    person.reports_to = None
    save_versioned(person, acting_user=acting_user)
    _delete(locked_link, acting_user=acting_user)
    # They usually keep a tie to where they came from (the holding they still sit on, say).
    if not AccountLink.objects.filter(
        stakeholder=person, account=previous_account, end_date__isnull=True
    ).exists():
        _save(
            AccountLink(stakeholder=person, account=previous_account, role=person.title),
            acting_user=acting_user,
        )
    return PrimaryAccountChange(
        stakeholder=person,
        previous_account=previous_account,
        former_manager=former_manager,
        detached_reports=detached,
        removed_relationships=removed,
    )


# Job history and moves


@transaction.atomic
def job_position_add(
    *,
    stakeholder: Stakeholder,
    acting_user: User,
    company: str = "",
    account: Account | None = None,
    title: str = "",
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
) -> JobPosition:
    """Add a step to a person's job history; an account's name stands for an empty company."""
    require_permission(acting_user, "stakeholders.change_stakeholder", stakeholder)
    person = _lock_person(stakeholder.pk)
    position = JobPosition(
        stakeholder=person,
        company=company.strip() or (account.name if account is not None else ""),
        account=account,
        title=title.strip(),
        start_date=start_date,
        end_date=end_date,
    )
    _save(position, acting_user=acting_user)
    return position


@transaction.atomic
def job_position_remove(*, position: JobPosition, acting_user: User) -> None:
    """Remove a step from a person's job history; the history keeps it."""
    locked = _current_tie(position, acting_user=acting_user)
    if locked is not None:
        _delete(locked, acting_user=acting_user)


def friendly_label(stakeholder: Stakeholder) -> str | None:
    """The role or stance that makes a person a friend of ours, or None if they are not."""
    for role in FRIENDLY_ROLES:
        if stakeholder.has_role(role):
            return str(role.label)
    if stakeholder.stance in FRIENDLY_STANCES:
        return str(Stance(stakeholder.stance).label)
    return None


@dataclass(frozen=True)
class StakeholderMove:
    """What recording a move wrote: the ended jobs, the new one, the person at the new account."""

    stakeholder: Stakeholder
    new_position: JobPosition
    ended_positions: list[JobPosition]
    friend_as: str | None
    arrival: Stakeholder | None = None
    arrival_created: bool = False


@transaction.atomic
def stakeholder_record_move(
    *,
    stakeholder: Stakeholder,
    acting_user: User,
    date: datetime.date,
    company: str = "",
    account: Account | None = None,
    title: str = "",
) -> StakeholderMove:
    """Record that a person left for another company; a friend's move is an opening."""
    # They are marked as left, their open positions end and a new one starts; when the
    # company is one of our accounts, the person is added to its people as well.
    require_permission(acting_user, "stakeholders.change_stakeholder", stakeholder)
    person = _lock_person(stakeholder.pk)
    company = company.strip() or (account.name if account is not None else "")
    if not company:
        raise ValidationError({"company": _("Say which company they moved to.")})
    if account is not None and account.pk == person.account_id:
        raise ValidationError(
            {"account": _("They are at this account already; a move is to another company.")}
        )
    friend_as = friendly_label(person)
    previous_account = person.account

    ended = list(JobPosition.objects.filter(stakeholder=person, end_date__isnull=True))
    if not ended:
        # The job they leave was never written down: keep it, so the history shows the move.
        ended = [
            JobPosition(
                stakeholder=person,
                company=previous_account.name,
                account=previous_account,
                title=person.title,
            )
        ]
    for position in ended:
        # A job recorded as starting after the move date ends the day it started.
        position.end_date = max(date, position.start_date or date)
        _save(position, acting_user=acting_user)
    new_position = JobPosition(
        stakeholder=person,
        company=company,
        account=account,
        title=title.strip(),
        start_date=date,
        is_opportunity=friend_as is not None,
    )
    _save(new_position, acting_user=acting_user)

    if person.status != StakeholderStatus.LEFT or person.left_on is None:
        person.status = StakeholderStatus.LEFT
        person.left_on = date
        save_versioned(person, acting_user=acting_user)

    arrival, created = None, False
    if account is not None:
        arrival, created = _arrive(
            person=person, account=account, title=new_position.title, acting_user=acting_user
        )
    return StakeholderMove(
        stakeholder=person,
        new_position=new_position,
        ended_positions=ended,
        friend_as=friend_as,
        arrival=arrival,
        arrival_created=created,
    )


def _arrive(
    *, person: Stakeholder, account: Account, title: str, acting_user: User
) -> tuple[Stakeholder, bool]:
    """The person at the account they moved to, added unless someone of that name is there."""
    existing = Stakeholder.objects.filter(
        account=account, search_name=search_key(person.full_name)
    ).first()
    if existing is not None:
        return existing, False
    # Added without asking for edit rights on that account: the move is a fact about someone
    # the acting user follows, and the account's team should find the newcomer on its map.
    arrival = Stakeholder(
        account=account,
        first_name=person.first_name,
        last_name=person.last_name,
        title=title,
        profile_url=person.profile_url,
        notes=_("Moved here from %(account)s, where they were %(title)s. Earlier record: %(url)s")
        % {
            "account": person.account.name,
            "title": person.title or _("(no title recorded)"),
            "url": reverse("stakeholders:stakeholder_detail", args=[person.pk]),
        },
    )
    _save(arrival, acting_user=acting_user)
    return arrival, True


# The buying-committee skeleton


@transaction.atomic
def account_seed_buying_committee(*, account: Account, acting_user: User) -> list[Stakeholder]:
    """Put a placeholder on an account's map for each typical buying role nobody fills yet."""
    require_permission(acting_user, "stakeholders.add_stakeholder", account)
    # Two clicks at once must not seed the same role twice.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    filled: set[str] = set()
    for roles in Stakeholder.objects.filter(
        account=account, status=StakeholderStatus.ACTIVE
    ).values_list("decision_roles", flat=True):
        filled.update(roles)
    seeded = []
    for role, label in BUYING_COMMITTEE:
        if role in filled:
            continue
        placeholder = Stakeholder(
            account=account,
            first_name=_("To identify"),
            last_name=str(label),
            # A set of choices held in a text column: the stubs only know the column.
            decision_roles=[role],  # type: ignore[misc]
            is_placeholder=True,
        )
        _save(placeholder, acting_user=acting_user)
        seeded.append(placeholder)
    return seeded
