"""Who may shape playbooks, run roadmaps, hand off and move accounts.

Playbooks are the house's method: administrators and heads of account management write them.
A roadmap, its client links and an account's commitments belong to whoever may edit the
account. A handoff is given by an account executive (or a manager of the book) and acknowledged
by the account manager it names, and nobody else.
"""

from __future__ import annotations

import rules

from rapport.accounts.rules import can_edit_account
from rapport.users.choices import Role
from rapport.users.rules import is_manager_of_the_book, is_read_only, is_signed_in


@rules.predicate
def is_account_executive(user: object) -> bool:
    return getattr(user, "role", None) == Role.ACCOUNT_EXECUTIVE


@rules.predicate
def edits_roadmap_account(user: object, roadmap: object) -> bool:
    account = getattr(roadmap, "account", None)
    return bool(account is not None and can_edit_account.test(user, account))


@rules.predicate
def is_named_account_manager(user: object, handoff: object) -> bool:
    return getattr(handoff, "account_manager_id", None) == getattr(user, "pk", False)


@rules.predicate
def gave_the_handoff(user: object, handoff: object) -> bool:
    return getattr(handoff, "executive_id", None) == getattr(user, "pk", False)


can_write = is_signed_in & ~is_read_only

rules.add_perm("roadmaps.view_playbook", is_signed_in)
rules.add_perm("roadmaps.change_playbook", can_write & is_manager_of_the_book)
# Checked against the account.
rules.add_perm("roadmaps.start_roadmap", can_edit_account)
rules.add_perm("roadmaps.change_commitments", can_edit_account)
# Checked against the roadmap.
rules.add_perm("roadmaps.change_roadmap", can_write & edits_roadmap_account)
rules.add_perm("roadmaps.share_roadmap", can_write & edits_roadmap_account)
rules.add_perm("roadmaps.add_handoff", can_write & (is_account_executive | is_manager_of_the_book))
# Checked against the handoff.
rules.add_perm("roadmaps.change_handoff", can_write & (gave_the_handoff | is_manager_of_the_book))
rules.add_perm("roadmaps.acknowledge_handoff", can_write & is_named_account_manager)
rules.add_perm("roadmaps.reassign", can_write & is_manager_of_the_book)
rules.add_perm("roadmaps.view_continuity", is_signed_in & is_manager_of_the_book)
