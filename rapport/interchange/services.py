"""Imports: a run is created with its upload in a folder of its own, then executed in one
transaction, so that a dry run, a refused strict import or a crash leave nothing behind."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.services import require_permission
from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.exceptions import ImportRefused
from rapport.interchange.models import ImportRun
from rapport.interchange.progress import Progress, clear_progress
from rapport.interchange.report import ProblemReport
from rapport.users.models import User

logger = logging.getLogger(__name__)

# An engine reads the source, writes through the ORM and returns its counts per object.
Engine = Callable[..., dict[str, dict[str, int]]]

UPLOAD_FOLDER = "upload"


def safe_file_name(name: str) -> str:
    """A file name with no folder part and nothing a file system could take as a path."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    return cleaned[:200] or "upload"


def import_run_create(
    *,
    kind: str,
    file_name: str,
    chunks: Iterable[bytes] | None,
    acting_user: User | None,
    dry_run: bool = False,
    strict: bool = False,
    target: str = "",
    mapping: dict[str, str] | None = None,
) -> ImportRun:
    """Record an import and keep its upload (streamed in ``chunks``) in the run's own folder.

    ``chunks`` may be None when the source is read where it lies (the command line).
    """
    if acting_user is not None:
        require_permission(acting_user, "interchange.import_data")
    run = ImportRun(
        kind=kind,
        target=target,
        dry_run=dry_run,
        strict=strict,
        file_name=safe_file_name(file_name) if chunks is not None else file_name[:255],
        folder=uuid.uuid4().hex,
        mapping=mapping or {},
        created_by=acting_user,
    )
    run.path.mkdir(parents=True, exist_ok=False)
    if chunks is not None:
        upload = run.path / UPLOAD_FOLDER
        upload.mkdir()
        with (upload / run.file_name).open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
    run.save()
    return run


def upload_path(run: ImportRun) -> Path:
    return run.path / UPLOAD_FOLDER / run.file_name


def engine_for(run: ImportRun) -> Engine:
    # Imported here: the engines import every domain app, the models of this app do not.
    if run.kind == ImportKind.SALESFORCE:
        from rapport.interchange.salesforce.importer import import_salesforce

        return import_salesforce
    from rapport.interchange.spreadsheet.importer import import_spreadsheet

    return import_spreadsheet


def import_run_execute(
    *, run: ImportRun, source: Path | None = None, progress: Progress | None = None
) -> ImportRun:
    """Run an import to its end, all of it in one transaction, and record what it did.

    A dry run is rolled back at the end, as is a strict import that met any problem; an
    ``ImportRefused`` refuses the whole import with its message; anything else marks the run
    failed. The problem report is a file and survives the rollback. ``progress`` replaces the
    run's own reporter (the command line passes one that also draws a bar in the terminal).
    """
    source = source or upload_path(run)
    run.status = ImportStatus.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at"])
    progress = progress or Progress(run.pk)
    engine = engine_for(run)
    options: dict[str, Any] = {"dry_run": run.dry_run, "strict": run.strict}
    if run.target:
        options |= {"target": run.target, "mapping": run.mapping}
    try:
        with ProblemReport(run.report_path) as report:
            try:
                with transaction.atomic():
                    run.counts = engine(
                        source=source,
                        workdir=run.path,
                        acting_user=run.created_by,
                        report=report,
                        progress=progress,
                        **options,
                    )
                    if run.dry_run or (run.strict and report.count):
                        transaction.set_rollback(True)
            finally:
                run.problem_count = report.count
        if run.strict and run.problem_count:
            run.status = ImportStatus.REFUSED
            run.message = _("Strict import: nothing was imported because of the problems below.")
        else:
            run.status = ImportStatus.DONE
    except ImportRefused as refusal:
        run.status = ImportStatus.REFUSED
        run.message = refusal.message
    except Exception:
        logger.exception("Import %s failed", run.pk)
        run.status = ImportStatus.FAILED
        run.message = _("The import stopped on an unexpected error; nothing was imported.")
    finally:
        unpacked = run.path / "unpacked"
        if unpacked.exists():
            shutil.rmtree(unpacked, ignore_errors=True)
        clear_progress(run.pk)
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "counts", "problem_count", "message", "finished_at"])
    return run


def import_run_delete(*, run: ImportRun, acting_user: User) -> None:
    """Forget a finished run and remove its folder (the upload and the report)."""
    require_permission(acting_user, "interchange.import_data")
    shutil.rmtree(run.path, ignore_errors=True)
    run.delete()


def import_dir() -> Path:
    return Path(settings.RAPPORT_IMPORT_DIR)


# Running a checked dry run for real ---------------------------------------------------------

COPY_CHUNK_BYTES = 1024 * 1024


def import_run_repeat(*, run: ImportRun, acting_user: User) -> ImportRun:
    """Record a real import of what a finished dry run checked, from a copy of its upload.

    The new run gets its own copy in its own folder, so deleting either run leaves the other
    whole. Only a dry run that finished is repeated: a refused one has nothing worth importing.
    """
    require_permission(acting_user, "interchange.import_data")
    if not (run.dry_run and run.status == ImportStatus.DONE):
        raise ValidationError(_("Only a dry run that finished can be run for real."))
    source = upload_path(run)
    if not source.is_file():
        raise ValidationError(
            _("The file of this dry run is no longer kept; upload it again to import it.")
        )
    with source.open("rb") as handle:
        return import_run_create(
            kind=run.kind,
            file_name=run.file_name,
            chunks=iter(lambda: handle.read(COPY_CHUNK_BYTES), b""),
            acting_user=acting_user,
            dry_run=False,
            strict=run.strict,
            target=run.target,
            mapping=run.mapping,
        )


def salesforce_export_file() -> tuple[IO[bytes], str]:
    """The whole book as a Salesforce Data Export (.zip) in a nameless temporary file.

    On the data disk rather than in memory, as a whole book may be large; the file has no name,
    so nothing is left behind whether the download ends, fails or the process dies. The caller
    sends it and closes it (``FileResponse`` does both). Returns the file and its download name.
    """
    # Imported here: the exporter reads every domain app, the models of this app do not.
    from rapport.interchange.salesforce.exporter import export_salesforce

    import_dir().mkdir(parents=True, exist_ok=True)
    archive = tempfile.TemporaryFile(dir=import_dir(), prefix="export-", suffix=".zip")  # noqa: SIM115
    try:
        export_salesforce(destination=archive)
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return archive, f"rapport-salesforce-export-{timezone.localdate():%Y-%m-%d}.zip"
