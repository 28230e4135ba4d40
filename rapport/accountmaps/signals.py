"""Keep each account's stored risk and coverage current when its map changes.

Saves and deletions of stakeholders and relationship owners, new accounts and recomputed last
contacts (the communications services' ``contacts_refreshed``) mark the account as changed;
once the transaction commits, every account marked in it is recomputed once, in bulk, by a
single callback. Outside a transaction each save commits, and refreshes, at once.
Writes that bypass signals (``bulk_create``, ``QuerySet.update``) must refresh the summaries
themselves, as the synthetic loader does, or leave it to ``refresh_map_summaries``.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from rapport.accountmaps import services
from rapport.accounts.models import Account
from rapport.communications.signals import contacts_refreshed
from rapport.stakeholders.models import RelationshipOwner, Stakeholder


class _Refresh:
    """The accounts one transaction changed, refreshed together once it commits."""

    def __init__(self) -> None:
        self.account_ids: set[int] = set()
        self.stakeholder_ids: set[int] = set()
        self.done = False

    def __call__(self) -> None:
        self.done = True
        account_ids = set(self.account_ids)
        if self.stakeholder_ids:
            # Resolved now rather than at each save: one query for the whole transaction. A
            # person deleted for good is not found, but their own deletion named the account.
            account_ids.update(
                Stakeholder.all_objects.filter(pk__in=self.stakeholder_ids).values_list(
                    "account_id", flat=True
                )
            )
        if account_ids:
            services.refresh_summaries(account_ids=account_ids)


class _Current(threading.local):
    """The refresh waiting for the current transaction, per thread as connections are."""

    refresh: _Refresh | None = None


_current = _Current()


def _is_waiting(refresh: _Refresh) -> bool:
    """Whether this refresh is still registered to run when the transaction commits."""
    # Django drops the callbacks of a transaction (or savepoint) that rolls back: a refresh no
    # longer in the connection's list belongs to work that never happened, and so do its ids.
    if refresh.done:
        return False
    connection = transaction.get_connection()
    return any(callback is refresh for _ids, callback, _robust in connection.run_on_commit)


def schedule_refresh(
    *, account_ids: tuple[int, ...] = (), stakeholder_ids: tuple[int, ...] = ()
) -> None:
    """Refresh these accounts (or those of these stakeholders) once the transaction commits."""
    refresh = _current.refresh
    waiting = refresh is not None and _is_waiting(refresh)
    if refresh is None or not waiting:
        refresh = _current.refresh = _Refresh()
    refresh.account_ids.update(account_ids)
    refresh.stakeholder_ids.update(stakeholder_ids)
    if not waiting:
        # Registered after the ids are in: outside a transaction it runs at once. ``robust``:
        # the change is committed by then; a failure to recompute a derived figure is logged
        # and left to the next refresh, not turned into an error for the user.
        transaction.on_commit(refresh, robust=True)


def _on_stakeholder_change(sender: type[Stakeholder], instance: Stakeholder, **kwargs: Any) -> None:
    schedule_refresh(account_ids=(instance.account_id,))


def _before_stakeholder_saved(
    sender: type[Stakeholder], instance: Stakeholder, raw: bool = False, **kwargs: Any
) -> None:
    # A person made primary at another account leaves this one: it must be assessed again too.
    if raw or instance.pk is None:
        return
    previous = (
        Stakeholder.all_objects.filter(pk=instance.pk).values_list("account_id", flat=True).first()
    )
    if previous is not None and previous != instance.account_id:
        schedule_refresh(account_ids=(previous,))


def _on_owner_change(
    sender: type[RelationshipOwner], instance: RelationshipOwner, **kwargs: Any
) -> None:
    schedule_refresh(stakeholder_ids=(instance.stakeholder_id,))


def _on_account_saved(
    sender: type[Account], instance: Account, created: bool, **kwargs: Any
) -> None:
    # Only a new account needs it: nothing else about an account enters the rules, and the
    # list would otherwise show it as not assessed until the next full refresh.
    if created:
        schedule_refresh(account_ids=(instance.pk,))


def _on_contacts_refreshed(account_ids: tuple[int, ...] = (), **kwargs: Any) -> None:
    # A logged, edited or deleted exchange moves its people's last contact, which the rule on
    # quiet decision makers reads; the nightly refresh sends it too, as recency fades.
    schedule_refresh(account_ids=tuple(account_ids))


def connect() -> None:
    """Listen to the models whose changes alter an account's risk or coverage."""
    for model, receiver in (
        (Stakeholder, _on_stakeholder_change),
        (RelationshipOwner, _on_owner_change),
    ):
        uid = f"accountmaps.summary.{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ".delete")
    post_save.connect(_on_account_saved, sender=Account, dispatch_uid="accountmaps.summary.account")
    pre_save.connect(
        _before_stakeholder_saved, sender=Stakeholder, dispatch_uid="accountmaps.summary.move"
    )
    contacts_refreshed.connect(_on_contacts_refreshed, dispatch_uid="accountmaps.summary.contacts")
