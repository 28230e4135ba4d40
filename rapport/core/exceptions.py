"""Errors raised by services and understood by views and the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class StaleVersionError(Exception):
    """The record changed since the editor loaded it; saving would overwrite someone's work."""

    message = _(
        "Someone else changed this record since you opened it. "
        "Reload to see their changes, then make yours again."
    )

    def __init__(self, *, current_version: int) -> None:
        super().__init__(str(self.message))
        self.current_version = current_version


class NotAllowedError(Exception):
    """The acting user may not make this change."""
