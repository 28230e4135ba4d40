"""Touchpoints, follow-up tasks, account timelines and cadences over the REST API.

Every write goes through the services, so permissions, history, validation and the derived
recency are the same as on the pages.

The account timeline is built from ``timeline.account_timeline``: an event of a source registered
later appears here without change. Its ``summary`` comes from the source's ``summary(event)``
method when it has one, else from the summaries below for the built-in sources.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, field_validator

from rapport.accounts.api import UserRef
from rapport.accounts.choices import Tier
from rapport.accounts.models import Account
from rapport.communications import selectors, services, timeline
from rapport.communications.choices import (
    CadenceKind,
    CadenceState,
    Sentiment,
    TaskStatus,
    TouchpointKind,
    TouchpointSource,
)
from rapport.communications.digest import local_now
from rapport.communications.filters import TouchpointFilter
from rapport.communications.models import (
    MAX_DURATION_MINUTES,
    CadenceDefault,
    CadenceRule,
    Task,
    Touchpoint,
)
from rapport.core.api import (
    MAX_RECORD_ID,
    Day,
    InputSchema,
    Moment,
    Page,
    PageQuery,
    RecordId,
    nulls_to_blanks,
    page_of,
    resolve_references,
    storable_moment,
)
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

router = Router(tags=["communications"])


def _acting_user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _today(user: User) -> datetime.date:
    """The user's own date: overdue and due-this-week are judged in their time zone."""
    return local_now(user, timezone.now()).date()


def _resolve_many(ids: Iterable[int], queryset: QuerySet[Any], field: str) -> list[Any]:
    """The records of these ids, in the order sent, refusing ids that match nothing."""
    wanted = list(dict.fromkeys(ids))
    found = queryset.in_bulk(wanted)
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        listed = ", ".join(str(pk) for pk in missing)
        raise ValidationError({field: _("No record has the id %(id)s.") % {"id": listed}})
    return [found[pk] for pk in wanted]


# Touchpoints ---------------------------------------------------------------------------------


class StakeholderRef(Schema):
    id: int
    account_id: int
    name: str = Field(alias="full_name")


class TouchpointOut(Schema):
    id: int
    account_id: int
    kind: TouchpointKind
    occurred_at: datetime.datetime
    duration_minutes: int | None
    subject: str
    notes: str = Field(description="Markdown.")
    sentiment: Sentiment | Literal[""]
    outcome: str
    next_steps: str
    stakeholders: list[StakeholderRef] = Field(description="Client participants.")
    users: list[UserRef] = Field(description="Our participants.")
    logged_by_id: int | None
    source: TouchpointSource
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class TouchpointIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    account_id: RecordId
    kind: TouchpointKind
    occurred_at: Moment | None = Field(default=None, description="Now when left out.")
    duration_minutes: int | None = Field(default=None, ge=0, le=MAX_DURATION_MINUTES)
    subject: str = Field(min_length=1, max_length=200)
    notes: str = Field(default="", description="Markdown.")
    sentiment: Sentiment | Literal[""] = ""
    outcome: str = Field(default="", max_length=300)
    next_steps: str = ""
    stakeholder_ids: list[RecordId] = Field(
        default_factory=list, max_length=200, description="Client participants."
    )
    user_ids: list[RecordId] | None = Field(
        default=None,
        max_length=200,
        description="Our participants; the person logging it when left out.",
    )


