"""Editing playbooks: their details, phases and items, each edit checked whole before it lands.

Every edit of a playbook's content runs in one transaction that locks the playbook first (two
editors cannot each pass the check and together leave a cycle) and ends with
``services.playbook_revised``: the whole playbook is checked, and an edit that would make it
impossible to follow is undone with every problem listed. A roadmap already started keeps its
own copies of the items, so none of this rewrites it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from rapport.core.exceptions import StaleVersionError
from rapport.core.services import apply_fields, lock_versioned, require_permission, save_versioned
from rapport.roadmaps import services
from rapport.roadmaps.models import Handoff, Playbook, PlaybookItem, PlaybookPhase, Roadmap
from rapport.users.models import User

PLAYBOOK_FIELDS = ("name", "kind", "description", "reference_label", "lead_days")
# These change how a roadmap started from the playbook is dated: they are content, not labels.
DATING_FIELDS = frozenset({"reference_label", "lead_days"})
PHASE_FIELDS = ("name",)
ITEM_FIELDS = (
    "phase",
    "kind",
    "title",
    "description",
    "anchor",
    "offset_days",
    "duration_days",
    "owner_side",
    "owner_role",
    "client_facing",
    "depends_on",
)
NAME_MAX_LENGTH = Playbook._meta.get_field("name").max_length or 120


# Reads ---------------------------------------------------------------------------------------


def playbook_rows() -> QuerySet[Playbook]:
    """Playbooks with how many phases, items and roadmaps each has, one query for a page."""
    phases = (
        PlaybookPhase.objects.filter(playbook=OuterRef("pk"))
        .order_by()
        .values("playbook")
        .annotate(count=Count("pk"))
        .values("count")
    )
    items = (
        PlaybookItem.objects.filter(phase__playbook=OuterRef("pk"))
        .order_by()
        .values("phase__playbook")
        .annotate(count=Count("pk"))
        .values("count")
    )
    roadmaps = (
        Roadmap.objects.filter(playbook=OuterRef("pk"))
        .order_by()
        .values("playbook")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Playbook.objects.annotate(
        phase_count=Coalesce(Subquery(phases), 0),
        item_count=Coalesce(Subquery(items), 0),
        roadmap_count=Coalesce(Subquery(roadmaps), 0),
    )


def playbook_phases(playbook: Playbook) -> list[PlaybookPhase]:
    """The playbook's phases in order, each with its items (and what they follow) in order."""
    items = PlaybookItem.objects.select_related("depends_on").order_by("position", "id")
    return list(
        playbook.phases.order_by("position", "id").prefetch_related(Prefetch("items", items))
    )


def playbook_is_used(playbook: Playbook) -> bool:
    """Whether a roadmap or a handoff refers to it: then it is archived, never deleted."""
    return (
        Roadmap.objects.filter(playbook=playbook).exists()
        or Handoff.objects.filter(playbook=playbook).exists()
    )


# Playbooks -----------------------------------------------------------------------------------


@transaction.atomic
def playbook_create(*, acting_user: User, data: Mapping[str, Any]) -> Playbook:
    """A new, empty playbook; its phases and items are added one by one."""
    require_permission(acting_user, "roadmaps.change_playbook")
    playbook = Playbook()
    apply_fields(playbook, data, PLAYBOOK_FIELDS)
    _check_lead_days(playbook)
    playbook.full_clean()
    playbook._history_user = acting_user  # type: ignore[attr-defined]
    playbook.save()
    return playbook


