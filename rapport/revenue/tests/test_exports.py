"""Downloads of the revenue lists: contracts, opportunities, renewals, catalogue, rates, stages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.core.tests.exports import column, csv_rows, export_queries, xlsx_rows
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas
from rapport.revenue.choices import OpportunityType
from rapport.revenue.tests import factories


def _year(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return day - datetime.timedelta(days=30), day + datetime.timedelta(days=334)


@pytest.mark.django_db
def test_contract_export_filters_types_its_cells_and_keeps_its_queries(
    client: Client, personas: Personas
) -> None:
    start, end = _year(timezone.localdate())
    factories.contract(account=personas.account, start=start, end=end, reference="NW-1")
    factories.contract(account=personas.other_account, start=start, end=end, reference="CT-1")
    client.force_login(personas.read_only)
    rows = csv_rows(client.get(f"/revenue/contracts/?account={personas.account.pk}&format=csv"))
    assert column(rows, "Reference") == ["NW-1"]
    cells = xlsx_rows(client.get("/revenue/contracts/?q=CT&format=xlsx"))
    assert column(cells, "Reference") == ["CT-1"]
    assert column(cells, "End") == [datetime.datetime.combine(end, datetime.time())]
    assert column(cells, "ARR today (EUR)") == [1000]

    few = export_queries(client, "/revenue/contracts/?format=csv")
    for number in range(4):
        factories.contract(account=personas.account, start=start, end=end, reference=f"X{number}")
    assert export_queries(client, "/revenue/contracts/?format=xlsx") == few


@pytest.mark.django_db
def test_opportunity_export_filters_and_keeps_amounts_numbers(
    client: Client, personas: Personas
) -> None:
    close = timezone.localdate() + datetime.timedelta(days=20)
    factories.opportunity(account=personas.account, close_date=close, name="Upsell", amount=900)
    factories.opportunity(
        account=personas.account,
        close_date=close,
        name="-Downgrade",
        type=OpportunityType.CROSS_SELL,
        amount=Decimal("250.50"),
    )
    client.force_login(personas.outsider)
    rows = csv_rows(client.get("/revenue/opportunities/?type=cross_sell&format=csv"))
    assert column(rows, "Opportunity") == ["'-Downgrade"]
    assert column(rows, "Amount") == ["250.50"]
    cells = xlsx_rows(client.get("/revenue/opportunities/?type=upsell&format=xlsx"))
    assert column(cells, "Opportunity") == ["Upsell"]
    assert column(cells, "Amount") == [900]

    few = export_queries(client, "/revenue/opportunities/?format=csv")
    for number in range(4):
        factories.opportunity(account=personas.account, close_date=close, name=f"More {number}")
    assert export_queries(client, "/revenue/opportunities/?format=xlsx") == few


@pytest.mark.django_db
def test_renewal_export_lists_every_renewal_of_the_window_for_the_filters(
    client: Client, personas: Personas
) -> None:
    today = timezone.localdate()
    close = today + datetime.timedelta(days=40)

    def renewal(account: Account, name: str) -> None:
        term = factories.contract(
            account=account, start=today - datetime.timedelta(days=300), end=close
        )
        factories.opportunity(
            account=account,
            close_date=close,
            name=name,
            type=OpportunityType.RENEWAL,
            contract=term,
        )

    renewal(personas.account, "Northwind renewal")
    renewal(personas.other_account, "Contoso renewal")
    client.force_login(personas.read_only)
    rows = csv_rows(client.get(f"/revenue/renewals/?owner={personas.owner.pk}&format=csv"))
    assert column(rows, "Renewal") == ["Northwind renewal"]
    cells = xlsx_rows(client.get("/revenue/renewals/?format=xlsx"))
    assert sorted(column(cells, "Renewal")) == ["Contoso renewal", "Northwind renewal"]

    few = export_queries(client, "/revenue/renewals/?format=csv")
    for number in range(4):
        renewal(AccountFactory(owner=personas.owner), f"Renewal {number}")
    assert export_queries(client, "/revenue/renewals/?format=csv") == few


@pytest.mark.django_db
def test_catalogue_rate_and_stage_exports(client: Client, personas: Personas) -> None:
    factories.product(name="Platform licence", family_name="Platform", list_price=1200)
    factories.product(name="Training day", family_name="Services", list_price=800)
    factories.rate("USD", datetime.date(2025, 1, 1), "0.9")
    factories.rate("GBP", datetime.date(2025, 1, 1), "1.15")
    factories.pipeline()
    client.force_login(personas.read_only)

    rows = csv_rows(client.get("/revenue/products/?q=training&format=csv"))
    assert column(rows, "Product") == ["Training day"]
    assert column(rows, "Family") == ["Services"]
    cells = xlsx_rows(client.get("/revenue/rates/?in=USD&format=xlsx"))
    assert column(cells, "Currency") == ["USD"]
    assert column(cells, "EUR for one") == [0.9]
    few = export_queries(client, "/revenue/products/?format=csv")
    factories.product(name="Support", family_name="Services")
    factories.product(name="Add-on", family_name="Platform")
    assert export_queries(client, "/revenue/products/?format=csv") == few

    # The stages are the house's to change: the page, and its download, are theirs.
    assert client.get("/revenue/pipeline/?format=csv").status_code == 403
    client.force_login(personas.head)
    stages = xlsx_rows(client.get("/revenue/pipeline/?format=xlsx"))
    assert len(stages) - 1 == len(factories.pipeline())
    assert column(stages, "Order") == sorted(column(stages, "Order"))
