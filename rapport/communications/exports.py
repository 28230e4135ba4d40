"""The log's lists as files: touchpoints, tasks and the unmatched e-mails."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from rapport.communications.models import InboundMessage, Task, Touchpoint
from rapport.core.exports import Column, ExportFormat, email_of, export_response, name_of


def _their_side(touchpoint: Touchpoint) -> str:
    # Read from the prefetched people: one query per chunk of rows, none per row.
    return ", ".join(person.full_name for person in touchpoint.stakeholders.all())


def _our_side(touchpoint: Touchpoint) -> str:
    return ", ".join(str(user) for user in touchpoint.users.all())


TOUCHPOINT_COLUMNS: list[Column[Touchpoint]] = [
    Column(_("Id"), lambda touchpoint: touchpoint.pk),
    Column(_("When"), lambda touchpoint: touchpoint.occurred_at),
    Column(_("Kind"), lambda touchpoint: touchpoint.get_kind_display()),
    Column(_("Subject"), lambda touchpoint: touchpoint.subject),
    Column(_("Account"), lambda touchpoint: touchpoint.account.name),
    Column(_("Account id"), lambda touchpoint: touchpoint.account_id),
    Column(_("With (their side)"), _their_side),
    Column(_("With (our side)"), _our_side),
    Column(_("Sentiment"), lambda touchpoint: touchpoint.get_sentiment_display()),
    Column(_("Duration (minutes)"), lambda touchpoint: touchpoint.duration_minutes),
    Column(_("Outcome"), lambda touchpoint: touchpoint.outcome),
    Column(_("Next steps"), lambda touchpoint: touchpoint.next_steps),
    Column(_("Notes"), lambda touchpoint: touchpoint.notes),
    Column(_("Logged by"), lambda touchpoint: name_of(touchpoint.logged_by)),
    Column(_("Source"), lambda touchpoint: touchpoint.get_source_display()),
    Column(_("Salesforce Id"), lambda touchpoint: touchpoint.salesforce_id or ""),
]

TASK_COLUMNS: list[Column[Task]] = [
    Column(_("Id"), lambda task: task.pk),
    Column(_("Task"), lambda task: task.title),
    Column(_("Status"), lambda task: task.get_status_display()),
    Column(_("Due"), lambda task: task.due_on),
    Column(_("Account"), lambda task: name_of(task.account)),
    Column(_("Account id"), lambda task: task.account_id),
    Column(_("Assignee"), lambda task: name_of(task.assignee)),
    Column(_("Assignee e-mail"), lambda task: email_of(task.assignee)),
    Column(_("Touchpoint"), lambda task: name_of(task.touchpoint)),
    Column(_("Notes"), lambda task: task.notes),
    Column(_("Created by"), lambda task: name_of(task.created_by)),
    Column(_("Completed"), lambda task: task.completed_at),
    Column(_("Completed by"), lambda task: name_of(task.completed_by)),
    Column(_("Salesforce Id"), lambda task: task.salesforce_id or ""),
]

INBOUND_COLUMNS: list[Column[InboundMessage]] = [
    Column(_("Id"), lambda inbound: inbound.pk),
    Column(_("Subject"), lambda inbound: inbound.subject),
    Column(_("From"), lambda inbound: inbound.sender),
    Column(_("To"), lambda inbound: inbound.recipients),
    Column(_("Sent"), lambda inbound: inbound.sent_at),
    Column(_("File"), lambda inbound: inbound.file_name),
    Column(_("Uploaded by"), lambda inbound: name_of(inbound.uploaded_by)),
    Column(_("Uploaded"), lambda inbound: inbound.created_at),
    Column(_("Status"), lambda inbound: inbound.get_status_display()),
    Column(_("Touchpoint"), lambda inbound: name_of(inbound.touchpoint)),
    Column(_("Message-ID"), lambda inbound: inbound.message_id),
]


def touchpoint_export(kind: ExportFormat, touchpoints: QuerySet[Touchpoint]) -> HttpResponseBase:
    """The touchpoint list as a file, every page of it."""
    return export_response(
        kind, name=_("Touchpoints"), columns=TOUCHPOINT_COLUMNS, rows=touchpoints
    )


def task_export(kind: ExportFormat, tasks: QuerySet[Task]) -> HttpResponseBase:
    """The task list as a file, with who created and completed each task."""
    rows = tasks.select_related("created_by", "completed_by")
    return export_response(kind, name=_("Tasks"), columns=TASK_COLUMNS, rows=rows)


def inbound_export(kind: ExportFormat, messages: QuerySet[InboundMessage]) -> HttpResponseBase:
    """The unmatched e-mails as a file, without their bodies (the page does not show them)."""
    rows = messages.defer("body")
    return export_response(kind, name=_("Unmatched e-mails"), columns=INBOUND_COLUMNS, rows=rows)
