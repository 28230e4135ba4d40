"""The user list's download: administrators only, the page's search applied."""

from __future__ import annotations

import pytest
from django.test import Client

from rapport.core.tests.exports import column, csv_rows, export_queries, xlsx_rows
from rapport.core.tests.factories import UserFactory
from rapport.core.tests.personas import Personas


@pytest.mark.django_db
def test_administrators_export_the_searched_users_without_passwords(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    rows = csv_rows(client.get("/me/users/?q=outsider&format=csv"))
    assert column(rows, "E-mail") == ["outsider@example.com"]
    assert not any("password" in label.lower() for label in rows[0])
    cells = xlsx_rows(client.get("/me/users/?format=xlsx"))
    assert len(cells) == 7
    assert set(column(cells, "Active")) == {True}


@pytest.mark.django_db
def test_export_queries_do_not_grow_and_others_are_refused(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    few = export_queries(client, "/me/users/?format=csv")
    UserFactory.create_batch(8)
    assert export_queries(client, "/me/users/?format=xlsx") == few
    for person in (personas.owner, personas.read_only, personas.outsider):
        client.force_login(person)
        assert client.get("/me/users/?format=csv").status_code == 403
