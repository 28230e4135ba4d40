"""``rapport export-salesforce DEST``: write the book as a Salesforce Data Export."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from rapport.interchange.salesforce.exporter import export_salesforce
from rapport.interchange.salesforce.schema import OBJECTS


class Command(BaseCommand):
    help = (
        "Export accounts, people, revenue and activities in Salesforce's Data Export format: "
        "a .zip when DEST ends with .zip, else a folder of CSV files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", type=Path, help="A .zip file or a folder.")
        parser.add_argument(
            "--force", action="store_true", help="Replace an earlier export at DEST."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        destination: Path = options["destination"]
        as_zip = destination.suffix.lower() == ".zip"
        if as_zip:
            counts = self._write_zip(destination, force=options["force"])
        else:
            earlier = [s.file_name for s in OBJECTS if (destination / s.file_name).exists()]
            if destination.exists() and not destination.is_dir():
                raise CommandError(_("%(path)s is a file, not a folder.") % {"path": destination})
            if earlier and not options["force"]:
                raise CommandError(
                    _("%(path)s already holds an export; add --force to replace it.")
                    % {"path": destination}
                )
            counts = export_salesforce(destination=destination, as_zip=False)
        for name, count in counts.items():
            self.stdout.write(f"{name}.csv: {count}")
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(rows)s rows to %(path)s.")
                % {"rows": sum(counts.values()), "path": destination}
            )
        )

    def _write_zip(self, destination: Path, *, force: bool) -> dict[str, int]:
        if destination.exists() and not force:
            raise CommandError(
                _("%(path)s already exists; add --force to replace it.") % {"path": destination}
            )
        if not destination.parent.is_dir():
            raise CommandError(
                _("The folder %(path)s does not exist.") % {"path": destination.parent}
            )
        # Written beside the destination and renamed at the end: an export that stops half-way
        # leaves no truncated zip behind, nor replaces a good one.
        handle, temporary = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
        )
        try:
            with os.fdopen(handle, "wb") as stream:
                counts = export_salesforce(destination=stream)
            Path(temporary).replace(destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return counts
