"""Products, rates, the pipeline, contracts, opportunities and the metrics over the REST API."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from rapport.accounts.choices import LifecycleStage, Segment, Tier
from rapport.communications.choices import TaskStatus
from rapport.communications.models import Task
from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.revenue import metrics, services
from rapport.revenue.choices import (
    ContractStatus,
    ForecastCategory,
    LossReason,
    OpportunityStatus,
    OpportunityType,
)
from rapport.revenue.metrics import MetricsFilter
from rapport.revenue.models import (
    Contract,
    ContractAmendment,
    ContractLine,
    ExchangeRate,
    Opportunity,
    PipelineStage,
    Product,
    ProductFamily,
)
from rapport.revenue.tests import factories
from rapport.stakeholders.choices import DecisionRole, StakeholderStatus, Stance
from rapport.stakeholders.tests.test_api import bearer, body, error_fields, send

pytestmark = pytest.mark.django_db

EDITORS = ("owner", "teammate", "head", "admin")
REFUSED = ("outsider", "read_only")
CATALOGUE_KEEPERS = ("head", "admin")
CATALOGUE_REFUSED = ("owner", "teammate", "outsider", "read_only")

JAN_1 = datetime.date(2025, 1, 1)
DEC_31 = datetime.date(2025, 12, 31)


def headers_of(personas: Personas, name: str) -> dict[str, str]:
    return bearer(getattr(personas, name))


def today() -> datetime.date:
    return timezone.localdate()


def current_term(personas: Personas, **extra: Any) -> Contract:
    """A year's term of the persona account running today, 10 licences at 1,000."""
    start = today() - datetime.timedelta(days=100)
    return factories.contract(
        account=extra.pop("account", personas.account),
        start=start,
        end=start + datetime.timedelta(days=364),
        lines=extra.pop("lines", [factories.line(factories.product(), 10, 1000)]),
        **extra,
    )


def contract_payload(personas: Personas, **changes: Any) -> dict[str, Any]:
    licence = factories.product()
    data: dict[str, Any] = {
        "account_id": personas.account.pk,
        "reference": "MSA-2025",
        "start_date": JAN_1.isoformat(),
        "end_date": DEC_31.isoformat(),
        "lines": [{"product_id": licence.pk, "quantity": "10", "unit_price": "1200"}],
    }
    data.update(changes)
    return data


# Authentication and the document --------------------------------------------------------------


