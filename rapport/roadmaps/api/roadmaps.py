"""Roadmaps, their items and client links over the REST API."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from rapport.accounts.api import UserRef
from rapport.accounts.models import Account
from rapport.communications.api import Day
from rapport.core.api import (
    InputSchema,
    Page,
    PageQuery,
    RecordId,
    no_nulls,
    nulls_to_blanks,
    page_of,
    resolve_references,
)
from rapport.roadmaps import clientlinks, selectors, services
from rapport.roadmaps.api.common import (
    VersionQuery,
    acting_user,
    reader_today,
    today_of,
)
from rapport.roadmaps.choices import (
    ItemKind,
    ItemStatus,
    OwnerSide,
    PlaybookKind,
    Progress,
    RoadmapStatus,
)
from rapport.roadmaps.models import (
    ClientLink,
    Playbook,
    Roadmap,
    RoadmapItem,
    RoadmapPhase,
)
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

router = Router(tags=["roadmaps"])


# Roadmaps ------------------------------------------------------------------------------------


class MilestoneRef(Schema):
    id: int
    title: str
    due_on: datetime.date


class RoadmapProgressOut(Schema):
    done: int = Field(description="Items done.")
    total: int = Field(description="Items, not counting those skipped.")
    percent: int
    late: int = Field(description="Planned items due before today.")
    state: Progress = Field(description="Judged in the reader's time zone.")
    next_milestone: MilestoneRef | None


class RoadmapOut(Schema):
    id: int
    account_id: int
    name: str
    kind: PlaybookKind
    playbook_id: int | None
    playbook_revision: int | None = Field(description="The playbook's revision it started from.")
    start_date: datetime.date
    reference_date: datetime.date | None
    status: RoadmapStatus
    client_summary: str
    created_by_id: int | None
    progress: RoadmapProgressOut
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_progress(obj: Roadmap, context: dict[str, Any]) -> dict[str, Any]:
        return _progress(obj, reader_today(context))


class RoadmapItemOut(Schema):
    id: int
    roadmap_id: int
    phase_id: int
    kind: ItemKind
    title: str
    description: str
    start_on: datetime.date
    due_on: datetime.date
    owner_side: OwnerSide
    owner_role: str
    owner_user: UserRef | None = Field(description="Our person who owns it.")
    owner_stakeholder_id: int | None = Field(description="The client person who owns it.")
    client_facing: bool = Field(description="Shown on the client link.")
    internal_notes: str
    status: ItemStatus
    progress: Progress = Field(description="Judged in the reader's time zone.")
    completed_at: datetime.datetime | None
    completed_by_id: int | None
    task_id: int | None = Field(description="The follow-up task it made on our side.")
    position: int
    version: int

    @staticmethod
    def resolve_progress(obj: RoadmapItem, context: dict[str, Any]) -> str:
        return obj.progress(reader_today(context))


class RoadmapPhaseOut(Schema):
    id: int
    name: str
    position: int
    items: list[RoadmapItemOut]


class RoadmapDetailOut(RoadmapOut):
    phases: list[RoadmapPhaseOut]


class RoadmapFilter(InputSchema):
    account: RecordId | None = Field(default=None, description="Only this account's.")
    status: RoadmapStatus | None = None
    kind: PlaybookKind | None = None
    playbook: RecordId | None = Field(default=None, description="Started from this playbook.")

    def apply(self, queryset: QuerySet[Roadmap]) -> QuerySet[Roadmap]:
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.kind:
            queryset = queryset.filter(kind=self.kind)
        if self.playbook is not None:
            queryset = queryset.filter(playbook_id=self.playbook)
        return queryset


class RoadmapStartIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    account_id: RecordId
    playbook_id: RecordId
    start_date: Day
    reference_date: Day | None = Field(
        default=None, description="Required by playbooks counting from one (e.g. contract end)."
    )
    name: str = Field(default="", max_length=120, description="The playbook's name when empty.")


def _progress(roadmap: Roadmap, today: datetime.date) -> dict[str, Any]:
    """The roadmap's progress, from the list's annotations or from its loaded items."""
    if hasattr(roadmap, "item_total"):
        progress = selectors.annotated_progress(roadmap, today=today)
    else:
        progress = selectors.progress_from_items(
            roadmap, selectors.roadmap_items(roadmap), today=today
        )
    milestone = progress.next_milestone
    return {
        "done": progress.done,
        "total": progress.total,
        "percent": progress.percent,
        "late": progress.late,
        "state": progress.state,
        "next_milestone": None
        if milestone is None
        else {"id": milestone.pk, "title": milestone.title, "due_on": milestone.due_on},
    }


@router.get("/roadmaps", response=Page[RoadmapOut])
def list_roadmaps(
    request: HttpRequest, filters: Query[RoadmapFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Roadmaps, the latest started first, each with its progress."""
    user = acting_user(request)
    queryset = selectors.with_progress(filters.apply(Roadmap.objects.all()), today=today_of(user))
    return page_of(queryset.order_by("-start_date", "-id"), paging)


