"""Pieces every app's API router shares: the page envelope and reference lookups."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import CharField, Model, QuerySet, TextField
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field, field_validator

from rapport.core.pagination import OrderedRows, paginate

ItemT = TypeVar("ItemT")

# The largest id both engines store (a signed 64-bit integer); a larger number is refused
# as invalid input instead of failing in the database driver.
MAX_RECORD_ID = 2**63 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_RECORD_ID)]

# Dates far outside any real business are typing slips; the bounds also keep every value
# convertible to UTC and one day away from either end, which the database drivers need.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200


def storable_moment(value: datetime.datetime) -> datetime.datetime:
    try:
        value.astimezone(datetime.UTC)
    except OverflowError as error:
        raise ValueError("Date and time out of range.") from error
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"Choose a year between {EARLIEST_YEAR} and {LATEST_YEAR}.")
    return value


def _plausible_day(value: datetime.date) -> datetime.date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"Choose a year between {EARLIEST_YEAR} and {LATEST_YEAR}.")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(storable_moment)]
Day = Annotated[datetime.date, AfterValidator(_plausible_day)]


class InputSchema(Schema):
    """Base of every schema that reads client input: text may not carry NUL characters,
    which PostgreSQL cannot store and which no honest form sends."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("Text cannot contain NUL characters.")
        if isinstance(value, list) and any(
            isinstance(item, str) and "\x00" in item for item in value
        ):
            raise ValueError("Text cannot contain NUL characters.")
        return value


class PageQuery(InputSchema):
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=25, ge=1, le=200)


class Page(Schema, Generic[ItemT]):
    count: int
    page: int
    pages: int
    results: list[ItemT]


def page_of(
    queryset: QuerySet[Any] | Sequence[Any] | OrderedRows[Any], query: PageQuery
) -> dict[str, Any]:
    size = min(query.page_size, settings.RAPPORT_API_MAX_PAGE_SIZE)
    page = paginate(queryset, page=query.page, per_page=size)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": list(page.object_list),
    }


def resolve_references(
    data: dict[str, Any], references: dict[str, QuerySet[Any]]
) -> dict[str, Any]:
    """Turn ``<name>_id`` keys into objects, refusing ids that match nothing, field by field."""
    resolved = dict(data)
    errors: dict[str, list[str]] = {}
    for name, queryset in references.items():
        key = f"{name}_id"
        if key not in resolved:
            continue
        value = resolved.pop(key)
        if value is None:
            resolved[name] = None
            continue
        obj: Model | None = queryset.filter(pk=value).first()
        if obj is None:
            errors[key] = [_("No record has the id %(id)s.") % {"id": value}]
        else:
            resolved[name] = obj
    if errors:
        raise ValidationError(errors)
    return resolved


def nulls_to_blanks(data: dict[str, Any], model: type[Model]) -> dict[str, Any]:
    """Text columns store "" for nothing, never NULL: a client's null means an empty text.

    A required text left empty this way is then refused by the model's own validation.
    """
    cleaned = dict(data)
    for name, value in data.items():
        if value is not None:
            continue
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(model_field, CharField | TextField) and not model_field.null:
            cleaned[name] = ""
    return cleaned


def no_nulls(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """A null sent for a field that cannot be empty is refused, not taken as "unchanged"."""
    errors = {name: [_("This field cannot be empty.")] for name in names if name in data}
    errors = {name: message for name, message in errors.items() if data[name] is None}
    if errors:
        raise ValidationError(errors)
    return data
