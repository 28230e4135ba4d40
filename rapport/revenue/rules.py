"""Who may see and change the money.

Everyone signed in reads revenue, as they read accounts. An account's contracts and
opportunities are changed by whoever may edit the account. The catalogue, the exchange rates and
the pipeline's stages are the house's: administrators and heads of account management keep them.
"""

from __future__ import annotations

import rules

from rapport.accounts.rules import can_edit_account
from rapport.users.rules import is_manager_of_the_book, is_read_only, is_signed_in


@rules.predicate
def edits_its_account(user: object, record: object) -> bool:
    account = getattr(record, "account", None)
    return bool(account is not None and can_edit_account.test(user, account))


can_write = is_signed_in & ~is_read_only

rules.add_perm("revenue.view_revenue", is_signed_in)
rules.add_perm("revenue.change_catalogue", can_write & is_manager_of_the_book)
# Checked against the account.
rules.add_perm("revenue.add_contract", can_edit_account)
rules.add_perm("revenue.add_opportunity", can_edit_account)
# Checked against the contract or the opportunity.
rules.add_perm("revenue.change_contract", can_write & edits_its_account)
rules.add_perm("revenue.change_opportunity", can_write & edits_its_account)
