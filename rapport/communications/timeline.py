"""An account's timeline: every event of the account, newest first, from any capability.

This is the one extension point: a capability that has events to show (milestones, renewals,
issues…) registers a ``TimelineSource`` from its ``AppConfig.ready``::

    from rapport.communications import timeline
    timeline.register(RenewalEvents())

A source answers one question: its events of an account older than a cursor, newest first, at
most ``limit`` of them. The timeline asks every source, merges and keeps the first ``limit``;
the last event shown becomes the next page's cursor (keyset paging: the thousandth page costs
what the first does, on any number of touchpoints).
"""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Account
from rapport.communications.choices import TouchpointKind
from rapport.communications.models import Task, Touchpoint, TouchpointStakeholder, TouchpointUser

TASK_KIND = "task"


@dataclass(frozen=True)
class TimelineFilters:
    """What the reader narrowed the timeline to; an empty set of kinds means every kind."""

    kinds: frozenset[str] = frozenset()
    stakeholder_id: int | None = None
    user_id: int | None = None

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


@dataclass(frozen=True, order=True)
class Cursor:
    """A place in the timeline: the events strictly older than (when, source, pk)."""

    when: datetime.datetime
    source: str
    pk: int

    def encode(self) -> str:
        raw = f"{self.when.isoformat()}|{self.source}|{self.pk}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """The cursor a page link carries; None (the first page) for anything malformed."""
        if not text or len(text) > 200:
            return None
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            when_text, source, pk_text = raw.split("|")
            when = datetime.datetime.fromisoformat(when_text)
            pk = int(pk_text)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if when.tzinfo is None or not source or pk < 0:
            return None
        return cls(when=when, source=source, pk=pk)

    def older_q(self, source: str, when_field: str) -> Q:
        """The rows of ``source`` that come after this cursor, newest first."""
        if source < self.source:
            return Q(**{f"{when_field}__lte": self.when})
        if source > self.source:
            return Q(**{f"{when_field}__lt": self.when})
        return Q(**{f"{when_field}__lt": self.when}) | Q(
            **{when_field: self.when, "pk__lt": self.pk}
        )


@dataclass
class TimelineEvent:
    """One entry: when, from which source, and the object its template renders."""

    when: datetime.datetime
    source: str
    pk: int
    kind: str
    template: str
    obj: Any = None

    @property
    def cursor(self) -> Cursor:
        return Cursor(when=self.when, source=self.source, pk=self.pk)


@dataclass
class TimelinePage:
    events: list[TimelineEvent] = field(default_factory=list)
    next_cursor: Cursor | None = None


class TimelineSource(Protocol):
    """What a capability implements to put its events on the account timeline."""

    name: str

    def kinds(self) -> Sequence[tuple[str, Any]]:
        """The kinds it can show, as (value, label), for the timeline's filter."""
        ...

    def events(
        self, *, account: Account, filters: TimelineFilters, before: Cursor | None, limit: int
    ) -> list[TimelineEvent]:
        """Its events of the account older than ``before``, newest first, at most ``limit``."""
        ...


_sources: dict[str, TimelineSource] = {}


def register(source: TimelineSource) -> None:
    _sources[source.name] = source


def sources() -> list[TimelineSource]:
    return [_sources[name] for name in sorted(_sources)]


def kind_choices() -> list[tuple[str, Any]]:
    return [choice for source in sources() for choice in source.kinds()]


def account_timeline(
    *,
    account: Account,
    filters: TimelineFilters | None = None,
    before: Cursor | None = None,
    limit: int = 25,
) -> TimelinePage:
    """One page of the account's timeline, merged from every source."""
    filters = filters or TimelineFilters()
    merged: list[TimelineEvent] = []
    for source in sources():
        merged.extend(
            source.events(account=account, filters=filters, before=before, limit=limit + 1)
        )
    merged.sort(key=lambda event: event.cursor, reverse=True)
    page = merged[:limit]
    has_more = len(merged) > limit
    return TimelinePage(events=page, next_cursor=page[-1].cursor if has_more and page else None)


class TouchpointEvents:
    """Every touchpoint of the account, at the time it took place."""

    name = "touchpoint"

    def kinds(self) -> Sequence[tuple[str, Any]]:
        return TouchpointKind.choices

    def events(
        self, *, account: Account, filters: TimelineFilters, before: Cursor | None, limit: int
    ) -> list[TimelineEvent]:
        kinds = [kind for kind in TouchpointKind.values if filters.wants(kind)]
        if not kinds:
            return []
        queryset: QuerySet[Touchpoint] = Touchpoint.objects.filter(account=account)
        if len(kinds) < len(TouchpointKind.values):
            queryset = queryset.filter(kind__in=kinds)
        if filters.stakeholder_id is not None:
            queryset = queryset.filter(
                pk__in=TouchpointStakeholder.objects.filter(
                    stakeholder_id=filters.stakeholder_id
                ).values("touchpoint_id")
            )
        if filters.user_id is not None:
            queryset = queryset.filter(
                pk__in=TouchpointUser.objects.filter(user_id=filters.user_id).values(
                    "touchpoint_id"
                )
            )
        if before is not None:
            queryset = queryset.filter(before.older_q(self.name, "occurred_at"))
        rows = (
            queryset.select_related("logged_by")
            .prefetch_related("stakeholders", "users")
            .order_by("-occurred_at", "-id")[:limit]
        )
        return [
            TimelineEvent(
                when=row.occurred_at,
                source=self.name,
                pk=row.pk,
                kind=row.kind,
                template="communications/includes/timeline_touchpoint.html",
                obj=row,
            )
            for row in rows
        ]


class TaskEvents:
    """Every follow-up task of the account, at the time it was created."""

    name = TASK_KIND

    def kinds(self) -> Sequence[tuple[str, Any]]:
        return [(TASK_KIND, _("Task"))]

    def events(
        self, *, account: Account, filters: TimelineFilters, before: Cursor | None, limit: int
    ) -> list[TimelineEvent]:
        # Tasks have no client participant: narrowing to a client person leaves none.
        if not filters.wants(TASK_KIND) or filters.stakeholder_id is not None:
            return []
        queryset: QuerySet[Task] = Task.objects.filter(account=account)
        if filters.user_id is not None:
            queryset = queryset.filter(assignee_id=filters.user_id)
        if before is not None:
            queryset = queryset.filter(before.older_q(self.name, "created_at"))
        rows = queryset.select_related("assignee").order_by("-created_at", "-id")[:limit]
        return [
            TimelineEvent(
                when=row.created_at,
                source=self.name,
                pk=row.pk,
                kind=TASK_KIND,
                template="communications/includes/timeline_task.html",
                obj=row,
            )
            for row in rows
        ]


register(TouchpointEvents())
register(TaskEvents())
