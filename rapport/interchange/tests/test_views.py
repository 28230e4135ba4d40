"""The import pages, driven through real HTTP requests: who may use them, the Salesforce upload
run in the background (immediately, in tests), a run followed live, its report, its deletion."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.core.tests.personas import Personas
from rapport.interchange import services
from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.models import ImportRun
from rapport.interchange.progress import Progress, clear_progress
from rapport.interchange.report import REPORT_HEADER, ProblemReport
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

pytestmark = pytest.mark.django_db

LIST = reverse("interchange:import_list")
NEW = reverse("interchange:salesforce_new")
EXPORT = reverse("interchange:salesforce_export")

ACME = "001A00000000001"
GLOBEX = "001A00000000002"
MISSING_ACCOUNT = "001A00000000999"
CURIE = "003A00000000001"
ORPHAN = "003A00000000002"


def export_zip(files: dict[str, str]) -> bytes:
    """A Data Export as Salesforce zips it: one CSV per object at the top of the archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def small_export() -> bytes:
    """Two accounts, a contact of one of them, and a contact whose account is not exported."""
    return export_zip(
        {
            "Account.csv": (
                "Id,IsDeleted,Name,Industry,BillingCountry\r\n"
                f'{ACME},false,"Acme, Société Anonyme",,France\r\n'
                f"{GLOBEX},false,Globex,,Germany\r\n"
            ),
            "Contact.csv": (
                "Id,IsDeleted,AccountId,FirstName,LastName,Title,Email\r\n"
                f"{CURIE},false,{ACME},Marie,Curie,Directrice,marie.curie@acme.example\r\n"
                f"{ORPHAN},false,{MISSING_ACCOUNT},Pierre,Orphelin,,\r\n"
            ),
        }
    )


