"""Writes on users and API tokens."""

from __future__ import annotations

from allauth.account.forms import ResetPasswordForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.exceptions import NotAllowedError
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
    time_zone: str = "",
) -> User:
    """Create a user after validating every field."""
    user = User(
        email=User.objects.normalize_email(email).lower(),
        first_name=first_name,
        last_name=last_name,
        role=role,
        language=language,
        title=title,
        time_zone=time_zone,
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


USER_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "title",
    "role",
    "language",
    "time_zone",
    "is_active",
)


@transaction.atomic
def user_update(*, user: User, acting_user: User, data: dict[str, object]) -> User:
    """Change a user's details, role or access; an administrator cannot lock themselves out."""
    if not acting_user.has_perm("users.manage_users"):
        raise NotAllowedError("users.manage_users")
    locked = User.objects.select_for_update().get(pk=user.pk)
    for name in USER_FIELDS:
        if name in data:
            setattr(locked, name, data[name])
    if locked.pk == acting_user.pk and (not locked.is_active or locked.role != Role.ADMINISTRATOR):
        raise ValidationError(_("You cannot remove your own administrator access."))
    locked.email = User.objects.normalize_email(locked.email).lower()
    locked.is_superuser = locked.is_staff = locked.role == Role.ADMINISTRATOR
    locked.full_clean(exclude=["password"])
    locked._history_user = acting_user  # type: ignore[attr-defined]
    locked.save()
    return locked


def user_send_welcome(*, request: HttpRequest, user: User) -> None:
    """Send the new user a link to choose their password (allauth's password-reset e-mail)."""
    form = ResetPasswordForm(data={"email": user.email})
    if form.is_valid():
        form.save(request)
