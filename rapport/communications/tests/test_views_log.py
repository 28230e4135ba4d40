"""The log's pages: touchpoints, the quick-log form and follow-up tasks, with every persona."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.communications import services
from rapport.communications.choices import Sentiment, TaskStatus, TouchpointKind
from rapport.communications.forms import QuickLogForm
from rapport.communications.models import Task, Touchpoint
from rapport.core.tests.factories import (
    AccountFactory,
    StakeholderFactory,
    TeamMemberFactory,
    UserFactory,
)
from rapport.core.tests.personas import Personas
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
MAY_10 = datetime.datetime(2026, 5, 10, 14, 30, tzinfo=datetime.UTC)


def log(
    personas: Personas,
    *,
    subject: str = "Quarterly check-in",
    when: datetime.datetime = MAY_10,
    kind: str = TouchpointKind.CALL,
    account: Account | None = None,
    stakeholders: list[Stakeholder] | None = None,
    acting_user: User | None = None,
    **data: object,
) -> Touchpoint:
    return services.touchpoint_create(
        acting_user=acting_user or personas.owner,
        account=account or personas.account,
        data={"kind": kind, "subject": subject, "occurred_at": when, **data},
        stakeholders=[personas.stakeholder] if stakeholders is None else stakeholders,
    )


def task_for(personas: Personas, *, title: str = "Send the deck", **data: object) -> Task:
    return services.task_create(
        acting_user=personas.owner, data={"title": title, "account": personas.account, **data}
    )


def queries(client: Client, url: str, **headers: str) -> int:
    client.get(url, headers=headers)  # warm up: the first request does one-off bookkeeping
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


# The touchpoint list -------------------------------------------------------------------------


def subjects(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [touchpoint.subject for touchpoint in response.context["page"].object_list]


def test_list_filters_by_account_kind_sentiment_people_dates_and_subject(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.read_only)
    other_person = StakeholderFactory(account=personas.other_account)
    log(personas, subject="Renewal call", sentiment=Sentiment.POSITIVE)
    log(personas, subject="Site tour", kind=TouchpointKind.SITE_VISIT, when=MAY_10.replace(day=2))
    log(
        personas,
        subject="Contoso kickoff",
        account=personas.other_account,
        stakeholders=[other_person],
        acting_user=personas.outsider,
        sentiment=Sentiment.NEGATIVE,
    )
    assert subjects(client.get("/touchpoints/")) == ["Contoso kickoff", "Renewal call", "Site tour"]
    assert subjects(client.get(f"/touchpoints/?account={personas.account.pk}")) == [
        "Renewal call",
        "Site tour",
    ]
    assert subjects(client.get("/touchpoints/?kind=site_visit")) == ["Site tour"]
    assert subjects(client.get("/touchpoints/?sentiment=negative")) == ["Contoso kickoff"]
    assert subjects(client.get(f"/touchpoints/?user={personas.outsider.pk}")) == ["Contoso kickoff"]
    assert subjects(client.get(f"/touchpoints/?stakeholder={other_person.pk}")) == [
        "Contoso kickoff"
    ]
    assert subjects(client.get("/touchpoints/?since=2026-05-03&until=2026-05-10")) == [
        "Contoso kickoff",
        "Renewal call",
    ]
    assert subjects(client.get("/touchpoints/?until=2026-05-02")) == ["Site tour"]
    assert subjects(client.get("/touchpoints/?q=RENEWAL")) == ["Renewal call"]


def test_list_dates_are_days_of_the_readers_time_zone(client: Client, personas: Personas) -> None:
    personas.read_only.time_zone = "Pacific/Auckland"
    personas.read_only.save()
    client.force_login(personas.read_only)
    # 20:00 UTC on 9 May is already 10 May in Auckland.
    log(
        personas,
        subject="Late call",
        when=datetime.datetime(2026, 5, 9, 20, 0, tzinfo=datetime.UTC),
    )
    assert subjects(client.get("/touchpoints/?since=2026-05-10&until=2026-05-10")) == ["Late call"]
    assert subjects(client.get("/touchpoints/?until=2026-05-09")) == []


def test_list_reports_bad_filters_and_pages(client: Client, personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_PAGE_SIZE = 2
    client.force_login(personas.owner)
    for day in (1, 2, 3):
        log(personas, subject=f"Call {day}", when=MAY_10.replace(day=day))
    response = client.get("/touchpoints/?kind=telegram&since=yesterday")
    assert response.status_code == 200
    assert response.context["invalid"] == ["kind", "since"]
    assert subjects(response) == ["Call 3", "Call 2"]
    assert subjects(client.get("/touchpoints/?page=2")) == ["Call 1"]
    partial = client.get("/touchpoints/?q=call", headers=HTMX)
    assert b"<html" not in partial.content and b"Call 3" in partial.content


def test_list_has_empty_states(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    assert "Nothing logged yet" in client.get("/touchpoints/").content.decode()
    log(personas)
    assert "No touchpoint matches" in client.get("/touchpoints/?q=zzz").content.decode()


def grow_log(personas: Personas, count: int) -> None:
    for index in range(count):
        person = StakeholderFactory(account=personas.account)
        colleague = UserFactory()
        touchpoint = log(
            personas, subject=f"Call {index}", stakeholders=[personas.stakeholder, person]
        )
        services.touchpoint_update(
            touchpoint=touchpoint,
            acting_user=personas.owner,
            data={},
            users=[personas.owner, colleague],
            expected_version=None,
        )
        account = AccountFactory(owner=personas.owner)
        log(personas, subject=f"Elsewhere {index}", account=account, stakeholders=[])


@pytest.mark.parametrize(
    "url",
    [
        lambda p: "/touchpoints/",
        lambda p: f"/touchpoints/?account={p.account.pk}&kind=call",
        lambda p: f"/touchpoints/?user={p.owner.pk}&q=call",
        lambda p: f"/touchpoints/?account={p.account.pk}&stakeholder={p.stakeholder.pk}",
    ],
    ids=["everything", "account and kind", "user and subject", "person"],
)
def test_list_runs_a_fixed_number_of_queries(
    client: Client, personas: Personas, url: Callable[[Personas], str]
) -> None:
    client.force_login(personas.owner)
    grow_log(personas, 1)
    few = queries(client, url(personas))
    grow_log(personas, 5)
    many = queries(client, url(personas))
    assert few == many
    assert many <= 14


# Logging in full -----------------------------------------------------------------------------


def form_data(personas: Personas, **extra: object) -> dict[str, object]:
    return {
        "kind": TouchpointKind.MEETING,
        "occurred_at": "2026-05-10T09:30",
        "duration_minutes": "45",
        "subject": "Roadmap review",
        "notes": "We **agreed** on the pilot.",
        "stakeholders": [personas.stakeholder.pk],
        "users": [personas.owner.pk, personas.teammate.pk],
        "sentiment": Sentiment.POSITIVE,
        "outcome": "Pilot in June",
        "next_steps": "Send the plan",
        **extra,
    }


def test_owner_logs_a_meeting_with_a_follow_up_task(client: Client, personas: Personas) -> None:
    personas.owner.time_zone = "Europe/Paris"
    personas.owner.save()
    client.force_login(personas.owner)
    url = f"/touchpoints/new/?account={personas.account.pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        url, form_data(personas, follow_up_title="Send the plan", follow_up_due_on="2026-05-17")
    )
    touchpoint = Touchpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == touchpoint.get_absolute_url()
    # 09:30 in Paris (summer time) is 07:30 UTC.
    assert touchpoint.occurred_at == datetime.datetime(2026, 5, 10, 7, 30, tzinfo=datetime.UTC)
    assert touchpoint.duration_minutes == 45
    assert touchpoint.logged_by == personas.owner
    assert list(touchpoint.stakeholders.all()) == [personas.stakeholder]
    assert set(touchpoint.users.all()) == {personas.owner, personas.teammate}
    task = Task.objects.get()
    assert (task.title, task.touchpoint, task.account, task.assignee) == (
        "Send the plan",
        touchpoint,
        personas.account,
        personas.owner,
    )
    assert task.due_on == datetime.date(2026, 5, 17)


def test_the_form_shows_times_in_the_users_zone(client: Client, personas: Personas) -> None:
    personas.owner.time_zone = "Europe/Paris"
    personas.owner.save()
    client.force_login(personas.owner)
    touchpoint = log(personas, when=datetime.datetime(2026, 5, 10, 7, 30, tzinfo=datetime.UTC))
    content = client.get(f"/touchpoints/{touchpoint.pk}/edit/").content.decode()
    assert 'value="2026-05-10T09:30"' in content


def test_a_person_of_another_account_is_refused_by_name(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    stranger = StakeholderFactory(
        account=personas.other_account, first_name="Grace", last_name="Hopper"
    )
    response = client.post(
        f"/touchpoints/new/?account={personas.account.pk}",
        form_data(personas, stakeholders=[personas.stakeholder.pk, stranger.pk]),
    )
    assert response.status_code == 200
    assert "Grace Hopper is not one of Northwind Traders’s people." in response.content.decode()
    assert not Touchpoint.objects.exists()


def test_invalid_input_writes_nothing(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    response = client.post(
        f"/touchpoints/new/?account={personas.account.pk}",
        form_data(
            personas,
            subject="",
            duration_minutes="-5",
            occurred_at="someday",
            follow_up_due_on="2026-05-17",
        ),
    )
    errors = response.context["form"].errors
    assert {"subject", "duration_minutes", "occurred_at", "follow_up_title"} <= set(errors)
    assert not Touchpoint.objects.exists() and not Task.objects.exists()


def test_logging_without_an_account_asks_for_one_first(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    assert "pick_form" in client.get("/touchpoints/new/").context
    response = client.get("/touchpoints/new/?q=northwind traders")
    assert response["Location"] == f"/touchpoints/new/?account={personas.account.pk}"
    unknown = client.get("/touchpoints/new/?q=Nobody")
    assert "No account is named" in unknown.content.decode()
    assert client.get("/touchpoints/new/?account=999999").status_code == 404


def test_read_only_cannot_log(client: Client, personas: Personas) -> None:
    client.force_login(personas.read_only)
    url = f"/touchpoints/new/?account={personas.account.pk}"
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(personas)).status_code == 403
    assert client.post("/touchpoints/quick/", {"kind": "call", "subject": "x"}).status_code == 403
    assert not Touchpoint.objects.exists()


# Editing and deleting ------------------------------------------------------------------------


def test_an_outsider_cannot_change_someone_elses_touchpoint(
    client: Client, personas: Personas
) -> None:
    touchpoint = log(personas)
    client.force_login(personas.outsider)
    assert client.get(f"/touchpoints/{touchpoint.pk}/").status_code == 200
    assert client.get(f"/touchpoints/{touchpoint.pk}/edit/").status_code == 403
    assert (
        client.post(f"/touchpoints/{touchpoint.pk}/edit/", form_data(personas)).status_code == 403
    )
    assert client.post(f"/touchpoints/{touchpoint.pk}/delete/").status_code == 403
    touchpoint.refresh_from_db()
    assert touchpoint.subject == "Quarterly check-in"


def test_a_teammate_edits_and_the_history_shows_it(client: Client, personas: Personas) -> None:
    touchpoint = log(personas)
    client.force_login(personas.teammate)
    edit = client.get(f"/touchpoints/{touchpoint.pk}/edit/")
    assert edit.context["form"].initial["version"] == touchpoint.version
    response = client.post(
        f"/touchpoints/{touchpoint.pk}/edit/",
        form_data(personas, stakeholders=[], version=touchpoint.version),
    )
    assert response.status_code == 302
    touchpoint.refresh_from_db()
    assert touchpoint.subject == "Roadmap review" and touchpoint.version == 2
    assert not touchpoint.stakeholders.exists()
    page = client.get(f"/touchpoints/{touchpoint.pk}/").content.decode()
    assert "Quarterly check-in" in page and "Roadmap review" in page
    assert "removed the participant" in page and "Ada Lovelace" in page


def test_a_stale_edit_is_a_form_error(client: Client, personas: Personas) -> None:
    touchpoint = log(personas)
    client.force_login(personas.owner)
    response = client.post(
        f"/touchpoints/{touchpoint.pk}/edit/",
        form_data(personas, version=touchpoint.version + 1),
    )
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    touchpoint.refresh_from_db()
    assert touchpoint.subject == "Quarterly check-in"


def test_delete_asks_first_then_removes(client: Client, personas: Personas) -> None:
    touchpoint = log(personas)
    task = task_for(personas, touchpoint=touchpoint)
    client.force_login(personas.owner)
    confirm = client.get(f"/touchpoints/{touchpoint.pk}/delete/")
    assert confirm.status_code == 200 and "Delete it" in confirm.content.decode()
    assert Touchpoint.objects.exists()
    response = client.post(f"/touchpoints/{touchpoint.pk}/delete/")
    assert response["Location"] == f"/accounts/{personas.account.pk}/timeline/"
    assert not Touchpoint.objects.exists()
    task.refresh_from_db()
    assert task.touchpoint is None
    personas.account.refresh_from_db()
    assert personas.account.last_contact_at is None


def test_unknown_records_are_404_not_500(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    for url in (
        "/touchpoints/999999/",
        "/touchpoints/999999/edit/",
        "/touchpoints/999999/delete/",
        "/tasks/999999/",
        "/tasks/999999/edit/",
        "/accounts/999999/timeline/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/tasks/999999/status/", {"status": "done"}).status_code == 404


def test_detail_shows_both_sides_outcome_and_tasks(client: Client, personas: Personas) -> None:
    touchpoint = log(personas, outcome="Pilot agreed", next_steps="Draft the SOW")
    task_for(personas, title="Draft the SOW", touchpoint=touchpoint)
    client.force_login(personas.read_only)
    response = client.get(f"/touchpoints/{touchpoint.pk}/")
    content = response.content.decode()
    assert "Ada Lovelace" in content and str(personas.owner) in content
    assert "Pilot agreed" in content and "Draft the SOW" in content
    assert f"/touchpoints/{touchpoint.pk}/edit/" not in content
    assert response.context["tasks"][0].can_change is False


# The quick-log form --------------------------------------------------------------------------


def test_quick_log_with_htmx_answers_a_fresh_form_and_tells_the_page(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.owner)
    response = client.post(
        "/touchpoints/quick/",
        {
            "account": personas.account.pk,
            "kind": "call",
            "subject": "Chat about the renewal",
            "next": "/today/",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "touchpoint-logged"
    content = response.content.decode()
    assert 'id="quick-log"' in content and 'role="status"' in content
    assert "Chat about the renewal" in content and "Northwind Traders" in content
    assert 'name="subject"' in content and 'value="Chat about the renewal"' not in content
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.logged_by == personas.owner and touchpoint.kind == TouchpointKind.CALL
    assert abs(touchpoint.occurred_at - timezone.now()) < datetime.timedelta(minutes=1)
    personas.account.refresh_from_db()
    assert personas.account.last_contact_at == touchpoint.occurred_at


def test_quick_log_without_javascript_goes_back(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    data = {"fixed_account": personas.account.pk, "kind": "email", "subject": "Sent the deck"}
    back = client.post("/touchpoints/quick/", {**data, "next": "/today/"})
    assert back.status_code == 302 and back["Location"] == "/today/"
    elsewhere = client.post("/touchpoints/quick/", {**data, "next": "https://evil.example/"})
    assert elsewhere["Location"] == Touchpoint.objects.first().get_absolute_url()  # type: ignore[union-attr]
    assert Touchpoint.objects.filter(account=personas.account).count() == 2


def test_quick_log_refusals_are_form_errors(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    stranger = StakeholderFactory(
        account=personas.other_account, first_name="Grace", last_name="Hopper"
    )
    missing = client.post("/touchpoints/quick/", {"kind": "call", "subject": ""}, headers=HTMX)
    assert missing.status_code == 200 and "HX-Trigger" not in missing
    assert set(missing.context["quick_log_form"].errors) == {"account", "subject"}
    # Not one of the owner's accounts: the today view offers only those.
    theirs = client.post(
        "/touchpoints/quick/",
        {"account": personas.other_account.pk, "kind": "call", "subject": "Hi"},
        headers=HTMX,
    )
    assert "account" in theirs.context["quick_log_form"].errors
    people = client.post(
        "/touchpoints/quick/",
        {
            "fixed_account": personas.account.pk,
            "kind": "call",
            "subject": "Hi",
            "stakeholders": [stranger.pk],
        },
        headers=HTMX,
    )
    content = people.content.decode()
    assert "Grace Hopper is not one of Northwind Traders’s people." in content
    assert '<details class="quick-log-more" open>' in content
    without_js = client.post(
        "/touchpoints/quick/", {"kind": "call", "subject": "", "next": "/today/"}
    )
    assert without_js.status_code == 200
    assert (
        "<html" in without_js.content.decode() and 'href="/today/"' in without_js.content.decode()
    )
    assert not Touchpoint.objects.exists()


def test_quick_log_takes_people_of_the_account(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    people = client.get(f"/touchpoints/quick/?account={personas.account.pk}", headers=HTMX)
    assert "Ada Lovelace" in people.content.decode()
    assert "Choose an account" in client.get("/touchpoints/quick/", headers=HTMX).content.decode()
    client.post(
        "/touchpoints/quick/",
        {
            "account": personas.account.pk,
            "kind": "meeting",
            "subject": "Lunch",
            "stakeholders": [personas.stakeholder.pk],
            "occurred_at": "2026-05-10T12:00",
            "sentiment": "positive",
            "notes": "Good *vibes*",
        },
        headers=HTMX,
    )
    touchpoint = Touchpoint.objects.get()
    assert list(touchpoint.stakeholders.all()) == [personas.stakeholder]
    assert touchpoint.occurred_at == datetime.datetime(2026, 5, 10, 12, 0, tzinfo=datetime.UTC)
    assert (touchpoint.sentiment, touchpoint.notes) == ("positive", "Good *vibes*")


def render_today_include(user: User) -> str:
    """The quick-log form as the today view includes it."""
    request = RequestFactory().get("/today/")
    request.user = user
    template = Template('{% include "communications/includes/quick_log.html" %}')
    return template.render(Context({"quick_log_form": QuickLogForm(user=user), "request": request}))


def test_the_today_view_contract(personas: Personas) -> None:
    TeamMemberFactory(account=AccountFactory(name="Alpha Mining"), user=personas.owner)
    AccountFactory(name="Archived Co", owner=personas.owner, is_archived=True)
    html = render_today_include(personas.owner)
    assert 'id="quick-log"' in html and 'hx-post="/touchpoints/quick/"' in html
    assert 'hx-target="this"' in html and 'hx-swap="outerHTML"' in html
    assert 'accesskey="l"' in html and "autofocus" not in html
    assert 'name="next" value="/today/"' in html
    # The account picker lists the person's own active accounts by name, nothing else.
    assert html.index("Alpha Mining") < html.index("Northwind Traders")
    assert "Contoso" not in html and "Archived Co" not in html
    # Account, kind and subject come first, then the submit button: Enter in the subject logs.
    order = [
        html.index(marker)
        for marker in (
            'name="account"',
            'name="kind"',
            'name="subject"',
            'type="submit"',
            "<details",
        )
    ]
    assert order == sorted(order)


def test_read_only_gets_no_quick_log_form(client: Client, personas: Personas) -> None:
    assert 'id="quick-log"' not in render_today_include(personas.read_only)
    client.force_login(personas.read_only)
    assert 'id="quick-log"' not in client.get(f"/accounts/{personas.account.pk}/").content.decode()


# The account and person pages ----------------------------------------------------------------


def test_the_account_page_logs_for_the_account_and_refreshes_its_card(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.teammate)
    page = client.get(f"/accounts/{personas.account.pk}/").content.decode()
    assert 'id="quick-log"' in page
    assert f'name="fixed_account" value="{personas.account.pk}"' in page
    assert 'name="account"' not in page.split('id="quick-log"')[1].split("</form>")[0]
    assert 'hx-trigger="load, touchpoint-logged from:body' in page
    log(personas, subject="Escalation call", when=timezone.now() - datetime.timedelta(days=3))
    task_for(personas, title="Call back", due_on=timezone.localdate() - datetime.timedelta(days=1))
    card = client.get(f"/accounts/{personas.account.pk}/timeline/?summary=1", headers=HTMX)
    content = card.content.decode()
    assert "3 days ago" in content and "Escalation call" in content
    assert "1 open task" in content and "Overdue" in content
    assert "Check-in" in content  # the growth tier's default cadence
    assert "<html" not in content


def test_the_account_list_shows_and_sorts_by_last_contact(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.owner)
    quiet = AccountFactory(name="Quiet Ltd")
    log(personas, when=timezone.now() - datetime.timedelta(days=2))
    recent = client.get("/accounts/?sort=-last_contact")
    names = [account.name for account in recent.context["page"].object_list]
    assert names == ["Northwind Traders", "Contoso", "Quiet Ltd"]
    longest = client.get("/accounts/?sort=last_contact")
    assert [account.name for account in longest.context["page"].object_list] == [
        "Contoso",
        "Quiet Ltd",
        "Northwind Traders",
    ]
    content = recent.content.decode()
    assert "Last contact" in content and "2 days ago" in content and "never" in content
    assert quiet.last_contact_at is None


def test_the_person_page_shows_their_last_contact_and_touchpoints(
    client: Client, personas: Personas
) -> None:
    log(personas, subject="Coffee with Ada", when=timezone.now() - datetime.timedelta(days=1))
    log(personas, subject="Without Ada", stakeholders=[])
    client.force_login(personas.read_only)
    page = client.get(f"/stakeholders/{personas.stakeholder.pk}/").content.decode()
    assert "Last contact" in page and "yesterday" in page
    recent = client.get(
        f"/touchpoints/?stakeholder={personas.stakeholder.pk}&recent=1", headers=HTMX
    ).content.decode()
    assert "Coffee with Ada" in recent and "Without Ada" not in recent


# Tasks ---------------------------------------------------------------------------------------


def titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [task.title for task in response.context["page"].object_list]


def test_my_tasks_by_default_and_the_filters(client: Client, personas: Personas) -> None:
    today = timezone.localdate()
    task_for(personas, title="Overdue one", due_on=today - datetime.timedelta(days=2))
    task_for(personas, title="This week", due_on=today + datetime.timedelta(days=3))
    task_for(personas, title="Later on", due_on=today + datetime.timedelta(days=30))
    task_for(personas, title="Someday")
    done = task_for(personas, title="Done already")
    services.task_set_status(task=done, acting_user=personas.owner, status=TaskStatus.DONE)
    task_for(personas, title="Teammate's", assignee=personas.teammate)
    services.task_create(
        acting_user=personas.outsider,
        data={"title": "Contoso's", "account": personas.other_account},
    )
    client.force_login(personas.owner)
    mine = client.get("/tasks/")
    assert titles(mine) == ["Overdue one", "This week", "Later on", "Someday"]
    assert "Overdue" in mine.content.decode()
    assert titles(client.get("/tasks/?due=overdue")) == ["Overdue one"]
    assert titles(client.get("/tasks/?due=this_week")) == ["This week"]
    assert titles(client.get("/tasks/?due=later")) == ["Later on"]
    assert titles(client.get("/tasks/?due=none")) == ["Someday"]
    assert titles(client.get("/tasks/?status=done")) == ["Done already"]
    assert titles(client.get(f"/tasks/?assignee={personas.teammate.pk}")) == ["Teammate's"]
    assert "Contoso's" in titles(client.get("/tasks/?assignee=anyone"))
    assert titles(client.get(f"/tasks/?assignee=anyone&account={personas.other_account.pk}")) == [
        "Contoso's"
    ]
    bad = client.get("/tasks/?due=tomorrow&assignee=nobody")
    assert bad.context["invalid"] == ["assignee", "due"]


def grow_tasks(personas: Personas, count: int) -> None:
    for index in range(count):
        account = AccountFactory()
        services.task_create(
            acting_user=personas.outsider,
            data={"title": f"Theirs {index}", "account": account, "assignee": UserFactory()},
        )
        task_for(personas, title=f"Mine {index}")


@pytest.mark.parametrize("query", ["", "?assignee=anyone", "?status=any&due=none"])
def test_task_list_runs_a_fixed_number_of_queries(
    client: Client, personas: Personas, query: str
) -> None:
    client.force_login(personas.teammate)
    grow_tasks(personas, 1)
    few = queries(client, f"/tasks/{query}")
    grow_tasks(personas, 5)
    many = queries(client, f"/tasks/{query}")
    assert few == many
    assert many <= 14


def test_one_click_complete_and_reopen_with_htmx(client: Client, personas: Personas) -> None:
    task = task_for(personas, due_on=timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(personas.owner)
    done = client.post(f"/tasks/{task.pk}/status/", {"status": "done"}, headers=HTMX)
    assert done.status_code == 200 and done["HX-Trigger"] == "task-status-changed"
    content = done.content.decode()
    assert content.lstrip().startswith('<div class="task-row is-closed"')
    assert 'value="open"' in content and "Reopen" in content
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_by == personas.owner
    client.post(f"/tasks/{task.pk}/status/", {"status": "open"}, headers=HTMX)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.completed_at is None


def test_completing_without_javascript_goes_back(client: Client, personas: Personas) -> None:
    task = task_for(personas)
    client.force_login(personas.owner)
    response = client.post(f"/tasks/{task.pk}/status/", {"status": "done", "next": "/tasks/"})
    assert response["Location"] == "/tasks/"
    assert client.get(f"/tasks/{task.pk}/status/").status_code == 405
    assert client.post(f"/tasks/{task.pk}/status/", {"status": "maybe"}).status_code == 400


def test_who_may_complete_a_task(client: Client, personas: Personas) -> None:
    task = task_for(personas)
    client.force_login(personas.read_only)
    assert client.post(f"/tasks/{task.pk}/status/", {"status": "done"}).status_code == 403
    client.force_login(personas.outsider)
    assert client.post(f"/tasks/{task.pk}/status/", {"status": "done"}).status_code == 403
    assert client.get(f"/tasks/{task.pk}/edit/").status_code == 403
    listed = client.get("/tasks/?assignee=anyone")
    assert [row.can_change for row in listed.context["page"].object_list] == [False]
    assert f"/tasks/{task.pk}/status/" not in listed.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    # On the account's team, the teammate may close what the owner assigned to themself.
    client.force_login(personas.teammate)
    listed = client.get("/tasks/?assignee=anyone")
    assert [row.can_change for row in listed.context["page"].object_list] == [True]
    assert client.post(f"/tasks/{task.pk}/status/", {"status": "done"}).status_code == 302


def test_create_a_task_from_a_touchpoint(client: Client, personas: Personas) -> None:
    touchpoint = log(personas)
    client.force_login(personas.owner)
    url = f"/tasks/new/?touchpoint={touchpoint.pk}"
    form = client.get(url).context["form"]
    assert form.initial["account"] == "Northwind Traders"
    assert form.initial["touchpoint"] == touchpoint.pk
    response = client.post(
        url + f"&next=/touchpoints/{touchpoint.pk}/",
        {
            "title": "Book the workshop",
            "account": "Northwind Traders",
            "assignee": personas.teammate.pk,
            "due_on": "2026-06-01",
            "touchpoint": touchpoint.pk,
            "next": f"/touchpoints/{touchpoint.pk}/",
        },
    )
    assert response["Location"] == f"/touchpoints/{touchpoint.pk}/"
    task = Task.objects.get()
    assert (task.account, task.touchpoint, task.assignee, task.created_by) == (
        personas.account,
        touchpoint,
        personas.teammate,
        personas.owner,
    )


def test_task_form_refusals(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    elsewhere = log(personas, account=personas.other_account, stakeholders=[])
    response = client.post(
        f"/tasks/new/?account={personas.account.pk}",
        {
            "title": "Call",
            "account": "Contoso",
            "assignee": personas.read_only.pk,
            "touchpoint": elsewhere.pk,
        },
    )
    errors = response.context["form"].errors
    assert "assignee" in errors and "touchpoint" in errors
    assert not Task.objects.exists()
    assert client.get("/tasks/new/").status_code == 200
    client.force_login(personas.read_only)
    assert client.get("/tasks/new/").status_code == 403


def test_edit_a_task_and_read_its_history(client: Client, personas: Personas) -> None:
    task = task_for(personas)
    client.force_login(personas.owner)
    response = client.post(
        f"/tasks/{task.pk}/edit/",
        {
            "title": "Send the new deck",
            "account": "Northwind Traders",
            "assignee": personas.owner.pk,
            "due_on": "2026-06-01",
            "notes": "",
            "version": task.version,
        },
    )
    assert response.status_code == 302
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "Send the deck" in page and "Send the new deck" in page
    stale = client.post(
        f"/tasks/{task.pk}/edit/",
        {"title": "Again", "assignee": personas.owner.pk, "version": 1},
    )
    assert "Someone else changed this record" in stale.content.decode()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_date_at_the_end_of_the_calendar_is_dropped_not_a_server_error(
    client: Client, personas: Personas, day: str
) -> None:
    log(personas)
    client.force_login(personas.owner)
    response = client.get("/touchpoints/", {"until": day, "since": day})
    assert response.status_code == 200
    # The bad filters are left out and said so; the log shows unfiltered.
    assert "Quarterly check-in" in response.content.decode()
