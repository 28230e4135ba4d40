"""Imports from Salesforce and spreadsheets: each run, and the column mappings people saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from rapport.interchange.choices import ImportKind, ImportStatus, ImportTarget


def empty_counts() -> dict[str, Any]:
    return {}


class ImportRun(models.Model):
    """One import of one upload: what was asked, how far it went and what it did.

    The uploaded file, its unpacked copy and the problem report live in the run's own folder
    under ``RAPPORT_DATA_DIR/imports``; nothing of an upload is written anywhere else.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    target = models.CharField(
        _("rows become"), max_length=14, choices=ImportTarget.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    dry_run = models.BooleanField(
        _("dry run"), default=False, help_text=_("Check everything, write nothing.")
    )
    strict = models.BooleanField(
        _("strict"), default=False, help_text=_("Refuse the whole import at the first problem.")
    )
    file_name = models.CharField(_("file"), max_length=255)
    folder = models.CharField(max_length=64, editable=False)
    # Spreadsheet imports: which column feeds which field, and how dates are written
    # ({"columns": {"header": "field"}, "date_order": "dmy"}).
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    # {"Account": {"created": 3, "updated": 1, "unchanged": 0, "skipped": 2}, …}
    counts = models.JSONField(_("counts"), default=empty_counts, blank=True)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("interchange:import_detail", args=[self.pk])

    @property
    def path(self) -> Path:
        """The run's own folder; every file of the upload stays inside it."""
        return Path(settings.RAPPORT_IMPORT_DIR) / self.folder

    @property
    def report_path(self) -> Path:
        return self.path / "problems.csv"

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED}


class ColumnMapping(models.Model):
    """A mapping someone confirmed for a spreadsheet layout, offered again for the same headers."""

    target = models.CharField(_("rows become"), max_length=14, choices=ImportTarget.choices)
    # The normalised headers of the file, joined: the same layout finds the same mapping.
    signature = models.CharField(max_length=64)
    mapping = models.JSONField(_("column mapping"), default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-updated_at"]
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["target", "signature"], name="%(app_label)s_%(class)s_once_per_layout"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} ({self.signature[:8]})"


class SalesforceRecord(models.Model):
    """A Salesforce row Rapport has no object for yet (cases), kept whole for later and export."""

    object_name = models.CharField(max_length=40)
    salesforce_id = models.CharField(max_length=18)
    data = models.JSONField(default=dict)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["object_name", "salesforce_id"]
        verbose_name = _("kept Salesforce record")
        verbose_name_plural = _("kept Salesforce records")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["object_name", "salesforce_id"],
                name="%(app_label)s_%(class)s_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_name} {self.salesforce_id}"
