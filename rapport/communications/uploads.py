"""Uploads of e-mail and calendar files: the forms, and a size limit enforced while streaming.

An upload larger than ``RAPPORT_UPLOAD_MAX_BYTES`` is refused before it is read: by its declared
length when it has one, otherwise by a handler that counts the bytes as they arrive and stops
the upload past the limit. Both must be in place before anything reads ``request.POST`` or
``request.FILES``, so the views using them are CSRF-exempt and check the token themselves
afterwards (see Django's "Modifying upload handlers on the fly").
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


class UploadLimitHandler(FileUploadHandler):
    """Counts the bytes of uploaded files as they stream in and stops the upload past a limit."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            # Reset: the rest of the body is never read, let alone kept.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def declared_too_large(request: HttpRequest, *, limit: int | None = None) -> bool:
    """Whether the request announces a body larger than uploads may be."""
    limit = settings.RAPPORT_UPLOAD_MAX_BYTES if limit is None else limit
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False  # Django refuses a malformed length itself when the body is read.
    return declared > limit


def upload_refused(request: HttpRequest, *, limit: int | None = None) -> bool:
    """Check an upload's size, reading its body only if it may be within the limit.

    Call before anything touches ``request.POST`` or ``request.FILES``. The limit is
    ``RAPPORT_UPLOAD_MAX_BYTES`` unless another is given (imports have their own).
    """
    limit = settings.RAPPORT_UPLOAD_MAX_BYTES if limit is None else limit
    if declared_too_large(request, limit=limit):
        return True
    handler = UploadLimitHandler(request, limit=limit)
    request.upload_handlers = [handler, *request.upload_handlers]
    request.FILES  # noqa: B018  # parse now, with the handler watching
    return handler.exceeded


def upload_limit_display() -> str:
    """The upload limit as people read sizes ("25.0 MB")."""
    return str(filesizeformat(settings.RAPPORT_UPLOAD_MAX_BYTES))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; empty files pass, to be reported file by file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def to_python(self, data: Any) -> list[UploadedFile]:  # type: ignore[override]
        items = data if isinstance(data, list | tuple) else [data]
        return [item for item in items if isinstance(item, UploadedFile)]

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = self.to_python(data)
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        return files


class MailUploadForm(forms.Form):
    upload = MultipleFileField(
        label=_("E-mail files"),
        help_text=_("One or more .eml files, or an .mbox mailbox exported from your mail app."),
        widget=MultipleFileInput(attrs={"accept": ".eml,.mbox,.mbx,message/rfc822"}),
    )


class CalendarUploadForm(forms.Form):
    upload = MultipleFileField(
        label=_("Calendar files"),
        help_text=_("One or more .ics files exported from your calendar app."),
        widget=MultipleFileInput(attrs={"accept": ".ics,.ical,text/calendar"}),
    )
