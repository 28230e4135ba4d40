"""The roadmap lists as files: handoffs, commitments, playbooks and past reassignments."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.core.exports import Column, ExportFormat, email_of, export_response, name_of
from rapport.roadmaps.models import Commitment, Handoff, Playbook, Reassignment

HANDOFF_COLUMNS: list[Column[Handoff]] = [
    Column(_("Id"), lambda handoff: handoff.pk),
    Column(_("Account"), lambda handoff: handoff.account.name),
    Column(_("Account id"), lambda handoff: handoff.account_id),
    Column(_("Account executive"), lambda handoff: name_of(handoff.executive)),
    Column(_("Account manager"), lambda handoff: name_of(handoff.account_manager)),
    Column(_("Kickoff"), lambda handoff: handoff.kickoff_date),
    Column(_("Status"), lambda handoff: handoff.get_status_display()),
    Column(_("Submitted"), lambda handoff: handoff.submitted_at),
    Column(_("Acknowledged"), lambda handoff: handoff.acknowledged_at),
    Column(_("What was sold"), lambda handoff: handoff.what_was_sold),
    Column(_("Client goals"), lambda handoff: handoff.client_goals),
    Column(_("Promises"), lambda handoff: handoff.promises),
    Column(_("Risks"), lambda handoff: handoff.risks),
    Column(_("Next steps"), lambda handoff: handoff.next_steps),
]

COMMITMENT_COLUMNS: list[Column[Commitment]] = [
    Column(_("Id"), lambda commitment: commitment.pk),
    Column(_("Commitment"), lambda commitment: commitment.title),
    Column(_("Account"), lambda commitment: commitment.account.name),
    Column(_("Account id"), lambda commitment: commitment.account_id),
    Column(_("Owner"), lambda commitment: name_of(commitment.owner)),
    Column(_("Owner e-mail"), lambda commitment: email_of(commitment.owner)),
    Column(_("Due"), lambda commitment: commitment.due_on),
    Column(_("Status"), lambda commitment: commitment.get_status_display()),
    Column(_("Source"), lambda commitment: commitment.get_source_display()),
    Column(_("Details"), lambda commitment: commitment.details),
    Column(_("Closed"), lambda commitment: commitment.closed_at),
    Column(_("Handoff"), lambda commitment: commitment.handoff_id),
    Column(_("Touchpoint"), lambda commitment: commitment.touchpoint_id),
]

PLAYBOOK_COLUMNS: list[Column[Playbook]] = [
    Column(_("Id"), lambda playbook: playbook.pk),
    Column(_("Playbook"), lambda playbook: playbook.name),
    Column(_("Kind"), lambda playbook: playbook.get_kind_display()),
    Column(_("Reference date"), lambda playbook: playbook.reference_label),
    Column(_("Days before"), lambda playbook: playbook.lead_days),
    Column(_("Phases"), lambda playbook: playbook.phase_count),  # type: ignore[attr-defined]
    Column(_("Steps"), lambda playbook: playbook.item_count),  # type: ignore[attr-defined]
    Column(_("Roadmaps started"), lambda playbook: playbook.roadmap_count),  # type: ignore[attr-defined]
    Column(_("Revision"), lambda playbook: playbook.revision),
    Column(_("In use"), lambda playbook: playbook.is_active),
    Column(_("Description"), lambda playbook: playbook.description),
]

REASSIGNMENT_COLUMNS: list[Column[Reassignment]] = [
    Column(_("When"), lambda row: row.created_at),
    Column(_("Account"), lambda row: row.account.name),
    Column(_("Account id"), lambda row: row.account_id),
    Column(pgettext_lazy("previous account manager", "From"), lambda row: name_of(row.from_user)),
    Column(_("To"), lambda row: name_of(row.to_user)),
    Column(_("Reason"), lambda row: row.reason),
    Column(_("Moved by"), lambda row: name_of(row.moved_by)),
    Column(_("Batch"), lambda row: str(row.batch)),
]


def handoff_export(kind: ExportFormat, handoffs: QuerySet[Handoff]) -> HttpResponseBase:
    """The handoff list as a file: what the reader may see of it, every page."""
    return export_response(kind, name=_("Handoffs"), columns=HANDOFF_COLUMNS, rows=handoffs)


def commitment_export(kind: ExportFormat, commitments: QuerySet[Commitment]) -> HttpResponseBase:
    """The commitments ledger as a file, every page of it."""
    return export_response(
        kind, name=_("Commitments"), columns=COMMITMENT_COLUMNS, rows=commitments
    )


def playbook_export(kind: ExportFormat, playbooks: QuerySet[Playbook]) -> HttpResponseBase:
    """The playbooks as a file, with their phase, step and roadmap counts."""
    return export_response(kind, name=_("Playbooks"), columns=PLAYBOOK_COLUMNS, rows=playbooks)


def reassignment_export(kind: ExportFormat, rows: QuerySet[Reassignment]) -> HttpResponseBase:
    """The accounts moved, latest first, as a file."""
    return export_response(
        kind, name=_("Past reassignments"), columns=REASSIGNMENT_COLUMNS, rows=rows
    )
