"""API authentication: a personal token in ``Authorization: Bearer <token>``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from rapport.users.services import api_token_authenticate


class BearerToken(HttpBearer):
    openapi_description = (
        "A personal API token, created on the profile page or by `rapport createtoken`."
    )

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user
