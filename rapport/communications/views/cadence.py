"""PLACEHOLDER: replaced by the real views while the capability is built."""

from typing import Any

from django.http import HttpResponse


def account_cadence(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def cadence_rule_reset(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def cadence_defaults(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)
