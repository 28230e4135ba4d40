"""Playbook pages: the list, one playbook with its phases and items, editing them, a preview.

Phases and items are edited in place: with htmx, each form replaces the playbook's content
section and a save redraws it (every form in it then carries the new revision); without
JavaScript the same addresses serve whole pages that come back to the playbook.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.exports import export_format
from rapport.core.history import HistoryEntry, history_entries
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import parse_filters, querystring_without_page, require, run_service
from rapport.roadmaps import exports, playbooks, services
from rapport.roadmaps.choices import Anchor, OwnerSide, PlaybookKind
from rapport.roadmaps.forms.playbooks import (
    DuplicateForm,
    ItemForm,
    OwnerRoleForm,
    PhaseForm,
    PlaybookFilter,
    PlaybookForm,
    PlaybookStatus,
    PreviewForm,
)
from rapport.roadmaps.models import (
    Playbook,
    PlaybookItem,
    PlaybookPhase,
    Roadmap,
    owner_role_label,
)

CONTENT_TEMPLATE = "roadmaps/includes/playbook_content.html"
CHANGE = "roadmaps.change_playbook"
VIEW = "roadmaps.view_playbook"
HISTORY_PAGE_SIZE = 20
LATEST_ROADMAPS = 5


# What the pages show -------------------------------------------------------------------------


def offset_words(anchor: str, offset_days: int, reference_label: str) -> str:
    """When an item is due, in words: "day 14", "120 days before contract end"."""
    if anchor != Anchor.REFERENCE:
        return _("day %(day)s") % {"day": offset_days}
    reference = reference_label or _("the reference date")
    if offset_days == 0:
        return _("on %(reference)s") % {"reference": reference}
    days = abs(offset_days)
    if offset_days < 0:
        message = ngettext(
            "%(days)s day before %(reference)s", "%(days)s days before %(reference)s", days
        )
    else:
        message = ngettext(
            "%(days)s day after %(reference)s", "%(days)s days after %(reference)s", days
        )
    return message % {"days": days, "reference": reference}


def owner_words(side: str, role: str) -> str:
    if not role:
        return ""
    return f"{OwnerSide(side).label} · {owner_role_label(side, role)}"


@dataclass
class ItemRow:
    """An item as the playbook page shows it."""

    item: PlaybookItem
    when: str
    owner: str
    first: bool
    last: bool


@dataclass
class PhaseRow:
    phase: PlaybookPhase
    items: list[ItemRow]
    first: bool
    last: bool


@dataclass
class Editing:
    """The one form the content section shows in place of what it edits."""

    what: str  # "item", "phase", "new_item" or "new_phase"
    target: int | None
    form: forms.BaseForm
    # The name of the phase or item it is about, for the heading of the form's own page.
    subject: str = ""
    inline: bool = True


@dataclass
class PreviewRow:
    item: PlaybookItem
    when: str
    starts: datetime.date
    due: datetime.date
    moved: bool


@dataclass
class PreviewPhase:
    phase: PlaybookPhase
    rows: list[PreviewRow] = field(default_factory=list)


def phase_rows(playbook: Playbook) -> list[PhaseRow]:
    phases = playbooks.playbook_phases(playbook)
    rows = []
    for index, phase in enumerate(phases):
        items = list(phase.items.all())
        rows.append(
            PhaseRow(
                phase=phase,
                items=[
                    ItemRow(
                        item=item,
                        when=offset_words(item.anchor, item.offset_days, playbook.reference_label),
                        owner=owner_words(item.owner_side, item.owner_role),
                        first=position == 0,
                        last=position == len(items) - 1,
                    )
                    for position, item in enumerate(items)
                ],
                first=index == 0,
                last=index == len(phases) - 1,
            )
        )
    return rows


def preview_phases(
    playbook: Playbook, *, start: datetime.date, reference: datetime.date
) -> list[PreviewPhase]:
    """Each item's dates on a roadmap started on ``start``, as ``roadmap_start`` computes them."""
    phases = []
    for phase in playbooks.playbook_phases(playbook):
        preview = PreviewPhase(phase=phase)
        for item in phase.items.all():
            starts, due = services.item_dates(
                anchor=item.anchor,
                offset_days=item.offset_days,
                duration_days=item.duration_days,
                start=start,
                reference=reference,
            )
            base = reference if item.anchor == Anchor.REFERENCE else start
            exact = base + datetime.timedelta(days=item.offset_days)
            when = offset_words(item.anchor, item.offset_days, playbook.reference_label)
            preview.rows.append(PreviewRow(item, when, starts, due, moved=due != exact))
        phases.append(preview)
    return phases


