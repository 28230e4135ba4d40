"""Writes on playbooks and roadmaps: checked, atomic, recorded in history.

Dates: an item is due ``offset_days`` after its anchor (the roadmap's start, or its reference
date such as the contract end, for which offsets are usually negative) and starts
``duration_days`` before it is due. Days are calendar days; an item that would fall on a
Saturday or a Sunday moves to the Monday after, so nobody is asked to meet a client on a
weekend (the Gantt and the calendar then agree with what people will actually do).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account, TeamMember
from rapport.communications import services as communications
from rapport.communications.choices import TaskStatus
from rapport.core.services import apply_fields, lock_versioned, require_permission, save_versioned
from rapport.roadmaps.choices import (
    Anchor,
    CommitmentSource,
    CommitmentStatus,
    ItemKind,
    ItemStatus,
    OwnerSide,
    RoadmapStatus,
)
from rapport.roadmaps.models import (
    Commitment,
    Playbook,
    PlaybookItem,
    Roadmap,
    RoadmapItem,
    RoadmapPhase,
)
from rapport.stakeholders.choices import Influence, StakeholderStatus
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

SATURDAY = 5


def on_working_day(day: datetime.date) -> datetime.date:
    """The day itself, or the Monday after when it falls on a weekend."""
    if day.weekday() >= SATURDAY:
        return day + datetime.timedelta(days=7 - day.weekday())
    return day


def item_dates(
    *,
    anchor: str,
    offset_days: int,
    duration_days: int,
    start: datetime.date,
    reference: datetime.date | None,
) -> tuple[datetime.date, datetime.date]:
    """(starts, due) of a playbook item on a roadmap starting on ``start``."""
    if anchor == Anchor.REFERENCE:
        if reference is None:
            raise ValidationError(
                {"reference_date": _("This playbook counts from a reference date: give one.")}
            )
        base = reference
    else:
        base = start
    due = on_working_day(base + datetime.timedelta(days=offset_days))
    return due - datetime.timedelta(days=duration_days), due


# Playbooks -----------------------------------------------------------------------------------


def playbook_problems(playbook: Playbook) -> list[str]:
    """Everything that would make the playbook impossible to follow, in words."""
    items = list(PlaybookItem.objects.filter(phase__playbook=playbook).select_related("phase"))
    problems: list[str] = []
    by_id = {item.pk: item for item in items}
    for item in items:
        if item.anchor == Anchor.START and item.offset_days < 0:
            problems.append(
                _("“%(item)s” would fall before the roadmap starts (offset %(days)s days).")
                % {"item": item.title, "days": item.offset_days}
            )
        if item.anchor == Anchor.REFERENCE and not playbook.uses_reference:
            problems.append(
                _("“%(item)s” counts from a reference date, but the playbook names none.")
                % {"item": item.title}
            )
        if item.depends_on_id is not None and item.depends_on_id not in by_id:
            problems.append(
                _("“%(item)s” comes after an item of another playbook.") % {"item": item.title}
            )
    problems.extend(_cycles(by_id))
    for item in items:
        before = by_id.get(item.depends_on_id) if item.depends_on_id else None
        if (
            before is not None
            and before.anchor == item.anchor
            and item.offset_days < before.offset_days
        ):
            problems.append(
                _("“%(item)s” comes after “%(before)s” but is due %(days)s days earlier.")
                % {
                    "item": item.title,
                    "before": before.title,
                    "days": before.offset_days - item.offset_days,
                }
            )
    return problems


def _cycles(by_id: Mapping[int, PlaybookItem]) -> list[str]:
    problems = []
    reported: set[int] = set()
    for start_id in by_id:
        seen: list[int] = []
        current: int | None = start_id
        while current is not None and current in by_id:
            if current in seen:
                loop = seen[seen.index(current) :]
                if not reported.intersection(loop):
                    reported.update(loop)
                    names = " → ".join(by_id[pk].title for pk in [*loop, current])
                    problems.append(
                        _("These items wait for each other: %(loop)s.") % {"loop": names}
                    )
                break
            seen.append(current)
            current = by_id[current].depends_on_id
    return problems


def playbook_check(playbook: Playbook) -> None:
    problems = playbook_problems(playbook)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def playbook_revised(*, playbook: Playbook, acting_user: User) -> Playbook:
    """Record that a playbook's content changed: checked first, then its revision raised.

    Called by every service that edits phases or items, inside its transaction, so that an
    edit leaving the playbook impossible (a cycle, an item before the start) is undone whole.
    """
    require_permission(acting_user, "roadmaps.change_playbook")
    locked = lock_versioned(Playbook, pk=playbook.pk, expected_version=None)
    playbook_check(locked)
    locked.revision += 1
    save_versioned(locked, acting_user=acting_user)
    return locked


# Roadmaps ------------------------------------------------------------------------------------


def resolve_owner(
    *, account: Account, side: str, role: str, team: list[TeamMember], people: list[Stakeholder]
) -> tuple[User | None, Stakeholder | None]:
    """Who holds a role on the account today: a team member, or a client person."""
    if not role:
        return None, None
    if side == OwnerSide.OURS:
        for member in team:
            if member.role == role and member.user.is_active:
                return member.user, None
        if role == TeamRole.ACCOUNT_MANAGER and account.owner is not None:
            return account.owner, None
        return None, None
    holders = [person for person in people if person.has_role(role)]
    rank: dict[str, int] = {Influence.HIGH: 0, Influence.MEDIUM: 1, Influence.LOW: 2}
    holders.sort(key=lambda person: (rank.get(person.influence, 3), person.pk))
    return None, (holders[0] if holders else None)


@transaction.atomic
def roadmap_start(
    *,
    acting_user: User,
    account: Account,
    playbook: Playbook,
    start_date: datetime.date,
    reference_date: datetime.date | None = None,
    name: str = "",
) -> Roadmap:
    """Start a roadmap from a playbook: dates computed, owners resolved, steps made tasks."""
    require_permission(acting_user, "roadmaps.start_roadmap", account)
    playbook_check(playbook)
    roadmap = Roadmap(
        account=account,
        name=name or playbook.name,
        kind=playbook.kind,
        playbook=playbook,
        playbook_revision=playbook.revision,
        start_date=start_date,
        reference_date=reference_date,
        created_by=acting_user,
    )
    roadmap.full_clean()
    roadmap._history_user = acting_user  # type: ignore[attr-defined]
    roadmap.save()
    team = list(TeamMember.objects.current().filter(account=account).select_related("user"))
    people = list(
        Stakeholder.objects.filter(account=account, status=StakeholderStatus.ACTIVE).order_by("pk")
    )
    for phase in playbook.phases.prefetch_related("items"):
        roadmap_phase = RoadmapPhase(roadmap=roadmap, name=phase.name, position=phase.position)
        roadmap_phase._history_user = acting_user  # type: ignore[attr-defined]
        roadmap_phase.save()
        for template in phase.items.all():
            begins, due = item_dates(
                anchor=template.anchor,
                offset_days=template.offset_days,
                duration_days=template.duration_days,
                start=start_date,
                reference=reference_date,
            )
            user, person = resolve_owner(
                account=account,
                side=template.owner_side,
                role=template.owner_role,
                team=team,
                people=people,
            )
            item = RoadmapItem(
                roadmap=roadmap,
                phase=roadmap_phase,
                kind=template.kind,
                title=template.title,
                description=template.description,
                start_on=begins,
                due_on=due,
                owner_side=template.owner_side,
                owner_role=template.owner_role,
                owner_user=user,
                owner_stakeholder=person,
                client_facing=template.client_facing,
                position=template.position,
            )
            item._history_user = acting_user  # type: ignore[attr-defined]
            item.save()
            _make_task(item, acting_user=acting_user)
    return roadmap


def _make_task(item: RoadmapItem, *, acting_user: User) -> None:
    """Our side's steps become follow-up tasks, so they show in "my tasks" and the today view."""
    if item.kind == ItemKind.MILESTONE or item.owner_side != OwnerSide.OURS:
        return
    if item.owner_user is None or item.owner_user.is_read_only:
        return
    task = communications.task_create(
        acting_user=acting_user,
        data={
            "title": item.title,
            "account": item.roadmap.account,
            "assignee": item.owner_user,
            "due_on": item.due_on,
            "notes": item.description,
        },
    )
    RoadmapItem.objects.filter(pk=item.pk).update(task=task)
    item.task = task


