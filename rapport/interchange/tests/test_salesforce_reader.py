import zipfile

import pytest

from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.report import read_problems
from rapport.interchange.services import import_run_create, import_run_execute
from rapport.interchange.tests.sfgen import SalesforceExport


@pytest.fixture
def imports(tmp_path, settings):
    settings.RAPPORT_IMPORT_DIR = tmp_path / "imports"
    return tmp_path


def run(path, **options):
    created = import_run_create(
        kind=ImportKind.SALESFORCE, file_name=str(path), chunks=None, acting_user=None, **options
    )
    return import_run_execute(run=created, source=path)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["../evil.csv", "/etc/Account.csv", "C:/Account.csv", "a/../../Account.csv"]
)
def test_zip_slip_is_refused_and_nothing_is_written_outside(imports, name):
    path = imports / "slip.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Account.csv", "Id,Name\n")
        archive.writestr(name, "Id,Name\n")
    before = sorted(p for p in imports.rglob("*") if p.is_file())
    result = run(path)
    assert result.status == ImportStatus.REFUSED
    assert "unsafe path" in result.message
    after = sorted(
        p for p in imports.rglob("*") if p.is_file() and not p.is_relative_to(result.path)
    )
    assert after == before == [path]


@pytest.mark.django_db
def test_zip_bomb_is_refused(imports, settings):
    path = imports / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Account.csv", "Id,Name\n" + "0" * 5_000_000)
    result = run(path)
    assert result.status == ImportStatus.REFUSED
    assert "zip bomb" in result.message
    settings.RAPPORT_IMPORT_MAX_UNPACKED_BYTES = 1000
    small = imports / "big.zip"
    with zipfile.ZipFile(small, "w") as archive:
        archive.writestr("Account.csv", "Id,Name\n" + "x" * 2000)
    assert run(small).status == ImportStatus.REFUSED


@pytest.mark.django_db
def test_missing_required_columns_are_refused(imports):
    folder = imports / "export"
    folder.mkdir()
    (folder / "Account.csv").write_text("Id,Industry\n001A0000006Vm9rIAC,Banking\n")
    result = run(folder)
    assert result.status == ImportStatus.REFUSED
    assert "Account.csv" in result.message and "Name" in result.message


@pytest.mark.django_db
def test_no_known_file_is_refused(imports):
    folder = imports / "export"
    folder.mkdir()
    (folder / "Notes.csv").write_text("Id\n")
    assert run(folder).status == ImportStatus.REFUSED


@pytest.mark.django_db
def test_windows_1252_is_detected_and_read(imports):
    export = SalesforceExport(seed=2)
    export.account(name="Société Générale, Café", Description="")
    folder = export.write_folder(imports / "export", encoding="cp1252", subfolder="data")
    result = run(folder)
    assert result.status == ImportStatus.DONE
    from rapport.accounts.models import Account

    assert Account.objects.get().name == "Société Générale, Café"
    reasons = [problem["reason"] for problem in read_problems(result.report_path, limit=10)]
    assert any("Windows-1252" in reason for reason in reasons)


@pytest.mark.django_db
def test_bom_and_bad_utf8_later_in_file(imports):
    export = SalesforceExport(seed=2)
    export.account(name="Zoë")
    folder = export.write_folder(imports / "export", bom=True)
    assert run(folder).counts["Account"]["created"] == 1
    content = (folder / "Account.csv").read_bytes() + b"x" * 70000 + b"\n"
    content += b"001A0000006Vm9rIAC,false,Caf\xe9,,,,,,,,\n"
    (folder / "Account.csv").write_bytes(content)
    result = run(folder)
    assert result.status == ImportStatus.REFUSED
    assert "Account.csv" in result.message
