"""PLACEHOLDER: replaced by the real views while the capability is built."""

from typing import Any

from django.http import HttpResponse


def calendar_feed_settings(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def calendar_feed(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def ics_import(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def mail_import(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def inbound_list(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def inbound_detail(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)
