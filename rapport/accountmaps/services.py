"""Writes of the account maps app: the stored relationship risk and coverage of each account."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from rapport.accountmaps.models import AccountMapSummary
from rapport.accountmaps.risk import assess, people_by_account
from rapport.accounts.models import Account
from rapport.stakeholders.models import Stakeholder

DEFAULT_BATCH_SIZE = 2000
# Ids named one by one go into an IN list; this keeps it far below every engine's limit.
_IN_LIST_SIZE = 500
_UPDATED_FIELDS = ["coverage", "risk_flags", "computed_at"]


@dataclass(frozen=True)
class RefreshProgress:
    """Where a refresh of the whole book stands, reported after each batch."""

    accounts_done: int
    seconds: float


def _write_summaries(
    account_ids: list[int], stakeholders: QuerySet[Stakeholder]
) -> list[AccountMapSummary]:
    """Assess the given accounts from one read of their people and upsert their summaries."""
    if not account_ids:
        return []
    people = people_by_account(stakeholders)
    now = timezone.now()
    summaries = []
    for account_id in account_ids:
        assessment = assess(account_id, people.get(account_id, []))
        summaries.append(
            AccountMapSummary(
                account_id=account_id,
                coverage=assessment.coverage,
                # The stubs type a ChoiceSetField as the CharField it extends; it takes a list.
                risk_flags=assessment.flags,  # type: ignore[misc]
                computed_at=now,
            )
        )
    # One upsert: a summary appears the first time and is overwritten after, without a read.
    AccountMapSummary.objects.bulk_create(
        summaries,
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=_UPDATED_FIELDS,
    )
    return summaries


@transaction.atomic
def refresh_summaries(*, account_ids: Iterable[int]) -> list[AccountMapSummary]:
    """Recompute the summaries of some accounts: three queries for every 500 of them."""
    wanted = sorted(set(account_ids))
    summaries: list[AccountMapSummary] = []
    for start in range(0, len(wanted), _IN_LIST_SIZE):
        chunk = wanted[start : start + _IN_LIST_SIZE]
        # An id may name an account that is gone or was rolled back; it gets no summary.
        existing = sorted(Account.objects.filter(pk__in=chunk).values_list("pk", flat=True))
        people = Stakeholder.objects.filter(account_id__in=existing)
        summaries += _write_summaries(existing, people)
    return summaries


def refresh_summary(account_id: int) -> AccountMapSummary:
    """Recompute one account's summary."""
    summaries = refresh_summaries(account_ids=[account_id])
    if not summaries:
        raise Account.DoesNotExist(f"No account has the id {account_id}.")
    return summaries[0]


def refresh_all_summaries(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[RefreshProgress], None] | None = None,
) -> int:
    """Recompute every account's summary, one batch of accounts per transaction."""
    # Each batch is a range of account ids: one query for the ids, one for all their people and
    # relationship owners, and one upsert, however many accounts the batch holds.
    if batch_size < 1:
        raise ValueError("The batch size must be at least 1.")
    started = time.monotonic()
    last_id = 0
    done = 0
    while True:
        ids = list(
            Account.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            _refresh_statistics()
            return done
        with transaction.atomic():
            # The range holds exactly these accounts, so their people are one indexed range too.
            people = Stakeholder.objects.filter(account_id__gte=ids[0], account_id__lte=ids[-1])
            _write_summaries(ids, people)
        done += len(ids)
        last_id = ids[-1]
        if on_progress is not None:
            on_progress(RefreshProgress(accounts_done=done, seconds=time.monotonic() - started))


def _refresh_statistics() -> None:
    """Tell the planner about the table just rewritten, and clear what the rewrite left behind."""
    # Without statistics SQLite guesses the summaries are few and looks one up for each account
    # instead of walking the coverage index. On PostgreSQL every upsert leaves the old row
    # behind, so the table has doubled until autovacuum passes; VACUUM cannot run in a
    # transaction, so inside one only ANALYZE runs.
    table = connection.ops.quote_name(AccountMapSummary._meta.db_table)
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}" if vacuum else f"ANALYZE {table}")
