"""Reading a spreadsheet as a stream of rows, whether it came as CSV or as XLSX.

A CSV file may be UTF-8 (with or without the byte-order mark Excel writes) or, from an older
Excel on Windows, Windows-1252; the encoding is detected on the start of the file and said on
the pages, and a file that turns out not to be what the start said is refused with its line.
The delimiter is sniffed among comma, semicolon (the French Excel) and tab.

An XLSX file is read with openpyxl in read-only mode, first sheet only: rows come one at a time
and memory does not grow with the file. Formulas are never evaluated: a cell holding ``=A1*2``
comes as that text, so nothing in an upload is computed.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from rapport.interchange.exceptions import ImportRefused

SUFFIXES = (".csv", ".xlsx")
# Enough of the file to tell its encoding and delimiter without reading all of it.
SNIFF_BYTES = 1024 * 1024
DELIMITERS = ",;\t"
SAMPLE_VALUES = 3
SAMPLE_ROWS = 200
UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
WINDOWS_1252 = "cp1252"
ENCODING_NAMES = {UTF8: "UTF-8", UTF8_BOM: "UTF-8", WINDOWS_1252: "Windows-1252"}
# Excel refuses more columns than this; a wider "header" is not a spreadsheet.
MAX_COLUMNS = 16384


@dataclass
class Sheet:
    """An open spreadsheet: its column headers, how it was read, and its rows to come.

    ``rows`` yields ``(line, cells)``: the line of the file (or the sheet's row number) where
    the row starts, counting the header as line 1, and one cell per header.
    """

    name: str
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    encoding: str = ""
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def encoding_name(self) -> str:
        return ENCODING_NAMES.get(self.encoding, self.encoding)


def is_spreadsheet_name(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


@contextmanager
def open_sheet(path: Path) -> Iterator[Sheet]:
    """Open a CSV or XLSX file for reading; the file is closed when the block ends."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("rb") as raw:
            yield _csv_sheet(path.name, raw)
    elif suffix == ".xlsx":
        with _xlsx_sheet(path) as sheet:
            yield sheet
    else:
        raise ImportRefused(_("Only .csv and .xlsx files can be imported as a spreadsheet."))


def detect_encoding(head: bytes, *, complete: bool) -> str:
    """UTF-8 (with or without its mark) when the bytes decode as such, else Windows-1252."""
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    decoder = codecs.getincrementaldecoder(UTF8)()
    try:
        # Not final unless the whole file was read: the sample may end inside a character.
        decoder.decode(head, final=complete)
    except UnicodeDecodeError:
        return WINDOWS_1252
    return UTF8


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample, among comma, semicolon and tab."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        # One column, or quotes the sniffer cannot make sense of: count on the header line.
        header = lines[0]
        return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


def _csv_sheet(name: str, raw: Any) -> Sheet:
    head = raw.read(SNIFF_BYTES)
    complete = len(head) < SNIFF_BYTES
    encoding = detect_encoding(head, complete=complete)
    sample = head.decode(encoding, errors="ignore")
    delimiter = sniff_delimiter(sample)
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    notes = []
    if encoding == WINDOWS_1252:
        notes.append(
            _(
                "The file is not UTF-8: it was read as Windows-1252 (older Excel on Windows). "
                "Check that accented letters look right below."
            )
        )
    headers, first_line = _csv_headers(reader, name=name)
    return Sheet(
        name=name,
        headers=headers,
        rows=_csv_rows(reader, len(headers), first_line=first_line, name=name),
        encoding=encoding,
        delimiter=delimiter,
        notes=notes,
    )


def _decoding_refused(name: str, line: int) -> ImportRefused:
    return ImportRefused(
        _(
            "%(file)s: line %(line)s is not in the encoding of the start of the file. "
            "Save the file again as “CSV UTF-8” and upload it again."
        )
        % {"file": name, "line": line}
    )


def _csv_headers(reader: Any, *, name: str) -> tuple[list[str], int]:
    try:
        for cells in reader:
            if any(str(cell).strip() for cell in cells):
                return unique_headers(cells), reader.line_num + 1
    except UnicodeDecodeError as error:
        raise _decoding_refused(name, reader.line_num + 1) from error
    except csv.Error as error:
        raise ImportRefused(_("%(file)s cannot be read as CSV.") % {"file": name}) from error
    raise ImportRefused(_("%(file)s is empty: it has no header row.") % {"file": name})


def _csv_rows(
    reader: Any, width: int, *, first_line: int, name: str
) -> Iterator[tuple[int, list[Any]]]:
    line = first_line
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as error:
            raise _decoding_refused(name, line) from error
        except csv.Error as error:
            raise ImportRefused(
                _("%(file)s, line %(line)s: %(reason)s")
                % {"file": name, "line": line, "reason": error}
            ) from error
        start, line = line, reader.line_num + 1
        if any(str(cell).strip() for cell in cells):
            yield start, _fit(cells, width)


@contextmanager
def _xlsx_sheet(path: Path) -> Iterator[Sheet]:
    from openpyxl import load_workbook

    try:
        # Formulas stay formulas (data_only=False): their text is imported, never evaluated.
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file.
        raise ImportRefused(
            _("%(file)s cannot be read as an Excel workbook (.xlsx).") % {"file": path.name}
        ) from error
    try:
        worksheet = book.worksheets[0] if book.worksheets else None
        if worksheet is None:
            raise ImportRefused(_("%(file)s has no sheet.") % {"file": path.name})
        rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
        for _number, cells in rows:
            if any(_present(cell) for cell in cells):
                headers = unique_headers(list(cells))
                yield Sheet(
                    name=path.name,
                    headers=headers,
                    rows=_xlsx_rows(rows, len(headers)),
                )
                return
        raise ImportRefused(_("%(file)s is empty: it has no header row.") % {"file": path.name})
    finally:
        book.close()


def _xlsx_rows(
    rows: Iterator[tuple[int, tuple[Any, ...]]], width: int
) -> Iterator[tuple[int, list[Any]]]:
    for number, cells in rows:
        if any(_present(cell) for cell in cells):
            yield number, _fit(list(cells), width)


def _present(cell: Any) -> bool:
    return cell is not None and str(cell).strip() != ""


def _fit(cells: list[Any], width: int) -> list[Any]:
    """One cell per header: short rows padded, cells past the last header dropped."""
    if len(cells) < width:
        return cells + [None] * (width - len(cells))
    return cells[:width]


def unique_headers(cells: list[Any]) -> list[str]:
    """The header row as names: blanks named by position, repeats numbered."""
    # Trailing blank cells are formatting, not columns.
    while cells and not _present(cells[-1]):
        cells = cells[:-1]
    if len(cells) > MAX_COLUMNS:
        raise ImportRefused(_("The header row has more columns than any spreadsheet."))
    headers: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(cells, start=1):
        name = " ".join(str(cell).split()) if _present(cell) else ""
        if name.startswith("\ufeff"):
            name = name[1:]
        name = name or _("Column %(number)s") % {"number": position}
        candidate, count = name, 1
        while candidate in seen:
            count += 1
            candidate = f"{name} ({count})"
        seen.add(candidate)
        headers.append(candidate)
    return headers


def column_samples(sheet: Sheet, *, count: int = SAMPLE_VALUES) -> list[list[str]]:
    """The first few non-empty values of each column, read from the start of the rows."""
    samples: list[list[str]] = [[] for _header in sheet.headers]
    for number, (_line, cells) in enumerate(sheet.rows):
        if number >= SAMPLE_ROWS:
            break
        for position, cell in enumerate(cells):
            if _present(cell) and len(samples[position]) < count:
                samples[position].append(display(cell))
        if all(len(values) >= count for values in samples):
            break
    return samples


def display(cell: Any) -> str:
    """A cell as a person reads it: whole numbers without ".0", dates in ISO form."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if hasattr(cell, "isoformat"):
        text = cell.isoformat()
        return text.removesuffix("T00:00:00")
    return str(cell)
