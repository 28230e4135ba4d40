"""The white-space matrix: each cell's state, the filters and pages, a fixed number of queries,
and the one-click cross-sell with who may use it."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.choices import Segment, Tier
from rapport.accounts.models import Account
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas
from rapport.revenue import selectors, services
from rapport.revenue.choices import ContractStatus, OpportunityStatus, OpportunityType
from rapport.revenue.filters import WhiteSpaceFilter
from rapport.revenue.models import Contract, Opportunity, ProductFamily
from rapport.revenue.tests import factories
from rapport.users.models import User

pytestmark = pytest.mark.django_db

URL = "/revenue/white-space/"


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cell(html: bytes | str, account: Account, family: ProductFamily) -> str:
    content = html.decode() if isinstance(html, bytes) else html
    found = re.search(rf'<td [^>]*id="ws-{account.pk}-{family.pk}".*?</td>', content, flags=re.S)
    assert found, f"no cell for {account} × {family}"
    return found.group(0)


def state(html: bytes | str, account: Account, family: ProductFamily) -> str:
    found = re.search(r'data-state="(\w+)"', cell(html, account, family))
    assert found
    return found.group(1)


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def catalogue() -> dict[str, ProductFamily]:
    """Three families in their order (Platform, Analytics, Services) and one with nothing on sale.

    Analytics has an older product off sale whose name comes first: a cross-sell offers the
    first one on sale.
    """
    factories.product("Platform licence", family_name="Platform", list_price=1000)
    factories.product("Aardvark reports", family_name="Analytics", list_price=50, is_active=False)
    factories.product("Analytics suite", family_name="Analytics", list_price=2400)
    factories.product("Zeta dashboards", family_name="Analytics", list_price=900)
    factories.product("Premium support", family_name="Services", list_price=600)
    factories.product("Legacy hosting", family_name="Hosting", list_price=100, is_active=False)
    positions = {"Platform": 1, "Analytics": 2, "Services": 3, "Hosting": 4}
    for name, position in positions.items():
        ProductFamily.objects.filter(name=name).update(position=position)
    return {family.name: family for family in ProductFamily.objects.all()}


# Cells -----------------------------------------------------------------------------------------


def test_each_cell_is_owned_open_or_white(
    personas: Personas, catalogue: dict[str, ProductFamily]
) -> None:
    account = personas.account
    platform, analytics = (
        factories.product("Platform licence"),
        factories.product("Analytics suite"),
    )
    support = factories.product("Premium support")
    # Platform owned today (9,600 a year); Analytics only in an open opportunity.
    factories.contract(
        account=account,
        start=days(-100),
        end=days(265),
        lines=[factories.line(platform, 8, 1200)],
    )
    factories.opportunity(
        account=account,
        type=OpportunityType.CROSS_SELL,
        close_date=days(30),
        lines=[factories.line(analytics, 1, 2400)],
    )
    # Services: an ended term, a cancelled one and a lost opportunity leave it white.
    factories.contract(
        account=account, start=days(-500), end=days(-200), lines=[factories.line(support, 1, 600)]
    )
    cancelled = factories.contract(
        account=account, start=days(-10), end=days(355), lines=[factories.line(support, 1, 600)]
    )
    services.contract_set_status(
        contract=cancelled, acting_user=personas.owner, status=ContractStatus.CANCELLED
    )
    lost = factories.opportunity(
        account=account, close_date=days(5), lines=[factories.line(support, 2, 600)]
    )
    services.opportunity_lose(opportunity=lost, acting_user=personas.owner, loss_reason="price")

    response = signed_in(personas.owner).get(URL)
    assert response.status_code == 200
    html = response.content
    assert state(html, account, catalogue["Platform"]) == "owned"
    assert "9,600 EUR" in cell(html, account, catalogue["Platform"])
    assert state(html, account, catalogue["Analytics"]) == "open"
    opportunity = Opportunity.objects.get(type=OpportunityType.CROSS_SELL)
    assert f'href="{opportunity.get_absolute_url()}"' in cell(html, account, catalogue["Analytics"])
    assert state(html, account, catalogue["Services"]) == "white"
    assert "Cross-sell" in cell(html, account, catalogue["Services"])
    # Nothing of Hosting is on sale: white, but nothing to offer.
    hosting = cell(html, account, catalogue["Hosting"])
    assert "Nothing on sale" in hosting and "<button" not in hosting
    # Columns in the families' order.
    headers = re.findall(r'<th scope="col" class="ws-family">([^<]+)</th>', html.decode())
    assert headers == ["Platform", "Analytics", "Services", "Hosting"]


def test_owned_wins_over_open(personas: Personas, catalogue: dict[str, ProductFamily]) -> None:
    platform = factories.product("Platform licence")
    factories.contract(
        account=personas.account,
        start=days(-30),
        end=days(300),
        lines=[factories.line(platform, 1, 1000)],
    )
    factories.opportunity(
        account=personas.account, close_date=days(20), lines=[factories.line(platform, 5, 1000)]
    )
    html = signed_in(personas.owner).get(URL).content
    assert state(html, personas.account, catalogue["Platform"]) == "owned"


def test_column_totals_count_the_page(
    personas: Personas, catalogue: dict[str, ProductFamily]
) -> None:
    platform = factories.product("Platform licence")
    for account in (personas.account, personas.other_account):
        factories.contract(
            account=account, start=days(-30), end=days(300), lines=[factories.line(platform, 1, 10)]
        )
    factories.opportunity(
        account=personas.account,
        close_date=days(20),
        lines=[factories.line(factories.product("Premium support"), 1, 600)],
    )
    AccountFactory(name="Zulu")
    html = signed_in(personas.owner).get(URL).content.decode()
    footer = re.search(r"<tfoot>.*?</tfoot>", html, flags=re.S)
    assert footer
    totals = [
        words(td)
        for td in re.findall(r"<td class=\"ws-totals\">.*?</td>", footer.group(0), flags=re.S)
    ]
    assert totals[0] == "● Owned: 2 ◐ Open opportunity: 0 ○ White space: 1"
    assert totals[2] == "● Owned: 0 ◐ Open opportunity: 1 ○ White space: 2"


def test_the_matrix_selector_in_three_queries(
    personas: Personas, catalogue: dict[str, ProductFamily], django_assert_num_queries: object
) -> None:
    accounts = [personas.account, personas.other_account]
    families = selectors.white_space_families()
    with django_assert_num_queries(3):  # type: ignore[operator]
        matrix = selectors.white_space_matrix(
            user=personas.owner, accounts=accounts, families=families, day=timezone.localdate()
        )
    assert [row.account for row in matrix.rows] == accounts
    services_cell = matrix.rows[0].cells[2]
    assert services_cell.state == "white" and services_cell.can_cross_sell
    # The outsider's own account, but not Northwind, offers them a cross-sell.
    outsider = selectors.white_space_matrix(
        user=personas.outsider, accounts=accounts, families=families, day=timezone.localdate()
    )
    assert [row.cells[2].can_cross_sell for row in outsider.rows] == [False, True]
    # The read-only user and a manager of the book need no query to know.
    with django_assert_num_queries(2):  # type: ignore[operator]
        head = selectors.white_space_matrix(
            user=personas.head, accounts=accounts, families=families, day=timezone.localdate()
        )
    assert all(row.cells[2].can_cross_sell for row in head.rows)


# Filters and pages ---------------------------------------------------------------------------


def names(html: bytes) -> list[str]:
    return re.findall(r'<th scope="row" class="ws-account"><a [^>]*>([^<]+)</a>', html.decode())


def test_filters_by_owner_tier_segment_and_name(
    personas: Personas, catalogue: dict[str, ProductFamily]
) -> None:
    AccountFactory(
        name="Éclair Foods", owner=personas.owner, tier=Tier.KEY, segment=Segment.ENTERPRISE
    )
    AccountFactory(name="Eclipse Media", owner=personas.outsider, tier=Tier.KEY)
    AccountFactory(name="Old Client", owner=personas.owner, is_archived=True)
    client = signed_in(personas.owner)
    assert names(client.get(URL).content) == [
        "Contoso",
        "Éclair Foods",
        "Eclipse Media",
        "Northwind Traders",
    ]
    assert names(client.get(URL, {"owner": "me"}).content) == ["Éclair Foods", "Northwind Traders"]
    assert names(client.get(URL, {"owner": personas.outsider.pk}).content) == [
        "Contoso",
        "Eclipse Media",
    ]
    assert names(client.get(URL, {"tier": "key"}).content) == ["Éclair Foods", "Eclipse Media"]
    assert names(client.get(URL, {"segment": "enterprise"}).content) == ["Éclair Foods"]
    assert names(client.get(URL, {"q": "ecl"}).content) == ["Éclair Foods", "Eclipse Media"]
    nothing = client.get(URL, {"q": "zzz"})
    assert "No account matches these filters." in words(nothing.content.decode())
    garbled = client.get(URL, {"tier": "gold", "owner": "you"})
    assert "Some filters were not understood and were ignored: owner, tier" in words(
        garbled.content.decode()
    )
    partial = client.get(URL, {"owner": "me"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert names(partial.content) == ["Éclair Foods", "Northwind Traders"]


def test_fifty_accounts_a_page_by_name(
    personas: Personas, catalogue: dict[str, ProductFamily]
) -> None:
    for index in range(53):
        AccountFactory(name=f"Book {index:02d}", owner=personas.owner)
    client = signed_in(personas.owner)
    first = client.get(URL, {"owner": "me"})
    listed = names(first.content)
    assert len(listed) == 50 and listed[0] == "Book 00" and listed[-1] == "Book 49"
    assert "54 accounts" in words(first.content.decode())
    assert "Page 1 of 2" in words(first.content.decode())
    assert 'href="?owner=me&amp;page=2"' in first.content.decode()
    second = client.get(URL, {"owner": "me", "page": 2})
    assert names(second.content) == ["Book 50", "Book 51", "Book 52", "Northwind Traders"]


def test_an_empty_catalogue_or_book_says_so(personas: Personas) -> None:
    client = signed_in(personas.head)
    response = client.get(URL)
    assert "The catalogue has no product family yet" in words(response.content.decode())
    factories.family("Platform")
    Account.objects.all().update(is_archived=True)
    response = client.get(URL)
    assert "No live account yet." in words(response.content.decode())


def grow(owner: User, count: int, families: dict[str, ProductFamily]) -> None:
    platform = factories.product("Platform licence")
    analytics = factories.product("Analytics suite")
    for index in range(count):
        account = AccountFactory(name=f"Grown {index:03d}", owner=owner)
        factories.contract(
            account=account, start=days(-20), end=days(340), lines=[factories.line(platform, 1, 10)]
        )
        factories.opportunity(
            account=account, close_date=days(10), lines=[factories.line(analytics, 1, 10)]
        )


@pytest.mark.parametrize("who", ["owner", "teammate", "head"])
def test_the_page_costs_the_same_queries_for_5_or_40_accounts(
    personas: Personas, catalogue: dict[str, ProductFamily], who: str
) -> None:
    client = signed_in(getattr(personas, who))
    grow(personas.owner, 3, catalogue)  # with the personas' two: five accounts
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        response = client.get(URL)
    assert len(names(response.content)) == 5
    grow(personas.outsider, 35, catalogue)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL)
    assert len(names(response.content)) == 40
    assert len(small.captured_queries) == len(large.captured_queries)
    # Session, user, the page and its capped count, families, owned, open, editable (none for a
    # head), the owners of the filter; and what the layout itself reads.
    assert len(large.captured_queries) <= 13


# Cross-sell ----------------------------------------------------------------------------------


def post(client: Client, account: Account, family: ProductFamily, **extra: object) -> object:
    return client.post(
        reverse("revenue:cross_sell"),
        {"account": account.pk, "family": family.pk, "next": f"{URL}?owner=me"},
        **extra,
    )


@pytest.mark.parametrize("who", ["owner", "teammate", "head"])
def test_one_click_opens_one_cross_sell(
    personas: Personas, catalogue: dict[str, ProductFamily], who: str
) -> None:
    user = getattr(personas, who)
    analytics = catalogue["Analytics"]
    client = signed_in(user)
    response = post(client, personas.account, analytics, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # type: ignore[attr-defined]
    opportunity = Opportunity.objects.get()
    assert opportunity.account == personas.account
    assert opportunity.type == OpportunityType.CROSS_SELL
    assert opportunity.status == OpportunityStatus.OPEN
    assert opportunity.name == "Cross-sell: Analytics – Northwind Traders"
    assert opportunity.close_date == days(90)
    assert opportunity.owner == personas.owner, "the account manager owns it"
    assert opportunity.created_by == user
    assert opportunity.currency == "EUR" and opportunity.amount == Decimal("2400.00")
    (line,) = opportunity.lines.all()
    assert line.product.name == "Analytics suite", "the first product on sale, by name"
    assert line.quantity == 1 and line.unit_price == Decimal("2400.00")
    # The answer is the cell, now open, linking to the new opportunity.
    html = response.content.decode()  # type: ignore[attr-defined]
    assert html.strip().startswith("<td") and "<html" not in html
    assert state(html, personas.account, analytics) == "open"
    assert f'href="{opportunity.get_absolute_url()}"' in html
    # A second click (a double click, another tab) opens nothing more.
    again = post(client, personas.account, analytics, HTTP_HX_REQUEST="true")
    assert Opportunity.objects.count() == 1
    assert state(again.content, personas.account, analytics) == "open"  # type: ignore[attr-defined]


def test_without_javascript_the_matrix_comes_back_with_a_message(
    personas: Personas, catalogue: dict[str, ProductFamily]
) -> None:
    client = signed_in(personas.owner)
    response = post(client, personas.account, catalogue["Services"])
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == f"{URL}?owner=me"  # type: ignore[index]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [  # type: ignore[attr-defined]
        "Cross-sell “Cross-sell: Services – Northwind Traders” opened."
    ]
    page = client.get(f"{URL}?owner=me")
    assert state(page.content, personas.account, catalogue["Services"]) == "open"
    # Somewhere else than this site is not where it goes back to.
    away = client.post(
        reverse("revenue:cross_sell"),
        {
            "account": personas.account.pk,
            "family": catalogue["Platform"].pk,
            "next": "https://evil.example/",
        },
    )
    assert away["Location"] == URL  # type: ignore[index]


@pytest.mark.parametrize("who", ["outsider", "read_only"])
def test_who_may_not_change_the_account_cannot_cross_sell(
    personas: Personas, catalogue: dict[str, ProductFamily], who: str
) -> None:
    client = signed_in(getattr(personas, who))
    response = post(client, personas.account, catalogue["Analytics"], HTTP_HX_REQUEST="true")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert not Opportunity.objects.exists()
    # Nor are they offered the button.
    html = client.get(URL).content
    assert "<button" not in cell(html, personas.account, catalogue["Analytics"])


def test_a_family_with_nothing_on_sale_opens_nothing(
    personas: Personas, catalogue: dict[str, ProductFamily]
) -> None:
    client = signed_in(personas.owner)
    response = post(client, personas.account, catalogue["Hosting"], HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert not Opportunity.objects.exists()
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "Nothing of Hosting is on sale: there is nothing to offer." in words(html)
    assert 'role="alert"' in html


def test_a_refusal_from_the_service_is_shown_and_nothing_is_written(
    personas: Personas, catalogue: dict[str, ProductFamily]
) -> None:
    from rapport.revenue.models import PipelineStage

    PipelineStage.objects.filter(outcome=OpportunityStatus.OPEN).update(is_active=False)
    client = signed_in(personas.owner)
    response = post(client, personas.account, catalogue["Analytics"], HTTP_HX_REQUEST="true")
    assert "The pipeline has no open stage in use." in words(response.content.decode())  # type: ignore[attr-defined]
    assert state(response.content, personas.account, catalogue["Analytics"]) == "white"  # type: ignore[attr-defined]
    assert not Opportunity.objects.exists()
    plain = post(client, personas.account, catalogue["Analytics"])
    assert [str(m) for m in get_messages(plain.wsgi_request)] == [  # type: ignore[attr-defined]
        "The pipeline has no open stage in use."
    ]


def test_bad_input_is_refused(personas: Personas, catalogue: dict[str, ProductFamily]) -> None:
    client = signed_in(personas.owner)
    url = reverse("revenue:cross_sell")
    assert client.post(url, {"account": personas.account.pk}).status_code == 400
    assert client.post(url, {"account": "x", "family": "1"}).status_code == 400
    assert (
        client.post(url, {"account": 999999, "family": catalogue["Platform"].pk}).status_code == 404
    )
    assert client.post(url, {"account": personas.account.pk, "family": 999999}).status_code == 400
    assert client.get(url).status_code == 405
    assert not Opportunity.objects.exists()
    assert not Contract.objects.exists()


def test_the_filter_schema() -> None:
    assert WhiteSpaceFilter().is_filtered() is False
    assert WhiteSpaceFilter(owner="me").is_filtered() is True
