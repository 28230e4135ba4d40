"""Placeholder views, replaced by the real pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def contract_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def contract_create(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def contract_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def contract_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def contract_amend(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def contract_status(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def contract_notice(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def contract_history(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
