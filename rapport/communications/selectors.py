"""Reads on the log, tasks and cadences; each selector owns its joins."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from rapport.accounts.models import Account, TeamMember
from rapport.communications.choices import Sentiment
from rapport.communications.models import (
    CadenceRule,
    RelationshipStrength,
    Task,
    Touchpoint,
)
from rapport.users.models import User

TODAY_LIST_LIMIT = 25
NEGATIVE_LOOKBACK_DAYS = 14
DUE_SOON_DAYS = 7


def my_accounts(*, user: User) -> QuerySet[Account]:
    """The active accounts a person manages or is on the team of."""
    # One id list from two indexed lookups: with "owner = me OR id IN (…)" PostgreSQL cannot
    # use either index and reads the whole book. SQLite refuses ORDER BY inside a UNION part.
    owned = Account.objects.filter(owner=user).order_by().values("pk")
    memberships = TeamMember.objects.current().filter(user=user).order_by().values("account_id")
    return Account.objects.filter(pk__in=owned.union(memberships), is_archived=False)


def touchpoint_detail(*, pk: int) -> Touchpoint:
    return (
        Touchpoint.objects.select_related("account", "logged_by")
        .prefetch_related("stakeholders", "users", "tasks__assignee")
        .get(pk=pk)
    )


def task_list(
    *, user: User, assignee: User | None = None, status: str | None = "open"
) -> QuerySet[Task]:
    """Tasks, by default the open ones, soonest due first (those with no date last)."""
    queryset = Task.objects.select_related("account", "assignee", "touchpoint")
    if not user.is_authenticated:
        return queryset.none()
    if assignee is not None:
        queryset = queryset.filter(assignee=assignee)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by(F("due_on").asc(nulls_last=True), "id")


def cadences_due(
    *, accounts: QuerySet[Account], until: datetime.date, since: datetime.date | None = None
) -> QuerySet[CadenceRule]:
    """The cadence rules of these accounts falling due by a date (and, if given, from one)."""
    queryset = CadenceRule.objects.filter(account__in=accounts.values("pk"), next_due_on__lte=until)
    if since is not None:
        queryset = queryset.filter(next_due_on__gte=since)
    return queryset.select_related("account", "account__owner").order_by("next_due_on", "id")


def untouched_accounts(*, accounts: QuerySet[Account], now: datetime.datetime) -> QuerySet[Account]:
    """Accounts with no exchange for longer than the setting allows, the longest first."""
    cutoff = now - datetime.timedelta(days=settings.RAPPORT_UNTOUCHED_DAYS)
    return accounts.filter(
        Q(last_contact_at__lt=cutoff) | Q(last_contact_at__isnull=True)
    ).order_by(F("last_contact_at").asc(nulls_first=True), "id")


@dataclass
class TodayView:
    """What needs a person today, each list short and each count exact."""

    today: datetime.date
    overdue_cadences: list[CadenceRule] = field(default_factory=list)
    due_soon_cadences: list[CadenceRule] = field(default_factory=list)
    overdue_cadence_count: int = 0
    due_soon_cadence_count: int = 0
    tasks: list[Task] = field(default_factory=list)
    task_count: int = 0
    overdue_task_count: int = 0
    untouched: list[Account] = field(default_factory=list)
    untouched_count: int = 0
    negative: list[Touchpoint] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.overdue_cadence_count
            or self.due_soon_cadence_count
            or self.task_count
            or self.untouched_count
            or self.negative
        )


def today_view(*, user: User, now: datetime.datetime | None = None) -> TodayView:
    """The person's day: cadences due, tasks due, accounts gone quiet, bad news."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week_end = today + datetime.timedelta(days=DUE_SOON_DAYS - 1)
    mine = my_accounts(user=user)
    view = TodayView(today=today)
    overdue = cadences_due(accounts=mine, until=today - datetime.timedelta(days=1))
    soon = cadences_due(accounts=mine, since=today, until=week_end)
    view.overdue_cadences = list(overdue[:TODAY_LIST_LIMIT])
    view.overdue_cadence_count = _count(overdue, view.overdue_cadences)
    view.due_soon_cadences = list(soon[:TODAY_LIST_LIMIT])
    view.due_soon_cadence_count = _count(soon, view.due_soon_cadences)
    tasks = task_list(user=user, assignee=user).filter(due_on__lte=week_end)
    view.tasks = list(tasks[:TODAY_LIST_LIMIT])
    view.task_count = _count(tasks, view.tasks)
    view.overdue_task_count = sum(1 for task in view.tasks if task.due_on and task.due_on < today)
    if view.task_count > len(view.tasks):
        view.overdue_task_count = tasks.filter(due_on__lt=today).count()
    untouched = untouched_accounts(accounts=mine, now=now).select_related("owner")
    view.untouched = list(untouched[:TODAY_LIST_LIMIT])
    view.untouched_count = _count(untouched, view.untouched)
    since = now - datetime.timedelta(days=NEGATIVE_LOOKBACK_DAYS)
    view.negative = list(
        Touchpoint.objects.filter(
            account__in=mine.values("pk"), sentiment=Sentiment.NEGATIVE, occurred_at__gte=since
        )
        .select_related("account", "logged_by")
        .order_by("-occurred_at", "-id")[:TODAY_LIST_LIMIT]
    )
    return view


