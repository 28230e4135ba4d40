"""The commitments ledger: the list, adding and editing a promise, marking it kept in one click."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.accounts.models import Account
from rapport.communications.forms import assignable_users
from rapport.communications.models import Touchpoint
from rapport.communications.selectors import my_accounts
from rapport.core.exports import export_format
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import (
    parse_filters,
    querystring_without_page,
    record_from,
    require,
    run_service,
    safe_next,
)
from rapport.roadmaps import exports, handoffs, services
from rapport.roadmaps.choices import CommitmentSource, CommitmentStatus
from rapport.roadmaps.forms.commitments import CommitmentFilter, CommitmentForm
from rapport.roadmaps.models import Commitment

ROW_TEMPLATE = "roadmaps/includes/commitment_row.html"
# Other parts of a page listen to this to re-read what a changed status made stale.
COMMITMENT_STATUS_CHANGED = "commitment-status-changed"


@login_required
@vary_on_headers("HX-Request")
def commitment_list(request: AppRequest) -> HttpResponseBase:
    filters, invalid = parse_filters(CommitmentFilter, request.GET)
    rows = filters.apply(
        handoffs.commitment_list(user=request.user), user=request.user, today=timezone.localdate()
    )
    if kind := export_format(request):
        return exports.commitment_export(kind, rows)
    page = paginate(rows, page=request.GET.get("page"), per_page=settings.RAPPORT_PAGE_SIZE)
    page.object_list = list(page.object_list)
    handoffs.mark_changeable_commitments(user=request.user, commitments=page.object_list)
    account = Account.objects.filter(pk=filters.account).first() if filters.account else None
    context = {
        "page": page,
        "filters": filters,
        "account": account,
        "invalid": invalid,
        "filters_query": querystring_without_page(request.GET),
        "today": timezone.localdate(),
    }
    template = "roadmaps/commitment_list.html"
    if request.htmx:
        return render(request, f"{template}#results", context)
    return render(request, template, context | _filter_choices(request, account))


def _filter_choices(request: AppRequest, account: Account | None) -> dict[str, Any]:
    accounts = list(my_accounts(user=request.user).order_by("search_name", "id"))
    if account is not None and all(row.pk != account.pk for row in accounts):
        accounts.append(account)
    return {
        "accounts": accounts,
        "users": assignable_users(),
        "statuses": CommitmentStatus.choices,
        "sources": CommitmentSource.choices,
    }


@login_required
def commitment_create(request: AppRequest) -> HttpResponse:
    touchpoint = record_from(Touchpoint, request.GET.get("touchpoint"))
    account = touchpoint.account if touchpoint else record_from(Account, request.GET.get("account"))
    if account is not None:
        require(request, "roadmaps.change_commitments", account)
    form = CommitmentForm(
        request.POST or None, user=request.user, account=account, touchpoint=touchpoint
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen_account()
        require(request, "roadmaps.change_commitments", chosen)
        saved = run_service(
            form,
            lambda: services.commitment_create(
                acting_user=request.user,
                account=chosen,
                data=form.commitment_data(),
                source=CommitmentSource.TOUCHPOINT if touchpoint else CommitmentSource.DIRECT,
                touchpoint=touchpoint,
            ),
        )
        if saved is not None:
            messages.success(request, _("Commitment “%(title)s” recorded.") % {"title": saved})
            return redirect(safe_next(request, saved.get_absolute_url()))
    default = touchpoint.get_absolute_url() if touchpoint else reverse("roadmaps:commitment_list")
    context = {
        "form": form,
        "account": account,
        "touchpoint": touchpoint,
        "commitment": None,
        "back": safe_next(request, default),
    }
    return render(request, "roadmaps/commitment_form.html", context)


@login_required
def commitment_edit(request: AppRequest, pk: int) -> HttpResponse:
    commitment = get_object_or_404(Commitment.objects.select_related("account", "owner"), pk=pk)
    require(request, "roadmaps.change_commitments", commitment.account)
    form = CommitmentForm(request.POST or None, instance=commitment, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.commitment_update(
                commitment=commitment,
                acting_user=request.user,
                data=form.commitment_data(),
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(title)s” saved.") % {"title": saved})
            return redirect(safe_next(request, saved.get_absolute_url()))
    context = {
        "form": form,
        "account": commitment.account,
        "commitment": commitment,
        "back": safe_next(request, commitment.get_absolute_url()),
    }
    return render(request, "roadmaps/commitment_form.html", context)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def commitment_status(request: AppRequest, pk: int) -> HttpResponse:
    commitment = get_object_or_404(Commitment.objects.select_related("account"), pk=pk)
    require(request, "roadmaps.change_commitments", commitment.account)
    status = request.POST.get("status", "")
    if status not in CommitmentStatus.values:
        return HttpResponseBadRequest(_("Unknown status."))
    services.commitment_set_status(commitment=commitment, acting_user=request.user, status=status)
    commitment = Commitment.objects.select_related("account", "owner").get(pk=pk)
    if not request.htmx:
        messages.success(
            request,
            _("“%(title)s”: %(status)s.")
            % {"title": commitment, "status": commitment.get_status_display()},
        )
        return redirect(safe_next(request, commitment.get_absolute_url()))
    commitment.can_change = True  # type: ignore[attr-defined]
    in_account = request.POST.get("in_account") == str(commitment.account_id)
    context = {
        "commitment": commitment,
        "commitment_next": safe_next(request, ""),
        "in_account": commitment.account if in_account else None,
        "today": timezone.localdate(),
    }
    response = render(request, ROW_TEMPLATE, context)
    response["HX-Trigger"] = COMMITMENT_STATUS_CHANGED
    return response


@login_required
def account_commitments(request: AppRequest, pk: int) -> HttpResponse:
    """The account page's commitments card, read once the page is up."""
    account = get_object_or_404(Account, pk=pk)
    context = {"account": account, "back": account.get_absolute_url()}
    return render(request, "roadmaps/includes/commitment_account_card.html", context)


@login_required
def today_commitments(request: AppRequest) -> HttpResponse:
    """The today view's card of handoffs waiting and commitments due, read once the page is up."""
    context = {"today_url": reverse("communications:today")}
    return render(request, "roadmaps/includes/commitment_today_card.html", context)
