"""Downloads of the log's lists: touchpoints, tasks and unmatched e-mails."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from rapport.communications.choices import InboundStatus, TaskStatus, TouchpointKind
from rapport.communications.models import InboundMessage, Task, Touchpoint
from rapport.core.tests.exports import column, csv_rows, export_queries, xlsx_rows
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas

NOON = datetime.datetime(2025, 3, 10, 12, 0, tzinfo=datetime.UTC)


def _touchpoint(personas: Personas, subject: str, kind: str = TouchpointKind.CALL) -> Touchpoint:
    touchpoint = Touchpoint.objects.create(
        account=personas.account,
        kind=kind,
        occurred_at=NOON,
        subject=subject,
        logged_by=personas.owner,
    )
    touchpoint.stakeholders.add(
        StakeholderFactory(account=personas.account), through_defaults={"occurred_at": NOON}
    )
    touchpoint.users.add(personas.teammate, through_defaults={"occurred_at": NOON})
    return touchpoint


@pytest.mark.django_db
def test_touchpoint_export_applies_the_filters_with_participants(
    client: Client, personas: Personas
) -> None:
    _touchpoint(personas, "Quarterly call")
    _touchpoint(personas, "Kick-off meeting", TouchpointKind.MEETING)
    client.force_login(personas.read_only)

    rows = csv_rows(client.get("/touchpoints/?kind=meeting&format=csv"))
    assert column(rows, "Subject") == ["Kick-off meeting"]
    assert column(rows, "Kind") == ["Meeting"]
    assert column(rows, "With (our side)") == [str(personas.teammate)]
    cells = xlsx_rows(client.get("/touchpoints/?q=quarterly&format=xlsx"))
    assert column(cells, "Subject") == ["Quarterly call"]
    assert column(cells, "When") == [timezone.localtime(NOON).replace(tzinfo=None)]


@pytest.mark.django_db
def test_touchpoint_export_queries_do_not_grow_with_the_rows(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.owner)
    _touchpoint(personas, "First")
    few = export_queries(client, "/touchpoints/?format=csv")
    for number in range(8):
        _touchpoint(personas, f"More {number}")
    assert export_queries(client, "/touchpoints/?format=xlsx") == few


@pytest.mark.django_db
def test_task_export_applies_the_filters_and_keeps_its_queries(
    client: Client, personas: Personas
) -> None:
    Task.objects.create(
        title="Send the proposal", account=personas.account, assignee=personas.owner
    )
    Task.objects.create(
        title="Old chore",
        account=personas.account,
        assignee=personas.owner,
        status=TaskStatus.DONE,
        completed_at=NOON,
    )
    client.force_login(personas.owner)
    rows = csv_rows(client.get("/tasks/?assignee=anyone&status=open&format=csv"))
    assert column(rows, "Task") == ["Send the proposal"]
    rows = csv_rows(client.get("/tasks/?assignee=anyone&status=any&format=csv"))
    assert sorted(column(rows, "Task")) == ["Old chore", "Send the proposal"]

    few = export_queries(client, "/tasks/?assignee=anyone&status=any&format=csv")
    for number in range(8):
        Task.objects.create(
            title=f"Task {number}",
            account=personas.account,
            assignee=personas.teammate,
            created_by=personas.owner,
        )
    assert export_queries(client, "/tasks/?assignee=anyone&status=any&format=xlsx") == few


@pytest.mark.django_db
def test_task_export_of_the_outsider_shows_what_their_page_shows(
    client: Client, personas: Personas
) -> None:
    Task.objects.create(title="Mine", account=personas.other_account, assignee=personas.outsider)
    Task.objects.create(title="Not mine", account=personas.account, assignee=personas.owner)
    client.force_login(personas.outsider)
    page = [task.title for task in client.get("/tasks/").context["page"].object_list]
    rows = csv_rows(client.get("/tasks/?format=csv"))
    assert column(rows, "Task") == page == ["Mine"]


def _inbound(uploader: object, subject: str, status: str = InboundStatus.PENDING) -> InboundMessage:
    return InboundMessage.objects.create(
        message_id=f"<{subject}@example.com>",
        subject=subject,
        sender="client@example.com",
        sent_at=NOON,
        body="Hello",
        uploaded_by=uploader,
        status=status,
    )


@pytest.mark.django_db
def test_unmatched_e_mails_export_filters_and_shows_each_uploader_their_own(
    client: Client, personas: Personas
) -> None:
    _inbound(personas.owner, "=cmd|' /C calc'!A0")
    _inbound(personas.owner, "Dismissed one", InboundStatus.DISMISSED)
    _inbound(personas.outsider, "Outsider's")
    client.force_login(personas.owner)
    rows = csv_rows(client.get("/mail/unmatched/?status=pending&format=csv"))
    assert column(rows, "Subject") == ["'=cmd|' /C calc'!A0"]

    client.force_login(personas.head)
    few = export_queries(client, "/mail/unmatched/?format=csv")
    assert len(csv_rows(client.get("/mail/unmatched/?format=csv"))) == 4
    for number in range(5):
        _inbound(personas.teammate, f"More {number}")
    assert export_queries(client, "/mail/unmatched/?format=xlsx") == few

    client.force_login(personas.read_only)
    assert client.get("/mail/unmatched/?format=csv").status_code == 403
