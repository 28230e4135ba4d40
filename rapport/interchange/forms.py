"""The upload form of a Salesforce Data Export."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

# Every zip archive, even an empty one, starts with "PK".
ZIP_SIGNATURE = b"PK"


class ImportOptionsForm(forms.Form):
    """The choices every import offers: check only, and all or nothing."""

    dry_run = forms.BooleanField(
        label=_("Dry run (check only, write nothing)"),
        required=False,
        help_text=_("See what would be created, updated and skipped, and every problem."),
    )
    strict = forms.BooleanField(
        label=_("Strict (refuse everything if any row has a problem)"),
        required=False,
        help_text=_("Otherwise rows with a problem are skipped and reported, the others land."),
    )


class SalesforceUploadForm(ImportOptionsForm):
    upload = forms.FileField(
        label=_("Data Export (.zip)"),
        help_text=_(
            "The .zip file Salesforce's Data Export produces (Setup › Data Export), "
            "with its CSV files as they are."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    field_order = ("upload", "dry_run", "strict")

    def clean_upload(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["upload"]
        name = upload.name or ""
        head = upload.read(len(ZIP_SIGNATURE))
        upload.seek(0)
        if not name.lower().endswith(".zip") or head != ZIP_SIGNATURE:
            raise forms.ValidationError(
                _(
                    "Only the .zip file of a Salesforce Data Export can be imported here. "
                    "For a CSV or Excel spreadsheet, use the spreadsheet import."
                ),
                code="not_zip",
            )
        return upload
