"""Playbooks over the REST API: read by everyone, written by administrators and heads of
account management; an edit leaving a playbook impossible is refused with every problem.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

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
from rapport.roadmaps import playbooks
from rapport.roadmaps.api.common import (
    acting_user,
)
from rapport.roadmaps.choices import (
    Anchor,
    ItemKind,
    OwnerSide,
    PlaybookKind,
)
from rapport.roadmaps.models import (
    MAX_DURATION_DAYS,
    MAX_OFFSET_DAYS,
    Playbook,
    PlaybookItem,
    PlaybookPhase,
)

router = Router(tags=["playbooks"])


# Playbooks -----------------------------------------------------------------------------------


class PlaybookItemOut(Schema):
    id: int
    phase_id: int
    kind: ItemKind
    title: str
    description: str
    anchor: Anchor
    offset_days: int = Field(description="Days after (or, negative, before) the anchor.")
    duration_days: int = Field(description="Starts this many days before it is due.")
    owner_side: OwnerSide
    owner_role: str = Field(
        description="A team role on our side, a decision role on the client's; empty for none."
    )
    client_facing: bool
    depends_on_id: int | None = Field(description="The item it comes after.")
    position: int


class PlaybookPhaseOut(Schema):
    id: int
    name: str
    position: int
    items: list[PlaybookItemOut]


class PlaybookOut(Schema):
    id: int
    name: str
    kind: PlaybookKind
    description: str
    reference_label: str = Field(description="What the reference date is; empty for none.")
    lead_days: int | None
    is_active: bool = Field(description="Offered when starting a roadmap; false once archived.")
    revision: int = Field(description="Raised by every edit of the phases and items.")
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class PlaybookDetailOut(PlaybookOut):
    phases: list[PlaybookPhaseOut]


class PlaybookFilter(InputSchema):
    kind: PlaybookKind | None = None
    active: bool | None = Field(
        default=None, description="Only offered (true) or archived (false) playbooks."
    )

    def apply(self, queryset: QuerySet[Playbook]) -> QuerySet[Playbook]:
        if self.kind:
            queryset = queryset.filter(kind=self.kind)
        if self.active is not None:
            queryset = queryset.filter(is_active=self.active)
        return queryset


def _playbook(playbook_id: int) -> Playbook:
    phases = Prefetch(
        "phases",
        queryset=PlaybookPhase.objects.prefetch_related(
            Prefetch("items", queryset=PlaybookItem.objects.order_by("position", "id"))
        ),
    )
    return get_object_or_404(Playbook.objects.prefetch_related(phases), pk=playbook_id)


@router.get("/playbooks", response=Page[PlaybookOut])
def list_playbooks(
    request: HttpRequest, filters: Query[PlaybookFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """Playbooks by kind and name."""
    return page_of(filters.apply(Playbook.objects.order_by("kind", "name", "id")), paging)


@router.get("/playbooks/{playbook_id}", response=PlaybookDetailOut)
def get_playbook(request: HttpRequest, playbook_id: RecordId) -> Playbook:
    """The playbook with its phases and their items, in order."""
    return _playbook(playbook_id)


class PlaybookIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120)
    kind: PlaybookKind
    description: str = ""
    reference_label: str = Field(
        default="",
        max_length=80,
        description="What the reference date is, e.g. “contract end”; empty for none.",
    )
    lead_days: int | None = Field(
        default=None,
        ge=0,
        le=MAX_OFFSET_DAYS,
        description="Started this many days before the reference date by automation.",
    )


class PlaybookPatch(InputSchema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update."""

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    kind: PlaybookKind | None = None
    description: str | None = None
    reference_label: str | None = Field(default=None, max_length=80)
    lead_days: int | None = Field(default=None, ge=0, le=MAX_OFFSET_DAYS)
    is_active: bool | None = Field(default=None, description="False archives, true restores.")


class RevisionQuery(InputSchema):
    revision: int | None = Field(
        default=None, ge=1, description="Refuse the edit if the playbook was revised since."
    )


class PhaseIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120)
    revision: int | None = Field(
        default=None, ge=1, description="Refuse the edit if the playbook was revised since."
    )


