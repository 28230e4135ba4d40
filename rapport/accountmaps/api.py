"""The account map over the REST API: as data, or as a file in any export format."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field, field_validator

from rapport.accountmaps.export_views import file_response
from rapport.accountmaps.exports import (
    CONTENT_TYPES,
    MapFormat,
    export_map,
    map_document,
)
from rapport.accountmaps.forms import MapFilterForm
from rapport.accounts.models import Account
from rapport.core.api import InputSchema, RecordId

router = Router(tags=["account maps"])


class MapAccountOut(Schema):
    id: int
    name: str


class MapPersonOut(Schema):
    id: int
    name: str
    title: str
    department: str
    # Plain text rather than the current choices: a map of a past date shows what was stored.
    stance: str
    influence: str
    roles: list[str]
    owners: list[str] = Field(description="Initials of the relationship owners on our side.")
    has_left: bool
    manager_id: int | None = Field(description="The nearest manager shown on this map.")
    x: float = Field(description="Left edge of the card, in SVG units.")
    y: float = Field(description="Top edge of the card, in SVG units.")
    width: float
    height: float


class MapLineOut(Schema):
    source: int = Field(description="The manager for a reporting line.")
    target: int
    kind: str = Field(description='"reports_to" or a relationship kind.')
    note: str


class AccountMapOut(Schema):
    account: MapAccountOut
    as_of: datetime.datetime | None
    people: list[MapPersonOut]
    lines: list[MapLineOut]
    width: float
    height: float


class MapQuery(InputSchema):
    """The same choices as the map page, and the format of the answer."""

    format: MapFormat = MapFormat.JSON
    as_of: datetime.date | None = Field(
        default=None, description="Show the map as it was at the end of this day."
    )
    only_decision_roles: bool = False
    department: str = Field(default="", max_length=100)
    collapsed: list[RecordId] = Field(
        default_factory=list, description="People whose reports are hidden."
    )

    @field_validator("as_of")
    @classmethod
    def not_in_the_future(cls, value: datetime.date | None) -> datetime.date | None:
        """History only runs up to today."""
        if value is not None and value > timezone.localdate():
            raise ValueError(_("The map cannot be shown at a date in the future."))
        return value


# The other formats come back as files; list them so clients know what to expect.
FILE_RESPONSES: dict[str, Any] = {
    content_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
    for map_format, (content_type, _extension) in CONTENT_TYPES.items()
    if map_format != MapFormat.JSON
}


@router.get(
    "/accounts/{account_id}/map",
    response=AccountMapOut,
    openapi_extra={"responses": {200: {"content": FILE_RESPONSES}}},
)
def get_account_map(
    request: HttpRequest, account_id: RecordId, query: Query[MapQuery]
) -> dict[str, Any] | HttpResponse:
    """The account map as JSON, or with ``format`` as an SVG, PNG, PDF, draw.io, Mermaid or
    CSV file."""
    account = get_object_or_404(Account, pk=account_id)
    if not request.user.has_perm("accounts.view_account", account):
        raise HttpError(403, _("You may not see this account."))
    # The page's own filter form reads the parameters, so the API shows what the page shows.
    filters = MapFilterForm(_page_query(query), account=account)
    account_map = filters.build_map()
    if query.format == MapFormat.JSON:
        return map_document(account_map)
    return file_response(export_map(account_map, query.format))


def _page_query(query: MapQuery) -> QueryDict:
    """The parameters written as the map page's query string."""
    data = QueryDict(mutable=True)
    if query.only_decision_roles:
        data["only_decision_roles"] = "1"
    if query.department:
        data["department"] = query.department
    if query.as_of is not None:
        data["as_of"] = query.as_of.isoformat()
    if query.collapsed:
        data["collapsed"] = ",".join(str(pk) for pk in query.collapsed)
    return data
