"""Playbooks, roadmaps, items, handoffs, commitments and reassignments over the REST API."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account
from rapport.communications.choices import TaskStatus
from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.roadmaps import services
from rapport.roadmaps.choices import (
    Anchor,
    CommitmentStatus,
    ItemKind,
    ItemStatus,
    OwnerSide,
    PlaybookKind,
    Progress,
    RoadmapStatus,
)
from rapport.roadmaps.models import (
    Commitment,
    Playbook,
    PlaybookItem,
    PlaybookPhase,
    Roadmap,
    RoadmapItem,
)
from rapport.stakeholders.tests.test_api import bearer, body, error_fields, send
from rapport.users.models import User

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 2)


def make_playbook(
    *steps: dict[str, Any],
    name: str = "Test onboarding",
    kind: str = PlaybookKind.ONBOARDING,
    reference: str = "",
    phases: tuple[str, ...] = ("Set-up",),
) -> Playbook:
    """A playbook whose steps go to the phase named by their ``phase`` key (the first one else)."""
    playbook = Playbook.objects.create(name=name, kind=kind, reference_label=reference)
    made = {
        phase: PlaybookPhase.objects.create(playbook=playbook, name=phase, position=index)
        for index, phase in enumerate(phases)
    }
    for position, fields in enumerate(steps):
        phase = made[fields.pop("phase", phases[0])]
        PlaybookItem.objects.create(phase=phase, position=position, **fields)
    return playbook


def step(title: str, offset: int, **extra: Any) -> dict[str, Any]:
    return {"title": title, "offset_days": offset, "kind": ItemKind.TASK, **extra}


def onboarding() -> Playbook:
    return make_playbook(
        step("Kickoff call", 0, kind=ItemKind.COMMUNICATION, owner_role=TeamRole.ACCOUNT_MANAGER),
        step("Accounts created", 7, owner_role=TeamRole.SUPPORT_LEAD),
        step("Go-live", 14, kind=ItemKind.MILESTONE, owner_role=TeamRole.ACCOUNT_MANAGER),
        step(
            "Internal margin review",
            20,
            client_facing=False,
            owner_role=TeamRole.ACCOUNT_MANAGER,
            phase="Adoption",
        ),
        step("First business review", 30, kind=ItemKind.MILESTONE, phase="Adoption"),
        phases=("Set-up", "Adoption"),
    )


def start(personas: Personas, playbook: Playbook | None = None, **extra: Any) -> Roadmap:
    return services.roadmap_start(
        acting_user=extra.pop("acting_user", personas.owner),
        account=extra.pop("account", personas.account),
        playbook=playbook or onboarding(),
        start_date=extra.pop("start_date", MONDAY),
        **extra,
    )


def item(roadmap: Roadmap, title: str) -> RoadmapItem:
    return roadmap.items.get(title=title)


# Playbooks: reading


def test_playbooks_list_by_kind_and_filters(client: Client, personas: Personas) -> None:
    Playbook.objects.all().delete()
    onboarding()
    renewal = make_playbook(
        step("Renewal call", -90, anchor=Anchor.REFERENCE),
        name="Renewal",
        kind=PlaybookKind.RENEWAL,
        reference="contract end",
    )
    Playbook.objects.create(name="Old recovery", kind=PlaybookKind.RECOVERY, is_active=False)
    headers = bearer(personas.read_only)

    everything = body(client.get("/api/v1/playbooks", **headers))
    renewals = body(client.get("/api/v1/playbooks?kind=renewal", **headers))
    archived = body(client.get("/api/v1/playbooks?active=false", **headers))

    assert [row["name"] for row in everything["results"]] == [
        "Test onboarding",
        "Old recovery",
        "Renewal",
    ]
    assert [row["id"] for row in renewals["results"]] == [renewal.pk]
    assert renewals["results"][0]["reference_label"] == "contract end"
    assert [row["name"] for row in archived["results"]] == ["Old recovery"]


def test_get_playbook_has_its_phases_and_items_in_order(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    playbook = onboarding()
    steps = PlaybookItem.objects.filter(phase__playbook=playbook)
    kickoff = steps.get(title="Kickoff call")
    steps.filter(title="Accounts created").update(depends_on=kickoff)
    headers = bearer(personas.read_only)
    url = f"/api/v1/playbooks/{playbook.pk}"
    client.get(url, **headers)

    # The token, the playbook, its phases and their items.
    with django_assert_num_queries(4):
        data = body(client.get(url, **headers))

    assert [phase["name"] for phase in data["phases"]] == ["Set-up", "Adoption"]
    setup = data["phases"][0]["items"]
    assert [row["title"] for row in setup] == ["Kickoff call", "Accounts created", "Go-live"]
    assert setup[1]["depends_on_id"] == kickoff.pk
    assert setup[0]["kind"] == ItemKind.COMMUNICATION
    assert setup[0]["owner_role"] == TeamRole.ACCOUNT_MANAGER
    assert data["phases"][1]["items"][0]["client_facing"] is False
    assert data["revision"] == 1
    assert client.get("/api/v1/playbooks/999999", **headers).status_code == 404


# Playbooks: editing


def test_build_a_playbook_phase_by_phase(client: Client, personas: Personas) -> None:
    headers = bearer(personas.head)
    created = send(
        client,
        "post",
        "/api/v1/playbooks",
        {"name": " Pilot onboarding ", "kind": "onboarding", "description": "Six weeks."},
        headers,
    )
    assert created.status_code == 201, created.content
    playbook_id = body(created)["id"]
    assert (body(created)["name"], body(created)["phases"]) == ("Pilot onboarding", [])

    phase = send(
        client, "post", f"/api/v1/playbooks/{playbook_id}/phases", {"name": "Set-up"}, headers
    )
    assert phase.status_code == 201, phase.content
    phase_id = body(phase)["id"]
    kickoff = send(
        client,
        "post",
        f"/api/v1/playbook-phases/{phase_id}/items",
        {"kind": "communication", "title": "Kickoff call", "offset_days": 0},
        headers,
    )
    assert kickoff.status_code == 201, kickoff.content
    training = send(
        client,
        "post",
        f"/api/v1/playbook-phases/{phase_id}/items",
        {
            "kind": "task",
            "title": "Training",
            "offset_days": 10,
            "duration_days": 3,
            "owner_side": "client",
            "owner_role": "champion",
            "client_facing": False,
            "depends_on_id": body(kickoff)["id"],
        },
        headers,
    )
    assert training.status_code == 201, training.content

    data = body(client.get(f"/api/v1/playbooks/{playbook_id}", **headers))
    items = data["phases"][0]["items"]
    assert [row["title"] for row in items] == ["Kickoff call", "Training"]
    assert items[1]["depends_on_id"] == items[0]["id"]
    assert (items[1]["owner_side"], items[1]["client_facing"]) == ("client", False)
    # Every edit of the content is a revision: the phase and the two items.
    assert data["revision"] == 4


def test_an_impossible_edit_is_refused_with_every_problem(
    client: Client, personas: Personas
) -> None:
    playbook = make_playbook(step("Kickoff", 0), step("Go-live", 10))
    kickoff, go_live = PlaybookItem.objects.filter(phase__playbook=playbook).order_by("position")
    headers = bearer(personas.admin)

    # Going live before the kickoff, and before the roadmap starts: two problems at once.
    refused = send(
        client,
        "patch",
        f"/api/v1/playbook-items/{go_live.pk}",
        {"offset_days": -5, "depends_on_id": kickoff.pk},
        headers,
    )

    assert refused.status_code == 422, refused.content
    messages = [problem["msg"] for problem in body(refused)["detail"]]
    assert len(messages) == 2
    assert any("before the roadmap starts" in message for message in messages)
    assert any("comes after “Kickoff”" in message for message in messages)
    go_live.refresh_from_db()
    assert (go_live.offset_days, go_live.depends_on_id) == (10, None)
    assert Playbook.objects.get(pk=playbook.pk).revision == 1

    # A cycle is named.
    PlaybookItem.objects.filter(pk=go_live.pk).update(depends_on=kickoff)
    cycle = send(
        client,
        "patch",
        f"/api/v1/playbook-items/{kickoff.pk}",
        {"depends_on_id": go_live.pk},
        headers,
    )
    assert cycle.status_code == 422
    assert "wait for each other" in str(body(cycle))
    assert PlaybookItem.objects.get(pk=kickoff.pk).depends_on_id is None

    counted_from_nothing = send(
        client,
        "post",
        f"/api/v1/playbook-phases/{kickoff.phase_id}/items",
        {"kind": "task", "title": "Renewal call", "offset_days": -30, "anchor": "reference"},
        headers,
    )
    assert counted_from_nothing.status_code == 422
    assert "names none" in str(body(counted_from_nothing))
    wrong_role = send(
        client,
        "post",
        f"/api/v1/playbook-phases/{kickoff.phase_id}/items",
        {"kind": "task", "title": "Sign-off", "offset_days": 3, "owner_role": "champion"},
        headers,
    )
    assert "owner_role" in error_fields(wrong_role)
    assert PlaybookItem.objects.filter(phase__playbook=playbook).count() == 2


def test_playbook_edits_check_the_revision_and_who_edits(
    client: Client, personas: Personas
) -> None:
    playbook = make_playbook(step("Kickoff", 0), step("Go-live", 10))
    kickoff = PlaybookItem.objects.get(phase__playbook=playbook, title="Kickoff")
    phase = kickoff.phase
    headers = bearer(personas.head)

    renamed = send(
        client,
        "patch",
        f"/api/v1/playbook-phases/{phase.pk}",
        {"name": "Start", "revision": 1},
        headers,
    )
    assert body(renamed)["name"] == "Start"
    stale = send(
        client,
        "patch",
        f"/api/v1/playbook-items/{kickoff.pk}",
        {"title": "x", "revision": 1},
        headers,
    )
    assert stale.status_code == 409
    assert body(stale)["current_version"] == 2
    for user in (personas.owner, personas.read_only):
        refused = send(
            client, "patch", f"/api/v1/playbook-items/{kickoff.pk}", {"title": "x"}, bearer(user)
        )
        assert refused.status_code == 403
    assert PlaybookItem.objects.get(pk=kickoff.pk).title == "Kickoff"
    assert "phase_id" in error_fields(
        send(client, "patch", f"/api/v1/playbook-items/{kickoff.pk}", {"phase_id": None}, headers)
    )

    later = PlaybookPhase.objects.create(playbook=playbook, name="Adoption", position=5)
    order = send(
        client,
        "put",
        f"/api/v1/playbooks/{playbook.pk}/phase-order",
        {"ids": [later.pk, phase.pk]},
        headers,
    )
    assert [row["name"] for row in body(order)] == ["Adoption", "Start"]
    assert "payload" in error_fields(
        send(
            client,
            "put",
            f"/api/v1/playbooks/{playbook.pk}/phase-order",
            {"ids": [later.pk]},
            headers,
        )
    )

    assert (
        client.delete(f"/api/v1/playbook-items/{kickoff.pk}?revision=3", **headers).status_code
        == 204
    )
    assert client.delete(f"/api/v1/playbook-phases/{later.pk}", **headers).status_code == 204
    assert not PlaybookItem.objects.filter(pk=kickoff.pk).exists()
    assert Playbook.objects.get(pk=playbook.pk).revision == 5


def test_archive_and_restore_a_playbook(client: Client, personas: Personas) -> None:
    playbook = onboarding()
    headers = bearer(personas.admin)

    archived = client.delete(f"/api/v1/playbooks/{playbook.pk}", **headers)
    assert body(archived)["is_active"] is False
    assert (
        client.delete(f"/api/v1/playbooks/{playbook.pk}", **bearer(personas.owner)).status_code
        == 403
    )
    restored = send(
        client,
        "patch",
        f"/api/v1/playbooks/{playbook.pk}",
        {"is_active": True, "description": "Our default.", "version": 2},
        headers,
    )
    assert restored.status_code == 200, restored.content
    assert (body(restored)["is_active"], body(restored)["description"]) == (True, "Our default.")
    assert "lead_days" in error_fields(
        send(client, "patch", f"/api/v1/playbooks/{playbook.pk}", {"lead_days": 120}, headers)
    )


# Roadmaps: starting and reading


def test_start_a_roadmap_from_a_playbook(client: Client, personas: Personas) -> None:
    champion = StakeholderFactory(account=personas.account, decision_roles=["champion"])
    playbook = make_playbook(
        step("Kickoff call", 0, kind=ItemKind.COMMUNICATION, owner_role=TeamRole.ACCOUNT_MANAGER),
        step("Champion signs off", 5, owner_side=OwnerSide.CLIENT, owner_role="champion"),
    )

    response = send(
        client,
        "post",
        "/api/v1/roadmaps",
        {
            "account_id": personas.account.pk,
            "playbook_id": playbook.pk,
            "start_date": MONDAY.isoformat(),
        },
        bearer(personas.owner),
    )

    assert response.status_code == 201, response.content
    data = body(response)
    roadmap = Roadmap.objects.get(pk=data["id"])
    assert (roadmap.account, roadmap.playbook, roadmap.name) == (
        personas.account,
        playbook,
        "Test onboarding",
    )
    assert data["playbook_revision"] == 1
    items = data["phases"][0]["items"]
    kickoff, sign_off = items
    assert kickoff["owner_user"]["id"] == personas.owner.pk
    assert kickoff["task_id"] is not None
    # Five days after a Monday is a Saturday: due the Monday after.
    assert sign_off["due_on"] == "2026-11-09"
    assert sign_off["owner_stakeholder_id"] == champion.pk
    assert data["progress"]["total"] == 2 and data["progress"]["done"] == 0


def test_starting_a_roadmap_is_refused_with_reasons(client: Client, personas: Personas) -> None:
    renewal = make_playbook(
        step("Renewal call", -90, anchor=Anchor.REFERENCE), reference="contract end"
    )
    archived = onboarding()
    archived.is_active = False
    archived.save()
    impossible = make_playbook(step("Before the start", -3), name="Impossible")

    def attempt(playbook: Playbook, user: User, **extra: Any) -> Any:
        payload = {
            "account_id": personas.account.pk,
            "playbook_id": playbook.pk,
            "start_date": MONDAY.isoformat(),
            **extra,
        }
        return send(client, "post", "/api/v1/roadmaps", payload, bearer(user))

    assert "reference_date" in error_fields(attempt(renewal, personas.owner))
    assert "playbook_id" in error_fields(attempt(archived, personas.owner))
    assert "Before the start" in str(body(attempt(impossible, personas.owner)))
    assert attempt(renewal, personas.outsider, reference_date="2027-06-30").status_code == 403
    assert attempt(renewal, personas.read_only, reference_date="2027-06-30").status_code == 403
    assert "account_id" in error_fields(
        attempt(renewal, personas.owner, account_id=999999, reference_date="2027-06-30")
    )
    assert "start_date" in error_fields(attempt(renewal, personas.owner, start_date="3026-01-01"))
    assert not Roadmap.objects.exists()

    started = attempt(renewal, personas.owner, reference_date="2027-06-30", name="Renewal 2027")
    assert started.status_code == 201
    assert body(started)["name"] == "Renewal 2027"
    assert body(started)["phases"][0]["items"][0]["due_on"] == "2027-04-01"


def test_roadmap_progress_late_items_and_next_milestone(client: Client, personas: Personas) -> None:
    today = timezone.localdate()
    roadmap = start(personas, start_date=today - datetime.timedelta(days=10))
    services.roadmap_item_set_status(
        item=item(roadmap, "Kickoff call"), acting_user=personas.owner, status=ItemStatus.DONE
    )
    services.roadmap_item_set_status(
        item=item(roadmap, "Internal margin review"),
        acting_user=personas.owner,
        status=ItemStatus.SKIPPED,
    )

    data = body(client.get(f"/api/v1/roadmaps/{roadmap.pk}", **bearer(personas.read_only)))

    progress = data["progress"]
    assert (progress["done"], progress["total"], progress["percent"]) == (1, 4, 25)
    # Accounts were due three days ago (or on the Monday after a weekend): late.
    accounts = item(roadmap, "Accounts created")
    assert progress["late"] == (1 if accounts.due_on < today else 0)
    assert progress["state"] == (Progress.LATE if progress["late"] else Progress.ON_TRACK)
    go_live = item(roadmap, "Go-live")
    assert progress["next_milestone"] == {
        "id": go_live.pk,
        "title": "Go-live",
        "due_on": go_live.due_on.isoformat(),
    }
    internal = data["phases"][1]["items"][0]
    assert (internal["title"], internal["status"], internal["client_facing"]) == (
        "Internal margin review",
        ItemStatus.SKIPPED,
        False,
    )


def test_roadmaps_list_per_account_and_status(client: Client, personas: Personas) -> None:
    playbook = onboarding()
    mine = start(personas, playbook)
    other = start(personas, playbook, account=personas.other_account, acting_user=personas.outsider)
    done = start(personas, make_playbook(step("Only step", 0), name="Short"))
    services.roadmap_item_set_status(
        item=done.items.get(), acting_user=personas.owner, status=ItemStatus.DONE
    )
    headers = bearer(personas.read_only)

    def names(query: str) -> list[int]:
        response = client.get(f"/api/v1/roadmaps{query}", **headers)
        assert response.status_code == 200, response.content
        return [row["id"] for row in body(response)["results"]]

    assert set(names("")) == {mine.pk, other.pk, done.pk}
    assert set(names(f"?account={personas.account.pk}")) == {mine.pk, done.pk}
    assert names(f"?account={personas.account.pk}&status=completed") == [done.pk]
    assert names(f"?account={personas.other_account.pk}&status=active") == [other.pk]
    assert names(f"?playbook={playbook.pk}&account={personas.account.pk}") == [mine.pk]
    completed = body(client.get("/api/v1/roadmaps?status=completed", **headers))["results"][0]
    assert completed["progress"]["state"] == Progress.DONE
    assert completed["progress"]["percent"] == 100


def test_roadmaps_list_runs_a_fixed_number_of_queries(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    headers = bearer(personas.owner)
    url = "/api/v1/roadmaps?page_size=50"
    client.get(url, **headers)
    playbook = onboarding()
    start(personas, playbook)
    # The token, the count and the page (progress included).
    with django_assert_num_queries(3):
        assert client.get(url, **headers).status_code == 200
    for _index in range(5):
        start(personas, playbook, account=AccountFactory(owner=personas.owner))
    with django_assert_num_queries(3):
        assert len(body(client.get(url, **headers))["results"]) == 6


# Roadmap items: status


def test_complete_skip_and_reopen_items(client: Client, personas: Personas) -> None:
    roadmap = start(personas, make_playbook(step("Kickoff", 0, owner_role="account_manager")))
    kickoff = roadmap.items.get()
    headers = bearer(personas.owner)
    url = f"/api/v1/roadmap-items/{kickoff.pk}"

    done = client.post(f"{url}/complete", **headers)
    assert done.status_code == 200, done.content
    assert body(done)["status"] == ItemStatus.DONE
    assert body(done)["completed_by_id"] == personas.owner.pk
    assert Roadmap.objects.get(pk=roadmap.pk).status == RoadmapStatus.COMPLETED
    assert kickoff.task is not None
    kickoff.task.refresh_from_db()
    assert kickoff.task.status == TaskStatus.DONE

    reopened = client.post(f"{url}/reopen?version={body(done)['version']}", **headers)
    assert body(reopened)["status"] == ItemStatus.PLANNED
    assert body(reopened)["completed_at"] is None
    assert Roadmap.objects.get(pk=roadmap.pk).status == RoadmapStatus.ACTIVE

    stale = client.post(f"{url}/skip?version={body(done)['version']}", **headers)
    assert stale.status_code == 409
    assert body(stale)["current_version"] == body(reopened)["version"]
    skipped = client.post(f"{url}/skip", **headers)
    assert body(skipped)["status"] == ItemStatus.SKIPPED

    assert client.post(f"{url}/reopen", **bearer(personas.outsider)).status_code == 403
    assert client.post(f"{url}/reopen", **bearer(personas.read_only)).status_code == 403
    assert RoadmapItem.objects.get(pk=kickoff.pk).status == ItemStatus.SKIPPED
    assert client.post("/api/v1/roadmap-items/999999/complete", **headers).status_code == 404


# Commitments


def test_create_a_commitment_owned_by_the_account_manager(
    client: Client, personas: Personas
) -> None:
    headers = bearer(personas.teammate)
    response = send(
        client,
        "post",
        "/api/v1/commitments",
        {"account_id": personas.account.pk, "title": "  Weekly report in French ", "due_on": None},
        headers,
    )

    assert response.status_code == 201, response.content
    data = body(response)
    assert data["title"] == "Weekly report in French"
    assert data["owner"]["id"] == personas.owner.pk
    assert (data["status"], data["source"], data["is_overdue"]) == ("open", "direct", False)
    assert data["created_by_id"] == personas.teammate.pk


def test_commitments_refused_with_reasons(client: Client, personas: Personas) -> None:
    def create(user: User, **data: Any) -> Any:
        payload = {"account_id": personas.account.pk, "title": "Dedicated support line", **data}
        return send(client, "post", "/api/v1/commitments", payload, bearer(user))

    assert create(personas.outsider).status_code == 403
    assert create(personas.read_only).status_code == 403
    assert "owner_id" in error_fields(create(personas.owner, owner_id=personas.read_only.pk))
    assert "owner_id" in error_fields(create(personas.owner, owner_id=999999))
    assert "title" in error_fields(create(personas.owner, title="   "))
    assert not Commitment.objects.exists()


def test_update_a_commitment_and_set_its_status(client: Client, personas: Personas) -> None:
    commitment = services.commitment_create(
        acting_user=personas.owner, account=personas.account, data={"title": "Training plan"}
    )
    headers = bearer(personas.owner)
    url = f"/api/v1/commitments/{commitment.pk}"

    updated = send(
        client,
        "patch",
        url,
        {"version": 1, "due_on": "2026-12-01", "owner_id": personas.teammate.pk},
        headers,
    )
    assert updated.status_code == 200, updated.content
    assert body(updated)["owner"]["id"] == personas.teammate.pk
    assert body(updated)["version"] == 2
    stale = send(client, "patch", url, {"version": 1, "title": "Other"}, headers)
    assert stale.status_code == 409
    assert "owner_id" in error_fields(send(client, "patch", url, {"owner_id": None}, headers))

    kept = send(client, "post", f"{url}/status", {"status": "kept", "version": 2}, headers)
    assert body(kept)["status"] == CommitmentStatus.KEPT
    assert body(kept)["closed_at"] is not None
    reopened = send(client, "post", f"{url}/status", {"status": "open"}, headers)
    assert body(reopened)["closed_at"] is None
    outsider = send(client, "post", f"{url}/status", {"status": "kept"}, bearer(personas.outsider))
    assert outsider.status_code == 403
    assert Commitment.objects.get(pk=commitment.pk).status == CommitmentStatus.OPEN


def test_commitments_list_filters_and_fixed_queries(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    today = timezone.localdate()

    def promise(title: str, due: int | None, **extra: Any) -> Commitment:
        return services.commitment_create(
            acting_user=extra.pop("acting_user", personas.owner),
            account=extra.pop("account", personas.account),
            data={
                "title": title,
                "due_on": None if due is None else today + datetime.timedelta(days=due),
                **extra,
            },
        )

    late = promise("Late promise", -3)
    soon = promise("Soon", 2, owner=personas.teammate)
    undated = promise("Whenever", None)
    other = promise("Elsewhere", 5, account=personas.other_account, acting_user=personas.outsider)
    kept = promise("Kept one", -10)
    services.commitment_set_status(commitment=kept, acting_user=personas.owner, status="kept")
    headers = bearer(personas.read_only)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/commitments{query}", **headers)
        assert response.status_code == 200, response.content
        return [row["id"] for row in body(response)["results"]]

    assert ids("") == [kept.pk, late.pk, soon.pk, other.pk, undated.pk]
    assert ids("?overdue=true") == [late.pk]
    assert ids(f"?account={personas.account.pk}&status=open") == [late.pk, soon.pk, undated.pk]
    assert ids(f"?owner={personas.teammate.pk}") == [soon.pk]
    due_before = (today + datetime.timedelta(days=3)).isoformat()
    assert ids(f"?due_before={due_before}&status=open") == [late.pk, soon.pk]
    overdue_row = body(client.get("/api/v1/commitments?overdue=true", **headers))["results"][0]
    assert overdue_row["is_overdue"] is True

    url = "/api/v1/commitments?page_size=50"
    # The token, the count and the page with its owners.
    with django_assert_num_queries(3):
        assert len(body(client.get(url, **headers))["results"]) == 5


# Roadmaps: changing, cancelling, items


def test_add_move_and_remove_items(client: Client, personas: Personas) -> None:
    roadmap = start(personas)
    setup, adoption = roadmap.phases.order_by("position")
    headers = bearer(personas.owner)

    added = send(
        client,
        "post",
        f"/api/v1/roadmaps/{roadmap.pk}/items",
        {
            "phase_id": setup.pk,
            "title": "Data import",
            "due_on": "2026-11-20",
            "owner_user_id": personas.teammate.pk,
            "internal_notes": "Their CSV is messy.",
        },
        headers,
    )
    assert added.status_code == 201, added.content
    data = body(added)
    assert (data["start_on"], data["owner_side"], data["kind"]) == ("2026-11-20", "ours", "task")
    assert data["task_id"] is not None
    assert data["owner_user"]["id"] == personas.teammate.pk

    url = f"/api/v1/roadmap-items/{data['id']}"
    moved = send(
        client,
        "patch",
        url,
        {"version": data["version"], "phase_id": adoption.pk, "due_on": "2026-12-01"},
        headers,
    )
    assert moved.status_code == 200, moved.content
    assert (body(moved)["phase_id"], body(moved)["due_on"]) == (adoption.pk, "2026-12-01")
    stale = send(client, "patch", url, {"version": data["version"], "title": "x"}, headers)
    assert stale.status_code == 409
    client_side = send(
        client,
        "patch",
        url,
        {"owner_stakeholder_id": personas.stakeholder.pk, "owner_user_id": None},
        headers,
    )
    assert body(client_side)["owner_side"] == "client"

    assert client.delete(url, **bearer(personas.outsider)).status_code == 403
    assert client.delete(url, **headers).status_code == 204
    assert not RoadmapItem.objects.filter(pk=data["id"]).exists()


def test_items_refused_with_reasons(client: Client, personas: Personas) -> None:
    roadmap = start(personas)
    other = start(personas, account=personas.other_account, acting_user=personas.outsider)
    phase = roadmap.phases.order_by("position").first()
    assert phase is not None

    def add(**data: Any) -> Any:
        payload = {"phase_id": phase.pk, "title": "Step", "due_on": "2026-11-20", **data}
        return send(
            client, "post", f"/api/v1/roadmaps/{roadmap.pk}/items", payload, bearer(personas.owner)
        )

    assert "owner_user_id" in error_fields(add(owner_user_id=personas.outsider.pk))
    assert "owner_user_id" in error_fields(add(owner_user_id=personas.read_only.pk))
    foreign = StakeholderFactory(account=personas.other_account)
    assert "owner_stakeholder_id" in error_fields(add(owner_stakeholder_id=foreign.pk))
    assert "phase_id" in error_fields(add(phase_id=other.phases.first().pk))  # type: ignore[union-attr]
    assert "payload" in error_fields(add(start_on="2026-11-25"))
    assert "title" in error_fields(add(title=" "))
    assert roadmap.items.count() == 5


def test_rename_and_cancel_a_roadmap(client: Client, personas: Personas) -> None:
    roadmap = start(personas)
    headers = bearer(personas.owner)
    url = f"/api/v1/roadmaps/{roadmap.pk}"

    renamed = send(
        client,
        "patch",
        url,
        {"version": 1, "name": "Northwind onboarding", "client_summary": "Welcome aboard!"},
        headers,
    )
    assert (body(renamed)["name"], body(renamed)["client_summary"]) == (
        "Northwind onboarding",
        "Welcome aboard!",
    )
    assert send(client, "patch", url, {"version": 1, "name": "x"}, headers).status_code == 409
    assert client.post(f"{url}/cancel", **bearer(personas.outsider)).status_code == 403

    cancelled = client.post(f"{url}/cancel?version={body(renamed)['version']}", **headers)
    assert body(cancelled)["status"] == RoadmapStatus.CANCELLED
    kickoff = item(roadmap, "Kickoff call")
    assert kickoff.task is not None
    kickoff.task.refresh_from_db()
    assert kickoff.task.status == TaskStatus.CANCELLED
    refused = send(client, "patch", url, {"name": "Again"}, headers)
    assert "cancelled" in str(body(refused))


# Client links


def test_client_links_are_made_listed_and_revoked(client: Client, personas: Personas) -> None:
    roadmap = start(personas)
    headers = bearer(personas.owner)
    url = f"/api/v1/roadmaps/{roadmap.pk}/client-links"
    in_a_month = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()

    made = send(client, "post", url, {"expires_on": in_a_month}, headers)
    assert made.status_code == 201, made.content
    link = body(made)
    assert "/shared/roadmaps/" in link["url"]
    assert (link["state"], link["expires_on"]) == ("active", in_a_month)
    # The client opens it without signing in, and reads only the client-facing items.
    shared = Client().get(link["url"].split("localhost:8000", 1)[-1])
    assert shared.status_code == 200
    assert "Go-live" in shared.content.decode()
    assert "Internal margin review" not in shared.content.decode()

    listed = body(client.get(url, **bearer(personas.read_only)))
    assert [row["id"] for row in listed] == [link["id"]]
    assert "url" not in listed[0]
    too_late = (timezone.localdate() + datetime.timedelta(days=400)).isoformat()
    assert "expires_on" in error_fields(
        send(client, "post", url, {"expires_on": too_late}, headers)
    )
    assert send(client, "post", url, {}, bearer(personas.outsider)).status_code == 403

    revoked = client.delete(f"/api/v1/client-links/{link['id']}", **headers)
    assert body(revoked)["state"] == "revoked"
    assert Client().get(link["url"].split("localhost:8000", 1)[-1]).status_code in {404, 410}


# Handoffs


def executive() -> User:
    from rapport.core.tests.factories import UserFactory
    from rapport.users.choices import Role

    return UserFactory(email="ae@example.com", role=Role.ACCOUNT_EXECUTIVE)


def handoff_payload(personas: Personas, **extra: Any) -> dict[str, Any]:
    playbook = Playbook.objects.get(name="Mid-market onboarding")
    return {
        "new_account": {"name": "Tailspin Toys", "tier": "key"},
        "account_manager_id": personas.owner.pk,
        "what_was_sold": "Platform, 200 seats",
        "promises": "- Weekly report in French\n- Dedicated support line",
        "kickoff_date": MONDAY.isoformat(),
        "playbook_id": playbook.pk,
        **extra,
    }


def test_a_handoff_passes_the_gate_then_is_acknowledged(client: Client, personas: Personas) -> None:
    from rapport.roadmaps import handoffs

    seller = executive()
    headers = bearer(seller)
    created = send(client, "post", "/api/v1/handoffs", handoff_payload(personas), headers)
    assert created.status_code == 201, created.content
    draft = body(created)
    assert draft["status"] == "draft"
    assert draft["executive"]["id"] == seller.pk
    assert draft["gate"]["passed"] is False
    url = f"/api/v1/handoffs/{draft['id']}"

    # The gate refuses with exactly what is missing, and nothing changes.
    refused = client.post(f"{url}/submit", **headers)
    assert refused.status_code == 422, refused.content
    messages = [problem["msg"] for problem in body(refused)["detail"]]
    gate = handoffs.HandoffGate(decision_people=0, required=2, goals_written=False)
    assert messages == gate.problems() == draft["gate"]["problems"]
    assert body(client.get(url, **headers))["status"] == "draft"
    assert (
        not Commitment.objects.exists()
        and not Roadmap.objects.filter(account_id=draft["account_id"]).exists()
    )

    # Two decision makers and the goals: the gate opens.
    for name in ("Grace", "Alan"):
        StakeholderFactory(
            account_id=draft["account_id"], first_name=name, decision_roles=["decision_maker"]
        )
    goals = send(
        client,
        "patch",
        url,
        {"client_goals": "Cut onboarding time by half.", "version": 1},
        headers,
    )
    assert body(goals)["gate"] == {
        "passed": True,
        "decision_people": 2,
        "required": 2,
        "goals_written": True,
        "problems": [],
    }
    submitted = client.post(f"{url}/submit?version=2", **headers)
    assert submitted.status_code == 200, submitted.content
    data = body(submitted)
    assert (data["status"], data["gate"]) == ("submitted", None)
    roadmap = Roadmap.objects.get(pk=data["roadmap_id"])
    assert roadmap.account.owner == personas.owner
    assert roadmap.start_date == MONDAY
    promises = body(client.get(f"/api/v1/commitments?handoff={data['id']}", **headers))
    assert [row["title"] for row in promises["results"]] == [
        "Weekly report in French",
        "Dedicated support line",
    ]
    assert send(client, "patch", url, {"risks": "None"}, headers).status_code == 422

    # Only the account manager it names may acknowledge it.
    for someone in (seller, personas.head, personas.admin, personas.outsider):
        other = send(client, "post", f"{url}/acknowledge", {"note": "Mine"}, bearer(someone))
        assert other.status_code == 403, someone
    waiting = client.get("/api/v1/handoffs?waiting_for_me=true", **bearer(personas.owner))
    assert [row["id"] for row in body(waiting)["results"]] == [data["id"]]
    acknowledged = send(
        client, "post", f"{url}/acknowledge", {"note": " On it. "}, bearer(personas.owner)
    )
    assert acknowledged.status_code == 200, acknowledged.content
    assert (body(acknowledged)["status"], body(acknowledged)["acknowledgement_note"]) == (
        "acknowledged",
        "On it.",
    )
    again = send(client, "post", f"{url}/acknowledge", {}, bearer(personas.owner))
    assert again.status_code == 422


def test_handoff_drafts_refused_and_private(client: Client, personas: Personas) -> None:
    seller = executive()
    headers = bearer(seller)

    def create(user: User = seller, **extra: Any) -> Any:
        return send(
            client, "post", "/api/v1/handoffs", handoff_payload(personas, **extra), bearer(user)
        )

    assert create(personas.owner).status_code == 403
    assert "account_id" in error_fields(create(account_id=personas.account.pk))
    assert "account_manager_id" in error_fields(create(account_manager_id=personas.teammate.pk))
    renewal = Playbook.objects.get(name="Renewal")
    assert "playbook_id" in error_fields(create(playbook_id=renewal.pk))
    assert "account_id" in error_fields(create(new_account=None))
    assert not Account.objects.filter(name="Tailspin Toys").exists()

    draft = body(create())
    # A draft is its author's (and the managers of the book's) alone.
    assert (
        client.get(f"/api/v1/handoffs/{draft['id']}", **bearer(personas.owner)).status_code == 404
    )
    assert client.get(f"/api/v1/handoffs/{draft['id']}", **bearer(personas.head)).status_code == 200
    mine = body(client.get("/api/v1/handoffs?status=draft", **headers))["results"]
    assert [row["id"] for row in mine] == [draft["id"]]
    assert body(client.get("/api/v1/handoffs", **bearer(personas.owner)))["count"] == 0


# Reassignment


def test_preview_and_move_a_whole_book(client: Client, personas: Personas) -> None:
    from rapport.communications import services as communications

    extra = [AccountFactory(owner=personas.owner, name=f"Book {index}") for index in range(3)]
    task = communications.task_create(
        acting_user=personas.owner,
        data={"title": "Send the quote", "account": personas.account, "assignee": personas.owner},
    )
    promise = services.commitment_create(
        acting_user=personas.owner, account=personas.account, data={"title": "Monthly report"}
    )
    headers = bearer(personas.head)
    split = {
        "from_user_id": personas.owner.pk,
        "receiver_ids": [personas.outsider.pk, personas.head.pk],
    }

    preview = send(client, "post", "/api/v1/reassignments/preview", split, headers)
    assert preview.status_code == 200, preview.content
    loads = {row["user"]["id"]: row["accounts"] for row in body(preview)["receivers"]}
    assert loads == {personas.outsider.pk: 2, personas.head.pk: 2}
    assert body(preview)["problems"] == []
    assert Account.objects.filter(owner=personas.owner).count() == 4

    warned = send(
        client,
        "post",
        "/api/v1/reassignments/preview",
        {
            "account_ids": [personas.account.pk],
            "receiver_ids": [personas.owner.pk, personas.read_only.pk],
        },
        headers,
    )
    assert body(warned)["problems"] == [
        f"{personas.read_only} is a read-only user and cannot hold accounts.",
    ]
    not_a_manager = send(
        client, "post", "/api/v1/reassignments/preview", split, bearer(personas.owner)
    )
    assert not_a_manager.status_code == 403
    moved = send(client, "post", "/api/v1/reassignments", {**split, "reason": "Left"}, headers)
    assert moved.status_code == 201, moved.content
    result = body(moved)
    assert len(result["moves"]) == 4
    assert {row["from_user"]["id"] for row in result["moves"]} == {personas.owner.pk}
    assert result["moves"][0]["brief_url"].startswith("/")
    assert (result["tasks"], result["commitments"]) == (1, 1)
    assert not Account.objects.filter(owner=personas.owner).exists()
    task.refresh_from_db()
    promise.refresh_from_db()
    new_owner = Account.objects.get(pk=personas.account.pk).owner
    assert task.assignee == promise.owner == new_owner
    listed = client.get(f"/api/v1/reassignments?batch={result['batch']}", **headers)
    assert body(listed)["count"] == 4
    assert {account.pk for account in extra} < {
        row["account_id"] for row in body(listed)["results"]
    }


def test_a_refused_reassignment_changes_nothing(client: Client, personas: Personas) -> None:
    from rapport.core.tests.factories import UserFactory

    second = AccountFactory(owner=personas.owner, name="Second")
    gone = UserFactory(is_active=False)

    def move(payload: dict[str, Any], user: User = personas.head) -> Any:
        return send(client, "post", "/api/v1/reassignments", payload, bearer(user))

    accounts = {"account_ids": [personas.account.pk, second.pk]}
    read_only = move({**accounts, "receiver_ids": [personas.read_only.pk]})
    assert read_only.status_code == 422
    assert "read-only" in str(body(read_only))
    deactivated = move({**accounts, "receiver_ids": [gone.pk]})
    assert "can no longer sign in" in str(body(deactivated))
    assert (
        move({**accounts, "receiver_ids": [personas.outsider.pk]}, personas.owner).status_code
        == 403
    )
    # The second account changed since it was read: the first, already moved, moves back.
    stale = move(
        {
            "moves": [
                {"account_id": personas.account.pk, "to_user_id": personas.outsider.pk},
                {"account_id": second.pk, "to_user_id": personas.outsider.pk, "version": 99},
            ]
        }
    )
    assert stale.status_code == 409
    assert set(
        Account.objects.filter(pk__in=[personas.account.pk, second.pk]).values_list(
            "owner", flat=True
        )
    ) == {personas.owner.pk}
    from rapport.roadmaps.models import Reassignment

    assert not Reassignment.objects.exists()
    mixed = move(
        {
            **accounts,
            "receiver_ids": [personas.outsider.pk],
            "moves": [{"account_id": second.pk, "to_user_id": personas.outsider.pk}],
        }
    )
    assert "moves" in error_fields(mixed)


# Continuity risk


def test_continuity_risk_per_account_and_person(client: Client, personas: Personas) -> None:
    from rapport.stakeholders.models import RelationshipOwner

    shared = StakeholderFactory(account=personas.account, first_name="Grace")
    RelationshipOwner.objects.create(stakeholder=personas.stakeholder, user=personas.owner)
    RelationshipOwner.objects.create(stakeholder=shared, user=personas.owner)
    RelationshipOwner.objects.create(stakeholder=shared, user=personas.teammate)

    account = body(
        client.get(
            f"/api/v1/accounts/{personas.account.pk}/continuity-risk", **bearer(personas.read_only)
        )
    )
    assert (account["relationships"], account["single_held"], account["share"]) == (2, 1, 50)
    assert account["needs_owner"] is False
    assert account["holders"][0]["user"]["id"] == personas.owner.pk
    assert [person["name"] for person in account["holders"][0]["stakeholders"]] == ["Ada Lovelace"]

    url = f"/api/v1/users/{personas.owner.pk}/continuity-risk"
    mine = body(client.get(url, **bearer(personas.owner)))
    assert (mine["held"], mine["sole"], mine["share"]) == (2, 1, 50)
    assert mine["accounts"] == [
        {"account_id": personas.account.pk, "name": "Northwind Traders", "count": 1}
    ]
    assert client.get(url, **bearer(personas.teammate)).status_code == 403
    teammate = body(
        client.get(f"/api/v1/users/{personas.teammate.pk}/continuity-risk", **bearer(personas.head))
    )
    assert (teammate["held"], teammate["sole"], teammate["accounts"]) == (1, 0, [])

    people = body(client.get("/api/v1/continuity-risk/people", **bearer(personas.head)))
    assert [row["user"]["id"] for row in people["results"]] == [personas.owner.pk]
    accounts = body(client.get("/api/v1/continuity-risk/accounts", **bearer(personas.head)))
    assert [(row["account_id"], row["share"]) for row in accounts["results"]] == [
        (personas.account.pk, 50)
    ]
    assert client.get("/api/v1/continuity-risk/people", **bearer(personas.owner)).status_code == 403


def test_handoffs_and_reassignments_lists_run_a_fixed_number_of_queries(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    from rapport.roadmaps import continuity, handoffs

    seller = executive()
    playbook = Playbook.objects.get(name="Mid-market onboarding")

    def hand_over(name: str) -> None:
        handoffs.handoff_record(
            acting_user=seller,
            handoff=None,
            account=None,
            new_account={"name": name, "tier": "growth", "segment": "mid_market", "domain": ""},
            data={
                "account_manager": personas.owner,
                "what_was_sold": "Seats",
                "kickoff_date": MONDAY,
                "playbook": playbook,
            },
        )

    def move(account: Account) -> None:
        continuity.reassign_accounts(
            acting_user=personas.head,
            moves=[continuity.Move(account=account, to_user=personas.outsider)],
        )

    headers = bearer(personas.head)
    hand_over("First")
    move(personas.account)
    client.get("/api/v1/handoffs", **headers)
    # The token, the count and the page (with the people of each row).
    with django_assert_num_queries(3):
        assert body(client.get("/api/v1/handoffs", **headers))["count"] == 1
    with django_assert_num_queries(3):
        assert body(client.get("/api/v1/reassignments", **headers))["count"] == 1
    for index in range(4):
        hand_over(f"Client {index}")
        move(AccountFactory(owner=personas.owner))
    with django_assert_num_queries(3):
        assert body(client.get("/api/v1/handoffs", **headers))["count"] == 5
    with django_assert_num_queries(3):
        assert body(client.get("/api/v1/reassignments", **headers))["count"] == 5
