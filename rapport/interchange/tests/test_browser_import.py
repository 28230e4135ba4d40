"""Importing a Salesforce export from the browser, in a real Chromium.

A head of account management opens the imports from the main navigation, uploads a small Data
Export, lands on the run's page with its counts and problems, and downloads the full report. A
second test follows a run while it is running: the progress bar moves as the worker reports,
and the page shows the result once the run ends, without a reload. No console error, no
Content-Security-Policy violation.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from rapport.accounts.models import Account
from rapport.core.tests.personas import Personas
from rapport.core.tests.test_browser_journey import (  # noqa: F401  (fixtures)
    BrowserProblems,
    browser,
    page,
    problems,
    sign_in,
)
from rapport.interchange import services
from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.progress import Progress, clear_progress
from rapport.interchange.tests.test_views import ACME, small_export

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def test_upload_an_export_and_download_its_report(
    page: Page,  # noqa: F811
    personas: Personas,
    problems: BrowserProblems,  # noqa: F811
    tmp_path: Path,
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    export = tmp_path / "Salesforce export.zip"
    export.write_bytes(small_export())

    sign_in(page, personas.head.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports")
    expect(page.get_by_text("Nothing has been imported yet.")).to_be_visible()
    page.get_by_role("link", name="Import a Salesforce export").click()

    page.get_by_label("Data Export (.zip)").set_input_files(export)
    expect(page.get_by_label("Dry run (check only, write nothing)")).not_to_be_checked()
    page.get_by_role("button", name="Upload and import").click()

    # The worker runs the import at once in tests: the page shows what it did.
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    state = page.locator("#import-state")
    expect(state.locator(".badge")).to_have_text("Done")
    counts = page.get_by_role("region", name="What the import did")
    expect(counts.get_by_role("row", name=re.compile(r"^Account\b"))).to_contain_text("2")
    problem_list = page.get_by_role("region", name="Problems")
    expect(problem_list).to_contain_text("Contact.csv")
    assert Account.objects.filter(salesforce_id__startswith=ACME).exists()
    page.screenshot(path=ARTIFACTS / "import-done.png", full_page=True)

    with page.expect_download() as download_info:
        problem_list.get_by_role("link", name="Download the full report (CSV)").click()
    download = download_info.value
    assert re.fullmatch(r"import-\d+-problems\.csv", download.suggested_filename)
    with Path(download.path()).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["file", "line", "field", "reason"]
    assert any(row[0] == "Contact.csv" for row in rows[1:])

    # Back on the list, the run is there with its summary (two accounts and one contact).
    page.get_by_role("link", name="Imports").first.click()
    expect(page.get_by_role("row", name=re.compile("Salesforce export.zip"))).to_contain_text(
        "3 created, 0 updated, 0 unchanged, 1 skipped"
    )
    problems.assert_none()


def test_the_progress_bar_follows_a_running_import_to_its_end(
    page: Page,  # noqa: F811
    personas: Personas,
    problems: BrowserProblems,  # noqa: F811
    request: pytest.FixtureRequest,
) -> None:
    run = services.import_run_create(
        kind=ImportKind.SALESFORCE,
        file_name="big export.zip",
        chunks=[small_export()],
        acting_user=personas.admin,
    )
    run.status = ImportStatus.RUNNING
    run.started_at = timezone.now()
    run.save()
    report = Progress(run.pk)
    report("Contact", 100, 400, force=True)
    request.addfinalizer(lambda: clear_progress(run.pk))

    sign_in(page, personas.admin.email)
    page.goto(run.get_absolute_url())
    bar = page.locator("#import-state progress")
    expect(bar).to_have_attribute("value", "25")
    expect(page.locator("#import-state")).to_contain_text("Contact: 100 of 400")

    # The worker moves on: the page follows without a reload.
    report("Contact", 300, 400, force=True)
    expect(bar).to_have_attribute("value", "75")
    expect(page.locator("#import-percent")).to_have_text("75%")

    # The run ends: the bar gives way to the result, and polling stops.
    run.status = ImportStatus.DONE
    run.finished_at = timezone.now()
    run.counts = {"Account": {"created": 7, "updated": 1}}
    run.save()
    expect(page.locator("#import-state .badge")).to_have_text("Done")
    expect(bar).to_have_count(0)
    expect(page.get_by_role("region", name="What the import did")).to_contain_text("7")
    expect(page.locator("#import-state")).not_to_have_attribute("hx-trigger", re.compile("."))
    page.screenshot(path=ARTIFACTS / "import-progress-done.png", full_page=True)
    problems.assert_none()
