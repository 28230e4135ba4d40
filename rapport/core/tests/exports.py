"""Reading an export back, for the tests of every list's download."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
from django.db import connection
from django.http.response import HttpResponseBase
from django.test import Client
from django.test.utils import CaptureQueriesContext


def body(response: HttpResponseBase) -> bytes:
    """The whole body of a response, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


def csv_rows(response: HttpResponseBase) -> list[list[str]]:
    """The rows of a CSV download, header first; the BOM is checked and dropped."""
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response: HttpResponseBase) -> list[list[Any]]:
    """The cells of an XLSX download, header first, as the workbook types them."""
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def column(rows: list[list[Any]], label: str) -> list[Any]:
    """The values under one header, without the header."""
    index = rows[0].index(label)
    return [row[index] for row in rows[1:]]


def export_queries(client: Client, url: str) -> int:
    """How many queries a download takes, its streamed body read to the end.

    A first request warms what a session reads once (the user, their settings), so the count
    is that of the download alone.
    """
    body(client.get(url))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        body(response)
    return len(queries)
