"""Writes on users and API tokens."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from rapport.users.choices import Role
from rapport.users.models import ApiToken, User, hash_token


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    role: str = Role.ACCOUNT_MANAGER,
    language: str = "en",
    title: str = "",
) -> User:
    """Create a user after validating every field."""
    user = User(
        email=User.objects.normalize_email(email).lower(),
        first_name=first_name,
        last_name=last_name,
        role=role,
        language=language,
        title=title,
        is_superuser=role == Role.ADMINISTRATOR,
        is_staff=role == Role.ADMINISTRATOR,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is shown only this once."""
    raw = ApiToken.generate()
    token = ApiToken(
        user=user, name=name.strip() or "API token", prefix=raw[:8], key_hash=hash_token(raw)
    )
    token.full_clean()
    token.save()
    return token, raw


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a token; requests carrying it are refused from now on."""
    token.revoke()


def api_token_authenticate(*, raw: str) -> User | None:
    """The active user a token belongs to, or None; notes when the token was last used."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # One write a minute at most per token keeps busy scripts from writing on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
