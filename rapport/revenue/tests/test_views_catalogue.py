"""The catalogue pages: products by family, the families, and the exchange rates."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from rapport.core.tests.personas import Personas
from rapport.revenue import services
from rapport.revenue.choices import ContractStatus
from rapport.revenue.models import ContractLine, ExchangeRate, Product, ProductFamily
from rapport.revenue.tests import factories
from rapport.revenue.tests.factories import line
from rapport.users.models import User

pytestmark = pytest.mark.django_db

PRODUCTS = reverse("revenue:product_list")
RATES = reverse("revenue:rate_list")
PERSONAS = ["owner", "teammate", "outsider", "read_only", "head", "admin"]
KEEPERS = {"head", "admin"}


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def platform(db: None) -> Product:
    factories.family("Services", position=2)
    return factories.product("Platform licence", list_price=1000)


# Products ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", PERSONAS)
def test_catalogue_pages_render_for_everyone_and_offer_changes_to_keepers(
    personas: Personas, platform: Product, who: str
) -> None:
    client = signed_in(getattr(personas, who))
    family = platform.family
    for url in (PRODUCTS, platform.get_absolute_url(), RATES):
        response = client.get(url)
        assert response.status_code == 200, url
    keeps = who in KEEPERS
    listing = text(client.get(PRODUCTS))
    assert (reverse("revenue:product_create") in listing) == keeps
    assert (reverse("revenue:family_edit", args=[family.pk]) in listing) == keeps
    detail = text(client.get(platform.get_absolute_url()))
    assert (reverse("revenue:product_edit", args=[platform.pk]) in detail) == keeps
    rates = text(client.get(RATES))
    assert ("Add or correct a rate" in rates) == keeps
    for url in (
        reverse("revenue:product_create"),
        reverse("revenue:product_edit", args=[platform.pk]),
        reverse("revenue:family_create"),
        reverse("revenue:family_edit", args=[family.pk]),
    ):
        assert client.get(url).status_code == (200 if keeps else 403), url


@pytest.mark.parametrize("who", ["owner", "teammate", "read_only"])
def test_forbidden_catalogue_writes_answer_403_and_change_nothing(
    personas: Personas, platform: Product, who: str
) -> None:
    client = signed_in(getattr(personas, who))
    rate = factories.rate("USD", days(-10), "0.9")
    posts = [
        (
            reverse("revenue:product_create"),
            {"name": "Sneaky", "family": platform.family_id, "list_price": "1"},
        ),
        (
            reverse("revenue:product_edit", args=[platform.pk]),
            {"name": "Renamed", "family": platform.family_id, "list_price": "1", "version": "1"},
        ),
        (reverse("revenue:family_create"), {"name": "Sneaky family", "position": "1"}),
        (
            reverse("revenue:family_edit", args=[platform.family_id]),
            {"name": "Renamed", "position": "1"},
        ),
        (RATES, {"currency": "GBP", "effective_date": days(0).isoformat(), "rate": "1.1"}),
        (reverse("revenue:rate_delete", args=[rate.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    platform.refresh_from_db()
    assert platform.name == "Platform licence" and Product.objects.count() == 1
    assert list(ProductFamily.objects.values_list("name", flat=True)) == ["Platform", "Services"]
    assert list(ExchangeRate.objects.all()) == [rate]


def test_products_are_listed_by_family_searched_and_filtered(
    personas: Personas, platform: Product, settings: Settings
) -> None:
    factories.product("Premium support", family_name="Services", list_price=5000)
    factories.product("Legacy add-on", list_price=10, is_active=False)
    Product.objects.filter(name="Premium support").update(code="SUP-1")
    client = signed_in(personas.owner)

    def names(query: str = "") -> list[str]:
        response = client.get(f"{PRODUCTS}?{query}")
        return [product.name for product in response.context["page"].object_list]

    # On sale by default, family by family in the families' order.
    assert names() == ["Platform licence", "Premium support"]
    assert names("state=inactive") == ["Legacy add-on"]
    assert names("state=all") == ["Legacy add-on", "Platform licence", "Premium support"]
    assert names(f"family={platform.family_id}&state=all") == ["Legacy add-on", "Platform licence"]
    assert names("q=sup-1") == ["Premium support"]
    page = text(client.get(PRODUCTS))
    services_row = page.index('colspan="4">Services<')
    assert page.index("Platform licence") < services_row < page.index("Premium support")
    assert "1,000" in page and "5,000" in page
    assert "No product matches these filters." in text(client.get(f"{PRODUCTS}?q=zzz"))
    partial = client.get(f"{PRODUCTS}?q=plat", headers={"HX-Request": "true"})
    assert "Platform licence" in text(partial) and "<html" not in partial.content.decode()
    settings.RAPPORT_PAGE_SIZE = 1
    assert names("state=all&page=3") == ["Premium support"]


def test_the_empty_catalogue_says_so(personas: Personas) -> None:
    page = text(signed_in(personas.head).get(PRODUCTS))
    assert "The catalogue is empty." in page and "No family yet" in page


def test_a_product_page_counts_the_live_lines_that_hold_it(
    personas: Personas, platform: Product
) -> None:
    for account, start, end in (
        (personas.account, days(-10), days(300)),
        (personas.other_account, days(-50), days(200)),
        (personas.other_account, days(-400), days(-40)),
    ):
        factories.contract(account=account, start=start, end=end, lines=[line(platform, 1, 10)])
    void = factories.contract(
        account=personas.account, start=days(-5), end=days(30), lines=[line(platform, 1, 10)]
    )
    services.contract_set_status(
        contract=void, acting_user=personas.owner, status=ContractStatus.CANCELLED
    )
    response = signed_in(personas.read_only).get(platform.get_absolute_url())
    assert (response.context["live_lines"], response.context["live_contracts"]) == (2, 2)
    assert "2 live lines" in text(response) and "on 2 contracts" in text(response)
    assert ContractLine.objects.filter(product=platform).count() == 4


def test_create_and_edit_a_product(personas: Personas, platform: Product) -> None:
    client = signed_in(personas.head)
    form = text(client.get(reverse("revenue:product_create")))
    assert re.search(r'name="name"[^>]*autofocus', form)
    response = client.post(
        reverse("revenue:product_create"),
        {
            "name": "Analytics",
            "code": "AN",
            "family": platform.family_id,
            "list_price": "2500",
            "is_active": "on",
            "description": "",
        },
    )
    analytics = Product.objects.get(name="Analytics")
    assert response.status_code == 302 and response["Location"] == analytics.get_absolute_url()
    assert analytics.list_price == Decimal("2500.00") and analytics.is_active
    assert analytics.history.get().history_user == personas.head
    edit = reverse("revenue:product_edit", args=[analytics.pk])
    data = {
        "name": "Analytics suite",
        "code": "AN",
        "family": platform.family_id,
        "list_price": "2600",
        "description": "",
        "version": "1",
    }
    assert client.post(edit, data).status_code == 302
    analytics.refresh_from_db()
    assert (analytics.name, analytics.is_active, analytics.version) == ("Analytics suite", False, 2)
    assert analytics.history.first().history_user == personas.head
    # The same form again, now stale: refused with a message.
    response = signed_in(personas.admin).post(edit, data | {"name": "Late"})
    assert "Someone else changed this record since you opened it." in text(response)
    analytics.refresh_from_db()
    assert analytics.name == "Analytics suite"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "list_price": "1"}, "Give the product a name."),
        ({"name": "X", "list_price": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"name": "X", "list_price": ""}, "Give its list price per unit and per year."),
        ({"name": "Platform licence", "list_price": "1"}, "already exists"),
    ],
)
def test_product_form_errors_are_shown_and_nothing_is_saved(
    personas: Personas, platform: Product, data: dict[str, str], message: str
) -> None:
    response = signed_in(personas.admin).post(
        reverse("revenue:product_create"), data | {"family": platform.family_id}
    )
    assert response.status_code == 200 and message in text(response)
    assert Product.objects.count() == 1


def test_families_are_created_and_edited(personas: Personas, platform: Product) -> None:
    client = signed_in(personas.admin)
    form = text(client.get(reverse("revenue:family_create")))
    assert 'name="position" value="3"' in form
    response = client.post(
        reverse("revenue:family_create"), {"name": "Insights", "position": "3", "description": ""}
    )
    assert response.status_code == 302 and response["Location"].endswith("#families")
    insights = ProductFamily.objects.get(name="Insights")
    assert insights.history.get().history_user == personas.admin
    response = client.post(
        reverse("revenue:family_edit", args=[insights.pk]),
        {"name": "Insights & data", "position": "0", "description": "Reports"},
    )
    insights.refresh_from_db()
    assert (insights.name, insights.position) == ("Insights & data", 0)
    response = client.post(
        reverse("revenue:family_edit", args=[insights.pk]),
        {"name": "Services", "position": "1"},
    )
    assert "already exists" in text(response)
    insights.refresh_from_db()
    assert insights.name == "Insights & data"
    page = text(client.get(PRODUCTS))
    assert page.index("Insights &amp; data") < page.index(">Platform<")


# Exchange rates ------------------------------------------------------------------------------


def test_the_rates_page_states_the_company_currency_and_lists_rates(
    personas: Personas,
) -> None:
    factories.rate("USD", days(-100), "0.9")
    factories.rate("USD", days(-10), "0.92")
    factories.rate("GBP", days(-10), "1.17")
    response = signed_in(personas.owner).get(RATES)
    page = text(response)
    assert "The company currency is <strong>EUR</strong>" in page
    rows = [(rate.currency, rate.rate) for rate in response.context["page"].object_list]
    assert rows == [
        ("GBP", Decimal("1.17")),
        ("USD", Decimal("0.92")),
        ("USD", Decimal("0.9")),
    ]
    only_usd = signed_in(personas.owner).get(f"{RATES}?in=usd")
    assert {rate.currency for rate in only_usd.context["page"].object_list} == {"USD"}
    empty = text(signed_in(personas.owner).get(f"{RATES}?in=JPY"))
    assert "No rate yet" in empty


def test_a_rate_is_added_corrected_and_figures_converted_again(
    personas: Personas, platform: Product
) -> None:
    factories.rate("USD", days(-400), "0.9")
    contract = factories.contract(
        account=personas.account,
        start=days(-30),
        end=days(334),
        currency="USD",
        lines=[line(platform, 1, 1000)],
    )
    client = signed_in(personas.head)
    correct = text(client.get(f"{RATES}?currency=USD&effective_date={days(-400).isoformat()}"))
    assert 'value="USD"' in correct
    response = client.post(
        RATES, {"currency": "usd", "effective_date": days(-60).isoformat(), "rate": "0.8"}
    )
    assert response.status_code == 302
    assert contract.lines.get().annual_value_company == Decimal("800.00")
    response = client.post(
        RATES, {"currency": "USD", "effective_date": days(-60).isoformat(), "rate": "0.85"}
    )
    assert ExchangeRate.objects.filter(currency="USD").count() == 2
    assert contract.lines.get().annual_value_company == Decimal("850.00")
    assert ExchangeRate.history.filter(history_user=personas.head).count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"currency": "EUR", "rate": "2"}, "This is the company currency"),
        ({"currency": "US", "rate": "2"}, "three-letter ISO currency code"),
        ({"currency": "USD", "rate": "0"}, "A rate must be more than zero."),
        ({"currency": "USD", "rate": ""}, "Give the rate."),
        ({"currency": "", "rate": "1"}, "Give the currency."),
    ],
)
def test_rate_form_errors_are_shown_and_nothing_is_saved(
    personas: Personas, data: dict[str, str], message: str
) -> None:
    response = signed_in(personas.admin).post(RATES, data | {"effective_date": days(0).isoformat()})
    assert response.status_code == 200 and message in text(response)
    assert not ExchangeRate.objects.exists()


def test_a_rate_a_figure_needs_cannot_be_removed(personas: Personas, platform: Product) -> None:
    needed = factories.rate("USD", days(-400), "0.9")
    spare = factories.rate("USD", days(-500), "0.7")
    factories.contract(
        account=personas.account,
        start=days(-450),
        end=days(-100),
        currency="USD",
        lines=[line(platform, 1, 1000)],
    )
    client = signed_in(personas.admin)
    response = client.post(reverse("revenue:rate_delete", args=[spare.pk]), follow=True)
    assert "was kept" in text(response) and "There is no exchange rate for USD" in text(response)
    assert ExchangeRate.objects.count() == 2
    response = client.post(reverse("revenue:rate_delete", args=[needed.pk]), follow=True)
    assert "was removed" in text(response)
    assert list(ExchangeRate.objects.all()) == [spare]
    assert ContractLine.objects.get().annual_value_company == Decimal("700.00")
    assert client.get(reverse("revenue:rate_delete", args=[spare.pk])).status_code == 405
