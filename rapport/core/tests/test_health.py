from __future__ import annotations

import json

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_says_the_database_answers(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert body["database"] == "ok"


def test_healthz_needs_no_sign_in(client: Client, db: None) -> None:
    assert client.get("/healthz").status_code == 200


def test_pages_need_sign_in(client: Client, db: None) -> None:
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/")
