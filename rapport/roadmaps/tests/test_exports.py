"""Downloads of the roadmap lists: handoffs, commitments, playbooks and past reassignments."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import Client

from rapport.core.tests.exports import column, csv_rows, export_queries, xlsx_rows
from rapport.core.tests.factories import AccountFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.roadmaps.choices import CommitmentStatus, HandoffStatus, PlaybookKind
from rapport.roadmaps.models import Commitment, Handoff, Playbook, Reassignment
from rapport.users.choices import Role

KICKOFF = datetime.date(2025, 5, 5)


@pytest.mark.django_db
def test_handoff_export_hides_other_people_s_drafts(client: Client, personas: Personas) -> None:
    executive = UserFactory(role=Role.ACCOUNT_EXECUTIVE)
    playbook = Playbook.objects.create(name="Enterprise onboarding", kind=PlaybookKind.ONBOARDING)
    for status, sold in ((HandoffStatus.SUBMITTED, "200 seats"), (HandoffStatus.DRAFT, "Draft")):
        Handoff.objects.create(
            account=personas.account,
            executive=executive,
            account_manager=personas.owner,
            what_was_sold=sold,
            status=status,
            kickoff_date=KICKOFF,
            playbook=playbook,
        )
    client.force_login(personas.owner)
    rows = csv_rows(client.get("/handoffs/?box=all&status=any&format=csv"))
    assert column(rows, "What was sold") == ["200 seats"]
    client.force_login(personas.head)
    cells = xlsx_rows(client.get("/handoffs/?box=all&status=draft&format=xlsx"))
    assert column(cells, "What was sold") == ["Draft"]
    few = export_queries(client, "/handoffs/?box=all&status=any&format=csv")
    for _ in range(4):
        Handoff.objects.create(
            account=AccountFactory(),
            executive=executive,
            account_manager=personas.owner,
            kickoff_date=KICKOFF,
            playbook=playbook,
        )
    assert export_queries(client, "/handoffs/?box=all&status=any&format=csv") == few


@pytest.mark.django_db
def test_commitment_export_filters_and_keeps_its_queries(
    client: Client, personas: Personas
) -> None:
    Commitment.objects.create(account=personas.account, title="+1 trainer", owner=personas.owner)
    Commitment.objects.create(
        account=personas.account,
        title="Price hold",
        owner=personas.owner,
        status=CommitmentStatus.CANCELLED,
    )
    client.force_login(personas.read_only)
    rows = csv_rows(client.get("/commitments/?owner=anyone&status=open&format=csv"))
    assert column(rows, "Commitment") == ["'+1 trainer"]
    few = export_queries(client, "/commitments/?owner=anyone&status=any&format=xlsx")
    for number in range(4):
        Commitment.objects.create(
            account=personas.account, title=f"C{number}", owner=personas.owner
        )
    assert export_queries(client, "/commitments/?owner=anyone&status=any&format=xlsx") == few


@pytest.mark.django_db
def test_playbook_export_filters_by_kind(client: Client, personas: Personas) -> None:
    Playbook.objects.create(name="Enterprise onboarding", kind=PlaybookKind.ONBOARDING)
    Playbook.objects.create(name="Renewal run-up", kind=PlaybookKind.RENEWAL)
    client.force_login(personas.read_only)
    cells = xlsx_rows(client.get("/playbooks/?kind=renewal&q=run&format=xlsx"))
    assert column(cells, "Playbook") == ["Renewal run-up"]
    assert column(cells, "Phases") == [0]
    few = export_queries(client, "/playbooks/?format=csv")
    for number in range(4):
        Playbook.objects.create(name=f"P{number}", kind=PlaybookKind.ADOPTION)
    assert export_queries(client, "/playbooks/?format=csv") == few


@pytest.mark.django_db
def test_reassignment_export_is_for_the_managers_of_the_book(
    client: Client, personas: Personas
) -> None:
    batch = uuid.uuid4()
    Reassignment.objects.create(
        batch=batch,
        account=personas.account,
        from_user=personas.outsider,
        to_user=personas.owner,
        reason="@SUM(1)",
        moved_by=personas.head,
    )
    client.force_login(personas.head)
    rows = csv_rows(client.get("/reassign/history/?format=csv"))
    assert column(rows, "Reason") == ["'@SUM(1)"]
    assert column(rows, "To") == [str(personas.owner)]
    few = export_queries(client, "/reassign/history/?format=xlsx")
    for _ in range(4):
        Reassignment.objects.create(
            batch=batch,
            account=AccountFactory(),
            from_user=personas.owner,
            to_user=personas.teammate,
            moved_by=personas.head,
        )
    assert export_queries(client, "/reassign/history/?format=xlsx") == few
    for person in (personas.owner, personas.read_only):
        client.force_login(person)
        assert client.get("/reassign/history/?format=csv").status_code == 403
