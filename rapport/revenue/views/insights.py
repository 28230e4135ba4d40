"""Placeholder views, replaced by the real pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def dashboard(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def white_space(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def cross_sell(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def account_revenue(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
