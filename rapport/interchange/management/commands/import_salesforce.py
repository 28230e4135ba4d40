"""``rapport import-salesforce PATH``: import a Salesforce Data Export in the foreground."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from rapport.core.exceptions import NotAllowedError
from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.progress import Progress
from rapport.interchange.services import import_run_create, import_run_execute
from rapport.users.models import User

COUNT_COLUMNS = ("created", "updated", "unchanged", "skipped")


class TerminalProgress(Progress):
    """Reports to the shared cache as every run does (the web page follows it too) and draws
    the same progress as a bar in the terminal."""

    def __init__(self, run_id: int | None, *, stream: TextIO) -> None:
        super().__init__(run_id)
        self.stage = ""
        # The Salesforce engine counts its progress in bytes of the export read.
        self.bar = tqdm(
            total=0, file=stream, unit="B", unit_scale=True, unit_divisor=1024, dynamic_ncols=True
        )

    def __call__(self, stage: str, done: int, total: int, *, force: bool = False) -> None:
        if stage != self.stage:
            self.stage = stage
            self.bar.set_description_str(stage, refresh=False)
        if total != self.bar.total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)
        super().__call__(stage, done, total, force=force)

    def close(self) -> None:
        self.bar.close()


class Command(BaseCommand):
    help = (
        "Import a Salesforce Data Export (a folder or a .zip of its CSV files), showing a "
        "progress bar; the counts per object and the problem report are printed at the end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The export: a folder or a .zip file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything and write nothing."
        )
        parser.add_argument(
            "--strict", action="store_true", help="Import nothing if any row has a problem."
        )
        parser.add_argument(
            "--as",
            dest="acting_email",
            metavar="EMAIL",
            help="The user the import is made as (recorded in the history); "
            "it must be allowed to import data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(_("%(path)s does not exist.") % {"path": path})
        acting_user = None
        if options["acting_email"]:
            acting_user = User.objects.filter(email__iexact=options["acting_email"]).first()
            if acting_user is None:
                raise CommandError(
                    _("No user has the e-mail address %(email)s.")
                    % {"email": options["acting_email"]}
                )
        try:
            run = import_run_create(
                kind=ImportKind.SALESFORCE,
                file_name=str(path),
                chunks=None,
                acting_user=acting_user,
                dry_run=options["dry_run"],
                strict=options["strict"],
            )
        except NotAllowedError as error:
            raise CommandError(
                _("%(user)s may not import data.") % {"user": acting_user}
            ) from error
        # The bar goes to the terminal's error stream, so that the report on stdout stays clean.
        stream = getattr(self.stderr, "_out", sys.stderr)
        progress = TerminalProgress(run.pk, stream=stream)
        try:
            run = import_run_execute(run=run, source=path.resolve(), progress=progress)
        finally:
            progress.close()
        self._report(run.counts, dry_run=run.dry_run)
        self.stdout.write(
            _("Problems: %(count)s — report: %(path)s")
            % {"count": run.problem_count, "path": run.report_path}
        )
        if run.status in (ImportStatus.REFUSED, ImportStatus.FAILED):
            raise CommandError(f"{run.get_status_display()}: {run.message}")
        if run.dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS(_("Import finished.")))

    def _report(self, counts: dict[str, dict[str, int]], *, dry_run: bool) -> None:
        if not counts:
            return
        headings = (
            _("Object"),
            _("would create") if dry_run else _("created"),
            _("would update") if dry_run else _("updated"),
            _("unchanged"),
            _("skipped"),
        )
        width = max(len(headings[0]), *(len(name) for name in counts)) + 2
        widths = [width, *(max(len(heading), 9) + 2 for heading in headings[1:])]
        line = "".join(
            heading.ljust(size) if index == 0 else heading.rjust(size)
            for index, (heading, size) in enumerate(zip(headings, widths, strict=True))
        )
        self.stdout.write(line)
        for name, numbers in counts.items():
            cells = [name.ljust(widths[0])]
            cells += [
                str(numbers.get(key, 0)).rjust(size)
                for key, size in zip(COUNT_COLUMNS, widths[1:], strict=True)
            ]
            self.stdout.write("".join(cells))
