"""The touchpoint and task filters, used by the list pages and the API alike."""

from __future__ import annotations

import datetime
from typing import Literal

from django.db import models
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from rapport.communications.choices import Sentiment, TaskStatus, TouchpointKind
from rapport.communications.models import (
    Task,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.core.api import Day, InputSchema, Moment, RecordId
from rapport.users.models import User

# "This week" is the seven days from today, as in the today view.
WEEK_DAYS = 7


class DueWindow(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    THIS_WEEK = "this_week", _("Due this week")
    LATER = "later", _("Due later")
    NO_DATE = "none", _("No due date")


def _start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight of a day in the reader's time zone (the one the middleware activated)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class TouchpointFilter(InputSchema):
    q: str = Field(default="", max_length=200, description="Words the subject contains.")
    account: RecordId | None = Field(default=None, description="Only this account's touchpoints.")
    kind: TouchpointKind | None = None
    sentiment: Sentiment | None = None
    user: RecordId | None = Field(default=None, description="Only those this user took part in.")
    stakeholder: RecordId | None = Field(
        default=None, description="Only those this client person took part in."
    )
    since: Day | None = Field(default=None, description="From this day on (your time zone).")
    until: Day | None = Field(default=None, description="Up to this day, included.")
    occurred_after: Moment | None = Field(default=None, description="At or after this time.")
    occurred_before: Moment | None = Field(default=None, description="Before this time.")

    def apply(self, queryset: QuerySet[Touchpoint]) -> QuerySet[Touchpoint]:
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.kind:
            queryset = queryset.filter(kind=self.kind)
        if self.sentiment:
            queryset = queryset.filter(sentiment=self.sentiment)
        # Through the participant rows' own indexes rather than a join that repeats touchpoints.
        if self.user is not None:
            queryset = queryset.filter(
                pk__in=TouchpointUser.objects.filter(user_id=self.user).values("touchpoint_id")
            )
        if self.stakeholder is not None:
            queryset = queryset.filter(
                pk__in=TouchpointStakeholder.objects.filter(stakeholder_id=self.stakeholder).values(
                    "touchpoint_id"
                )
            )
        if self.since is not None:
            queryset = queryset.filter(occurred_at__gte=_start_of_day(self.since))
        if self.until is not None:
            next_day = self.until + datetime.timedelta(days=1)
            queryset = queryset.filter(occurred_at__lt=_start_of_day(next_day))
        if self.occurred_after is not None:
            queryset = queryset.filter(occurred_at__gte=self.occurred_after)
        if self.occurred_before is not None:
            queryset = queryset.filter(occurred_at__lt=self.occurred_before)
        if self.q.strip():
            queryset = queryset.filter(subject__icontains=self.q.strip())
        return queryset.order_by("-occurred_at", "-id")

    def is_filtered(self) -> bool:
        return bool(
            self.q.strip()
            or self.account
            or self.kind
            or self.sentiment
            or self.user
            or self.stakeholder
            or self.since
            or self.until
            or self.occurred_after
            or self.occurred_before
        )


class TaskFilter(InputSchema):
    assignee: Literal["me", "anyone"] | RecordId = Field(
        default="me", description="A user id, “me” (the default) or “anyone”."
    )
    status: TaskStatus | Literal["any"] = Field(
        default=TaskStatus.OPEN, description="A status (open by default) or “any”."
    )
    account: RecordId | None = Field(default=None, description="Only this account's tasks.")
    due: DueWindow | None = None

    def apply(
        self, queryset: QuerySet[Task], *, user: User, today: datetime.date
    ) -> QuerySet[Task]:
        if self.assignee == "me":
            queryset = queryset.filter(assignee=user)
        elif self.assignee != "anyone":
            queryset = queryset.filter(assignee_id=self.assignee)
        if self.status != "any":
            queryset = queryset.filter(status=self.status)
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        week_end = today + datetime.timedelta(days=WEEK_DAYS - 1)
        windows = {
            DueWindow.OVERDUE: Q(due_on__lt=today),
            DueWindow.THIS_WEEK: Q(due_on__gte=today, due_on__lte=week_end),
            DueWindow.LATER: Q(due_on__gt=week_end),
            DueWindow.NO_DATE: Q(due_on__isnull=True),
        }
        if self.due:
            queryset = queryset.filter(windows[DueWindow(self.due)])
        return queryset.order_by(F("due_on").asc(nulls_last=True), "id")

    def is_filtered(self) -> bool:
        return bool(
            self.assignee != "me" or self.status != TaskStatus.OPEN or self.account or self.due
        )
