"""Downloads of the account map in every format."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from rapport.accountmaps.exports import (
    MapFile,
    MapFormat,
    export_map,
    unknown_format_message,
)
from rapport.accountmaps.forms import MapFilterForm
from rapport.accounts.models import Account
from rapport.core.types import AppRequest
from rapport.core.views_helpers import require


@login_required
@require_GET
def map_export(request: AppRequest, account_pk: int) -> HttpResponse:
    """The map, filtered as on the page (the same query string), as a file to download."""
    account = get_object_or_404(Account, pk=account_pk)
    require(request, "accounts.view_account", account)
    fmt = request.GET.get("format", MapFormat.PDF.value)
    if fmt not in {item.value for item in MapFormat}:
        return HttpResponseBadRequest(unknown_format_message(fmt), content_type="text/plain")
    filters = MapFilterForm(request.GET, account=account)
    if not filters.is_valid() and "as_of" in filters.errors:
        # The page quietly shows today's map instead; a download must not pass one date off
        # as another.
        message = " ".join(str(error) for error in filters.errors["as_of"])
        return HttpResponseBadRequest(message, content_type="text/plain")
    account_map = filters.build_map()
    return file_response(export_map(account_map, fmt))


def file_response(map_file: MapFile) -> HttpResponse:
    """The file as a download, named for the account and the date."""
    response = HttpResponse(map_file.content, content_type=map_file.content_type)
    disposition = content_disposition_header(as_attachment=True, filename=map_file.filename)
    response["Content-Disposition"] = disposition or "attachment"
    return response
