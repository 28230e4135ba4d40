from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from rapport.demo.data import DEMO_PASSWORD
from rapport.demo.services import demo_load


class Command(BaseCommand):
    help = "Set up the database and load a believable demo company (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        result = demo_load()
        if result.created:
            self.stdout.write(self.style.SUCCESS("Demo company loaded."))
        elif (
            result.communications_added
            or result.roadmaps_added
            or result.revenue_added
            or result.imports_added
        ):
            if result.communications_added:
                self.stdout.write(self.style.SUCCESS("Demo communications added."))
            if result.roadmaps_added:
                self.stdout.write(self.style.SUCCESS("Demo roadmaps and handoffs added."))
            if result.revenue_added:
                self.stdout.write(self.style.SUCCESS("Demo contracts and opportunities added."))
            if result.imports_added:
                self.stdout.write(
                    self.style.SUCCESS("Demo Salesforce dry run and column mapping added.")
                )
        else:
            self.stdout.write("Demo company already loaded; nothing changed.")
        self.stdout.write(
            f"{result.accounts} accounts, {result.stakeholders} stakeholders, "
            f"{result.touchpoints} touchpoints, {result.roadmaps} roadmaps."
        )
        self.stdout.write(f"{result.contracts} contracts, {result.opportunities} opportunities.")
        self.stdout.write(f"Sign in with any of these (password: {DEMO_PASSWORD}):")
        for email, role in result.users:
            self.stdout.write(f"  {email:<24} {role.replace('_', ' ')}")
