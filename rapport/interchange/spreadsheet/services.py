"""Writes of the spreadsheet flow before the import itself: its go-ahead."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from rapport.core.services import require_permission
from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.exceptions import ImportRefused
from rapport.interchange.models import ImportRun
from rapport.users.models import User

# Left in the run's folder when the run is sent to the worker, so it is sent once only.
STARTED_MARK = "started"


def is_started(run: ImportRun) -> bool:
    """Whether the run was sent to the worker (it may not have begun yet)."""
    return (run.path / STARTED_MARK).exists() or run.status != ImportStatus.QUEUED


@transaction.atomic
def spreadsheet_import_start(
    *, run: ImportRun, acting_user: User, dry_run: bool, strict: bool
) -> bool:
    """Set a mapped spreadsheet run's options and send it to the worker, once.

    Returns False when the run had already been sent (a second click, a reloaded form).
    """
    require_permission(acting_user, "interchange.import_data")
    locked = ImportRun.objects.select_for_update().get(pk=run.pk)
    if locked.kind != ImportKind.SPREADSHEET or not (locked.mapping or {}).get("columns"):
        raise ImportRefused(_("Map the columns of the file before importing it."))
    if is_started(locked):
        return False
    locked.dry_run = dry_run
    locked.strict = strict
    locked.save(update_fields=["dry_run", "strict"])
    try:
        # Creating the mark fails if it exists: two requests cannot both send the run.
        (locked.path / STARTED_MARK).open("x").close()
    except FileExistsError:
        return False
    # Imported here: the task module imports the services of the whole app.
    from rapport.interchange import tasks

    transaction.on_commit(lambda: tasks.execute_import(locked.pk))
    return True