def test_the_openapi_document_lists_the_revenue_operations(client: Client) -> None:
    paths = body(client.get("/api/v1/openapi.json"))["paths"]

    for path in (
        "/api/v1/products",
        "/api/v1/products/{product_id}",
        "/api/v1/product-families",
        "/api/v1/product-families/{family_id}",
        "/api/v1/exchange-rates",
        "/api/v1/exchange-rates/{rate_id}",
        "/api/v1/revenue/settings",
        "/api/v1/pipeline-stages",
        "/api/v1/pipeline-stages/{stage_id}",
        "/api/v1/contracts",
        "/api/v1/contracts/{contract_id}",
        "/api/v1/contracts/{contract_id}/amendments",
        "/api/v1/contracts/{contract_id}/status",
        "/api/v1/contracts/{contract_id}/notice",
        "/api/v1/accounts/{account_id}/contracts",
        "/api/v1/opportunities",
        "/api/v1/opportunities/{opportunity_id}",
        "/api/v1/opportunities/{opportunity_id}/move",
        "/api/v1/opportunities/{opportunity_id}/win",
        "/api/v1/opportunities/{opportunity_id}/lose",
        "/api/v1/opportunities/{opportunity_id}/reopen",
        "/api/v1/opportunities/{opportunity_id}/consensus",
        "/api/v1/revenue/arr",
        "/api/v1/revenue/retention",
        "/api/v1/revenue/renewal-forecast",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/products/{product_id}"]) == {"get", "patch"}
    assert set(paths["/api/v1/exchange-rates"]) == {"get", "put"}
    assert set(paths["/api/v1/contracts/{contract_id}"]) == {"get", "patch"}


def test_a_stranger_is_asked_to_sign_in_and_a_session_is_enough(
    client: Client, personas: Personas
) -> None:
    assert client.get("/api/v1/contracts").status_code == 401
    assert client.get("/api/v1/revenue/arr").status_code == 401

    client.force_login(personas.read_only)

    assert client.get("/api/v1/contracts").status_code == 200


def test_settings_name_the_company_currency_and_the_delays(
    client: Client, personas: Personas
) -> None:
    data = body(client.get("/api/v1/revenue/settings", **bearer(personas.read_only)))

    assert data == {
        "company_currency": settings.RAPPORT_CURRENCY,
        "renewal_lead_days": settings.RAPPORT_RENEWAL_LEAD_DAYS,
        "notice_reminder_days": settings.RAPPORT_NOTICE_REMINDER_DAYS,
    }


# Catalogue --------------------------------------------------------------------------------


def test_products_list_filters_and_pages(client: Client, personas: Personas) -> None:
    factories.product("Analytics", family_name="Insight", list_price="250.5")
    factories.product("Platform licence", family_name="Platform")
    factories.product("Premium support", family_name="Services", list_price=400)
    factories.product("Legacy connector", family_name="Platform", is_active=False)
    headers = bearer(personas.read_only)
    insight = ProductFamily.objects.get(name="Insight")

    on_sale = body(client.get("/api/v1/products", **headers))
    withdrawn = body(client.get("/api/v1/products?state=inactive", **headers))
    by_words = body(client.get("/api/v1/products?q=SUPPORT", **headers))
    by_family = body(client.get(f"/api/v1/products?family={insight.pk}", **headers))
    second = body(client.get("/api/v1/products?page_size=2&page=2", **headers))

    assert [row["name"] for row in on_sale["results"]] == [
        "Analytics",
        "Platform licence",
        "Premium support",
    ]
    assert on_sale["results"][0]["list_price"] == "250.50"
    assert on_sale["results"][0]["currency"] == settings.RAPPORT_CURRENCY
    assert on_sale["results"][0]["family"] == {"id": insight.pk, "name": "Insight"}
    assert [row["name"] for row in withdrawn["results"]] == ["Legacy connector"]
    assert [row["name"] for row in by_words["results"]] == ["Premium support"]
    assert [row["name"] for row in by_family["results"]] == ["Analytics"]
    assert (second["count"], second["pages"], second["page"]) == (3, 2, 2)
    assert [row["name"] for row in second["results"]] == ["Premium support"]
    assert client.get("/api/v1/products?state=gone", **headers).status_code == 422


@pytest.mark.parametrize("persona", CATALOGUE_KEEPERS)
def test_heads_and_administrators_keep_the_catalogue(
    client: Client, personas: Personas, persona: str
) -> None:
    headers = headers_of(personas, persona)
    family = send(
        client, "post", "/api/v1/product-families", {"name": " Services ", "position": 3}, headers
    )
    assert family.status_code == 201, family.content
    family_id = body(family)["id"]

    created = send(
        client,
        "post",
        "/api/v1/products",
        {
            "name": "Premium support",
            "code": "SUP-P",
            "family_id": family_id,
            "list_price": "4800",
        },
        headers,
    )
    assert created.status_code == 201, created.content
    product = body(created)
    assert (product["name"], product["list_price"], product["version"]) == (
        "Premium support",
        "4800.00",
        1,
    )
    assert product["family"] == {"id": family_id, "name": "Services"}

    changed = send(
        client,
        "patch",
        f"/api/v1/products/{product['id']}",
        {"version": 1, "list_price": "5000.5", "is_active": False},
        headers,
    )
    assert changed.status_code == 200, changed.content
    assert (body(changed)["list_price"], body(changed)["is_active"]) == ("5000.50", False)
    assert body(changed)["version"] == 2
    stored = Product.objects.get(pk=product["id"])
    assert (stored.list_price, stored.is_active) == (Decimal("5000.50"), False)
    assert body(client.get(f"/api/v1/products/{product['id']}", **headers))["code"] == "SUP-P"

    renamed = send(
        client, "patch", f"/api/v1/product-families/{family_id}", {"name": "Support"}, headers
    )
    assert (renamed.status_code, body(renamed)["name"]) == (200, "Support")
    listed = body(client.get("/api/v1/product-families", **headers))
    assert [row["name"] for row in listed["results"]] == ["Support"]


@pytest.mark.parametrize("persona", CATALOGUE_REFUSED)
def test_others_may_not_change_the_catalogue(
    client: Client, personas: Personas, persona: str
) -> None:
    licence = factories.product()
    factories.pipeline()
    headers = headers_of(personas, persona)
    family = licence.family

    refusals = [
        send(client, "post", "/api/v1/product-families", {"name": "Services"}, headers),
        send(client, "patch", f"/api/v1/product-families/{family.pk}", {"name": "X"}, headers),
        send(
            client,
            "post",
            "/api/v1/products",
            {"name": "Add-on", "family_id": family.pk, "list_price": "10"},
            headers,
        ),
        send(client, "patch", f"/api/v1/products/{licence.pk}", {"name": "Renamed"}, headers),
        send(
            client,
            "put",
            "/api/v1/exchange-rates",
            {"currency": "USD", "effective_date": "2025-01-01", "rate": "0.9"},
            headers,
        ),
        send(client, "post", "/api/v1/pipeline-stages", {"name": "Pilot"}, headers),
    ]

    assert [response.status_code for response in refusals] == [403] * len(refusals)
    assert ProductFamily.objects.get().name == "Platform"
    assert list(Product.objects.values_list("name", flat=True)) == ["Platform licence"]
    assert not ExchangeRate.objects.exists()
    assert not PipelineStage.objects.filter(name="Pilot").exists()


def test_product_refusals_name_the_field(client: Client, personas: Personas) -> None:
    licence = factories.product()
    headers = bearer(personas.head)

    unknown_family = send(
        client,
        "post",
        "/api/v1/products",
        {"name": "Add-on", "family_id": 99999, "list_price": "10"},
        headers,
    )
    negative = send(
        client,
        "post",
        "/api/v1/products",
        {"name": "Add-on", "family_id": licence.family_id, "list_price": "-1"},
        headers,
    )
    taken = send(
        client,
        "post",
        "/api/v1/products",
        {"name": "Platform licence", "family_id": licence.family_id, "list_price": "1"},
        headers,
    )
    family_taken = send(client, "post", "/api/v1/product-families", {"name": "Platform"}, headers)

    assert error_fields(unknown_family) == {"family_id": "No record has the id 99999."}
    assert "list_price" in error_fields(negative)
    assert "name" in error_fields(taken)
    assert "name" in error_fields(family_taken)
    assert Product.objects.count() == 1


def test_a_stale_product_update_is_refused(client: Client, personas: Personas) -> None:
    licence = factories.product()
    headers = bearer(personas.admin)
    first = send(
        client, "patch", f"/api/v1/products/{licence.pk}", {"version": 1, "code": "A"}, headers
    )
    assert first.status_code == 200

    stale = send(
        client, "patch", f"/api/v1/products/{licence.pk}", {"version": 1, "code": "B"}, headers
    )

    assert stale.status_code == 409
    assert body(stale)["current_version"] == 2
    assert Product.objects.get().code == "A"
    assert client.get("/api/v1/products/99999", **headers).status_code == 404
    missing = send(client, "patch", "/api/v1/products/99999", {"code": "C"}, headers)
    assert missing.status_code == 404


# Exchange rates -----------------------------------------------------------------------------


def test_setting_a_rate_converts_the_figures_it_affects(client: Client, personas: Personas) -> None:
    factories.rate("USD", datetime.date(2024, 1, 1), "0.9")
    contract = factories.contract(
        account=personas.account,
        start=JAN_1,
        end=DEC_31,
        currency="USD",
        lines=[factories.line(factories.product(), 10, 1000)],
    )
    headers = bearer(personas.head)

    answer = send(
        client,
        "put",
        "/api/v1/exchange-rates",
        {"currency": "usd", "effective_date": "2024-06-01", "rate": "0.8"},
        headers,
    )
    corrected = send(
        client,
        "put",
        "/api/v1/exchange-rates",
        {"currency": "USD", "effective_date": "2024-06-01", "rate": "0.85"},
        headers,
    )

    assert answer.status_code == 200, answer.content
    assert (body(corrected)["currency"], body(corrected)["rate"]) == ("USD", "0.85")
    assert body(corrected)["id"] == body(answer)["id"]
    assert ExchangeRate.objects.filter(currency="USD").count() == 2
    line = contract.lines.get()
    assert line.annual_value_company == Decimal("8500.00")
    listed = body(client.get("/api/v1/exchange-rates?currency=usd", **headers))
    assert [row["effective_date"] for row in listed["results"]] == ["2024-06-01", "2024-01-01"]
    assert listed["results"][0]["company_currency"] == settings.RAPPORT_CURRENCY
    assert body(client.get("/api/v1/exchange-rates?currency=GBP", **headers))["count"] == 0


def test_rate_refusals(client: Client, personas: Personas) -> None:
    only = factories.rate("USD", datetime.date(2024, 1, 1), "0.9")
    factories.contract(
        account=personas.account,
        start=JAN_1,
        end=DEC_31,
        currency="USD",
        lines=[factories.line(factories.product(), 1, 1000)],
    )
    headers = bearer(personas.admin)

    company = send(
        client,
        "put",
        "/api/v1/exchange-rates",
        {"currency": settings.RAPPORT_CURRENCY, "effective_date": "2024-01-01", "rate": "2"},
        headers,
    )
    zero = send(
        client,
        "put",
        "/api/v1/exchange-rates",
        {"currency": "GBP", "effective_date": "2024-01-01", "rate": "0"},
        headers,
    )
    still_needed = client.delete(f"/api/v1/exchange-rates/{only.pk}", **headers)

    assert "currency" in error_fields(company)
    assert "rate" in error_fields(zero)
    assert "There is no exchange rate for USD" in error_fields(still_needed)["rate"]
    assert ExchangeRate.objects.filter(pk=only.pk).exists()
    assert client.delete("/api/v1/exchange-rates/99999", **headers).status_code == 404


def test_an_unused_rate_is_deleted(client: Client, personas: Personas) -> None:
    spare = factories.rate("GBP", datetime.date(2024, 1, 1), "1.1")

    refused = client.delete(f"/api/v1/exchange-rates/{spare.pk}", **bearer(personas.owner))
    deleted = client.delete(f"/api/v1/exchange-rates/{spare.pk}", **bearer(personas.head))

    assert refused.status_code == 403
    assert deleted.status_code == 204
    assert not ExchangeRate.objects.exists()


# Pipeline stages ----------------------------------------------------------------------------


def test_stages_are_listed_in_board_order_and_kept_by_heads(
    client: Client, personas: Personas
) -> None:
    stages = factories.pipeline()
    headers = bearer(personas.head)

    listed = body(client.get("/api/v1/pipeline-stages", **bearer(personas.read_only)))
    created = send(
        client,
        "post",
        "/api/v1/pipeline-stages",
        {"name": "Pilot", "probability": 60, "forecast_category": "best_case"},
        headers,
    )
    changed = send(
        client,
        "patch",
        f"/api/v1/pipeline-stages/{stages[0].pk}",
        {"probability": 15},
        headers,
    )
    won = next(stage for stage in stages if stage.outcome == OpportunityStatus.WON)
    breaking = send(
        client, "patch", f"/api/v1/pipeline-stages/{won.pk}", {"is_active": False}, headers
    )

    assert [row["name"] for row in listed["results"]] == [stage.name for stage in stages]
    assert listed["results"][-1]["outcome"] == "lost"
    assert created.status_code == 201, created.content
    assert (body(created)["position"], body(created)["outcome"]) == (len(stages) + 1, "open")
    assert body(changed)["probability"] == 15
    assert breaking.status_code == 422
    assert "one won" in body(breaking)["detail"][0]["msg"]
    assert PipelineStage.objects.get(pk=won.pk).is_active
    assert (
        client.patch(
            "/api/v1/pipeline-stages/99999", data="{}", content_type="application/json", **headers
        ).status_code
        == 404
    )


# Contracts: creating ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", EDITORS)
def test_account_editors_create_a_contract_with_its_lines(
    client: Client, personas: Personas, persona: str
) -> None:
    support = factories.product("Premium support", family_name="Services")
    payload = contract_payload(
        personas,
        auto_renew=True,
        notice_days=90,
        lines=[
            {"product_id": factories.product().pk, "quantity": "10", "unit_price": "1200"},
            {
                "product_id": support.pk,
                "quantity": "1",
                "unit_price": "5000.5",
                "start_date": "2025-07-01",
            },
        ],
    )

    answer = send(client, "post", "/api/v1/contracts", payload, headers_of(personas, persona))

    assert answer.status_code == 201, answer.content
    data = body(answer)
    contract = Contract.objects.get()
    assert data["id"] == contract.pk
    assert data["account"] == {"id": personas.account.pk, "name": "Northwind Traders"}
    assert (data["currency"], data["company_currency"]) == ((settings.RAPPORT_CURRENCY,) * 2)
    assert (data["start_date"], data["end_date"]) == ("2025-01-01", "2025-12-31")
    assert data["notice_date"] == "2025-10-02"
    assert (data["status"], data["version"], data["renewal_id"]) == ("active", 1, None)
    assert [
        (row["product"]["name"], row["quantity"], row["annual_value"], row["start_date"])
        for row in data["lines"]
    ] == [
        ("Platform licence", "10.00", "12000.00", "2025-01-01"),
        ("Premium support", "1.00", "5000.50", "2025-07-01"),
    ]
    assert data["lines"][1]["annual_value_company"] == "5000.50"
    assert data["arr_today"] == "0.00"  # the term is over
    assert contract.lines.count() == 2
    assert contract.created_by == getattr(personas, persona)


@pytest.mark.parametrize("persona", REFUSED)
def test_outsiders_and_read_only_users_may_not_create_a_contract(
    client: Client, personas: Personas, persona: str
) -> None:
    answer = send(
        client,
        "post",
        "/api/v1/contracts",
        contract_payload(personas),
        headers_of(personas, persona),
    )

    assert answer.status_code == 403
    assert not Contract.objects.exists()


def test_contract_refusals_name_the_field_and_change_nothing(
    client: Client, personas: Personas
) -> None:
    headers = bearer(personas.owner)
    licence = factories.product()

    def attempt(**changes: Any) -> dict[str, str]:
        return error_fields(
            send(
                client, "post", "/api/v1/contracts", contract_payload(personas, **changes), headers
            )
        )

    negative = send(
        client,
        "post",
        "/api/v1/contracts",
        contract_payload(
            personas, lines=[{"product_id": licence.pk, "quantity": "-2", "unit_price": "10"}]
        ),
        headers,
    )
    overlapping = attempt(
        lines=[
            {
                "product_id": licence.pk,
                "quantity": "1",
                "unit_price": "10",
                "end_date": "2025-06-30",
            },
            {
                "product_id": licence.pk,
                "quantity": "2",
                "unit_price": "10",
                "start_date": "2025-06-01",
            },
        ]
    )
    backwards = attempt(start_date="2025-12-31", end_date="2025-01-01")
    no_rate = attempt(currency="CHF")
    unknown_product = attempt(lines=[{"product_id": 99999, "quantity": "1", "unit_price": "1"}])
    no_lines = attempt(lines=[])
    unknown_account = attempt(account_id=99999)
    outside_the_term = attempt(
        lines=[
            {"product_id": licence.pk, "quantity": "1", "unit_price": "1", "end_date": "2026-03-01"}
        ]
    )

    assert negative.status_code == 422
    assert [item["loc"] for item in body(negative)["detail"]] == [
        ["body", "payload", "lines", 0, "quantity"]
    ]
    assert "overlap" in overlapping["lines"]
    assert "Platform licence is already on this contract" in overlapping["lines"]
    assert backwards == {"end_date": "The end date must be after the start date."}
    assert no_rate["currency"].startswith("There is no exchange rate for CHF on 2025-01-01")
    assert unknown_product == {"lines": "Line 1: no product has the id 99999."}
    assert no_lines == {"lines": "Add at least one product."}
    assert unknown_account == {"account_id": "No record has the id 99999."}
    assert "Line 1: its dates must lie within the term" in outside_the_term["lines"]
    assert not Contract.objects.exists()
    assert not ContractLine.objects.exists()


def test_a_foreign_currency_contract_reports_in_the_company_currency(
    client: Client, personas: Personas
) -> None:
    factories.rate("USD", datetime.date(2024, 12, 1), "0.9")

    answer = send(
        client,
        "post",
        "/api/v1/contracts",
        contract_payload(personas, currency="usd"),
        bearer(personas.owner),
    )

    assert answer.status_code == 201, answer.content
    line = body(answer)["lines"][0]
    assert body(answer)["currency"] == "USD"
    assert (line["annual_value"], line["annual_value_company"]) == ("12000.00", "10800.00")


def test_a_renewal_term_names_its_previous_term(client: Client, personas: Personas) -> None:
    first = factories.contract(account=personas.account, start=JAN_1, end=DEC_31)
    elsewhere = factories.contract(account=personas.other_account, start=JAN_1, end=DEC_31)
    headers = bearer(personas.owner)

    renewed = send(
        client,
        "post",
        "/api/v1/contracts",
        contract_payload(
            personas,
            previous_id=first.pk,
            start_date="2026-01-01",
            end_date="2026-12-31",
        ),
        headers,
    )
    foreign = send(
        client,
        "post",
        "/api/v1/contracts",
        contract_payload(personas, previous_id=elsewhere.pk),
        headers,
    )

    assert renewed.status_code == 201, renewed.content
    assert body(renewed)["previous_id"] == first.pk
    assert error_fields(foreign) == {"previous_id": "The previous term belongs to another account."}


# Contracts: reading -------------------------------------------------------------------------


def test_contract_detail_has_lines_amendments_and_todays_arr(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    licence = factories.product()
    contract = current_term(personas)
    services.contract_amend(
        contract=contract,
        acting_user=personas.owner,
        effective_date=today() - datetime.timedelta(days=10),
        reason="Ten more seats",
        lines=[factories.line(licence, 20, 1000)],
    )
    renewal = factories.opportunity(
        account=personas.account,
        type=OpportunityType.RENEWAL,
        contract=contract,
        close_date=contract.end_date,
    )
    headers = bearer(personas.read_only)
    url = f"/api/v1/contracts/{contract.pk}"
    client.get(url, **headers)

    # The token, the contract, its lines, amendments, next terms and opportunities.
    with django_assert_num_queries(6):
        data = body(client.get(url, **headers))

    assert data["arr_today"] == "20000.00"
    assert data["renewal_id"] == renewal.pk
    assert [(row["quantity"], row["ended_by_id"] is None) for row in data["lines"]] == [
        ("10.00", False),
        ("20.00", True),
    ]
    amendment = ContractAmendment.objects.get()
    assert data["lines"][1]["amendment_id"] == amendment.pk
    assert [(row["id"], row["reason"]) for row in data["amendments"]] == [
        (amendment.pk, "Ten more seats")
    ]
    assert client.get("/api/v1/contracts/99999", **headers).status_code == 404


def test_contract_list_filters(client: Client, personas: Personas) -> None:
    factories.rate("USD", datetime.date(2020, 1, 1), "0.9")
    support = factories.product("Premium support", family_name="Services")
    ours = factories.contract(
        account=personas.account, start=JAN_1, end=DEC_31, reference="NW-1", auto_renew=True
    )
    theirs = factories.contract(
        account=personas.other_account,
        start=JAN_1,
        end=datetime.date(2026, 6, 30),
        reference="CT-9",
        currency="USD",
        lines=[factories.line(support, 1, 100)],
    )
    churned = factories.contract(
        account=personas.account, start=datetime.date(2023, 1, 1), end=datetime.date(2023, 12, 31)
    )
    services.contract_set_status(
        contract=churned, acting_user=personas.owner, status="churned", churn_reason="price"
    )
    headers = bearer(personas.read_only)

    def ids(query: str) -> list[int]:
        answer = client.get(f"/api/v1/contracts{query}", **headers)
        assert answer.status_code == 200, answer.content
        return [row["id"] for row in body(answer)["results"]]

    assert ids("") == [churned.pk, ours.pk, theirs.pk]
    assert ids(f"?account={personas.other_account.pk}") == [theirs.pk]
    assert ids(f"?owner={personas.owner.pk}") == [churned.pk, ours.pk]
    assert ids("?status=churned") == [churned.pk]
    assert ids("?currency=usd") == [theirs.pk]
    assert ids(f"?product={support.pk}") == [theirs.pk]
    assert ids("?ends_after=2025-01-01&ends_before=2025-12-31") == [ours.pk]
    assert ids("?auto_renew=true") == [ours.pk]
    assert ids("?q=ct-") == [theirs.pk]
    assert ids("?page_size=2&page=2") == [theirs.pk]
    assert client.get("/api/v1/contracts?status=lapsed", **headers).status_code == 422
    rows = body(client.get("/api/v1/contracts?status=churned", **headers))["results"]
    assert (rows[0]["churn_reason"], rows[0]["arr_today"]) == ("price", "0.00")


def test_contract_lists_run_a_fixed_number_of_queries(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    headers = bearer(personas.read_only)
    account_url = f"/api/v1/accounts/{personas.account.pk}/contracts?page_size=50"

    def make(count: int) -> None:
        for index in range(count):
            account = personas.account if index % 2 else AccountFactory(owner=personas.outsider)
            current_term(personas, account=account)

    make(3)
    client.get("/api/v1/contracts", **headers)
    # The token, the count and the page.
    with django_assert_num_queries(3):
        few = body(client.get("/api/v1/contracts?page_size=50", **headers))
    with django_assert_num_queries(4):  # the account too
        client.get(account_url, **headers)
    make(27)
    with django_assert_num_queries(3):
        many = body(client.get("/api/v1/contracts?page_size=50", **headers))
    with django_assert_num_queries(4):
        mine = body(client.get(account_url, **headers))

    assert (few["count"], many["count"]) == (3, 30)
    assert mine["count"] == 14
    assert {row["arr_today"] for row in many["results"]} == {"10000.00"}


def test_an_accounts_contracts_latest_first(client: Client, personas: Personas) -> None:
    older = factories.contract(
        account=personas.account, start=datetime.date(2024, 1, 1), end=datetime.date(2024, 12, 31)
    )
    newer = factories.contract(account=personas.account, start=JAN_1, end=DEC_31)
    factories.contract(account=personas.other_account, start=JAN_1, end=DEC_31)
    headers = bearer(personas.outsider)

    listed = body(client.get(f"/api/v1/accounts/{personas.account.pk}/contracts", **headers))

    assert [row["id"] for row in listed["results"]] == [newer.pk, older.pk]
    assert client.get("/api/v1/accounts/99999/contracts", **headers).status_code == 404


# Contracts: changing ------------------------------------------------------------------------


def test_patch_corrects_the_header_and_the_lines_follow(client: Client, personas: Personas) -> None:
    contract = factories.contract(account=personas.account, start=JAN_1, end=DEC_31)
    headers = bearer(personas.teammate)

    answer = send(
        client,
        "patch",
        f"/api/v1/contracts/{contract.pk}",
        {"version": 1, "reference": "MSA-7", "end_date": "2026-01-31", "notes": None},
        headers,
    )

    assert answer.status_code == 200, answer.content
    assert (body(answer)["reference"], body(answer)["version"]) == ("MSA-7", 2)
    assert body(answer)["lines"][0]["end_date"] == "2026-01-31"
    contract.refresh_from_db()
    assert (contract.reference, contract.end_date) == ("MSA-7", datetime.date(2026, 1, 31))


def test_patch_replaces_the_lines_until_the_contract_is_amended(
    client: Client, personas: Personas
) -> None:
    licence = factories.product()
    support = factories.product("Premium support", family_name="Services")
    contract = factories.contract(account=personas.account, start=JAN_1, end=DEC_31)
    headers = bearer(personas.owner)
    url = f"/api/v1/contracts/{contract.pk}"

    replaced = send(
        client,
        "patch",
        url,
        {"lines": [{"product_id": support.pk, "quantity": "3", "unit_price": "100"}]},
        headers,
    )
    assert replaced.status_code == 200, replaced.content
    assert [row["product"]["id"] for row in body(replaced)["lines"]] == [support.pk]
    services.contract_amend(
        contract=contract,
        acting_user=personas.owner,
        effective_date=datetime.date(2025, 7, 1),
        reason="More",
        lines=[factories.line(support, 5, 100)],
    )
    refused = send(
        client,
        "patch",
        url,
        {"lines": [{"product_id": licence.pk, "quantity": "1", "unit_price": "1"}]},
        headers,
    )

    assert "This contract has amendments" in error_fields(refused)["lines"]
    assert not contract.lines.filter(product=licence).exists()
    assert contract.lines.count() == 2


def test_contract_patch_refusals(client: Client, personas: Personas) -> None:
    contract = factories.contract(account=personas.account, start=JAN_1, end=DEC_31)
    url = f"/api/v1/contracts/{contract.pk}"

    outsider = send(client, "patch", url, {"reference": "X"}, bearer(personas.outsider))
    read_only = send(client, "patch", url, {"reference": "X"}, bearer(personas.read_only))
    send(client, "patch", url, {"version": 1, "reference": "A"}, bearer(personas.owner))
    stale = send(client, "patch", url, {"version": 1, "reference": "B"}, bearer(personas.owner))
    backwards = send(client, "patch", url, {"end_date": "2024-12-01"}, bearer(personas.owner))
    null_date = send(client, "patch", url, {"start_date": None}, bearer(personas.owner))
    missing = send(client, "patch", "/api/v1/contracts/99999", {}, bearer(personas.owner))

    assert (outsider.status_code, read_only.status_code, stale.status_code) == (403, 403, 409)
    assert body(stale)["current_version"] == 2
    assert error_fields(backwards) == {"end_date": "The end date must be after the start date."}
    assert error_fields(null_date) == {"start_date": "This field cannot be empty."}
    assert missing.status_code == 404
    contract.refresh_from_db()
    assert (contract.reference, contract.end_date, contract.version) == ("A", DEC_31, 2)


def test_an_amendment_keeps_the_old_lines_as_history(client: Client, personas: Personas) -> None:
    licence = factories.product()
    support = factories.product("Premium support", family_name="Services")
    contract = factories.contract(account=personas.account, start=JAN_1, end=DEC_31)
    url = f"/api/v1/contracts/{contract.pk}/amendments"
    payload = {
        "version": 1,
        "effective_date": "2025-07-01",
        "reason": "Support added, more seats",
        "lines": [
            {"product_id": licence.pk, "quantity": "15", "unit_price": "1000"},
            {"product_id": support.pk, "quantity": "1", "unit_price": "2000"},
        ],
    }

    refused = send(client, "post", url, payload, bearer(personas.outsider))
    answer = send(client, "post", url, payload, bearer(personas.owner))
    stale = send(
        client, "post", url, {**payload, "effective_date": "2025-09-01"}, bearer(personas.owner)
    )

    assert refused.status_code == 403
    assert answer.status_code == 201, answer.content
    data = body(answer)
    assert [
        (row["product"]["name"], row["quantity"], row["start_date"], row["end_date"])
        for row in data["lines"]
    ] == [
        ("Platform licence", "1.00", "2025-01-01", "2025-06-30"),
        ("Platform licence", "15.00", "2025-07-01", "2025-12-31"),
        ("Premium support", "1.00", "2025-07-01", "2025-12-31"),
    ]
    assert [row["reason"] for row in data["amendments"]] == ["Support added, more seats"]
    assert data["version"] == 2
    assert stale.status_code == 409
    assert ContractAmendment.objects.count() == 1


def test_amendment_refusals_name_the_field(client: Client, personas: Personas) -> None:
    licence = factories.product()
    contract = factories.contract(account=personas.account, start=JAN_1, end=DEC_31)
    url = f"/api/v1/contracts/{contract.pk}/amendments"
    headers = bearer(personas.owner)
    line = {"product_id": licence.pk, "quantity": "5", "unit_price": "1000"}

    too_early = send(
        client,
        "post",
        url,
        {"effective_date": "2025-01-01", "reason": "x", "lines": [line]},
        headers,
    )
    no_reason = send(
        client,
        "post",
        url,
        {"effective_date": "2025-03-01", "reason": " ", "lines": [line]},
        headers,
    )
    twice = send(
        client,
        "post",
        url,
        {"effective_date": "2025-03-01", "reason": "x", "lines": [line, line]},
        headers,
    )
    negative = send(
        client,
        "post",
        url,
        {"effective_date": "2025-03-01", "reason": "x", "lines": [{**line, "quantity": "-1"}]},
        headers,
    )

    assert "effective_date" in error_fields(too_early)
    assert error_fields(no_reason) == {"reason": "Say why the contract changes."}
    assert error_fields(twice) == {"lines": "Line 2: this product is listed twice."}
    assert [item["loc"][-1] for item in body(negative)["detail"]] == ["quantity"]
    assert not ContractAmendment.objects.exists()
    assert contract.lines.count() == 1


def test_contract_status_churn_cancel_and_back(client: Client, personas: Personas) -> None:
    contract = current_term(personas)
    url = f"/api/v1/contracts/{contract.pk}/status"
    headers = bearer(personas.owner)

    no_reason = send(client, "post", url, {"status": "churned"}, headers)
    renewed = send(client, "post", url, {"status": "renewed"}, headers)
    refused = send(client, "post", url, {"status": "cancelled"}, bearer(personas.read_only))
    churned = send(
        client, "post", url, {"status": "churned", "churn_reason": "budget", "version": 1}, headers
    )
    stale = send(client, "post", url, {"status": "active", "version": 1}, headers)
    personas.account.refresh_from_db()
    account_stage = personas.account.lifecycle_stage
    cancelled = send(client, "post", url, {"status": "cancelled", "version": 2}, headers)

    assert error_fields(no_reason) == {"churn_reason": "Say why the client left."}
    assert "through its renewal" in error_fields(renewed)["status"]
    assert refused.status_code == 403
    assert churned.status_code == 200, churned.content
    assert (body(churned)["status"], body(churned)["churn_reason"]) == ("churned", "budget")
    assert account_stage == LifecycleStage.CHURNED
    assert stale.status_code == 409
    assert (body(cancelled)["status"], body(cancelled)["churn_reason"]) == ("cancelled", "")
    assert body(cancelled)["arr_today"] == "0.00"


def test_recording_notice_closes_the_reminder(client: Client, personas: Personas) -> None:
    contract = current_term(personas, auto_renew=True, notice_days=30)
    plain = current_term(personas, account=personas.other_account)
    reminder = Task.objects.create(
        title="Remind", account=personas.account, assignee=personas.owner, created_by=personas.owner
    )
    Contract.objects.filter(pk=contract.pk).update(notice_reminder=reminder)
    yesterday = (today() - datetime.timedelta(days=1)).isoformat()
    tomorrow = (today() + datetime.timedelta(days=1)).isoformat()
    url = f"/api/v1/contracts/{contract.pk}/notice"

    future = send(client, "post", url, {"notified_on": tomorrow}, bearer(personas.owner))
    not_tacit = send(
        client,
        "post",
        f"/api/v1/contracts/{plain.pk}/notice",
        {"notified_on": yesterday},
        bearer(personas.outsider),
    )
    refused = send(client, "post", url, {"notified_on": yesterday}, bearer(personas.outsider))
    answer = send(client, "post", url, {"notified_on": yesterday}, bearer(personas.owner))

    assert error_fields(future) == {"notified_on": "This day has not come yet."}
    assert "renews tacitly" in error_fields(not_tacit)["notified_on"]
    assert refused.status_code == 403
    assert answer.status_code == 200, answer.content
    assert body(answer)["client_notified_on"] == yesterday
    assert (
        body(answer)["notice_date"] == (contract.end_date - datetime.timedelta(days=30)).isoformat()
    )
    reminder.refresh_from_db()
    assert reminder.status == TaskStatus.DONE


# Opportunities ------------------------------------------------------------------------------


def opportunity_payload(personas: Personas, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account_id": personas.account.pk,
        "type": "upsell",
        "close_date": (today() + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("persona", EDITORS)
def test_account_editors_open_an_opportunity(
    client: Client, personas: Personas, persona: str
) -> None:
    stages = factories.pipeline()
    support = factories.product("Premium support", family_name="Services")
    payload = opportunity_payload(
        personas,
        type="cross_sell",
        next_step="Send the quote",
        lines=[{"product_id": support.pk, "quantity": "2", "unit_price": "2500.25"}],
    )

    answer = send(client, "post", "/api/v1/opportunities", payload, headers_of(personas, persona))

    assert answer.status_code == 201, answer.content
    data = body(answer)
    assert data["name"] == "Cross-sell – Northwind Traders"
    assert (data["amount"], data["amount_company"], data["currency"]) == (
        "5000.50",
        "5000.50",
        settings.RAPPORT_CURRENCY,
    )
    assert data["stage"] == {"id": stages[0].pk, "name": stages[0].name, "outcome": "open"}
    assert (data["probability"], data["forecast_category"]) == (10, "pipeline")
    assert data["weighted_amount"] == "500.05"
    assert data["owner"]["id"] == personas.owner.pk
    assert [(row["product"]["id"], row["annual_value"]) for row in data["lines"]] == [
        (support.pk, "5000.50")
    ]
    assert Opportunity.objects.get().created_by == getattr(personas, persona)


@pytest.mark.parametrize("persona", REFUSED)
def test_outsiders_and_read_only_users_may_not_open_an_opportunity(
    client: Client, personas: Personas, persona: str
) -> None:
    factories.pipeline()

    answer = send(
        client,
        "post",
        "/api/v1/opportunities",
        opportunity_payload(personas, amount="100"),
        headers_of(personas, persona),
    )

    assert answer.status_code == 403
    assert not Opportunity.objects.exists()


def test_opportunity_refusals_name_the_field(client: Client, personas: Personas) -> None:
    stages = factories.pipeline()
    won = next(stage for stage in stages if stage.outcome == OpportunityStatus.WON)
    elsewhere = factories.contract(account=personas.other_account, start=JAN_1, end=DEC_31)
    headers = bearer(personas.owner)

    def attempt(**changes: Any) -> dict[str, str]:
        return error_fields(
            send(
                client,
                "post",
                "/api/v1/opportunities",
                opportunity_payload(personas, **changes),
                headers,
            )
        )

    assert attempt(amount="-5") == {"amount": "The amount cannot be negative."}
    assert attempt(stage_id=99999) == {"stage_id": "No record has the id 99999."}
    assert "open stage" in attempt(stage_id=won.pk)["stage_id"]
    assert attempt(contract_id=elsewhere.pk) == {
        "contract_id": "This contract belongs to another account."
    }
    assert attempt(owner_id=personas.read_only.pk) == {
        "owner_id": "This person cannot own an opportunity."
    }
    assert "There is no exchange rate for JPY" in attempt(currency="JPY", amount="5")["currency"]
    assert "close_date" in attempt(close_date=None)
    negative = send(
        client,
        "post",
        "/api/v1/opportunities",
        opportunity_payload(
            personas,
            lines=[{"product_id": factories.product().pk, "quantity": "-1", "unit_price": "5"}],
        ),
        headers,
    )
    assert [item["loc"][-2:] for item in body(negative)["detail"]] == [[0, "quantity"]]
    assert not Opportunity.objects.exists()


def test_patch_an_opportunity_and_its_stage_brings_its_odds(
    client: Client, personas: Personas
) -> None:
    opportunity = factories.opportunity(
        account=personas.account, close_date=today() + datetime.timedelta(days=20)
    )
    negotiation = factories.stage("Negotiation")
    url = f"/api/v1/opportunities/{opportunity.pk}"
    headers = bearer(personas.teammate)

    answer = send(
        client,
        "patch",
        url,
        {"version": 1, "stage_id": negotiation.pk, "risk_note": "New CFO", "amount": "7000"},
        headers,
    )
    stale = send(client, "patch", url, {"version": 1, "name": "Late"}, headers)
    refused = send(client, "patch", url, {"name": "Mine"}, bearer(personas.outsider))
    null_name = send(client, "patch", url, {"name": None}, headers)

    assert answer.status_code == 200, answer.content
    data = body(answer)
    assert (data["stage"]["name"], data["probability"], data["forecast_category"]) == (
        "Negotiation",
        75,
        "best_case",
    )
    assert (data["risk_note"], data["amount"], data["version"]) == ("New CFO", "7000.00", 2)
    assert stale.status_code == 409
    assert refused.status_code == 403
    assert set(error_fields(null_name)) == {"name"}
    assert client.get("/api/v1/opportunities/99999", **headers).status_code == 404
    opportunity.refresh_from_db()
    assert (opportunity.risk_note, opportunity.version) == ("New CFO", 2)


def test_move_across_the_board_and_into_won(client: Client, personas: Personas) -> None:
    opportunity = factories.opportunity(
        account=personas.account, close_date=today() + datetime.timedelta(days=20)
    )
    proposal = factories.stage("Proposal")
    lost = factories.stage("Closed lost")
    won = factories.stage("Closed won")
    url = f"/api/v1/opportunities/{opportunity.pk}/move"
    headers = bearer(personas.owner)

    moved = send(client, "post", url, {"stage_id": proposal.pk, "version": 1}, headers)
    to_lost = send(client, "post", url, {"stage_id": lost.pk}, headers)
    unknown = send(client, "post", url, {"stage_id": 99999}, headers)
    stale = send(client, "post", url, {"stage_id": won.pk, "version": 1}, headers)
    refused = send(client, "post", url, {"stage_id": won.pk}, bearer(personas.read_only))
    to_won = send(client, "post", url, {"stage_id": won.pk, "version": 2}, headers)

    assert (body(moved)["stage"]["name"], body(moved)["probability"]) == ("Proposal", 50)
    assert error_fields(to_lost) == {"stage_id": "Say why it was lost to close it."}
    assert error_fields(unknown) == {"stage_id": "No record has the id 99999."}
    assert stale.status_code == 409
    assert refused.status_code == 403
    assert to_won.status_code == 200, to_won.content
    assert (body(to_won)["status"], body(to_won)["closed_on"]) == ("won", today().isoformat())


def test_a_renewal_won_through_the_api_starts_the_next_term(
    client: Client, personas: Personas
) -> None:
    licence = factories.product()
    contract = factories.contract(
        account=personas.account,
        start=datetime.date(2025, 2, 1),
        end=datetime.date(2026, 1, 31),
        lines=[factories.line(licence, 10, 1000)],
    )
    renewal = services.renewal_open(contract=contract)
    assert renewal is not None
    headers = bearer(personas.owner)
    send(
        client,
        "patch",
        f"/api/v1/opportunities/{renewal.pk}",
        {"lines": [{"product_id": licence.pk, "quantity": "12", "unit_price": "1100"}]},
        headers,
    )

    answer = send(
        client,
        "post",
        f"/api/v1/opportunities/{renewal.pk}/win",
        {"close_note": "Signed for another year"},
        headers,
    )

    assert answer.status_code == 200, answer.content
    data = body(answer)
    next_term = Contract.objects.get(previous=contract)
    assert data["next_contract_id"] == next_term.pk
    assert (data["status"], data["close_note"], data["amount"]) == (
        "won",
        "Signed for another year",
        "13200.00",
    )
    assert (next_term.start_date, next_term.end_date) == (
        datetime.date(2026, 2, 1),
        datetime.date(2027, 1, 31),
    )
    assert [(line.quantity, line.unit_price) for line in next_term.lines.all()] == [
        (Decimal("12.00"), Decimal("1100.00"))
    ]
    contract.refresh_from_db()
    assert contract.status == ContractStatus.RENEWED
    shown = body(client.get(f"/api/v1/contracts/{next_term.pk}", **headers))
    assert (shown["previous_id"], shown["lines"][0]["annual_value"]) == (contract.pk, "13200.00")

    again = send(client, "post", f"/api/v1/opportunities/{renewal.pk}/win", {}, headers)
    assert "already closed" in body(again)["detail"][0]["msg"]

    reopened = send(
        client, "post", f"/api/v1/opportunities/{renewal.pk}/reopen", {"version": 3}, headers
    )
    assert reopened.status_code == 200, reopened.content
    assert (body(reopened)["status"], body(reopened)["next_contract_id"]) == ("open", None)
    next_term.refresh_from_db()
    contract.refresh_from_db()
    assert (next_term.status, contract.status) == (ContractStatus.CANCELLED, ContractStatus.ACTIVE)


def test_losing_needs_a_reason_and_churns_a_renewals_contract(
    client: Client, personas: Personas
) -> None:
    contract = current_term(personas)
    renewal = services.renewal_open(contract=contract)
    assert renewal is not None
    url = f"/api/v1/opportunities/{renewal.pk}/lose"
    headers = bearer(personas.owner)

    no_reason = send(client, "post", url, {}, headers)
    unknown_reason = send(client, "post", url, {"loss_reason": "weather"}, headers)
    refused = send(client, "post", url, {"loss_reason": "price"}, bearer(personas.outsider))
    answer = send(
        client, "post", url, {"loss_reason": "competitor", "close_note": "Went elsewhere"}, headers
    )

    assert "loss_reason" in error_fields(no_reason)
    assert "loss_reason" in error_fields(unknown_reason)
    assert refused.status_code == 403
    assert answer.status_code == 200, answer.content
    assert (body(answer)["status"], body(answer)["loss_reason"]) == ("lost", "competitor")
    assert body(answer)["forecast_category"] == "omitted"
    contract.refresh_from_db()
    assert (contract.status, contract.churn_reason) == (ContractStatus.CHURNED, "competitor")
    reopen_refused = send(
        client, "post", f"/api/v1/opportunities/{renewal.pk}/reopen", {}, bearer(personas.read_only)
    )
    assert reopen_refused.status_code == 403
    closed_patch = send(
        client, "patch", f"/api/v1/opportunities/{renewal.pk}", {"amount": "1"}, headers
    )
    assert "reopen it" in body(closed_patch)["detail"][0]["msg"]
    note = send(
        client, "patch", f"/api/v1/opportunities/{renewal.pk}", {"close_note": "Cheaper"}, headers
    )
    assert body(note)["close_note"] == "Cheaper"


def test_opportunity_list_filters(client: Client, personas: Personas) -> None:
    soon = today() + datetime.timedelta(days=10)
    later = today() + datetime.timedelta(days=60)
    upsell = factories.opportunity(account=personas.account, close_date=soon, name="More seats")
    cross = factories.opportunity(
        account=personas.other_account,
        type=OpportunityType.CROSS_SELL,
        close_date=later,
        name="Analytics",
    )
    personas.other_account.tier = Tier.STRATEGIC
    personas.other_account.segment = Segment.ENTERPRISE
    personas.other_account.save()
    lost = factories.opportunity(account=personas.account, close_date=soon, name="Old idea")
    services.opportunity_lose(opportunity=lost, acting_user=personas.owner, loss_reason="budget")
    negotiation = factories.stage("Negotiation")
    services.opportunity_move(opportunity=cross, acting_user=personas.outsider, stage=negotiation)
    headers = bearer(personas.owner)

    def ids(query: str) -> list[int]:
        answer = client.get(f"/api/v1/opportunities{query}", **headers)
        assert answer.status_code == 200, answer.content
        return [row["id"] for row in body(answer)["results"]]

    assert ids("") == [upsell.pk, cross.pk]
    assert ids("?status=any") == [lost.pk, upsell.pk, cross.pk]
    assert ids("?status=lost") == [lost.pk]
    assert ids("?owner=me") == [upsell.pk]
    assert ids(f"?owner={personas.outsider.pk}") == [cross.pk]
    assert ids("?type=cross_sell") == [cross.pk]
    assert ids(f"?account={personas.account.pk}") == [upsell.pk]
    assert ids(f"?stage={negotiation.pk}") == [cross.pk]
    assert ids("?forecast_category=best_case") == [cross.pk]
    assert ids("?tier=strategic&segment=enterprise") == [cross.pk]
    assert ids(f"?closes_before={soon.isoformat()}") == [upsell.pk]
    assert ids(f"?closes_after={later.isoformat()}") == [cross.pk]
    assert ids("?q=seats") == [upsell.pk]
    assert ids("?q=contoso") == [cross.pk]
    assert ids("?page_size=1&page=2") == [cross.pk]
    assert client.get("/api/v1/opportunities?owner=you", **headers).status_code == 422


def test_opportunity_list_runs_a_fixed_number_of_queries(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    headers = bearer(personas.read_only)
    url = "/api/v1/opportunities?page_size=50"

    def make(count: int) -> None:
        for index in range(count):
            account = AccountFactory(owner=personas.outsider if index % 2 else personas.owner)
            factories.opportunity(account=account, close_date=today())

    make(3)
    client.get(url, **headers)
    # The token, the count and the page.
    with django_assert_num_queries(3):
        few = body(client.get(url, **headers))
    make(27)
    with django_assert_num_queries(3):
        many = body(client.get(url, **headers))

    assert (few["count"], many["count"]) == (3, 30)


def test_catalogue_lists_run_a_fixed_number_of_queries(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    headers = bearer(personas.read_only)
    factories.pipeline()

    def make(start: int, count: int) -> None:
        for index in range(start, start + count):
            factories.product(f"Product {index:02d}", family_name=f"Family {index % 4}")
            factories.rate(
                f"C{index:02d}"[:3], datetime.date(2020, 1, 1) + datetime.timedelta(index), "1"
            )

    def counts() -> list[int]:
        sizes = []
        for url in (
            "/api/v1/products?page_size=50",
            "/api/v1/product-families",
            "/api/v1/exchange-rates?page_size=50",
            "/api/v1/pipeline-stages",
        ):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url, **headers).status_code == 200
            sizes.append(len(captured.captured_queries))
        return sizes

    make(0, 3)
    client.get("/api/v1/products", **headers)
    few = counts()
    make(3, 27)
    many = counts()

    assert few == many == [3, 3, 3, 3]
    with django_assert_num_queries(3):
        assert body(client.get("/api/v1/products?page_size=50", **headers))["count"] == 30


# Consensus ----------------------------------------------------------------------------------


def test_consensus_lists_the_approvers_from_the_account_map(
    client: Client, personas: Personas
) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=today())
    contacted = timezone.now() - datetime.timedelta(days=3)
    buyer = StakeholderFactory(
        account=personas.account,
        first_name="Bea",
        last_name="Buyer",
        decision_roles=[DecisionRole.ECONOMIC_BUYER],
        stance=Stance.SUPPORTER,
        last_contact_at=contacted,
    )
    champion = StakeholderFactory(
        account=personas.account,
        first_name="Cam",
        last_name="Champion",
        decision_roles=[DecisionRole.CHAMPION, DecisionRole.INFLUENCER],
        stance=Stance.ADVOCATE,
    )
    skeptic = StakeholderFactory(
        account=personas.account,
        first_name="Dee",
        last_name="Decider",
        decision_roles=[DecisionRole.DECISION_MAKER],
        stance=Stance.SKEPTIC,
    )
    unknown = StakeholderFactory(
        account=personas.account,
        first_name="Eve",
        last_name="Evans",
        decision_roles=[DecisionRole.DECISION_MAKER],
    )
    # Not approvers: someone who left, an influencer only, another account's decision maker.
    StakeholderFactory(
        account=personas.account,
        decision_roles=[DecisionRole.DECISION_MAKER],
        status=StakeholderStatus.LEFT,
    )
    StakeholderFactory(account=personas.account, decision_roles=[DecisionRole.INFLUENCER])
    StakeholderFactory(account=personas.other_account, decision_roles=[DecisionRole.CHAMPION])

    answer = client.get(
        f"/api/v1/opportunities/{opportunity.pk}/consensus", **bearer(personas.read_only)
    )

    assert answer.status_code == 200, answer.content
    data = body(answer)
    assert [(row["id"], row["consensus"]) for row in data["approvers"]] == [
        (buyer.pk, "for"),
        (champion.pk, "for"),
        (skeptic.pk, "against"),
        (unknown.pk, "undecided"),
    ]
    assert data["approvers"][0]["stance"] == "supporter"
    assert data["approvers"][0]["last_contact_at"] is not None
    assert data["approvers"][1]["decision_roles"] == ["champion", "influencer"]
    assert data["approvers"][3]["stance"] == ""
    assert data["counts"] == {"for": 2, "undecided": 1, "against": 1}
    assert (data["total"], data["percent_for"], data["reached"]) == (4, 50, False)
    assert data["missing_roles"] == []
    assert (
        client.get("/api/v1/opportunities/99999/consensus", **bearer(personas.owner)).status_code
        == 404
    )


def test_consensus_with_nobody_on_the_map(client: Client, personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=today())

    data = body(
        client.get(f"/api/v1/opportunities/{opportunity.pk}/consensus", **bearer(personas.owner))
    )

    assert data["approvers"] == []
    assert data["counts"] == {"for": 0, "undecided": 0, "against": 0}
    assert (data["total"], data["percent_for"], data["reached"]) == (0, None, False)
    assert data["missing_roles"] == ["decision_maker", "economic_buyer", "champion"]


# Metrics ------------------------------------------------------------------------------------


@pytest.fixture
def book(personas: Personas) -> dict[str, Any]:
    """A small book: a new client, an expansion, a churn, a contraction, another currency."""
    factories.rate("USD", datetime.date(2024, 1, 1), "0.5")
    licence = factories.product()
    support = factories.product("Premium support", family_name="Services")
    steady = factories.contract(
        account=personas.account,
        start=datetime.date(2024, 1, 1),
        end=datetime.date(2025, 12, 31),
        lines=[factories.line(licence, 10, 1200)],
    )
    services.contract_amend(
        contract=steady,
        acting_user=personas.owner,
        effective_date=datetime.date(2025, 4, 1),
        reason="More seats",
        lines=[factories.line(licence, 15, 1200)],
    )
    leaving = factories.contract(
        account=personas.other_account,
        start=datetime.date(2024, 3, 1),
        end=datetime.date(2025, 2, 28),
        currency="USD",
        lines=[factories.line(support, 1, 6000)],
    )
    newcomer = AccountFactory(name="Fabrikam", owner=personas.owner, tier=Tier.STRATEGIC)
    factories.contract(
        account=newcomer,
        start=datetime.date(2025, 5, 1),
        end=datetime.date(2026, 4, 30),
        lines=[factories.line(support, 2, 3000)],
    )
    shrinking = AccountFactory(name="Litware", owner=personas.outsider, tier=Tier.STRATEGIC)
    smaller = factories.contract(
        account=shrinking,
        start=datetime.date(2024, 6, 1),
        end=datetime.date(2026, 5, 31),
        lines=[factories.line(licence, 4, 1000)],
    )
    services.contract_amend(
        contract=smaller,
        acting_user=personas.outsider,
        effective_date=datetime.date(2025, 8, 1),
        reason="Fewer seats",
        lines=[factories.line(licence, 3, 1000)],
    )
    return {"steady": steady, "leaving": leaving, "newcomer": newcomer}


def test_arr_matches_the_metrics(client: Client, personas: Personas, book: dict[str, Any]) -> None:
    headers = bearer(personas.read_only)
    day = datetime.date(2025, 6, 30)

    everything = body(client.get(f"/api/v1/revenue/arr?date={day.isoformat()}", **headers))
    owners = body(
        client.get(
            f"/api/v1/revenue/arr?date={day.isoformat()}&owner={personas.owner.pk}", **headers
        )
    )
    strategic = body(
        client.get(f"/api/v1/revenue/arr?date={day.isoformat()}&tier=strategic", **headers)
    )
    now = body(client.get("/api/v1/revenue/arr", **headers))

    expected = metrics.arr_at(day=day)
    assert everything == {
        "date": "2025-06-30",
        "currency": settings.RAPPORT_CURRENCY,
        "arr": f"{expected:.2f}",
        "mrr": f"{metrics.mrr_at(day=day):.2f}",
    }
    # 15 x 1,200 + 2 x 3,000 + 4 x 1,000.
    assert everything["arr"] == "28000.00"
    assert (
        owners["arr"]
        == f"{metrics.arr_at(day=day, filters=MetricsFilter(owner_id=personas.owner.pk)):.2f}"
    )
    assert owners["arr"] == "24000.00"
    assert strategic["arr"] == "10000.00"
    assert now["date"] == today().isoformat()
    assert now["arr"] == f"{metrics.arr_at(day=today()):.2f}"
    assert client.get("/api/v1/revenue/arr?date=1066-10-14", **headers).status_code == 422


def test_retention_matches_the_metrics(
    client: Client, personas: Personas, book: dict[str, Any]
) -> None:
    start, end = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)
    report = metrics.retention(start=start, end=end)

    answer = client.get(
        "/api/v1/revenue/retention?start=2025-01-01&end=2025-12-31", **bearer(personas.read_only)
    )

    assert answer.status_code == 200, answer.content
    data = body(answer)
    assert (data["start"], data["end"], data["currency"]) == (
        "2025-01-01",
        "2025-12-31",
        settings.RAPPORT_CURRENCY,
    )
    assert len(data["months"]) == 12
    for row, month in zip(data["months"], report.months, strict=True):
        assert row == {
            "month": month.month.isoformat(),
            "starting": f"{month.starting:.2f}",
            "new": f"{month.new:.2f}",
            "reactivation": f"{month.reactivation:.2f}",
            "expansion": f"{month.expansion:.2f}",
            "contraction": f"{month.contraction:.2f}",
            "churn": f"{month.churn:.2f}",
            "ending": f"{month.ending:.2f}",
            "net_change": f"{month.net_change:.2f}",
            "new_logos": month.new_logos,
            "churned_logos": month.churned_logos,
        }
    assert data["totals"] == {
        heading: f"{report.total(heading):.2f}"
        for heading in ("new", "reactivation", "expansion", "contraction", "churn")
    }
    # Starting: 12,000 + 3,000 (USD 6,000 at 0.5) + 4,000; new 6,000; expansion 6,000;
    # churn 3,000; contraction 1,000.
    assert (data["starting_arr"], data["ending_arr"]) == ("19000.00", "27000.00")
    assert (data["starting_mrr"], data["ending_mrr"]) == ("1583.33", "2250.00")
    assert data["totals"]["churn"] == "3000.00"
    assert data["totals"]["expansion"] == "6000.00"
    assert data["totals"]["contraction"] == "1000.00"
    assert data["gross_revenue_retention"] == f"{report.gross_revenue_retention:.1f}"
    assert data["net_revenue_retention"] == f"{report.net_revenue_retention:.1f}"
    assert data["logo_retention"] == f"{report.logo_retention:.1f}"
    assert (data["cohort_logos"], data["retained_logos"]) == (3, 2)
    # GRR (12,000 + 0 + 3,000) / 19,000; NRR (18,000 + 0 + 3,000) / 19,000.
    assert (data["gross_revenue_retention"], data["net_revenue_retention"]) == ("78.9", "110.5")


def test_retention_filters_and_an_empty_cohort(
    client: Client, personas: Personas, book: dict[str, Any]
) -> None:
    headers = bearer(personas.read_only)
    strategic = metrics.retention(
        start=datetime.date(2025, 1, 1),
        end=datetime.date(2025, 12, 31),
        filters=MetricsFilter(tier=Tier.STRATEGIC),
    )

    filtered = body(
        client.get(
            "/api/v1/revenue/retention?start=2025-01-01&end=2025-12-31&tier=strategic", **headers
        )
    )
    before_anything = body(
        client.get("/api/v1/revenue/retention?start=2020-01-01&end=2020-03-31", **headers)
    )
    backwards = client.get("/api/v1/revenue/retention?start=2025-03-01&end=2025-01-01", **headers)
    default = body(client.get("/api/v1/revenue/retention", **headers))

    assert filtered["ending_arr"] == f"{strategic.ending_arr:.2f}" == "9000.00"
    assert filtered["cohort_logos"] == strategic.cohort_logos == 1
    assert before_anything["logo_retention"] is None
    assert before_anything["gross_revenue_retention"] is None
    assert before_anything["cohort_logos"] == 0
    assert backwards.status_code == 422
    assert default["end"] == today().isoformat()
    assert len(default["months"]) == 12


def test_the_renewal_forecast_matches_the_metrics(
    client: Client, personas: Personas, book: dict[str, Any]
) -> None:
    this_month = today().replace(day=1)
    commit = factories.stage("Commit")
    soon = factories.contract(
        account=personas.account,
        start=today() - datetime.timedelta(days=300),
        end=today() + datetime.timedelta(days=40),
        lines=[factories.line(factories.product(), 5, 1000)],
    )
    renewal = services.renewal_open(contract=soon)
    assert renewal is not None
    services.opportunity_move(opportunity=renewal, acting_user=personas.owner, stage=commit)
    later = factories.contract(
        account=personas.other_account,
        start=today() - datetime.timedelta(days=200),
        end=today() + datetime.timedelta(days=100),
        lines=[factories.line(factories.product(), 2, 1000)],
    )
    assert services.renewal_open(contract=later) is not None
    headers = bearer(personas.read_only)

    default = body(client.get("/api/v1/revenue/renewal-forecast", **headers))
    owners = body(
        client.get(f"/api/v1/revenue/renewal-forecast?owner={personas.owner.pk}", **headers)
    )

    start, end = this_month, metrics.month_end(services.add_months(this_month, 11))
    expected = metrics.renewal_forecast(start=start, end=end)
    assert (default["start"], default["end"]) == (start.isoformat(), end.isoformat())
    assert default["currency"] == settings.RAPPORT_CURRENCY
    assert len(default["months"]) == 12
    for row, month in zip(default["months"], expected, strict=True):
        assert row["month"] == month.month.isoformat()
        for column in ("commit", "best_case", "pipeline", "omitted", "won", "lost"):
            assert row[column] == f"{month.amount(column):.2f}"
        assert row["open_total"] == f"{month.open_total:.2f}"
    totals = {
        column: sum(Decimal(row[column]) for row in default["months"])
        for column in ("commit", "pipeline")
    }
    assert totals == {"commit": Decimal("5000.00"), "pipeline": Decimal("2000.00")}
    assert sum(Decimal(row["pipeline"]) for row in owners["months"]) == Decimal("0.00")
    assert sum(row["counts"]["commit"] for row in owners["months"]) == 1

    past = body(
        client.get("/api/v1/revenue/renewal-forecast?start=2025-01-01&end=2025-12-31", **headers)
    )
    assert [row["month"] for row in past["months"]][:2] == ["2025-01-01", "2025-02-01"]
    assert past["months"][11]["pipeline"] == f"{Decimal(0):.2f}"


def test_a_lost_renewal_shows_in_its_own_column(client: Client, personas: Personas) -> None:
    start = today().replace(day=1)
    first = factories.contract(
        account=personas.account,
        start=today() - datetime.timedelta(days=360),
        end=today() + datetime.timedelta(days=5),
    )
    renewal = services.renewal_open(contract=first)
    assert renewal is not None
    services.opportunity_lose(
        opportunity=renewal, acting_user=personas.owner, loss_reason=LossReason.PRICE
    )

    data = body(
        client.get(
            f"/api/v1/revenue/renewal-forecast?start={start.isoformat()}", **bearer(personas.owner)
        )
    )

    assert data["months"][0]["lost"] == "1000.00"
    assert data["months"][0]["counts"]["lost"] == 1
    assert ForecastCategory.OMITTED in data["months"][0]
