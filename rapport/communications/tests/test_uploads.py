"""Upload size limits: refused by declared length, or stopped while streaming."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import Client, RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from rapport.communications import uploads
from rapport.communications.models import InboundMessage, Touchpoint
from rapport.communications.tests.test_ingestion import eml
from rapport.core.tests.personas import Personas

LIMIT = 100 * 1024


def parse(body: bytes, handler: uploads.UploadLimitHandler) -> tuple[io.BytesIO, MultiValueDict]:
    stream = io.BytesIO(body)
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    parser = MultiPartParser(
        meta, stream, [handler, MemoryFileUploadHandler(), TemporaryFileUploadHandler()]
    )
    _post, files = parser.parse()
    return stream, files


def test_the_handler_stops_a_stream_past_the_limit_without_reading_the_rest() -> None:
    big = SimpleUploadedFile("export.mbox", b"From x\n" + b"x" * (10 * LIMIT))
    body = encode_multipart(BOUNDARY, {"upload": big})
    handler = uploads.UploadLimitHandler(limit=LIMIT)
    stream, files = parse(body, handler)
    assert handler.exceeded
    assert not files
    # Stopped within a chunk or two of the limit: most of the body was never read.
    assert stream.tell() < 3 * LIMIT < len(body)


def test_the_handler_passes_an_upload_within_the_limit() -> None:
    small = SimpleUploadedFile("a.eml", b"Subject: hi\n\nhello")
    body = encode_multipart(BOUNDARY, {"upload": small})
    handler = uploads.UploadLimitHandler(limit=LIMIT)
    _stream, files = parse(body, handler)
    assert not handler.exceeded
    assert files["upload"].read() == b"Subject: hi\n\nhello"


def test_the_declared_length_is_checked_before_reading(settings) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_UPLOAD_MAX_BYTES = LIMIT
    factory = RequestFactory()
    assert uploads.declared_too_large(factory.post("/", {"a": "x" * (2 * LIMIT)}))
    assert not uploads.declared_too_large(factory.post("/", {"a": "x"}))
    request = factory.post("/", {"a": "x"})
    request.META["CONTENT_LENGTH"] = "garbage"
    assert not uploads.declared_too_large(request)


def test_the_multiple_file_field_keeps_every_file_even_empty_ones() -> None:
    files = [SimpleUploadedFile("a.eml", b"x"), SimpleUploadedFile("empty.eml", b"")]
    field = uploads.MultipleFileField()
    assert [upload.name for upload in field.clean(files)] == ["a.eml", "empty.eml"]
    form = uploads.MailUploadForm(data={}, files={})
    assert not form.is_valid() and "upload" in form.errors


@pytest.mark.django_db
def test_an_upload_with_no_declared_length_is_stopped_while_streaming(
    client: Client, personas: Personas, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A chunked body has no length to check: the handler alone must stop it."""
    settings.RAPPORT_UPLOAD_MAX_BYTES = LIMIT
    monkeypatch.setattr(uploads, "declared_too_large", lambda request, limit=None: False)
    client.force_login(personas.owner)
    big = eml(body="Un très long message.\n" * (LIMIT // 10))
    response = client.post(
        reverse("communications:mail_import"), {"upload": SimpleUploadedFile("big.eml", big)}
    )
    assert response.status_code == 413
    assert b"nothing was imported" in response.content
    assert not Touchpoint.objects.exists() and not InboundMessage.objects.exists()
