"""Relationship risk for pages of the apps below this one, which may not import it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import template

from rapport.accountmaps.choices import RiskFlag
from rapport.accountmaps.risk import Assessment, assess_account
from rapport.accounts.models import Account

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

register = template.Library()


@register.simple_tag
def account_assessment(account: Account) -> Assessment:
    """The account's relationship risks and coverage, assessed now, in one query."""
    return assess_account(account)


@register.simple_tag
def risk_flag_choices() -> Sequence[tuple[str, StrOrPromise]]:
    """Every risk flag with its label, for a filter."""
    return RiskFlag.choices
