"""Reads on stakeholders; each selector owns its joins."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from rapport.accounts.models import Account
from rapport.core.db import prefix_q
from rapport.core.pagination import OrderedRows
from rapport.core.text import search_key
from rapport.stakeholders.filters import StakeholderFilter
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User


def stakeholder_list(
    *, user: User, filters: StakeholderFilter
) -> QuerySet[Stakeholder] | OrderedRows[Stakeholder]:
    """Stakeholders the user may see (everyone signed in sees all), filtered, by name."""
    if not user.is_authenticated:
        return Stakeholder.objects.none()
    queryset = filters.apply(Stakeholder.objects.all()).select_related("account", "reports_to")
    if filters.search:
        return OrderedRows(filters.matching_ids(queryset), queryset)
    return queryset.order_by("search_last_name", "search_name", "id")


def stakeholder_search(*, user: User, text: str, limit: int = 10) -> list[Stakeholder]:
    """The first people, by last name, whose last name, full name or e-mail starts with ``text``.

    Three short queries, each an ordered range of its own index, merged here: one query with
    an OR cannot use any index for both the match and the order on a large book.
    """
    key = search_key(text)
    if not key or not user.is_authenticated:
        return []
    # Ids first, without joins, so each query stays a short walk of its index.
    candidates: dict[int, tuple[str, str, int]] = {}
    for column, order in (
        ("search_last_name", ("search_last_name", "search_name")),
        ("search_name", ("search_name",)),
        # Unordered: the e-mail column keeps its linguistic collation, and ordering by it
        # tempts the planner into walking the whole e-mail index.
        ("email", ()),
    ):
        rows = (
            Stakeholder.objects.filter(prefix_q(column, key))
            .order_by(*order)
            .values_list("search_last_name", "search_name", "id")[:limit]
        )
        for last_name, name, pk in rows:
            candidates[pk] = (last_name, name, pk)
    chosen = [pk for _last, _name, pk in sorted(candidates.values())[:limit]]
    people = Stakeholder.objects.select_related("account", "reports_to").in_bulk(chosen)
    return [people[pk] for pk in chosen if pk in people]


def stakeholder_detail(*, user: User, pk: int, include_trash: bool = False) -> Stakeholder:
    manager = Stakeholder.all_objects if include_trash else Stakeholder.objects
    queryset = manager.select_related("account", "reports_to", "deleted_by")
    if not user.is_authenticated:
        queryset = queryset.none()
    return queryset.get(pk=pk)


def stakeholder_direct_reports(*, stakeholder: Stakeholder) -> QuerySet[Stakeholder]:
    return Stakeholder.objects.filter(reports_to=stakeholder)


def stakeholder_choices(
    *, account: Account, exclude: Stakeholder | None = None
) -> QuerySet[Stakeholder]:
    queryset = Stakeholder.objects.filter(account=account).only(
        "id", "first_name", "last_name", "title", "account_id"
    )
    if exclude is not None and exclude.pk is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset


@dataclass
class OrgNode:
    stakeholder: Stakeholder
    children: list[OrgNode] = field(default_factory=list)


def stakeholder_tree(*, account: Account) -> list[OrgNode]:
    """The account's people as reporting trees (one root per top person), in one query."""
    people = list(Stakeholder.objects.filter(account=account).order_by("search_last_name", "id"))
    nodes = {person.pk: OrgNode(person) for person in people}
    roots: list[OrgNode] = []
    for person in people:
        parent = nodes.get(person.reports_to_id) if person.reports_to_id else None
        if parent is None:
            roots.append(nodes[person.pk])
        else:
            parent.children.append(nodes[person.pk])
    return roots


def trash_list() -> QuerySet[Stakeholder]:
    return (
        Stakeholder.all_objects.in_trash()
        .select_related("account", "deleted_by")
        .order_by("-deleted_at")
    )