@transaction.atomic
def roadmap_item_set_status(
    *, item: RoadmapItem, acting_user: User, status: str, expected_version: int | None = None
) -> RoadmapItem:
    """Complete, skip or reopen an item; its follow-up task follows."""
    require_permission(acting_user, "roadmaps.change_roadmap", item.roadmap)
    locked = lock_versioned(RoadmapItem, pk=item.pk, expected_version=expected_version)
    if locked.roadmap.status == RoadmapStatus.CANCELLED:
        raise ValidationError(_("This roadmap was cancelled: its items no longer change."))
    if status not in ItemStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if locked.status == status:
        return locked
    locked.status = status
    if status == ItemStatus.PLANNED:
        locked.completed_at = None
        locked.completed_by = None
    else:
        locked.completed_at = timezone.now()
        locked.completed_by = acting_user
    save_versioned(locked, acting_user=acting_user)
    if locked.task is not None and acting_user.has_perm("communications.change_task", locked.task):
        wanted = TaskStatus.OPEN if status == ItemStatus.PLANNED else TaskStatus.DONE
        communications.task_set_status(task=locked.task, acting_user=acting_user, status=wanted)
    _settle_roadmap(locked.roadmap, acting_user=acting_user)
    return locked


def _settle_roadmap(roadmap: Roadmap, *, acting_user: User) -> None:
    """A roadmap whose every item is done or skipped is completed, and reopens if one reopens."""
    open_items = roadmap.items.filter(status=ItemStatus.PLANNED).exists()
    wanted = RoadmapStatus.ACTIVE if open_items else RoadmapStatus.COMPLETED
    if roadmap.status == RoadmapStatus.CANCELLED or roadmap.status == wanted:
        return
    locked = lock_versioned(Roadmap, pk=roadmap.pk, expected_version=None)
    locked.status = wanted
    save_versioned(locked, acting_user=acting_user)


