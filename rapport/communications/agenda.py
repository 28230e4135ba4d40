"""What is due on which day: the one answer shared by the calendar page and the iCalendar feed.

A capability with dated work to show (roadmap milestones, renewals…) registers an
``AgendaSource`` from its ``AppConfig.ready``::

    from rapport.communications import agenda
    agenda.register(MilestonesDue())

A source answers one question: its entries for a scope falling due between two dates (or
everything due up to the end date when there is no start, so nothing overdue hides), at most
``limit`` of them, in date order. ``entries`` asks every source, merges and sorts them. Each source
runs a fixed number of queries, whatever the number of entries.

Built in: the cadence rules falling due on the scope's accounts, and the open tasks due.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Account
from rapport.communications.models import CadenceRule, Task
from rapport.communications.selectors import cadences_due, my_accounts
from rapport.users.models import User
from rapport.users.rules import is_manager_of_the_book

OVERDUE = "overdue"
DUE = "due"
CADENCE_SOURCE = "cadence"
TASK_SOURCE = "task"


@dataclass(frozen=True)
class AgendaScope:
    """Whose work the agenda shows: the user's own, one owner's book, or the whole book.

    Looking at someone else's book or the whole one is for the managers of the book; for anyone
    else such a scope narrows back to their own accounts and tasks (see ``effective``).
    """

    user: User
    owner: User | None = None
    whole_book: bool = False
    tier: str = ""

    @property
    def may_see_book(self) -> bool:
        return bool(is_manager_of_the_book.test(self.user))

    def effective(self) -> AgendaScope:
        """This scope, with what the user may not look at dropped."""
        if (self.owner is not None or self.whole_book) and not self.may_see_book:
            return AgendaScope(user=self.user, tier=self.tier)
        return self

    @property
    def task_assignee(self) -> User | None:
        """Whose tasks show: the owner's, the user's own, or (whole book) anyone's."""
        if self.whole_book:
            return None
        return self.owner or self.user

    def accounts(self) -> QuerySet[Account]:
        """The active accounts whose cadences show."""
        if self.whole_book:
            queryset = Account.objects.filter(is_archived=False)
        elif self.owner is not None:
            queryset = Account.objects.filter(owner=self.owner, is_archived=False)
        else:
            queryset = my_accounts(user=self.user)
        if self.tier:
            queryset = queryset.filter(tier=self.tier)
        return queryset


@dataclass(frozen=True)
class AgendaEntry:
    """One thing due on a day: a cadence to keep, a task to do, a milestone to reach…"""

    date: datetime.date
    kind: str
    label: str
    title: str
    url: str
    state: str
    uid: str
    account: Account | None = None
    obj: Any = field(default=None, compare=False, repr=False)

    @property
    def is_overdue(self) -> bool:
        return self.state == OVERDUE

    @property
    def source(self) -> str:
        """The registered source it came from: a kind is "<source>" or "<source>:<detail>"."""
        return self.kind.partition(":")[0]


class AgendaSource(Protocol):
    """What a capability implements to put its due dates on the calendar and the feed."""

    name: str

    def entries(
        self,
        *,
        scope: AgendaScope,
        start: datetime.date | None,
        end: datetime.date,
        today: datetime.date,
        limit: int | None,
    ) -> list[AgendaEntry]:
        """Its entries due from ``start`` (or ever) to ``end`` inclusive, in date order."""
        ...


_sources: dict[str, AgendaSource] = {}


def register(source: AgendaSource) -> None:
    _sources[source.name] = source


def sources() -> list[AgendaSource]:
    return [_sources[name] for name in sorted(_sources)]


def state_on(due: datetime.date, today: datetime.date) -> str:
    return OVERDUE if due < today else DUE


def entries(
    *,
    scope: AgendaScope,
    start: datetime.date | None,
    end: datetime.date,
    today: datetime.date | None = None,
    limit: int | None = None,
) -> list[AgendaEntry]:
    """Everything due in the scope from ``start`` (None: also all that is overdue) to ``end``.

    Sorted by date; with a ``limit``, the earliest ``limit`` entries (ask for one more than you
    show to know whether some were left off).
    """
    today = today or timezone.localdate()
    scope = scope.effective()
    merged: list[AgendaEntry] = []
    for source in sources():
        merged.extend(source.entries(scope=scope, start=start, end=end, today=today, limit=limit))
    merged.sort(key=_order)
    return merged if limit is None else merged[:limit]


def _order(entry: AgendaEntry) -> tuple[datetime.date, str, str, str]:
    return (entry.date, entry.kind, entry.title.casefold(), entry.uid)


class CadencesDue:
    """The cadence rules of the scope's accounts, on their next due date."""

    name = CADENCE_SOURCE

    def entries(
        self,
        *,
        scope: AgendaScope,
        start: datetime.date | None,
        end: datetime.date,
        today: datetime.date,
        limit: int | None,
    ) -> list[AgendaEntry]:
        rules: QuerySet[CadenceRule] = cadences_due(
            accounts=scope.accounts(), until=end, since=start
        )
        if limit is not None:
            rules = rules[:limit]
        return [
            AgendaEntry(
                date=rule.next_due_on,
                kind=f"{CADENCE_SOURCE}:{rule.kind}",
                label=rule.get_kind_display(),
                title=_("%(cadence)s with %(account)s")
                % {"cadence": rule.get_kind_display(), "account": rule.account.name},
                url=reverse("communications:account_cadence", args=[rule.account_id]),
                state=state_on(rule.next_due_on, today),
                uid=f"{CADENCE_SOURCE}-{rule.pk}",
                account=rule.account,
                obj=rule,
            )
            for rule in rules
        ]


class TasksDue:
    """The open tasks with a due date, assigned to the scope's person (or anyone's: whole book)."""

    name = TASK_SOURCE

    def entries(
        self,
        *,
        scope: AgendaScope,
        start: datetime.date | None,
        end: datetime.date,
        today: datetime.date,
        limit: int | None,
    ) -> list[AgendaEntry]:
        tasks: QuerySet[Task] = Task.objects.open().filter(due_on__lte=end)
        if start is not None:
            tasks = tasks.filter(due_on__gte=start)
        assignee = scope.task_assignee
        if assignee is not None:
            tasks = tasks.filter(assignee=assignee)
        if scope.tier:
            tasks = tasks.filter(account__tier=scope.tier)
        if scope.whole_book:
            # Tasks on archived accounts are no longer the book's work.
            tasks = tasks.exclude(account__is_archived=True)
        tasks = tasks.select_related("account", "assignee").order_by("due_on", "id")
        if limit is not None:
            tasks = tasks[:limit]
        return [
            AgendaEntry(
                date=task.due_on,
                kind=TASK_SOURCE,
                label=_("Task"),
                title=task.title,
                url=task.get_absolute_url(),
                state=state_on(task.due_on, today),
                uid=f"{TASK_SOURCE}-{task.pk}",
                account=task.account,
                obj=task,
            )
            for task in tasks
            if task.due_on is not None
        ]


register(CadencesDue())
register(TasksDue())
