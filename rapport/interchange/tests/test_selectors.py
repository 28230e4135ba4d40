"""Reads of the import pages: counts in import order, and when a running import has stalled."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from rapport.core.tests.personas import Personas
from rapport.interchange import selectors
from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.models import ImportRun
from rapport.interchange.progress import Progress, clear_progress


def test_counts_follow_the_import_order_and_sum_up() -> None:
    counts = {
        "Task": {"created": 4},
        "zebra": {"skipped": 1},
        "Account": {"created": 2, "updated": 1, "unchanged": 5, "skipped": None},
        "Contact": {},
    }
    rows = selectors.count_rows(counts)
    assert [row.name for row in rows] == ["Account", "Contact", "Task", "zebra"]
    assert rows[0] == selectors.CountRow("Account", 2, 1, 5, 0)
    assert selectors.count_totals(counts) == {
        "created": 6,
        "updated": 1,
        "unchanged": 5,
        "skipped": 1,
    }


@pytest.mark.django_db
def test_a_running_import_stalls_after_ten_quiet_minutes(personas: Personas) -> None:
    started = timezone.now() - datetime.timedelta(minutes=30)
    run = ImportRun.objects.create(
        kind=ImportKind.SALESFORCE,
        file_name="export.zip",
        folder="stall-test",
        status=ImportStatus.RUNNING,
        started_at=started,
        created_by=personas.admin,
    )
    nine = started + datetime.timedelta(minutes=9)
    eleven = started + datetime.timedelta(minutes=11)
    assert selectors.import_run_state(run=run, now=nine).stalled_since is None
    assert selectors.import_run_state(run=run, now=eleven).stalled_since == started
    assert not selectors.import_run_state(run=run, now=eleven).is_active
    assert selectors.stalled_run_ids([run]) == {run.pk}
    # Progress reported just now: alive, however long ago it started.
    Progress(run.pk)("Account", 1, 2, force=True)
    try:
        assert selectors.import_run_state(run=run).stalled_since is None
        assert selectors.stalled_run_ids([run]) == set()
    finally:
        clear_progress(run.pk)
    # Queued runs wait for a worker, however long: they are not stalled.
    run.status = ImportStatus.QUEUED
    assert selectors.import_run_state(run=run, now=eleven).stalled_since is None
    # Only people who may import see runs at all.
    assert list(selectors.import_run_list(user=personas.read_only)) == []
    assert list(selectors.import_run_list(user=personas.head)) == [run]
