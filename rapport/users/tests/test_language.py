"""Each user picks a language; the interface follows it."""

from __future__ import annotations

import datetime

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


@pytest.mark.django_db
def test_times_are_shown_in_the_users_time_zone(client: Client) -> None:
    from rapport.core.tests.factories import AccountFactory

    account = AccountFactory(name="Zoned")
    record = account.history.first()
    record.history_date = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.UTC)
    record.save()
    user = UserFactory(time_zone="Europe/Paris")
    client.force_login(user)
    page = client.get(f"/accounts/{account.pk}/history/").content.decode()
    assert 'datetime="2026-11-27T13:00:00+01:00"' in page
    user.time_zone = ""
    user.save()
    page = client.get(f"/accounts/{account.pk}/history/").content.decode()
    assert 'datetime="2026-11-27T12:00:00+00:00"' in page


@pytest.mark.django_db
def test_an_unknown_time_zone_is_refused_on_the_profile(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    data = {
        "profile-first_name": "A",
        "profile-last_name": "B",
        "profile-title": "",
        "profile-language": "en",
        "profile-time_zone": "Mars/Olympus",
    }
    response = client.post("/me/profile/", data)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.time_zone == ""
    data["profile-time_zone"] = "America/Montreal"
    assert client.post("/me/profile/", data).status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "America/Montreal"
