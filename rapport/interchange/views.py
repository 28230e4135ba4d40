"""The import pages: the runs, the Salesforce upload, a run followed live, its report.

The upload view is CSRF-exempt only so that the import size limit is in place before the body
is read (``uploads.upload_refused``); it checks the CSRF token right after, through
``csrf_protect`` on the function that handles the form.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from rapport.communications.uploads import upload_refused
from rapport.core.exceptions import NotAllowedError
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import require, run_service
from rapport.interchange import selectors, services, tasks
from rapport.interchange.choices import ImportKind
from rapport.interchange.forms import SalesforceUploadForm
from rapport.interchange.models import ImportRun
from rapport.interchange.report import read_problems
from rapport.interchange.selectors import PERMISSION
from rapport.interchange.spreadsheet.services import spreadsheet_import_start

PROBLEMS_SHOWN = 100
DETAIL_TEMPLATE = "interchange/import_detail.html"
FORM_TEMPLATE = "interchange/salesforce_form.html"


def _run(request: AppRequest, pk: int) -> ImportRun:
    require(request, PERMISSION)
    return get_object_or_404(selectors.import_run_list(user=request.user), pk=pk)


@login_required
@require_safe
def import_list(request: AppRequest) -> HttpResponse:
    """Every import, newest first, with what each one did."""
    require(request, PERMISSION)
    page = paginate(
        selectors.import_run_list(user=request.user),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    runs = list(page.object_list)
    context = {
        "page": page,
        "rows": [(run, selectors.count_totals(run.counts)) for run in runs],
        "stalled_ids": selectors.stalled_run_ids(runs),
    }
    return render(request, "interchange/import_list.html", context)


@csrf_exempt
@login_required
def salesforce_new(request: AppRequest) -> HttpResponse:
    """Upload a Data Export; the import runs in the background and its page follows it."""
    require(request, PERMISSION)
    limit = settings.RAPPORT_IMPORT_MAX_BYTES
    if request.method == "POST" and upload_refused(request, limit=limit):
        context = {"form": SalesforceUploadForm(), "too_large": True, **_limit()}
        return render(request, FORM_TEMPLATE, context, status=413)
    return _salesforce_form(request)


@csrf_protect
def _salesforce_form(request: AppRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, FORM_TEMPLATE, {"form": SalesforceUploadForm(), **_limit()})
    form = SalesforceUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["upload"]
        run = run_service(
            form,
            lambda: services.import_run_create(
                kind=ImportKind.SALESFORCE,
                file_name=upload.name or "",
                chunks=upload.chunks(),
                acting_user=request.user,
                dry_run=form.cleaned_data["dry_run"],
                strict=form.cleaned_data["strict"],
            ),
        )
        if run is not None:
            tasks.execute_import(run.pk)
            return redirect(run)
    return render(request, FORM_TEMPLATE, {"form": form, **_limit()})


def _limit() -> dict[str, str]:
    return {"upload_limit": str(filesizeformat(settings.RAPPORT_IMPORT_MAX_BYTES))}


@login_required
@require_safe
@vary_on_headers("HX-Request")
def import_detail(request: AppRequest, pk: int) -> HttpResponse:
    """One run; while it is queued or running, htmx polls the state part of this page."""
    run = _run(request, pk)
    state = selectors.import_run_state(run=run)
    context: dict[str, Any] = {
        "run": run,
        "state": state,
        "counts": selectors.count_rows(run.counts),
        "problems": (
            list(read_problems(run.report_path, limit=PROBLEMS_SHOWN)) if run.is_finished else []
        ),
        "problems_shown": PROBLEMS_SHOWN,
        "report_available": run.is_finished and run.report_path.is_file(),
    }
    if request.htmx:
        return render(request, f"{DETAIL_TEMPLATE}#state", context)
    return render(request, DETAIL_TEMPLATE, context)


@login_required
@require_safe
def import_report(request: AppRequest, pk: int) -> FileResponse:
    """The whole problem report of a finished run, as the CSV file the import wrote."""
    run = _run(request, pk)
    if not run.is_finished or not run.report_path.is_file():
        raise Http404
    return FileResponse(
        run.report_path.open("rb"),
        as_attachment=True,
        filename=f"import-{run.pk}-problems.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
@require_POST
def import_repeat(request: AppRequest, pk: int) -> HttpResponse:
    """Import for real what a finished dry run checked."""
    run = _run(request, pk)
    try:
        repeated = services.import_run_repeat(run=run, acting_user=request.user)
    except NotAllowedError as error:
        raise PermissionDenied from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(run)
    if repeated.kind == ImportKind.SPREADSHEET:
        # Sent the way the spreadsheet pages send a run, so that they treat it as started.
        spreadsheet_import_start(
            run=repeated, acting_user=request.user, dry_run=False, strict=repeated.strict
        )
    else:
        tasks.execute_import(repeated.pk)
    return redirect(repeated)


@login_required
@require_POST
def import_delete(request: AppRequest, pk: int) -> HttpResponse:
    """Forget a run and its files, unless it is still at work."""
    run = _run(request, pk)
    if not run.is_finished and selectors.import_run_state(run=run).is_active:
        messages.error(request, _("This import is still under way; delete it once it ends."))
        return redirect(run)
    try:
        services.import_run_delete(run=run, acting_user=request.user)
    except NotAllowedError as error:
        raise PermissionDenied from error
    messages.success(request, _("The import and its files were deleted."))
    return redirect("interchange:import_list")


@login_required
@require_safe
def salesforce_export(request: AppRequest) -> FileResponse:
    """Everything in Rapport as a Salesforce Data Export (.zip), the format the import reads."""
    require(request, PERMISSION)
    archive, name = services.salesforce_export_file()
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")
