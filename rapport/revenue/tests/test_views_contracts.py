"""The contract pages: the list, creating, correcting and amending a contract, its page, its
status and notice forms, and its history."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from rapport.accounts.choices import LifecycleStage
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas
from rapport.revenue import services
from rapport.revenue.choices import ContractStatus, LossReason, OpportunityType
from rapport.revenue.models import Contract, ContractAmendment, ContractLine, Product
from rapport.revenue.tests import factories
from rapport.revenue.tests.factories import line
from rapport.users.models import User

pytestmark = pytest.mark.django_db

LIST = reverse("revenue:contract_list")
CREATE = reverse("revenue:contract_create")


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def lines_data(rows: list[tuple[Product | None, str, str]], *, initial: int = 0) -> dict[str, str]:
    data = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for index, (product, quantity, price) in enumerate(rows):
        data[f"lines-{index}-product"] = str(product.pk) if product else ""
        data[f"lines-{index}-quantity"] = quantity
        data[f"lines-{index}-unit_price"] = price
    return data


def header(**values: Any) -> dict[str, str]:
    data = {
        "reference": "NW-NEW",
        "currency": "EUR",
        "start_date": days(-30).isoformat(),
        "end_date": days(334).isoformat(),
        "notice_days": "",
        "notes": "",
    }
    data.update({key: str(value) for key, value in values.items()})
    return data


@pytest.fixture
def platform(db: None) -> Product:
    return factories.product("Platform licence", list_price=1000)


@pytest.fixture
def seats(db: None) -> Product:
    return factories.product("Seats", list_price=50)


@pytest.fixture
def contract(personas: Personas, platform: Product, seats: Product) -> Contract:
    """A term in force today, renewing tacitly, with two lines."""
    return factories.contract(
        account=personas.account,
        start=days(-100),
        end=days(265),
        reference="NW-2025",
        auto_renew=True,
        notice_days=60,
        lines=[line(platform, 2, 1000), line(seats, 10, 50)],
    )


# Every page, for every persona ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider", "read_only", "head", "admin"])
def test_every_contract_page_renders_for_everyone_signed_in(
    personas: Personas, contract: Contract, who: str
) -> None:
    client = signed_in(getattr(personas, who))
    for url in (
        LIST,
        contract.get_absolute_url(),
        reverse("revenue:contract_history", args=[contract.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<title>" in response.content.decode()
    page = text(client.get(contract.get_absolute_url()))
    may_change = who in ("owner", "teammate", "head", "admin")
    assert ("Mark churned" in page) == may_change
    assert (reverse("revenue:contract_amend", args=[contract.pk]) in page) == may_change
    assert (reverse("revenue:contract_edit", args=[contract.pk]) in page) == may_change


def test_pages_need_a_signed_in_user(contract: Contract) -> None:
    response = Client().get(contract.get_absolute_url())
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["outsider", "read_only"])
def test_forbidden_writes_answer_403_and_change_nothing(
    personas: Personas, contract: Contract, platform: Product, who: str
) -> None:
    client = signed_in(getattr(personas, who))
    before = (Contract.objects.count(), ContractLine.objects.count(), contract.version)
    edit = reverse("revenue:contract_edit", args=[contract.pk])
    amend = reverse("revenue:contract_amend", args=[contract.pk])
    posts = [
        (f"{CREATE}?account={personas.account.pk}", header() | lines_data([(platform, "1", "5")])),
        (edit, header(reference="Hacked", version=contract.version) | lines_data([])),
        (amend, {"effective_date": days(0).isoformat(), "reason": "x"} | lines_data([])),
        (
            reverse("revenue:contract_status", args=[contract.pk]),
            {"status": ContractStatus.CANCELLED},
        ),
        (
            reverse("revenue:contract_notice", args=[contract.pk]),
            {"client_notified_on": days(0).isoformat()},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    for url in (edit, amend, f"{CREATE}?account={personas.account.pk}"):
        assert client.get(url).status_code == 403, url
    contract.refresh_from_db()
    assert (Contract.objects.count(), ContractLine.objects.count(), contract.version) == before
    assert contract.reference == "NW-2025" and contract.status == ContractStatus.ACTIVE


# The list ------------------------------------------------------------------------------------


def test_the_list_shows_each_contract_with_its_arr_today_in_the_company_currency(
    personas: Personas, contract: Contract, platform: Product
) -> None:
    factories.rate("USD", days(-400), "0.5")
    factories.contract(
        account=personas.other_account,
        start=days(-10),
        end=days(355),
        reference="CT-USD",
        currency="USD",
        lines=[line(platform, 3, 1000)],
    )
    cancelled = factories.contract(
        account=personas.other_account,
        start=days(-10),
        end=days(355),
        reference="CT-VOID",
        lines=[line(platform, 1, 999)],
    )
    services.contract_set_status(
        contract=cancelled, acting_user=personas.outsider, status=ContractStatus.CANCELLED
    )
    response = signed_in(personas.read_only).get(LIST)
    rows = {row.reference: row for row in response.context["page"].object_list}
    assert rows["NW-2025"].arr_now == Decimal("2500.00")
    assert rows["CT-USD"].arr_now == Decimal("1500.00")
    assert rows["CT-VOID"].arr_now is None
    page = text(response)
    assert "Northwind Traders" in page and "Contoso" in page
    assert "Renews tacitly" in page and "notice by" in page
    assert "ARR today (EUR)" in page
    # Read-only users are not offered a new contract.
    assert "New contract" not in page
    assert "New contract" in text(signed_in(personas.owner).get(LIST))


def test_the_list_searches_the_reference_and_filters(
    personas: Personas, contract: Contract, platform: Product
) -> None:
    other = factories.contract(
        account=personas.other_account,
        start=days(-500),
        end=days(-136),
        reference="CT-OLD",
        lines=[line(platform, 1, 10)],
    )
    services.contract_set_status(
        contract=other,
        acting_user=personas.outsider,
        status=ContractStatus.CHURNED,
        churn_reason=LossReason.BUDGET,
    )
    client = signed_in(personas.owner)

    def references(query: str) -> list[str]:
        response = client.get(f"{LIST}?{query}")
        return [row.reference for row in response.context["page"].object_list]

    assert references("q=ct-o") == ["CT-OLD"]
    assert references("status=churned") == ["CT-OLD"]
    assert references(f"account={personas.account.pk}") == ["NW-2025"]
    assert references("auto_renew=true") == ["NW-2025"]
    assert references(f"ends_before={days(0).isoformat()}") == ["CT-OLD"]
    assert references("q=nothing-like-it") == []
    empty = text(client.get(f"{LIST}?q=nothing-like-it"))
    assert "No contract matches these filters." in empty
    # A filter that makes no sense is dropped and said so, not a 500.
    response = client.get(f"{LIST}?status=sleeping")
    assert response.status_code == 200 and "were not understood" in text(response)
    # htmx asks for the results alone.
    partial = client.get(f"{LIST}?q=ct", headers={"HX-Request": "true"})
    assert "CT-OLD" in text(partial) and "<html" not in partial.content.decode()
    assert "HX-Request" in partial["Vary"]


def test_the_empty_list_says_so(personas: Personas) -> None:
    page = text(signed_in(personas.owner).get(LIST))
    assert "There are no contracts yet." in page


def test_the_list_reads_a_fixed_number_of_queries(
    personas: Personas,
    platform: Product,
    seats: Product,
    settings: Settings,
    django_assert_num_queries: Any,
) -> None:
    settings.RAPPORT_PAGE_SIZE = 25

    def make(count: int) -> None:
        for number in range(count):
            account = AccountFactory(owner=personas.owner if number % 2 else personas.outsider)
            factories.contract(
                account=account,
                start=days(-number),
                end=days(300 + number),
                reference=f"C-{Contract.objects.count():03}",
                lines=[line(platform, 1, 100), line(seats, 2, 50)],
            )

    client = signed_in(personas.head)
    make(3)
    client.get(LIST)
    with django_assert_num_queries(11) as few:
        small = client.get(LIST)
    make(27)
    with django_assert_num_queries(len(few.captured_queries)):
        large = client.get(LIST)
    assert len(small.context["page"].object_list) == 3
    assert len(large.context["page"].object_list) == 25
    assert large.context["page"].paginator.count == 30
    assert all(row.arr_now == Decimal("200.00") for row in large.context["page"].object_list)
    second = client.get(f"{LIST}?page=2")
    assert len(second.context["page"].object_list) == 5


# Creating a contract -------------------------------------------------------------------------


def test_create_a_contract_with_its_lines(
    personas: Personas, platform: Product, seats: Product
) -> None:
    client = signed_in(personas.owner)
    url = f"{CREATE}?account={personas.account.pk}"
    form = text(client.get(url))
    assert "New contract for Northwind Traders" in form
    assert re.search(r'name="reference"[^>]*autofocus', form)
    assert 'value="EUR"' in form and "lines-TOTAL_FORMS" in form
    data = header(auto_renew="on", notice_days="90") | lines_data(
        [(platform, "2", "950"), (None, "", ""), (seats, "10", ""), (None, "", "")]
    )
    response = client.post(url, data)
    contract = Contract.objects.get()
    assert response.status_code == 302 and response["Location"] == contract.get_absolute_url()
    assert (contract.account, contract.reference, contract.auto_renew, contract.notice_days) == (
        personas.account,
        "NW-NEW",
        True,
        90,
    )
    values = {row.product: row for row in contract.lines.all()}
    assert values[platform].annual_value == Decimal("1900.00")
    # A blank price is the list price, in a contract in the company currency.
    assert values[seats].unit_price == Decimal("50.00")
    assert contract.history.get().history_user == personas.owner


def test_create_from_the_list_picks_the_account_by_name(
    personas: Personas, platform: Product
) -> None:
    client = signed_in(personas.teammate)
    form = text(client.get(CREATE))
    assert re.search(r'name="account"[^>]*autofocus', form) and "account-suggestions" in form
    data = header(account="Northwind Traders") | lines_data([(platform, "1", "10")])
    response = client.post(CREATE, data)
    assert response.status_code == 302
    assert Contract.objects.get().account == personas.account
    # An account the user may not edit: refused outright, nothing saved.
    response = client.post(CREATE, header(account="Contoso") | lines_data([(platform, "1", "1")]))
    assert response.status_code == 403 and Contract.objects.count() == 1
    response = client.post(
        CREATE, header(account="Nobody Inc") | lines_data([(platform, "1", "1")])
    )
    assert "No account is named “Nobody Inc”." in text(response)


@pytest.mark.parametrize(
    ("values", "rows", "message"),
    [
        pytest.param(
            {}, [("platform", "-1", "10")], "Line 1: the quantity must be more than zero."
        ),
        pytest.param({}, [("platform", "0", "10")], "Line 1: the quantity must be more than zero."),
        pytest.param({}, [("platform", "1", "-10")], "Line 1: a price cannot be negative."),
        pytest.param(
            {},
            [("platform", "1", "10"), ("platform", "1", "10")],
            "Platform licence is already on this contract",
        ),
        pytest.param({}, [], "Add at least one product."),
        pytest.param(
            {"start_date": days(10).isoformat(), "end_date": days(5).isoformat()},
            [("platform", "1", "10")],
            "The end date must be after the start date.",
        ),
        pytest.param(
            {"currency": "usd"},
            [("platform", "1", "10")],
            # The start date is read when the test runs: collection may be the day before.
            "There is no exchange rate for USD on {start}",
        ),
        pytest.param(
            {"currency": "GBP"},
            [("platform", "1", "")],
            "Give the unit price in GBP: the list price is in EUR.",
        ),
        pytest.param({}, [(None, "3", "10")], "Choose a product, or empty the row."),
        pytest.param({}, [("platform", "many", "10")], "Enter a number."),
        pytest.param({"currency": "E1"}, [("platform", "1", "1")], "three-letter ISO currency"),
    ],
)
def test_create_shows_what_is_wrong_and_saves_nothing(
    personas: Personas,
    platform: Product,
    values: dict[str, str],
    rows: list[tuple[str | None, str, str]],
    message: str,
) -> None:
    factories.rate("GBP", days(-400), "1.2")
    rows_with_products = [(platform if name else None, q, p) for name, q, p in rows]
    response = signed_in(personas.owner).post(
        f"{CREATE}?account={personas.account.pk}",
        header(**values) | lines_data(rows_with_products),
    )
    assert response.status_code == 200
    assert message.format(start=days(-30).isoformat()) in text(response)
    assert not Contract.objects.exists() and not ContractLine.objects.exists()


def test_an_archived_account_takes_no_new_contract(personas: Personas, platform: Product) -> None:
    personas.account.is_archived = True
    personas.account.save()
    response = signed_in(personas.owner).post(
        f"{CREATE}?account={personas.account.pk}", header() | lines_data([(platform, "1", "1")])
    )
    assert "This account is archived" in text(response) and not Contract.objects.exists()


# Correcting a contract -----------------------------------------------------------------------


def test_edit_replaces_the_lines_of_a_contract_never_amended(
    personas: Personas, contract: Contract, platform: Product, seats: Product
) -> None:
    url = reverse("revenue:contract_edit", args=[contract.pk])
    client = signed_in(personas.teammate)
    form = text(client.get(url))
    assert 'value="NW-2025"' in form and 'lines-INITIAL_FORMS" value="2"' in form
    data = header(
        reference="NW-2025b",
        start_date=contract.start_date,
        end_date=contract.end_date,
        auto_renew="on",
        notice_days=60,
        version=contract.version,
    ) | lines_data([(platform, "3", "1000"), (seats, "10", "50")], initial=2)
    response = client.post(url, data)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.reference == "NW-2025b" and contract.version == 2
    assert sorted(contract.lines.values_list("quantity", flat=True)) == [3, 10]


def test_edit_leaves_the_lines_alone_when_they_did_not_change(
    personas: Personas, contract: Contract, platform: Product, seats: Product
) -> None:
    before = set(contract.lines.values_list("pk", flat=True))
    data = header(
        reference="Same lines",
        start_date=contract.start_date,
        end_date=contract.end_date + datetime.timedelta(days=31),
        version=contract.version,
    ) | lines_data([(seats, "10.00", "50"), (platform, "2", "1000.00")], initial=2)
    client = signed_in(personas.owner)
    assert (
        client.post(reverse("revenue:contract_edit", args=[contract.pk]), data).status_code == 302
    )
    assert set(contract.lines.values_list("pk", flat=True)) == before
    assert set(contract.lines.values_list("end_date", flat=True)) == {days(296)}


def test_a_stale_edit_is_refused_with_a_message(
    personas: Personas, contract: Contract, platform: Product
) -> None:
    services.contract_update(
        contract=contract, acting_user=personas.head, data={"notes": "Head's"}, expected_version=1
    )
    data = header(
        reference="Mine", start_date=contract.start_date, end_date=contract.end_date, version=1
    ) | lines_data([(platform, "1", "1")], initial=2)
    response = signed_in(personas.owner).post(
        reverse("revenue:contract_edit", args=[contract.pk]), data
    )
    assert "Someone else changed this record since you opened it." in text(response)
    contract.refresh_from_db()
    assert contract.reference == "NW-2025" and contract.notes == "Head's"


def test_an_amended_contract_is_edited_without_its_lines(
    personas: Personas, contract: Contract, platform: Product
) -> None:
    services.contract_amend(
        contract=contract,
        acting_user=personas.owner,
        effective_date=days(0),
        reason="More",
        lines=[line(platform, 5, 1000)],
    )
    contract.refresh_from_db()
    url = reverse("revenue:contract_edit", args=[contract.pk])
    client = signed_in(personas.owner)
    form = text(client.get(url))
    assert "This contract has amendments" in form and "lines-TOTAL_FORMS" not in form
    data = header(
        reference="Amended",
        start_date=contract.start_date,
        end_date=contract.end_date,
        version=contract.version,
    )
    assert client.post(url, data).status_code == 302
    contract.refresh_from_db()
    assert contract.reference == "Amended"


# Amending ------------------------------------------------------------------------------------


def test_amend_starts_from_the_lines_in_force_and_records_the_change(
    personas: Personas, contract: Contract, platform: Product, seats: Product
) -> None:
    analytics = factories.product("Analytics", family_name="Insights", list_price=3000)
    url = reverse("revenue:contract_amend", args=[contract.pk])
    client = signed_in(personas.owner)
    form = text(client.get(url))
    assert "ended the day before" in form
    assert f'value="{days(0).isoformat()}"' in form and 'lines-INITIAL_FORMS" value="2"' in form
    data = {
        "effective_date": days(0).isoformat(),
        "reason": "Twenty seats and analytics",
        "version": str(contract.version),
    } | lines_data([(platform, "2", "1000"), (seats, "20", "50"), (analytics, "1", "")], initial=2)
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == contract.get_absolute_url()
    amendment = ContractAmendment.objects.get()
    assert (amendment.reason, amendment.created_by) == (
        "Twenty seats and analytics",
        personas.owner,
    )
    assert set(amendment.started_lines.values_list("product__name", flat=True)) == {
        "Seats",
        "Analytics",
    }
    assert amendment.ended_lines.get().quantity == 10
    page = text(client.get(contract.get_absolute_url()))
    assert "Twenty seats and analytics" in page and "amendment from" in page


def test_amend_shows_what_is_wrong_and_records_nothing(
    personas: Personas, contract: Contract, platform: Product, seats: Product
) -> None:
    url = reverse("revenue:contract_amend", args=[contract.pk])
    client = signed_in(personas.owner)
    same = lines_data([(platform, "2", "1000"), (seats, "10", "50")], initial=2)
    cases = [
        ({"effective_date": days(0).isoformat(), "reason": "Nothing"} | same, "changes nothing"),
        (
            {"effective_date": contract.start_date.isoformat(), "reason": "First day"} | same,
            "after the first day of the term",
        ),
        ({"effective_date": days(0).isoformat(), "reason": ""} | same, "Say why the contract"),
        (
            {"effective_date": days(0).isoformat(), "reason": "Twice"}
            | lines_data([(platform, "2", "1000"), (platform, "3", "1000")], initial=2),
            "Line 2: this product is listed twice.",
        ),
    ]
    for data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 200 and message in text(response), message
    assert not ContractAmendment.objects.exists()
    assert ContractLine.objects.filter(ended_by__isnull=False).count() == 0


def test_amend_loads_the_lines_of_another_day(
    personas: Personas, contract: Contract, platform: Product
) -> None:
    services.contract_amend(
        contract=contract,
        acting_user=personas.owner,
        effective_date=days(10),
        reason="Only the platform",
        lines=[line(platform, 2, 1000)],
    )
    url = reverse("revenue:contract_amend", args=[contract.pk])
    client = signed_in(personas.owner)
    assert 'lines-INITIAL_FORMS" value="2"' in text(client.get(url))
    later = text(client.get(f"{url}?on={days(20).isoformat()}"))
    assert 'lines-INITIAL_FORMS" value="1"' in later


# The contract's page, status and notice ------------------------------------------------------


def test_the_contract_page_shows_lines_amendments_arr_renewal_and_opportunities(
    personas: Personas, contract: Contract, platform: Product, seats: Product
) -> None:
    services.contract_amend(
        contract=contract,
        acting_user=personas.owner,
        effective_date=days(-10),
        reason="Fewer seats",
        lines=[line(platform, 2, 1000), line(seats, 4, 50)],
    )
    renewal = factories.opportunity(
        account=personas.account,
        type=OpportunityType.RENEWAL,
        contract=contract,
        close_date=contract.end_date,
        amount=None,
    )
    next_term = services.contract_create(
        acting_user=personas.owner,
        account=personas.account,
        data={
            "start_date": contract.end_date + datetime.timedelta(days=1),
            "end_date": contract.end_date + datetime.timedelta(days=365),
            "reference": "NW-2026",
        },
        lines=[line(platform, 2, 1000)],
        previous=contract,
    )
    response = signed_in(personas.read_only).get(contract.get_absolute_url())
    page = text(response)
    assert response.context["arr_company"] == Decimal("2200.00")
    assert len(response.context["lines_today"]) == 2
    assert len(response.context["line_history"]) == 3
    assert "Fewer seats" in page and "Active" in page
    assert reverse("revenue:opportunity_detail", args=[renewal.pk]) in page
    assert next_term.get_absolute_url() in page
    assert "Notice date" in page and "not yet" in page
    # Read-only: the figures, never the forms.
    assert reverse("revenue:contract_notice", args=[contract.pk]) not in page
    assert reverse("revenue:contract_status", args=[contract.pk]) not in page
    next_page = text(signed_in(personas.owner).get(next_term.get_absolute_url()))
    assert contract.get_absolute_url() in next_page


def test_the_contract_page_reads_a_fixed_number_of_queries(
    personas: Personas, contract: Contract, platform: Product
) -> None:
    client = signed_in(personas.owner)
    client.get(contract.get_absolute_url())
    with CaptureQueriesContext(connection) as before:
        client.get(contract.get_absolute_url())
    for number in range(5):
        services.contract_amend(
            contract=contract,
            acting_user=personas.owner,
            effective_date=days(number + 1),
            reason=f"Step {number}",
            lines=[line(platform, number + 3, 1000)],
        )
    with CaptureQueriesContext(connection) as after:
        response = client.get(contract.get_absolute_url())
    assert len(response.context["amendments"]) == 5
    assert len(after.captured_queries) == len(before.captured_queries)


def test_mark_churned_needs_a_reason_then_churns_the_account(
    personas: Personas, contract: Contract
) -> None:
    url = reverse("revenue:contract_status", args=[contract.pk])
    client = signed_in(personas.owner)
    response = client.post(
        url, {"status": ContractStatus.CHURNED, "version": contract.version}, follow=True
    )
    assert "Say why the client left." in text(response)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    response = client.post(
        url,
        {"status": "churned", "churn_reason": LossReason.NO_ADOPTION, "version": contract.version},
        follow=True,
    )
    assert "Make active again" in text(response)
    contract.refresh_from_db()
    personas.account.refresh_from_db()
    assert (contract.status, contract.churn_reason) == ("churned", LossReason.NO_ADOPTION)
    assert personas.account.lifecycle_stage == LifecycleStage.CHURNED
    client.post(url, {"status": "active", "version": contract.version})
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    # A stale form says so and changes nothing.
    response = client.post(url, {"status": "cancelled", "version": 1}, follow=True)
    assert "Someone else changed this record" in text(response)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE


def test_record_the_day_the_client_was_notified(personas: Personas, contract: Contract) -> None:
    url = reverse("revenue:contract_notice", args=[contract.pk])
    client = signed_in(personas.owner)
    response = client.post(url, {"client_notified_on": days(1).isoformat()}, follow=True)
    assert "This day has not come yet." in text(response)
    response = client.post(url, {"client_notified_on": "not a day"}, follow=True)
    assert "Enter a valid date." in text(response)
    contract.refresh_from_db()
    assert contract.client_notified_on is None
    response = client.post(url, {"client_notified_on": days(-2).isoformat()}, follow=True)
    assert "The day the client was notified is recorded." in text(response)
    contract.refresh_from_db()
    assert contract.client_notified_on == days(-2)


def test_the_history_covers_the_contract_its_lines_and_amendments(
    personas: Personas, contract: Contract, platform: Product
) -> None:
    services.contract_amend(
        contract=contract,
        acting_user=personas.head,
        effective_date=days(0),
        reason="More platform",
        lines=[line(platform, 9, 1000)],
    )
    response = signed_in(personas.teammate).get(
        reverse("revenue:contract_history", args=[contract.pk])
    )
    page = text(response)
    entries = response.context["page"].object_list
    subjects = " | ".join(entry.subject for entry in entries)
    assert "amendment from" in subjects and "Platform licence" in subjects and "Seats" in subjects
    assert {str(entry.who) for entry in entries} >= {str(personas.head), str(personas.owner)}
    assert "Who changed what" in page and str(personas.head) in page
