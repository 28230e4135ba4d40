"""The spreadsheet import pages: upload, map the columns, preview the first rows, import.

The upload view is CSRF-exempt only so that the import size limit is in place before the body
is read (``uploads.upload_refused``); it checks the CSRF token right after, through
``csrf_protect`` on the function that handles the form.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from rapport.communications.uploads import upload_refused
from rapport.core.exceptions import NotAllowedError
from rapport.core.types import AppRequest
from rapport.core.views_helpers import require
from rapport.interchange import selectors, services
from rapport.interchange.choices import ImportKind
from rapport.interchange.exceptions import ImportRefused
from rapport.interchange.forms_spreadsheet import (
    ImportStartForm,
    MappingForm,
    SpreadsheetUploadForm,
)
from rapport.interchange.models import ImportRun
from rapport.interchange.selectors import PERMISSION
from rapport.interchange.spreadsheet import importer, mapping
from rapport.interchange.spreadsheet.reading import column_samples, open_sheet
from rapport.interchange.spreadsheet.services import is_started, spreadsheet_import_start

NEW_TEMPLATE = "interchange/spreadsheet_new.html"


def _limit() -> dict[str, str]:
    return {"upload_limit": str(filesizeformat(settings.RAPPORT_IMPORT_MAX_BYTES))}


def _waiting_run(request: AppRequest, pk: int) -> ImportRun:
    """A spreadsheet run the person may import, not yet sent to the worker."""
    require(request, PERMISSION)
    return get_object_or_404(
        selectors.import_run_list(user=request.user), pk=pk, kind=ImportKind.SPREADSHEET
    )


@csrf_exempt
@login_required
def spreadsheet_new(request: AppRequest) -> HttpResponse:
    """Upload a CSV or XLSX file and say what its rows are; the columns are mapped next."""
    require(request, PERMISSION)
    if request.method == "POST" and upload_refused(
        request, limit=settings.RAPPORT_IMPORT_MAX_BYTES
    ):
        context = {"form": SpreadsheetUploadForm(), "too_large": True, **_limit()}
        return render(request, NEW_TEMPLATE, context, status=413)
    return _upload_form(request)


@csrf_protect
def _upload_form(request: AppRequest) -> HttpResponse:
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["upload"]
        try:
            run = services.import_run_create(
                kind=ImportKind.SPREADSHEET,
                file_name=upload.name or "",
                chunks=upload.chunks(),
                acting_user=request.user,
                target=form.cleaned_data["target"],
            )
        except NotAllowedError as error:
            raise PermissionDenied from error
        try:
            with open_sheet(services.upload_path(run)) as sheet:
                sheet.headers  # noqa: B018  # reading the headers proves the file readable
        except ImportRefused as refusal:
            services.import_run_delete(run=run, acting_user=request.user)
            form.add_error("upload", refusal.message)
        else:
            return redirect("interchange:spreadsheet_mapping", pk=run.pk)
    return render(request, NEW_TEMPLATE, {"form": form, **_limit()})


@login_required
def spreadsheet_mapping(request: AppRequest, pk: int) -> HttpResponse:
    """One choice of field per column, suggested from a saved mapping or the headers."""
    run = _waiting_run(request, pk)
    if is_started(run):
        return redirect(run)
    try:
        with open_sheet(services.upload_path(run)) as sheet:
            headers, notes, samples = sheet.headers, sheet.notes, column_samples(sheet)
    except ImportRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("interchange:spreadsheet_new")
    columns, date_order, from_saved = mapping.suggest(target=run.target, headers=headers)
    if run.mapping.get("columns"):
        columns = dict(run.mapping["columns"])
        date_order = str(run.mapping.get("date_order") or date_order)
    form = MappingForm(
        request.POST or None,
        target=run.target,
        headers=headers,
        samples=samples,
        columns=columns,
        date_order=date_order,
    )
    if form.is_bound and form.is_valid():
        try:
            mapping.mapping_confirm(
                run=run,
                headers=headers,
                columns=form.columns(),
                date_order=form.chosen_date_order(),
                remember=form.cleaned_data["remember"],
                acting_user=request.user,
            )
        except ImportRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            return redirect("interchange:spreadsheet_preview", pk=run.pk)
    context = {"run": run, "form": form, "notes": notes, "from_saved": from_saved}
    return render(request, "interchange/spreadsheet_mapping.html", context)


@csrf_protect
@login_required
def spreadsheet_preview(request: AppRequest, pk: int) -> HttpResponse:
    """The first rows as the import would take them, then the go-ahead."""
    run = _waiting_run(request, pk)
    if is_started(run):
        return redirect(run)
    form = ImportStartForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            spreadsheet_import_start(run=run, acting_user=request.user, **form.cleaned_data)
        except ImportRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("interchange:spreadsheet_mapping", pk=run.pk)
        return redirect(run)
    try:
        result = importer.preview(
            source=services.upload_path(run),
            target=run.target,
            mapping=run.mapping,
            acting_user=request.user,
        )
    except ImportRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("interchange:spreadsheet_mapping", pk=run.pk)
    context: dict[str, Any] = {"run": run, "form": form, "preview": result}
    return render(request, "interchange/spreadsheet_preview.html", context)