class OrderIn(InputSchema):
    ids: list[RecordId] = Field(max_length=500, description="Every one of them, once, in order.")
    revision: int | None = Field(default=None, ge=1)


class PlaybookItemIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    kind: ItemKind
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    anchor: Anchor = Anchor.START
    offset_days: int = Field(ge=-MAX_OFFSET_DAYS, le=MAX_OFFSET_DAYS)
    duration_days: int = Field(default=0, ge=0, le=MAX_DURATION_DAYS)
    owner_side: OwnerSide = OwnerSide.OURS
    owner_role: str = Field(
        default="", max_length=32, description="A team role (ours) or a decision role (client)."
    )
    client_facing: bool = True
    depends_on_id: RecordId | None = Field(default=None, description="The item it comes after.")
    revision: int | None = Field(default=None, ge=1)


class PlaybookItemPatch(InputSchema):
    """Only the fields sent are changed; a new ``phase_id`` moves it to that phase's end."""

    model_config = ConfigDict(str_strip_whitespace=True)

    revision: int | None = Field(default=None, ge=1)
    phase_id: RecordId | None = None
    kind: ItemKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    anchor: Anchor | None = None
    offset_days: int | None = Field(default=None, ge=-MAX_OFFSET_DAYS, le=MAX_OFFSET_DAYS)
    duration_days: int | None = Field(default=None, ge=0, le=MAX_DURATION_DAYS)
    owner_side: OwnerSide | None = None
    owner_role: str | None = Field(default=None, max_length=32)
    client_facing: bool | None = None
    depends_on_id: RecordId | None = None


def _phase(phase_id: int) -> PlaybookPhase:
    return get_object_or_404(PlaybookPhase.objects.select_related("playbook"), pk=phase_id)


def _playbook_item(item_id: int) -> PlaybookItem:
    return get_object_or_404(PlaybookItem.objects.select_related("phase"), pk=item_id)


def _item_references() -> dict[str, QuerySet[Any]]:
    return {"phase": PlaybookPhase.objects.all(), "depends_on": PlaybookItem.objects.all()}


@router.post("/playbooks", response={201: PlaybookDetailOut})
def create_playbook(request: HttpRequest, payload: PlaybookIn) -> Status[Playbook]:
    """A new, empty playbook (for administrators and heads of account management)."""
    playbook = playbooks.playbook_create(acting_user=acting_user(request), data=payload.dict())
    return Status(201, _playbook(playbook.pk))


@router.patch("/playbooks/{playbook_id}", response=PlaybookDetailOut)
def update_playbook(
    request: HttpRequest, playbook_id: RecordId, payload: PlaybookPatch
) -> Playbook:
    """Changes the details; a change of the reference date or lead time is a new revision."""
    playbook = _playbook(playbook_id)
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Playbook)
    no_nulls(sent, "kind", "is_active")
    version = sent.pop("version", None)
    active = sent.pop("is_active", None)
    user = acting_user(request)
    with transaction.atomic():
        playbook = playbooks.playbook_update(
            playbook=playbook, acting_user=user, data=sent, expected_version=version
        )
        if active is True:
            playbooks.playbook_restore(playbook=playbook, acting_user=user)
        elif active is False:
            playbooks.playbook_archive(playbook=playbook, acting_user=user)
    return _playbook(playbook_id)


@router.delete("/playbooks/{playbook_id}", response=PlaybookOut)
def archive_playbook(request: HttpRequest, playbook_id: RecordId) -> Playbook:
    """Playbooks are archived, no longer offered; roadmaps started from them keep them."""
    return playbooks.playbook_archive(
        playbook=_playbook(playbook_id), acting_user=acting_user(request)
    )


@router.post("/playbooks/{playbook_id}/phases", response={201: PlaybookPhaseOut})
def create_phase(
    request: HttpRequest, playbook_id: RecordId, payload: PhaseIn
) -> Status[PlaybookPhase]:
    """Adds a phase at the end of the playbook."""
    phase = playbooks.phase_create(
        playbook=_playbook(playbook_id),
        acting_user=acting_user(request),
        data={"name": payload.name},
        expected_revision=payload.revision,
    )
    return Status(201, _phase(phase.pk))


