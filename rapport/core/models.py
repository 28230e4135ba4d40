"""Abstract bases shared by the domain apps."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Creation and last-change times, set by the database layer."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A row that carries a version number, raised on each save, to refuse stale edits."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class SearchKeyField(models.CharField):
    """A lower-cased, accent-free copy of a text, kept for indexed prefix search.

    On PostgreSQL the column uses the "C" collation (byte order), so one plain B-tree index
    serves both ``LIKE 'x%'`` and ``ORDER BY``; with a linguistic collation the planner can
    use neither for a prefix and walks the whole index. SQLite compares bytes already.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters
