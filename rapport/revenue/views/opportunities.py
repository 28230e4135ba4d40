"""Placeholder views, replaced by the real pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def opportunity_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def opportunity_board(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def opportunity_create(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def opportunity_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def opportunity_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def opportunity_move(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def opportunity_win(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def opportunity_lose(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def opportunity_reopen(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def opportunity_history(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def renewal_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
