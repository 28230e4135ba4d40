"""Stakeholder pages: an account's people, one person, edits, history and the trash."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.accounts.models import Account
from rapport.accounts.selectors import account_suggestions
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.exports import export_format
from rapport.core.history import history_entries
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import parse_filters, querystring_without_page, require, run_service
from rapport.stakeholders import exports, selectors, services
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.filters import StakeholderFilter
from rapport.stakeholders.forms import (
    AccountLinkForm,
    JobPositionForm,
    OwnerStrengthForm,
    RelationshipOwnerForm,
    StakeholderForm,
    StakeholderMoveForm,
    StakeholderRelationshipForm,
)
from rapport.stakeholders.models import (
    AccountLink,
    JobPosition,
    RelationshipOwner,
    Stakeholder,
    StakeholderRelationship,
)

ResultT = TypeVar("ResultT")


def _get_stakeholder(request: AppRequest, pk: int, include_trash: bool = False) -> Stakeholder:
    try:
        return selectors.stakeholder_detail(user=request.user, pk=pk, include_trash=include_trash)
    except Stakeholder.DoesNotExist as error:
        raise Http404 from error


@login_required
@vary_on_headers("HX-Request")
def stakeholder_list(request: AppRequest) -> HttpResponseBase:
    filters, invalid = parse_filters(StakeholderFilter, request.GET)
    if kind := export_format(request):
        people = selectors.stakeholder_list(user=request.user, filters=filters)
        return exports.stakeholder_export(kind, people)
    account = get_object_or_404(Account, pk=filters.account) if filters.account else None
    page = paginate(
        selectors.stakeholder_list(user=request.user, filters=filters),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    context = {
        "page": page,
        "filters": filters,
        "invalid": invalid,
        "account": account,
        "can_add": account is not None
        and request.user.has_perm("stakeholders.add_stakeholder", account),
        "filters_query": querystring_without_page(request.GET),
        "statuses": StakeholderStatus.choices,
        "linked_people": (
            selectors.account_linked_people(account=account) if account is not None else []
        ),
    }
    template = (
        "stakeholders/stakeholder_list.html#results"
        if request.htmx
        else "stakeholders/stakeholder_list.html"
    )
    return render(request, template, context)


@login_required
def account_org_chart(request: AppRequest, account_pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=account_pk)
    context = {
        "account": account,
        "roots": selectors.stakeholder_tree(account=account),
        "can_add": request.user.has_perm("stakeholders.add_stakeholder", account),
        # The account header on this tab offers Edit and Archive like the account's other tabs.
        "can_edit": request.user.has_perm("accounts.change_account", account),
    }
    return render(request, "stakeholders/org_chart.html", context)


def _detail_context(
    request: AppRequest, stakeholder: Stakeholder, **overrides: Any
) -> dict[str, Any]:
    """Everything the person's page shows; each card's partial reads its part of it."""
    can_edit = not stakeholder.in_trash and request.user.has_perm(
        "stakeholders.change_stakeholder", stakeholder
    )
    links = list(selectors.account_link_list(stakeholder=stakeholder))
    context: dict[str, Any] = {
        "stakeholder": stakeholder,
        "account": stakeholder.account,
        "direct_reports": selectors.stakeholder_direct_reports(stakeholder=stakeholder),
        "can_edit": can_edit,
        "owners": selectors.relationship_owner_list(stakeholder=stakeholder),
        "relationships": selectors.stakeholder_relationship_list(stakeholder=stakeholder),
        "links": links,
        # Becoming someone's own account changes that account's map: its editors decide.
        "primary_choices": {
            link.pk
            for link in links
            if can_edit and request.user.has_perm("stakeholders.add_stakeholder", link.account)
        },
        "positions": selectors.job_position_list(stakeholder=stakeholder),
    }
    if can_edit:
        context["owner_form"] = RelationshipOwnerForm(stakeholder=stakeholder)
        context["relationship_form"] = StakeholderRelationshipForm(stakeholder=stakeholder)
        context["link_form"] = AccountLinkForm(stakeholder=stakeholder)
        context["position_form"] = JobPositionForm(stakeholder=stakeholder)
    context.update(overrides)
    return context


def _editable_stakeholder(request: AppRequest, pk: int) -> Stakeholder:
    stakeholder = _get_stakeholder(request, pk)
    require(request, "stakeholders.change_stakeholder", stakeholder)
    return stakeholder


def _changed(request: AppRequest, stakeholder: Stakeholder, card: str, notice: str) -> HttpResponse:
    """After a change on one card of a person's page: the card alone for htmx, else the page."""
    if request.htmx:
        context = _detail_context(request, stakeholder, notice=notice)
        return render(request, f"stakeholders/stakeholder_detail.html#{card}", context)
    messages.success(request, notice)
    return redirect(stakeholder)


