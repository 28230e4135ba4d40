"""The stakeholder list's download: the page's filters and a fixed number of queries."""

from __future__ import annotations

import pytest
from django.test import Client

from rapport.core.tests.exports import column, csv_rows, export_queries, xlsx_rows
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas


@pytest.mark.django_db
def test_export_holds_only_the_filtered_people(client: Client, personas: Personas) -> None:
    boss = StakeholderFactory(account=personas.account, first_name="Grace", last_name="Hopper")
    StakeholderFactory(
        account=personas.account, first_name="Alan", last_name="Turing", reports_to=boss
    )
    StakeholderFactory(account=personas.other_account, first_name="Edsger", last_name="Dijkstra")
    client.force_login(personas.outsider)

    rows = csv_rows(client.get(f"/stakeholders/?account={personas.account.pk}&format=csv"))
    assert column(rows, "Last name") == ["Hopper", "Lovelace", "Turing"]
    assert column(rows, "Reports to") == ["", "", "Grace Hopper"]
    cells = xlsx_rows(client.get("/stakeholders/?q=dijk&format=xlsx"))
    assert column(cells, "Last name") == ["Dijkstra"]
    assert column(cells, "Account") == ["Contoso"]


@pytest.mark.django_db
def test_export_queries_do_not_grow_with_the_rows(client: Client, personas: Personas) -> None:
    client.force_login(personas.read_only)
    few = export_queries(client, "/stakeholders/?format=csv")
    StakeholderFactory.create_batch(8, account=personas.account, reports_to=personas.stakeholder)
    assert export_queries(client, "/stakeholders/?format=xlsx") == few
    assert len(csv_rows(client.get("/stakeholders/?format=csv"))) == 10
