"""The round trip: export, import into an empty instance, export again — the same files."""

from __future__ import annotations

import difflib
import zipfile
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from rapport.accounts.models import Account
from rapport.communications.models import Task, Touchpoint
from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.models import ImportRun, SalesforceRecord
from rapport.interchange.salesforce.exporter import export_salesforce
from rapport.interchange.salesforce.ids import normalize_id
from rapport.interchange.services import import_run_create, import_run_execute
from rapport.interchange.tests.book import build_book, empty_instance
from rapport.revenue.models import Opportunity
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def import_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.RAPPORT_IMPORT_DIR = tmp_path / "imports"
    return settings.RAPPORT_IMPORT_DIR


def files_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def assert_same_files(expected: Path, actual: Path) -> None:
    """Each file byte for byte, with a readable diff of the first one that differs."""
    before, after = files_of(expected), files_of(actual)
    assert list(after) == list(before)
    for name, content in before.items():
        if after[name] != content:
            diff = difflib.unified_diff(
                content.decode().splitlines(),
                after[name].decode().splitlines(),
                f"first/{name}",
                f"second/{name}",
                lineterm="",
            )
            pytest.fail("\n".join(diff))
    assert actual.read_bytes() == expected.read_bytes()


def import_export(path: Path) -> ImportRun:
    run = import_run_create(
        kind=ImportKind.SALESFORCE, file_name=str(path), chunks=None, acting_user=None
    )
    run = import_run_execute(run=run, source=path)
    problems = run.report_path.read_text(encoding="utf-8") if run.report_path.exists() else ""
    assert run.status == ImportStatus.DONE, run.message
    assert run.problem_count == 0, problems
    return run


def test_export_import_into_an_empty_instance_and_export_again_gives_the_same_files(
    tmp_path: Path,
) -> None:
    book = build_book()
    # Some rows came from Salesforce before (Ids in mixed case), the others were born here.
    book.group.salesforce_id = normalize_id("001Dn00000AbCdE")
    book.group.save()
    book.ceo.salesforce_id = normalize_id("003Dn00000zYxWv")
    book.ceo.save()
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    export_salesforce(destination=first)

    empty_instance()
    assert not Account.objects.exists() and not User.objects.exists()
    run = import_export(first)
    export_salesforce(destination=second)

    assert_same_files(first, second)
    assert run.counts["Account"]["created"] == 3
    assert Stakeholder.objects.get(salesforce_id=book.ceo.salesforce_id).first_name == "Hélène"
    assert Touchpoint.objects.count() == 8 and Task.objects.count() == 4
    assert Opportunity.objects.count() == 4
    assert SalesforceRecord.objects.filter(object_name="Case").count() == 2


def test_importing_an_export_into_the_instance_it_came_from_changes_nothing(
    tmp_path: Path,
) -> None:
    build_book()
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    export_salesforce(destination=first)

    empty_instance()
    import_export(first)
    again = import_export(first)
    export_salesforce(destination=second)

    assert_same_files(first, second)
    changed = {
        name: numbers
        for name, numbers in again.counts.items()
        if numbers.get("created") or numbers.get("updated")
    }
    assert changed == {}
