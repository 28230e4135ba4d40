"""Writes on stakeholders: atomic, validated, recorded in history, deletions to the trash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Account
from rapport.core.services import apply_fields, lock_versioned, require_permission, save_versioned
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import Stakeholder
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
    stakeholder.full_clean()
    stakeholder._history_user = acting_user  # type: ignore[attr-defined]
    stakeholder.save()
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
    locked = lock_versioned(Stakeholder, pk=stakeholder.pk, expected_version=expected_version)
    if locked.in_trash:
        raise ValidationError(_("This person is in the trash; restore them before editing."))
    if not apply_fields(locked, data, STAKEHOLDER_FIELDS):
        return locked
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
