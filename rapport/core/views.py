"""Pages that belong to no domain: home, global search, health, errors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rapport.accounts.filters import AccountFilter
from rapport.accounts.selectors import account_list
from rapport.core.types import AppRequest
from rapport.stakeholders.filters import StakeholderFilter
from rapport.stakeholders.selectors import stakeholder_list

SEARCH_LIMIT = 10


@login_required
def home(request: AppRequest) -> HttpResponse:
    mine = account_list(user=request.user, filters=AccountFilter(owner=request.user.pk))
    context = {"my_accounts": mine[:15], "my_account_count": mine.count()}
    return render(request, "core/home.html", context)


@login_required
def search(request: AppRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    accounts = []
    stakeholders = []
    if query:
        accounts = list(
            account_list(user=request.user, filters=AccountFilter(q=query))[:SEARCH_LIMIT]
        )
        stakeholders = list(
            stakeholder_list(user=request.user, filters=StakeholderFilter(q=query))[:SEARCH_LIMIT]
        )
    context = {"query": query, "accounts": accounts, "stakeholders": stakeholders}
    template = "core/search.html#results" if request.htmx else "core/search.html"
    return render(request, template, context)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means unhealthy; say which
        return JsonResponse(
            {"status": "error", "database": "unavailable", "detail": str(error)}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok", "engine": connection.vendor})


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