def upload(content: bytes, name: str = "export.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


def finished_run(user: User, *, problems: int = 0, dry_run: bool = False) -> ImportRun:
    """A run that went to its end, with a report of ``problems`` rows, without any engine."""
    run = services.import_run_create(
        kind=ImportKind.SALESFORCE,
        file_name="export.zip",
        chunks=[small_export()],
        acting_user=user,
        dry_run=dry_run,
    )
    with ProblemReport(run.report_path) as report:
        for number in range(problems):
            report.add("Contact.csv", number + 2, "AccountId", f"No account {number} in the export")
    run.status = ImportStatus.DONE
    run.counts = {"Contact": {"created": 1, "skipped": 1}, "Account": {"created": 2}}
    run.problem_count = problems
    run.started_at = run.finished_at = timezone.now()
    run.save()
    return run


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A folder of imports per test, so what a test finds there is its own doing."""
    settings.RAPPORT_IMPORT_DIR = tmp_path / "imports"
    return settings.RAPPORT_IMPORT_DIR


@pytest.fixture
def head_client(client: Client, personas: Personas) -> Client:
    client.force_login(personas.head)
    return client


# Who may import -------------------------------------------------------------------------------


def test_only_administrators_and_heads_of_account_management_reach_the_pages(
    client: Client, personas: Personas
) -> None:
    run = finished_run(personas.admin, problems=1, dry_run=True)
    pages = [
        LIST,
        NEW,
        EXPORT,
        run.get_absolute_url(),
        reverse("interchange:import_report", args=[run.pk]),
    ]
    actions = [
        reverse("interchange:import_repeat", args=[run.pk]),
        reverse("interchange:import_delete", args=[run.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 302, url
    for user in (personas.owner, personas.teammate, personas.outsider, personas.read_only):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 403, (user, url)
        for url in actions:
            assert client.post(url).status_code == 403, (user, url)
        assert client.post(NEW, {"upload": upload(small_export())}).status_code == 403
        assert f'href="{LIST}"' not in client.get(reverse("home")).content.decode()
    assert list(ImportRun.objects.all()) == [run]
    for user in (personas.head, personas.admin):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 200, (user, url)
        home = client.get(reverse("home")).content.decode()
        assert f'href="{LIST}"' in home


# The list of runs -----------------------------------------------------------------------------


def test_the_list_explains_what_can_be_imported_when_empty(head_client: Client) -> None:
    page = head_client.get(LIST).content.decode()
    assert "Nothing has been imported yet." in page
    assert "Salesforce Data Export" in page
    assert f'href="{NEW}"' in page and f'href="{EXPORT}"' in page
    assert f'href="{reverse("interchange:spreadsheet_new")}"' in page


def test_the_list_shows_runs_newest_first_with_a_fixed_number_of_queries(
    head_client: Client, personas: Personas, settings, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_PAGE_SIZE = 3
    first = finished_run(personas.admin, problems=2)
    head_client.get(LIST)
    with django_assert_num_queries(8):
        small = head_client.get(LIST)
    for _number in range(4):
        finished_run(personas.head)
    with django_assert_num_queries(8):
        large = head_client.get(LIST)
    assert [run for run, _totals in small.context["rows"]] == [first]
    runs = [run for run, _totals in large.context["rows"]]
    assert len(runs) == 3 and runs == sorted(runs, key=lambda run: run.pk, reverse=True)
    assert large.context["page"].paginator.count == 5
    last = head_client.get(LIST + "?page=2")
    assert [run for run, _totals in last.context["rows"]][-1] == first
    text = small.content.decode()
    assert "3 created, 0 updated, 0 unchanged, 1 skipped" in text
    assert str(personas.admin) in text


# Uploading a Salesforce export ----------------------------------------------------------------


def test_the_upload_form_has_a_labelled_zip_input_and_both_options(head_client: Client) -> None:
    page = head_client.get(NEW).content.decode()
    assert 'type="file"' in page and 'accept=".zip,application/zip"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "Dry run (check only, write nothing)" in page
    assert "Strict (refuse everything if any row has a problem)" in page
    assert '<label for="id_upload"' in page and '<label for="id_dry_run"' in page


def test_uploading_an_export_imports_it_in_the_background_and_shows_the_counts(
    head_client: Client, personas: Personas
) -> None:
    response = head_client.post(NEW, {"upload": upload(small_export(), "Export Mars.zip")})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.status == ImportStatus.DONE, run.message
    assert run.created_by == personas.head and not run.dry_run
    acme = Account.objects.get(salesforce_id__startswith=ACME)
    assert acme.name == "Acme, Société Anonyme"
    assert Stakeholder.objects.get(salesforce_id__startswith=CURIE).account == acme
    assert run.counts["Account"]["created"] == 2
    assert run.problem_count >= 1

    page = head_client.get(run.get_absolute_url())
    text = page.content.decode()
    assert page.context["state"].progress is None
    assert "every 1s" not in text  # finished: nothing to poll
    rows = {row.name: row for row in page.context["counts"]}
    assert rows["Account"].created == 2
    assert [row.name for row in page.context["counts"]][:2] == ["Account", "Contact"]
    assert "Export Mars.zip" in text
    assert "Contact.csv" in text and "Download the full report (CSV)" in text
    assert "Run it for real" not in text


def test_a_dry_run_changes_nothing_and_can_then_be_run_for_real(
    head_client: Client, personas: Personas
) -> None:
    head_client.post(NEW, {"upload": upload(small_export()), "dry_run": "on"})
    dry = ImportRun.objects.get()
    assert dry.dry_run and dry.status == ImportStatus.DONE, dry.message
    assert dry.counts["Account"]["created"] == 2
    assert not Account.objects.filter(salesforce_id__isnull=False).exists()
    assert not Stakeholder.objects.filter(salesforce_id__isnull=False).exists()
    page = head_client.get(dry.get_absolute_url()).content.decode()
    assert "Nothing was written" in page and "Run it for real" in page

    response = head_client.post(reverse("interchange:import_repeat", args=[dry.pk]))
    real = ImportRun.objects.exclude(pk=dry.pk).get()
    assert response["Location"] == real.get_absolute_url()
    assert not real.dry_run and real.status == ImportStatus.DONE, real.message
    assert real.folder != dry.folder
    assert services.upload_path(real).read_bytes() == services.upload_path(dry).read_bytes()
    assert Account.objects.filter(salesforce_id__isnull=False).count() == 2
    # The real run is not a dry run: it cannot be repeated.
    again = head_client.post(reverse("interchange:import_repeat", args=[real.pk]), follow=True)
    assert "Only a dry run that finished can be run for real." in again.content.decode()
    assert ImportRun.objects.count() == 2


def test_a_strict_import_with_a_problem_writes_nothing(head_client: Client) -> None:
    head_client.post(NEW, {"upload": upload(small_export()), "strict": "on"})
    run = ImportRun.objects.get()
    assert run.strict and run.status == ImportStatus.REFUSED
    assert not Account.objects.filter(salesforce_id__isnull=False).exists()
    page = head_client.get(run.get_absolute_url()).content.decode()
    assert "Strict import: nothing was imported" in page


def test_an_archive_reaching_outside_its_folder_is_refused_with_its_message(
    head_client: Client, settings
) -> None:  # type: ignore[no-untyped-def]
    evil = export_zip({"../../escape.csv": "Id\r\n", "Account.csv": f"Id,Name\r\n{ACME},Acme\r\n"})
    head_client.post(NEW, {"upload": upload(evil)})
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REFUSED and run.message
    assert not Account.objects.filter(salesforce_id__isnull=False).exists()
    assert not (Path(settings.RAPPORT_IMPORT_DIR).parent / "escape.csv").exists()
    assert not (run.path.parent / "escape.csv").exists()
    page = head_client.get(run.get_absolute_url())
    assert run.message in page.content.decode()
    assert 'role="alert"' in page.content.decode()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("accounts.csv", b"Id,Name\r\n001A00000000001,Acme\r\n"),
        ("accounts.zip", b"Id,Name\r\n001A00000000001,Acme\r\n"),
    ],
)
def test_anything_but_a_zip_is_refused_by_the_form(
    head_client: Client, name: str, content: bytes
) -> None:
    response = head_client.post(NEW, {"upload": upload(content, name)})
    assert response.status_code == 200
    assert "Only the .zip file of a Salesforce Data Export" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_an_oversize_upload_is_refused_before_it_is_read(head_client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_IMPORT_MAX_BYTES = 1024
    response = head_client.post(NEW, {"upload": upload(small_export() + b"\0" * 2048)})
    assert response.status_code == 413
    assert "refused before being read" in response.content.decode()
    assert not ImportRun.objects.exists()
    assert not list(Path(settings.RAPPORT_IMPORT_DIR).glob("*"))


def test_an_upload_with_no_declared_length_is_stopped_while_streaming(
    head_client: Client, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A chunked body has no length to check: the handler alone must stop it at the limit."""
    from rapport.communications import uploads

    settings.RAPPORT_IMPORT_MAX_BYTES = 70_000
    # Above the default upload limit, below the import limit: the import limit is the one used.
    settings.RAPPORT_UPLOAD_MAX_BYTES = 10_000
    monkeypatch.setattr(uploads, "declared_too_large", lambda request, limit=None: False)
    within = head_client.post(NEW, {"upload": upload(b"not a zip" * 2_000)})
    assert within.status_code == 200  # read whole, then refused by the form (not a zip)
    assert "Only the .zip file" in within.content.decode()
    beyond = head_client.post(NEW, {"upload": upload(small_export() + b"\0" * 200_000)})
    assert beyond.status_code == 413
    assert not ImportRun.objects.exists()


def test_the_upload_checks_the_csrf_token(personas: Personas) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.admin)
    assert client.post(NEW, {"upload": upload(small_export())}).status_code == 403
    assert not ImportRun.objects.exists()


