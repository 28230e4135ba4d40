"""Reads on roadmaps: a roadmap with its items, its progress, an account's and a person's."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models import Value as V

from rapport.accounts.models import Account
from rapport.communications.selectors import DUE_SOON_DAYS
from rapport.roadmaps.choices import ItemKind, ItemStatus, Progress, RoadmapStatus
from rapport.roadmaps.models import ClientLink, Roadmap, RoadmapItem, RoadmapPhase
from rapport.users.models import User

# The today view and the 360° card stay short; the roadmap page has the rest.
MY_ITEMS_LIMIT = 10
CARD_ROADMAPS_LIMIT = 3


@dataclass(frozen=True)
class NextMilestone:
    pk: int
    title: str
    due_on: datetime.date
    is_late: bool


@dataclass(frozen=True)
class RoadmapProgress:
    """How far a roadmap has come: skipped items count neither as done nor as to do."""

    total: int
    done: int
    late: int
    roadmap_status: str
    next_milestone: NextMilestone | None = None

    @property
    def percent(self) -> int:
        if self.total == 0:
            return 100 if self.roadmap_status == RoadmapStatus.COMPLETED else 0
        return self.done * 100 // self.total

    @property
    def state(self) -> str:
        """On track, late or done (a Progress value)."""
        if self.roadmap_status == RoadmapStatus.COMPLETED:
            return Progress.DONE
        return Progress.LATE if self.late else Progress.ON_TRACK

    @property
    def state_label(self) -> str:
        return str(Progress(self.state).label)


def progress_from_items(
    roadmap: Roadmap, items: Iterable[RoadmapItem], *, today: datetime.date
) -> RoadmapProgress:
    """The progress of a roadmap whose items are already loaded (the detail and client pages)."""
    total = done = late = 0
    next_milestone: NextMilestone | None = None
    for item in items:
        if item.status == ItemStatus.SKIPPED:
            continue
        total += 1
        if item.status == ItemStatus.DONE:
            done += 1
            continue
        if item.due_on < today:
            late += 1
        if item.kind == ItemKind.MILESTONE and (
            next_milestone is None
            or (item.due_on, item.pk) < (next_milestone.due_on, next_milestone.pk)
        ):
            next_milestone = NextMilestone(
                pk=item.pk, title=item.title, due_on=item.due_on, is_late=item.due_on < today
            )
    return RoadmapProgress(
        total=total,
        done=done,
        late=late,
        roadmap_status=roadmap.status,
        next_milestone=next_milestone,
    )


def with_progress(queryset: QuerySet[Roadmap], *, today: datetime.date) -> QuerySet[Roadmap]:
    """Roadmaps with their counts and next milestone read in the same query."""
    milestones = RoadmapItem.objects.filter(
        roadmap=OuterRef("pk"), kind=ItemKind.MILESTONE, status=ItemStatus.PLANNED
    ).order_by("due_on", "id")
    return queryset.annotate(
        item_total=Count("items", filter=~Q(items__status=ItemStatus.SKIPPED)),
        item_done=Count("items", filter=Q(items__status=ItemStatus.DONE)),
        item_late=Count(
            "items", filter=Q(items__status=ItemStatus.PLANNED, items__due_on__lt=today)
        ),
        next_milestone_pk=Subquery(milestones.values("pk")[:1]),
        next_milestone_title=Subquery(milestones.values("title")[:1]),
        next_milestone_due=Subquery(milestones.values("due_on")[:1]),
    )


def annotated_progress(roadmap: Roadmap, *, today: datetime.date) -> RoadmapProgress:
    """The progress of a roadmap read through ``with_progress``."""
    next_milestone = None
    due = getattr(roadmap, "next_milestone_due", None)
    if getattr(roadmap, "next_milestone_pk", None) is not None and due is not None:
        next_milestone = NextMilestone(
            pk=roadmap.next_milestone_pk,  # type: ignore[attr-defined]
            title=roadmap.next_milestone_title,  # type: ignore[attr-defined]
            due_on=due,
            is_late=due < today,
        )
    return RoadmapProgress(
        total=roadmap.item_total,  # type: ignore[attr-defined]
        done=roadmap.item_done,  # type: ignore[attr-defined]
        late=roadmap.item_late,  # type: ignore[attr-defined]
        roadmap_status=roadmap.status,
        next_milestone=next_milestone,
    )


def _active_first(queryset: QuerySet[Roadmap]) -> QuerySet[Roadmap]:
    rank = Case(
        When(status=RoadmapStatus.ACTIVE, then=V(0)),
        When(status=RoadmapStatus.COMPLETED, then=V(1)),
        default=V(2),
        output_field=IntegerField(),
    )
    return queryset.annotate(status_rank=rank).order_by("status_rank", "-start_date", "-id")


def account_roadmaps(*, account: Account, today: datetime.date) -> QuerySet[Roadmap]:
    """An account's roadmaps, active ones first, each with its progress annotations."""
    queryset = Roadmap.objects.filter(account=account).select_related("playbook")
    return _active_first(with_progress(queryset, today=today))


