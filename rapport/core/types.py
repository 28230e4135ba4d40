"""Request type used by every view, so ``request.user`` is our User."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from rapport.users.models import User


class AppRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
