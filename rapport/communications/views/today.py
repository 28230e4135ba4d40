"""The today view: what needs the signed-in person, with the quick-log form at hand."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers

from rapport.communications import selectors
from rapport.communications.forms import QuickLogForm
from rapport.communications.selectors import NEGATIVE_LOOKBACK_DAYS
from rapport.core.types import AppRequest

TEMPLATE = "communications/today.html"


@login_required
@vary_on_headers("HX-Request")
def today(request: AppRequest) -> HttpResponse:
    if request.htmx and request.GET.get("part") == "nav":
        # The navigation's count, kept current on every page (the context processor fills it).
        return render(request, "communications/includes/today_nav_count.html")
    context = {
        "view": selectors.today_view(user=request.user),
        "untouched_days": settings.RAPPORT_UNTOUCHED_DAYS,
        "negative_days": NEGATIVE_LOOKBACK_DAYS,
        "today_url": reverse("communications:today"),
    }
    # A logged touchpoint redraws the lists; a task closed in place redraws only the counts,
    # so that the row stays where it was clicked, with its "Reopen" button.
    if request.htmx:
        part = "summary" if request.GET.get("part") == "summary" else "lists"
        return render(request, f"{TEMPLATE}#{part}", context)
    context["quick_log_form"] = QuickLogForm(user=request.user)
    context["quick_log_next"] = context["today_url"]
    return render(request, TEMPLATE, context)
