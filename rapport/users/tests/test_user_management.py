"""Administrators manage users and roles; nobody else can."""

from __future__ import annotations

from django.test import Client

from rapport.core.tests.personas import Personas
from rapport.users.choices import Role
from rapport.users.models import User


def test_only_administrators_see_the_user_pages(client: Client, personas: Personas) -> None:
    for user in (personas.owner, personas.head, personas.read_only):
        client.force_login(user)
        assert client.get("/me/users/").status_code == 403
        assert client.post("/me/users/new/", {"email": "x@example.com"}).status_code == 403
    assert not User.objects.filter(email="x@example.com").exists()
    client.force_login(personas.admin)
    assert client.get("/me/users/").status_code == 200


def test_creating_a_user_sends_a_link_to_choose_a_password(
    client: Client, personas: Personas, mailoutbox
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(personas.admin)
    response = client.post(
        "/me/users/new/",
        {
            "email": "New.Person@Example.com",
            "first_name": "New",
            "last_name": "Person",
            "role": Role.ACCOUNT_EXECUTIVE,
            "language": "fr",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.role == Role.ACCOUNT_EXECUTIVE
    assert not user.has_usable_password()
    assert mailoutbox[-1].to == ["new.person@example.com"]


def test_a_duplicate_email_is_refused(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    response = client.post(
        "/me/users/new/",
        {
            "email": personas.owner.email,
            "first_name": "A",
            "last_name": "B",
            "role": "read_only",
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert User.objects.filter(email=personas.owner.email).count() == 1


def test_changing_a_role_is_recorded_and_an_administrator_cannot_demote_themselves(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    data = {
        "email": personas.outsider.email,
        "first_name": "Out",
        "last_name": "Sider",
        "title": "",
        "role": Role.READ_ONLY,
        "language": "en",
        "is_active": "on",
    }
    assert client.post(f"/me/users/{personas.outsider.pk}/", data).status_code == 302
    personas.outsider.refresh_from_db()
    assert personas.outsider.role == Role.READ_ONLY
    assert personas.outsider.history.first().history_user == personas.admin
    page = client.get(f"/me/users/{personas.outsider.pk}/").content.decode()
    assert "Read-only" in page

    own = {**data, "email": personas.admin.email, "role": Role.READ_ONLY}
    response = client.post(f"/me/users/{personas.admin.pk}/", own)
    assert response.status_code == 200
    assert "own administrator access" in response.content.decode()
    personas.admin.refresh_from_db()
    assert personas.admin.role == Role.ADMINISTRATOR
