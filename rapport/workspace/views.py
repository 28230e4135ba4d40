"""The signed-in person's start page and the search across the whole book."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from rapport.accounts.filters import AccountFilter
from rapport.accounts.models import Account
from rapport.accounts.selectors import account_list
from rapport.core.types import AppRequest
from rapport.stakeholders.models import Stakeholder
from rapport.stakeholders.selectors import stakeholder_search

SEARCH_LIMIT = 10


@login_required
def home(request: AppRequest) -> HttpResponse:
    mine = account_list(user=request.user, filters=AccountFilter(owner=request.user.pk))
    context = {"my_accounts": mine[:15], "my_account_count": mine.count()}
    return render(request, "workspace/home.html", context)


@login_required
@vary_on_headers("HX-Request")
def search(request: AppRequest) -> HttpResponse:
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    accounts: list[Account] = []
    stakeholders: list[Stakeholder] = []
    if query:
        accounts = list(
            account_list(user=request.user, filters=AccountFilter(q=query))[:SEARCH_LIMIT]
        )
        stakeholders = stakeholder_search(user=request.user, text=query, limit=SEARCH_LIMIT)
    context = {"query": query, "accounts": accounts, "stakeholders": stakeholders}
    template = "workspace/search.html#results" if request.htmx else "workspace/search.html"
    return render(request, template, context)
