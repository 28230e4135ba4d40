"""The demo company's imports: a Salesforce dry run with a report, and a saved column mapping.

The dry run goes through the same services as an upload in the browser (the run keeps its
upload and its problem report in its own folder), and is rolled back like any dry run: the
demo's accounts, people and history stay exactly as they were. Its export is small and
generated here, with a few faults on purpose (a subsidiary whose group is missing, a person
whose manager is missing, an impossible date, a call on an unknown account), so that the
report page has something to show.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.utils import timezone

from rapport.demo import data
from rapport.demo.salesforce import ExportShape, write_salesforce_export
from rapport.interchange.choices import ImportKind, ImportTarget
from rapport.interchange.models import ColumnMapping, ImportRun
from rapport.interchange.services import import_run_create, import_run_execute
from rapport.interchange.spreadsheet.fields import DateOrder
from rapport.interchange.spreadsheet.mapping import signature, suggest
from rapport.users.choices import Role
from rapport.users.models import User

DEMO_EXPORT_FILE = "salesforce-export-demo.zip"
DEMO_EXPORT_SHAPE = ExportShape(accounts=12, contacts=72, tasks=90, users=4, problems=True)
# The headers of the stakeholders spreadsheet a demo user mapped once, as a CRM export has them.
STAKEHOLDER_SHEET_HEADERS = [
    "First name",
    "Last name",
    "Account",
    "Job title",
    "E-mail",
    "Phone",
    "Reports to",
    "Comments",
]
# What the user chose where no column name matched a field.
STAKEHOLDER_SHEET_CHOICES = {"Comments": "notes"}


def stakeholder_sheet_mapping() -> ColumnMapping | None:
    """The demo's saved mapping for its stakeholders sheet, if it is there."""
    return ColumnMapping.objects.filter(
        target=ImportTarget.STAKEHOLDERS, signature=signature(STAKEHOLDER_SHEET_HEADERS)
    ).first()


def load_imports() -> bool:
    """Add what is missing of the demo's imports; False when both were already there."""
    administrator = (
        User.objects.filter(role=Role.ADMINISTRATOR, email__in=_demo_emails())
        .order_by("id")
        .first()
    )
    if administrator is None:
        return False
    added = False
    if not ImportRun.objects.filter(
        kind=ImportKind.SALESFORCE, file_name=DEMO_EXPORT_FILE
    ).exists():
        _salesforce_dry_run(administrator)
        added = True
    if stakeholder_sheet_mapping() is None:
        _save_stakeholder_mapping(administrator)
        added = True
    return added


def _demo_emails() -> list[str]:
    return [email for email, *_rest in data.USERS]


def _salesforce_dry_run(administrator: User) -> ImportRun:
    """Generate the small export, upload it as a person would, and check it without writing."""
    with tempfile.TemporaryDirectory(prefix="rapport-demo-") as folder:
        archive = Path(folder) / DEMO_EXPORT_FILE
        owners = [
            email
            for email, *_rest, role, _language, _title in data.USERS
            if role in {Role.ACCOUNT_MANAGER, Role.HEAD_OF_ACCOUNT_MANAGEMENT}
        ]
        write_salesforce_export(
            archive,
            shape=DEMO_EXPORT_SHAPE,
            today=timezone.localdate(),
            user_emails=owners or _demo_emails(),
        )
        run = import_run_create(
            kind=ImportKind.SALESFORCE,
            file_name=DEMO_EXPORT_FILE,
            chunks=_chunks(archive),
            acting_user=administrator,
            dry_run=True,
        )
    return import_run_execute(run=run)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(64 * 1024):
            yield chunk


def _save_stakeholder_mapping(administrator: User) -> ColumnMapping:
    """The mapping a user confirmed for their stakeholders sheet, offered again next time."""
    columns, _order, _saved = suggest(
        target=ImportTarget.STAKEHOLDERS, headers=STAKEHOLDER_SHEET_HEADERS
    )
    columns |= STAKEHOLDER_SHEET_CHOICES
    mapping, _created = ColumnMapping.objects.update_or_create(
        target=ImportTarget.STAKEHOLDERS,
        signature=signature(STAKEHOLDER_SHEET_HEADERS),
        defaults={
            "mapping": {"columns": columns, "date_order": DateOrder.DAY_FIRST},
            "updated_by": administrator,
        },
    )
    return mapping
