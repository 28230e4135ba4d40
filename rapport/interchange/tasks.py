"""Background jobs: each takes plain values and calls one service."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from rapport.interchange import services
from rapport.interchange.models import ImportRun


@db_task()
def execute_import(run_id: int) -> str:
    """Run a queued import in the worker; the page follows its progress."""
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        return "deleted"  # Deleted while it waited in the queue: nothing to do.
    return services.import_run_execute(run=run).status
