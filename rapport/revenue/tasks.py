"""Background jobs: each takes plain values and calls one service."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from rapport.revenue import services


@db_periodic_task(crontab(hour="2", minute="45"))
def open_renewals() -> int:
    """Every night: renewals of contracts ending soon, reminders of tacit renewals' notices."""
    opened = services.renewals_open()
    reminded = services.notice_reminders_create()
    return len(opened) + len(reminded)
