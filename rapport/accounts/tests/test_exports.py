"""The account list's download: the page's filters, a fixed number of queries, every reader."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from rapport.core.tests.exports import column, csv_rows, export_queries, xlsx_rows
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas


@pytest.mark.django_db
def test_export_holds_only_the_filtered_accounts_of_every_page(
    client: Client, personas: Personas, settings: Settings
) -> None:
    settings.RAPPORT_PAGE_SIZE = 2
    parent = AccountFactory(name="Holding", tier="key")
    for number in range(3):
        AccountFactory(name=f"Key {number}", tier="key", parent=parent, employees=10 + number)
    AccountFactory(name="Growth one", tier="growth")
    client.force_login(personas.owner)

    rows = csv_rows(client.get("/accounts/?tier=key&format=csv"))
    assert column(rows, "Account") == ["Holding", "Key 0", "Key 1", "Key 2"]
    assert column(rows, "Tier") == ["Key"] * 4
    assert column(rows, "Parent account") == ["", "Holding", "Holding", "Holding"]
    cells = xlsx_rows(client.get("/accounts/?tier=key&sort=-name&format=xlsx"))
    assert column(cells, "Account") == ["Key 2", "Key 1", "Key 0", "Holding"]
    assert column(cells, "Employees")[:3] == [12, 11, 10]


@pytest.mark.django_db
def test_export_queries_do_not_grow_with_the_rows(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    few = export_queries(client, "/accounts/?format=csv")
    for number in range(10):
        AccountFactory(name=f"More {number}", parent=personas.account)
    assert export_queries(client, "/accounts/?format=csv") == few
    assert export_queries(client, "/accounts/?format=xlsx") == few


@pytest.mark.django_db
def test_every_reader_exports_what_the_page_lists_and_strangers_must_sign_in(
    client: Client, personas: Personas
) -> None:
    for reader in (personas.outsider, personas.read_only):
        client.force_login(reader)
        names = column(csv_rows(client.get("/accounts/?format=csv")), "Account")
        assert names == ["Contoso", "Northwind Traders"]
    client.logout()
    assert client.get("/accounts/?format=csv").status_code == 302
