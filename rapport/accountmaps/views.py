"""The account map page."""

from __future__ import annotations

from django.http import HttpResponse

from rapport.core.types import AppRequest


def account_map(request: AppRequest, account_pk: int) -> HttpResponse:
    return HttpResponse("The account map page is being built.", status=501)