def _refused(
    request: AppRequest, stakeholder: Stakeholder, card: str, **overrides: Any
) -> HttpResponse:
    """A change was refused: the card (or the page) again, with its errors."""
    context = _detail_context(request, stakeholder, **overrides)
    template = "stakeholders/stakeholder_detail.html"
    return render(request, f"{template}#{card}" if request.htmx else template, context)


def _attempt(call: Callable[[], ResultT]) -> tuple[ResultT | None, list[str]]:
    """Call a service; its refusals come back as messages, not as errors."""
    try:
        return call(), []
    except ValidationError as error:
        return None, error.messages
    except StaleVersionError as error:
        return None, [str(error.message)]
    except NotAllowedError as error:
        raise PermissionDenied from error


def _add_on_card(
    request: AppRequest,
    stakeholder: Stakeholder,
    card: str,
    form_name: str,
    form: BaseForm,
    call: Callable[[], ResultT],
    notice: Callable[[ResultT], str],
) -> HttpResponse:
    """Add something on one card of a person's page: the card with a notice, or, if the form
    or the service refused, with the form (under ``form_name`` in the card's context)."""
    if form.is_valid():
        added = run_service(form, call)
        if added is not None:
            return _changed(request, stakeholder, card, notice(added))
    return _refused(request, stakeholder, card, **{form_name: form})


