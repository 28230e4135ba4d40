"""Errors reach the user as plain, friendly pages, never as a stack trace."""

from __future__ import annotations

import pytest
from django.test import Client

from rapport.accounts import views as account_views
from rapport.core.tests.factories import UserFactory


@pytest.mark.django_db
def test_an_unexpected_error_shows_the_friendly_500_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("the database went away")

    # Patch the name the account list view holds, so no other module keeps the broken one.
    monkeypatch.setattr(account_views, "paginate", broken)
    client.raise_request_exception = False
    client.force_login(UserFactory())
    response = client.get("/accounts/")
    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong" in content
    assert "the database went away" not in content
    assert "Traceback" not in content


@pytest.mark.django_db
def test_forbidden_and_missing_pages_keep_the_layout(client: Client) -> None:
    client.force_login(UserFactory(role="read_only"))
    forbidden = client.get("/accounts/new/")
    assert forbidden.status_code == 403
    assert "You may not do this" in forbidden.content.decode()
    assert 'href="/accounts/"' in forbidden.content.decode()
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    assert "Nothing here" in missing.content.decode()


@pytest.mark.django_db
def test_an_id_too_large_for_the_database_is_not_found_not_an_error(client: Client) -> None:
    client.force_login(UserFactory())
    huge = "9" * 30
    assert client.get(f"/accounts/{huge}/").status_code == 404
    assert client.get(f"/stakeholders/{2**63}/").status_code == 404
    api = client.get(f"/api/v1/accounts/{2**63}")
    assert api.status_code == 422


def test_nul_characters_are_refused_not_a_database_error(client: Client, db: None) -> None:
    from rapport.core.tests.personas import make_personas
    from rapport.users.services import api_token_create

    cast = make_personas()
    _token, raw = api_token_create(user=cast.owner, name="t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    url = f"/api/v1/stakeholders/{cast.stakeholder.pk}"
    response = client.patch(url, {"title": "CEO\x00"}, content_type="application/json", **headers)
    assert response.status_code == 422
    assert client.get("/api/v1/accounts?q=no%00rth", **headers).status_code == 422
    client.force_login(cast.owner)
    assert client.get("/accounts/?q=no%00rth").status_code == 200
    assert client.get("/stakeholders/?q=a%00").status_code == 200
    assert client.get("/search/?q=a%00").status_code == 200
    cast.stakeholder.refresh_from_db()
    assert cast.stakeholder.title == "Director"
