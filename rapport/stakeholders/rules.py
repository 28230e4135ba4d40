"""A stakeholder may be changed by whoever may edit its account."""

from __future__ import annotations

import rules

from rapport.accounts.rules import can_edit_account
from rapport.users.rules import is_signed_in


@rules.predicate
def can_edit_stakeholder_account(user: object, stakeholder: object) -> bool:
    account = getattr(stakeholder, "account", None)
    return bool(account is not None and can_edit_account.test(user, account))


rules.add_perm("stakeholders.view_stakeholder", is_signed_in)
# Checked against the account the new stakeholder joins.
rules.add_perm("stakeholders.add_stakeholder", can_edit_account)
rules.add_perm("stakeholders.change_stakeholder", can_edit_stakeholder_account)
rules.add_perm("stakeholders.delete_stakeholder", can_edit_stakeholder_account)
