"""What the roadmaps API's modules share: the reader, their date, the version query."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from pydantic import Field

from rapport.communications.digest import local_now
from rapport.core.api import InputSchema
from rapport.users.models import User


def acting_user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def today_of(user: User) -> datetime.date:
    """The reader's own date: late and due are judged in their time zone."""
    return local_now(user, timezone.now()).date()


def reader_today(context: dict[str, Any]) -> datetime.date:
    """The reader's date, from a schema resolver's context."""
    return today_of(context["request"].user)


class VersionQuery(InputSchema):
    version: int | None = Field(
        default=None, ge=1, description="Refuse the change if the record changed since."
    )