# A run followed live --------------------------------------------------------------------------


def test_the_progress_part_polls_while_running_and_stops_once_finished(
    head_client: Client, personas: Personas
) -> None:
    run = finished_run(personas.head)
    run.status = ImportStatus.RUNNING
    run.finished_at = None
    run.save()
    Progress(run.pk)("Contact", 250, 1000, force=True)
    try:
        part = head_client.get(run.get_absolute_url(), headers={"HX-Request": "true"})
        text = part.content.decode()
        assert "<html" not in text and 'id="import-state"' in text
        assert 'hx-trigger="every 1s"' in text
        assert 'value="25"' in text and "25%" in text and "Contact: 250 of 1,000" in text
        assert "HX-Request" in part["Vary"]
        assert "Delete" not in text  # still at work
        refused = head_client.post(reverse("interchange:import_delete", args=[run.pk]))
        assert refused.status_code == 302 and ImportRun.objects.filter(pk=run.pk).exists()
    finally:
        clear_progress(run.pk)

    run.status = ImportStatus.DONE
    run.finished_at = timezone.now()
    run.save()
    done = head_client.get(run.get_absolute_url(), headers={"HX-Request": "true"}).content
    assert b"hx-trigger" not in done and b"<progress" not in done
    assert b"The import is done." in done


