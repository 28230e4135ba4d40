"""`rapport createuser` and `rapport createsuperuser` make users who can sign in."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client

from rapport.users.choices import Role
from rapport.users.models import User


@pytest.mark.django_db
def test_createuser_makes_a_user_in_a_role_who_can_sign_in(client: Client) -> None:
    out = StringIO()
    call_command(
        "createuser",
        "Nina.Patel@Example.com",
        "--role",
        "account_executive",
        "--first-name",
        "Nina",
        "--password",
        "a-long-enough-passphrase",
        stdout=out,
    )
    user = User.objects.get(email="nina.patel@example.com")
    assert user.role == Role.ACCOUNT_EXECUTIVE
    assert not user.is_superuser
    assert "Created nina.patel@example.com" in out.getvalue()
    cache.clear()
    response = client.post(
        "/auth/login/", {"login": "nina.patel@example.com", "password": "a-long-enough-passphrase"}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_createuser_administrators_get_full_rights() -> None:
    call_command(
        "createuser", "boss@example.com", "--role", "administrator", "--password", "x-long-pass-123"
    )
    user = User.objects.get(email="boss@example.com")
    assert user.is_superuser and user.is_staff and user.is_administrator


@pytest.mark.django_db
def test_createuser_refuses_a_duplicate_or_weak_input_with_a_message() -> None:
    call_command("createuser", "same@example.com", "--password", "x-long-pass-123")
    with pytest.raises(CommandError, match="email"):
        call_command("createuser", "same@example.com", "--password", "x-long-pass-123")
    with pytest.raises(CommandError):
        call_command("createuser", "not-an-address", "--password", "x-long-pass-123")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_createsuperuser_makes_an_administrator() -> None:
    call_command(
        "createsuperuser",
        "--noinput",
        "--email",
        "root@example.com",
        "--first_name",
        "Root",
        "--last_name",
        "Admin",
    )
    user = User.objects.get(email="root@example.com")
    assert user.role == Role.ADMINISTRATOR
    assert user.is_superuser
