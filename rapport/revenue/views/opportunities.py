"""Opportunities: the list, the board by stage, one opportunity, how it closes; the renewals."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from rapport.accounts.choices import Segment, Tier
from rapport.accounts.models import Account
from rapport.communications.forms import assignable_users
from rapport.core.exceptions import StaleVersionError
from rapport.core.exports import export_format
from rapport.core.history import history_entries
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
from rapport.revenue import exports, selectors, services
from rapport.revenue.choices import (
    ForecastCategory,
    OpportunityStatus,
    OpportunityType,
)
from rapport.revenue.filters import OpportunityFilter
from rapport.revenue.forms.opportunities import (
    LoseForm,
    MoveForm,
    OpportunitySheet,
    RenewalFilter,
    WinForm,
    default_type,
)
from rapport.revenue.metrics import month_end
from rapport.revenue.models import Contract, Opportunity, OpportunityLine, PipelineStage
from rapport.revenue.rates import company_currency

BOARD_TEMPLATE = "revenue/opportunity_board.html"
RENEWAL_MONTHS = 12
# The contracts still waiting for their renewal: a short list to act on, not a report.
UNRENEWED_LIMIT = 50


def _opportunity(pk: int) -> Opportunity:
    return get_object_or_404(Opportunity.objects.select_related("account", "stage"), pk=pk)


def _filter_choices() -> dict[str, Any]:
    return {
        "users": assignable_users(),
        "types": OpportunityType.choices,
        "statuses": OpportunityStatus.choices,
        "stages": PipelineStage.objects.filter(outcome=OpportunityStatus.OPEN).order_by(
            "position", "id"
        ),
        "categories": ForecastCategory.choices,
        "tiers": Tier.choices,
        "segments": Segment.choices,
    }


# The list and the board ----------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def opportunity_list(request: AppRequest) -> HttpResponseBase:
    filters, invalid = parse_filters(OpportunityFilter, request.GET)
    rows = selectors.opportunity_list(user=request.user, filters=filters)
    if kind := export_format(request):
        return exports.opportunity_export(kind, rows)
    totals = selectors.opportunity_totals(rows)
    # The totals have counted the rows already: the paginator need not count them again.
    paginator = Paginator(rows, settings.RAPPORT_PAGE_SIZE)
    paginator.count = totals.count
    page: Page[Opportunity] = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "totals": totals,
        "filters": filters,
        "invalid": invalid,
        "filters_query": querystring_without_page(request.GET),
        "today": timezone.localdate(),
        "company_currency": company_currency(),
    }
    template = "revenue/opportunity_list.html"
    if request.htmx:
        return render(request, f"{template}#results", context)
    return render(request, template, context | _filter_choices())


def _board_context(request: AppRequest) -> dict[str, Any]:
    filters, invalid = parse_filters(OpportunityFilter, request.GET)
    # The board shows what is still open, every stage at once.
    filters = filters.model_copy(update={"status": OpportunityStatus.OPEN, "stage": None})
    board = selectors.opportunity_board(user=request.user, filters=filters)
    selectors.mark_changeable(
        user=request.user, opportunities=[card for column in board.columns for card in column.cards]
    )
    query = _board_query(request)
    return {
        "board": board,
        "filters": filters,
        "invalid": invalid,
        "board_query": query,
        "board_url": reverse("revenue:opportunity_board") + (f"?{query}" if query else ""),
        "today": timezone.localdate(),
        "company_currency": company_currency(),
    }


def _board_query(request: AppRequest) -> str:
    """The board's filters as a query string: those of the list but the status and the stage."""
    query = request.GET.copy()
    for name in ("page", "status", "stage"):
        query.pop(name, None)
    return query.urlencode()


@login_required
@vary_on_headers("HX-Request")
def opportunity_board(request: AppRequest) -> HttpResponse:
    context = _board_context(request)
    if request.htmx:
        return render(request, f"{BOARD_TEMPLATE}#board", context)
    return render(request, BOARD_TEMPLATE, context | _filter_choices())


@login_required
@require_POST
@vary_on_headers("HX-Request")
def opportunity_move(request: AppRequest, pk: int) -> HttpResponse:
    """Move a card to another stage: a won stage wins it, a lost one asks why first."""
    opportunity = _opportunity(pk)
    require(request, "revenue.change_opportunity", opportunity)
    query = _board_query(request)
    board_url = reverse("revenue:opportunity_board") + (f"?{query}" if query else "")
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a stage in use to move it to."))
    elif form.cleaned_data["stage"].outcome == OpportunityStatus.LOST:
        lose_url = (
            reverse("revenue:opportunity_lose", args=[pk]) + "?" + urlencode({"next": board_url})
        )
        return HttpResponseClientRedirect(lose_url) if request.htmx else redirect(lose_url)
    else:
        _move(request, opportunity, form.cleaned_data["stage"], form.cleaned_data["version"])
    if request.htmx:
        return render(request, f"{BOARD_TEMPLATE}#board", _board_context(request))
    return redirect(safe_next(request, board_url))


