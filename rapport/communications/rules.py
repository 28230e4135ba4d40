"""Who may log, change and follow up exchanges.

Anyone who may write (not read-only) logs a touchpoint on any account: a sales engineer or an
executive sponsor who joined a call need not be on the team. Changing or removing it is for
whoever logged it and whoever may edit the account.
"""

from __future__ import annotations

import rules

from rapport.accounts.rules import can_edit_account
from rapport.users.rules import is_manager_of_the_book, is_read_only, is_signed_in


@rules.predicate
def logged_it(user: object, touchpoint: object) -> bool:
    return getattr(touchpoint, "logged_by_id", None) == getattr(user, "pk", False)


@rules.predicate
def edits_touchpoint_account(user: object, record: object) -> bool:
    account = getattr(record, "account", None)
    return bool(account is not None and can_edit_account.test(user, account))


@rules.predicate
def assigned_or_created_it(user: object, task: object) -> bool:
    user_id = getattr(user, "pk", False)
    return user_id in (getattr(task, "assignee_id", None), getattr(task, "created_by_id", None))


can_write = is_signed_in & ~is_read_only

rules.add_perm("communications.view_touchpoint", is_signed_in)
rules.add_perm("communications.add_touchpoint", can_write)
rules.add_perm(
    "communications.change_touchpoint",
    can_write & (logged_it | edits_touchpoint_account | is_manager_of_the_book),
)
rules.add_perm("communications.add_task", can_write)
rules.add_perm(
    "communications.change_task",
    can_write & (assigned_or_created_it | edits_touchpoint_account | is_manager_of_the_book),
)
# Checked against the account whose cadence changes.
rules.add_perm("communications.change_cadence", can_edit_account)
rules.add_perm("communications.manage_cadence_defaults", ~is_read_only & is_manager_of_the_book)
rules.add_perm("communications.import_messages", can_write)
