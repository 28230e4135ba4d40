"""The commitments ledger and waiting handoffs on pages of the apps below this one.

The account's 360° page and the today view belong to apps that may not import roadmaps; they
include a template of ours, whose card reads what it shows through these tags once the page is
up (so those pages keep their own query budgets).
"""

from __future__ import annotations

import datetime
from functools import cached_property
from typing import Any

from django import template
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.roadmaps import handoffs
from rapport.roadmaps.choices import CommitmentStatus
from rapport.roadmaps.models import Commitment, Handoff
from rapport.users.models import User

register = template.Library()

ACCOUNT_OPEN_SHOWN = 5
# Beyond this many open promises the counts are asked of the database instead.
OPEN_READ_CAP = 200


class AccountCommitments:
    """An account's promises for its 360° page: the next open ones and the counts."""

    def __init__(self, *, account: Account, user: User) -> None:
        self.account = account
        self.user = user

    @cached_property
    def today(self) -> datetime.date:
        return timezone.localdate()

    @cached_property
    def can_change(self) -> bool:
        return bool(self.user.has_perm("roadmaps.change_commitments", self.account))

    @cached_property
    def _open_rows(self) -> list[Commitment]:
        """The open promises, read once: an account holds a handful, rarely more than the cap."""
        return list(
            Commitment.objects.filter(
                account=self.account, status=CommitmentStatus.OPEN
            ).select_related("owner")[: OPEN_READ_CAP + 1]
        )

    @cached_property
    def open(self) -> list[Commitment]:
        rows = self._open_rows[:ACCOUNT_OPEN_SHOWN]
        for row in rows:
            row.can_change = self.can_change  # type: ignore[attr-defined]
        return rows

    @cached_property
    def open_count(self) -> int:
        if len(self._open_rows) <= OPEN_READ_CAP:
            return len(self._open_rows)
        return Commitment.objects.filter(account=self.account, status=CommitmentStatus.OPEN).count()

    @cached_property
    def overdue_count(self) -> int:
        if len(self._open_rows) <= OPEN_READ_CAP:
            return sum(1 for row in self._open_rows if row.is_overdue(self.today))
        return Commitment.objects.filter(
            account=self.account, status=CommitmentStatus.OPEN, due_on__lt=self.today
        ).count()


class TodayCommitments:
    """What the today view shows of ours: handoffs waiting for the reader, promises due."""

    def __init__(self, *, user: User) -> None:
        self.user = user

    @cached_property
    def today(self) -> datetime.date:
        return timezone.localdate()

    @cached_property
    def handoffs(self) -> list[Handoff]:
        return handoffs.handoffs_waiting_for(user=self.user)

    @cached_property
    def commitments(self) -> list[Commitment]:
        rows = list(handoffs.commitments_due(user=self.user, today=self.today)[: self.limit])
        handoffs.mark_changeable_commitments(user=self.user, commitments=rows)
        return rows

    @property
    def limit(self) -> int:
        return handoffs.TODAY_LIST_LIMIT

    @cached_property
    def commitment_count(self) -> int:
        if len(self.commitments) < self.limit:
            return len(self.commitments)
        return handoffs.commitments_due(user=self.user, today=self.today).count()

    @cached_property
    def overdue_count(self) -> int:
        return sum(1 for row in self.commitments if row.due_on and row.due_on < self.today)


@register.simple_tag(takes_context=True)
def account_commitments(context: Any, account: Account) -> AccountCommitments:
    """{% account_commitments account as ledger %}: the account's commitments card."""
    return AccountCommitments(account=account, user=context["request"].user)


@register.simple_tag(takes_context=True)
def today_commitments(context: Any) -> TodayCommitments:
    """{% today_commitments as work %}: the reader's waiting handoffs and due commitments."""
    return TodayCommitments(user=context["request"].user)
