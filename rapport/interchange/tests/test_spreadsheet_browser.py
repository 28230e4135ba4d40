"""A spreadsheet imported through the pages in a real Chromium: upload, map, preview, import,
and the run's page with its problem report. No console error, no Content-Security-Policy
violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from rapport.accounts.choices import Tier
from rapport.accounts.models import Account
from rapport.core.tests.personas import Personas
from rapport.core.tests.test_browser_journey import (  # noqa: F401  (fixtures)
    BrowserProblems,
    browser,
    page,
    problems,
    sign_in,
)
from rapport.interchange.tests.test_spreadsheet_import import csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_upload_map_preview_and_import_a_csv(
    page: Page,  # noqa: F811
    personas: Personas,
    problems: BrowserProblems,  # noqa: F811
    tmp_path: Path,
) -> None:
    sheet = tmp_path / "comptes.csv"
    sheet.write_bytes(
        csv_bytes(
            [
                ["Nom", "Niveau", "Effectif", "Remarque"],
                ["Gamma Énergie", "Stratégique", "900", "x"],
                ["Delta Logistique", "key", "beaucoup", "y"],
            ],
            delimiter=";",
        )
    )
    sign_in(page, personas.head.email)

    page.goto("/imports/spreadsheet/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a spreadsheet")
    page.get_by_label("The rows are").select_option("accounts")
    page.get_by_label("Spreadsheet (.csv or .xlsx)").set_input_files(sheet)
    page.get_by_role("button", name="Upload and map the columns").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Map the columns")
    # The French headers were recognised; the free-text column is left out.
    expect(page.get_by_label("Nom", exact=True)).to_have_value("name")
    expect(page.get_by_label("Niveau")).to_have_value("tier")
    expect(page.get_by_label("Effectif")).to_have_value("employees")
    expect(page.get_by_label("Remarque")).to_have_value("")
    page.get_by_role("button", name="Preview the rows").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Preview the import")
    table = page.locator("table.sheet-preview")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").nth(1)).to_contain_text("“beaucoup” is not a whole number.")
    expect(page.locator("#preview-counts")).to_contain_text("Created: 1")
    assert not Account.objects.filter(name="Gamma Énergie").exists()
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.locator(".run-summary")).to_contain_text("The import is done.")
    expect(page.locator("#problems")).to_contain_text("beaucoup")
    expect(page.get_by_role("link", name="Download the full report (CSV)")).to_be_visible()
    gamma = Account.objects.get(name="Gamma Énergie")
    assert (gamma.tier, gamma.employees) == (Tier.STRATEGIC, 900)
    assert not Account.objects.filter(name="Delta Logistique").exists()
    problems.assert_none()