class TouchpointPatch(InputSchema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update."""

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    kind: TouchpointKind | None = None
    occurred_at: Moment | None = None
    duration_minutes: int | None = Field(default=None, ge=0, le=MAX_DURATION_MINUTES)
    subject: str | None = Field(default=None, min_length=1, max_length=200)
    notes: str | None = None
    sentiment: Sentiment | Literal[""] | None = None
    outcome: str | None = Field(default=None, max_length=300)
    next_steps: str | None = None
    stakeholder_ids: list[RecordId] | None = Field(
        default=None, max_length=200, description="Replaces the client participants."
    )
    user_ids: list[RecordId] | None = Field(
        default=None, max_length=200, description="Replaces our participants."
    )


def _touchpoints() -> QuerySet[Touchpoint]:
    return Touchpoint.objects.prefetch_related("stakeholders", "users")


def _touchpoint(touchpoint_id: int) -> Touchpoint:
    return get_object_or_404(_touchpoints().select_related("account"), pk=touchpoint_id)


def _participants(data: dict[str, Any]) -> dict[str, Any]:
    """Turn ``stakeholder_ids`` and ``user_ids`` into records, keeping None as "not sent"."""
    people = data.pop("stakeholder_ids", None)
    ours = data.pop("user_ids", None)
    return {
        "stakeholders": (
            None
            if people is None
            # People in the trash are found, so that the service says where they are.
            else _resolve_many(people, Stakeholder.all_objects.all(), "stakeholders")
        ),
        "users": None if ours is None else _resolve_many(ours, User.objects.all(), "users"),
    }


@router.get("/touchpoints", response=Page[TouchpointOut])
def list_touchpoints(
    request: HttpRequest, filters: Query[TouchpointFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Touchpoints, the latest first."""
    queryset = filters.apply(_touchpoints()).order_by("-occurred_at", "-id")
    return page_of(queryset, paging)


@router.get("/touchpoints/{touchpoint_id}", response=TouchpointOut)
def get_touchpoint(request: HttpRequest, touchpoint_id: RecordId) -> Touchpoint:
    return _touchpoint(touchpoint_id)


@router.post("/touchpoints", response={201: TouchpointOut})
def create_touchpoint(request: HttpRequest, payload: TouchpointIn) -> Status[Touchpoint]:
    data = nulls_to_blanks(payload.dict(), Touchpoint)
    participants = _participants(data)
    data = resolve_references(data, {"account": Account.objects.all()})
    account = data.pop("account")
    if data["occurred_at"] is None:
        data.pop("occurred_at")
    touchpoint = services.touchpoint_create(
        acting_user=_acting_user(request),
        account=account,
        data=data,
        stakeholders=participants["stakeholders"] or (),
        users=participants["users"],
        source=TouchpointSource.API,
    )
    return Status(201, _touchpoint(touchpoint.pk))


@router.patch("/touchpoints/{touchpoint_id}", response=TouchpointOut)
def update_touchpoint(
    request: HttpRequest, touchpoint_id: RecordId, payload: TouchpointPatch
) -> Touchpoint:
    touchpoint = _touchpoint(touchpoint_id)
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Touchpoint)
    version = sent.pop("version", None)
    participants = _participants(sent)
    services.touchpoint_update(
        touchpoint=touchpoint,
        acting_user=_acting_user(request),
        data=sent,
        expected_version=version,
        **participants,
    )
    return _touchpoint(touchpoint_id)


@router.delete("/touchpoints/{touchpoint_id}", response={204: None})
def delete_touchpoint(request: HttpRequest, touchpoint_id: RecordId) -> Status[None]:
    """Removes the touchpoint; its history stays, and its tasks remain without it."""
    services.touchpoint_delete(
        touchpoint=_touchpoint(touchpoint_id), acting_user=_acting_user(request)
    )
    return Status(204, None)


# The account timeline ------------------------------------------------------------------------


