"""PLACEHOLDER: replaced by the real views while the capability is built."""

from typing import Any

from django.http import HttpResponse


def touchpoint_list(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def touchpoint_create(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def quick_log(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def touchpoint_detail(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def touchpoint_edit(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def touchpoint_delete(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def account_timeline(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def task_list(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def task_create(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def task_detail(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def task_edit(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)


def task_status(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("not built yet", status=501)
