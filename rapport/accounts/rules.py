"""Who may do what with an account: read for everyone signed in, edit for its team and managers."""

from __future__ import annotations

import rules

from rapport.accounts.models import Account, TeamMember
from rapport.users.rules import (
    can_create_accounts,
    is_manager_of_the_book,
    is_read_only,
    is_signed_in,
)


@rules.predicate
def is_on_account_team(user: object, account: Account | None) -> bool:
    if account is None or not getattr(user, "is_authenticated", False):
        return False
    user_id: int = user.pk  # type: ignore[attr-defined]
    if account.owner_id == user_id:
        return True
    return TeamMember.objects.current().filter(account=account, user_id=user_id).exists()


can_edit_account = ~is_read_only & (is_manager_of_the_book | is_on_account_team)

rules.add_perm("accounts.view_account", is_signed_in)
rules.add_perm("accounts.add_account", ~is_read_only & can_create_accounts)
rules.add_perm("accounts.change_account", can_edit_account)
rules.add_perm("accounts.archive_account", can_edit_account)
rules.add_perm("accounts.change_team", can_edit_account)
