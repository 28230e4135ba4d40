"""Reads on accounts and teams; each selector owns its joins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet

from rapport.accounts.filters import AccountFilter
from rapport.accounts.models import Account, TeamMember
from rapport.core.db import prefix_q
from rapport.core.text import search_key
from rapport.users.models import User
from rapport.users.rules import is_manager_of_the_book


def account_list(*, user: User, filters: AccountFilter) -> QuerySet[Account]:
    """Accounts the user may see (all, for any signed-in user), filtered and sorted."""
    queryset = Account.objects.all() if user.is_authenticated else Account.objects.none()
    # The account map summary (coverage and risk badges) comes in the same query, by name.
    return filters.apply(queryset).select_related("owner", "map_summary")


def account_detail(*, user: User, pk: int) -> Account:
    """One account with what its 360° page shows, in a fixed number of queries."""
    current_team = (
        TeamMember.objects.current().select_related("user").order_by("role", "start_date")
    )
    queryset = (
        Account.objects.select_related("owner", "originating_executive", "parent")
        .prefetch_related(
            Prefetch("team_members", queryset=current_team, to_attr="current_team"),
        )
        .annotate(
            subsidiary_count=Count("subsidiaries", distinct=True),
        )
    )
    if not user.is_authenticated:
        queryset = queryset.none()
    return queryset.get(pk=pk)


def account_subsidiaries(*, account: Account, limit: int = 20) -> list[Account]:
    return list(account.subsidiaries.filter(is_archived=False).select_related("owner")[:limit])


def team_member_list(*, account: Account, include_past: bool = True) -> QuerySet[TeamMember]:
    """An account's team, current members first, then past ones (most recent first)."""
    queryset = TeamMember.objects.filter(account=account).select_related("user")
    if not include_past:
        queryset = queryset.current()
    return queryset.order_by(F("end_date").desc(nulls_first=True), "role", "start_date")


def accounts_for_choice(*, exclude: Account | None = None) -> QuerySet[Account]:
    queryset = Account.objects.filter(is_archived=False).only("id", "name", "search_name")
    if exclude is not None and exclude.pk is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset


def account_suggestions(*, prefix: str, limit: int = 10) -> QuerySet[Account]:
    """Active accounts whose name starts with a prefix, for pickers."""
    key = search_key(prefix)
    if not key:
        return Account.objects.none()
    return Account.objects.filter(prefix_q("search_name", key), is_archived=False).only(
        "id", "name", "search_name"
    )[:limit]


def account_people_preview(*, account: Account, limit: int = 12) -> list[Any]:
    """The first people of the account for its 360° page, top of the organisation first."""
    # Reached through the reverse relation: the stakeholders app sits above accounts.
    people = account.stakeholders.select_related("reports_to")
    return list(people.order_by(F("reports_to").asc(nulls_first=True), "search_last_name")[:limit])


def mark_editable(*, user: User, records: Sequence[Any]) -> None:
    """Set ``can_change`` on each record of a list (anything with an ``account_id``) to whether
    the user may edit its account, in at most one query for the list.

    Mirrors ``accounts.rules.can_edit_account``, whose team test would otherwise run a query
    for every row.
    """
    may_write = bool(user.is_authenticated and user.is_active and not user.is_read_only)
    if not may_write or is_manager_of_the_book.test(user):
        for record in records:
            record.can_change = may_write
        return
    wanted = {record.account_id for record in records}
    editable: set[int] = set()
    if wanted:
        teams = TeamMember.objects.current().filter(user=user).values("account_id")
        editable = set(
            Account.objects.filter(Q(owner=user) | Q(pk__in=teams), pk__in=wanted).values_list(
                "pk", flat=True
            )
        )
    for record in records:
        record.can_change = record.account_id in editable
