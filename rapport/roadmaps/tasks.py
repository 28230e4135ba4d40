"""Background jobs: each takes plain values and calls one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from rapport.roadmaps import automation, continuity


@db_task()
def notify_reassignment(batch: str) -> int:
    """Tell each receiver of a reassignment which accounts are now theirs."""
    return continuity.send_reassignment_notices(batch=batch)


@db_periodic_task(crontab(hour="3", minute="15"))
def start_playbooks() -> int:
    """Every night: onboarding for new accounts, renewals as their reference dates come near."""
    return len(automation.run_automation().started)