@transaction.atomic
def playbook_update(
    *,
    playbook: Playbook,
    acting_user: User,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Playbook:
    """Change a playbook's details; a change to its dating is a new revision, checked whole."""
    require_permission(acting_user, "roadmaps.change_playbook")
    locked = lock_versioned(Playbook, pk=playbook.pk, expected_version=expected_version)
    changed = apply_fields(locked, data, PLAYBOOK_FIELDS)
    if not changed:
        return locked
    _check_lead_days(locked)
    save_versioned(locked, acting_user=acting_user)
    if DATING_FIELDS.intersection(changed):
        return services.playbook_revised(playbook=locked, acting_user=acting_user)
    return locked


def _check_lead_days(playbook: Playbook) -> None:
    if playbook.lead_days is not None and not playbook.reference_label:
        raise ValidationError(
            {
                "lead_days": _(
                    "The lead time counts back from the reference date: name the reference "
                    "date, or leave the lead time empty."
                )
            }
        )


@transaction.atomic
def playbook_archive(*, playbook: Playbook, acting_user: User) -> Playbook:
    """Stop offering a playbook; the roadmaps started from it keep their link to it."""
    return _set_active(playbook, acting_user=acting_user, active=False)


@transaction.atomic
def playbook_restore(*, playbook: Playbook, acting_user: User) -> Playbook:
    """Offer an archived playbook again."""
    return _set_active(playbook, acting_user=acting_user, active=True)


def _set_active(playbook: Playbook, *, acting_user: User, active: bool) -> Playbook:
    require_permission(acting_user, "roadmaps.change_playbook")
    locked = lock_versioned(Playbook, pk=playbook.pk, expected_version=None)
    if locked.is_active != active:
        locked.is_active = active
        save_versioned(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def playbook_delete(*, playbook: Playbook, acting_user: User) -> None:
    """Delete a playbook nothing refers to; one that was used is archived instead."""
    require_permission(acting_user, "roadmaps.change_playbook")
    locked = lock_versioned(Playbook, pk=playbook.pk, expected_version=None)
    if playbook_is_used(locked):
        raise ValidationError(
            _(
                "Roadmaps or handoffs were started from this playbook: archive it instead, "
                "so they keep their link to it."
            )
        )
    locked._history_user = acting_user  # type: ignore[attr-defined]
    locked.delete()


@transaction.atomic
def playbook_duplicate(*, playbook: Playbook, acting_user: User, name: str = "") -> Playbook:
    """A new playbook with the same details, phases and items, to start a variant from.

    Each copied item comes after the copy of the item its original came after.
    """
    require_permission(acting_user, "roadmaps.change_playbook")
    copy = Playbook(
        name=(name.strip() or _("Copy of %(name)s") % {"name": playbook.name})[:NAME_MAX_LENGTH],
        kind=playbook.kind,
        description=playbook.description,
        reference_label=playbook.reference_label,
        lead_days=playbook.lead_days,
    )
    copy.full_clean()
    copy._history_user = acting_user  # type: ignore[attr-defined]
    copy.save()
    copies: dict[int, PlaybookItem] = {}
    phases = playbook_phases(playbook)
    new_phase: dict[int, PlaybookPhase] = {}
    for phase in phases:
        new_phase[phase.pk] = _saved(
            PlaybookPhase(playbook=copy, name=phase.name, position=phase.position), acting_user
        )
    originals = [item for phase in phases for item in phase.items.all()]
    # Copied in an order where each item's predecessor exists first, so each is saved once.
    for item in _predecessors_first(originals):
        copies[item.pk] = _saved(
            PlaybookItem(
                phase=new_phase[item.phase_id],
                kind=item.kind,
                title=item.title,
                description=item.description,
                anchor=item.anchor,
                offset_days=item.offset_days,
                duration_days=item.duration_days,
                owner_side=item.owner_side,
                owner_role=item.owner_role,
                client_facing=item.client_facing,
                depends_on=copies.get(item.depends_on_id) if item.depends_on_id else None,
                position=item.position,
            ),
            acting_user,
        )
    services.playbook_check(copy)
    return copy


def _predecessors_first(items: Sequence[PlaybookItem]) -> list[PlaybookItem]:
    by_id = {item.pk: item for item in items}
    ordered: list[PlaybookItem] = []
    placed: set[int] = set()

    def place(item: PlaybookItem, path: set[int]) -> None:
        if item.pk in placed or item.pk in path:
            return
        before = by_id.get(item.depends_on_id) if item.depends_on_id else None
        if before is not None:
            place(before, path | {item.pk})
        placed.add(item.pk)
        ordered.append(item)

    for item in items:
        place(item, set())
    return ordered


def _saved(instance: Any, acting_user: User) -> Any:
    instance.full_clean()
    instance._history_user = acting_user
    instance.save()
    return instance


def _lock(playbook_id: int, *, acting_user: User, expected_revision: int | None) -> Playbook:
    """Lock the playbook for the edit; refuse it if the editor saw an older revision."""
    require_permission(acting_user, "roadmaps.change_playbook")
    locked = lock_versioned(Playbook, pk=playbook_id, expected_version=None)
    if expected_revision is not None and locked.revision != expected_revision:
        raise StaleVersionError(current_version=locked.revision)
    return locked


# Phases --------------------------------------------------------------------------------------


@transaction.atomic
def phase_create(
    *,
    playbook: Playbook,
    acting_user: User,
    data: Mapping[str, Any],
    expected_revision: int | None = None,
) -> PlaybookPhase:
    """Add a phase at the end of the playbook."""
    locked = _lock(playbook.pk, acting_user=acting_user, expected_revision=expected_revision)
    last = locked.phases.aggregate(last=Max("position"))["last"]
    phase = PlaybookPhase(playbook=locked, position=0 if last is None else last + 1)
    apply_fields(phase, data, PHASE_FIELDS)
    _saved(phase, acting_user)
    services.playbook_revised(playbook=locked, acting_user=acting_user)
    return phase


@transaction.atomic
def phase_update(
    *,
    phase: PlaybookPhase,
    acting_user: User,
    data: Mapping[str, Any],
    expected_revision: int | None = None,
) -> PlaybookPhase:
    """Rename a phase."""
    locked = _lock(phase.playbook_id, acting_user=acting_user, expected_revision=expected_revision)
    current = PlaybookPhase.objects.get(pk=phase.pk)
    if apply_fields(current, data, PHASE_FIELDS):
        _saved(current, acting_user)
        services.playbook_revised(playbook=locked, acting_user=acting_user)
    return current


@transaction.atomic
def phase_delete(
    *, phase: PlaybookPhase, acting_user: User, expected_revision: int | None = None
) -> None:
    """Delete a phase and its items; items of other phases that came after them no longer do."""
    locked = _lock(phase.playbook_id, acting_user=acting_user, expected_revision=expected_revision)
    current = PlaybookPhase.objects.get(pk=phase.pk)
    _release_dependents(
        PlaybookItem.objects.filter(depends_on__phase=current).exclude(phase=current),
        acting_user=acting_user,
    )
    items = list(current.items.all())
    for item in items:
        item._history_user = acting_user  # type: ignore[attr-defined]
        item.delete()
    current._history_user = acting_user  # type: ignore[attr-defined]
    current.delete()
    services.playbook_revised(playbook=locked, acting_user=acting_user)


@transaction.atomic
def phase_reorder(
    *,
    playbook: Playbook,
    acting_user: User,
    phase_ids: Sequence[int],
    expected_revision: int | None = None,
) -> list[PlaybookPhase]:
    """Put the playbook's phases in the order given (every phase, once)."""
    locked = _lock(playbook.pk, acting_user=acting_user, expected_revision=expected_revision)
    phases = list(locked.phases.order_by("position", "id"))
    ordered = _in_order(phases, phase_ids, _("The new order must list every phase once."))
    if _renumber(ordered, acting_user=acting_user):
        services.playbook_revised(playbook=locked, acting_user=acting_user)
    return ordered


@transaction.atomic
def phase_move(
    *, phase: PlaybookPhase, acting_user: User, step: int, expected_revision: int | None = None
) -> list[PlaybookPhase]:
    """Move a phase up (step -1) or down (step 1) by one place."""
    ids = list(
        PlaybookPhase.objects.filter(playbook_id=phase.playbook_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    return phase_reorder(
        playbook=phase.playbook,
        acting_user=acting_user,
        phase_ids=_moved(ids, phase.pk, step),
        expected_revision=expected_revision,
    )


# Items ---------------------------------------------------------------------------------------


@transaction.atomic
def item_create(
    *,
    phase: PlaybookPhase,
    acting_user: User,
    data: Mapping[str, Any],
    expected_revision: int | None = None,
) -> PlaybookItem:
    """Add an item at the end of a phase (or of the phase ``data`` names)."""
    locked = _lock(phase.playbook_id, acting_user=acting_user, expected_revision=expected_revision)
    item = PlaybookItem(phase=phase)
    apply_fields(item, data, ITEM_FIELDS)
    _check_item(item, playbook=locked)
    item.position = _next_position(item.phase)
    _saved(item, acting_user)
    services.playbook_revised(playbook=locked, acting_user=acting_user)
    return item


@transaction.atomic
def item_update(
    *,
    item: PlaybookItem,
    acting_user: User,
    data: Mapping[str, Any],
    expected_revision: int | None = None,
) -> PlaybookItem:
    """Change an item; moved to another phase, it goes to that phase's end."""
    current = PlaybookItem.objects.select_related("phase").get(pk=item.pk)
    locked = _lock(
        current.phase.playbook_id, acting_user=acting_user, expected_revision=expected_revision
    )
    old_phase_id = current.phase_id
    changed = apply_fields(current, data, ITEM_FIELDS)
    if not changed:
        return current
    _check_item(current, playbook=locked)
    if current.phase_id != old_phase_id:
        current.position = _next_position(current.phase)
    _saved(current, acting_user)
    services.playbook_revised(playbook=locked, acting_user=acting_user)
    return current


@transaction.atomic
def item_delete(
    *, item: PlaybookItem, acting_user: User, expected_revision: int | None = None
) -> None:
    """Delete an item; items that came after it no longer wait for anything."""
    current = PlaybookItem.objects.select_related("phase").get(pk=item.pk)
    locked = _lock(
        current.phase.playbook_id, acting_user=acting_user, expected_revision=expected_revision
    )
    _release_dependents(current.dependents.all(), acting_user=acting_user)
    current._history_user = acting_user  # type: ignore[attr-defined]
    current.delete()
    services.playbook_revised(playbook=locked, acting_user=acting_user)


@transaction.atomic
def item_reorder(
    *,
    phase: PlaybookPhase,
    acting_user: User,
    item_ids: Sequence[int],
    expected_revision: int | None = None,
) -> list[PlaybookItem]:
    """Put a phase's items in the order given (every item of the phase, once)."""
    locked = _lock(phase.playbook_id, acting_user=acting_user, expected_revision=expected_revision)
    items = list(PlaybookItem.objects.filter(phase_id=phase.pk).order_by("position", "id"))
    ordered = _in_order(items, item_ids, _("The new order must list every item of the phase once."))
    if _renumber(ordered, acting_user=acting_user):
        services.playbook_revised(playbook=locked, acting_user=acting_user)
    return ordered


@transaction.atomic
def item_move(
    *, item: PlaybookItem, acting_user: User, step: int, expected_revision: int | None = None
) -> list[PlaybookItem]:
    """Move an item up (step -1) or down (step 1) by one place within its phase."""
    ids = list(
        PlaybookItem.objects.filter(phase_id=item.phase_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    return item_reorder(
        phase=item.phase,
        acting_user=acting_user,
        item_ids=_moved(ids, item.pk, step),
        expected_revision=expected_revision,
    )


def _check_item(item: PlaybookItem, *, playbook: Playbook) -> None:
    """What only this playbook can tell: the item's phase and predecessor are its own."""
    if item.phase.playbook_id != playbook.pk:
        raise ValidationError({"phase": _("Choose a phase of this playbook.")})
    before = item.depends_on
    if before is None:
        return
    if item.pk is not None and before.pk == item.pk:
        raise ValidationError({"depends_on": _("A step cannot come after itself.")})
    if not PlaybookPhase.objects.filter(pk=before.phase_id, playbook=playbook).exists():
        raise ValidationError({"depends_on": _("Choose a step of this playbook.")})


def _next_position(phase: PlaybookPhase) -> int:
    last = PlaybookItem.objects.filter(phase=phase).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _release_dependents(dependents: Iterable[PlaybookItem], *, acting_user: User) -> None:
    # Saved one by one rather than left to SET NULL, so the history shows what changed.
    for dependent in dependents:
        dependent.depends_on = None
        _saved(dependent, acting_user)


def _in_order(rows: list[Any], ids: Sequence[int], message: str) -> list[Any]:
    by_id = {row.pk: row for row in rows}
    if len(ids) != len(by_id) or set(ids) != set(by_id):
        raise ValidationError(message)
    return [by_id[pk] for pk in ids]


def _moved(ids: list[int], pk: int, step: int) -> list[int]:
    """The ids with ``pk`` moved by ``step`` places, kept within the list's ends."""
    index = ids.index(pk)
    target = max(0, min(len(ids) - 1, index + step))
    ids.insert(target, ids.pop(index))
    return ids


def _renumber(rows: list[Any], *, acting_user: User) -> bool:
    """Give each row its place as position; True when any moved."""
    moved = False
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            _saved(row, acting_user)
            moved = True
    return moved
