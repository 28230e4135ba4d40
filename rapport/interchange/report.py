"""What an import found wrong, row by row, written to a CSV file as it goes.

The report is a file in the run's folder, not rows in the database: it is written while the
import's transaction is open and must survive that transaction being rolled back (a dry run, a
strict import refused, a crash), and a file of a million problems costs no memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

REPORT_HEADER = ("file", "line", "field", "reason")


class ProblemReport:
    """Appends problems (file, line, field, reason) to a CSV file and counts them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._handle = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(REPORT_HEADER)

    def add(self, file: str, line: int | None, field: str, reason: str) -> None:
        self.count += 1
        self._writer.writerow((file, "" if line is None else line, field, str(reason)))

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()

    def __enter__(self) -> ProblemReport:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def read_problems(path: Path, *, limit: int) -> Iterator[dict[str, str]]:
    """The first problems of a report, for a page; the whole file is the download."""
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number >= limit:
                return
            yield row
