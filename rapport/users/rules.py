"""Role predicates; the domain apps combine them with their own object rules."""

from __future__ import annotations

import rules

from rapport.users.choices import Role


@rules.predicate
def is_administrator(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_administrator)  # type: ignore[attr-defined]


@rules.predicate
def is_head_of_account_management(user: object) -> bool:
    return getattr(user, "role", None) == Role.HEAD_OF_ACCOUNT_MANAGEMENT


@rules.predicate
def is_read_only(user: object) -> bool:
    return bool(getattr(user, "is_read_only", False))


@rules.predicate
def can_create_accounts(user: object) -> bool:
    return getattr(user, "role", None) in {
        Role.ADMINISTRATOR,
        Role.HEAD_OF_ACCOUNT_MANAGEMENT,
        Role.ACCOUNT_MANAGER,
        Role.ACCOUNT_EXECUTIVE,
    } or bool(getattr(user, "is_superuser", False))


is_signed_in = rules.is_authenticated
is_manager_of_the_book = is_administrator | is_head_of_account_management

rules.add_perm("users.restore_from_trash", is_administrator)
rules.add_perm("users.manage_users", is_administrator)