@router.get("/roadmaps/{roadmap_id}", response=RoadmapDetailOut)
def get_roadmap(request: HttpRequest, roadmap_id: RecordId) -> Roadmap:
    """The roadmap with its phases, their items and its progress."""
    return selectors.roadmap_detail(pk=roadmap_id)


@router.post("/roadmaps", response={201: RoadmapDetailOut})
def start_roadmap(request: HttpRequest, payload: RoadmapStartIn) -> Status[Roadmap]:
    """Starts a roadmap from a playbook: dates computed, owners resolved from the account team
    and the account map, our side's steps made follow-up tasks."""
    data = resolve_references(
        payload.dict(), {"account": Account.objects.all(), "playbook": Playbook.objects.all()}
    )
    playbook: Playbook = data["playbook"]
    if not playbook.is_active:
        raise ValidationError({"playbook": _("This playbook is archived: choose another.")})
    user = acting_user(request)
    roadmap = services.roadmap_start(
        acting_user=user,
        account=data["account"],
        playbook=playbook,
        start_date=data["start_date"],
        reference_date=data["reference_date"],
        name=data["name"],
    )
    return Status(201, selectors.roadmap_detail(pk=roadmap.pk))


class RoadmapPatch(InputSchema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update."""

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    client_summary: str | None = Field(default=None, description="Shown atop the client link.")


@router.patch("/roadmaps/{roadmap_id}", response=RoadmapDetailOut)
def update_roadmap(request: HttpRequest, roadmap_id: RecordId, payload: RoadmapPatch) -> Roadmap:
    """Renames the roadmap or rewrites the message its client link opens with."""
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Roadmap)
    version = sent.pop("version", None)
    services.roadmap_update(
        roadmap=get_object_or_404(Roadmap, pk=roadmap_id),
        acting_user=acting_user(request),
        data=sent,
        expected_version=version,
    )
    return selectors.roadmap_detail(pk=roadmap_id)


@router.post("/roadmaps/{roadmap_id}/cancel", response=RoadmapDetailOut)
def cancel_roadmap(
    request: HttpRequest, roadmap_id: RecordId, query: Query[VersionQuery]
) -> Roadmap:
    """Stops the roadmap: its open follow-up tasks are cancelled, its client links revoked."""
    services.roadmap_cancel(
        roadmap=get_object_or_404(Roadmap.objects.select_related("account"), pk=roadmap_id),
        acting_user=acting_user(request),
        expected_version=query.version,
    )
    return selectors.roadmap_detail(pk=roadmap_id)


class ClientLinkOut(Schema):
    id: int
    roadmap_id: int
    expires_on: datetime.date
    state: str = Field(description="`active`, `expired` or `revoked`, in the reader's time zone.")
    created_by_id: int | None
    created_at: datetime.datetime
    revoked_at: datetime.datetime | None
    last_opened_at: datetime.datetime | None


class ClientLinkCreatedOut(ClientLinkOut):
    url: str = Field(description="The address to give the client; shown this once only.")


class ClientLinkIn(InputSchema):
    expires_on: Day | None = Field(
        default=None, description="At most a year ahead; the default lifetime when left out."
    )


def _link_out(link: ClientLink, request: HttpRequest) -> dict[str, Any]:
    return {
        "id": link.pk,
        "roadmap_id": link.roadmap_id,
        "expires_on": link.expires_on,
        "state": clientlinks.link_state(link, today=today_of(acting_user(request))),
        "created_by_id": link.created_by_id,
        "created_at": link.created_at,
        "revoked_at": link.revoked_at,
        "last_opened_at": link.last_opened_at,
    }


@router.get("/roadmaps/{roadmap_id}/client-links", response=list[ClientLinkOut])
def list_client_links(request: HttpRequest, roadmap_id: RecordId) -> list[dict[str, Any]]:
    """The roadmap's client links, the latest first (their addresses are never shown again)."""
    links = selectors.client_links(roadmap=get_object_or_404(Roadmap, pk=roadmap_id))
    return [_link_out(link, request) for link in links]


@router.post("/roadmaps/{roadmap_id}/client-links", response={201: ClientLinkCreatedOut})
def create_client_link(
    request: HttpRequest, roadmap_id: RecordId, payload: ClientLinkIn
) -> Status[dict[str, Any]]:
    """A read-only link for the client, showing only the items shown to the client."""
    roadmap = get_object_or_404(Roadmap.objects.select_related("account"), pk=roadmap_id)
    link, token = clientlinks.client_link_create(
        roadmap=roadmap,
        acting_user=acting_user(request),
        expires_on=payload.expires_on,
        today=today_of(acting_user(request)),
    )
    return Status(201, {**_link_out(link, request), "url": clientlinks.client_link_url(token)})


@router.delete("/client-links/{link_id}", response=ClientLinkOut)
def revoke_client_link(request: HttpRequest, link_id: RecordId) -> dict[str, Any]:
    """Closes the link for good: the client then reads that it is no longer available."""
    link = get_object_or_404(ClientLink.objects.select_related("roadmap__account"), pk=link_id)
    revoked = clientlinks.client_link_revoke(link=link, acting_user=acting_user(request))
    return _link_out(revoked, request)


# Roadmap items -------------------------------------------------------------------------------


def _item(item_id: int) -> RoadmapItem:
    return get_object_or_404(
        RoadmapItem.objects.select_related("roadmap__account", "owner_user", "task"), pk=item_id
    )


def _set_item_status(
    request: HttpRequest, item_id: int, status: str, query: VersionQuery
) -> RoadmapItem:
    services.roadmap_item_set_status(
        item=_item(item_id),
        acting_user=acting_user(request),
        status=status,
        expected_version=query.version,
    )
    return _item(item_id)


class RoadmapItemIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    phase_id: RecordId
    kind: ItemKind = ItemKind.TASK
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    start_on: Day | None = Field(default=None, description="The due date when left out.")
    due_on: Day
    owner_user_id: RecordId | None = Field(
        default=None, description="One of the account team (the item is then on our side)."
    )
    owner_stakeholder_id: RecordId | None = Field(
        default=None, description="One of the account's people (the item is then the client's)."
    )
    client_facing: bool = True
    internal_notes: str = Field(default="", description="Never shown to the client.")


class RoadmapItemPatch(InputSchema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update."""

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    phase_id: RecordId | None = None
    kind: ItemKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    start_on: Day | None = None
    due_on: Day | None = None
    owner_user_id: RecordId | None = None
    owner_stakeholder_id: RecordId | None = None
    client_facing: bool | None = None
    internal_notes: str | None = None


def _roadmap_item_references() -> dict[str, QuerySet[Any]]:
    return {
        "phase": RoadmapPhase.objects.all(),
        "owner_user": User.objects.all(),
        # People in the trash are found, so that the service says whose they are.
        "owner_stakeholder": Stakeholder.all_objects.all(),
    }


@router.post("/roadmaps/{roadmap_id}/items", response={201: RoadmapItemOut})
def add_roadmap_item(
    request: HttpRequest, roadmap_id: RecordId, payload: RoadmapItemIn
) -> Status[RoadmapItem]:
    """Adds an item to a phase of the roadmap; a step of ours with an owner becomes a task."""
    roadmap = get_object_or_404(Roadmap.objects.select_related("account"), pk=roadmap_id)
    sent = nulls_to_blanks(payload.dict(), RoadmapItem)
    if sent["start_on"] is None:
        sent["start_on"] = sent["due_on"]
    data = resolve_references(sent, _roadmap_item_references())
    item = services.roadmap_item_add(acting_user=acting_user(request), roadmap=roadmap, data=data)
    return Status(201, _item(item.pk))


@router.patch("/roadmap-items/{item_id}", response=RoadmapItemOut)
def update_roadmap_item(
    request: HttpRequest, item_id: RecordId, payload: RoadmapItemPatch
) -> RoadmapItem:
    """Moves, re-owns or rewrites the item; its follow-up task follows."""
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), RoadmapItem)
    no_nulls(sent, "phase_id", "kind", "start_on", "due_on", "client_facing")
    version = sent.pop("version", None)
    data = resolve_references(sent, _roadmap_item_references())
    services.roadmap_item_update(
        item=_item(item_id),
        acting_user=acting_user(request),
        data=data,
        expected_version=version,
    )
    return _item(item_id)


@router.delete("/roadmap-items/{item_id}", response={204: None})
def delete_roadmap_item(request: HttpRequest, item_id: RecordId) -> Status[None]:
    """Removes the item (its history stays); its open follow-up task is cancelled."""
    services.roadmap_item_delete(item=_item(item_id), acting_user=acting_user(request))
    return Status(204, None)


@router.get("/roadmap-items/{item_id}", response=RoadmapItemOut)
def get_roadmap_item(request: HttpRequest, item_id: RecordId) -> RoadmapItem:
    return _item(item_id)


@router.post("/roadmap-items/{item_id}/complete", response=RoadmapItemOut)
def complete_roadmap_item(
    request: HttpRequest, item_id: RecordId, query: Query[VersionQuery]
) -> RoadmapItem:
    """Marks the item done (its follow-up task too); the roadmap completes with its last item."""
    return _set_item_status(request, item_id, ItemStatus.DONE, query)


@router.post("/roadmap-items/{item_id}/skip", response=RoadmapItemOut)
def skip_roadmap_item(
    request: HttpRequest, item_id: RecordId, query: Query[VersionQuery]
) -> RoadmapItem:
    """Marks the item skipped: it no longer counts in the progress."""
    return _set_item_status(request, item_id, ItemStatus.SKIPPED, query)


@router.post("/roadmap-items/{item_id}/reopen", response=RoadmapItemOut)
def reopen_roadmap_item(
    request: HttpRequest, item_id: RecordId, query: Query[VersionQuery]
) -> RoadmapItem:
    """Plans a done or skipped item again (and reopens a completed roadmap)."""
    return _set_item_status(request, item_id, ItemStatus.PLANNED, query)
