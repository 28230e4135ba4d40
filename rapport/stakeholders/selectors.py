"""Reads on stakeholders; each selector owns its joins."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Account
from rapport.core.db import prefix_q
from rapport.core.models import ChoiceSetField
from rapport.core.pagination import OrderedRows
from rapport.core.text import search_key
from rapport.stakeholders.choices import StakeholderStatus, Stance
from rapport.stakeholders.filters import StakeholderFilter
from rapport.stakeholders.models import (
    AccountLink,
    JobPosition,
    RelationshipOwner,
    Stakeholder,
    StakeholderRelationship,
)
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


def relationship_owner_list(*, stakeholder: Stakeholder) -> QuerySet[RelationshipOwner]:
    """Our people who own the relationship with a person, the strongest first."""
    return (
        RelationshipOwner.objects.filter(stakeholder=stakeholder)
        .select_related("user")
        .order_by(F("strength").desc(nulls_last=True), "id")
    )


def stakeholder_relationship_list(*, stakeholder: Stakeholder) -> QuerySet[StakeholderRelationship]:
    """A person's relationships beyond the reporting line, either way round."""
    return (
        StakeholderRelationship.objects.filter(Q(source=stakeholder) | Q(target=stakeholder))
        .filter(source__deleted_at__isnull=True, target__deleted_at__isnull=True)
        .select_related("source", "target")
        .order_by("kind", "id")
    )


def account_link_list(*, stakeholder: Stakeholder) -> QuerySet[AccountLink]:
    """The other accounts a person is tied to, their own account left out."""
    return (
        AccountLink.objects.filter(stakeholder=stakeholder)
        .exclude(account_id=stakeholder.account_id)
        .select_related("account")
        .order_by(F("end_date").desc(nulls_first=True), "account__search_name", "id")
    )


def account_linked_people(*, account: Account) -> QuerySet[AccountLink]:
    """People of other accounts tied to this one, by name."""
    return (
        AccountLink.objects.filter(account=account, stakeholder__deleted_at__isnull=True)
        .exclude(stakeholder__account=account)
        .select_related("stakeholder", "stakeholder__account")
        .order_by("stakeholder__search_last_name", "stakeholder__search_name", "id")
    )


def job_position_list(*, stakeholder: Stakeholder) -> QuerySet[JobPosition]:
    """A person's job history, the latest first."""
    return (
        JobPosition.objects.filter(stakeholder=stakeholder)
        .select_related("account")
        .order_by(F("start_date").desc(nulls_last=True), "-id")
    )


def opportunity_move_list(*, user: User) -> QuerySet[JobPosition]:
    """Jobs friends of ours moved to, flagged as openings, the latest move first."""
    if not user.is_authenticated:
        return JobPosition.objects.none()
    return (
        JobPosition.objects.filter(is_opportunity=True, stakeholder__deleted_at__isnull=True)
        .select_related("stakeholder", "stakeholder__account", "account")
        .order_by(F("start_date").desc(nulls_last=True), "-created_at", "-id")
    )


# How far back a "changed since" list looks when no date is given.
CHANGES_DEFAULT_DAYS = 30
# Earlier dates overflow once shifted to UTC in some time zones; nobody needs changes that old.
EARLIEST_CHANGES_DATE = datetime.date(1900, 1, 1)


class AccountChangeKind(models.TextChoices):
    ADDED = "added", _("Added")
    LEFT = "left", _("Left")
    REMOVED = "removed", _("Moved to the trash")
    STANCE = "stance", _("Stance changed")
    ROLES = "roles", _("Decision roles changed")
    OWNER_ADDED = "owner_added", _("Owner added")
    OWNER_REMOVED = "owner_removed", _("Owner removed")
    OWNER_STRENGTH = "owner_strength", _("Relationship strength changed")


@dataclass(frozen=True)
class AccountChange:
    """One change to an account's people, as the "changed since" page shows it."""

    when: datetime.datetime
    who: User | None
    kind: AccountChangeKind
    stakeholder_id: int
    name: str
    is_placeholder: bool = False
    old: str = ""
    new: str = ""
    detail: str = ""

    @property
    def kind_label(self) -> str:
        return str(self.kind.label)

    @property
    def who_id(self) -> int | None:
        return self.who.pk if self.who is not None else None


