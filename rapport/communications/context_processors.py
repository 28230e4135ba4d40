"""The counts beside "Today" in the navigation, computed only when a page shows them."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from rapport.communications.selectors import navigation_counts


def today_counts(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"today_counts": SimpleLazyObject(lambda: navigation_counts(user=user))}
