"""The contract pages: the list across the book, one contract, and how it is written and changed.

A contract is created with its lines; once amended, its lines change only through amendments,
which keep what was in force before as history. The status and the notice are small forms on the
contract's page that post and come back to it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.accounts.forms import active_users
from rapport.accounts.models import Account
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.exports import export_format
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import (
    parse_filters,
    querystring_without_page,
    record_from,
    require,
)
from rapport.revenue import exports, selectors, services
from rapport.revenue.choices import ContractStatus, LossReason
from rapport.revenue.filters import ContractFilter
from rapport.revenue.forms.contracts import (
    AmendSheet,
    ContractSheet,
    ContractStatusForm,
    NoticeForm,
    known_currencies,
)
from rapport.revenue.models import Contract, ContractLine, Product
from rapport.revenue.rates import company_currency

VIEW = "revenue.view_revenue"
ADD = "revenue.add_contract"
CHANGE = "revenue.change_contract"
HISTORY_PAGE_SIZE = 50
LIST_TEMPLATE = "revenue/contract_list.html"
FORM_TEMPLATE = "revenue/contract_form.html"


def _contract(pk: int) -> Contract:
    try:
        return selectors.contract_detail(pk=pk)
    except Contract.DoesNotExist as error:
        raise Http404 from error


def _total(lines: list[ContractLine], attribute: str) -> Decimal:
    return sum((getattr(line, attribute) for line in lines), Decimal("0.00"))


# The list ------------------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def contract_list(request: AppRequest) -> HttpResponseBase:
    """Every contract of the book, filtered, with its ARR today in the company currency."""
    require(request, VIEW)
    filters, invalid = parse_filters(ContractFilter, request.GET)
    if kind := export_format(request):
        return exports.contract_export(kind, selectors.contract_list(filters=filters))
    page = paginate(
        selectors.contract_list(filters=filters),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    account = Account.objects.filter(pk=filters.account).first() if filters.account else None
    context = {
        "page": page,
        "filters": filters,
        "invalid": invalid,
        "filters_query": querystring_without_page(request.GET),
        "account": account,
        "company_currency": company_currency(),
        "today": timezone.localdate(),
        # Adding takes the right to edit the account, which the form asks for.
        "can_add": (
            request.user.has_perm(ADD, account)
            if account is not None
            else not request.user.is_read_only
        ),
    }
    if request.htmx:
        return render(request, f"{LIST_TEMPLATE}#results", context)
    choices = {
        "statuses": ContractStatus.choices,
        "owners": active_users(),
        "products": Product.objects.order_by("search_name", "id"),
        "currencies": known_currencies(),
    }
    return render(request, LIST_TEMPLATE, context | choices)


# Writing a contract --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: AppRequest) -> HttpResponse:
    """A new contract with its lines, for the account given or one picked on the form."""
    require(request, VIEW)
    account = record_from(Account, request.GET.get("account"))
    if account is not None:
        require(request, ADD, account)
    elif request.user.is_read_only:
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    sheet = ContractSheet(data, pick_account=account is None)
    if data is not None and sheet.is_valid():
        target = account or sheet.form.chosen_account()
        assert target is not None  # The form requires one when the page names none.
        contract = sheet.run(
            lambda: services.contract_create(
                acting_user=request.user,
                account=target,
                data=sheet.form.contract_data(),
                lines=sheet.line_specs(),
            )
        )
        if contract is not None:
            messages.success(request, _("Contract “%(contract)s” added.") % {"contract": contract})
            return redirect(contract)
    context = {
        "sheet": sheet,
        "account": account,
        "contract": None,
        "currencies": known_currencies(),
        "company_currency": company_currency(),
    }
    return render(request, FORM_TEMPLATE, context)


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: AppRequest, pk: int) -> HttpResponse:
    """Correct a contract; its lines too while no amendment was recorded."""
    contract = _contract(pk)
    require(request, CHANGE, contract)
    with_lines = not list(contract.amendments.all())
    data = request.POST if request.method == "POST" else None
    sheet = ContractSheet(data, contract=contract, with_lines=with_lines)
    if data is not None and sheet.is_valid():
        lines = sheet.line_specs() if with_lines and sheet.lines_changed(contract) else None
        saved = sheet.run(
            lambda: services.contract_update(
                contract=contract,
                acting_user=request.user,
                data=sheet.form.contract_data(),
                expected_version=sheet.form.expected_version,
                lines=lines,
            )
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(contract)s” saved.") % {"contract": saved})
            return redirect(saved)
    context = {
        "sheet": sheet,
        "account": contract.account,
        "contract": contract,
        "currencies": known_currencies(),
        "company_currency": company_currency(),
    }
    return render(request, FORM_TEMPLATE, context)


def _amend_day(request: AppRequest, contract: Contract, today: datetime.date) -> datetime.date:
    """The day whose lines the amendment starts from: the one asked for, or today within the
    term (the amendment cannot take effect on its first day)."""
    asked = request.GET.get("on", "")
    try:
        day = datetime.date.fromisoformat(asked) if asked else today
    except ValueError:
        day = today
    earliest = contract.start_date + datetime.timedelta(days=1)
    return min(max(day, earliest), contract.end_date)


@login_required
@require_http_methods(["GET", "POST"])
def contract_amend(request: AppRequest, pk: int) -> HttpResponse:
    """Change what the client has from a day on: every line in force from then, as it will be."""
    contract = _contract(pk)
    require(request, CHANGE, contract)
    day = _amend_day(request, contract, timezone.localdate())
    in_force = [line for line in contract.lines.all() if line.in_force_on(day)]
    data = request.POST if request.method == "POST" else None
    sheet = AmendSheet(data, contract=contract, initial_lines=in_force)
    sheet.form.initial.setdefault("effective_date", day)
    if data is not None and sheet.is_valid():
        amendment = sheet.run(
            lambda: services.contract_amend(
                contract=contract,
                acting_user=request.user,
                effective_date=sheet.form.cleaned_data["effective_date"],
                reason=sheet.form.cleaned_data["reason"],
                lines=sheet.line_specs(),
                expected_version=sheet.form.expected_version,
            )
        )
        if amendment is not None:
            messages.success(
                request,
                _("The amendment from %(date)s is recorded.")
                % {"date": amendment.effective_date.isoformat()},
            )
            return redirect(contract)
    context = {
        "sheet": sheet,
        "contract": contract,
        "account": contract.account,
        "day": day,
        "lines_on_day": in_force,
        "company_currency": company_currency(),
    }
    return render(request, "revenue/contract_amend.html", context)


# One contract --------------------------------------------------------------------------------


def _detail_context(request: AppRequest, contract: Contract) -> dict[str, Any]:
    today = timezone.localdate()
    lines = list(contract.lines.all())
    in_force = [line for line in lines if line.in_force_on(today)]
    counting = in_force if contract.counts else []
    can_change = request.user.has_perm(CHANGE, contract)
    is_live = contract.status != ContractStatus.CANCELLED
    history = sorted(lines, key=lambda line: (line.product.search_name, line.start_date, line.pk))
    return {
        "contract": contract,
        "account": contract.account,
        "today": today,
        "lines_today": in_force,
        "line_history": history,
        "amendments": list(contract.amendments.all()),
        "next_terms": list(contract.next_terms.all()),
        "opportunities": list(contract.opportunities.all()),
        "arr_company": _total(counting, "annual_value_company"),
        "arr_contract": _total(counting, "annual_value"),
        "company_currency": company_currency(),
        "can_change": can_change and is_live,
        "can_set_status": can_change and contract.status != ContractStatus.RENEWED,
        "status_form": ContractStatusForm(initial={"version": contract.version}),
        "notice_form": NoticeForm(today=today) if can_change and contract.notice_date else None,
        "loss_reasons": LossReason.choices,
    }


@login_required
@require_GET
def contract_detail(request: AppRequest, pk: int) -> HttpResponse:
    """A contract: its lines today and over time, amendments, ARR, renewal and notice."""
    require(request, VIEW)
    contract = _contract(pk)
    return render(request, "revenue/contract_detail.html", _detail_context(request, contract))


def _refusal(request: AppRequest, error: ValidationError | StaleVersionError) -> None:
    if isinstance(error, StaleVersionError):
        messages.error(request, str(error.message))
    else:
        messages.error(request, " ".join(error.messages))


@login_required
@require_POST
def contract_status(request: AppRequest, pk: int) -> HttpResponse:
    """Mark the contract churned (with the reason) or cancelled, or make it active again."""
    contract = get_object_or_404(Contract.objects.select_related("account"), pk=pk)
    require(request, CHANGE, contract)
    form = ContractStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status the contract can take."))
        return redirect(contract)
    try:
        saved = services.contract_set_status(
            contract=contract,
            acting_user=request.user,
            status=form.cleaned_data["status"],
            churn_reason=form.cleaned_data["churn_reason"],
            expected_version=form.cleaned_data["version"],
        )
    except NotAllowedError as error:
        raise PermissionDenied from error
    except (ValidationError, StaleVersionError) as error:
        _refusal(request, error)
    else:
        messages.success(
            request,
            _("“%(contract)s”: %(status)s.")
            % {"contract": saved, "status": saved.get_status_display()},
        )
    return redirect(contract)


@login_required
@require_POST
def contract_notice(request: AppRequest, pk: int) -> HttpResponse:
    """Record the day the client was reminded of the notice date of a tacit renewal."""
    contract = get_object_or_404(Contract.objects.select_related("account"), pk=pk)
    require(request, CHANGE, contract)
    form = NoticeForm(request.POST, today=timezone.localdate())
    if not form.is_valid():
        problems = [str(message) for errors in form.errors.values() for message in errors]
        messages.error(request, " ".join(problems))
        return redirect(contract)
    try:
        services.contract_record_notice(
            contract=contract,
            acting_user=request.user,
            notified_on=form.cleaned_data["client_notified_on"],
        )
    except NotAllowedError as error:
        raise PermissionDenied from error
    except (ValidationError, StaleVersionError) as error:
        _refusal(request, error)
    else:
        messages.success(request, _("The day the client was notified is recorded."))
    return redirect(contract)


@login_required
@require_GET
def contract_history(request: AppRequest, pk: int) -> HttpResponse:
    """Who changed what on the contract, its lines and its amendments."""
    require(request, VIEW)
    contract = get_object_or_404(Contract.objects.select_related("account"), pk=pk)
    page = paginate(
        selectors.contract_history(contract),
        page=request.GET.get("page"),
        per_page=HISTORY_PAGE_SIZE,
    )
    context = {"contract": contract, "account": contract.account, "page": page}
    return render(request, "revenue/contract_history.html", context)