# Commitments ---------------------------------------------------------------------------------

COMMITMENT_FIELDS = ("title", "details", "due_on", "owner")


@transaction.atomic
def commitment_create(
    *,
    acting_user: User,
    account: Account,
    data: Mapping[str, Any],
    source: str = CommitmentSource.DIRECT,
    handoff: Any = None,
    touchpoint: Any = None,
) -> Commitment:
    """Record a promise made to the client; with no owner it is the account manager's."""
    require_permission(acting_user, "roadmaps.change_commitments", account)
    commitment = Commitment(
        account=account,
        source=source,
        handoff=handoff,
        touchpoint=touchpoint,
        created_by=acting_user,
        owner=account.owner or acting_user,
    )
    apply_fields(commitment, data, COMMITMENT_FIELDS)
    _check_owner(commitment.owner)
    commitment.full_clean()
    commitment._history_user = acting_user  # type: ignore[attr-defined]
    commitment.save()
    return commitment


@transaction.atomic
def commitment_update(
    *,
    commitment: Commitment,
    acting_user: User,
    data: Mapping[str, Any],
    expected_version: int | None,
) -> Commitment:
    require_permission(acting_user, "roadmaps.change_commitments", commitment.account)
    locked = lock_versioned(Commitment, pk=commitment.pk, expected_version=expected_version)
    if apply_fields(locked, data, COMMITMENT_FIELDS):
        _check_owner(locked.owner)
        save_versioned(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def commitment_set_status(
    *,
    commitment: Commitment,
    acting_user: User,
    status: str,
    expected_version: int | None = None,
) -> Commitment:
    """Mark a promise kept or cancelled, or open it again."""
    require_permission(acting_user, "roadmaps.change_commitments", commitment.account)
    locked = lock_versioned(Commitment, pk=commitment.pk, expected_version=expected_version)
    if status not in CommitmentStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if locked.status == status:
        return locked
    locked.status = status
    locked.closed_at = None if status == CommitmentStatus.OPEN else timezone.now()
    save_versioned(locked, acting_user=acting_user)
    return locked


def _check_owner(user: User) -> None:
    if not user.is_active:
        raise ValidationError({"owner": _("This person can no longer sign in.")})
    if user.is_read_only:
        raise ValidationError({"owner": _("A read-only user cannot hold a commitment.")})


def commitments_from_lines(text: str) -> list[str]:
    """The promises written one per line (bullets and blank lines dropped)."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("-*•").strip()
        if line:
            lines.append(line[:300])
    return lines


# Roadmap pages: items added, moved, re-owned and removed; a roadmap renamed or cancelled ------

ROADMAP_FIELDS = ("name", "client_summary")
ITEM_FIELDS = (
    "phase",
    "kind",
    "title",
    "description",
    "start_on",
    "due_on",
    "owner_side",
    "owner_user",
    "owner_stakeholder",
    "client_facing",
    "internal_notes",
)


def _check_open_roadmap(roadmap: Roadmap) -> None:
    if roadmap.status == RoadmapStatus.CANCELLED:
        raise ValidationError(_("This roadmap was cancelled: it no longer changes."))


def _check_item(item: RoadmapItem, *, owner_changed: bool) -> None:
    """An item sits in a phase of its roadmap and is owned by the account's team or people."""
    from rapport.roadmaps.models import owner_role_choices

    if item.phase_id is None:
        raise ValidationError({"phase": _("Choose the phase the item belongs to.")})
    if item.phase.roadmap_id != item.roadmap_id:
        raise ValidationError({"phase": _("This phase belongs to another roadmap.")})
    if item.owner_user_id is not None and item.owner_stakeholder_id is not None:
        raise ValidationError(_("An item has one owner: one of our people or one of theirs."))
    # The side follows whoever owns the item; a role of the other side no longer applies.
    if item.owner_user_id is not None:
        item.owner_side = OwnerSide.OURS
    elif item.owner_stakeholder_id is not None:
        item.owner_side = OwnerSide.CLIENT
    if item.owner_role and item.owner_role not in dict(owner_role_choices(item.owner_side)):
        item.owner_role = ""
    if not owner_changed:
        return
    account = item.roadmap.account
    user = item.owner_user
    if user is not None:
        if not user.is_active:
            raise ValidationError({"owner_user": _("This person can no longer sign in.")})
        if user.is_read_only:
            raise ValidationError({"owner_user": _("A read-only user cannot own a roadmap item.")})
        on_team = (
            account.owner_id == user.pk
            or TeamMember.objects.current().filter(account=account, user=user).exists()
        )
        if not on_team:
            raise ValidationError(
                {"owner_user": _("Only a member of the account team can own an item on our side.")}
            )
    person = item.owner_stakeholder
    if person is not None and person.account_id != account.pk:
        raise ValidationError(
            {"owner_stakeholder": _("This person is not one of the account's people.")}
        )


def _sync_task(item: RoadmapItem, *, acting_user: User) -> None:
    """An item's follow-up task keeps its title, date and assignee; an item that is no longer
    a step of ours cancels its open task, and one that becomes one gets a task."""
    wanted = (
        item.kind != ItemKind.MILESTONE
        and item.owner_side == OwnerSide.OURS
        and item.owner_user is not None
        and not item.owner_user.is_read_only
    )
    task = item.task
    if task is None:
        if wanted and item.status == ItemStatus.PLANNED:
            _make_task(item, acting_user=acting_user)
        return
    if not acting_user.has_perm("communications.change_task", task):
        return
    if not wanted:
        if task.status == TaskStatus.OPEN:
            communications.task_set_status(
                task=task, acting_user=acting_user, status=TaskStatus.CANCELLED
            )
        return
    communications.task_update(
        task=task,
        acting_user=acting_user,
        data={"title": item.title, "due_on": item.due_on, "assignee": item.owner_user},
        expected_version=None,
    )
    if task.status == TaskStatus.CANCELLED and item.status == ItemStatus.PLANNED:
        communications.task_set_status(task=task, acting_user=acting_user, status=TaskStatus.OPEN)


def _cancel_open_task(item: RoadmapItem, *, acting_user: User) -> None:
    task = item.task
    if (
        task is not None
        and task.status == TaskStatus.OPEN
        and acting_user.has_perm("communications.change_task", task)
    ):
        communications.task_set_status(
            task=task, acting_user=acting_user, status=TaskStatus.CANCELLED
        )


@transaction.atomic
def roadmap_item_add(
    *, acting_user: User, roadmap: Roadmap, data: Mapping[str, Any]
) -> RoadmapItem:
    """Add an item to a roadmap; a step of ours with an owner becomes a follow-up task."""
    require_permission(acting_user, "roadmaps.change_roadmap", roadmap)
    locked = lock_versioned(Roadmap, pk=roadmap.pk, expected_version=None)
    _check_open_roadmap(locked)
    if data.get("phase") is None:
        raise ValidationError({"phase": _("Choose the phase the item belongs to.")})
    item = RoadmapItem(
        roadmap=locked, phase=data["phase"], kind=ItemKind.TASK, owner_side=OwnerSide.OURS
    )
    apply_fields(item, data, ITEM_FIELDS)
    _check_item(item, owner_changed=True)
    last = item.phase.items.order_by("-position").values_list("position", flat=True).first()
    item.position = 0 if last is None else last + 1
    item.full_clean()
    item._history_user = acting_user  # type: ignore[attr-defined]
    item.save()
    _make_task(item, acting_user=acting_user)
    # A completed roadmap given something new to do is active again.
    _settle_roadmap(locked, acting_user=acting_user)
    return item


@transaction.atomic
def roadmap_item_update(
    *,
    item: RoadmapItem,
    acting_user: User,
    data: Mapping[str, Any],
    expected_version: int | None,
) -> RoadmapItem:
    """Move, re-own or rewrite an item; its follow-up task follows."""
    require_permission(acting_user, "roadmaps.change_roadmap", item.roadmap)
    locked = lock_versioned(RoadmapItem, pk=item.pk, expected_version=expected_version)
    _check_open_roadmap(locked.roadmap)
    changed = apply_fields(locked, data, ITEM_FIELDS)
    if not changed:
        return locked
    _check_item(locked, owner_changed=bool({"owner_user", "owner_stakeholder"} & set(changed)))
    save_versioned(locked, acting_user=acting_user)
    _sync_task(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def roadmap_item_delete(*, item: RoadmapItem, acting_user: User) -> None:
    """Remove an item (its history stays); its open follow-up task is cancelled."""
    require_permission(acting_user, "roadmaps.change_roadmap", item.roadmap)
    locked = lock_versioned(RoadmapItem, pk=item.pk, expected_version=None)
    roadmap = locked.roadmap
    _check_open_roadmap(roadmap)
    _cancel_open_task(locked, acting_user=acting_user)
    locked._history_user = acting_user  # type: ignore[attr-defined]
    locked.delete()
    _settle_roadmap(roadmap, acting_user=acting_user)


@transaction.atomic
def roadmap_update(
    *,
    roadmap: Roadmap,
    acting_user: User,
    data: Mapping[str, Any],
    expected_version: int | None,
) -> Roadmap:
    """Rename a roadmap or rewrite the message its client link opens with."""
    require_permission(acting_user, "roadmaps.change_roadmap", roadmap)
    locked = lock_versioned(Roadmap, pk=roadmap.pk, expected_version=expected_version)
    _check_open_roadmap(locked)
    if apply_fields(locked, data, ROADMAP_FIELDS):
        save_versioned(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def roadmap_cancel(
    *, roadmap: Roadmap, acting_user: User, expected_version: int | None = None
) -> Roadmap:
    """Stop a roadmap: its open follow-up tasks are cancelled and its client links revoked."""
    require_permission(acting_user, "roadmaps.change_roadmap", roadmap)
    locked = lock_versioned(Roadmap, pk=roadmap.pk, expected_version=expected_version)
    if locked.status == RoadmapStatus.CANCELLED:
        return locked
    locked.status = RoadmapStatus.CANCELLED
    save_versioned(locked, acting_user=acting_user)
    open_steps = locked.items.filter(task__status=TaskStatus.OPEN).select_related("task")
    for item in open_steps:
        _cancel_open_task(item, acting_user=acting_user)
    now = timezone.now()
    for link in locked.client_links.filter(revoked_at__isnull=True):
        link.revoked_at = now
        link._history_user = acting_user  # type: ignore[attr-defined]
        link.save()
    return locked
