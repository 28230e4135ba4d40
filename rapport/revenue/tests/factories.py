"""Builders for revenue tests: a catalogue, the pipeline, rates, contracts and opportunities.

Contracts and opportunities are made through the services, so their lines, converted values and
history are what the product itself would store.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rapport.accounts.models import Account
from rapport.revenue import services
from rapport.revenue.choices import ForecastCategory, OpportunityStatus, OpportunityType
from rapport.revenue.models import (
    Contract,
    ExchangeRate,
    Opportunity,
    PipelineStage,
    Product,
    ProductFamily,
)
from rapport.users.models import User

# The shipped stages (migration 0002), for tests whose database was flushed of them.
STAGES = [
    ("Qualification", OpportunityStatus.OPEN, 10, ForecastCategory.PIPELINE),
    ("Discovery", OpportunityStatus.OPEN, 25, ForecastCategory.PIPELINE),
    ("Proposal", OpportunityStatus.OPEN, 50, ForecastCategory.PIPELINE),
    ("Negotiation", OpportunityStatus.OPEN, 75, ForecastCategory.BEST_CASE),
    ("Commit", OpportunityStatus.OPEN, 90, ForecastCategory.COMMIT),
    ("Closed won", OpportunityStatus.WON, 100, ForecastCategory.COMMIT),
    ("Closed lost", OpportunityStatus.LOST, 0, ForecastCategory.OMITTED),
]


def pipeline() -> list[PipelineStage]:
    """The stages, created if the database has none."""
    if not PipelineStage.objects.exists():
        for position, (name, outcome, probability, category) in enumerate(STAGES, start=1):
            PipelineStage.objects.create(
                name=name,
                position=position,
                outcome=outcome,
                probability=probability,
                forecast_category=category,
            )
    return list(PipelineStage.objects.order_by("position"))


def stage(name: str) -> PipelineStage:
    pipeline()
    return PipelineStage.objects.get(name=name)


def family(name: str = "Platform", position: int = 0) -> ProductFamily:
    return ProductFamily.objects.get_or_create(name=name, defaults={"position": position})[0]


def product(
    name: str = "Platform licence",
    *,
    family_name: str = "Platform",
    list_price: Decimal | int | str = 1000,
    is_active: bool = True,
) -> Product:
    found = Product.objects.filter(name=name).first()
    if found is not None:
        return found
    return Product.objects.create(
        name=name,
        family=family(family_name),
        list_price=Decimal(str(list_price)),
        is_active=is_active,
    )


def rate(currency: str, day: datetime.date, value: Decimal | str) -> ExchangeRate:
    return ExchangeRate.objects.create(currency=currency, effective_date=day, rate=Decimal(value))


def line(
    item: Product, quantity: Decimal | int | str, unit_price: Decimal | int | str, **dates: Any
) -> dict[str, Any]:
    return {
        "product": item,
        "quantity": Decimal(str(quantity)),
        "unit_price": Decimal(str(unit_price)),
        **dates,
    }


def contract(
    *,
    account: Account,
    start: datetime.date,
    end: datetime.date,
    lines: Sequence[dict[str, Any]] | None = None,
    acting_user: User | None = None,
    **data: Any,
) -> Contract:
    """A contract made by its account's manager (or whoever is given)."""
    return services.contract_create(
        acting_user=acting_user or account.owner,
        account=account,
        data={"start_date": start, "end_date": end, **data},
        lines=lines if lines is not None else [line(product(), 1, 1000)],
        check_permission=False,
    )


def opportunity(
    *,
    account: Account,
    type: str = OpportunityType.UPSELL,
    close_date: datetime.date,
    amount: Decimal | int | str | None = 5000,
    acting_user: User | None = None,
    lines: Sequence[dict[str, Any]] = (),
    **data: Any,
) -> Opportunity:
    pipeline()
    values: dict[str, Any] = {"type": type, "close_date": close_date, **data}
    if amount is not None:
        values["amount"] = Decimal(str(amount))
    return services.opportunity_create(
        acting_user=acting_user or account.owner,
        account=account,
        data=values,
        lines=lines,
        check_permission=False,
    )
