"""Placeholder views, replaced by the real pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def product_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def product_create(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def product_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def product_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def family_create(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def family_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def rate_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def rate_delete(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
