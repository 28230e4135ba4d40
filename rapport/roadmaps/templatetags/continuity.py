"""Continuity on pages of the apps below this one: whether an account needs an owner, and how
much of it one departure would cut."""

from __future__ import annotations

from typing import Any

from django import template

from rapport.accounts.models import Account
from rapport.roadmaps.continuity import (
    account_continuity,
    account_needs_owner,
    needs_owner_count,
)

register = template.Library()


@register.inclusion_tag("roadmaps/includes/continuity_account_card.html", takes_context=True)
def continuity_card(context: Any, account: Account) -> dict[str, Any]:
    """{% continuity_card account %}: the account page's continuity card."""
    user = context["request"].user
    managers_view = user.has_perm("roadmaps.view_continuity")
    needs_owner = account_needs_owner(account)
    return {
        "account": account,
        "needs_owner": needs_owner,
        "continuity": account_continuity(account=account),
        "can_reassign": user.has_perm("roadmaps.reassign"),
        "managers_view": managers_view,
        # The book-wide count is for those who move accounts, and worth a query only here.
        "needs_owner_count": needs_owner_count() if managers_view and needs_owner else 0,
    }


@register.simple_tag(name="needs_owner_count")
def needs_owner_count_tag() -> int:
    """{% needs_owner_count as count %}: live accounts without a manager who can sign in."""
    return needs_owner_count()
