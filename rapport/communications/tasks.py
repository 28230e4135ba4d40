"""Background jobs: each takes plain values and calls one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from rapport.accounts.models import Account
from rapport.communications import digest, services


@db_task()
def sync_cadence_for_tier(tier: str) -> int:
    """Bring every account of a tier in line with the tier's changed defaults."""
    return services.cadence_sync(accounts=Account.objects.filter(tier=tier))


@db_periodic_task(crontab(minute="5"))
def send_daily_digests() -> int:
    """Every hour: send the digest to those for whom it is now the digest hour."""
    return digest.send_due_digests()


@db_periodic_task(crontab(hour="2", minute="30"))
def refresh_book() -> int:
    """Every night: cadences synced, recency and strength re-scored across the book."""
    return services.refresh_book()
