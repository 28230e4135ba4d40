"""Writes on accounts and account teams: atomic, validated, recorded in history."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Account, TeamMember
from rapport.core.services import apply_fields, lock_versioned, require_permission, save_versioned
from rapport.users.models import User

ACCOUNT_FIELDS = (
    "name",
    "legal_name",
    "website",
    "domain",
    "industry",
    "country",
    "employees",
    "tier",
    "segment",
    "lifecycle_stage",
    "parent",
    "owner",
    "originating_executive",
    "description",
)


@transaction.atomic
def account_create(*, acting_user: User, data: Mapping[str, Any]) -> Account:
    """Create an account; its manager, if any, joins its team."""
    require_permission(acting_user, "accounts.add_account")
    account = Account()
    apply_fields(account, data, ACCOUNT_FIELDS)
    account.full_clean()
    account._history_user = acting_user  # type: ignore[attr-defined]
    account.save()
    if account.owner is not None:
        _ensure_member(
            account=account, user=account.owner, role="account_manager", acting_user=acting_user
        )
    if account.originating_executive is not None:
        _ensure_member(
            account=account,
            user=account.originating_executive,
            role="account_executive",
            acting_user=acting_user,
        )
    return account


@transaction.atomic
def account_update(
    *, account: Account, acting_user: User, data: Mapping[str, Any], expected_version: int | None
) -> Account:
    """Change an account, refusing the change if someone else saved it first."""
    require_permission(acting_user, "accounts.change_account", account)
    locked = lock_versioned(Account, pk=account.pk, expected_version=expected_version)
    previous_owner = locked.owner
    changed = apply_fields(locked, data, ACCOUNT_FIELDS)
    if not changed:
        return locked
    save_versioned(locked, acting_user=acting_user)
    if "owner" in changed and locked.owner is not None:
        if previous_owner is not None:
            _end_member(
                account=locked, user=previous_owner, role="account_manager", acting_user=acting_user
            )
        _ensure_member(
            account=locked, user=locked.owner, role="account_manager", acting_user=acting_user
        )
    return locked


@transaction.atomic
def account_set_archived(
    *, account: Account, acting_user: User, archived: bool, expected_version: int | None = None
) -> Account:
    """Archive or bring back an account; accounts are never deleted from the interface."""
    require_permission(acting_user, "accounts.archive_account", account)
    locked = lock_versioned(Account, pk=account.pk, expected_version=expected_version)
    if locked.is_archived == archived:
        return locked
    locked.is_archived = archived
    save_versioned(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def team_member_add(
    *,
    account: Account,
    acting_user: User,
    user: User,
    role: str,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    note: str = "",
) -> TeamMember:
    """Put one of our people on the account's team in a role."""
    require_permission(acting_user, "accounts.change_team", account)
    member = TeamMember(
        account=account,
        user=user,
        role=role,
        start_date=start_date or timezone.localdate(),
        end_date=end_date,
        note=note,
    )
    member.full_clean()
    member._history_user = acting_user  # type: ignore[attr-defined]
    member.save()
    return member


@transaction.atomic
def team_member_end(
    *, member: TeamMember, acting_user: User, end_date: datetime.date | None = None
) -> TeamMember:
    """End a membership; it stays in the team's history."""
    require_permission(acting_user, "accounts.change_team", member.account)
    locked = TeamMember.objects.select_for_update().get(pk=member.pk)
    if locked.end_date is not None:
        raise ValidationError(_("This membership has already ended."))
    end = end_date or timezone.localdate()
    # A membership that starts in the future and is ended today simply never began.
    locked.end_date = max(end, locked.start_date)
    locked.full_clean()
    locked._history_user = acting_user  # type: ignore[attr-defined]
    locked.save()
    return locked


def _ensure_member(*, account: Account, user: User, role: str, acting_user: User) -> None:
    if TeamMember.objects.filter(
        account=account, user=user, role=role, end_date__isnull=True
    ).exists():
        return
    member = TeamMember(account=account, user=user, role=role, start_date=timezone.localdate())
    member._history_user = acting_user  # type: ignore[attr-defined]
    member.save()


def _end_member(*, account: Account, user: User, role: str, acting_user: User) -> None:
    for member in TeamMember.objects.filter(
        account=account, user=user, role=role, end_date__isnull=True
    ):
        member.end_date = max(timezone.localdate(), member.start_date)
        member._history_user = acting_user  # type: ignore[attr-defined]
        member.save()