@login_required
def stakeholder_detail(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _get_stakeholder(request, pk, include_trash=request.user.is_administrator)
    return render(
        request, "stakeholders/stakeholder_detail.html", _detail_context(request, stakeholder)
    )


@login_required
def stakeholder_create(request: AppRequest, account_pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=account_pk)
    require(request, "stakeholders.add_stakeholder", account)
    initial = (
        {"reports_to": request.GET.get("reports_to")} if request.GET.get("reports_to") else None
    )
    form = StakeholderForm(request.POST or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        stakeholder = run_service(
            form,
            lambda: services.stakeholder_create(
                account=account, acting_user=request.user, data=form.cleaned_data
            ),
        )
        if stakeholder is not None:
            messages.success(request, _("%(name)s added.") % {"name": stakeholder.full_name})
            if "add_another" in request.POST:
                return redirect("stakeholders:stakeholder_create", account_pk=account.pk)
            return redirect(stakeholder)
    return render(
        request,
        "stakeholders/stakeholder_form.html",
        {"form": form, "account": account, "stakeholder": None},
    )


@login_required
@vary_on_headers("HX-Request")
def stakeholder_edit(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    form = StakeholderForm(request.POST or None, instance=stakeholder, account=stakeholder.account)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.stakeholder_update(
                stakeholder=stakeholder,
                acting_user=request.user,
                data=form.cleaned_data,
                expected_version=form.expected_version,
            ),
        )
        if saved is not None and request.htmx:
            context = {"stakeholder": saved, "can_edit": True, "just_saved": True}
            return render(request, "stakeholders/stakeholder_detail.html#details", context)
        if saved is not None:
            messages.success(request, _("Changes to %(name)s saved.") % {"name": saved.full_name})
            return redirect(saved)
    context = {"form": form, "account": stakeholder.account, "stakeholder": stakeholder}
    # Edited in place on the person's page: only the form, which posts back into the same card.
    template = (
        "stakeholders/stakeholder_form.html#inline"
        if request.htmx
        else "stakeholders/stakeholder_form.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def stakeholder_mark_left(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    _done, errors = _attempt(
        lambda: services.stakeholder_mark_left(stakeholder=stakeholder, acting_user=request.user)
    )
    for error in errors:
        messages.error(request, error)
    if not errors:
        messages.success(
            request, _("%(name)s is marked as having left.") % {"name": stakeholder.full_name}
        )
    return redirect(stakeholder)


@login_required
@require_POST
def stakeholder_delete(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _get_stakeholder(request, pk)
    require(request, "stakeholders.delete_stakeholder", stakeholder)
    _done, errors = _attempt(
        lambda: services.stakeholder_delete(stakeholder=stakeholder, acting_user=request.user)
    )
    if errors:
        for error in errors:
            messages.error(request, error)
        return redirect(stakeholder)
    messages.success(
        request,
        _("%(name)s moved to the trash. An administrator can restore them.")
        % {"name": stakeholder.full_name},
    )
    return redirect(stakeholder.account)


@login_required
def stakeholder_history(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _get_stakeholder(request, pk, include_trash=request.user.is_administrator)
    records = list(stakeholder.history.select_related("history_user"))
    entries = history_entries(records, Stakeholder, subject=stakeholder.full_name)
    page = paginate(entries, page=request.GET.get("page"), per_page=50)
    return render(
        request,
        "stakeholders/stakeholder_history.html",
        {"stakeholder": stakeholder, "account": stakeholder.account, "page": page},
    )


@login_required
def trash(request: AppRequest) -> HttpResponse:
    require(request, "users.restore_from_trash")
    page = paginate(
        selectors.trash_list(), page=request.GET.get("page"), per_page=settings.RAPPORT_PAGE_SIZE
    )
    return render(request, "stakeholders/trash.html", {"page": page})


@login_required
@require_POST
def stakeholder_restore(request: AppRequest, pk: int) -> HttpResponse:
    require(request, "users.restore_from_trash")
    stakeholder = get_object_or_404(Stakeholder.all_objects, pk=pk)
    services.stakeholder_restore(stakeholder=stakeholder, acting_user=request.user)
    messages.success(request, _("%(name)s restored.") % {"name": stakeholder.full_name})
    return redirect("stakeholders:trash")


# Owners on our side


@login_required
@require_POST
def owner_add(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    form = RelationshipOwnerForm(request.POST, stakeholder=stakeholder)
    return _add_on_card(
        request,
        stakeholder,
        "owners",
        "owner_form",
        form,
        lambda: services.relationship_owner_add(
            stakeholder=stakeholder, acting_user=request.user, **form.cleaned_data
        ),
        lambda owner: (
            _("%(user)s now owns the relationship with %(name)s.")
            % {"user": owner.user, "name": stakeholder.full_name}
        ),
    )


@login_required
@require_POST
def owner_update(request: AppRequest, pk: int, owner_pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    owner = get_object_or_404(
        RelationshipOwner.objects.select_related("user"), pk=owner_pk, stakeholder=stakeholder
    )
    form = OwnerStrengthForm(request.POST)
    if not form.is_valid():
        return _refused(request, stakeholder, "owners", owners_errors=form.errors["strength"])
    saved, errors = _attempt(
        lambda: services.relationship_owner_set_strength(
            owner=owner, strength=form.cleaned_data["strength"], acting_user=request.user
        )
    )
    if saved is None:
        return _refused(request, stakeholder, "owners", owners_errors=errors)
    notice = _("Strength of %(user)s’s relationship saved.") % {"user": saved.user}
    return _changed(request, stakeholder, "owners", notice)


@login_required
@require_POST
def owner_remove(request: AppRequest, pk: int, owner_pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    owner = get_object_or_404(
        RelationshipOwner.objects.select_related("user"), pk=owner_pk, stakeholder=stakeholder
    )
    services.relationship_owner_remove(owner=owner, acting_user=request.user)
    notice = _("%(user)s no longer owns the relationship.") % {"user": owner.user}
    return _changed(request, stakeholder, "owners", notice)


# Relationships beyond the reporting line


@login_required
@require_POST
def relationship_add(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    form = StakeholderRelationshipForm(request.POST, stakeholder=stakeholder)
    return _add_on_card(
        request,
        stakeholder,
        "relationships",
        "relationship_form",
        form,
        lambda: services.stakeholder_relationship_add(
            source=stakeholder, acting_user=request.user, **form.cleaned_data
        ),
        lambda _relationship: _("Relationship recorded."),
    )


@login_required
@require_POST
def relationship_remove(request: AppRequest, pk: int, relationship_pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    relationship = get_object_or_404(
        StakeholderRelationship.objects.filter(Q(source=stakeholder) | Q(target=stakeholder)),
        pk=relationship_pk,
    )
    services.stakeholder_relationship_remove(relationship=relationship, acting_user=request.user)
    return _changed(request, stakeholder, "relationships", _("Relationship removed."))


# People across accounts


@login_required
@require_POST
def link_add(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    form = AccountLinkForm(request.POST, stakeholder=stakeholder)
    return _add_on_card(
        request,
        stakeholder,
        "links",
        "link_form",
        form,
        lambda: services.account_link_add(
            stakeholder=stakeholder, acting_user=request.user, **form.cleaned_data
        ),
        lambda link: (
            _("%(name)s is now linked to %(account)s.")
            % {"name": stakeholder.full_name, "account": link.account.name}
        ),
    )


@login_required
@require_POST
def link_remove(request: AppRequest, pk: int, link_pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    link = get_object_or_404(
        AccountLink.objects.select_related("account"), pk=link_pk, stakeholder=stakeholder
    )
    services.account_link_remove(link=link, acting_user=request.user)
    notice = _("Link to %(account)s removed.") % {"account": link.account.name}
    return _changed(request, stakeholder, "links", notice)


def _primary_notice(change: services.PrimaryAccountChange) -> str:
    """Say what moving a person to another account did to their ties, in full."""
    person = change.stakeholder
    previous = change.previous_account.name
    parts = [
        _("%(name)s now belongs to %(account)s; %(previous)s stays linked.")
        % {"name": person.full_name, "account": person.account.name, "previous": previous}
    ]
    if change.former_manager is not None:
        parts.append(
            _("They no longer report to %(manager)s, who stays at %(previous)s.")
            % {"manager": change.former_manager.full_name, "previous": previous}
        )
    if change.detached_reports:
        count = len(change.detached_reports)
        parts.append(
            ngettext(
                "%(count)d direct report no longer reports to them: %(names)s.",
                "%(count)d direct reports no longer report to them: %(names)s.",
                count,
            )
            % {
                "count": count,
                "names": ", ".join(report.full_name for report in change.detached_reports),
            }
        )
    if change.removed_relationships:
        parts.append(
            ngettext(
                "%(count)d relationship with people of %(previous)s was removed.",
                "%(count)d relationships with people of %(previous)s were removed.",
                change.removed_relationships,
            )
            % {"count": change.removed_relationships, "previous": previous}
        )
    return " ".join(parts)


@login_required
@require_POST
def link_make_primary(request: AppRequest, pk: int, link_pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    link = get_object_or_404(
        AccountLink.objects.select_related("account", "stakeholder__account"),
        pk=link_pk,
        stakeholder=stakeholder,
    )
    require(request, "stakeholders.add_stakeholder", link.account)
    change, errors = _attempt(
        lambda: services.stakeholder_make_primary(link=link, acting_user=request.user)
    )
    if change is None:
        for error in errors:
            messages.error(request, error)
        return redirect(stakeholder)
    messages.success(request, _primary_notice(change))
    return redirect(change.stakeholder)


# Job history and moves


@login_required
@require_POST
def position_add(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    form = JobPositionForm(request.POST, stakeholder=stakeholder)
    return _add_on_card(
        request,
        stakeholder,
        "positions",
        "position_form",
        form,
        lambda: services.job_position_add(
            stakeholder=stakeholder, acting_user=request.user, **form.cleaned_data
        ),
        lambda _position: _("Position added."),
    )


@login_required
@require_POST
def position_remove(request: AppRequest, pk: int, position_pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    position = get_object_or_404(JobPosition, pk=position_pk, stakeholder=stakeholder)
    services.job_position_remove(position=position, acting_user=request.user)
    return _changed(request, stakeholder, "positions", _("Position removed."))


def _move_notices(move: services.StakeholderMove) -> list[str]:
    """What recording a move did, one sentence each."""
    person = move.stakeholder
    company = move.new_position.company
    notices = [
        _("%(name)s moved to %(company)s and is marked as having left.")
        % {"name": person.full_name, "company": company}
    ]
    if move.friend_as is not None:
        notices.append(
            _("A friend of ours (%(role)s) moved to %(company)s: an opening there.")
            % {"role": move.friend_as, "company": company}
        )
    if move.arrival is not None and move.arrival_created:
        notices.append(
            _("%(name)s was added to the people of %(account)s.")
            % {"name": move.arrival.full_name, "account": move.arrival.account.name}
        )
    elif move.arrival is not None:
        notices.append(
            _("%(name)s was already among the people of %(account)s.")
            % {"name": move.arrival.full_name, "account": move.arrival.account.name}
        )
    return notices


@login_required
def stakeholder_move(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _editable_stakeholder(request, pk)
    form = StakeholderMoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        move = run_service(
            form,
            lambda: services.stakeholder_record_move(
                stakeholder=stakeholder, acting_user=request.user, **form.cleaned_data
            ),
        )
        if move is not None:
            for notice in _move_notices(move):
                messages.success(request, notice)
            return redirect(move.stakeholder)
    context = {"form": form, "stakeholder": stakeholder, "account": stakeholder.account}
    return render(request, "stakeholders/stakeholder_move.html", context)


@login_required
def opportunity_moves(request: AppRequest) -> HttpResponse:
    page = paginate(
        selectors.opportunity_move_list(user=request.user),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    return render(request, "stakeholders/opportunity_moves.html", {"page": page})


# Account-wide: the skeleton, what changed, account suggestions


@login_required
@require_POST
def account_skeleton(request: AppRequest, account_pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=account_pk)
    require(request, "stakeholders.add_stakeholder", account)
    seeded = services.account_seed_buying_committee(account=account, acting_user=request.user)
    if seeded:
        messages.success(
            request,
            ngettext(
                "%(count)d placeholder added for a role still to fill: %(roles)s.",
                "%(count)d placeholders added for the roles still to fill: %(roles)s.",
                len(seeded),
            )
            % {"count": len(seeded), "roles": ", ".join(p.last_name for p in seeded)},
        )
    else:
        messages.info(request, _("Every typical role is already filled or waiting for someone."))
    return redirect(f"{reverse('stakeholders:stakeholder_list')}?account={account.pk}")


def _parse_day(value: str | None) -> tuple[datetime.date | None, bool]:
    """A YYYY-MM-DD date from the query string, or None, and whether it could not be read."""
    if not value:
        return None, False
    try:
        return datetime.date.fromisoformat(value), False
    except ValueError:
        return None, True


@login_required
@vary_on_headers("HX-Request")
def account_changes(request: AppRequest, account_pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=account_pk)
    asked, invalid = _parse_day(request.GET.get("since"))
    day, since = selectors.changes_window(asked)
    context = {
        "account": account,
        "since": day,
        "invalid": invalid,
        "changes": selectors.account_changes_since(account=account, since=since),
        # The account header on this tab offers Edit and Archive like the account's other tabs.
        "can_edit": request.user.has_perm("accounts.change_account", account),
    }
    template = "stakeholders/account_changes.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


@login_required
def account_suggest(request: AppRequest) -> HttpResponse:
    accounts = account_suggestions(prefix=request.GET.get("account", request.GET.get("q", "")))
    return render(request, "accounts/account_suggestions.html", {"accounts": accounts})
