"""Touchpoints, tasks, timelines and cadences over the REST API, by personal tokens."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from rapport.accounts.choices import Tier
from rapport.accounts.models import Account
from rapport.communications import services, timeline
from rapport.communications.choices import (
    CadenceKind,
    Sentiment,
    TaskStatus,
    TouchpointKind,
    TouchpointSource,
)
from rapport.communications.models import CadenceDefault, CadenceRule, Task, Touchpoint
from rapport.core.tests.factories import AccountFactory, StakeholderFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.services import stakeholder_delete
from rapport.stakeholders.tests.test_api import bearer, body, send
from rapport.users.models import User

# The timeline asks every registered source once; later capabilities add theirs.
OTHER_TIMELINE_SOURCES = len(timeline.sources()) - 2

pytestmark = pytest.mark.django_db

# Who may log an exchange (anyone who may write) and who may then change it (whoever logged
# it and whoever may edit the account).
WRITERS = ("owner", "teammate", "outsider", "head", "admin")
ACCOUNT_EDITORS = ("owner", "teammate", "head", "admin")


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def log(
    personas: Personas,
    *,
    days_ago: float = 1,
    kind: str = TouchpointKind.CALL,
    subject: str = "Quarterly check-in",
    acting_user: User | None = None,
    account: Account | None = None,
    stakeholders: Sequence[Any] | None = None,
    users: Sequence[User] | None = None,
    **data: Any,
) -> Touchpoint:
    return services.touchpoint_create(
        acting_user=acting_user or personas.owner,
        account=account or personas.account,
        data={"kind": kind, "subject": subject, "occurred_at": ago(days_ago), **data},
        stakeholders=[personas.stakeholder] if stakeholders is None else stakeholders,
        users=users,
    )


def task(personas: Personas, *, title: str = "Send the proposal", **data: Any) -> Task:
    acting = data.pop("acting_user", personas.owner)
    return services.task_create(
        acting_user=acting, data={"title": title, "account": personas.account, **data}
    )


def error_fields(response: Any) -> dict[str, str]:
    """The field each 422 message is about (even inside a union of types) and the messages."""
    assert response.status_code == 422, response.content
    fields: dict[str, str] = {}
    for item in body(response)["detail"]:
        location = item["loc"]
        field = str(location[2] if location[0] == "body" else location[1])
        fields[field] = f"{fields.get(field, '')} {item['msg']}".strip()
    return fields


def subjects(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["subject"] for row in body(response)["results"]]


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in body(response)["results"]]


# Touchpoints: reading


def test_touchpoints_list_newest_first_with_participants(
    client: Client, personas: Personas
) -> None:
    log(personas, days_ago=5, subject="Kick-off")
    log(personas, days_ago=1, subject="Follow-up", users=[personas.owner, personas.teammate])

    response = client.get("/api/v1/touchpoints?page_size=1", **bearer(personas.read_only))

    data = body(response)
    assert (data["count"], data["page"], data["pages"]) == (2, 1, 2)
    first = data["results"][0]
    assert first["subject"] == "Follow-up"
    assert first["account_id"] == personas.account.pk
    assert [person["name"] for person in first["stakeholders"]] == ["Ada Lovelace"]
    assert {user["id"] for user in first["users"]} == {personas.owner.pk, personas.teammate.pk}
    assert first["source"] == TouchpointSource.MANUAL
    assert first["version"] == 1


def test_touchpoints_list_filters(client: Client, personas: Personas) -> None:
    other_person = StakeholderFactory(account=personas.account, first_name="Grace")
    log(personas, days_ago=20, subject="Old call")
    log(
        personas,
        days_ago=3,
        kind=TouchpointKind.MEETING,
        subject="Tense meeting",
        sentiment=Sentiment.NEGATIVE,
        stakeholders=[other_person],
        users=[personas.teammate],
    )
    log(personas, days_ago=2, subject="Elsewhere", account=personas.other_account, stakeholders=[])
    headers = bearer(personas.outsider)

    def listed(query: str) -> list[str]:
        return subjects(client.get(f"/api/v1/touchpoints?{query}", **headers))

    assert listed(f"account={personas.other_account.pk}") == ["Elsewhere"]
    assert listed("kind=meeting") == ["Tense meeting"]
    assert listed("sentiment=negative") == ["Tense meeting"]
    assert listed(f"stakeholder={personas.stakeholder.pk}") == ["Old call"]
    assert listed(f"user={personas.teammate.pk}") == ["Tense meeting"]
    after = (timezone.now() - datetime.timedelta(days=10)).isoformat()
    before = (timezone.now() - datetime.timedelta(days=2, hours=12)).isoformat()
    assert listed(f"occurred_after={after.replace('+', '%2B')}") == ["Elsewhere", "Tense meeting"]
    assert listed(f"occurred_before={before.replace('+', '%2B')}") == ["Tense meeting", "Old call"]
    assert client.get("/api/v1/touchpoints?kind=fax", **headers).status_code == 422
    # A time without its zone is ambiguous: refused rather than guessed.
    assert (
        client.get("/api/v1/touchpoints?occurred_after=2026-01-01T00:00", **headers).status_code
        == 422
    )


def test_touchpoints_list_runs_a_fixed_number_of_queries(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    headers = bearer(personas.owner)
    url = "/api/v1/touchpoints?page_size=50"
    client.get(url, **headers)  # the first call notes when the token was used
    log(personas)
    # The token, the count, the page, its client participants and ours.
    with django_assert_num_queries(5):
        assert client.get(url, **headers).status_code == 200
    for index in range(6):
        person = StakeholderFactory(account=personas.account)
        log(personas, days_ago=index, stakeholders=[person], users=[UserFactory()])
    with django_assert_num_queries(5):
        assert len(body(client.get(url, **headers))["results"]) == 7


def test_get_touchpoint_and_unknown_one(client: Client, personas: Personas) -> None:
    touchpoint = log(personas, notes="**Budget** agreed", outcome="Go", next_steps="Send SOW")
    headers = bearer(personas.read_only)

    found = client.get(f"/api/v1/touchpoints/{touchpoint.pk}", **headers)
    missing = client.get("/api/v1/touchpoints/999999", **headers)

    data = body(found)
    assert (data["notes"], data["outcome"], data["next_steps"]) == (
        "**Budget** agreed",
        "Go",
        "Send SOW",
    )
    assert (missing.status_code, body(missing)) == (404, {"detail": "Not found."})


# Touchpoints: writing


@pytest.mark.parametrize("persona", (*WRITERS, "read_only"))
def test_create_touchpoint(client: Client, personas: Personas, persona: str) -> None:
    user: User = getattr(personas, persona)
    when = ago(2).replace(microsecond=0)
    payload = {
        "account_id": personas.account.pk,
        "kind": "call",
        "subject": "  Renewal call  ",
        "occurred_at": when.isoformat(),
        "duration_minutes": 30,
        "sentiment": "positive",
        "stakeholder_ids": [personas.stakeholder.pk],
    }

    response = send(client, "post", "/api/v1/touchpoints", payload, bearer(user))

    if persona == "read_only":
        assert response.status_code == 403
        assert not Touchpoint.objects.exists()
        return
    assert response.status_code == 201, response.content
    touchpoint = Touchpoint.objects.get(pk=body(response)["id"])
    assert (touchpoint.subject, touchpoint.source, touchpoint.logged_by) == (
        "Renewal call",
        TouchpointSource.API,
        user,
    )
    assert list(touchpoint.users.all()) == [user]
    assert body(response)["users"][0]["id"] == user.pk
    record = touchpoint.history.first()
    assert record is not None and record.history_user == user
    personas.account.refresh_from_db()
    personas.stakeholder.refresh_from_db()
    assert personas.account.last_contact_at == when
    assert personas.stakeholder.last_contact_at == when


def test_create_touchpoint_defaults_to_now_and_takes_our_participants(
    client: Client, personas: Personas
) -> None:
    payload = {
        "account_id": personas.account.pk,
        "kind": "note",
        "subject": "Org change heard",
        "user_ids": [personas.teammate.pk, personas.head.pk],
    }
    before = timezone.now()

    response = send(client, "post", "/api/v1/touchpoints", payload, bearer(personas.owner))

    assert response.status_code == 201, response.content
    touchpoint = Touchpoint.objects.get()
    assert before <= touchpoint.occurred_at <= timezone.now()
    assert set(touchpoint.users.all()) == {personas.teammate, personas.head}
    assert not touchpoint.stakeholders.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subject": "   "}, "subject", "String should have at least 1 character"),
        ({"kind": "fax"}, "kind", "Input should be"),
        ({"sentiment": "ecstatic"}, "sentiment", "Input should be"),
        ({"duration_minutes": 99999}, "duration_minutes", "less than or equal to 10080"),
        ({"account_id": 999999}, "account_id", "No record has the id 999999."),
        ({"stakeholder_ids": [999998, 999999]}, "stakeholder_ids", "999998, 999999"),
        ({"user_ids": [999999]}, "user_ids", "No record has the id 999999."),
        ({"occurred_at": "2026-03-01T10:00:00"}, "occurred_at", "timezone"),
        ({"occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at", "out of range"),
        ({"occurred_at": "1066-10-14T09:00:00Z"}, "occurred_at", "between 1900 and 2200"),
    ],
)
def test_create_touchpoint_refuses_bad_input_field_by_field(
    client: Client, personas: Personas, changes: dict[str, Any], field: str, message: str
) -> None:
    payload = {"account_id": personas.account.pk, "kind": "call", "subject": "Call"} | changes

    response = send(client, "post", "/api/v1/touchpoints", payload, bearer(personas.owner))

    errors = error_fields(response)
    assert field in errors, errors
    assert message in errors[field]
    assert not Touchpoint.objects.exists()


def test_create_touchpoint_refuses_a_person_in_the_trash(
    client: Client, personas: Personas
) -> None:
    gone = StakeholderFactory(account=personas.account)
    stakeholder_delete(stakeholder=gone, acting_user=personas.owner)
    payload = {
        "account_id": personas.account.pk,
        "kind": "call",
        "subject": "Call",
        "stakeholder_ids": [gone.pk],
    }

    response = send(client, "post", "/api/v1/touchpoints", payload, bearer(personas.owner))

    assert "is in the trash" in error_fields(response)["stakeholder_ids"]
    assert not Touchpoint.objects.exists()


@pytest.mark.parametrize("persona", (*ACCOUNT_EDITORS, "outsider", "read_only"))
def test_update_touchpoint(client: Client, personas: Personas, persona: str) -> None:
    touchpoint = log(personas, subject="Call")
    grace = StakeholderFactory(account=personas.account, first_name="Grace")
    payload = {"version": 1, "subject": "Call about the renewal", "stakeholder_ids": [grace.pk]}

    response = send(
        client,
        "patch",
        f"/api/v1/touchpoints/{touchpoint.pk}",
        payload,
        bearer(getattr(personas, persona)),
    )

    touchpoint.refresh_from_db()
    if persona in ACCOUNT_EDITORS:
        assert response.status_code == 200, response.content
        assert body(response)["version"] == 2
        assert [person["id"] for person in body(response)["stakeholders"]] == [grace.pk]
        assert (touchpoint.subject, list(touchpoint.stakeholders.all())) == (
            "Call about the renewal",
            [grace],
        )
        grace.refresh_from_db()
        personas.stakeholder.refresh_from_db()
        assert grace.last_contact_at == touchpoint.occurred_at
        assert personas.stakeholder.last_contact_at is None
    else:
        assert response.status_code == 403
        assert (touchpoint.subject, touchpoint.version) == ("Call", 1)


def test_whoever_logged_a_touchpoint_may_change_it(client: Client, personas: Personas) -> None:
    touchpoint = log(personas, acting_user=personas.outsider)

    response = send(
        client,
        "patch",
        f"/api/v1/touchpoints/{touchpoint.pk}",
        {"outcome": "Agreed on a pilot"},
        bearer(personas.outsider),
    )

    assert response.status_code == 200, response.content
    assert body(response)["outcome"] == "Agreed on a pilot"


def test_update_touchpoint_with_a_stale_version_is_refused(
    client: Client, personas: Personas
) -> None:
    touchpoint = log(personas, subject="Call")
    services.touchpoint_update(
        touchpoint=touchpoint,
        acting_user=personas.teammate,
        data={"subject": "Their change"},
        expected_version=1,
    )

    response = send(
        client,
        "patch",
        f"/api/v1/touchpoints/{touchpoint.pk}",
        {"version": 1, "subject": "Mine"},
        bearer(personas.owner),
    )

    assert response.status_code == 409
    assert body(response)["current_version"] == 2
    touchpoint.refresh_from_db()
    assert touchpoint.subject == "Their change"


def test_update_touchpoint_validates_through_the_model(client: Client, personas: Personas) -> None:
    touchpoint = log(personas)

    response = send(
        client,
        "patch",
        f"/api/v1/touchpoints/{touchpoint.pk}",
        {"kind": None, "subject": None},
        bearer(personas.owner),
    )

    assert set(error_fields(response)) == {"kind", "subject"}


@pytest.mark.parametrize("persona", ("owner", "outsider"))
def test_delete_touchpoint(client: Client, personas: Personas, persona: str) -> None:
    older = log(personas, days_ago=9)
    newer = log(personas, days_ago=1)

    response = client.delete(
        f"/api/v1/touchpoints/{newer.pk}", **bearer(getattr(personas, persona))
    )

    personas.account.refresh_from_db()
    if persona == "owner":
        assert response.status_code == 204
        assert not Touchpoint.objects.filter(pk=newer.pk).exists()
        assert personas.account.last_contact_at == older.occurred_at
    else:
        assert response.status_code == 403
        assert personas.account.last_contact_at == newer.occurred_at


# The account timeline


def timeline_url(personas: Personas, query: str = "") -> str:
    return f"/api/v1/accounts/{personas.account.pk}/timeline?{query}"


def test_timeline_merges_touchpoints_and_tasks_newest_first(
    client: Client, personas: Personas
) -> None:
    call = log(personas, days_ago=3, subject="Call", sentiment=Sentiment.NEUTRAL)
    follow_up = task(personas, title="Send the deck", touchpoint=call)
    log(personas, days_ago=10, subject="Visit", kind=TouchpointKind.SITE_VISIT)
    log(personas, days_ago=1, subject="Elsewhere", account=personas.other_account)

    response = client.get(timeline_url(personas), **bearer(personas.read_only))

    assert response.status_code == 200, response.content
    data = body(response)
    assert [(event["source"], event["title"]) for event in data["events"]] == [
        ("task", "Send the deck"),
        ("touchpoint", "Call"),
        ("touchpoint", "Visit"),
    ]
    assert data["next_cursor"] is None
    task_event, call_event, _visit = data["events"]
    assert task_event["url"] == follow_up.get_absolute_url()
    assert task_event["summary"] == {
        "title": "Send the deck",
        "status": "open",
        "due_on": None,
        "assignee_id": personas.owner.pk,
        "touchpoint_id": call.pk,
        "completed_at": None,
    }
    assert (call_event["id"], call_event["kind"], call_event["url"]) == (
        call.pk,
        "call",
        call.get_absolute_url(),
    )
    assert call_event["summary"]["stakeholder_ids"] == [personas.stakeholder.pk]
    assert call_event["summary"]["user_ids"] == [personas.owner.pk]
    assert call_event["summary"]["sentiment"] == "neutral"


def test_timeline_filters_by_kind_and_person(client: Client, personas: Personas) -> None:
    grace = StakeholderFactory(account=personas.account, first_name="Grace")
    log(personas, days_ago=4, subject="Call with Ada")
    log(
        personas,
        days_ago=3,
        subject="Mail to Grace",
        kind=TouchpointKind.EMAIL,
        stakeholders=[grace],
    )
    log(
        personas,
        days_ago=2,
        subject="Teammate's chat",
        kind=TouchpointKind.CHAT,
        users=[personas.teammate],
    )
    task(personas, title="Call Grace back", assignee=personas.teammate)
    headers = bearer(personas.owner)

    def listed(query: str) -> list[str]:
        response = client.get(timeline_url(personas, query), **headers)
        assert response.status_code == 200, response.content
        return [event["title"] for event in body(response)["events"]]

    assert listed("kind=email&kind=call") == ["Mail to Grace", "Call with Ada"]
    assert listed("kind=task") == ["Call Grace back"]
    assert listed(f"stakeholder={grace.pk}") == ["Mail to Grace"]
    assert listed(f"user={personas.teammate.pk}") == ["Call Grace back", "Teammate's chat"]
    assert client.get(timeline_url(personas, "kind=fax"), **headers).status_code == 422


def test_timeline_pages_with_a_cursor(client: Client, personas: Personas) -> None:
    same_time = ago(5)
    for index in range(5):
        log(personas, subject=f"Call {index}", occurred_at=same_time if index < 3 else ago(index))
    headers = bearer(personas.owner)

    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        response = client.get(timeline_url(personas, f"limit=2&before={cursor}"), **headers)
        data = body(response)
        seen.extend(event["title"] for event in data["events"])
        pages += 1
        if data["next_cursor"] is None:
            break
        cursor = data["next_cursor"]

    assert pages == 3
    assert seen == ["Call 3", "Call 4", "Call 2", "Call 1", "Call 0"]
    assert client.get(timeline_url(personas, "before=garbage"), **headers).status_code == 422
    missing = client.get("/api/v1/accounts/999999/timeline", **headers)
    assert missing.status_code == 404


def test_timeline_runs_a_fixed_number_of_queries(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    headers = bearer(personas.owner)
    url = timeline_url(personas, "limit=50")
    client.get(url, **headers)
    log(personas)
    # The token, the account, the touchpoints with their two kinds of participants, the tasks.
    with django_assert_num_queries(6 + OTHER_TIMELINE_SOURCES):
        assert client.get(url, **headers).status_code == 200
    for index in range(6):
        call = log(
            personas, days_ago=index, stakeholders=[StakeholderFactory(account=personas.account)]
        )
        task(personas, touchpoint=call, assignee=UserFactory())
    with django_assert_num_queries(6 + OTHER_TIMELINE_SOURCES):
        assert len(body(client.get(url, **headers))["events"]) == 13


class MilestoneEvents:
    """A capability added later, with its own events and its own summary."""

    name = "milestone"

    def kinds(self) -> list[tuple[str, str]]:
        return [("milestone", "Milestone")]

    def events(
        self,
        *,
        account: Account,
        filters: timeline.TimelineFilters,
        before: timeline.Cursor | None,
        limit: int,
    ) -> list[timeline.TimelineEvent]:
        if not filters.wants("milestone"):
            return []
        return [
            timeline.TimelineEvent(
                when=ago(2), source=self.name, pk=7, kind="milestone", template="", obj="Go-live"
            )
        ]

    def summary(self, event: timeline.TimelineEvent) -> dict[str, Any]:
        return {"phase": "onboarding"}


def test_timeline_shows_events_of_sources_registered_later(
    client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(timeline._sources, "milestone", MilestoneEvents())
    log(personas, days_ago=3, subject="Call")

    response = client.get(timeline_url(personas), **bearer(personas.owner))
    only = client.get(timeline_url(personas, "kind=milestone"), **bearer(personas.owner))

    events = body(response)["events"]
    assert [(event["source"], event["title"]) for event in events] == [
        ("milestone", "Go-live"),
        ("touchpoint", "Call"),
    ]
    assert events[0]["summary"] == {"phase": "onboarding"}
    assert events[0]["url"] is None
    assert [event["source"] for event in body(only)["events"]] == ["milestone"]


# Tasks


def test_tasks_list_filters(client: Client, personas: Personas) -> None:
    today = timezone.localdate()
    task(personas, title="Late", due_on=today - datetime.timedelta(days=2))
    task(personas, title="This week", due_on=today + datetime.timedelta(days=3))
    task(personas, title="Someday")
    done = task(personas, title="Done", due_on=today - datetime.timedelta(days=5))
    services.task_set_status(task=done, acting_user=personas.owner, status=TaskStatus.DONE)
    task(personas, title="Teammate's", assignee=personas.teammate, account=personas.other_account)
    headers = bearer(personas.read_only)

    def listed(query: str) -> list[str]:
        return titles(client.get(f"/api/v1/tasks?{query}", **headers))

    assert listed("") == ["Done", "Late", "This week", "Someday", "Teammate's"]
    assert listed("status=open") == ["Late", "This week", "Someday", "Teammate's"]
    assert listed(f"assignee={personas.teammate.pk}") == ["Teammate's"]
    assert listed("assignee=999999") == []
    assert listed(f"account={personas.other_account.pk}") == ["Teammate's"]
    assert listed(f"due_before={today.isoformat()}") == ["Done", "Late"]
    assert listed(f"due_after={today.isoformat()}") == ["This week"]
    assert listed("overdue=true") == ["Late"]
    assert listed("overdue=false") == ["Done", "This week", "Someday", "Teammate's"]
    late = body(client.get("/api/v1/tasks?overdue=true", **headers))["results"][0]
    assert late["is_overdue"] is True
    assert client.get("/api/v1/tasks?status=later", **headers).status_code == 422


def test_tasks_list_runs_a_fixed_number_of_queries(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    headers = bearer(personas.owner)
    url = "/api/v1/tasks?page_size=50"
    client.get(url, **headers)
    task(personas)
    # The token, the count and the page with its assignees.
    with django_assert_num_queries(3):
        assert client.get(url, **headers).status_code == 200
    for _index in range(6):
        task(personas, assignee=UserFactory(), account=AccountFactory())
    with django_assert_num_queries(3):
        assert len(body(client.get(url, **headers))["results"]) == 7


@pytest.mark.parametrize("persona", (*WRITERS, "read_only"))
def test_create_task(client: Client, personas: Personas, persona: str) -> None:
    user: User = getattr(personas, persona)
    call = log(personas)
    payload = {"title": "Send the deck", "touchpoint_id": call.pk, "due_on": "2026-05-04"}

    response = send(client, "post", "/api/v1/tasks", payload, bearer(user))

    if persona == "read_only":
        assert response.status_code == 403
        assert not Task.objects.exists()
        return
    assert response.status_code == 201, response.content
    created = Task.objects.get(pk=body(response)["id"])
    assert (created.assignee, created.created_by, created.account) == (user, user, personas.account)
    assert created.due_on == datetime.date(2026, 5, 4)
    assert body(response)["assignee"]["id"] == user.pk
    record = created.history.first()
    assert record is not None and record.history_user == user


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "at least 1 character"),
        ({"assignee_id": 999999}, "assignee_id", "No record has the id 999999."),
        ({"assignee": "read_only"}, "assignee_id", "read-only"),
        ({"touchpoint": "elsewhere"}, "touchpoint_id", "another account"),
        ({"due_on": "2026-02-30"}, "due_on", "date"),
        ({"due_on": "0001-01-01"}, "due_on", "between 1900 and 2200"),
    ],
)
def test_create_task_refuses_bad_input_field_by_field(
    client: Client, personas: Personas, changes: dict[str, Any], field: str, message: str
) -> None:
    payload: dict[str, Any] = {"title": "Follow up", "account_id": personas.account.pk}
    if changes.pop("assignee", None) == "read_only":
        payload["assignee_id"] = personas.read_only.pk
    if changes.pop("touchpoint", None) == "elsewhere":
        payload["touchpoint_id"] = log(personas, account=personas.other_account).pk
    payload |= changes

    response = send(client, "post", "/api/v1/tasks", payload, bearer(personas.owner))

    errors = error_fields(response)
    assert field in errors, errors
    assert message in errors[field]
    assert not Task.objects.exists()


@pytest.mark.parametrize("persona", ("owner", "teammate", "head", "outsider", "read_only"))
def test_update_task(client: Client, personas: Personas, persona: str) -> None:
    follow_up = task(personas, acting_user=personas.teammate)

    response = send(
        client,
        "patch",
        f"/api/v1/tasks/{follow_up.pk}",
        {"version": 1, "title": "Send the signed deck", "assignee_id": personas.owner.pk},
        bearer(getattr(personas, persona)),
    )

    follow_up.refresh_from_db()
    if persona in {"owner", "teammate", "head"}:
        assert response.status_code == 200, response.content
        assert (follow_up.title, follow_up.assignee, follow_up.version) == (
            "Send the signed deck",
            personas.owner,
            2,
        )
    else:
        assert response.status_code == 403
        assert follow_up.version == 1


def test_update_task_with_a_stale_version_is_refused(client: Client, personas: Personas) -> None:
    follow_up = task(personas)
    services.task_update(
        task=follow_up, acting_user=personas.owner, data={"title": "Theirs"}, expected_version=1
    )

    response = send(
        client,
        "patch",
        f"/api/v1/tasks/{follow_up.pk}",
        {"version": 1, "title": "Mine"},
        bearer(personas.owner),
    )

    assert response.status_code == 409
    assert body(response)["current_version"] == 2


def test_complete_reopen_and_cancel_a_task(client: Client, personas: Personas) -> None:
    follow_up = task(personas)
    headers = bearer(personas.teammate)

    done = client.post(f"/api/v1/tasks/{follow_up.pk}/complete", **headers)
    again = client.post(f"/api/v1/tasks/{follow_up.pk}/complete", **headers)
    reopened = client.post(f"/api/v1/tasks/{follow_up.pk}/reopen", **headers)
    cancelled = send(
        client, "patch", f"/api/v1/tasks/{follow_up.pk}", {"status": "cancelled"}, headers
    )
    refused = client.post(f"/api/v1/tasks/{follow_up.pk}/reopen", **bearer(personas.outsider))

    assert body(done)["status"] == "done"
    assert body(done)["completed_by_id"] == personas.teammate.pk
    assert body(done)["completed_at"] is not None
    assert body(again)["version"] == body(done)["version"]
    assert (body(reopened)["status"], body(reopened)["completed_at"]) == ("open", None)
    assert body(cancelled)["status"] == "cancelled"
    assert refused.status_code == 403
    assert client.post("/api/v1/tasks/999999/complete", **headers).status_code == 404


# Cadence rules


def rule_of(account: Account, kind: str = CadenceKind.CHECK_IN) -> CadenceRule:
    return CadenceRule.objects.get(account=account, kind=kind)


def test_cadence_rules_list_for_the_book_and_filters(client: Client, personas: Personas) -> None:
    today = timezone.localdate()
    late = rule_of(personas.account)
    CadenceRule.objects.filter(pk=late.pk).update(next_due_on=today - datetime.timedelta(days=3))
    soon = rule_of(personas.other_account)
    CadenceRule.objects.filter(pk=soon.pk).update(next_due_on=today + datetime.timedelta(days=2))
    headers = bearer(personas.owner)

    def listed(query: str) -> list[tuple[int, str]]:
        response = client.get(f"/api/v1/cadence-rules?{query}", **headers)
        assert response.status_code == 200, response.content
        return [(row["account_id"], row["kind"]) for row in body(response)["results"]]

    everything = listed("")
    assert len(everything) == 4  # growth tier: a check-in and a business review each
    assert everything[:2] == [
        (personas.account.pk, "check_in"),
        (personas.other_account.pk, "check_in"),
    ]
    assert listed("state=overdue") == [(personas.account.pk, "check_in")]
    assert listed("overdue=true") == [(personas.account.pk, "check_in")]
    assert listed("state=due_soon") == [(personas.other_account.pk, "check_in")]
    assert len(listed("state=on_track")) == 2
    assert listed(f"due_before={today.isoformat()}") == [(personas.account.pk, "check_in")]
    assert {account for account, _kind in listed("mine=true")} == {personas.account.pk}
    assert {account for account, _kind in listed(f"owner={personas.outsider.pk}")} == {
        personas.other_account.pk
    }
    assert listed(f"account={personas.other_account.pk}&kind=business_review") == [
        (personas.other_account.pk, "business_review")
    ]
    rows = body(client.get("/api/v1/cadence-rules?state=overdue", **headers))["results"]
    assert (rows[0]["state"], rows[0]["interval_days"], rows[0]["is_custom"]) == (
        "overdue",
        30,
        False,
    )


def test_cadence_rules_list_runs_a_fixed_number_of_queries(
    client: Client, personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    headers = bearer(personas.owner)
    url = "/api/v1/cadence-rules?page_size=50"
    client.get(url, **headers)
    # The token, the count and the page.
    with django_assert_num_queries(3):
        assert client.get(url, **headers).status_code == 200
    AccountFactory.create_batch(5, tier=Tier.STRATEGIC)
    with django_assert_num_queries(3):
        assert body(client.get(url, **headers))["count"] == 4 + 5 * 3


def test_account_cadence_lists_its_rules(client: Client, personas: Personas) -> None:
    response = client.get(
        f"/api/v1/accounts/{personas.account.pk}/cadence", **bearer(personas.read_only)
    )

    assert response.status_code == 200
    assert sorted(row["kind"] for row in body(response)) == ["business_review", "check_in"]
    assert (
        client.get("/api/v1/accounts/999999/cadence", **bearer(personas.owner)).status_code == 404
    )


@pytest.mark.parametrize("persona", (*ACCOUNT_EDITORS, "outsider", "read_only"))
def test_set_an_accounts_own_cadence(client: Client, personas: Personas, persona: str) -> None:
    url = f"/api/v1/accounts/{personas.account.pk}/cadence/check_in"

    response = send(client, "put", url, {"interval_days": 7}, bearer(getattr(personas, persona)))

    rule = rule_of(personas.account)
    if persona in ACCOUNT_EDITORS:
        assert response.status_code == 200, response.content
        assert (rule.interval_days, rule.is_custom) == (7, True)
        assert body(response)["interval_days"] == 7
        assert body(response)["next_due_on"] == rule.next_due_on.isoformat()
    else:
        assert response.status_code == 403
        assert (rule.interval_days, rule.is_custom) == (30, False)


def test_set_a_cadence_the_tier_lacks_and_reset_it(client: Client, personas: Personas) -> None:
    headers = bearer(personas.owner)
    url = f"/api/v1/accounts/{personas.account.pk}/cadence/executive_touch"

    added = send(client, "put", url, {"interval_days": 60}, headers)
    reset = client.delete(f"/api/v1/cadence-rules/{body(added)['id']}", **headers)

    assert added.status_code == 200, added.content
    assert body(added)["is_custom"] is True
    assert reset.status_code == 204
    assert not CadenceRule.objects.filter(account=personas.account, kind="executive_touch").exists()


def test_reset_a_rule_goes_back_to_the_tier_default(client: Client, personas: Personas) -> None:
    headers = bearer(personas.owner)
    rule = rule_of(personas.account)
    changed = send(
        client, "patch", f"/api/v1/cadence-rules/{rule.pk}", {"interval_days": 10}, headers
    )

    reset = client.delete(f"/api/v1/cadence-rules/{rule.pk}", **headers)
    refused = client.delete(
        f"/api/v1/cadence-rules/{body(reset)['id']}", **bearer(personas.outsider)
    )

    assert (body(changed)["interval_days"], body(changed)["is_custom"]) == (10, True)
    assert reset.status_code == 200, reset.content
    assert (body(reset)["interval_days"], body(reset)["is_custom"]) == (30, False)
    assert refused.status_code == 403


def test_update_a_rule_with_a_stale_version_is_refused(client: Client, personas: Personas) -> None:
    rule = rule_of(personas.account)
    services.cadence_rule_set(
        acting_user=personas.teammate, account=personas.account, kind=rule.kind, interval_days=20
    )

    response = send(
        client,
        "patch",
        f"/api/v1/cadence-rules/{rule.pk}",
        {"interval_days": 10, "version": 1},
        bearer(personas.owner),
    )
    invalid = send(
        client,
        "patch",
        f"/api/v1/cadence-rules/{rule.pk}",
        {"interval_days": 0},
        bearer(personas.owner),
    )

    assert response.status_code == 409
    assert body(response)["current_version"] == 2
    assert rule_of(personas.account).interval_days == 20
    assert "interval_days" in error_fields(invalid)


# Cadence defaults


def test_cadence_defaults_list(client: Client, personas: Personas) -> None:
    response = client.get("/api/v1/cadence-defaults", **bearer(personas.read_only))

    rows = {(row["tier"], row["kind"]): row["interval_days"] for row in body(response)}
    assert rows[("strategic", "check_in")] == 14
    assert rows[("growth", "business_review")] == 180
    assert len(rows) == CadenceDefault.objects.count()


@pytest.mark.parametrize("persona", ("head", "admin", "owner", "read_only"))
def test_set_a_tier_default_and_accounts_follow(
    client: Client,
    personas: Personas,
    persona: str,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    headers = bearer(getattr(personas, persona))

    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            client,
            "put",
            "/api/v1/cadence-defaults/growth/check_in",
            {"interval_days": 21},
            headers,
        )

    if persona in {"head", "admin"}:
        assert response.status_code == 200, response.content
        assert (body(response)["tier"], body(response)["interval_days"]) == ("growth", 21)
        # The tier's accounts follow through the background task (run inline in tests).
        assert rule_of(personas.account).interval_days == 21
    else:
        assert response.status_code == 403
        assert rule_of(personas.account).interval_days == 30


def test_remove_a_tier_default(
    client: Client,
    personas: Personas,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(
            "/api/v1/cadence-defaults/growth/business_review", **bearer(personas.head)
        )

    assert response.status_code == 204
    assert not CadenceDefault.objects.filter(tier="growth", kind="business_review").exists()
    assert not CadenceRule.objects.filter(account=personas.account, kind="business_review").exists()
    unknown = client.delete("/api/v1/cadence-defaults/gold/check_in", **bearer(personas.head))
    assert unknown.status_code == 422


def test_every_operation_is_documented(client: Client) -> None:
    schema = body(client.get("/api/v1/openapi.json"))
    paths = set(schema["paths"])

    assert {
        "/api/v1/touchpoints",
        "/api/v1/touchpoints/{touchpoint_id}",
        "/api/v1/accounts/{account_id}/timeline",
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/tasks/{task_id}/reopen",
        "/api/v1/cadence-rules",
        "/api/v1/cadence-rules/{rule_id}",
        "/api/v1/accounts/{account_id}/cadence",
        "/api/v1/accounts/{account_id}/cadence/{kind}",
        "/api/v1/cadence-defaults",
        "/api/v1/cadence-defaults/{tier}/{kind}",
    } <= paths
