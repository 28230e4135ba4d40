"""The catalogue, the exchange rates, the pipeline's stages and the revenue settings.

Everyone signed in reads them; administrators and heads of account management change them
(the services check it, and answer 403 to anyone else).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from rapport.core.api import (
    Day,
    InputSchema,
    Page,
    PageQuery,
    RecordId,
    no_nulls,
    nulls_to_blanks,
    page_of,
    resolve_references,
)
from rapport.revenue import selectors, services
from rapport.revenue.api.schemas import (
    Currency,
    FamilyRef,
    Money,
    Price,
    RateText,
    acting_user,
)
from rapport.revenue.choices import ForecastCategory, OpportunityStatus
from rapport.revenue.filters import ProductFilter
from rapport.revenue.models import ExchangeRate, PipelineStage, Product, ProductFamily
from rapport.revenue.rates import company_currency

router = Router(tags=["revenue"])

MAX_POSITION = 2**31 - 1


# Product families ----------------------------------------------------------------------------


class ProductFamilyOut(Schema):
    id: int
    name: str
    position: int
    description: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ProductFamilyIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    position: int | None = Field(
        default=None, ge=0, le=MAX_POSITION, description="After the last family when left out."
    )
    description: str = ""


class ProductFamilyPatch(InputSchema):
    """Only the fields sent are changed."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=100)
    position: int | None = Field(default=None, ge=0, le=MAX_POSITION)
    description: str | None = None


@router.get("/product-families", response=Page[ProductFamilyOut])
def list_product_families(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """The product families, in the order the white-space matrix shows them."""
    return page_of(ProductFamily.objects.order_by("position", "name", "id"), paging)


@router.post("/product-families", response={201: ProductFamilyOut})
def create_product_family(request: HttpRequest, payload: ProductFamilyIn) -> Status[ProductFamily]:
    data = payload.dict()
    if data["position"] is None:
        data.pop("position")
    family = services.product_family_create(acting_user=acting_user(request), data=data)
    return Status(201, family)


@router.patch("/product-families/{family_id}", response=ProductFamilyOut)
def update_product_family(
    request: HttpRequest, family_id: RecordId, payload: ProductFamilyPatch
) -> ProductFamily:
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), ProductFamily)
    no_nulls(sent, "name", "position")
    return services.product_family_update(
        family=get_object_or_404(ProductFamily, pk=family_id),
        acting_user=acting_user(request),
        data=sent,
    )


# Products ------------------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    name: str
    code: str
    family: FamilyRef
    list_price: Money = Field(description="Per unit and per year, in `currency`.")
    currency: str = Field(description="The company currency.")
    is_active: bool = Field(description="On sale.")
    description: str
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_currency(obj: Product) -> str:
        return company_currency()


class ProductIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=150)
    code: str = Field(default="", max_length=40)
    family_id: RecordId
    list_price: Price = Field(description="Per unit and per year, in the company currency.")
    is_active: bool = True
    description: str = ""


class ProductPatch(InputSchema):
    """Only the fields sent are changed; send ``version`` to refuse a stale update."""

    model_config = ConfigDict(str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=150)
    code: str | None = Field(default=None, max_length=40)
    family_id: RecordId | None = None
    list_price: Price | None = None
    is_active: bool | None = None
    description: str | None = None


def _product(product_id: int) -> Product:
    return get_object_or_404(Product.objects.select_related("family"), pk=product_id)


