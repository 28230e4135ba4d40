"""Imports and the Salesforce export over the REST API, through real HTTP requests."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rapport.accounts.models import Account
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas
from rapport.interchange.choices import ImportStatus
from rapport.interchange.models import ImportRun
from rapport.interchange.tests.sfgen import SalesforceExport
from rapport.stakeholders.models import Stakeholder
from rapport.stakeholders.tests.test_api import bearer, body


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.RAPPORT_IMPORT_DIR = tmp_path / "imports"
    return settings.RAPPORT_IMPORT_DIR


def export_zip(tmp_path: Path, *, with_problem: bool = False) -> bytes:
    export = SalesforceExport(seed=7)
    owner = export.user(email="owner@example.com")
    group = export.account(name="Groupe Étoile, SA", owner=owner)
    child = export.account(name="Étoile Nord", parent=group, owner=owner)
    boss = export.contact(account=child, FirstName="Inès", LastName="Lefèvre")
    export.contact(account=child, reports_to=boss, FirstName="Zoë", LastName="Brun")
    if with_problem:
        export.contact(account="001000000000000AAA", FirstName="Nobody", LastName="Lost")
    path = tmp_path / "export.zip"
    export.write_zip(path)
    return path.read_bytes()


def upload(client: Client, headers: dict[str, str], content: bytes, **options: str) -> object:
    return client.post(
        "/api/v1/imports/salesforce",
        data={"file": SimpleUploadedFile("export.zip", content), **options},
        **headers,
    )


def test_an_uploaded_export_is_imported_and_its_run_reports_counts(
    personas: Personas, tmp_path: Path
) -> None:
    client = Client()
    headers = bearer(personas.head)

    response = upload(client, headers, export_zip(tmp_path, with_problem=True))

    assert response.status_code == 202, response.content  # type: ignore[attr-defined]
    run = body(response)
    assert run["status"] == ImportStatus.DONE
    assert run["counts"]["Account"]["created"] == 2
    assert run["counts"]["Contact"]["created"] == 2
    assert run["problem_count"] >= 1
    assert Account.objects.get(name="Étoile Nord").parent.name == "Groupe Étoile, SA"
    zoe = Stakeholder.objects.get(last_name="Brun")
    assert zoe.reports_to is not None and zoe.reports_to.last_name == "Lefèvre"

    detail = body(client.get(f"/api/v1/imports/{run['id']}", **headers))
    assert detail["id"] == run["id"] and detail["progress"] is None
    listed = body(client.get("/api/v1/imports", **headers))
    assert [item["id"] for item in listed["results"]] == [run["id"]]
    problems = body(client.get(f"/api/v1/imports/{run['id']}/problems", **headers))
    assert problems["count"] == run["problem_count"]
    lost = [row for row in problems["results"] if row["field"] == "AccountId"]
    assert lost and lost[0]["file"] == "Contact.csv" and lost[0]["line"] > 1


def test_a_dry_run_over_the_api_writes_nothing(personas: Personas, tmp_path: Path) -> None:
    client = Client()

    response = upload(client, bearer(personas.admin), export_zip(tmp_path), dry_run="true")

    run = body(response)
    assert run["dry_run"] is True and run["status"] == ImportStatus.DONE
    assert run["counts"]["Account"]["created"] == 2
    assert not Account.objects.filter(name="Étoile Nord").exists()


def test_a_file_that_is_not_a_zip_is_refused_and_records_nothing(personas: Personas) -> None:
    client = Client()

    response = client.post(
        "/api/v1/imports/salesforce",
        data={"file": SimpleUploadedFile("Account.csv", b"Id,Name\n")},
        **bearer(personas.admin),
    )

    assert response.status_code == 422
    assert not ImportRun.objects.exists()


def test_a_damaged_zip_is_refused_with_a_message(personas: Personas) -> None:
    client = Client()

    response = upload(client, bearer(personas.admin), b"PK\x03\x04 not really a zip")

    run = body(response)
    assert run["status"] == ImportStatus.REFUSED
    assert run["message"]


@pytest.mark.parametrize("name", ["owner", "teammate", "outsider", "read_only"])
def test_only_managers_of_the_book_may_import_or_export(
    personas: Personas, tmp_path: Path, name: str
) -> None:
    client = Client()
    headers = bearer(getattr(personas, name))

    assert upload(client, headers, export_zip(tmp_path)).status_code == 403  # type: ignore[attr-defined]
    assert client.get("/api/v1/imports", **headers).status_code == 403
    assert client.get("/api/v1/exports/salesforce", **headers).status_code == 403
    assert not ImportRun.objects.exists()


def test_the_export_is_a_zip_of_salesforce_files_with_the_book(personas: Personas) -> None:
    AccountFactory(name='Dupont, "Frères" & Cie')
    client = Client()

    response = client.get("/api/v1/exports/salesforce", **bearer(personas.admin))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    with archive.open("Account.csv") as handle:
        rows = list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8-sig")))
    assert 'Dupont, "Frères" & Cie' in {row["Name"] for row in rows}
    assert all(len(row["Id"]) == 18 for row in rows)
