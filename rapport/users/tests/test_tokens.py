"""Personal API tokens: made on the profile page or by `createtoken`, shown once, revocable."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client

from rapport.core.tests.personas import Personas
from rapport.users.models import ApiToken, User, hash_token


def api_status(client: Client, raw: str) -> int:
    return client.get("/api/v1/accounts", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def test_profile_page_shows_a_new_token_once(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)

    created = client.post("/me/profile/tokens/", {"token-name": "reporting script"})
    assert created.status_code == 302
    assert created["Location"] == "/me/profile/"

    token = ApiToken.objects.get(user=personas.owner)
    first = client.get("/me/profile/")
    raw = first.context["new_token"]
    assert raw.startswith("rpt_") and raw[:8] == token.prefix
    assert raw in first.content.decode()
    # Only the hash is kept: the secret cannot be read back from the database.
    assert token.key_hash == hash_token(raw)
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    assert (token.name, token.is_active) == ("reporting script", True)

    second = client.get("/me/profile/")
    assert second.context["new_token"] is None
    assert raw not in second.content.decode()

    # The token works without the session that made it.
    client.logout()
    assert api_status(client, raw) == 200


def test_profile_page_refuses_a_token_without_a_name(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)

    response = client.post("/me/profile/tokens/", {"token-name": ""})

    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=personas.owner).exists()
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Give the token a name of at most 100 characters."
    ]


def test_revoking_a_token_stops_api_access(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    client.post("/me/profile/tokens/", {"token-name": "script"})
    raw = client.get("/me/profile/").context["new_token"]
    token = ApiToken.objects.get(user=personas.owner)
    client.logout()
    assert api_status(client, raw) == 200

    client.force_login(personas.owner)
    response = client.post(f"/me/profile/tokens/{token.pk}/revoke/")
    client.logout()

    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Token “script” revoked."
    ]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_status(client, raw) == 401


def test_nobody_revokes_another_users_token(client: Client, personas: Personas) -> None:
    call_command("createtoken", personas.owner.email, stdout=StringIO())
    token = ApiToken.objects.get(user=personas.owner)
    client.force_login(personas.admin)

    assert client.get(f"/me/profile/tokens/{token.pk}/revoke/").status_code == 405
    response = client.post(f"/me/profile/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_createtoken_prints_a_working_token_on_its_last_line(
    client: Client, personas: Personas
) -> None:
    out = StringIO()

    call_command("createtoken", "  OWNER@example.com ", "--name", "nightly export", stdout=out)

    lines = out.getvalue().strip().splitlines()
    raw = lines[-1]
    assert lines[0].startswith("Token “nightly export” for owner@example.com")
    token = ApiToken.objects.get(user=personas.owner)
    assert (token.name, token.key_hash) == ("nightly export", hash_token(raw))
    assert api_status(client, raw) == 200
    # Last use is noted, so an administrator can spot tokens nobody uses.
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_createtoken_refuses_an_unknown_user(personas: Personas) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("createtoken", "nobody@example.com", stdout=StringIO())
    assert str(refused.value) == "No user has the e-mail address 'nobody@example.com'."
    assert not ApiToken.objects.exists()


def test_createtoken_refuses_a_deactivated_user(personas: Personas) -> None:
    User.objects.filter(pk=personas.outsider.pk).update(is_active=False)

    with pytest.raises(CommandError) as refused:
        call_command("createtoken", "outsider@example.com", stdout=StringIO())
    assert str(refused.value) == "outsider@example.com is deactivated."
    assert not ApiToken.objects.exists()
