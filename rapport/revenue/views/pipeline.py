"""Placeholder views, replaced by the real pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def stage_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def stage_create(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def stage_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def stage_reorder(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