def _move(
    request: AppRequest, opportunity: Opportunity, stage: PipelineStage, version: int | None
) -> None:
    try:
        moved = services.opportunity_move(
            opportunity=opportunity,
            acting_user=request.user,
            stage=stage,
            expected_version=version or None,
        )
    except StaleVersionError:
        messages.warning(
            request,
            _("“%(name)s” changed since the board was drawn: here it is as it stands now.")
            % {"name": opportunity},
        )
    except ValidationError as error:
        messages.error(
            request,
            _("“%(name)s” was not moved: %(problem)s")
            % {"name": opportunity, "problem": " ".join(error.messages)},
        )
    else:
        if moved.status == OpportunityStatus.WON:
            messages.success(request, _("“%(name)s” is won.") % {"name": moved})
        else:
            messages.success(
                request,
                _("“%(name)s” moved to %(stage)s.") % {"name": moved, "stage": moved.stage},
            )


# One opportunity ------------------------------------------------------------------------------


@login_required
def opportunity_create(request: AppRequest) -> HttpResponse:
    account = record_from(Account, request.GET.get("account"))
    if account is not None:
        require(request, "revenue.add_opportunity", account)
    initial = {"type": default_type(request.GET.get("type"))}
    contract = record_from(Contract, request.GET.get("contract"))
    if contract is not None and account is not None and contract.account_id == account.pk:
        initial |= {"contract": contract.pk, "currency": contract.currency}
        if initial["type"] == OpportunityType.RENEWAL:
            initial["close_date"] = contract.end_date
    sheet = OpportunitySheet(
        request.POST if request.method == "POST" else None,
        user=request.user,
        account=account,
        initial=initial,
    )
    if request.method == "POST" and sheet.is_valid():
        chosen = sheet.form.chosen_account()
        require(request, "revenue.add_opportunity", chosen)
        saved = sheet.run(
            lambda: services.opportunity_create(
                acting_user=request.user,
                account=chosen,
                data=sheet.form.opportunity_data(),
                lines=sheet.line_specs() or (),
            )
        )
        if saved is not None:
            messages.success(request, _("Opportunity “%(name)s” opened.") % {"name": saved})
            return redirect(saved.get_absolute_url())
    default = account.get_absolute_url() if account else reverse("revenue:opportunity_list")
    context = {"sheet": sheet, "account": account, "opportunity": None, "back": default}
    return render(request, "revenue/opportunity_form.html", context)


