"""The revenue dashboard, the white-space matrix and its one-click cross-sell, and the account's
revenue tab with its card on the 360° page."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from pydantic import ValidationError as PydanticValidationError

from rapport.accounts.choices import Segment, Tier
from rapport.accounts.models import Account
from rapport.core.exceptions import NotAllowedError
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import parse_filters, querystring_without_page, require, safe_next
from rapport.revenue import drawing, metrics, selectors, services
from rapport.revenue.choices import ForecastCategory, OpportunityType
from rapport.revenue.filters import MetricsQuery, WhiteSpaceFilter
from rapport.revenue.models import ProductFamily
from rapport.revenue.rates import company_currency
from rapport.users.models import User

DASHBOARD_TEMPLATE = "revenue/dashboard.html"
WHITE_SPACE_TEMPLATE = "revenue/white_space.html"
CELL_TEMPLATE = "revenue/includes/white_space_cell.html"
ACCOUNT_TEMPLATE = "revenue/account_revenue.html"
CARD_TEMPLATE = "revenue/includes/account_revenue_card_body.html"
# The renewal forecast looks this many months ahead.
FORECAST_MONTHS = 12
# A cross-sell is expected to close this many days after it is opened.
CROSS_SELL_CLOSE_DAYS = 90
# Bridge columns of the dashboard, in the order they add up.
HEADINGS = ("new", "reactivation", "expansion", "contraction", "churn")


def _owners() -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("first_name", "last_name", "id"))


def _svg(markup: str) -> str:
    # The drawing escapes every text it places.
    return mark_safe(markup)  # noqa: S308


# The dashboard -------------------------------------------------------------------------------


def _period_messages() -> dict[str, str]:
    return {
        "The period ends before it starts.": _("The period ends before it starts."),
        "The period is longer than ten years.": _(
            "The period is longer than ten years: choose a shorter one."
        ),
    }


def metrics_query(query: QueryDict) -> tuple[MetricsQuery, list[str], str]:
    """The period and filters asked for; values that do not fit are dropped and named, and a
    period that makes no sense falls back to the default one with a message."""
    try:
        return (*parse_filters(MetricsQuery, query), "")
    except PydanticValidationError as error:
        reason = str(error.errors()[0].get("ctx", {}).get("error", ""))
        message = _period_messages().get(reason, _("This period cannot be shown."))
        rest = query.copy()
        for key in ("start", "end"):
            rest.pop(key, None)
        filters, invalid = parse_filters(MetricsQuery, rest)
        return filters, invalid, message


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after ``day``'s."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _dashboard_context(query: MetricsQuery, today: datetime.date) -> dict[str, Any]:
    start, end = query.period()
    filters = query.metrics_filter()
    report = metrics.retention(start=start, end=end, filters=filters)
    this_month = today.replace(day=1)
    ahead = metrics.month_end(add_months(this_month, FORECAST_MONTHS - 1))
    # One query for the chart (the period's renewals, then the year ahead) and the table.
    renewals = metrics.renewal_forecast(
        start=min(start.replace(day=1), this_month),
        end=max(metrics.month_end(end), ahead),
        filters=filters,
    )
    forecast = [row for row in renewals if this_month <= row.month <= ahead]
    # A period ending today already gives today's ARR: the bridge's last snapshot.
    if end == today and report.months:
        arr_today = report.ending_arr
    else:
        arr_today = metrics.arr_at(day=today, filters=filters)
    currency = company_currency()
    return {
        # Not "query": the layout's search box shows that one.
        "period_query": query,
        "start": start,
        "end": end,
        "today": today,
        "report": report,
        "currency": currency,
        "arr_today": arr_today,
        "mrr_today": (arr_today / 12).quantize(metrics.CENT),
        "arr_change": report.ending_arr - report.starting_arr,
        "arr_change_percent": metrics.percent(
            report.ending_arr - report.starting_arr, report.starting_arr
        ),
        "totals": {heading: report.total(heading) for heading in HEADINGS},
        "forecast": forecast,
        "forecast_columns": [
            *ForecastCategory.choices,
            (metrics.WON, _("Won")),
            (metrics.LOST, _("Lost")),
        ],
        "forecast_open_total": sum((row.open_total for row in forecast), metrics.money(0)),
        "forecast_totals": {
            column: sum((row.amount(column) for row in forecast), metrics.money(0))
            for column in metrics.FORECAST_COLUMNS
        },
        "arr_svg": _svg(
            drawing.arr_chart(drawing.arr_points(start, report.months, end), currency=currency)
        ),
        "bridge_svg": _svg(drawing.bridge_chart(report.months, currency=currency)),
        "renewals_svg": _svg(drawing.renewals_chart(renewals, currency=currency)),
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def dashboard(request: AppRequest) -> HttpResponse:
    """ARR and MRR, the retention bridge, GRR/NRR/logo retention and the renewal forecast."""
    require(request, "revenue.view_revenue")
    query, invalid, period_error = metrics_query(request.GET)
    context = _dashboard_context(query, timezone.localdate()) | {
        "invalid": invalid,
        "period_error": period_error,
        "asked": request.GET,
    }
    if request.htmx:
        return render(request, f"{DASHBOARD_TEMPLATE}#figures", context)
    context |= {"owners": _owners(), "tiers": Tier.choices, "segments": Segment.choices}
    return render(request, DASHBOARD_TEMPLATE, context)


# White space ---------------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def white_space(request: AppRequest) -> HttpResponse:
    """Accounts by product families: owned, open opportunity or white space."""
    require(request, "revenue.view_revenue")
    filters, invalid = parse_filters(WhiteSpaceFilter, request.GET)
    page = paginate(
        selectors.white_space_accounts(user=request.user, filters=filters),
        page=request.GET.get("page"),
        per_page=selectors.WHITE_SPACE_PAGE_SIZE,
        count_cap=selectors.WHITE_SPACE_COUNT_CAP,
    )
    matrix = selectors.white_space_matrix(
        user=request.user,
        accounts=list(page.object_list),
        families=selectors.white_space_families(),
        day=timezone.localdate(),
    )
    context = {
        "page": page,
        "matrix": matrix,
        "filters": filters,
        "invalid": invalid,
        "filters_query": querystring_without_page(request.GET),
        "back": request.get_full_path(),
    }
    if request.htmx:
        return render(request, f"{WHITE_SPACE_TEMPLATE}#matrix", context)
    context |= {"owners": _owners(), "tiers": Tier.choices, "segments": Segment.choices}
    return render(request, WHITE_SPACE_TEMPLATE, context)


def cross_sell_name(family: ProductFamily, account: Account) -> str:
    name = _("Cross-sell: %(family)s – %(account)s") % {"family": family, "account": account}
    return name[:200]


@login_required
@require_POST
def cross_sell(request: AppRequest) -> HttpResponse:
    """Open a cross-sell of a family's first product on sale, from a white cell of the matrix.

    With htmx the answer is the cell, now open and linking to the opportunity; without, the
    matrix page again with a message. A cell already owned or open opens nothing more, so a
    second click never makes a second opportunity.
    """
    account_pk, family_pk = request.POST.get("account", ""), request.POST.get("family", "")
    if not account_pk.isdigit() or not family_pk.isdigit():
        return HttpResponseBadRequest(_("Choose an account and a product family."))
    account = get_object_or_404(Account.objects.select_related("owner"), pk=int(account_pk))
    require(request, "revenue.add_opportunity", account)
    try:
        family = selectors.cross_sell_family(pk=int(family_pk))
    except ProductFamily.DoesNotExist:
        return HttpResponseBadRequest(_("This product family no longer exists."))
    today = timezone.localdate()
    back = safe_next(request, reverse("revenue:white_space"))
    cell = _cell(request, account, family, today)
    problem = ""
    if cell.state == "white":
        problem = _open_cross_sell(request, account, family, today)
        cell = _cell(request, account, family, today) if not problem else cell
    if not request.htmx:
        if problem:
            messages.error(request, problem)
        elif cell.opportunity_id is not None:
            messages.success(
                request,
                _("Cross-sell “%(name)s” opened.") % {"name": cross_sell_name(family, account)},
            )
        return redirect(back)
    context = {"cell": cell, "problem": problem, "back": back}
    return render(request, CELL_TEMPLATE, context)


def _cell(
    request: AppRequest, account: Account, family: ProductFamily, today: datetime.date
) -> selectors.WhiteSpaceCell:
    matrix = selectors.white_space_matrix(
        user=request.user, accounts=[account], families=[family], day=today
    )
    return matrix.rows[0].cells[0]


def _open_cross_sell(
    request: AppRequest, account: Account, family: ProductFamily, today: datetime.date
) -> str:
    """Open the opportunity; what went wrong, or nothing."""
    product_id = getattr(family, "cross_sell_product_id", None)
    if product_id is None:
        return _("Nothing of %(family)s is on sale: there is nothing to offer.") % {
            "family": family
        }
    product = family.products.get(pk=product_id)
    try:
        services.opportunity_create(
            acting_user=request.user,
            account=account,
            data={
                "type": OpportunityType.CROSS_SELL,
                "name": cross_sell_name(family, account),
                "close_date": today + datetime.timedelta(days=CROSS_SELL_CLOSE_DAYS),
            },
            lines=[{"product": product, "quantity": 1, "unit_price": product.list_price}],
        )
    except NotAllowedError:
        return _("You may not add opportunities to this account.")
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


# The account's revenue -----------------------------------------------------------------------


def _account(pk: int) -> Account:
    return get_object_or_404(Account.objects.select_related("parent", "owner"), pk=pk)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def account_revenue(request: AppRequest, account_pk: int) -> HttpResponse:
    """The account's revenue tab; with ``?card=1`` (htmx), the body of its 360° page card."""
    require(request, "revenue.view_revenue")
    account = _account(account_pk)
    today = timezone.localdate()
    summary = selectors.account_revenue(account=account, day=today)
    context: dict[str, Any] = {"account": account, "summary": summary, "today": today}
    if request.htmx and request.GET.get("card"):
        return render(request, CARD_TEMPLATE, context)
    can_add = request.user.has_perm("revenue.add_contract", account)
    series = selectors.account_arr_series(
        account=account, days=selectors.account_chart_days(day=today)
    )
    chart = drawing.arr_chart(
        [drawing.ArrPoint(day=day, arr=arr) for day, arr in series],
        title=_("ARR of %(account)s over 24 months") % {"account": account.name},
        id_prefix="account-arr",
    )
    context |= {
        "contracts": selectors.account_contracts(account=account, day=today),
        "open_opportunities": selectors.account_opportunities(account=account, is_open=True),
        "closed_opportunities": selectors.account_opportunities(account=account, is_open=False),
        "arr_svg": _svg(chart),
        "series": series,
        "currency": company_currency(),
        "can_edit": request.user.has_perm("accounts.change_account", account),
        "can_add_contract": can_add,
        "can_add_opportunity": request.user.has_perm("revenue.add_opportunity", account),
    }
    return render(request, ACCOUNT_TEMPLATE, context)
