"""Reads for the import pages: the runs a person may see, and how far each one has gone."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.models import ImportRun
from rapport.interchange.progress import read_progress
from rapport.interchange.salesforce.schema import OBJECTS
from rapport.interchange.spreadsheet.services import is_started
from rapport.users.models import User

PERMISSION = "interchange.import_data"
# An import reports progress several times a second; ten quiet minutes mean its worker is gone.
STALL_AFTER = datetime.timedelta(minutes=10)
COUNT_KEYS = ("created", "updated", "unchanged", "skipped")
# Salesforce objects in the order they are imported; other names (spreadsheets) follow.
OBJECT_ORDER = {sobject.name: position for position, sobject in enumerate(OBJECTS)}


@dataclass(frozen=True)
class RunState:
    """Where a run stands: its last reported progress and, if it went quiet, since when."""

    progress: dict[str, Any] | None
    stalled_since: datetime.datetime | None
    # A spreadsheet whose columns are still to be mapped: nobody has sent it to a worker yet.
    awaiting_start: bool = False

    @property
    def is_active(self) -> bool:
        """Still worth following: sent to a worker, and not gone quiet."""
        return self.stalled_since is None and not self.awaiting_start


@dataclass(frozen=True)
class CountRow:
    """What a run did to one kind of object."""

    name: str
    created: int
    updated: int
    unchanged: int
    skipped: int


def import_run_list(*, user: User) -> QuerySet[ImportRun]:
    """The runs, newest first, for people who may import; nothing for anyone else."""
    if not user.has_perm(PERMISSION):
        return ImportRun.objects.none()
    return ImportRun.objects.select_related("created_by").order_by("-created_at", "-id")


def import_run_state(*, run: ImportRun, now: datetime.datetime | None = None) -> RunState:
    """The progress of an unfinished run, and whether it has stalled (its worker died)."""
    if run.is_finished:
        return RunState(progress=None, stalled_since=None)
    if run.kind == ImportKind.SPREADSHEET and not is_started(run):
        return RunState(progress=None, stalled_since=None, awaiting_start=True)
    progress = read_progress(run.pk)
    if run.status != ImportStatus.RUNNING:
        # Queued: waiting for a worker that may be busy with another import, not stalled.
        return RunState(progress=progress, stalled_since=None)
    last = run.started_at or run.created_at
    if progress and progress.get("at"):
        last = max(last, datetime.datetime.fromtimestamp(progress["at"], tz=datetime.UTC))
    now = now or timezone.now()
    return RunState(progress=progress, stalled_since=last if now - last > STALL_AFTER else None)


def stalled_run_ids(runs: Iterable[ImportRun]) -> set[int]:
    """Which of these runs say "running" while their worker has long stopped reporting."""
    return {
        run.pk
        for run in runs
        if run.status == ImportStatus.RUNNING
        and import_run_state(run=run).stalled_since is not None
    }


def count_rows(counts: dict[str, Any]) -> list[CountRow]:
    """A run's counts, one row per object, Salesforce objects in their import order."""
    names = sorted(counts, key=lambda name: (OBJECT_ORDER.get(name, len(OBJECT_ORDER)), name))
    return [
        CountRow(name, *(int((counts[name] or {}).get(key) or 0) for key in COUNT_KEYS))
        for name in names
    ]


def count_totals(counts: dict[str, Any]) -> dict[str, int]:
    """A run's counts summed over every object, for the list of runs."""
    totals = dict.fromkeys(COUNT_KEYS, 0)
    for row in count_rows(counts):
        for key in COUNT_KEYS:
            totals[key] += getattr(row, key)
    return totals
