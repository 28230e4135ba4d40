"""Handoff pages: the form with its live gate, the list, the page and the acknowledgement."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.accounts.forms import AccountNameField
from rapport.accounts.models import Account
from rapport.core.exceptions import NotAllowedError
from rapport.core.exports import export_format
from rapport.core.history import history_entries
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import parse_filters, querystring_without_page, require, run_service
from rapport.roadmaps import exports, handoffs
from rapport.roadmaps.choices import HandoffStatus
from rapport.roadmaps.forms.handoffs import (
    MORE_ROWS,
    SUBMIT,
    AcknowledgeForm,
    HandoffFilter,
    HandoffSheet,
    KnownPeopleForm,
)
from rapport.roadmaps.models import Handoff
from rapport.users.rules import is_manager_of_the_book

FORM_TEMPLATE = "roadmaps/handoff_form.html"
KEY_PEOPLE_SHOWN = 30


def _handoff(request: AppRequest, pk: int) -> Handoff:
    try:
        return handoffs.handoff_detail(user=request.user, pk=pk)
    except Handoff.DoesNotExist as error:
        raise Http404 from error


# The form ------------------------------------------------------------------------------------


@login_required
def handoff_create(request: AppRequest) -> HttpResponse:
    require(request, "roadmaps.add_handoff")
    hint = request.GET.get("account", "")
    account = Account.objects.filter(pk=int(hint)).first() if hint.isdigit() else None
    return _handoff_form(
        request, HandoffSheet(request.POST or None, user=request.user, account=account)
    )


@login_required
def handoff_edit(request: AppRequest, pk: int) -> HttpResponse:
    handoff = _handoff(request, pk)
    require(request, "roadmaps.change_handoff", handoff)
    if handoff.status != HandoffStatus.DRAFT:
        messages.info(request, _("This handoff was submitted; it can no longer change."))
        return redirect(handoff)
    sheet = HandoffSheet(request.POST or None, user=request.user, handoff=handoff)
    return _handoff_form(request, sheet)


def _handoff_form(request: AppRequest, sheet: HandoffSheet) -> HttpResponse:
    """Save the draft or submit it; a refused submission comes back with what is missing."""
    if request.method == "POST" and sheet.action != MORE_ROWS and sheet.is_valid():
        saved = run_service(
            sheet.form,
            lambda: handoffs.handoff_record(acting_user=request.user, **sheet.service_arguments()),
        )
        if saved is not None:
            done = (
                _("Handoff of %(account)s submitted to %(manager)s.")
                if sheet.action == SUBMIT
                else _("Draft handoff of %(account)s saved.")
            )
            messages.success(
                request, done % {"account": saved.account, "manager": saved.account_manager}
            )
            return redirect(saved)
    return render(
        request, FORM_TEMPLATE, {"sheet": sheet, "form": sheet.form, "handoff": sheet.handoff}
    )


@login_required
@require_POST
def handoff_check(request: AppRequest) -> HttpResponse:
    """The live checklist: the gate for what the form says now, nothing saved."""
    require(request, "roadmaps.add_handoff")
    sheet = HandoffSheet(request.POST, user=request.user)
    return render(request, "roadmaps/includes/handoff_gate.html#items", {"sheet": sheet})


@login_required
def handoff_people(request: AppRequest) -> HttpResponse:
    """The decision roles of the people of the account the form now names."""
    require(request, "roadmaps.add_handoff")
    try:
        account = AccountNameField(required=False).clean(request.GET.get("account", ""))
    except ValidationError:
        account = None
    people = KnownPeopleForm(account=account, prefix="known")
    return render(request, "roadmaps/includes/handoff_people.html", {"people": people})


# The list and the page -----------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def handoff_list(request: AppRequest) -> HttpResponseBase:
    filters, invalid = parse_filters(HandoffFilter, request.GET)
    rows = filters.apply(handoffs.handoff_list(user=request.user), user=request.user)
    if kind := export_format(request):
        return exports.handoff_export(kind, rows)
    page = paginate(rows, page=request.GET.get("page"), per_page=settings.RAPPORT_PAGE_SIZE)
    context = {
        "page": page,
        "filters": filters,
        "box": filters.box_for(request.user),
        "invalid": invalid,
        "filters_query": querystring_without_page(request.GET),
        "can_add": request.user.has_perm("roadmaps.add_handoff"),
        "sees_all": is_manager_of_the_book.test(request.user),
    }
    template = "roadmaps/handoff_list.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


@login_required
def handoff_detail(request: AppRequest, pk: int) -> HttpResponse:
    handoff = _handoff(request, pk)
    commitments = list(handoff.commitments.select_related("owner"))
    handoffs.mark_changeable_commitments(user=request.user, commitments=commitments)
    context: dict[str, Any] = {
        "handoff": handoff,
        "commitments": commitments,
        "can_change": request.user.has_perm("roadmaps.change_handoff", handoff),
        "can_acknowledge": handoffs.may_acknowledge(request.user, handoff),
        "acknowledge_form": AcknowledgeForm(),
        "history": history_entries(
            list(handoff.history.select_related("history_user")), Handoff, subject=str(handoff)
        ),
    }
    context["key_people"] = list(
        handoffs.gate_people(handoff.account).exclude(decision_roles=[])[:KEY_PEOPLE_SHOWN]
    )
    if handoff.status == HandoffStatus.DRAFT:
        context["gate"] = handoffs.handoff_gate(
            account=handoff.account, client_goals=handoff.client_goals
        )
    return render(request, "roadmaps/handoff_detail.html", context)


@login_required
@require_POST
def handoff_submit(request: AppRequest, pk: int) -> HttpResponse:
    handoff = _handoff(request, pk)
    require(request, "roadmaps.change_handoff", handoff)
    try:
        handoffs.handoff_submit(handoff=handoff, acting_user=request.user)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
        return redirect(handoff)
    messages.success(
        request,
        _("Handoff of %(account)s submitted to %(manager)s.")
        % {"account": handoff.account, "manager": handoff.account_manager},
    )
    return redirect(handoff)


@login_required
def handoff_acknowledge(request: AppRequest, pk: int) -> HttpResponse:
    handoff = _handoff(request, pk)
    if not handoffs.may_acknowledge(request.user, handoff):
        return _refused(request, handoff)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            handoffs.handoff_acknowledge(
                handoff=handoff, acting_user=request.user, note=form.cleaned_data["note"]
            )
        except NotAllowedError:
            return _refused(request, handoff)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(handoff)
        messages.success(
            request,
            _("You acknowledged the handoff of %(account)s; %(executive)s will be told.")
            % {"account": handoff.account, "executive": handoff.executive},
        )
        return redirect(handoff)
    return render(request, "roadmaps/handoff_acknowledge.html", {"handoff": handoff, "form": form})


def _refused(request: AppRequest, handoff: Handoff) -> HttpResponse:
    """Only the account manager a handoff names may acknowledge it: say so plainly."""
    context = {"handoff": handoff}
    return render(request, "roadmaps/handoff_refused.html", context, status=403)
