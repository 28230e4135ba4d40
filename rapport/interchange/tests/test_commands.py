"""The command-line import and export: ``rapport import-salesforce`` and ``export-salesforce``."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from rapport.accounts.models import Account
from rapport.core.tests.factories import UserFactory
from rapport.interchange.choices import ImportStatus
from rapport.interchange.management.commands.import_salesforce import TerminalProgress
from rapport.interchange.models import ImportRun
from rapport.interchange.progress import read_progress
from rapport.interchange.salesforce import schema
from rapport.interchange.salesforce.exporter import export_salesforce
from rapport.interchange.salesforce.ids import normalize_id
from rapport.interchange.tests.book import build_book, empty_instance
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def import_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.RAPPORT_IMPORT_DIR = tmp_path / "imports"
    return settings.RAPPORT_IMPORT_DIR


def run_command(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def exported_book(tmp_path: Path) -> Path:
    """A zip of the test book, and an instance emptied of it (the pipeline kept)."""
    build_book()
    path = tmp_path / "book.zip"
    export_salesforce(destination=path)
    empty_instance()
    return path


def write_accounts(folder: Path, *names: str) -> Path:
    """A minimal export: one Account.csv with an account per name (an empty one is invalid)."""
    folder.mkdir()
    with (folder / "Account.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["Id", "Name"])
        for index, name in enumerate(names):
            writer.writerow([normalize_id(f"001AA{index:010d}"), name])
    return folder


# import-salesforce ---------------------------------------------------------------------------


def test_import_prints_the_counts_per_object_the_problems_and_the_report(tmp_path: Path) -> None:
    path = exported_book(tmp_path)

    out, err = run_command("import_salesforce", str(path))

    run = ImportRun.objects.get()
    assert run.status == ImportStatus.DONE
    assert run.file_name == str(path) and run.created_by is None
    assert Account.objects.count() == 3
    table = out.splitlines()
    assert table[0].split() == ["Object", "created", "updated", "unchanged", "skipped"]
    assert table[
        table.index(next(line for line in table if line.startswith("Contact")))
    ].split() == [
        "Contact",
        "4",
        "0",
        "0",
        "0",
    ]
    assert f"Problems: 0 — report: {run.report_path}" in out
    assert "Import finished." in out
    # The bar follows the engine's stages to the last one, in the error stream.
    assert "Updating derived figures" in err and "100%" in err


def test_a_dry_run_shows_what_it_would_do_and_writes_nothing(tmp_path: Path) -> None:
    path = exported_book(tmp_path)

    out, _err = run_command("import_salesforce", str(path), "--dry-run")

    assert Account.objects.count() == 0
    assert out.splitlines()[0].split()[:3] == ["Object", "would", "create"]
    assert "Dry run: nothing was written." in out
    assert ImportRun.objects.get().dry_run


def test_a_strict_import_with_a_problem_is_refused_with_a_non_zero_status(tmp_path: Path) -> None:
    folder = write_accounts(tmp_path / "export", "Acmé, Inc.", "")

    with pytest.raises(CommandError, match="Refused"):
        run_command("import_salesforce", str(folder), "--strict")

    assert Account.objects.count() == 0
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REFUSED and run.problem_count == 1


def test_without_strict_the_valid_rows_land_and_the_problem_is_reported(tmp_path: Path) -> None:
    folder = write_accounts(tmp_path / "export", "Acmé, Inc.", "")

    out, _err = run_command("import_salesforce", str(folder))

    assert list(Account.objects.values_list("name", flat=True)) == ["Acmé, Inc."]
    run = ImportRun.objects.get()
    assert f"Problems: 1 — report: {run.report_path}" in out
    assert "Account.csv,3,Name" in run.report_path.read_text(encoding="utf-8")


def test_an_import_is_made_as_the_user_given(tmp_path: Path) -> None:
    admin = UserFactory(email="admin@example.com", role=Role.ADMINISTRATOR)
    folder = write_accounts(tmp_path / "export", "Acmé")

    run_command("import_salesforce", str(folder), "--as", "ADMIN@example.com")

    assert ImportRun.objects.get().created_by == admin
    assert Account.objects.get().history.get().history_user == admin


def test_an_import_as_someone_not_allowed_or_unknown_is_refused(tmp_path: Path) -> None:
    UserFactory(email="manager@example.com", role=Role.ACCOUNT_MANAGER)
    folder = write_accounts(tmp_path / "export", "Acmé")

    with pytest.raises(CommandError, match="may not import"):
        run_command("import_salesforce", str(folder), "--as", "manager@example.com")
    with pytest.raises(CommandError, match="No user has the e-mail address"):
        run_command("import_salesforce", str(folder), "--as", "nobody@example.com")
    with pytest.raises(CommandError, match="does not exist"):
        run_command("import_salesforce", str(tmp_path / "missing.zip"))

    assert not ImportRun.objects.exists() and not Account.objects.exists()


def test_an_export_that_cannot_be_read_fails_the_command(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"this is not a zip")

    with pytest.raises(CommandError):
        run_command("import_salesforce", str(broken))

    assert ImportRun.objects.get().status in (ImportStatus.REFUSED, ImportStatus.FAILED)


def test_the_terminal_progress_draws_the_bar_and_reports_to_the_web_pages_too() -> None:
    stream = io.StringIO()
    progress = TerminalProgress(41, stream=stream)

    progress("Contact", 512, 2048, force=True)

    assert progress.bar.n == 512 and progress.bar.total == 2048
    shared = read_progress(41)
    assert shared is not None and shared["stage"] == "Contact" and shared["percent"] == 25
    progress("Task", 2048, 2048, force=True)
    progress.close()
    assert "Task" in stream.getvalue() and "100%" in stream.getvalue()


# export-salesforce ---------------------------------------------------------------------------


def test_export_to_a_zip_prints_what_it_wrote(tmp_path: Path) -> None:
    build_book()
    path = tmp_path / "out.zip"

    out, _err = run_command("export_salesforce", str(path))

    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == [sobject.file_name for sobject in schema.OBJECTS]
    assert "Contact.csv: 4" in out and "Case.csv: 2" in out
    assert f"to {path}." in out
    assert [p.name for p in tmp_path.iterdir()] == ["out.zip"]


def test_export_refuses_to_replace_an_earlier_export_without_force(tmp_path: Path) -> None:
    path = tmp_path / "out.zip"
    path.write_bytes(b"earlier")

    with pytest.raises(CommandError, match="--force"):
        run_command("export_salesforce", str(path))
    assert path.read_bytes() == b"earlier"

    run_command("export_salesforce", str(path), "--force")
    assert zipfile.is_zipfile(path)


def test_export_to_a_folder_writes_one_csv_per_object(tmp_path: Path) -> None:
    build_book()
    folder = tmp_path / "export"

    run_command("export_salesforce", str(folder))

    assert sorted(p.name for p in folder.iterdir()) == sorted(s.file_name for s in schema.OBJECTS)
    assert "Hélène" in (folder / "Contact.csv").read_text(encoding="utf-8")
    assert Stakeholder.objects.count() == 4
    with pytest.raises(CommandError, match="already holds an export"):
        run_command("export_salesforce", str(folder))