@router.get("/products", response=Page[ProductOut])
def list_products(
    request: HttpRequest, filters: Query[ProductFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """The catalogue by family and name; products on sale unless ``state`` says otherwise."""
    return page_of(selectors.product_list(filters=filters), paging)


@router.get("/products/{product_id}", response=ProductOut)
def get_product(request: HttpRequest, product_id: RecordId) -> Product:
    return _product(product_id)


@router.post("/products", response={201: ProductOut})
def create_product(request: HttpRequest, payload: ProductIn) -> Status[Product]:
    data = resolve_references(
        nulls_to_blanks(payload.dict(), Product), {"family": ProductFamily.objects.all()}
    )
    product = services.product_create(acting_user=acting_user(request), data=data)
    return Status(201, _product(product.pk))


@router.patch("/products/{product_id}", response=ProductOut)
def update_product(request: HttpRequest, product_id: RecordId, payload: ProductPatch) -> Product:
    """Renames, re-prices, moves to another family or takes off sale (contracts keep theirs)."""
    product = _product(product_id)
    sent = nulls_to_blanks(payload.dict(exclude_unset=True), Product)
    no_nulls(sent, "name", "family_id", "list_price", "is_active")
    version = sent.pop("version", None)
    data = resolve_references(sent, {"family": ProductFamily.objects.all()})
    services.product_update(
        product=product, acting_user=acting_user(request), data=data, expected_version=version
    )
    return _product(product_id)


# Exchange rates ------------------------------------------------------------------------------


class ExchangeRateOut(Schema):
    id: int
    currency: str
    effective_date: datetime.date = Field(description="In force from this day on.")
    rate: RateText = Field(description="Company currency for one unit of `currency`.")
    company_currency: str

    @staticmethod
    def resolve_company_currency(obj: ExchangeRate) -> str:
        return company_currency()


class ExchangeRateFilter(InputSchema):
    currency: str = Field(default="", max_length=3, description="A three-letter currency code.")


class ExchangeRateIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    currency: Currency
    effective_date: Day
    rate: Decimal = Field(
        gt=0, max_digits=18, decimal_places=8, description="Company currency for one unit."
    )


@router.get("/exchange-rates", response=Page[ExchangeRateOut])
def list_exchange_rates(
    request: HttpRequest, filters: Query[ExchangeRateFilter], paging: Query[PageQuery]
) -> dict[str, Any]:
    """The rates by currency, the latest first."""
    return page_of(selectors.rate_list(currency=filters.currency.strip().upper()), paging)


@router.put("/exchange-rates", response=ExchangeRateOut)
def set_exchange_rate(request: HttpRequest, payload: ExchangeRateIn) -> ExchangeRate:
    """Records a currency's rate from a day on (or corrects that day's); every contract line and
    opportunity it affects is converted again."""
    return services.exchange_rate_set(
        acting_user=acting_user(request),
        currency=payload.currency,
        effective_date=payload.effective_date,
        rate=payload.rate,
    )


@router.delete("/exchange-rates/{rate_id}", response={204: None})
def delete_exchange_rate(request: HttpRequest, rate_id: RecordId) -> Status[None]:
    """Removes a rate; refused (422) while some figure would be left without a rate."""
    services.exchange_rate_delete(
        acting_user=acting_user(request), rate=get_object_or_404(ExchangeRate, pk=rate_id)
    )
    return Status(204, None)


# Pipeline stages -----------------------------------------------------------------------------


class PipelineStageOut(Schema):
    id: int
    name: str
    position: int
    outcome: OpportunityStatus = Field(description="Open stages are worked; others close.")
    probability: int
    forecast_category: ForecastCategory
    is_active: bool


class PipelineStageIn(InputSchema):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=60)
    position: int | None = Field(
        default=None, ge=0, le=MAX_POSITION, description="After the last stage when left out."
    )
    outcome: OpportunityStatus = OpportunityStatus.OPEN
    probability: int = Field(default=10, ge=0, le=100)
    forecast_category: ForecastCategory = ForecastCategory.PIPELINE
    is_active: bool = True


class PipelineStagePatch(InputSchema):
    """Only the fields sent are changed."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=60)
    position: int | None = Field(default=None, ge=0, le=MAX_POSITION)
    outcome: OpportunityStatus | None = None
    probability: int | None = Field(default=None, ge=0, le=100)
    forecast_category: ForecastCategory | None = None
    is_active: bool | None = None


@router.get("/pipeline-stages", response=Page[PipelineStageOut])
def list_pipeline_stages(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    """The pipeline's stages in board order."""
    return page_of(PipelineStage.objects.order_by("position", "id"), paging)


@router.post("/pipeline-stages", response={201: PipelineStageOut})
def create_pipeline_stage(request: HttpRequest, payload: PipelineStageIn) -> Status[PipelineStage]:
    data = payload.dict()
    if data["position"] is None:
        data.pop("position")
    stage = services.stage_create(acting_user=acting_user(request), data=data)
    return Status(201, stage)


@router.patch("/pipeline-stages/{stage_id}", response=PipelineStageOut)
def update_pipeline_stage(
    request: HttpRequest, stage_id: RecordId, payload: PipelineStagePatch
) -> PipelineStage:
    """Changes a stage; the pipeline keeps an open, a won and a lost stage in use."""
    sent = no_nulls(
        payload.dict(exclude_unset=True),
        "name",
        "position",
        "outcome",
        "probability",
        "forecast_category",
        "is_active",
    )
    return services.stage_update(
        stage=get_object_or_404(PipelineStage, pk=stage_id),
        acting_user=acting_user(request),
        data=sent,
    )


# Settings ------------------------------------------------------------------------------------


class RevenueSettingsOut(Schema):
    company_currency: str = Field(description="Every report's currency.")
    renewal_lead_days: int = Field(
        description="How long before a contract ends its renewal opportunity opens."
    )
    notice_reminder_days: int = Field(
        description="How long before a tacit renewal's notice date its reminder is due."
    )


@router.get("/revenue/settings", response=RevenueSettingsOut)
def revenue_settings(request: HttpRequest) -> dict[str, Any]:
    return {
        "company_currency": company_currency(),
        "renewal_lead_days": settings.RAPPORT_RENEWAL_LEAD_DAYS,
        "notice_reminder_days": settings.RAPPORT_NOTICE_REMINDER_DAYS,
    }