@login_required
def opportunity_edit(request: AppRequest, pk: int) -> HttpResponse:
    opportunity = get_object_or_404(
        Opportunity.objects.select_related("account", "stage", "contract"), pk=pk
    )
    require(request, "revenue.change_opportunity", opportunity)
    if not opportunity.is_open:
        messages.info(request, _("This opportunity is closed: reopen it to change it."))
        return redirect(opportunity.get_absolute_url())
    sheet = OpportunitySheet(
        request.POST if request.method == "POST" else None,
        user=request.user,
        opportunity=opportunity,
    )
    if request.method == "POST" and sheet.is_valid():
        saved = sheet.run(
            lambda: services.opportunity_update(
                opportunity=opportunity,
                acting_user=request.user,
                data=sheet.form.opportunity_data(),
                expected_version=sheet.form.expected_version,
                lines=sheet.line_specs(),
            )
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(name)s” saved.") % {"name": saved})
            return redirect(safe_next(request, saved.get_absolute_url()))
    context = {
        "sheet": sheet,
        "account": opportunity.account,
        "opportunity": opportunity,
        "back": safe_next(request, opportunity.get_absolute_url()),
    }
    return render(request, "revenue/opportunity_form.html", context)


@login_required
def opportunity_detail(request: AppRequest, pk: int) -> HttpResponse:
    try:
        opportunity = selectors.opportunity_detail(pk=pk)
    except Opportunity.DoesNotExist as error:
        raise Http404 from error
    context: dict[str, Any] = {
        "opportunity": opportunity,
        "lines": list(opportunity.lines.all()),
        "consensus": selectors.consensus(opportunity),
        "committee": list(
            opportunity.contacts.filter(stakeholder__deleted_at__isnull=True).select_related(
                "stakeholder"
            )
        ),
        "can_change": request.user.has_perm("revenue.change_opportunity", opportunity),
        "company_currency": company_currency(),
        "today": timezone.localdate(),
    }
    contract = opportunity.contract
    if opportunity.is_renewal and contract is not None and opportunity.is_open:
        context["next_term"] = services.next_term_dates(contract)
    return render(request, "revenue/opportunity_detail.html", context)


def _close_page(
    request: AppRequest, opportunity: Opportunity, form: WinForm, outcome: str
) -> HttpResponse:
    context = {
        "opportunity": opportunity,
        "form": form,
        "outcome": outcome,
        "back": safe_next(request, opportunity.get_absolute_url()),
    }
    if opportunity.is_renewal and opportunity.contract is not None:
        context["next_term"] = services.next_term_dates(opportunity.contract)
    return render(request, "revenue/opportunity_close.html", context)


@login_required
def opportunity_win(request: AppRequest, pk: int) -> HttpResponse:
    opportunity = get_object_or_404(
        Opportunity.objects.select_related("account", "stage", "contract"), pk=pk
    )
    require(request, "revenue.change_opportunity", opportunity)
    if not opportunity.is_open:
        messages.info(request, _("This opportunity is already closed."))
        return redirect(opportunity.get_absolute_url())
    form = WinForm(request.POST or None, opportunity=opportunity)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.opportunity_win(
                opportunity=opportunity,
                acting_user=request.user,
                closed_on=form.cleaned_data["closed_on"],
                close_note=form.cleaned_data["close_note"],
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            if saved.next_contract is not None:
                messages.success(
                    request,
                    _("“%(name)s” is won: the next term runs from %(start)s to %(end)s.")
                    % {
                        "name": saved,
                        "start": saved.next_contract.start_date.isoformat(),
                        "end": saved.next_contract.end_date.isoformat(),
                    },
                )
            else:
                messages.success(request, _("“%(name)s” is won.") % {"name": saved})
            return redirect(safe_next(request, saved.get_absolute_url()))
    return _close_page(request, opportunity, form, OpportunityStatus.WON)


@login_required
def opportunity_lose(request: AppRequest, pk: int) -> HttpResponse:
    opportunity = get_object_or_404(
        Opportunity.objects.select_related("account", "stage", "contract"), pk=pk
    )
    require(request, "revenue.change_opportunity", opportunity)
    if not opportunity.is_open:
        messages.info(request, _("This opportunity is already closed."))
        return redirect(opportunity.get_absolute_url())
    form = LoseForm(request.POST or None, opportunity=opportunity)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.opportunity_lose(
                opportunity=opportunity,
                acting_user=request.user,
                loss_reason=form.cleaned_data["loss_reason"],
                closed_on=form.cleaned_data["closed_on"],
                close_note=form.cleaned_data["close_note"],
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(request, _("“%(name)s” is lost.") % {"name": saved})
            return redirect(safe_next(request, saved.get_absolute_url()))
    return _close_page(request, opportunity, form, OpportunityStatus.LOST)


@login_required
@require_POST
def opportunity_reopen(request: AppRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity(pk)
    require(request, "revenue.change_opportunity", opportunity)
    version = request.POST.get("version", "")
    try:
        reopened = services.opportunity_reopen(
            opportunity=opportunity,
            acting_user=request.user,
            expected_version=int(version) if version.isdigit() else None,
        )
    except StaleVersionError as error:
        messages.warning(request, str(error.message))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(name)s” is open again.") % {"name": reopened})
    return redirect(opportunity.get_absolute_url())


@login_required
def opportunity_history(request: AppRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity(pk)
    records = list(opportunity.history.select_related("history_user"))
    line_records = list(
        OpportunityLine.history.filter(opportunity_id=pk).select_related("history_user")
    )
    entries = history_entries(records, Opportunity, subject=opportunity.name)
    entries += history_entries(line_records, OpportunityLine, subject_fields=("product",))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    page = paginate(entries, page=request.GET.get("page"), per_page=50)
    context = {"opportunity": opportunity, "page": page}
    return render(request, "revenue/opportunity_history.html", context)


# Renewals -------------------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def renewal_list(request: AppRequest) -> HttpResponseBase:
    filters, invalid = parse_filters(RenewalFilter, request.GET)
    today = timezone.localdate()
    start = today.replace(day=1)
    end = month_end(services.add_months(start, RENEWAL_MONTHS - 1))
    chosen = filters.metrics_filter(user_id=request.user.pk)
    months = selectors.renewal_months(start=start, end=end, filters=chosen, today=today)
    lead_days = settings.RAPPORT_RENEWAL_LEAD_DAYS
    waiting = selectors.contracts_without_renewal(today=today, lead_days=lead_days, filters=chosen)
    if kind := export_format(request):
        return exports.renewal_export(
            kind, waiting=waiting, start=start, end=end, filters=chosen, today=today
        )
    unrenewed = list(waiting[: UNRENEWED_LIMIT + 1])
    context = {
        "months": months,
        "filters": filters,
        "invalid": invalid,
        "unrenewed": unrenewed[:UNRENEWED_LIMIT],
        "unrenewed_more": len(unrenewed) > UNRENEWED_LIMIT,
        "lead_days": lead_days,
        "today": today,
        "start": start,
        "end": end,
        "list_query": _renewal_list_query(filters),
        "company_currency": company_currency(),
    }
    template = "revenue/renewal_list.html"
    if request.htmx:
        return render(request, f"{template}#results", context)
    return render(request, template, context | _filter_choices())


def _renewal_list_query(filters: RenewalFilter) -> str:
    """The opportunity list's filters showing a month's renewals (the link under each month)."""
    query: dict[str, Any] = {"type": OpportunityType.RENEWAL, "status": "any"}
    if filters.tier:
        query["tier"] = filters.tier
    if filters.segment:
        query["segment"] = filters.segment
    if filters.owner is not None:
        query["owner"] = filters.owner
    return urlencode(query)
