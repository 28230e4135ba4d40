"""The account map as data: who is on it, where each person sits, and the lines between them.

One ``AccountMap`` feeds every output (the page's SVG, PNG, PDF, draw.io, Mermaid, CSV and
JSON exports), so they all show the same map. Positions come from igraph's Reingold-Tilford
tree layout: reporting lines form the tree, and people with no manager on the map start
their own tree, laid out side by side.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import igraph
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.communications.models import RelationshipStrength
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import RelationshipOwner, Stakeholder, StakeholderRelationship
from rapport.users.models import User

# Card size and the gaps between cards, in SVG user units (pixels at 100 %).
CARD_WIDTH = 200
CARD_HEIGHT = 98
COLUMN_WIDTH = 230  # CARD_WIDTH plus the gap between neighbours
ROW_HEIGHT = 154  # CARD_HEIGHT plus room for the reporting lines
MARGIN = 40
# A manager with at least this many reports, none of whom has reports, gets them in a column
# under their card instead of a row: a team of 200 then reads as a list, not a mile-long line.
STACK_FROM = 3
STACK_INDENT = 16
STACK_ROW = CARD_HEIGHT + 14
REPORTS_TO = "reports_to"


@dataclass(frozen=True)
class OwnerTie:
    """One of our people who owns the relationship with a card's person, and how strong it is."""

    initials: str
    # 0 to 100: computed from the exchanges they shared when there are any, else the owner's
    # own estimate; None while neither is known.
    strength: int | None = None
    computed: bool = False


@dataclass
class MapPerson:
    """One card on the map."""

    id: int
    name: str
    initials: str
    title: str
    department: str
    stance: str
    influence: str
    roles: list[str]
    owners: list[str]  # initials of the relationship owners on our side
    has_left: bool
    manager_id: int | None
    ties: list[OwnerTie] = field(default_factory=list)  # the owners, in the same order
    last_contact_at: datetime.datetime | None = None
    # History keeps no last contacts: a past map cannot tell, rather than say "never".
    contact_known: bool = True
    hidden_reports: int = 0  # people under this card hidden by a collapsed branch
    stacked: bool = False  # shown in a column under their manager, joined from the side
    x: float = 0.0  # top-left corner
    y: float = 0.0
    width: float = CARD_WIDTH
    height: float = CARD_HEIGHT

    @property
    def center_x(self) -> float:
        return self.x + self.width / 2

    @property
    def center_y(self) -> float:
        return self.y + self.height / 2


@dataclass
class MapLine:
    """A reporting line (``kind == "reports_to"``, from the manager down) or a relationship."""

    source: int
    target: int
    kind: str
    note: str = ""


@dataclass
class AccountMap:
    account_id: int
    account_name: str
    people: list[MapPerson] = field(default_factory=list)
    lines: list[MapLine] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    as_of: datetime.datetime | None = None
    drawn_at: datetime.datetime | None = None  # "12 days ago" counts from here

    def person(self, person_id: int) -> MapPerson:
        return next(person for person in self.people if person.id == person_id)

    @property
    def reporting_lines(self) -> list[MapLine]:
        return [line for line in self.lines if line.kind == REPORTS_TO]

    @property
    def relationship_lines(self) -> list[MapLine]:
        return [line for line in self.lines if line.kind != REPORTS_TO]


@dataclass(frozen=True)
class MapFilters:
    """What the viewer asked to see."""

    only_decision_roles: bool = False
    department: str = ""
    collapsed: frozenset[int] = frozenset()


