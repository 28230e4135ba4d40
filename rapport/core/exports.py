"""A list page as a file: the same rows, filters applied, in CSV or XLSX.

Each app describes its columns (a translated header and how to read the value from a row);
this module writes them. Both formats neutralise spreadsheet formula injection: a text cell
that begins with a character a spreadsheet reads as the start of a formula is prefixed with a
single quote, as OWASP advises. Numbers, dates and booleans are written as what they are, so a
negative amount stays a number.
"""

from __future__ import annotations

import csv
import datetime
import enum
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

RowT = TypeVar("RowT")
Cell = str | int | float | Decimal | bool | datetime.date | datetime.datetime | Promise | None


class ExportFormat(enum.StrEnum):
    """The file formats a list page can be downloaded in."""

    CSV = "csv"
    XLSX = "xlsx"


# A spreadsheet starts a formula (or a DDE call) at any of these; tab and carriage return
# are on the list because some spreadsheets strip them and then read what follows.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel refuses a longer text in a cell, and control characters anywhere in the file.
XLSX_MAX_CELL_LENGTH = 32_767
XLSX_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010\013\014\016-\037]")
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_DATE_FORMAT = "yyyy-mm-dd"
# Rows fetched per query when a list is streamed: enough to keep the queries few, few enough
# to keep the memory flat on a list of millions.
CHUNK_SIZE = 2000
# Sheet names are at most 31 characters and may not hold any of these.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """One column of an export: its header and how to read its value from a row."""

    label: str | Promise
    value: Callable[[RowT], Cell]


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will show as text, never run as a formula."""
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def export_format(request: HttpRequest) -> ExportFormat | None:
    """The file the request asks for with ``?format=csv|xlsx``; None for the page itself."""
    try:
        return ExportFormat(request.GET.get("format", ""))
    except ValueError:
        return None


def export_response(
    kind: ExportFormat,
    *,
    name: str | Promise,
    columns: list[Column[RowT]],
    rows: Iterable[RowT],
) -> StreamingHttpResponse | FileResponse:
    """The list as a download in the format asked for, named after the list and today."""
    if isinstance(rows, QuerySet):
        # Every page of the list, read in chunks rather than all at once.
        rows = rows.iterator(chunk_size=CHUNK_SIZE)
    name = str(name)
    filename = f"{slugify(name) or 'export'}-{timezone.localdate().isoformat()}.{kind.value}"
    if kind is ExportFormat.XLSX:
        return xlsx_response(filename, columns, rows, sheet=name)
    return csv_response(filename, columns, rows)


# CSV -----------------------------------------------------------------------------------------


class _Echo:
    """A file that hands back what is written to it, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def _csv_text(value: Cell, zone: datetime.tzinfo) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(zone)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    return neutralise(str(value))


def csv_response(
    filename: str, columns: list[Column[RowT]], rows: Iterable[RowT]
) -> StreamingHttpResponse:
    """The rows as CSV, streamed as they are read, UTF-8 with a BOM so Excel reads accents."""
    # The body is written after the view has returned, once the middleware has reset the
    # language and the time zone: keep those of the request for the rows.
    language = translation.get_language()
    zone = timezone.get_current_timezone()
    header = [neutralise(str(column.label)) for column in columns]

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(header)
        with translation.override(language), timezone.override(zone):
            for row in rows:
                yield writer.writerow([_csv_text(column.value(row), zone) for column in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


# XLSX ----------------------------------------------------------------------------------------


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Cell, zone: datetime.tzinfo) -> Any:
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        # Excel knows no time zones: the cell holds the wall-clock time of the reader.
        if timezone.is_aware(value):
            value = value.astimezone(zone).replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATETIME_FORMAT
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATE_FORMAT
        return cell
    text = XLSX_ILLEGAL_CHARACTERS.sub("", neutralise(str(value)))
    return text[:XLSX_MAX_CELL_LENGTH]


def _sheet_title(name: str) -> str:
    return SHEET_NAME_FORBIDDEN.sub(" ", name).strip()[:31] or "Export"


def xlsx_response(
    filename: str, columns: list[Column[RowT]], rows: Iterable[RowT], *, sheet: str = ""
) -> FileResponse:
    """The rows as an XLSX workbook, dates and numbers as real cells, written row by row."""
    zone = timezone.get_current_timezone()
    # Write-only mode keeps no row in memory; the workbook goes to a temporary file that the
    # response then streams and closes.
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(_sheet_title(sheet))
    worksheet.append([_xlsx_cell(worksheet, column.label, zone) for column in columns])
    for row in rows:
        worksheet.append([_xlsx_cell(worksheet, column.value(row), zone) for column in columns])
    output = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    workbook.save(output)
    output.seek(0)
    return FileResponse(
        output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


# Helpers for the column specs -----------------------------------------------------------------


def choice_label(choices: Any, value: str | None) -> str:
    """The label of a stored choice value (for rows read with ``values()``); the value if gone."""
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def name_of(record: object | None) -> str:
    """How the page names a related record (its ``str``); empty when there is none."""
    return "" if record is None else str(record)


def email_of(user: Any) -> str:
    """The e-mail of a related user, empty when there is none."""
    return "" if user is None else str(user.email)


def choice_labels(choices: Any, values: Iterable[str] | None) -> str:
    """The labels of several stored choices (a set of roles, of flags), comma-separated."""
    return ", ".join(choice_label(choices, value) for value in values or ())