def test_a_run_that_stopped_reporting_shows_as_interrupted(
    head_client: Client, personas: Personas
) -> None:
    run = finished_run(personas.head)
    run.status = ImportStatus.RUNNING
    run.finished_at = None
    run.started_at = timezone.now() - datetime.timedelta(minutes=11)
    run.save()
    text = head_client.get(run.get_absolute_url()).content.decode()
    assert "Interrupted (no progress since" in text
    assert "single transaction, so nothing of it was kept" in text
    assert "every 1s" not in text
    assert "Interrupted" in head_client.get(LIST).content.decode()
    # Recent progress keeps it alive, however long ago it started.
    Progress(run.pk)("Account", 10, 20, force=True)
    try:
        alive = head_client.get(run.get_absolute_url()).content.decode()
        assert "Interrupted" not in alive and 'hx-trigger="every 1s"' in alive
    finally:
        clear_progress(run.pk)
    # An interrupted run can be deleted.
    head_client.post(reverse("interchange:import_delete", args=[run.pk]))
    assert not ImportRun.objects.filter(pk=run.pk).exists()


def test_a_spreadsheet_still_to_map_links_to_its_mapping_and_is_not_polled(
    head_client: Client, personas: Personas
) -> None:
    run = services.import_run_create(
        kind=ImportKind.SPREADSHEET,
        file_name="comptes.csv",
        chunks=[b"Nom;Pays\r\nAcme;FR\r\n"],
        acting_user=personas.head,
        target="accounts",
    )
    text = head_client.get(run.get_absolute_url()).content.decode()
    assert reverse("interchange:spreadsheet_mapping", args=[run.pk]) in text
    assert "every 1s" not in text and "Waiting for a background worker" not in text
    head_client.post(reverse("interchange:import_delete", args=[run.pk]))
    assert not ImportRun.objects.filter(pk=run.pk).exists()


# The report, deletion, the export ------------------------------------------------------------


def test_the_page_shows_the_first_problems_and_the_report_has_them_all(
    head_client: Client, personas: Personas
) -> None:
    run = finished_run(personas.head, problems=120)
    page = head_client.get(run.get_absolute_url())
    assert len(page.context["problems"]) == 100
    text = page.content.decode()
    assert "No account 99 in the export" in text and "No account 100 in" not in text
    assert "The first 100 of 120 problems" in text

    response = head_client.get(reverse("interchange:import_report", args=[run.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="import-{run.pk}-problems.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert tuple(rows[0]) == REPORT_HEADER == ("file", "line", "field", "reason")
    assert len(rows) == 121
    assert rows[120] == ["Contact.csv", "121", "AccountId", "No account 119 in the export"]


def test_a_report_not_written_yet_is_not_found(head_client: Client, personas: Personas) -> None:
    run = services.import_run_create(
        kind=ImportKind.SALESFORCE, file_name="x.zip", chunks=[b"PK"], acting_user=personas.head
    )
    assert head_client.get(reverse("interchange:import_report", args=[run.pk])).status_code == 404


def test_deleting_a_run_removes_its_files(head_client: Client, personas: Personas) -> None:
    run = finished_run(personas.head, problems=1)
    assert run.path.is_dir()
    response = head_client.post(reverse("interchange:import_delete", args=[run.pk]), follow=True)
    assert "The import and its files were deleted." in response.content.decode()
    assert not ImportRun.objects.exists()
    assert not run.path.exists()
    assert head_client.get(reverse("interchange:import_delete", args=[run.pk])).status_code == 405


def test_the_export_downloads_a_salesforce_zip_and_leaves_no_file_behind(
    head_client: Client, personas: Personas, settings
) -> None:  # type: ignore[no-untyped-def]
    folder = Path(settings.RAPPORT_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    response = head_client.get(EXPORT)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="rapport-salesforce-export-'
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "Account.csv" in archive.namelist()
    accounts = archive.read("Account.csv").decode("utf-8")
    assert personas.account.name in accounts and personas.other_account.name in accounts
    response.close()
    assert set(folder.iterdir()) == before