def build_account_map(
    *,
    account: Account,
    filters: MapFilters | None = None,
    as_of: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> AccountMap:
    """The account's map, now or as it was at ``as_of``, filtered and laid out."""
    filters = filters or MapFilters()
    people, owners, relationships = _load(account=account, as_of=as_of)
    account_map = AccountMap(
        account_id=account.pk,
        account_name=account.name,
        as_of=as_of,
        drawn_at=now or timezone.now(),
    )
    cards = {
        person.pk: _card(person, owners.get(person.pk, []), live=as_of is None) for person in people
    }
    visible = _apply_filters(cards, filters)
    account_map.people = sorted(visible.values(), key=lambda card: (card.name.lower(), card.id))
    for card in account_map.people:
        if card.manager_id is not None:
            account_map.lines.append(
                MapLine(source=card.manager_id, target=card.id, kind=REPORTS_TO)
            )
    for relationship in relationships:
        if relationship.source_id in visible and relationship.target_id in visible:
            account_map.lines.append(
                MapLine(
                    source=relationship.source_id,
                    target=relationship.target_id,
                    kind=relationship.kind,
                    note=relationship.note,
                )
            )
    _lay_out(account_map)
    return account_map


def _load(
    *, account: Account, as_of: datetime.datetime | None
) -> tuple[list[Any], dict[int, list[OwnerTie]], list[Any]]:
    """People, their owners and relationships: live, or from history at a date."""
    if as_of is None:
        people = list(Stakeholder.objects.filter(account=account))
        # The computed strength of each pair rides along in the owners' query: one query for
        # the whole map, however many people and owners it has.
        computed = RelationshipStrength.objects.filter(
            user_id=OuterRef("user_id"), stakeholder_id=OuterRef("stakeholder_id")
        ).values("strength")[:1]
        owner_rows = (
            RelationshipOwner.objects.filter(stakeholder__account=account)
            .select_related("user")
            .annotate(computed_strength=Subquery(computed))
        )
        owners: dict[int, list[OwnerTie]] = {}
        for row in owner_rows:
            owners.setdefault(row.stakeholder_id, []).append(
                owner_tie(row.user.initials, row.computed_strength, row.strength)
            )
        relationships = list(StakeholderRelationship.objects.filter(account=account))
        return people, owners, relationships
    people = [
        record
        for record in Stakeholder.history.as_of(as_of).filter(account_id=account.pk)
        if record.deleted_at is None or record.deleted_at > as_of
    ]
    ids = {person.pk for person in people}
    owners = {}
    rows = list(RelationshipOwner.history.as_of(as_of).filter(stakeholder_id__in=ids))
    # One query for the owners' names, not one per row.
    users = User.objects.in_bulk({row.user_id for row in rows})
    for row in rows:
        if row.user_id in users:
            # Strengths computed from the log describe today: a past map shows the estimate.
            owners.setdefault(row.stakeholder_id, []).append(
                owner_tie(users[row.user_id].initials, None, row.strength)
            )
    relationships = list(StakeholderRelationship.history.as_of(as_of).filter(account_id=account.pk))
    return people, owners, relationships


def owner_tie(initials: str, computed: int | None, manual: int | None) -> OwnerTie:
    """The computed strength when shared exchanges exist, else the owner's own estimate."""
    if computed is not None:
        return OwnerTie(initials=initials, strength=computed, computed=True)
    return OwnerTie(initials=initials, strength=manual)


def _card(person: Any, ties: list[OwnerTie], *, live: bool) -> MapPerson:
    first, last = person.first_name, person.last_name
    ties = sorted(ties, key=lambda tie: tie.initials)
    return MapPerson(
        id=person.pk,
        name=f"{first} {last}".strip(),
        initials=(first[:1] + last[:1]).upper(),
        title=person.title,
        department=person.department,
        stance=person.stance,
        influence=person.influence,
        roles=list(person.decision_roles),
        owners=[tie.initials for tie in ties],
        has_left=person.status == StakeholderStatus.LEFT,
        manager_id=person.reports_to_id,
        ties=ties,
        last_contact_at=person.last_contact_at if live else None,
        contact_known=live,
    )


def _apply_filters(cards: dict[int, MapPerson], filters: MapFilters) -> dict[int, MapPerson]:
    """Keep the people asked for; a kept person reports to their nearest kept manager."""

    def wanted(card: MapPerson) -> bool:
        if filters.only_decision_roles and not card.roles:
            return False
        return not (filters.department and card.department.lower() != filters.department.lower())

    # Built once: a big map opens with many branches collapsed, each walked twice below.
    children = _children(cards)
    hidden_counts = {pk: len(_descendants(pk, children)) for pk in filters.collapsed}
    hidden_by_collapse = {
        pk for root in filters.collapsed if root in cards for pk in _descendants(root, children)
    }
    kept = {pk: card for pk, card in cards.items() if wanted(card) and pk not in hidden_by_collapse}
    managers = {pk: _nearest_kept_manager(card, cards, kept) for pk, card in kept.items()}
    for pk, card in kept.items():
        card.manager_id = managers[pk]
        card.hidden_reports = hidden_counts.get(pk, 0)
    return kept


def _children(cards: dict[int, MapPerson]) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for card in cards.values():
        if card.manager_id is not None and card.manager_id in cards:
            children.setdefault(card.manager_id, []).append(card.id)
    return children


def _descendants(root: int, children: dict[int, list[int]]) -> set[int]:
    """Everyone under ``root``, however deep; a loop in old history data ends the walk."""
    stack = list(children.get(root, []))
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(children.get(current, []))
    return seen


def _nearest_kept_manager(
    card: MapPerson, cards: dict[int, MapPerson], kept: dict[int, MapPerson]
) -> int | None:
    manager = card.manager_id
    seen = {card.id}
    while manager is not None and manager not in seen:
        if manager in kept:
            return manager
        seen.add(manager)
        parent = cards.get(manager)
        manager = parent.manager_id if parent is not None else None
    return None


def _lay_out(account_map: AccountMap) -> None:
    """Each reporting tree laid out on its own, then the trees placed left to right."""
    people = account_map.people
    if not people:
        account_map.width = account_map.height = 0
        return
    by_id = {person.id: person for person in people}
    children: dict[int, list[int]] = {}
    for person in people:
        if person.manager_id in by_id:
            children.setdefault(person.manager_id, []).append(person.id)
    stacks = {
        manager: reports
        for manager, reports in children.items()
        if len(reports) >= STACK_FROM and not any(report in children for report in reports)
    }
    placed: set[int] = set()
    offset = 0.0
    roots = [person.id for person in people if person.manager_id not in by_id]
    # A loop in old history data has no root: start a tree at any person not yet placed.
    pending = roots + [person.id for person in people]
    for root in pending:
        if root in placed:
            continue
        tree = _subtree(root, children, placed)
        offset = _lay_out_tree(tree, children, stacks, by_id, offset)
        placed.update(tree)
    account_map.width = max(person.x + person.width for person in people) + MARGIN
    account_map.height = max(person.y + person.height for person in people) + MARGIN


def _lay_out_tree(
    tree: list[int],
    children: dict[int, list[int]],
    stacks: dict[int, list[int]],
    by_id: dict[int, MapPerson],
    offset: float,
) -> float:
    """Place one tree from ``offset``; return where the next tree may start."""
    in_stack = {report for manager in tree for report in stacks.get(manager, [])}
    nodes = [pk for pk in tree if pk not in in_stack]
    index = {pk: position for position, pk in enumerate(nodes)}
    edges = [
        (index[pk], index[child])
        for pk in nodes
        for child in children.get(pk, [])
        if child in index
    ]
    # A stacked column is reserved in the layout by a chain of invisible nodes under its
    # manager, one per row it covers, so no other branch is placed across it.
    count = len(nodes)
    for manager in nodes:
        reports = stacks.get(manager)
        if not reports:
            continue
        rows = -(-len(reports) * STACK_ROW // ROW_HEIGHT)
        parent = index[manager]
        for _row in range(int(rows)):
            edges.append((parent, count))
            parent = count
            count += 1
    graph = igraph.Graph(n=count, edges=edges, directed=True)
    coords = graph.layout_reingold_tilford(mode="out", root=[0]).coords
    min_x = min(x for x, _y in coords)
    max_x = max(x for x, _y in coords)
    for pk in nodes:
        x, y = coords[index[pk]]
        by_id[pk].x = MARGIN + offset + (x - min_x) * COLUMN_WIDTH
        by_id[pk].y = MARGIN + y * ROW_HEIGHT
    for manager in nodes:
        for position, report in enumerate(stacks.get(manager, [])):
            card = by_id[report]
            card.stacked = True
            card.x = by_id[manager].x + STACK_INDENT
            card.y = by_id[manager].y + CARD_HEIGHT + 28 + position * STACK_ROW
    return offset + (max_x - min_x + 1) * COLUMN_WIDTH


def _subtree(root: int, children: dict[int, list[int]], placed: set[int]) -> list[int]:
    """The root first, then everyone under it not yet placed, breadth first."""
    order = [root]
    seen = {root}
    for current in order:
        for child in children.get(current, []):
            if child not in seen and child not in placed:
                seen.add(child)
                order.append(child)
    return order
