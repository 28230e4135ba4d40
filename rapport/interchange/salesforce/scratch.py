"""A scratch file in the run's folder for what an import must remember across batches.

Which Ids a file has already given (a later duplicate is skipped) and the references within an
object that are set in a second pass (ParentId, ReportsToId) can number in the millions; kept in
a small SQLite file instead of Python sets, the import's memory does not grow with the export.
The file is deleted when the import ends.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

# SQLite's oldest limit on parameters in one statement is 999.
_CHUNK = 900


class Scratch:
    """Ids seen per object and pending self-references, on disk in the run's folder."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "scratch.sqlite3"
        self.path.unlink(missing_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-16000")  # 16 MB at most
        self.db.execute(
            "CREATE TABLE seen (object TEXT, id TEXT, PRIMARY KEY (object, id)) WITHOUT ROWID"
        )
        self.db.execute(
            "CREATE TABLE pairs (object TEXT, child TEXT, parent TEXT, file TEXT, line INTEGER)"
        )
        self.db.execute(
            "CREATE TABLE resolved (grp INTEGER, child INTEGER, parent INTEGER, file TEXT, "
            "line INTEGER)"
        )
        self.db.execute(
            "CREATE TABLE touched (kind TEXT, a INTEGER, b INTEGER, PRIMARY KEY (kind, a, b)) "
            "WITHOUT ROWID"
        )

    def already_seen(self, object_name: str, ids: list[str]) -> set[str]:
        """The Ids given earlier in the object's files; all of ``ids`` are then marked seen."""
        seen: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            seen.update(
                row[0]
                for row in self.db.execute(
                    f"SELECT id FROM seen WHERE object = ? AND id IN ({marks})",  # noqa: S608
                    [object_name, *chunk],
                )
            )
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT OR IGNORE INTO seen VALUES (?, ?)", ((object_name, id_) for id_ in ids)
        )
        self.db.execute("COMMIT")
        return seen

    def add_pairs(self, object_name: str, pairs: Iterable[tuple[str, str, str, int]]) -> None:
        """Remember (child Id, parent Id or "", file, line) for the second pass."""
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT INTO pairs VALUES (?, ?, ?, ?, ?)",
            ((object_name, *pair) for pair in pairs),
        )
        self.db.execute("COMMIT")

    def pairs(self, object_name: str, *, size: int) -> Iterator[list[tuple[str, str, str, int]]]:
        """The pairs of an object in the order they were read, a batch at a time."""
        cursor = self.db.execute(
            "SELECT child, parent, file, line FROM pairs WHERE object = ? ORDER BY rowid",
            (object_name,),
        )
        while batch := cursor.fetchmany(size):
            yield batch

    def add_resolved(self, rows: Iterable[tuple[int, int, int | None, str, int]]) -> None:
        """Remember (group, child pk, parent pk or None, file, line), read back by group."""
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO resolved VALUES (?, ?, ?, ?, ?)", rows)
        self.db.execute("COMMIT")

    def resolved_groups(
        self, *, groups_per_batch: int
    ) -> Iterator[list[tuple[int, int, int | None, str, int]]]:
        """The resolved pairs, whole groups at a time, each group in the order read."""
        cursor = self.db.execute(
            "SELECT grp, child, parent, file, line FROM resolved ORDER BY grp, rowid"
        )
        batch: list[tuple[int, int, int | None, str, int]] = []
        groups = 0
        last = None
        for row in cursor:
            if row[0] != last:
                groups += 1
                last = row[0]
                if groups > groups_per_batch:
                    yield batch
                    batch, groups = [], 1
            batch.append(row)
        if batch:
            yield batch
        self.db.execute("DELETE FROM resolved")

    def add_touched(self, kind: str, keys: Iterable[tuple[int, int]]) -> None:
        """Remember primary keys (or pairs of them; 0 for none) whose derived figures are due."""
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT OR IGNORE INTO touched VALUES (?, ?, ?)", ((kind, a, b) for a, b in keys)
        )
        self.db.execute("COMMIT")

    def touched(self, kind: str, *, size: int) -> Iterator[list[tuple[int, int]]]:
        """The keys remembered under ``kind``, each once and in order, a batch at a time."""
        cursor = self.db.execute("SELECT a, b FROM touched WHERE kind = ? ORDER BY a, b", (kind,))
        while batch := cursor.fetchmany(size):
            yield batch

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
