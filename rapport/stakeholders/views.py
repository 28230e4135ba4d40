"""Stakeholder pages: an account's people, one person, edits, history and the trash."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.accounts.models import Account
from rapport.core.history import history_entries
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import parse_filters, querystring_without_page, require, run_service
from rapport.stakeholders import selectors, services
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.filters import StakeholderFilter
from rapport.stakeholders.forms import StakeholderForm
from rapport.stakeholders.models import Stakeholder


def _get_stakeholder(request: AppRequest, pk: int, include_trash: bool = False) -> Stakeholder:
    try:
        return selectors.stakeholder_detail(user=request.user, pk=pk, include_trash=include_trash)
    except Stakeholder.DoesNotExist as error:
        raise Http404 from error


@login_required
@vary_on_headers("HX-Request")
def stakeholder_list(request: AppRequest) -> HttpResponse:
    filters, invalid = parse_filters(StakeholderFilter, request.GET)
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


@login_required
def stakeholder_detail(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _get_stakeholder(request, pk, include_trash=request.user.is_administrator)
    context = {
        "stakeholder": stakeholder,
        "account": stakeholder.account,
        "direct_reports": selectors.stakeholder_direct_reports(stakeholder=stakeholder),
        "can_edit": not stakeholder.in_trash
        and request.user.has_perm("stakeholders.change_stakeholder", stakeholder),
    }
    return render(request, "stakeholders/stakeholder_detail.html", context)


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
    stakeholder = _get_stakeholder(request, pk)
    require(request, "stakeholders.change_stakeholder", stakeholder)
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
    stakeholder = _get_stakeholder(request, pk)
    require(request, "stakeholders.change_stakeholder", stakeholder)
    services.stakeholder_mark_left(stakeholder=stakeholder, acting_user=request.user)
    messages.success(
        request, _("%(name)s is marked as having left.") % {"name": stakeholder.full_name}
    )
    return redirect(stakeholder)


@login_required
@require_POST
def stakeholder_delete(request: AppRequest, pk: int) -> HttpResponse:
    stakeholder = _get_stakeholder(request, pk)
    require(request, "stakeholders.delete_stakeholder", stakeholder)
    services.stakeholder_delete(stakeholder=stakeholder, acting_user=request.user)
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
