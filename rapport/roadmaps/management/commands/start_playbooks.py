"""``rapport start_playbooks``: run the playbook automation once, as the nightly job does."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rapport.roadmaps.automation import run_automation


class Command(BaseCommand):
    help = (
        "Start the playbooks whose event has come (onboarding for new accounts, renewals as "
        "contracts near their end), exactly as the nightly job does. Safe to run again: "
        "nothing starts twice. For installations that schedule jobs with cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = run_automation()
        for outcome in report.started:
            self.stdout.write(
                f"Started “{outcome.roadmap}” on {outcome.account} ({outcome.playbook_kind})."
            )
        for outcome in report.skipped:
            self.stdout.write(
                f"Skipped {outcome.account} ({outcome.playbook_kind}): {outcome.note}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"{len(report.started)} started, {len(report.skipped)} skipped.")
        )
