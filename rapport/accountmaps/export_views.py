"""Downloads of the account map in every format."""

from __future__ import annotations

from django.http import HttpResponse

from rapport.core.types import AppRequest


def map_export(request: AppRequest, account_pk: int) -> HttpResponse:
    return HttpResponse("Map exports are being built.", status=501)