@router.put("/playbooks/{playbook_id}/phase-order", response=list[PlaybookPhaseOut])
def reorder_phases(
    request: HttpRequest, playbook_id: RecordId, payload: OrderIn
) -> list[PlaybookPhase]:
    """Puts the playbook's phases in the order given."""
    playbook = get_object_or_404(Playbook, pk=playbook_id)
    playbooks.phase_reorder(
        playbook=playbook,
        acting_user=acting_user(request),
        phase_ids=payload.ids,
        expected_revision=payload.revision,
    )
    return playbooks.playbook_phases(playbook)


@router.patch("/playbook-phases/{phase_id}", response=PlaybookPhaseOut)
def update_phase(request: HttpRequest, phase_id: RecordId, payload: PhaseIn) -> PlaybookPhase:
    """Renames a phase."""
    playbooks.phase_update(
        phase=_phase(phase_id),
        acting_user=acting_user(request),
        data={"name": payload.name},
        expected_revision=payload.revision,
    )
    return _phase(phase_id)


@router.delete("/playbook-phases/{phase_id}", response={204: None})
def delete_phase(
    request: HttpRequest, phase_id: RecordId, query: Query[RevisionQuery]
) -> Status[None]:
    """Deletes the phase and its items; items that came after them no longer wait."""
    playbooks.phase_delete(
        phase=_phase(phase_id), acting_user=acting_user(request), expected_revision=query.revision
    )
    return Status(204, None)


@router.post("/playbook-phases/{phase_id}/items", response={201: PlaybookItemOut})
def create_playbook_item(
    request: HttpRequest, phase_id: RecordId, payload: PlaybookItemIn
) -> Status[PlaybookItem]:
    """Adds an item at the end of the phase; an impossible playbook is refused whole."""
    sent = payload.dict()
    revision = sent.pop("revision")
    data = resolve_references(sent, _item_references())
    item = playbooks.item_create(
        phase=_phase(phase_id),
        acting_user=acting_user(request),
        data=data,
        expected_revision=revision,
    )
    return Status(201, _playbook_item(item.pk))


@router.put("/playbook-phases/{phase_id}/item-order", response=list[PlaybookItemOut])
def reorder_playbook_items(
    request: HttpRequest, phase_id: RecordId, payload: OrderIn
) -> list[PlaybookItem]:
    """Puts the phase's items in the order given."""
    return playbooks.item_reorder(
        phase=_phase(phase_id),
        acting_user=acting_user(request),
        item_ids=payload.ids,
        expected_revision=payload.revision,
    )


@router.get("/playbook-items/{item_id}", response=PlaybookItemOut)
def get_playbook_item(request: HttpRequest, item_id: RecordId) -> PlaybookItem:
    return _playbook_item(item_id)


@router.patch("/playbook-items/{item_id}", response=PlaybookItemOut)
def update_playbook_item(
    request: HttpRequest, item_id: RecordId, payload: PlaybookItemPatch
) -> PlaybookItem:
    """Changes an item; an edit leaving the playbook impossible is refused, every problem listed."""
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), PlaybookItem)
    no_nulls(
        sent,
        "phase_id",
        "kind",
        "anchor",
        "offset_days",
        "duration_days",
        "owner_side",
        "client_facing",
    )
    revision = sent.pop("revision", None)
    data = resolve_references(sent, _item_references())
    playbooks.item_update(
        item=_playbook_item(item_id),
        acting_user=acting_user(request),
        data=data,
        expected_revision=revision,
    )
    return _playbook_item(item_id)


@router.delete("/playbook-items/{item_id}", response={204: None})
def delete_playbook_item(
    request: HttpRequest, item_id: RecordId, query: Query[RevisionQuery]
) -> Status[None]:
    """Deletes the item; items that came after it no longer wait for anything."""
    playbooks.item_delete(
        item=_playbook_item(item_id),
        acting_user=acting_user(request),
        expected_revision=query.revision,
    )
    return Status(204, None)