def _count(queryset: QuerySet[Any], shown: list[Any]) -> int:
    """The full count, without a second query when the first page held everything."""
    if len(shown) < TODAY_LIST_LIMIT:
        return len(shown)
    return queryset.count()


@dataclass(frozen=True)
class NavigationCounts:
    overdue_cadences: int
    tasks_due: int

    @property
    def total(self) -> int:
        return self.overdue_cadences + self.tasks_due


def navigation_counts(*, user: User) -> NavigationCounts:
    """The two numbers beside "Today" in the navigation: overdue cadences, tasks due today."""
    today = timezone.localdate()
    overdue = CadenceRule.objects.filter(
        account__in=my_accounts(user=user).values("pk"), next_due_on__lt=today
    ).count()
    tasks = Task.objects.open().filter(assignee=user, due_on__lte=today).count()
    return NavigationCounts(overdue_cadences=overdue, tasks_due=tasks)


def strengths_for(*, stakeholder_ids: list[int]) -> dict[tuple[int, int], RelationshipStrength]:
    """Computed strengths keyed by (user id, stakeholder id), for the account map."""
    rows = RelationshipStrength.objects.filter(stakeholder_id__in=stakeholder_ids)
    return {(row.user_id, row.stakeholder_id): row for row in rows}


def touchpoint_list(*, user: User) -> QuerySet[Touchpoint]:
    """Every touchpoint of the book (anyone signed in reads the log), with what a row shows."""
    queryset = Touchpoint.objects.select_related("account", "logged_by").prefetch_related(
        "stakeholders", "users"
    )
    if not user.is_authenticated:
        return queryset.none()
    return queryset.order_by("-occurred_at", "-id")


def task_detail(*, pk: int) -> Task:
    return Task.objects.select_related(
        "account", "assignee", "touchpoint", "created_by", "completed_by"
    ).get(pk=pk)


def touchpoints_with_stakeholder(*, stakeholder_id: int, limit: int = 5) -> list[Touchpoint]:
    """The latest touchpoints a client person took part in, newest first."""
    # Imported here: functions are only ever appended to this module, its imports left alone.
    from rapport.communications.models import TouchpointStakeholder

    taken_part = TouchpointStakeholder.objects.filter(stakeholder_id=stakeholder_id)
    return list(
        Touchpoint.objects.filter(
            pk__in=taken_part.order_by("-occurred_at").values("touchpoint_id")[:limit]
        )
        .select_related("logged_by")
        .order_by("-occurred_at", "-id")
    )


def mark_changeable_tasks(*, user: User, tasks: list[Task]) -> None:
    """Set ``can_change`` on each task of a list, in at most one query for the whole list.

    Mirrors the ``communications.change_task`` rule, whose account-team test would otherwise
    run a query for every row.
    """
    from rapport.users.rules import is_manager_of_the_book

    may_write = user.is_authenticated and user.is_active and not user.is_read_only
    if not may_write or is_manager_of_the_book.test(user):
        for task in tasks:
            task.can_change = may_write  # type: ignore[attr-defined]
        return
    others = {
        task.account_id
        for task in tasks
        if task.account_id and user.pk not in (task.assignee_id, task.created_by_id)
    }
    editable: set[int] = set()
    if others:
        teams = TeamMember.objects.current().filter(user=user).values("account_id")
        editable = set(
            Account.objects.filter(Q(owner=user) | Q(pk__in=teams), pk__in=others).values_list(
                "pk", flat=True
            )
        )
    for task in tasks:
        task.can_change = (  # type: ignore[attr-defined]
            user.pk in (task.assignee_id, task.created_by_id) or task.account_id in editable
        )
