"""``rapport refresh_map_summaries``: recompute every account's relationship risk and coverage."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rapport.accountmaps.services import (
    DEFAULT_BATCH_SIZE,
    RefreshProgress,
    refresh_all_summaries,
    refresh_summaries,
)


class Command(BaseCommand):
    help = (
        "Recompute the stored relationship risk and coverage of every account (or of the "
        "accounts named), after bulk writes that bypassed the usual saves or a change of rules."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--account", type=int, action="append", default=[], help="Only this account id."
        )
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Accounts per transaction."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["account"]:
            done = len(refresh_summaries(account_ids=options["account"]))
            self.stdout.write(self.style.SUCCESS(f"Refreshed {done:,} accounts."))
            return
        progress: list[RefreshProgress] = []

        def report(step: RefreshProgress) -> None:
            progress.append(step)
            if options["verbosity"] > 1:
                self.stdout.write(f"  {step.accounts_done:>9,} accounts, {step.seconds:.1f} s")

        done = refresh_all_summaries(batch_size=options["batch_size"], on_progress=report)
        seconds = progress[-1].seconds if progress else 0.0
        self.stdout.write(self.style.SUCCESS(f"Refreshed {done:,} accounts in {seconds:.1f} s."))
