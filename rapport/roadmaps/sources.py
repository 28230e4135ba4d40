"""Roadmap milestones and commitments on the account timeline, the calendar and the feed."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts.models import Account
from rapport.communications import agenda, timeline
from rapport.communications.agenda import DUE, OVERDUE, AgendaEntry, AgendaScope
from rapport.communications.timeline import Cursor, TimelineEvent, TimelineFilters
from rapport.roadmaps.choices import CommitmentStatus, ItemKind, ItemStatus, RoadmapStatus
from rapport.roadmaps.models import Commitment, RoadmapItem

MILESTONE = "milestone"
COMMITMENT = "commitment"


def day_start(day: datetime.date) -> datetime.datetime:
    """The instant a dated event takes on the timeline: the start of its day, UTC."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def older_by_day(cursor: Cursor | None, source: str, field: str) -> Q:
    """Rows of a dated source that come after the cursor, dated events meeting timed ones."""
    if cursor is None:
        return Q()
    day = cursor.when.astimezone(datetime.UTC).date()
    if cursor.when > day_start(day):
        return Q(**{f"{field}__lte": day})
    # The cursor stands exactly at the start of a day: that day is ordered by (source, pk).
    if source < cursor.source:
        return Q(**{f"{field}__lte": day})
    if source > cursor.source:
        return Q(**{f"{field}__lt": day})
    return Q(**{f"{field}__lt": day}) | Q(**{field: day, "pk__lt": cursor.pk})


class MilestoneEvents:
    """Roadmap milestones of the account, on the day they are due."""

    name = MILESTONE

    def kinds(self) -> Sequence[tuple[str, Any]]:
        return [(MILESTONE, gettext_lazy("Milestone"))]

    def events(
        self, *, account: Account, filters: TimelineFilters, before: Cursor | None, limit: int
    ) -> list[TimelineEvent]:
        if not filters.wants(MILESTONE):
            return []
        queryset: QuerySet[RoadmapItem] = RoadmapItem.objects.filter(
            roadmap__account=account, kind=ItemKind.MILESTONE
        ).exclude(roadmap__status=RoadmapStatus.CANCELLED)
        if filters.stakeholder_id is not None:
            queryset = queryset.filter(owner_stakeholder_id=filters.stakeholder_id)
        if filters.user_id is not None:
            queryset = queryset.filter(owner_user_id=filters.user_id)
        queryset = queryset.filter(older_by_day(before, self.name, "due_on"))
        rows = queryset.select_related("roadmap", "owner_user", "owner_stakeholder").order_by(
            "-due_on", "-id"
        )[:limit]
        return [
            TimelineEvent(
                when=day_start(row.due_on),
                source=self.name,
                pk=row.pk,
                kind=MILESTONE,
                template="roadmaps/includes/timeline_milestone.html",
                obj=row,
            )
            for row in rows
        ]


class CommitmentEvents:
    """Promises made to the client, on the day they were recorded."""

    name = COMMITMENT

    def kinds(self) -> Sequence[tuple[str, Any]]:
        return [(COMMITMENT, gettext_lazy("Commitment"))]

    def events(
        self, *, account: Account, filters: TimelineFilters, before: Cursor | None, limit: int
    ) -> list[TimelineEvent]:
        if not filters.wants(COMMITMENT) or filters.stakeholder_id is not None:
            return []
        queryset: QuerySet[Commitment] = Commitment.objects.filter(account=account)
        if filters.user_id is not None:
            queryset = queryset.filter(owner_id=filters.user_id)
        if before is not None:
            queryset = queryset.filter(before.older_q(self.name, "created_at"))
        rows = queryset.select_related("owner").order_by("-created_at", "-id")[:limit]
        return [
            TimelineEvent(
                when=row.created_at,
                source=self.name,
                pk=row.pk,
                kind=COMMITMENT,
                template="roadmaps/includes/timeline_commitment.html",
                obj=row,
            )
            for row in rows
        ]


class RoadmapItemsDue:
    """Open roadmap items of the scope's accounts (milestones and our side's steps)."""

    name = "roadmap"

    def entries(
        self,
        *,
        scope: AgendaScope,
        start: datetime.date | None,
        end: datetime.date,
        today: datetime.date,
        limit: int | None,
    ) -> list[AgendaEntry]:
        queryset = RoadmapItem.objects.filter(
            roadmap__account__in=scope.accounts().values("pk"),
            roadmap__status=RoadmapStatus.ACTIVE,
            status=ItemStatus.PLANNED,
            due_on__lte=end,
        ).filter(Q(kind=ItemKind.MILESTONE) | Q(owner_user__isnull=False, task__isnull=True))
        if start is not None:
            queryset = queryset.filter(due_on__gte=start)
        rows = queryset.select_related("roadmap", "roadmap__account").order_by("due_on", "id")
        if limit is not None:
            rows = rows[:limit]
        return [
            AgendaEntry(
                date=row.due_on,
                kind=f"{self.name}:{row.kind}",
                label=_("Milestone") if row.kind == ItemKind.MILESTONE else _("Roadmap step"),
                title=row.title,
                url=row.get_absolute_url(),
                state=OVERDUE if row.due_on < today else DUE,
                uid=f"roadmap-item-{row.pk}",
                account=row.roadmap.account,
                obj=row,
            )
            for row in rows
        ]


class CommitmentsDue:
    """Open commitments with a due date, on the scope's accounts."""

    name = COMMITMENT

    def entries(
        self,
        *,
        scope: AgendaScope,
        start: datetime.date | None,
        end: datetime.date,
        today: datetime.date,
        limit: int | None,
    ) -> list[AgendaEntry]:
        queryset = Commitment.objects.filter(
            account__in=scope.accounts().values("pk"),
            status=CommitmentStatus.OPEN,
            due_on__lte=end,
        )
        if start is not None:
            queryset = queryset.filter(due_on__gte=start)
        rows = queryset.select_related("account").order_by("due_on", "id")
        if limit is not None:
            rows = rows[:limit]
        return [
            AgendaEntry(
                date=row.due_on,
                kind=self.name,
                label=_("Commitment"),
                title=row.title,
                url=row.get_absolute_url(),
                state=OVERDUE if row.due_on < today else DUE,
                uid=f"commitment-{row.pk}",
                account=row.account,
                obj=row,
            )
            for row in rows
            if row.due_on is not None
        ]


def register_all() -> None:
    timeline.register(MilestoneEvents())
    timeline.register(CommitmentEvents())
    agenda.register(RoadmapItemsDue())
    agenda.register(CommitmentsDue())
