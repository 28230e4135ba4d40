"""What the revenue API's modules share: money as text, references, lines, the acting user.

Money leaves as a string with two decimals (``"1200.00"``), never a float, and always with its
currency beside it; a figure in the company currency says so in its name (``…_company``) or in
the ``currency`` of the report it belongs to.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, PlainSerializer

from rapport.core.api import Day, InputSchema, RecordId
from rapport.revenue.models import Product
from rapport.users.models import User

CENT = Decimal("0.01")


def _two_decimals(value: Decimal) -> str:
    return f"{Decimal(value).quantize(CENT):f}"


def _one_decimal(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.1')):f}"


def _plain(value: Decimal) -> str:
    """A rate without its trailing zeros: 0.85, never 0.85000000 or 8.5E-1."""
    return f"{Decimal(value).normalize():f}"


# Outgoing figures.
Money = Annotated[Decimal, PlainSerializer(_two_decimals, return_type=str)]
Percent = Annotated[Decimal, PlainSerializer(_one_decimal, return_type=str)]
RateText = Annotated[Decimal, PlainSerializer(_plain, return_type=str)]

# Incoming figures, bounded by the columns that store them.
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
Price = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
Amount = Annotated[Decimal, Field(max_digits=16, decimal_places=2)]
Currency = Annotated[
    str, Field(min_length=3, max_length=3, description="A three-letter ISO code, e.g. EUR.")
]


def acting_user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def without_nones(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """Leave out the optional fields not given, so the service's defaults apply."""
    return {key: value for key, value in data.items() if not (key in names and value is None)}


class VersionIn(InputSchema):
    version: int | None = Field(
        default=None, ge=1, description="Refuse the change if the record changed since."
    )


class AccountRef(Schema):
    id: int
    name: str


class FamilyRef(Schema):
    id: int
    name: str


class ProductRef(Schema):
    id: int
    name: str
    family_id: int


# Lines ---------------------------------------------------------------------------------------


class LineIn(InputSchema):
    product_id: RecordId
    quantity: Quantity
    unit_price: Price = Field(description="Per unit and per year, in the record's currency.")


class ContractLineIn(LineIn):
    start_date: Day | None = Field(default=None, description="The term's start when left out.")
    end_date: Day | None = Field(default=None, description="The term's last day when left out.")


def line_specs(lines: Sequence[LineIn]) -> list[dict[str, Any]]:
    """The lines as the services take them, products found, each unknown one named by line."""
    products = Product.objects.in_bulk({line.product_id for line in lines})
    problems: list[str] = []
    specs: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        spec = {key: value for key, value in line.dict().items() if value is not None}
        product_id = spec.pop("product_id")
        product = products.get(product_id)
        if product is None:
            problems.append(
                _("Line %(number)s: no product has the id %(id)s.")
                % {"number": number, "id": product_id}
            )
        spec["product"] = product
        specs.append(spec)
    if problems:
        raise ValidationError({"lines": problems})
    return specs


def check_term(start: datetime.date, end: datetime.date) -> None:
    """A term ends after it starts (said about the end date, the field the client typed)."""
    if end <= start:
        raise ValidationError({"end_date": _("The end date must be after the start date.")})
