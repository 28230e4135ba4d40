"""An account's timeline: keyset pages across sources, filters, and the page that shows it."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rapport.accounts.models import Account
from rapport.communications import services, timeline
from rapport.communications.choices import TouchpointKind
from rapport.communications.models import Task, Touchpoint
from rapport.core.tests.factories import StakeholderFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.users.models import User

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)


def pile_up(account: Account, owner: User, *, touchpoints: int, tasks: int) -> set[tuple[str, int]]:
    """Touchpoints and tasks of the account all at the very same instant: the hard case."""
    Touchpoint.objects.bulk_create(
        Touchpoint(
            account=account, kind=TouchpointKind.CALL, subject=f"Call {index}", occurred_at=NOON
        )
        for index in range(touchpoints)
    )
    Task.objects.bulk_create(
        Task(account=account, title=f"Task {index}", assignee=owner) for index in range(tasks)
    )
    Task.objects.filter(account=account).update(created_at=NOON)
    return {
        ("touchpoint", pk)
        for pk in Touchpoint.objects.filter(account=account).values_list("pk", flat=True)
    } | {("task", pk) for pk in Task.objects.filter(account=account).values_list("pk", flat=True)}


@pytest.mark.parametrize("limit", [1, 3, 7, 25])
def test_keyset_pages_cover_every_event_once_across_sources(personas: Personas, limit: int) -> None:
    expected = pile_up(personas.account, personas.owner, touchpoints=9, tasks=8)
    # One older and one newer event on each side of the pile.
    for when, subject in (
        (NOON - datetime.timedelta(hours=1), "Before"),
        (NOON + datetime.timedelta(hours=1), "After"),
    ):
        expected.add(
            (
                "touchpoint",
                Touchpoint.objects.create(
                    account=personas.account, kind="call", subject=subject, occurred_at=when
                ).pk,
            )
        )
    seen: list[timeline.Cursor] = []
    before = None
    for _page in range(100):
        page = timeline.account_timeline(account=personas.account, before=before, limit=limit)
        assert len(page.events) <= limit
        seen.extend(event.cursor for event in page.events)
        if page.next_cursor is None:
            break
        # Each page's link carries the cursor as text, and must read back the same.
        before = timeline.Cursor.decode(page.next_cursor.encode())
        assert before == page.next_cursor
    assert len(seen) == len(set(seen)) == len(expected)
    assert {(cursor.source, cursor.pk) for cursor in seen} == expected
    assert seen == sorted(seen, reverse=True)
    assert seen[0].when == NOON + datetime.timedelta(hours=1)
    assert seen[-1].when == NOON - datetime.timedelta(hours=1)


def test_the_page_follows_its_older_links_without_gaps(client: Client, personas: Personas) -> None:
    expected = pile_up(personas.account, personas.owner, touchpoints=30, tasks=30)
    client.force_login(personas.read_only)
    url = f"/accounts/{personas.account.pk}/timeline/"
    seen: list[tuple[str, int]] = []
    response = client.get(url)
    while True:
        page = response.context["page"]
        seen.extend((event.source, event.pk) for event in page.events)
        if page.next_cursor is None:
            break
        link = f"before={page.next_cursor.encode()}"
        assert link in response.content.decode()
        response = client.get(f"{url}?{link}")
    assert len(seen) == len(set(seen)) == 60
    assert set(seen) == expected


def test_load_more_with_htmx_appends_only_the_next_events(
    client: Client, personas: Personas
) -> None:
    pile_up(personas.account, personas.owner, touchpoints=30, tasks=0)
    client.force_login(personas.owner)
    url = f"/accounts/{personas.account.pk}/timeline/"
    first = client.get(url)
    cursor = first.context["page"].next_cursor.encode()
    more = client.get(f"{url}?before={cursor}", headers=HTMX)
    content = more.content.decode()
    assert "<html" not in content and "<ol" not in content
    assert content.count('<li class="timeline-item">') == 5
    assert "timeline-more" not in content
    assert "Vary" in more and "HX-Request" in more["Vary"]


@pytest.mark.parametrize(
    "before",
    [
        "garbage",
        "!!!",
        base64.urlsafe_b64encode(b"not|a|cursor").decode(),
        base64.urlsafe_b64encode(b"2026-01-01T00:00:00|touchpoint|1").decode(),  # naive time
        base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|touchpoint|-4").decode(),
        "A" * 500,
        "\u00e9t\u00e9",
    ],
)
def test_a_malformed_cursor_gives_the_first_page(
    client: Client, personas: Personas, before: str
) -> None:
    pile_up(personas.account, personas.owner, touchpoints=3, tasks=2)
    client.force_login(personas.owner)
    url = f"/accounts/{personas.account.pk}/timeline/"
    first = [event.cursor for event in client.get(url).context["page"].events]
    response = client.get(url, {"before": before})
    assert response.status_code == 200
    assert [event.cursor for event in response.context["page"].events] == first
    assert response.context["before"] is None


def test_filter_by_kind_and_by_person(client: Client, personas: Personas) -> None:
    colleague = UserFactory(first_name="Colin", last_name="Colleague")
    other_person = StakeholderFactory(
        account=personas.account, first_name="Bob", last_name="Builder"
    )
    services.touchpoint_create(
        acting_user=personas.owner,
        account=personas.account,
        data={"kind": "call", "subject": "Call with Ada", "occurred_at": NOON},
        stakeholders=[personas.stakeholder],
    )
    services.touchpoint_create(
        acting_user=personas.owner,
        account=personas.account,
        data={"kind": "meeting", "subject": "Meeting with Bob", "occurred_at": NOON},
        stakeholders=[other_person],
        users=[colleague],
    )
    services.task_create(
        acting_user=personas.owner,
        data={"title": "Colin's follow-up", "account": personas.account, "assignee": colleague},
    )
    client.force_login(personas.owner)
    url = f"/accounts/{personas.account.pk}/timeline/"

    def shown(**query: str) -> set[str]:
        response = client.get(url, query)
        return {str(event.obj) for event in response.context["page"].events}

    assert shown() == {"Call with Ada", "Meeting with Bob", "Colin's follow-up"}
    assert shown(kind="meeting") == {"Meeting with Bob"}
    assert shown(kind="task") == {"Colin's follow-up"}
    assert shown(person=f"s{personas.stakeholder.pk}") == {"Call with Ada"}
    assert shown(person=f"u{colleague.pk}") == {"Meeting with Bob", "Colin's follow-up"}
    assert shown(person=f"u{colleague.pk}", kind="call") == set()
    ignored = client.get(url, {"kind": "telegram"})
    assert ignored.context["invalid"] == ["kind"] and len(ignored.context["page"].events) == 3
    options = ignored.content.decode()
    assert "Bob Builder" in options and "Colin Colleague" in options


def test_each_event_is_drawn_by_its_own_template(client: Client, personas: Personas) -> None:
    services.touchpoint_create(
        acting_user=personas.owner,
        account=personas.account,
        data={
            "kind": "site_visit",
            "subject": "Plant tour",
            "occurred_at": NOON,
            "outcome": "Loved it",
        },
        stakeholders=[personas.stakeholder],
    )
    services.task_create(
        acting_user=personas.owner, data={"title": "Thank-you note", "account": personas.account}
    )
    client.force_login(personas.owner)
    response = client.get(f"/accounts/{personas.account.pk}/timeline/")
    templates = {template.name for template in response.templates}
    assert "communications/includes/timeline_touchpoint.html" in templates
    assert "communications/includes/timeline_task.html" in templates
    content = response.content.decode()
    assert "Site visit" in content and "Plant tour" in content and "Loved it" in content
    assert "Ada Lovelace" in content and "Thank-you note" in content
    # The page's own account is not repeated on its tasks; their one-click button is there.
    assert 'name="in_account"' in content and "task-toggle" in content


def test_an_empty_timeline_says_so(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    content = client.get(f"/accounts/{personas.account.pk}/timeline/").content.decode()
    assert "Nothing logged with this account yet." in content


def grow(personas: Personas, count: int) -> None:
    for index in range(count):
        person = StakeholderFactory(account=personas.account)
        services.touchpoint_create(
            acting_user=personas.owner,
            account=personas.account,
            data={"kind": "call", "subject": f"Call {index}", "occurred_at": NOON},
            stakeholders=[person, personas.stakeholder],
            users=[personas.owner, UserFactory()],
        )
        services.task_create(
            acting_user=personas.outsider,
            data={"title": f"Task {index}", "account": personas.account, "assignee": UserFactory()},
        )


@pytest.mark.parametrize("query", ["", "?kind=call", "?person=u{owner}"])
def test_the_timeline_runs_a_fixed_number_of_queries(
    client: Client, personas: Personas, query: str
) -> None:
    client.force_login(personas.teammate)
    url = f"/accounts/{personas.account.pk}/timeline/" + query.format(owner=personas.owner.pk)

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    grow(personas, 1)
    few = count()
    grow(personas, 6)
    many = count()
    assert few == many
    # One query more for each source another capability registers (milestones, commitments…).
    assert many <= 16 + len(timeline.sources()) - 2


def test_the_360_card_runs_a_fixed_number_of_queries(client: Client, personas: Personas) -> None:
    client.force_login(personas.outsider)
    url = f"/accounts/{personas.account.pk}/timeline/?summary=1"

    def count() -> int:
        client.get(url, headers=HTMX)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, headers=HTMX).status_code == 200
        return len(captured.captured_queries)

    grow(personas, 1)
    few = count()
    grow(personas, 6)
    assert count() == few