def attach_progress(roadmaps: Iterable[Roadmap], *, today: datetime.date) -> list[Roadmap]:
    """Roadmaps read through ``with_progress``, each given its ``progress``."""
    rows = list(roadmaps)
    for roadmap in rows:
        roadmap.progress = annotated_progress(roadmap, today=today)  # type: ignore[attr-defined]
    return rows


@dataclass
class AccountRoadmapCard:
    """What the account's 360° page shows: its active roadmaps, each with its progress."""

    roadmaps: list[Roadmap] = field(default_factory=list)
    has_more: bool = False

    @property
    def late_count(self) -> int:
        return sum(roadmap.progress.late for roadmap in self.roadmaps)  # type: ignore[attr-defined]


def account_roadmap_card(*, account: Account, today: datetime.date) -> AccountRoadmapCard:
    """The account's active roadmaps with their progress, in one query."""
    queryset = with_progress(
        Roadmap.objects.filter(account=account, status=RoadmapStatus.ACTIVE), today=today
    ).order_by("-start_date", "-id")
    rows = attach_progress(queryset[: CARD_ROADMAPS_LIMIT + 1], today=today)
    return AccountRoadmapCard(
        roadmaps=rows[:CARD_ROADMAPS_LIMIT], has_more=len(rows) > CARD_ROADMAPS_LIMIT
    )


def roadmap_detail(*, pk: int) -> Roadmap:
    """A roadmap with its account, its phases and every item with its owners, in few queries."""
    items = RoadmapItem.objects.select_related(
        "owner_user", "owner_stakeholder", "task", "completed_by"
    ).order_by("due_on", "position", "id")
    return (
        Roadmap.objects.select_related("account", "account__parent", "playbook", "created_by")
        .prefetch_related(
            Prefetch("phases", queryset=RoadmapPhase.objects.order_by("position", "id")),
            Prefetch("phases__items", queryset=items),
        )
        .get(pk=pk)
    )


def client_roadmap(*, pk: int) -> Roadmap:
    """A roadmap as its client sees it: only the items shown to the client are even read."""
    items = (
        RoadmapItem.objects.filter(client_facing=True)
        .select_related("owner_user", "owner_stakeholder")
        .order_by("due_on", "position", "id")
    )
    return (
        Roadmap.objects.select_related("account")
        .prefetch_related(
            Prefetch("phases", queryset=RoadmapPhase.objects.order_by("position", "id")),
            Prefetch("phases__items", queryset=items),
        )
        .get(pk=pk)
    )


def roadmap_items(roadmap: Roadmap) -> list[RoadmapItem]:
    """Every item of a roadmap read by ``roadmap_detail`` or ``client_roadmap``, in date order."""
    items = [item for phase in roadmap.phases.all() for item in phase.items.all()]
    items.sort(key=lambda item: (item.due_on, item.position, item.pk))
    return items


def client_links(*, roadmap: Roadmap) -> list[ClientLink]:
    return list(roadmap.client_links.select_related("created_by").order_by("-created_at", "-id"))


@dataclass
class MyRoadmapItems:
    """A person's roadmap items needing them: late ones, and milestones due this week."""

    today: datetime.date
    late: list[RoadmapItem] = field(default_factory=list)
    milestones: list[RoadmapItem] = field(default_factory=list)
    has_more: bool = False

    @property
    def count(self) -> int:
        return len(self.late) + len(self.milestones)

    @property
    def is_empty(self) -> bool:
        return not (self.late or self.milestones)


def my_roadmap_items(*, user: User, today: datetime.date) -> MyRoadmapItems:
    """The items a person owns that are late, and their milestones due this week, in one query."""
    week_end = today + datetime.timedelta(days=DUE_SOON_DAYS - 1)
    queryset = (
        RoadmapItem.objects.filter(
            owner_user=user,
            status=ItemStatus.PLANNED,
            roadmap__status=RoadmapStatus.ACTIVE,
            roadmap__account__is_archived=False,
        )
        .filter(
            Q(due_on__lt=today)
            | Q(kind=ItemKind.MILESTONE, due_on__gte=today, due_on__lte=week_end)
        )
        .select_related("roadmap", "roadmap__account")
        .order_by("due_on", "id")
    )
    rows = list(queryset[: MY_ITEMS_LIMIT + 1])
    view = MyRoadmapItems(today=today, has_more=len(rows) > MY_ITEMS_LIMIT)
    for item in rows[:MY_ITEMS_LIMIT]:
        (view.late if item.due_on < today else view.milestones).append(item)
    return view
