"""How far a running import has gone, shared between the worker and the web pages.

The import writes inside one long transaction, which other connections cannot see into, so its
progress goes through the "progress" cache instead: Redis when configured, otherwise files in
the data directory that every process on the machine reads.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import caches

# Long enough for any import; a run that stops reporting is shown as stalled well before.
PROGRESS_TTL_SECONDS = 7 * 24 * 3600
# Writing on every row would cost more than the import; a few times a second is plenty.
MIN_INTERVAL_SECONDS = 0.5


def _key(run_id: int) -> str:
    return f"rapport:import-progress:{run_id}"


class Progress:
    """Reports a run's progress (a stage, rows done, rows expected) at most twice a second."""

    def __init__(self, run_id: int | None) -> None:
        self.run_id = run_id
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int, *, force: bool = False) -> None:
        if self.run_id is None:
            return
        now = time.monotonic()
        if not force and now - self._last < MIN_INTERVAL_SECONDS:
            return
        self._last = now
        caches["progress"].set(
            _key(self.run_id),
            {"stage": stage, "done": done, "total": total, "at": time.time()},
            PROGRESS_TTL_SECONDS,
        )


def read_progress(run_id: int) -> dict[str, Any] | None:
    """The last progress a run reported, with its percentage, or None before the first."""
    value = caches["progress"].get(_key(run_id))
    if not value:
        return None
    total = value.get("total") or 0
    value["percent"] = min(100, round(100 * value["done"] / total)) if total else 0
    return dict(value)


def clear_progress(run_id: int) -> None:
    caches["progress"].delete(_key(run_id))
