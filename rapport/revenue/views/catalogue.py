"""The catalogue pages: products by family, the families, and the exchange rates.

Everyone signed in reads them; administrators and heads of account management change them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.core.exceptions import NotAllowedError
from rapport.core.exports import export_format
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import parse_filters, querystring_without_page, require, run_service
from rapport.revenue import exports, selectors, services
from rapport.revenue.filters import ProductFilter, ProductState
from rapport.revenue.forms.catalogue import FamilyForm, ProductForm, RateForm
from rapport.revenue.forms.contracts import known_currencies
from rapport.revenue.models import ExchangeRate, Product, ProductFamily
from rapport.revenue.rates import company_currency

VIEW = "revenue.view_revenue"
CHANGE = "revenue.change_catalogue"
PRODUCT_LIST_TEMPLATE = "revenue/product_list.html"
RATES_PER_PAGE = 50


def _posted(request: AppRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


# Products ------------------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def product_list(request: AppRequest) -> HttpResponseBase:
    """The catalogue, family by family, with the families themselves below."""
    require(request, VIEW)
    filters, invalid = parse_filters(ProductFilter, request.GET)
    if kind := export_format(request):
        return exports.product_export(kind, selectors.product_list(filters=filters))
    page = paginate(
        selectors.product_list(filters=filters),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    context = {
        "page": page,
        "filters": filters,
        "invalid": invalid,
        "filters_query": querystring_without_page(request.GET),
        "company_currency": company_currency(),
        "can_change": request.user.has_perm(CHANGE),
    }
    if request.htmx:
        return render(request, f"{PRODUCT_LIST_TEMPLATE}#results", context)
    families = ProductFamily.objects.order_by("position", "name")
    context |= {"families": families, "states": ProductState.choices}
    return render(request, PRODUCT_LIST_TEMPLATE, context)


@login_required
@require_GET
def product_detail(request: AppRequest, pk: int) -> HttpResponse:
    """A product, and how many contract lines hold it today."""
    require(request, VIEW)
    product = get_object_or_404(Product.objects.select_related("family"), pk=pk)
    lines, contracts = selectors.product_usage(product=product)
    context = {
        "product": product,
        "live_lines": lines,
        "live_contracts": contracts,
        "company_currency": company_currency(),
        "can_change": request.user.has_perm(CHANGE),
    }
    return render(request, "revenue/product_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: AppRequest) -> HttpResponse:
    require(request, CHANGE)
    family = request.GET.get("family", "")
    initial = {"family": int(family)} if family.isdigit() else {}
    form = ProductForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        product = run_service(
            form,
            lambda: services.product_create(acting_user=request.user, data=form.product_data()),
        )
        if product is not None:
            messages.success(request, _("“%(name)s” added to the catalogue.") % {"name": product})
            return redirect(product)
    context = {"form": form, "product": None, "company_currency": company_currency()}
    return render(request, "revenue/product_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: AppRequest, pk: int) -> HttpResponse:
    require(request, CHANGE)
    product = get_object_or_404(Product.objects.select_related("family"), pk=pk)
    form = ProductForm(_posted(request), instance=Product.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.product_update(
                product=product,
                acting_user=request.user,
                data=form.product_data(),
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(name)s” saved.") % {"name": saved})
            return redirect(saved)
    context = {"form": form, "product": product, "company_currency": company_currency()}
    return render(request, "revenue/product_form.html", context)


# Families ------------------------------------------------------------------------------------


def _families_url() -> str:
    return reverse("revenue:product_list") + "#families"


@login_required
@require_http_methods(["GET", "POST"])
def family_create(request: AppRequest) -> HttpResponse:
    require(request, CHANGE)
    form = FamilyForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        family = run_service(
            form,
            lambda: services.product_family_create(
                acting_user=request.user, data=form.family_data()
            ),
        )
        if family is not None:
            messages.success(request, _("Family “%(name)s” added.") % {"name": family})
            return redirect(_families_url())
    return render(request, "revenue/family_form.html", {"form": form, "family": None})


@login_required
@require_http_methods(["GET", "POST"])
def family_edit(request: AppRequest, pk: int) -> HttpResponse:
    require(request, CHANGE)
    family = get_object_or_404(ProductFamily, pk=pk)
    form = FamilyForm(_posted(request), instance=ProductFamily.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.product_family_update(
                family=family, acting_user=request.user, data=form.family_data()
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(name)s” saved.") % {"name": saved})
            return redirect(_families_url())
    return render(request, "revenue/family_form.html", {"form": form, "family": family})


# Exchange rates ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rate_list(request: AppRequest) -> HttpResponseBase:
    """The rates by currency and date, and the form that adds or corrects one."""
    require(request, VIEW)
    can_change = request.user.has_perm(CHANGE)
    company = company_currency()
    if request.method == "POST":
        require(request, CHANGE)
    initial = {
        key: request.GET[key]
        for key in ("currency", "effective_date", "rate")
        if key in request.GET
    }
    if "effective_date" not in initial:
        initial["effective_date"] = timezone.localdate().isoformat()
    form = RateForm(_posted(request), initial=initial, company_currency=company)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.exchange_rate_set(acting_user=request.user, **form.cleaned_data),
        )
        if saved is not None:
            messages.success(
                request,
                _("%(currency)s from %(date)s: %(rate)s %(company)s. Figures converted again.")
                % {
                    "currency": saved.currency,
                    "date": saved.effective_date.isoformat(),
                    "rate": saved.rate.normalize(),
                    "company": company,
                },
            )
            return redirect("revenue:rate_list")
    currency = request.GET.get("in", "").strip().upper()
    if request.method == "GET" and (kind := export_format(request)):
        return exports.rate_export(kind, selectors.rate_list(currency=currency))
    page = paginate(
        selectors.rate_list(currency=currency),
        page=request.GET.get("page"),
        per_page=RATES_PER_PAGE,
    )
    context = {
        "page": page,
        "form": form if can_change else None,
        "company_currency": company,
        "currencies": [code for code in known_currencies() if code != company],
        "currency": currency,
        "filters_query": querystring_without_page(request.GET),
        "can_change": can_change,
    }
    return render(request, "revenue/rate_list.html", context)


@login_required
@require_POST
def rate_delete(request: AppRequest, pk: int) -> HttpResponse:
    """Remove a rate, unless some figure would be left with no rate to convert it."""
    require(request, CHANGE)
    rate = get_object_or_404(ExchangeRate, pk=pk)
    label = _("%(currency)s from %(date)s") % {
        "currency": rate.currency,
        "date": rate.effective_date.isoformat(),
    }
    try:
        services.exchange_rate_delete(acting_user=request.user, rate=rate)
    except NotAllowedError as error:
        raise PermissionDenied from error
    except ValidationError as error:
        messages.error(
            request,
            _("The rate %(rate)s was kept: %(reason)s")
            % {"rate": label, "reason": " ".join(error.messages)},
        )
    else:
        messages.success(request, _("The rate %(rate)s was removed.") % {"rate": label})
    return redirect("revenue:rate_list")
