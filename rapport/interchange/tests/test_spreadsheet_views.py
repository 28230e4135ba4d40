"""The spreadsheet pages: upload, mapping, preview and the go-ahead, with their permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from rapport.accounts.models import Account
from rapport.core.tests.personas import Personas
from rapport.interchange.choices import ImportStatus, ImportTarget
from rapport.interchange.models import ColumnMapping, ImportRun
from rapport.interchange.tests.test_spreadsheet_import import csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    ["Nom du compte", "Niveau", "Effectif"],
    ["Alpha Industries", "Clé", "120"],
    ["Beta Services", "growth", "beaucoup"],
]


def signed_in(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def upload(client: Client, data: bytes, name: str = "comptes.csv") -> object:
    return client.post(
        reverse("interchange:spreadsheet_new"),
        {"target": ImportTarget.ACCOUNTS, "upload": SimpleUploadedFile(name, data)},
    )


def test_only_people_who_import_may_open_the_pages(client: Client, personas: Personas) -> None:
    signed_in(client, personas.owner)
    assert client.get(reverse("interchange:spreadsheet_new")).status_code == 403
    signed_in(client, personas.head)
    assert client.get(reverse("interchange:spreadsheet_new")).status_code == 200


def test_upload_map_preview_then_import(
    client: Client, personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    signed_in(client, personas.head)
    response = upload(client, csv_bytes(ROWS, delimiter=";"))
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("interchange:spreadsheet_mapping", args=[run.pk])
    assert run.status == ImportStatus.QUEUED and run.started_at is None

    page = client.get(response["Location"])
    html = page.content.decode()
    # The French headers are recognised and their first values shown.
    assert page.context["form"]["column_0"].value() == "name"
    assert page.context["form"]["column_1"].value() == "tier"
    assert page.context["form"]["column_2"].value() == "employees"
    assert "Alpha Industries" in html and "Ignore this column" in html

    mapping_url = reverse("interchange:spreadsheet_mapping", args=[run.pk])
    posted = client.post(
        mapping_url,
        {"column_0": "name", "column_1": "tier", "column_2": "employees", "remember": "on"},
    )
    preview_url = reverse("interchange:spreadsheet_preview", args=[run.pk])
    assert posted["Location"] == preview_url
    assert ColumnMapping.objects.filter(target=ImportTarget.ACCOUNTS).count() == 1

    preview = client.get(preview_url)
    assert preview.status_code == 200
    result = preview.context["preview"]
    assert result.counts == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 1}
    assert [row.outcome for row in result.rows] == ["created", "skipped"]
    assert "“beaucoup” is not a whole number." in preview.content.decode()
    # The preview wrote nothing.
    assert not Account.objects.filter(name="Alpha Industries").exists()

    with django_capture_on_commit_callbacks(execute=True) as sent:
        started = client.post(preview_url, {"strict": ""})
    assert len(sent) == 1
    assert started["Location"] == reverse("interchange:import_detail", args=[run.pk])
    run.refresh_from_db()
    # Tasks run at once in tests: the import is done, the good row in, the bad one reported.
    assert run.status == ImportStatus.DONE
    assert run.counts == {"accounts": {"created": 1, "updated": 0, "unchanged": 0, "skipped": 1}}
    assert Account.objects.get(name="Alpha Industries").employees == 120
    # A second click does not import the file again.
    with django_capture_on_commit_callbacks(execute=True) as sent_again:
        again = client.post(preview_url, {})
    assert not sent_again
    assert again["Location"] == reverse("interchange:import_detail", args=[run.pk])
    assert Account.objects.filter(name="Alpha Industries").count() == 1


def test_a_field_mapped_twice_or_a_required_one_missing_is_refused(
    client: Client, personas: Personas
) -> None:
    signed_in(client, personas.admin)
    upload(client, csv_bytes(ROWS))
    run = ImportRun.objects.get()
    url = reverse("interchange:spreadsheet_mapping", args=[run.pk])

    twice = client.post(url, {"column_0": "name", "column_1": "name", "column_2": ""})
    assert twice.status_code == 200
    form = twice.context["form"]
    assert form.errors["column_0"] == ["Another column gives this field too."]
    assert "Name is given by several columns" in " ".join(form.non_field_errors())
    missing = client.post(url, {"column_0": "", "column_1": "tier", "column_2": ""})
    assert "Name is required" in " ".join(missing.context["form"].non_field_errors())
    run.refresh_from_db()
    assert run.mapping == {}
    assert client.get(reverse("interchange:spreadsheet_preview", args=[run.pk])).status_code == 302


def test_a_file_that_is_not_a_spreadsheet_is_refused_and_nothing_kept(
    client: Client, personas: Personas
) -> None:
    signed_in(client, personas.admin)
    response = upload(client, b"PK\x03\x04 not really", name="book.xlsx")
    assert response.status_code == 200
    assert "cannot be read as an Excel workbook" in response.content.decode()
    wrong = upload(client, b"a,b", name="notes.txt")
    assert "Only .csv and .xlsx files" in wrong.content.decode()
    assert not ImportRun.objects.exists()


def test_an_upload_over_the_limit_is_refused_while_streaming(
    client: Client, personas: Personas, settings: Settings
) -> None:
    settings.RAPPORT_IMPORT_MAX_BYTES = 100
    signed_in(client, personas.admin)
    response = upload(client, csv_bytes([["Name"], *[["A long account name"]] * 20]))
    assert response.status_code == 413
    assert not ImportRun.objects.exists()
