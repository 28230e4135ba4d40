"""Imports and the Salesforce export over the REST API.

An import is uploaded, queued for the worker and followed by polling its run, exactly as on the
pages; its problems come back a page at a time from the run's report. Only administrators and
heads of account management may import or export the whole book.
"""

from __future__ import annotations

import datetime
from itertools import islice
from typing import Any

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from rapport.core.api import Page, PageQuery, RecordId, page_of
from rapport.interchange import services, tasks
from rapport.interchange.choices import ImportKind
from rapport.interchange.models import ImportRun
from rapport.interchange.progress import read_progress
from rapport.interchange.report import read_problems

router = Router(tags=["imports"])

PROBLEMS_PAGE_SIZE = 100


class ProgressOut(Schema):
    stage: str
    done: int
    total: int
    percent: int


class ImportRunOut(Schema):
    id: int
    kind: str
    target: str
    status: str
    dry_run: bool
    strict: bool
    file_name: str
    counts: dict[str, dict[str, int]]
    problem_count: int
    message: str
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    progress: ProgressOut | None


class SalesforceImportIn(Schema):
    dry_run: bool = False
    strict: bool = False


class ProblemOut(Schema):
    file: str
    line: int | None
    field: str
    reason: str


class ProblemPage(Schema):
    count: int
    page: int
    results: list[ProblemOut]


def _require_import_permission(request: HttpRequest) -> None:
    if not request.user.has_perm("interchange.import_data"):
        raise HttpError(403, _("Only administrators and heads of account management may import."))


def _run_out(run: ImportRun) -> dict[str, Any]:
    fields = [field for field in ImportRunOut.model_fields if field != "progress"]
    return {
        **{field: getattr(run, field) for field in fields},
        "progress": None if run.is_finished else read_progress(run.pk),
    }


@router.get("/imports", response=Page[ImportRunOut])
def list_imports(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Every import, newest first, with what it did or how far it has gone."""
    _require_import_permission(request)
    page = page_of(ImportRun.objects.all(), query)
    page["results"] = [_run_out(run) for run in page["results"]]
    return page


# Declared before /imports/{run_id}, whose pattern would otherwise take "salesforce".
@router.post("/imports/salesforce", response={202: ImportRunOut})
def create_salesforce_import(
    request: HttpRequest,
    options: Form[SalesforceImportIn],
    file: File[UploadedFile],
) -> Status:
    """Upload the .zip of a Salesforce Data Export; it is imported in the background.

    Poll ``/imports/{id}`` until its status is done, refused or failed.
    """
    _require_import_permission(request)
    if not (file.name or "").lower().endswith(".zip"):
        raise HttpError(422, _("Upload the .zip file of a Salesforce Data Export."))
    run = services.import_run_create(
        kind=ImportKind.SALESFORCE,
        file_name=file.name or "export.zip",
        chunks=file.chunks(),
        acting_user=request.user,  # type: ignore[arg-type]
        dry_run=options.dry_run,
        strict=options.strict,
    )
    tasks.execute_import(run.pk)
    run.refresh_from_db()
    return Status(202, _run_out(run))


@router.get("/imports/{run_id}", response=ImportRunOut)
def get_import(request: HttpRequest, run_id: RecordId) -> dict[str, Any]:
    """One import: its status, counts per object and, while it runs, its progress."""
    _require_import_permission(request)
    return _run_out(get_object_or_404(ImportRun, pk=run_id))


@router.get("/imports/{run_id}/problems", response=ProblemPage)
def list_import_problems(
    request: HttpRequest, run_id: RecordId, query: Query[PageQuery]
) -> dict[str, Any]:
    """The problems an import reported (file, line, field, reason), a page at a time."""
    _require_import_permission(request)
    run = get_object_or_404(ImportRun, pk=run_id)
    start = (query.page - 1) * query.page_size
    rows = islice(read_problems(run.report_path, limit=start + query.page_size), start, None)
    results = [{**row, "line": int(row["line"]) if row["line"] else None} for row in rows]
    return {"count": run.problem_count, "page": query.page, "results": results}


@router.get(
    "/exports/salesforce",
    openapi_extra={
        "responses": {
            200: {
                "description": "A .zip of CSV files in the Salesforce Data Export format.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_salesforce_zip(request: HttpRequest) -> FileResponse:
    """The whole book as a Salesforce Data Export (.zip of CSV files), ready to import again."""
    _require_import_permission(request)
    archive, name = services.salesforce_export_file()
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")
