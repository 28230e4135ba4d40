"""Reading a Salesforce Data Export where it lies: a folder, or a .zip read without unpacking.

An archive is never extracted: each CSV member is streamed with ``ZipFile.open``, so nothing of
the upload is written anywhere. Before reading, every member name is checked (no absolute path,
no ``..``, no drive letter, no symbolic link: an archive that holds one is refused outright)
and the sizes the archive declares are checked against ``RAPPORT_IMPORT_MAX_UNPACKED_BYTES``
and against an absurd compression ratio; the bytes actually read are counted too, since the
declared sizes can lie.

Rows come out as ``(line, {field: text})``: ``line`` is the physical line of the file on which
the record starts (the header is line 1), so that a record with a line break inside a quoted
field is named by its first line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import stat
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from rapport.interchange.exceptions import ImportRefused
from rapport.interchange.report import ProblemReport
from rapport.interchange.salesforce.schema import OBJECTS, SalesforceObject

SNIFF_BYTES = 64 * 1024
# Real exports compress text about ten to one; a thousand to one is a bomb, not a CSV file.
MAX_COMPRESSION_RATIO = 1000
# Below this a high ratio is harmless (a file of one repeated character, an empty file).
RATIO_FLOOR_BYTES = 1024 * 1024
_PART = re.compile(r"^(?P<name>[A-Za-z0-9]+?)(?:_(?P<part>\d+))?\.csv$", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")

# Descriptions and e-mail bodies run far beyond the csv module's default of 128 KiB a field.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class SourceFile:
    """One CSV file of the export (or one part of an object split into several files)."""

    name: str
    size: int
    opener: Callable[[], IO[bytes]]
    part: int = 0


@dataclass
class Table:
    """The rows of one object, read file after file; ``columns`` are the fields present."""

    sobject: SalesforceObject
    files: list[SourceFile]
    columns: frozenset[str] = field(default_factory=frozenset)


class _Counted(io.RawIOBase):
    """A byte stream that adds what it reads to its source's total, refusing past the limit."""

    def __init__(self, raw: IO[bytes], source: SalesforceSource) -> None:
        self.raw = raw
        self.source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self.source.count_read(count)
        return count

    def close(self) -> None:
        self.raw.close()
        super().close()


