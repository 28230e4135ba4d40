"""Each user picks a language; the interface follows it."""

from __future__ import annotations

import pytest
from django.test import Client

from rapport.core.tests.factories import UserFactory


@pytest.mark.django_db
def test_switching_language_is_saved_on_the_user(client: Client) -> None:
    user = UserFactory(language="en")
    client.force_login(user)
    response = client.post("/me/language/", {"language": "fr", "next": "/accounts/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    user.refresh_from_db()
    assert user.language == "fr"
    page = client.get("/accounts/", headers={"Accept-Language": "en"})
    assert page["Content-Language"] == "fr"
    assert b'<html lang="fr">' in page.content


@pytest.mark.django_db
def test_an_unknown_language_or_foreign_redirect_is_refused(client: Client) -> None:
    user = UserFactory(language="fr")
    client.force_login(user)
    response = client.post("/me/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.language == "en"