def playbook_history(playbook: Playbook) -> list[HistoryEntry]:
    """The playbook's changes and those of its phases and items, newest first."""
    records = list(playbook.history.select_related("history_user"))
    entries = history_entries(records, Playbook, subject=playbook.name)
    phase_records = list(
        PlaybookPhase.history.filter(playbook_id=playbook.pk).select_related("history_user")
    )
    entries += history_entries(phase_records, PlaybookPhase, subject_fields=("name",))
    item_records = list(
        PlaybookItem.history.filter(
            phase_id__in={record.id for record in phase_records}
        ).select_related("history_user")
    )
    entries += history_entries(item_records, PlaybookItem, subject_fields=("title",))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries


# The list and a playbook ---------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def playbook_list(request: AppRequest) -> HttpResponseBase:
    require(request, VIEW)
    filters, invalid = parse_filters(PlaybookFilter, request.GET)
    if kind := export_format(request):
        return exports.playbook_export(kind, filters.apply(playbooks.playbook_rows()))
    page = paginate(
        filters.apply(playbooks.playbook_rows()),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    context = {
        "page": page,
        "filters": filters,
        "invalid": invalid,
        "filters_query": querystring_without_page(request.GET),
        "kinds": PlaybookKind.choices,
        "statuses": PlaybookStatus.choices,
        "can_change": request.user.has_perm(CHANGE),
    }
    template = "roadmaps/playbook_list.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


@login_required
@vary_on_headers("HX-Request")
def playbook_detail(request: AppRequest, pk: int) -> HttpResponse:
    require(request, VIEW)
    playbook = get_object_or_404(Playbook, pk=pk)
    if request.htmx:
        return _content(request, playbook)
    started = Roadmap.objects.filter(playbook=playbook)
    context = _content_context(request, playbook) | {
        "roadmaps": started.select_related("account").order_by("-start_date", "-id")[
            :LATEST_ROADMAPS
        ],
        "roadmap_count": started.count(),
        "history": paginate(
            playbook_history(playbook), page=request.GET.get("page"), per_page=HISTORY_PAGE_SIZE
        ),
    }
    return render(request, "roadmaps/playbook_detail.html", context)


def _content_context(
    request: AppRequest,
    playbook: Playbook,
    editing: Editing | None = None,
    problems: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "playbook": playbook,
        "phases": phase_rows(playbook),
        "can_change": request.user.has_perm(CHANGE),
        "editing": editing,
        "problems": problems or [],
    }


def _content(
    request: AppRequest,
    playbook: Playbook,
    editing: Editing | None = None,
    problems: list[str] | None = None,
) -> HttpResponse:
    context = _content_context(request, playbook, editing, problems)
    return render(request, CONTENT_TEMPLATE, context)


@login_required
def playbook_preview(request: AppRequest, pk: int) -> HttpResponse:
    require(request, VIEW)
    playbook = get_object_or_404(Playbook, pk=pk)
    form = PreviewForm(request.GET or None, playbook=playbook)
    start, reference = form.dates(timezone.localdate())
    context = {
        "playbook": playbook,
        "form": form,
        "start": start,
        "reference": reference,
        "phases": preview_phases(playbook, start=start, reference=reference),
    }
    return render(request, "roadmaps/playbook_preview.html", context)


@login_required
def owner_roles(request: AppRequest) -> HttpResponse:
    """The owner's role list for the side just picked (htmx)."""
    require(request, VIEW)
    form = OwnerRoleForm(initial=request.GET.dict())
    return render(
        request, "roadmaps/includes/playbook_owner_role.html", {"field": form["owner_role"]}
    )


# A playbook's details ------------------------------------------------------------------------


@login_required
def playbook_create(request: AppRequest) -> HttpResponse:
    require(request, CHANGE)
    form = PlaybookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        playbook = run_service(
            form,
            lambda: playbooks.playbook_create(acting_user=request.user, data=form.cleaned_data),
        )
        if playbook is not None:
            messages.success(
                request, _("“%(name)s” created: now add its phases and steps.") % {"name": playbook}
            )
            return redirect(playbook)
    return render(request, "roadmaps/playbook_form.html", {"form": form, "playbook": None})


@login_required
def playbook_edit(request: AppRequest, pk: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=pk)
    require(request, CHANGE)
    form = PlaybookForm(request.POST or None, instance=playbook)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: playbooks.playbook_update(
                playbook=playbook,
                acting_user=request.user,
                data=form.cleaned_data,
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(name)s” saved.") % {"name": saved})
            return redirect(saved)
    return render(request, "roadmaps/playbook_form.html", {"form": form, "playbook": playbook})


@login_required
@require_POST
def playbook_archive(request: AppRequest, pk: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=pk)
    require(request, CHANGE)
    if request.POST.get("action") == "restore":
        playbooks.playbook_restore(playbook=playbook, acting_user=request.user)
        messages.success(request, _("“%(name)s” is offered again.") % {"name": playbook})
    else:
        playbooks.playbook_archive(playbook=playbook, acting_user=request.user)
        message = _("“%(name)s” archived: no new roadmap starts from it; started ones stay.")
        messages.success(request, message % {"name": playbook})
    return redirect(playbook)


@login_required
def playbook_delete(request: AppRequest, pk: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=pk)
    require(request, CHANGE)
    if request.method == "POST":
        refused = _refusal(
            lambda: playbooks.playbook_delete(playbook=playbook, acting_user=request.user)
        )
        if not refused:
            messages.success(request, _("“%(name)s” deleted.") % {"name": playbook})
            return redirect("roadmaps:playbook_list")
    else:
        refused = []
    context = {
        "playbook": playbook,
        "used": playbooks.playbook_is_used(playbook),
        "problems": refused,
    }
    return render(request, "roadmaps/playbook_delete.html", context)


@login_required
def playbook_duplicate(request: AppRequest, pk: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=pk)
    require(request, CHANGE)
    initial = {"name": _("Copy of %(name)s") % {"name": playbook.name}}
    form = DuplicateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        copy = run_service(
            form,
            lambda: playbooks.playbook_duplicate(
                playbook=playbook, acting_user=request.user, name=form.cleaned_data["name"]
            ),
        )
        if copy is not None:
            message = _("“%(name)s” is a copy of “%(original)s”: change what makes it different.")
            messages.success(request, message % {"name": copy, "original": playbook})
            return redirect(copy)
    return render(request, "roadmaps/playbook_duplicate.html", {"form": form, "playbook": playbook})


# Phases --------------------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def phase_create(request: AppRequest, pk: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=pk)
    require(request, CHANGE)
    form = PhaseForm(request.POST or None, playbook=playbook)
    if request.method == "POST" and form.is_valid():
        phase = run_service(
            form,
            lambda: playbooks.phase_create(
                playbook=playbook,
                acting_user=request.user,
                data=form.cleaned_data,
                expected_revision=form.expected_revision,
            ),
        )
        if phase is not None:
            message = _("Phase “%(name)s” added.") % {"name": phase}
            return _after_edit(request, playbook, f"phase-{phase.pk}", message)
    return _editing(request, playbook, Editing("new_phase", None, form))


@login_required
@vary_on_headers("HX-Request")
def phase_edit(request: AppRequest, pk: int) -> HttpResponse:
    phase = get_object_or_404(PlaybookPhase.objects.select_related("playbook"), pk=pk)
    require(request, CHANGE)
    name = phase.name
    form = PhaseForm(request.POST or None, instance=phase, playbook=phase.playbook)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: playbooks.phase_update(
                phase=phase,
                acting_user=request.user,
                data=form.cleaned_data,
                expected_revision=form.expected_revision,
            ),
        )
        if saved is not None:
            message = _("Phase “%(name)s” saved.") % {"name": saved}
            return _after_edit(request, phase.playbook, f"phase-{phase.pk}", message)
    return _editing(request, phase.playbook, Editing("phase", phase.pk, form, name))


@login_required
def phase_delete(request: AppRequest, pk: int) -> HttpResponse:
    phase = get_object_or_404(PlaybookPhase.objects.select_related("playbook"), pk=pk)
    require(request, CHANGE)
    refused: list[str] = []
    if request.method == "POST":
        refused = _refusal(
            lambda: playbooks.phase_delete(
                phase=phase, acting_user=request.user, expected_revision=_revision(request)
            )
        )
        if not refused:
            message = _("Phase “%(name)s” and its steps deleted.") % {"name": phase}
            return _after_edit(request, phase.playbook, "playbook-content", message)
    context = {"playbook": phase.playbook, "phase": phase, "problems": refused}
    return render(request, "roadmaps/playbook_delete.html", context)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def phase_move(request: AppRequest, pk: int) -> HttpResponse:
    phase = get_object_or_404(PlaybookPhase.objects.select_related("playbook"), pk=pk)
    require(request, CHANGE)
    return _move(
        request,
        phase.playbook,
        f"phase-{phase.pk}",
        lambda step: playbooks.phase_move(
            phase=phase, acting_user=request.user, step=step, expected_revision=_revision(request)
        ),
    )


# Items ---------------------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def item_create(request: AppRequest, pk: int) -> HttpResponse:
    phase = get_object_or_404(PlaybookPhase.objects.select_related("playbook"), pk=pk)
    require(request, CHANGE)
    form = _item_form(request, phase.playbook, initial={"phase": phase})
    if _submitted(request, form):
        item = run_service(
            form,
            lambda: playbooks.item_create(
                phase=phase,
                acting_user=request.user,
                data=form.item_data(),
                expected_revision=form.expected_revision,
            ),
        )
        if item is not None:
            message = _("“%(title)s” added to %(phase)s.") % {"title": item, "phase": item.phase}
            return _after_edit(request, phase.playbook, f"item-{item.pk}", message)
    return _editing(request, phase.playbook, Editing("new_item", phase.pk, form, phase.name))


@login_required
@vary_on_headers("HX-Request")
def item_edit(request: AppRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(PlaybookItem.objects.select_related("phase__playbook"), pk=pk)
    playbook = item.phase.playbook
    require(request, CHANGE)
    title = item.title
    form = _item_form(request, playbook, instance=item)
    if _submitted(request, form):
        saved = run_service(
            form,
            lambda: playbooks.item_update(
                item=item,
                acting_user=request.user,
                data=form.item_data(),
                expected_revision=form.expected_revision,
            ),
        )
        if saved is not None:
            message = _("“%(title)s” saved.") % {"title": saved}
            return _after_edit(request, playbook, f"item-{saved.pk}", message)
    return _editing(request, playbook, Editing("item", item.pk, form, title))


@login_required
def item_delete(request: AppRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(PlaybookItem.objects.select_related("phase__playbook"), pk=pk)
    playbook = item.phase.playbook
    require(request, CHANGE)
    refused: list[str] = []
    if request.method == "POST":
        refused = _refusal(
            lambda: playbooks.item_delete(
                item=item, acting_user=request.user, expected_revision=_revision(request)
            )
        )
        if not refused:
            message = _("“%(title)s” deleted.") % {"title": item}
            return _after_edit(request, playbook, f"phase-{item.phase_id}", message)
    context = {"playbook": playbook, "item": item, "problems": refused}
    return render(request, "roadmaps/playbook_delete.html", context)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def item_move(request: AppRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(PlaybookItem.objects.select_related("phase__playbook"), pk=pk)
    require(request, CHANGE)
    return _move(
        request,
        item.phase.playbook,
        f"item-{item.pk}",
        lambda step: playbooks.item_move(
            item=item, acting_user=request.user, step=step, expected_revision=_revision(request)
        ),
    )


# Helpers -------------------------------------------------------------------------------------


def _item_form(
    request: AppRequest,
    playbook: Playbook,
    instance: PlaybookItem | None = None,
    initial: dict[str, Any] | None = None,
) -> ItemForm:
    """The item form: as posted; redrawn unchecked when only the side changed; or fresh."""
    if request.method == "POST" and request.POST.get("refresh_roles"):
        redrawn = ItemForm.initial_from(request.POST)
        form = ItemForm(instance=instance, initial=redrawn, playbook=playbook)
        form.initial["revision"] = request.POST.get("revision")
        return form
    if request.method == "POST":
        return ItemForm(request.POST, instance=instance, playbook=playbook)
    return ItemForm(instance=instance, initial=initial, playbook=playbook)


def _submitted(request: AppRequest, form: forms.BaseForm) -> bool:
    return request.method == "POST" and form.is_bound and form.is_valid()


def _revision(request: AppRequest) -> int | None:
    value = request.POST.get("revision", "")
    return int(value) if value.isdigit() else None


def _refusal(call: Callable[[], Any]) -> list[str]:
    """Run a service; its refusal as the sentences to show, or nothing when it went through."""
    try:
        call()
    except StaleVersionError as error:
        return [str(error.message)]
    except ValidationError as error:
        return list(error.messages)
    except NotAllowedError as error:
        raise PermissionDenied from error
    return []


def _after_edit(request: AppRequest, playbook: Playbook, anchor: str, message: str) -> HttpResponse:
    """The redrawn content (htmx), or back to the playbook with a word of what was done."""
    fresh = Playbook.objects.get(pk=playbook.pk)
    if request.htmx:
        return _content(request, fresh)
    messages.success(request, message)
    return redirect(f"{fresh.get_absolute_url()}#{anchor}")


def _editing(request: AppRequest, playbook: Playbook, editing: Editing) -> HttpResponse:
    """A form in place in the content section (htmx), or on its own page."""
    if request.htmx:
        return _content(request, playbook, editing)
    editing.inline = False
    context = {"playbook": playbook, "editing": editing}
    return render(request, "roadmaps/playbook_part_form.html", context)


def _move(
    request: AppRequest, playbook: Playbook, anchor: str, call: Callable[[int], Any]
) -> HttpResponse:
    step = -1 if request.POST.get("direction") == "up" else 1
    refused = _refusal(lambda: call(step))
    if refused:
        if request.htmx:
            return _content(request, Playbook.objects.get(pk=playbook.pk), problems=refused)
        for problem in refused:
            messages.error(request, problem)
        return redirect(f"{playbook.get_absolute_url()}#{anchor}")
    return _after_edit(request, playbook, anchor, _("Order saved."))