class SalesforceSource:
    """A folder or a .zip of a Data Export, opened for reading object after object."""

    def __init__(
        self,
        path: Path,
        *,
        report: ProblemReport,
        extra_columns: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.path = path
        self.report = report
        self.extra_columns = extra_columns or {}
        self.limit = int(settings.RAPPORT_IMPORT_MAX_UNPACKED_BYTES)
        self.bytes_read = 0
        self._zip: zipfile.ZipFile | None = None
        self.files: dict[str, list[SourceFile]] = {}
        self._open()

    # Opening --------------------------------------------------------------------------------

    def _open(self) -> None:
        if self.path.is_dir():
            candidates = self._folder_files()
        elif zipfile.is_zipfile(self.path):
            candidates = self._zip_files()
        elif self.path.is_file() and self.path.suffix.lower() == ".csv":
            candidates = [(self.path.name, self.path.stat().st_size, self._file_opener(self.path))]
        else:
            raise ImportRefused(
                _("This is neither a folder, a .zip file nor a CSV file of a Salesforce export.")
            )
        known = {sobject.name.lower(): sobject.name for sobject in OBJECTS}
        for name, size, opener in candidates:
            match = _PART.match(PurePosixPath(name).name)
            if match is None or match["name"].lower() not in known:
                continue
            object_name = known[match["name"].lower()]
            part = int(match["part"] or 0)
            self.files.setdefault(object_name, []).append(SourceFile(name, size, opener, part))
        for parts in self.files.values():
            parts.sort(key=lambda source_file: (source_file.part, source_file.name))
        if not self.files:
            raise ImportRefused(
                _(
                    "No Salesforce export file was found (Account.csv, Contact.csv…), neither "
                    "at the top nor one folder down."
                )
            )

    @staticmethod
    def _file_opener(path: Path) -> Callable[[], IO[bytes]]:
        return lambda: path.open("rb")

    def _folder_files(self) -> list[tuple[str, int, Callable[[], IO[bytes]]]]:
        found = []
        for level in (
            self.path,
            *sorted(p for p in self.path.iterdir() if p.is_dir() and not p.is_symlink()),
        ):
            for entry in sorted(level.iterdir()):
                # A link could lead out of the upload folder: only real files are read.
                if entry.is_symlink() or not entry.is_file() or entry.suffix.lower() != ".csv":
                    continue
                name = entry.relative_to(self.path).as_posix()
                found.append((name, entry.stat().st_size, self._file_opener(entry)))
        return found

    def _zip_files(self) -> list[tuple[str, int, Callable[[], IO[bytes]]]]:
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as error:
            raise ImportRefused(
                _("This .zip file cannot be read: %(error)s") % {"error": error}
            ) from None
        self._zip = archive
        declared = 0
        found = []
        for info in archive.infolist():
            name = info.filename
            check_member_name(name)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ImportRefused(
                    _("The archive holds a symbolic link (%(name)s): it is refused.")
                    % {"name": name}
                )
            declared += info.file_size
            if declared > self.limit:
                raise ImportRefused(
                    _("The archive unpacks to more than %(limit)s bytes: it is refused.")
                    % {"limit": self.limit}
                )
            if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
                info.compress_size, 1
            ):
                raise ImportRefused(
                    _("%(name)s is compressed beyond any real file (a “zip bomb”): refused.")
                    % {"name": name}
                )
            if info.is_dir() or len(PurePosixPath(name).parts) > 2:
                continue
            found.append((name, info.file_size, self._member_opener(archive, info)))
        return found

    @staticmethod
    def _member_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
        return lambda: archive.open(info)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> SalesforceSource:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # Reading --------------------------------------------------------------------------------

    @property
    def total_bytes(self) -> int:
        return sum(part.size for parts in self.files.values() for part in parts)

    def count_read(self, count: int) -> None:
        self.bytes_read += count
        if self.bytes_read > self.limit:
            raise ImportRefused(
                _("The export holds more than %(limit)s bytes once unpacked: it is refused.")
                % {"limit": self.limit}
            )

    def table(self, sobject: SalesforceObject) -> Table | None:
        """The files of an object, with the columns they hold, or None when it has none."""
        files = self.files.get(sobject.name)
        if not files:
            return None
        table = Table(sobject, files)
        return table

    def rows(self, table: Table) -> Iterator[tuple[str, int, dict[str, str]]]:
        """Each record of the object, file after file: (file, line it starts on, {field: text}).

        Known fields only, each present (empty when its column is missing); Case rows keep
        every column. ``table.columns`` is filled once the first header is read.
        """
        keep_all = table.sobject.name == "Case"
        wanted = (*table.sobject.fields, *self.extra_columns.get(table.sobject.name, ()))
        for source_file in table.files:
            yield from self._file_rows(table, source_file, wanted, keep_all=keep_all)

    def _file_rows(
        self, table: Table, source_file: SourceFile, wanted: tuple[str, ...], *, keep_all: bool
    ) -> Iterator[tuple[str, int, dict[str, str]]]:
        with source_file.opener() as raw:
            counted = io.BufferedReader(_Counted(raw, self), buffer_size=SNIFF_BYTES)
            encoding = self._encoding(source_file, counted.peek(SNIFF_BYTES)[:SNIFF_BYTES])
            text = io.TextIOWrapper(counted, encoding=encoding, newline="")
            reader = csv.reader(text)
            try:
                header = next(reader, None)
                if header is None:
                    return
                header = [column.strip().lstrip("\ufeff") for column in header]
                index = self._columns(table, source_file, header, wanted)
                last_line = reader.line_num
                for cells in reader:
                    line = last_line + 1
                    last_line = reader.line_num
                    if not any(cells):
                        continue
                    row = dict(zip(header, cells, strict=False)) if keep_all else {}
                    count = len(cells)
                    for name, position in index:
                        row[name] = cells[position] if position < count else ""
                    yield source_file.name, line, row
            except UnicodeDecodeError:
                raise ImportRefused(
                    _(
                        "%(file)s is not valid %(encoding)s text near line %(line)s: save it "
                        "as UTF-8 and import it again."
                    )
                    % {
                        "file": source_file.name,
                        "encoding": encoding.upper().removesuffix("-SIG"),
                        "line": reader.line_num + 1,
                    }
                ) from None
            except csv.Error as error:
                raise ImportRefused(
                    _("%(file)s cannot be read as CSV near line %(line)s: %(error)s")
                    % {"file": source_file.name, "line": reader.line_num, "error": error}
                ) from None

    def _columns(
        self, table: Table, source_file: SourceFile, header: list[str], wanted: tuple[str, ...]
    ) -> list[tuple[str, int]]:
        by_lower: dict[str, int] = {}
        for position, column in enumerate(header):
            by_lower.setdefault(column.lower(), position)
        missing = [name for name in table.sobject.required if name.lower() not in by_lower]
        if missing:
            raise ImportRefused(
                _("%(file)s lacks required columns: %(columns)s.")
                % {"file": source_file.name, "columns": ", ".join(missing)}
            )
        index = [(name, by_lower.get(name.lower(), len(header) + 10**6)) for name in wanted]
        present = frozenset(name for name, position in index if position < len(header))
        table.columns = present if not table.columns else table.columns & present
        return index

    def _encoding(self, source_file: SourceFile, sample: bytes) -> str:
        """UTF-8 (a BOM is dropped); Windows-1252 when the start is not UTF-8 but reads as it."""
        if sample.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        try:
            # An incremental decoder: a character cut at the end of the sample is no error.
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
        try:
            sample.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportRefused(
                _("%(file)s is neither UTF-8 nor Windows-1252 text: save it as UTF-8.")
                % {"file": source_file.name}
            ) from None
        self.report.add(
            source_file.name,
            None,
            "",
            _("The file is not UTF-8: it was read as Windows-1252 (Western European)."),
        )
        return "cp1252"


def check_member_name(name: str) -> None:
    """Refuse an archive member whose name could point outside the folder it is read in."""
    normalised = name.replace("\\", "/")
    parts = PurePosixPath(normalised).parts
    if normalised.startswith("/") or _DRIVE.match(normalised) or ".." in parts or "\x00" in name:
        raise ImportRefused(
            _("The archive holds a file with an unsafe path (%(name)s): it is refused.")
            % {"name": name[:200]}
        )
