"""The forms of a spreadsheet import: the upload, the column mapping, the go-ahead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from rapport.interchange.choices import ImportTarget
from rapport.interchange.forms import ImportOptionsForm
from rapport.interchange.spreadsheet.fields import DATED_TARGETS, DateOrder, fields_for
from rapport.interchange.spreadsheet.mapping import IGNORE, mapping_problems
from rapport.interchange.spreadsheet.reading import is_spreadsheet_name


class SpreadsheetUploadForm(forms.Form):
    target = forms.ChoiceField(
        label=_("The rows are"), choices=ImportTarget.choices, initial=ImportTarget.ACCOUNTS
    )
    upload = forms.FileField(
        label=_("Spreadsheet (.csv or .xlsx)"),
        help_text=_(
            "One header row, then one row per record. CSV in UTF-8 or Windows-1252, separated "
            "by commas, semicolons or tabs; for Excel, the first sheet is read."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_upload(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["upload"]
        if not is_spreadsheet_name(upload.name or ""):
            raise forms.ValidationError(
                _("Only .csv and .xlsx files can be imported here."), code="not_spreadsheet"
            )
        return upload


@dataclass(frozen=True)
class MappingRow:
    """One column of the file as the mapping page draws it."""

    header: str
    samples: list[str]
    field: forms.BoundField


class MappingForm(forms.Form):
    """A choice of field per column of the file, each field given by one column at most."""

    remember = forms.BooleanField(
        label=_("Remember this mapping for files with these columns"),
        required=False,
        initial=True,
    )

    def __init__(
        self,
        *args: Any,
        target: str,
        headers: list[str],
        samples: list[list[str]],
        columns: dict[str, str],
        date_order: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.target = target
        self.headers = headers
        self.samples = samples
        choices: list[tuple[str, Any]] = [(IGNORE, _("Ignore this column"))]
        for import_field in fields_for(target):
            label = (
                _("%(field)s (required)") % {"field": import_field.label}
                if import_field.required
                else import_field.label
            )
            choices.append((import_field.name, label))
        for position, header in enumerate(headers):
            self.fields[self.key(position)] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=columns.get(header, IGNORE),
            )
        if target in DATED_TARGETS:
            self.fields["date_order"] = forms.ChoiceField(
                label=_("Dates written with slashes are"),
                choices=DateOrder.choices,
                initial=date_order,
                help_text=_("Dates written 2025-12-31 and real Excel dates are read either way."),
            )
        self.order_fields([*(self.key(i) for i in range(len(headers))), "date_order", "remember"])

    @staticmethod
    def key(position: int) -> str:
        return f"column_{position}"

    def rows(self) -> list[MappingRow]:
        return [
            MappingRow(
                header=header, samples=self.samples[position], field=self[self.key(position)]
            )
            for position, header in enumerate(self.headers)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        columns = self.columns()
        chosen: dict[str, list[int]] = {}
        for position, header in enumerate(self.headers):
            name = columns.get(header, IGNORE)
            if name != IGNORE:
                chosen.setdefault(name, []).append(position)
        for positions in chosen.values():
            if len(positions) > 1:
                for position in positions:
                    self.add_error(self.key(position), _("Another column gives this field too."))
        for problem in mapping_problems(target=self.target, columns=columns):
            self.add_error(None, problem)
        return cleaned

    def columns(self) -> dict[str, str]:
        """The chosen field of each column ("" to ignore it)."""
        data = getattr(self, "cleaned_data", {})
        return {
            header: str(data.get(self.key(position)) or IGNORE)
            for position, header in enumerate(self.headers)
        }

    def chosen_date_order(self) -> str:
        return str(self.cleaned_data.get("date_order") or DateOrder.DAY_FIRST)

    def date_field(self) -> forms.BoundField | None:
        """The choice of date order, for files whose rows hold dates."""
        return self["date_order"] if "date_order" in self.fields else None


class ImportStartForm(ImportOptionsForm):
    """The go-ahead of a mapped spreadsheet: the same options as any import."""
