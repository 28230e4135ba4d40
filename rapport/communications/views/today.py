"""PLACEHOLDER: replaced by the real views while the capability is built."""

from typing import Any

from django.http import HttpResponse


def today(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)