def _by_object(records: Iterable[Any]) -> dict[int, list[Any]]:
    """Historical records grouped by the object they record, each group oldest first."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for record in records:
        grouped[record.id].append(record)
    for versions in grouped.values():
        versions.sort(key=lambda record: (record.history_date, record.history_id))
    return grouped


def _stance_label(value: str) -> str:
    return str(dict(Stance.choices).get(value, value)) if value else "—"


def _roles_label(value: list[str]) -> str:
    roles = Stakeholder._meta.get_field("decision_roles")
    assert isinstance(roles, ChoiceSetField)
    return ", ".join(roles.labels(value)) or "—"


def _person_changes(
    record: Any, previous: Any, account_id: int, account_names: dict[int, str]
) -> list[AccountChange]:
    """What one historical version of a person changed for the account's map."""
    here = record.account_id == account_id
    base: dict[str, Any] = {
        "when": record.history_date,
        "who": record.history_user,
        "stakeholder_id": record.id,
        "name": f"{record.first_name} {record.last_name}".strip(),
        "is_placeholder": record.is_placeholder,
    }
    if previous is None:
        added = here and record.history_type == "+"
        return [AccountChange(kind=AccountChangeKind.ADDED, **base)] if added else []
    was_here = previous.account_id == account_id
    if here and not was_here:
        came_from = account_names.get(previous.account_id, "")
        return [AccountChange(kind=AccountChangeKind.ADDED, detail=came_from, **base)]
    if was_here and not here:
        went_to = account_names.get(record.account_id, "")
        return [AccountChange(kind=AccountChangeKind.LEFT, detail=went_to, **base)]
    if not here:
        return []
    changes = []
    if previous.status != StakeholderStatus.LEFT and record.status == StakeholderStatus.LEFT:
        changes.append(AccountChange(kind=AccountChangeKind.LEFT, **base))
    if previous.deleted_at is None and record.deleted_at is not None:
        changes.append(AccountChange(kind=AccountChangeKind.REMOVED, **base))
    if previous.stance != record.stance:
        changes.append(
            AccountChange(
                kind=AccountChangeKind.STANCE,
                old=_stance_label(previous.stance),
                new=_stance_label(record.stance),
                **base,
            )
        )
    if previous.decision_roles != record.decision_roles:
        changes.append(
            AccountChange(
                kind=AccountChangeKind.ROLES,
                old=_roles_label(previous.decision_roles),
                new=_roles_label(record.decision_roles),
                **base,
            )
        )
    return changes


def _owner_changes(
    record: Any, previous: Any, people: dict[int, Any], users: dict[int, User]
) -> list[AccountChange]:
    """What one historical version of a relationship owner changed."""
    person = people.get(record.stakeholder_id)
    user = users.get(record.user_id)
    base: dict[str, Any] = {
        "when": record.history_date,
        "who": record.history_user,
        "stakeholder_id": record.stakeholder_id,
        "name": person.full_name if person is not None else f"#{record.stakeholder_id}",
        "is_placeholder": bool(person is not None and person.is_placeholder),
        "detail": str(user) if user is not None else f"#{record.user_id}",
    }
    if record.history_type == "+":
        return [AccountChange(kind=AccountChangeKind.OWNER_ADDED, **base)]
    if record.history_type == "-":
        return [AccountChange(kind=AccountChangeKind.OWNER_REMOVED, **base)]
    if previous is not None and previous.strength != record.strength:
        return [
            AccountChange(
                kind=AccountChangeKind.OWNER_STRENGTH,
                old="—" if previous.strength is None else str(previous.strength),
                new="—" if record.strength is None else str(record.strength),
                **base,
            )
        ]
    return []


def changes_window(day: datetime.date | None) -> tuple[datetime.date, datetime.datetime]:
    """The first day of a "changed since" list (30 days ago by default) and its first moment."""
    # The moment is midnight of that day in the current time zone, the user's.
    today = timezone.localdate()
    if day is None:
        day = today - datetime.timedelta(days=CHANGES_DEFAULT_DAYS)
    day = min(max(day, EARLIEST_CHANGES_DATE), today)
    return day, timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def account_changes_since(*, account: Account, since: datetime.datetime) -> list[AccountChange]:
    """People added and gone, stance, role and owner changes at an account since a moment."""
    # Newest first, read from the history in a handful of queries whatever the account's size.
    ever_here = Stakeholder.history.filter(account_id=account.pk).values("id")
    changed_people = Stakeholder.history.filter(history_date__gte=since, id__in=ever_here)
    # Whole histories of the people who changed: the version before the window is needed to
    # tell what each change in it changed.
    person_records = list(
        Stakeholder.history.filter(id__in=changed_people.values("id"))
        .select_related("history_user")
        .order_by()
    )
    changed_owners = RelationshipOwner.history.filter(
        history_date__gte=since, stakeholder_id__in=ever_here
    ).values("id")
    owner_records = list(
        RelationshipOwner.history.filter(id__in=changed_owners)
        .select_related("history_user")
        .order_by()
    )

    other_accounts = {
        record.account_id for record in person_records if record.account_id != account.pk
    }
    account_names = (
        {
            pk: other.name
            for pk, other in Account.objects.only("name").in_bulk(other_accounts).items()
        }
        if other_accounts
        else {}
    )
    people: dict[int, Any] = {}
    owned_ids = {record.stakeholder_id for record in owner_records}
    if owned_ids:
        people = Stakeholder.all_objects.only("first_name", "last_name", "is_placeholder").in_bulk(
            owned_ids
        )
    users = User.objects.in_bulk({record.user_id for record in owner_records})

    changes: list[AccountChange] = []
    for versions in _by_object(person_records).values():
        previous = None
        for record in versions:
            if record.history_date >= since:
                changes.extend(_person_changes(record, previous, account.pk, account_names))
            previous = record
    for versions in _by_object(owner_records).values():
        previous = None
        for record in versions:
            if record.history_date >= since:
                changes.extend(_owner_changes(record, previous, people, users))
            previous = record
    changes.sort(key=lambda change: change.when, reverse=True)
    return changes
