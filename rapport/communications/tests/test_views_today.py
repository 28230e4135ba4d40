"""The today view: what needs a person, its empty states, its partials and its query budget."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.communications import services
from rapport.communications.choices import CadenceKind, Sentiment, TouchpointKind
from rapport.communications.models import CadenceRule, Task
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas
from rapport.users.models import User

pytestmark = pytest.mark.django_db

URL = reverse("communications:today")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


def due_in(account, number: int, kind: str = CadenceKind.CHECK_IN) -> None:
    CadenceRule.objects.filter(account=account, kind=kind).update(next_due_on=days(number))


def park_all_rules() -> None:
    CadenceRule.objects.update(next_due_on=days(400))


def section(content: str, section_id: str) -> str:
    """The HTML of one card of the page, to check what landed where."""
    match = re.search(rf'<section class="card" id="{section_id}".*?</section>', content, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def log(personas: Personas, account, *, days_ago: int, sentiment: str = "", subject: str = "Call"):
    return services.touchpoint_create(
        acting_user=personas.owner,
        account=account,
        data={
            "kind": TouchpointKind.CALL,
            "subject": subject,
            "occurred_at": timezone.now() - datetime.timedelta(days=days_ago),
            "sentiment": sentiment,
        },
        stakeholders=[],
    )


def test_the_day_of_an_account_manager(personas: Personas) -> None:
    park_all_rules()
    quiet = AccountFactory(name="Quiet Corp", owner=personas.owner)
    busy = AccountFactory(name="Busy Ltd", owner=personas.owner)
    log(personas, busy, days_ago=2, sentiment=Sentiment.NEGATIVE, subject="Angry about invoices")
    due_in(personas.account, -4)
    due_in(busy, 3, CadenceKind.BUSINESS_REVIEW)
    # Someone else's account: none of it is the owner's business today.
    due_in(personas.other_account, -10)
    late = Task.objects.create(title="Send the deck", assignee=personas.owner, due_on=days(-1))
    Task.objects.create(title="Prepare the review", assignee=personas.owner, due_on=days(2))
    Task.objects.create(title="Far away", assignee=personas.owner, due_on=days(30))
    Task.objects.create(title="Not mine", assignee=personas.outsider, due_on=days(0))

    response = signed_in(personas.owner).get(URL)
    assert response.status_code == 200
    # Durations are written with a non-breaking space between the number and its unit.
    content = response.content.decode().replace("\xa0", " ")

    overdue = section(content, "today-overdue")
    assert "Northwind Traders" in overdue and "Check-in" in overdue and "4 days late" in overdue
    assert "Contoso" not in content
    soon = section(content, "today-soon")
    assert "Busy Ltd" in soon and "Business review" in soon
    tasks = section(content, "today-tasks")
    assert tasks.index("Send the deck") < tasks.index("Prepare the review")
    assert "Far away" not in tasks and "Not mine" not in content
    # One click completes a task, in place.
    assert f'hx-post="{reverse("communications:task_status", args=[late.pk])}"' in tasks
    untouched = section(content, "today-untouched")
    assert "Quiet Corp" in untouched and "Northwind Traders" in untouched
    assert "Busy Ltd" not in untouched
    assert "never contacted" in untouched
    negative = section(content, "today-negative")
    assert "Angry about invoices" in negative and "Busy Ltd" in negative

    view = response.context["view"]
    assert (view.overdue_cadence_count, view.due_soon_cadence_count) == (1, 1)
    assert (view.task_count, view.overdue_task_count, view.untouched_count) == (2, 1, 2)
    # Links to each account.
    assert f'href="{personas.account.get_absolute_url()}"' in overdue
    assert f'href="{quiet.get_absolute_url()}"' in untouched


def test_the_quick_log_form_is_on_the_page(personas: Personas) -> None:
    content = signed_in(personas.owner).get(URL).content.decode()
    assert 'id="quick-log"' in content
    assert f'hx-post="{reverse("communications:quick_log")}"' in content
    assert f'name="next" value="{URL}"' in content
    # The lists refresh when the form says a touchpoint was logged.
    assert 'hx-trigger="touchpoint-logged from:body"' in content


def test_read_only_users_see_their_day_without_the_form(personas: Personas) -> None:
    response = signed_in(personas.read_only).get(URL)
    assert response.status_code == 200
    assert 'id="quick-log"' not in response.content.decode()


def test_empty_states(personas: Personas) -> None:
    newcomer = User.objects.create_user(email="new@example.com", first_name="New", last_name="Hire")
    content = signed_in(newcomer).get(URL).content.decode()
    assert "Nothing overdue — well kept." in content
    assert "No cadence falls due this week." in content
    assert "No task due this week." in content
    assert "Every account heard from us in the last 45 days." in content
    assert "No negative exchange in the last 14 days." in content
    assert "Nothing needs you today" in content


def test_a_completed_task_leaves_the_counts(personas: Personas) -> None:
    park_all_rules()
    task = Task.objects.create(title="Send the deck", assignee=personas.owner, due_on=days(0))
    client = signed_in(personas.owner)
    response = client.post(
        reverse("communications:task_status", args=[task.pk]),
        {"status": "done"},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Trigger"] == "task-status-changed"
    summary = client.get(URL, {"part": "summary"}, HTTP_HX_REQUEST="true").content.decode()
    assert summary.lstrip().startswith('<ul class="today-summary"')
    assert 'hx-trigger="task-status-changed from:body"' in summary
    assert re.search(r'<span class="figure">0</span> tasks due', summary)


def test_htmx_gets_only_the_lists(personas: Personas) -> None:
    park_all_rules()
    due_in(personas.account, -1)
    response = signed_in(personas.owner).get(URL, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="today-lists"')
    assert "<html" not in content and 'id="quick-log"' not in content
    assert "Northwind Traders" in section(content, "today-overdue")
    assert "HX-Request" in response["Vary"]


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login/" in response["Location"]


def fill_the_day(personas: Personas, number: int) -> None:
    """``number`` of each kind of row, on accounts of the owner and their teammates."""
    for index in range(number):
        account = AccountFactory(owner=personas.owner)
        log(personas, account, days_ago=1, sentiment=Sentiment.NEGATIVE, subject=f"Bad {index}")
        # After the log, which recomputes when each cadence is due.
        due_in(account, -1 - index)
        due_in(account, index % 7, CadenceKind.BUSINESS_REVIEW)
        Task.objects.create(
            title=f"Task {index}", assignee=personas.owner, account=account, due_on=days(-index)
        )
        AccountFactory(owner=personas.owner)  # never contacted


def test_the_query_count_does_not_grow_with_rows(
    personas: Personas, django_assert_num_queries
) -> None:
    client = signed_in(personas.owner)
    client.get(URL)  # the session's first read is not the page's
    park_all_rules()
    fill_the_day(personas, 2)
    # Session and user; five lists (overdue, this week, tasks, quiet accounts, bad news);
    # the roadmap items (one read for late ones and this week's milestones); the navigation's
    # two counts; the model permissions (read once); the quick-log form's accounts.
    with django_assert_num_queries(13):
        response = client.get(URL)
    view = response.context["view"]
    assert (view.overdue_cadence_count, view.task_count, len(view.negative)) == (2, 2, 2)
    fill_the_day(personas, 6)
    with django_assert_num_queries(13):
        response = client.get(URL)
    view = response.context["view"]
    assert (view.overdue_cadence_count, view.task_count, len(view.negative)) == (8, 8, 8)
    with django_assert_num_queries(8):
        client.get(URL, HTTP_HX_REQUEST="true")


def test_the_navigation_count_redraws_alone(personas: Personas) -> None:
    park_all_rules()
    due_in(personas.account, -2)
    Task.objects.create(title="Send the deck", assignee=personas.owner, due_on=days(0))
    client = signed_in(personas.owner)
    page = client.get(reverse("home")).content.decode()
    assert 'id="today-count"' in page
    response = client.get(URL, {"part": "nav"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.startswith('<span id="today-count"')
    assert 'title="1 overdue cadence, 1 task due">2' in content
    assert "touchpoint-logged from:body, task-status-changed from:body" in content
    Task.objects.update(due_on=days(3))
    CadenceRule.objects.update(next_due_on=days(5))
    content = client.get(URL, {"part": "nav"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'class="count"' not in content
