"""``rapport open_renewals``: open renewals and notice reminders once, as the nightly job does."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from rapport.revenue import services


class Command(BaseCommand):
    help = (
        "Open a renewal opportunity for every contract ending within RAPPORT_RENEWAL_LEAD_DAYS "
        "(default 120) and remind account managers of tacit renewals' notice dates, exactly as "
        "the nightly job does. Safe to run again: nothing is opened twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        opened = services.renewals_open()
        for opportunity in opened:
            self.stdout.write(f"Opened “{opportunity}” (closes {opportunity.close_date}).")
        reminded = services.notice_reminders_create()
        for contract in reminded:
            self.stdout.write(f"Reminder for the notice date of {contract} ({contract.account}).")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(opened)} renewals opened ({settings.RAPPORT_RENEWAL_LEAD_DAYS} days ahead), "
                f"{len(reminded)} notice reminders."
            )
        )
