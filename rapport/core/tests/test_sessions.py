"""Sessions end after an idle period and after an absolute lifetime; sign-in is rate-limited."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client

from rapport.core.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from rapport.core.tests.factories import PASSWORD, UserFactory


def _age_session(client: Client, *, started_ago: float, seen_ago: float) -> None:
    session = client.session
    now = time.time()
    session[SESSION_STARTED_KEY] = now - started_ago
    session[SESSION_SEEN_KEY] = now - seen_ago
    session.save()


@pytest.mark.django_db
def test_an_active_session_stays_signed_in(client: Client) -> None:
    client.force_login(UserFactory())
    assert client.get("/accounts/").status_code == 200
    _age_session(client, started_ago=3600, seen_ago=120)
    assert client.get("/accounts/").status_code == 200


@pytest.mark.django_db
def test_an_idle_session_is_signed_out(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory())
    client.get("/accounts/")
    _age_session(
        client,
        started_ago=settings.SESSION_IDLE_SECONDS + 10,
        seen_ago=settings.SESSION_IDLE_SECONDS + 5,
    )
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/")
    assert client.get("/accounts/").status_code == 302


@pytest.mark.django_db
def test_a_session_past_its_absolute_lifetime_is_signed_out(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory())
    client.get("/accounts/")
    _age_session(client, started_ago=settings.SESSION_ABSOLUTE_SECONDS + 10, seen_ago=30)
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/")


@pytest.mark.django_db
def test_repeated_failed_sign_ins_are_rate_limited(client: Client) -> None:
    cache.clear()
    user = UserFactory(email="target@example.com")
    for _attempt in range(5):
        response = client.post("/auth/login/", {"login": user.email, "password": "wrong-password"})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    # Even the right password is refused now, until the window passes.
    response = client.post("/auth/login/", {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in {200, 429}
    cache.clear()
    response = client.post("/auth/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_sign_in_with_email_and_password(client: Client) -> None:
    cache.clear()
    user = UserFactory(email="someone@example.com")
    response = client.post("/auth/login/", {"login": "Someone@Example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_password_reset_sends_an_email(client: Client, mailoutbox) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    UserFactory(email="forgetful@example.com")
    response = client.post("/auth/password/reset/", {"email": "forgetful@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["forgetful@example.com"]
    assert "/auth/password/reset/key/" in mailoutbox[0].body


@pytest.mark.django_db
def test_nobody_can_sign_themselves_up(client: Client) -> None:
    response = client.get("/auth/signup/")
    assert b"closed" in response.content.lower() or response.status_code in {403, 404}