class TimelineQuery(InputSchema):
    kind: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Only these kinds (repeat the parameter for several); every kind when "
        "left out. Touchpoint kinds, `task`, and those of later event sources.",
    )
    stakeholder: RecordId | None = Field(
        default=None, description="Only events this client person took part in."
    )
    user: RecordId | None = Field(
        default=None, description="Only events this user of ours took part in or is assigned."
    )
    before: str | None = Field(
        default=None,
        max_length=200,
        description="The `next_cursor` of the previous page; the first page when left out.",
    )
    limit: int = Field(default=25, ge=1, le=100)

    @field_validator("kind")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        known = [str(choice) for choice, _label in timeline.kind_choices()]
        unknown = [kind for kind in value if kind not in known]
        if unknown:
            raise ValueError(f"Unknown kind; choose among: {', '.join(known)}.")
        return value

    @field_validator("before")
    @classmethod
    def _readable_cursor(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        cursor = timeline.Cursor.decode(value)
        if cursor is None or cursor.pk > MAX_RECORD_ID:
            raise ValueError("Not a cursor this timeline gave.")
        try:
            storable_moment(cursor.when)
        except ValueError as error:
            raise ValueError("Not a cursor this timeline gave.") from error
        return value

    def filters(self) -> timeline.TimelineFilters:
        return timeline.TimelineFilters(
            kinds=frozenset(self.kind), stakeholder_id=self.stakeholder, user_id=self.user
        )


class TimelineEventOut(Schema):
    source: str = Field(description="Which capability the event comes from, e.g. `touchpoint`.")
    id: int = Field(description="The record's id within its source.")
    kind: str
    when: datetime.datetime
    title: str
    url: str | None = Field(description="The path of the event's page.")
    summary: dict[str, Any] = Field(description="The event's main facts, by source.")


class TimelinePageOut(Schema):
    events: list[TimelineEventOut]
    next_cursor: str | None = Field(
        description="Pass as `before` for the next (older) page; null on the last page."
    )


def _touchpoint_summary(touchpoint: Touchpoint) -> dict[str, Any]:
    return {
        "kind": touchpoint.kind,
        "subject": touchpoint.subject,
        "duration_minutes": touchpoint.duration_minutes,
        "sentiment": touchpoint.sentiment,
        "outcome": touchpoint.outcome,
        "next_steps": touchpoint.next_steps,
        "stakeholder_ids": [person.pk for person in touchpoint.stakeholders.all()],
        "user_ids": [user.pk for user in touchpoint.users.all()],
        "logged_by_id": touchpoint.logged_by_id,
        "source": touchpoint.source,
    }


def _task_summary(task: Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "status": task.status,
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "assignee_id": task.assignee_id,
        "touchpoint_id": task.touchpoint_id,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
    }


BUILT_IN_SUMMARIES: dict[type[Model], Callable[[Any], dict[str, Any]]] = {
    Touchpoint: _touchpoint_summary,
    Task: _task_summary,
}


def _event_out(event: timeline.TimelineEvent, sources: dict[str, Any]) -> dict[str, Any]:
    obj = event.obj
    source = sources.get(event.source)
    summarise = getattr(source, "summary", None)
    if callable(summarise):
        summary = summarise(event)
    else:
        built_in = BUILT_IN_SUMMARIES.get(type(obj))
        summary = built_in(obj) if built_in is not None else {}
    get_url = getattr(obj, "get_absolute_url", None)
    return {
        "source": event.source,
        "id": event.pk,
        "kind": event.kind,
        "when": event.when,
        "title": str(obj) if obj is not None else event.kind,
        "url": get_url() if callable(get_url) else None,
        "summary": summary,
    }


@router.get("/accounts/{account_id}/timeline", response=TimelinePageOut)
def account_timeline(
    request: HttpRequest, account_id: RecordId, query: Query[TimelineQuery]
) -> dict[str, Any]:
    """Every event of the account, newest first: touchpoints, tasks and later capabilities'."""
    account = get_object_or_404(Account, pk=account_id)
    page = timeline.account_timeline(
        account=account,
        filters=query.filters(),
        before=timeline.Cursor.decode(query.before),
        limit=query.limit,
    )
    sources = {source.name: source for source in timeline.sources()}
    return {
        "events": [_event_out(event, sources) for event in page.events],
        "next_cursor": page.next_cursor.encode() if page.next_cursor else None,
    }


# Tasks ---------------------------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    title: str
    account_id: int | None
    touchpoint_id: int | None
    assignee: UserRef
    due_on: datetime.date | None
    status: TaskStatus
    is_overdue: bool = Field(description="Open and due before today in the reader's time zone.")
    notes: str
    created_by_id: int | None
    completed_at: datetime.datetime | None
    completed_by_id: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_is_overdue(obj: Task, context: dict[str, Any]) -> bool:
        return obj.is_overdue(_today(context["request"].user))


class TaskIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    account_id: RecordId | None = None
    touchpoint_id: RecordId | None = Field(
        default=None, description="The touchpoint it follows up; sets the account when left out."
    )
    assignee_id: RecordId | None = Field(
        default=None, description="Whoever creates it when left out."
    )
    due_on: Day | None = None
    notes: str = ""


class TaskPatch(InputSchema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update."""

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    account_id: RecordId | None = None
    touchpoint_id: RecordId | None = None
    assignee_id: RecordId | None = None
    due_on: Day | None = None
    notes: str | None = None
    status: TaskStatus | None = Field(
        default=None, description="Complete, cancel or reopen the task."
    )


class TaskFilter(InputSchema):
    assignee: RecordId | None = Field(default=None, description="Assigned to this user.")
    status: TaskStatus | None = Field(default=None, description="Every status when left out.")
    account: RecordId | None = None
    due_before: datetime.date | None = Field(default=None, description="Due on or before.")
    due_after: datetime.date | None = Field(default=None, description="Due on or after.")
    overdue: bool | None = Field(
        default=None, description="Open and due before today (or, false, not so)."
    )

    def apply(self, queryset: QuerySet[Task], *, today: datetime.date) -> QuerySet[Task]:
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.due_before is not None:
            queryset = queryset.filter(due_on__lte=self.due_before)
        if self.due_after is not None:
            queryset = queryset.filter(due_on__gte=self.due_after)
        if self.overdue is not None:
            late = Q(status=TaskStatus.OPEN, due_on__lt=today)
            queryset = queryset.filter(late) if self.overdue else queryset.exclude(late)
        return queryset


def _task(task_id: int) -> Task:
    return get_object_or_404(
        Task.objects.select_related("account", "assignee", "touchpoint"), pk=task_id
    )


def _task_references() -> dict[str, QuerySet[Any]]:
    return {
        "account": Account.objects.all(),
        "touchpoint": Touchpoint.objects.all(),
        "assignee": User.objects.all(),
    }


@router.get("/tasks", response=Page[TaskOut])
def list_tasks(
    request: HttpRequest, filters: Query[TaskFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Follow-up tasks, the soonest due first (those with no date last)."""
    user = _acting_user(request)
    assignee = User.objects.filter(pk=filters.assignee).first() if filters.assignee else None
    if filters.assignee and assignee is None:
        return page_of(Task.objects.none(), paging)
    queryset = selectors.task_list(user=user, assignee=assignee, status=filters.status)
    return page_of(filters.apply(queryset, today=_today(user)), paging)


@router.get("/tasks/{task_id}", response=TaskOut)
def get_task(request: HttpRequest, task_id: RecordId) -> Task:
    return _task(task_id)


@router.post("/tasks", response={201: TaskOut})
def create_task(request: HttpRequest, payload: TaskIn) -> Status[Task]:
    sent = nulls_to_blanks(payload.dict(), Task)
    if sent["assignee_id"] is None:
        sent.pop("assignee_id")
    data = resolve_references(sent, _task_references())
    task = services.task_create(acting_user=_acting_user(request), data=data)
    return Status(201, _task(task.pk))


@router.patch("/tasks/{task_id}", response=TaskOut)
def update_task(request: HttpRequest, task_id: RecordId, payload: TaskPatch) -> Task:
    task = _task(task_id)
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Task)
    version = sent.pop("version", None)
    status = sent.pop("status", None)
    data = resolve_references(sent, _task_references())
    user = _acting_user(request)
    task = services.task_update(task=task, acting_user=user, data=data, expected_version=version)
    if status is not None:
        task = services.task_set_status(task=task, acting_user=user, status=status)
    return _task(task.pk)


@router.post("/tasks/{task_id}/complete", response=TaskOut)
def complete_task(request: HttpRequest, task_id: RecordId) -> Task:
    """Marks the task done (doing nothing if it already is)."""
    services.task_set_status(
        task=_task(task_id), acting_user=_acting_user(request), status=TaskStatus.DONE
    )
    return _task(task_id)


@router.post("/tasks/{task_id}/reopen", response=TaskOut)
def reopen_task(request: HttpRequest, task_id: RecordId) -> Task:
    """Opens a done or cancelled task again."""
    services.task_set_status(
        task=_task(task_id), acting_user=_acting_user(request), status=TaskStatus.OPEN
    )
    return _task(task_id)


# Cadence -------------------------------------------------------------------------------------


class CadenceRuleOut(Schema):
    id: int
    account_id: int
    kind: CadenceKind
    interval_days: int
    is_custom: bool = Field(description="Set for this account rather than by its tier.")
    starts_on: datetime.date
    last_done_at: datetime.datetime | None
    next_due_on: datetime.date
    state: CadenceState = Field(description="Judged in the reader's time zone.")
    version: int

    @staticmethod
    def resolve_state(obj: CadenceRule, context: dict[str, Any]) -> str:
        return obj.state(_today(context["request"].user))


class CadenceRuleIn(InputSchema):
    interval_days: int = Field(ge=1, le=730)
    version: int | None = Field(
        default=None, ge=1, description="Refuse the change if the rule changed since."
    )


class CadenceRuleFilter(InputSchema):
    account: RecordId | None = None
    kind: CadenceKind | None = None
    owner: RecordId | None = Field(default=None, description="Account manager's user id.")
    mine: bool = Field(default=False, description="Only the accounts I manage or am on.")
    state: CadenceState | None = None
    overdue: bool | None = Field(default=None, description="Due before today (or, false, not).")
    due_before: datetime.date | None = Field(default=None, description="Due on or before.")

    def apply(
        self, queryset: QuerySet[CadenceRule], *, user: User, today: datetime.date
    ) -> QuerySet[CadenceRule]:
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.kind:
            queryset = queryset.filter(kind=self.kind)
        if self.owner is not None:
            queryset = queryset.filter(account__owner_id=self.owner)
        if self.mine:
            queryset = queryset.filter(account__in=selectors.my_accounts(user=user).values("pk"))
        week_end = today + datetime.timedelta(days=selectors.DUE_SOON_DAYS)
        if self.state == CadenceState.OVERDUE:
            queryset = queryset.filter(next_due_on__lt=today)
        elif self.state == CadenceState.DUE_SOON:
            queryset = queryset.filter(next_due_on__gte=today, next_due_on__lte=week_end)
        elif self.state == CadenceState.ON_TRACK:
            queryset = queryset.filter(next_due_on__gt=week_end)
        if self.overdue is not None:
            late = Q(next_due_on__lt=today)
            queryset = queryset.filter(late) if self.overdue else queryset.exclude(late)
        if self.due_before is not None:
            queryset = queryset.filter(next_due_on__lte=self.due_before)
        return queryset.order_by("next_due_on", "id")


def _rule(rule_id: int) -> CadenceRule:
    return get_object_or_404(CadenceRule.objects.select_related("account"), pk=rule_id)


@router.get("/cadence-rules", response=Page[CadenceRuleOut])
def list_cadence_rules(
    request: HttpRequest, filters: Query[CadenceRuleFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Cadence rules across the book or of one account, the soonest due first."""
    user = _acting_user(request)
    queryset = filters.apply(CadenceRule.objects.all(), user=user, today=_today(user))
    return page_of(queryset, paging)


@router.get("/cadence-rules/{rule_id}", response=CadenceRuleOut)
def get_cadence_rule(request: HttpRequest, rule_id: RecordId) -> CadenceRule:
    return _rule(rule_id)


@router.patch("/cadence-rules/{rule_id}", response=CadenceRuleOut)
def update_cadence_rule(
    request: HttpRequest, rule_id: RecordId, payload: CadenceRuleIn
) -> CadenceRule:
    """Gives the account its own interval for this cadence (no longer following its tier)."""
    rule = _rule(rule_id)
    return services.cadence_rule_set(
        acting_user=_acting_user(request),
        account=rule.account,
        kind=rule.kind,
        interval_days=payload.interval_days,
        expected_version=payload.version,
    )


@router.delete("/cadence-rules/{rule_id}", response={200: CadenceRuleOut, 204: None})
def reset_cadence_rule(request: HttpRequest, rule_id: RecordId) -> Status[CadenceRule | None]:
    """Drops the account's own interval: answers the tier's rule now in force, or 204 when the
    tier has no such cadence."""
    rule = services.cadence_rule_reset(acting_user=_acting_user(request), rule=_rule(rule_id))
    if rule is None:
        return Status(204, None)
    return Status(200, rule)


@router.get("/accounts/{account_id}/cadence", response=list[CadenceRuleOut])
def list_account_cadence(request: HttpRequest, account_id: RecordId) -> list[CadenceRule]:
    """The account's cadence rules, the soonest due first."""
    account = get_object_or_404(Account, pk=account_id)
    return list(CadenceRule.objects.filter(account=account).order_by("next_due_on", "id"))


@router.put("/accounts/{account_id}/cadence/{kind}", response=CadenceRuleOut)
def set_account_cadence(
    request: HttpRequest, account_id: RecordId, kind: CadenceKind, payload: CadenceRuleIn
) -> CadenceRule:
    """Sets the account's own interval for a cadence, adding the cadence if it had none."""
    account = get_object_or_404(Account, pk=account_id)
    return services.cadence_rule_set(
        acting_user=_acting_user(request),
        account=account,
        kind=kind,
        interval_days=payload.interval_days,
        expected_version=payload.version,
    )


class CadenceDefaultOut(Schema):
    id: int
    tier: Tier
    kind: CadenceKind
    interval_days: int
    updated_at: datetime.datetime


class CadenceDefaultIn(InputSchema):
    interval_days: int = Field(ge=1, le=730)


@router.get("/cadence-defaults", response=list[CadenceDefaultOut])
def list_cadence_defaults(request: HttpRequest) -> list[CadenceDefault]:
    """The cadence each tier's accounts follow unless given their own."""
    return list(CadenceDefault.objects.order_by("tier", "kind"))


@router.put("/cadence-defaults/{tier}/{kind}", response=CadenceDefaultOut)
def set_cadence_default(
    request: HttpRequest, tier: Tier, kind: CadenceKind, payload: CadenceDefaultIn
) -> CadenceDefault | None:
    """Sets a tier's default (for managers of the book); its accounts follow in background."""
    return services.cadence_default_set(
        acting_user=_acting_user(request),
        tier=tier,
        kind=kind,
        interval_days=payload.interval_days,
    )


@router.delete("/cadence-defaults/{tier}/{kind}", response={204: None})
def remove_cadence_default(request: HttpRequest, tier: Tier, kind: CadenceKind) -> Status[None]:
    """Removes a tier's default; accounts that did not set their own lose the cadence."""
    services.cadence_default_set(
        acting_user=_acting_user(request), tier=tier, kind=kind, interval_days=None
    )
    return Status(204, None)
