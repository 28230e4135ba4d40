"""Keep each account's cadence in step with its tier, and tell others when recency moved."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import Signal

from rapport.accounts.models import Account

# Sent with ``account_ids`` after the last contacts of these accounts were recomputed, so that
# what reads them (the account map's risk summary) can follow.
contacts_refreshed = Signal()


def _on_account_saved(
    sender: type[Account], instance: Account, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    # Inside the saving transaction: a new account, or one whose tier changed, has its
    # cadence at once (a few small queries; bulk loads call ``cadence_sync`` themselves).
    from rapport.communications.services import cadence_sync

    cadence_sync(accounts=Account.objects.filter(pk=instance.pk))


def connect() -> None:
    post_save.connect(_on_account_saved, sender=Account, dispatch_uid="communications.cadence")
