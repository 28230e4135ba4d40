"""``rapport synth``: load a large synthetic book for the benchmarks."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from rapport.demo.synth import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CONTRACTS_PER_ACCOUNT,
    DEFAULT_OPPORTUNITIES_PER_ACCOUNT,
    DEFAULT_SEED,
    DEFAULT_TOUCHPOINTS_PER_ACCOUNT,
    CommunicationsProgress,
    RevenueProgress,
    SynthProgress,
    synth_account_count,
    synth_accounts_without_log,
    synth_accounts_without_revenue,
    synth_book,
    synth_communications,
    synth_refresh_statistics,
    synth_revenue,
)


class Command(BaseCommand):
    help = (
        "Add N synthetic accounts with about ten stakeholders each, their teams and synthetic "
        "users, in bulk and without history rows, then three years of touchpoints, tasks and "
        "cadences, and of contracts and opportunities, for every synthetic account without any. "
        "Running it again adds N more; with --accounts 0 it only fills in what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, required=True, help="Accounts to add.")
        parser.add_argument(
            "--stakeholders-per-account",
            type=int,
            default=10,
            help="Average stakeholders per account (each gets this ±3).",
        )
        parser.add_argument("--users", type=int, default=300, help="Synthetic users to share.")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Accounts per transaction."
        )
        parser.add_argument(
            "--touchpoints",
            type=int,
            default=None,
            help=f"Touchpoints to spread over the accounts without any (default: "
            f"{DEFAULT_TOUCHPOINTS_PER_ACCOUNT} per account; 0 writes no log).",
        )
        parser.add_argument(
            "--contracts-per-account",
            type=int,
            default=DEFAULT_CONTRACTS_PER_ACCOUNT,
            help="Average consecutive yearly terms of the accounts without any (0 writes no "
            "revenue).",
        )
        parser.add_argument(
            "--opportunities-per-account",
            type=int,
            default=DEFAULT_OPPORTUNITIES_PER_ACCOUNT,
            help="About how many opportunities each of those accounts gets, renewals included.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"{synth_account_count():,} synthetic accounts already there.")
        result = synth_book(
            accounts=options["accounts"],
            stakeholders_per_account=options["stakeholders_per_account"],
            users=options["users"],
            seed=options["seed"],
            batch_size=options["batch_size"],
            on_progress=self._report,
        )
        if options["touchpoints"] != 0:
            self._load_log(options)
        if options["contracts_per_account"] != 0:
            self._load_revenue(options)
        self.stdout.write("Refreshing the query planner's statistics…")
        synth_refresh_statistics()
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.accounts:,} accounts, {result.stakeholders:,} stakeholders, "
                f"{result.team_members:,} team members and {result.users_created} users "
                f"in {result.seconds:.0f} s."
            )
        )

    def _load_log(self, options: dict[str, Any]) -> None:
        waiting = len(synth_accounts_without_log())
        if not waiting:
            return
        self.stdout.write(f"Writing the communications log of {waiting:,} accounts…")
        result = synth_communications(
            touchpoints=options["touchpoints"], seed=options["seed"], on_progress=self._report_log
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.touchpoints:,} touchpoints ({result.participants:,} "
                f"participants), {result.tasks:,} tasks, {result.cadence_rules:,} cadence rules "
                f"and {result.strengths:,} relationship strengths in {result.seconds:.0f} s."
            )
        )

    def _load_revenue(self, options: dict[str, Any]) -> None:
        waiting = len(synth_accounts_without_revenue())
        if not waiting:
            return
        self.stdout.write(f"Writing the contracts and opportunities of {waiting:,} accounts…")
        result = synth_revenue(
            contracts_per_account=options["contracts_per_account"],
            opportunities_per_account=options["opportunities_per_account"],
            seed=options["seed"],
            on_progress=self._report_revenue,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.contracts:,} contracts ({result.lines:,} lines, "
                f"{result.amendments:,} amendments) and {result.opportunities:,} opportunities "
                f"in {result.seconds:.0f} s."
            )
        )

    def _report_revenue(self, progress: RevenueProgress) -> None:
        self.stdout.write(
            f"  {progress.accounts_done:>9,} / {progress.accounts_total:,} accounts, "
            f"{progress.contracts:,} contracts, {progress.opportunities:,} opportunities, "
            f"{progress.seconds:.0f} s"
        )

    def _report_log(self, progress: CommunicationsProgress) -> None:
        rate = progress.touchpoints / progress.seconds if progress.seconds else 0.0
        self.stdout.write(
            f"  {progress.accounts_done:>9,} / {progress.accounts_total:,} accounts, "
            f"{progress.touchpoints:,} touchpoints, {rate:,.0f} touchpoints/s, "
            f"{progress.seconds:.0f} s"
        )

    def _report(self, progress: SynthProgress) -> None:
        rate = progress.accounts_done / progress.seconds if progress.seconds else 0.0
        left = (progress.accounts_total - progress.accounts_done) / rate if rate else 0.0
        self.stdout.write(
            f"  {progress.accounts_done:>9,} / {progress.accounts_total:,} accounts, "
            f"{progress.stakeholders:,} stakeholders, {rate:,.0f} accounts/s, "
            f"about {left:.0f} s left"
        )
