"""The communication calendar: month grid, agenda, filters, odd input."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.communications import agenda
from rapport.communications.agenda import AgendaScope
from rapport.communications.choices import CadenceKind
from rapport.communications.models import CadenceRule, Task
from rapport.communications.views.calendar import (
    agenda_context,
    month_context,
    month_weeks,
    next_month,
    parse_month,
    previous_month,
)
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas
from rapport.users.models import User

# Each agenda source runs one query (the month view asks twice: the grid, and what is overdue
# before it); later capabilities register theirs beside the two built in.
OTHER_AGENDA_SOURCES = len(agenda.sources()) - 2

pytestmark = pytest.mark.django_db

URL = reverse("communications:calendar")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def park_all_rules() -> None:
    CadenceRule.objects.update(next_due_on=datetime.date(2099, 1, 1))


def due(account, on: datetime.date, kind: str = CadenceKind.CHECK_IN) -> CadenceRule:
    rule = CadenceRule.objects.get(account=account, kind=kind)
    CadenceRule.objects.filter(pk=rule.pk).update(next_due_on=on)
    return rule


def task(user: User, title: str, on: datetime.date, account=None) -> Task:
    return Task.objects.create(title=title, assignee=user, due_on=on, account=account)


def days_in(context: dict) -> dict[datetime.date, list[str]]:
    return {
        day.date: [entry.title for entry in day.entries]
        for week in context["weeks"]
        for day in week
        if day.entries
    }


# Calendar arithmetic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "days", "weeks", "grid_start", "grid_end"),
    [
        # February 2021 has 28 days starting on a Monday: exactly four weeks.
        ("2021-02", 28, 4, "2021-02-01", "2021-02-28"),
        # A leap February starting on a Thursday.
        ("2024-02", 29, 5, "2024-01-29", "2024-03-03"),
        # A 30-day month starting on a Sunday needs six rows; one starting on a Monday, five.
        ("2025-06", 30, 6, "2025-05-26", "2025-07-06"),
        ("2025-09", 30, 5, "2025-09-01", "2025-10-05"),
        ("2026-03", 31, 6, "2026-02-23", "2026-04-05"),
        # December runs into the next year.
        ("2025-12", 31, 5, "2025-12-01", "2026-01-04"),
    ],
)
def test_month_grid_weeks_start_on_monday(
    month: str, days: int, weeks: int, grid_start: str, grid_end: str
) -> None:
    first = parse_month(month)
    assert first is not None
    grid = month_weeks(first)
    assert len(grid) == weeks
    assert all(len(week) == 7 and week[0].weekday() == 0 for week in grid)
    assert grid[0][0] == datetime.date.fromisoformat(grid_start)
    assert grid[-1][-1] == datetime.date.fromisoformat(grid_end)
    assert sum(1 for week in grid for day in week if day.month == first.month) == days


def test_previous_and_next_month_cross_the_year() -> None:
    assert next_month(datetime.date(2025, 12, 1)) == datetime.date(2026, 1, 1)
    assert previous_month(datetime.date(2026, 1, 1)) == datetime.date(2025, 12, 1)
    assert next_month(datetime.date(2025, 1, 1)) == datetime.date(2025, 2, 1)
    assert previous_month(datetime.date(2024, 3, 1)) == datetime.date(2024, 2, 1)


@pytest.mark.parametrize(
    "text", ["", "2025", "2025-13", "2025-00", "2025-1", "25-01", "abcd-ef", "0000-01", "9999-12"]
)
def test_unreadable_months_are_refused(text: str) -> None:
    assert parse_month(text) is None


# The month view --------------------------------------------------------------------------------


def test_a_rule_due_on_the_31st_shows_on_the_31st(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, datetime.date(2025, 1, 31))
    scope = AgendaScope(user=personas.owner)
    january = month_context(scope, datetime.date(2025, 1, 1), datetime.date(2025, 1, 10))
    assert days_in(january) == {datetime.date(2025, 1, 31): ["Check-in with Northwind Traders"]}
    # February's grid starts on Monday 27 January: the 31st shows there too, outside the month.
    february = month_context(scope, datetime.date(2025, 2, 1), datetime.date(2025, 1, 10))
    cell = next(day for week in february["weeks"] for day in week if day.entries)
    assert (cell.date, cell.in_month) == (datetime.date(2025, 1, 31), False)
    assert month_context(scope, datetime.date(2025, 3, 1), datetime.date(2025, 1, 10))[
        "entry_count"
    ] == (0)


def test_entries_across_the_new_year(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, datetime.date(2026, 1, 2))
    task(personas.owner, "Plan the year", datetime.date(2025, 12, 31), personas.account)
    scope = AgendaScope(user=personas.owner)
    december = month_context(scope, datetime.date(2025, 12, 1), datetime.date(2025, 12, 15))
    assert days_in(december) == {
        datetime.date(2025, 12, 31): ["Plan the year"],
        datetime.date(2026, 1, 2): ["Check-in with Northwind Traders"],
    }
    assert december["next"] == datetime.date(2026, 1, 1)
    assert december["previous"] == datetime.date(2025, 11, 1)


def test_today_and_overdue_are_marked(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, datetime.date(2025, 5, 6))
    task(personas.owner, "Call back", datetime.date(2025, 5, 20))
    scope = AgendaScope(user=personas.owner)
    context = month_context(scope, datetime.date(2025, 5, 1), datetime.date(2025, 5, 14))
    cells = {day.date: day for week in context["weeks"] for day in week}
    assert [day for day, cell in cells.items() if cell.is_today] == [datetime.date(2025, 5, 14)]
    assert cells[datetime.date(2025, 5, 6)].overdue_count == 1
    assert cells[datetime.date(2025, 5, 20)].entries[0].state == "due"


def test_overdue_work_before_the_grid_is_counted(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, datetime.date(2025, 3, 3))
    task(personas.owner, "Old promise", datetime.date(2025, 4, 2))
    scope = AgendaScope(user=personas.owner)
    june = month_context(scope, datetime.date(2025, 6, 1), datetime.date(2025, 6, 10))
    assert june["earlier_overdue"] == 2
    april = month_context(scope, datetime.date(2025, 4, 1), datetime.date(2025, 6, 10))
    assert april["earlier_overdue"] == 1


def test_the_month_page_renders_a_table_with_weekday_headers(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, datetime.date(2025, 1, 31))
    response = signed_in(personas.owner).get(URL, {"month": "2025-01"})
    assert response.status_code == 200
    content = response.content.decode()
    assert '<table class="calendar-month">' in content
    assert '<th scope="col"><abbr title="Monday">Mon</abbr></th>' in content
    assert content.index("Monday") < content.index("Sunday")
    assert "January 2025" in content
    assert "?view=month&amp;month=2024-12" in content
    assert "?view=month&amp;month=2025-02" in content
    assert 'datetime="2025-01-31"' in content
    assert "Northwind Traders" in content
    assert "Overdue:" in content


def test_the_current_month_marks_today(personas: Personas) -> None:
    response = signed_in(personas.owner).get(URL)
    content = response.content.decode()
    today = timezone.localdate()
    assert response.context["first"] == today.replace(day=1)
    assert content.count('aria-current="date"') == 1
    assert "Back to this month" not in content


@pytest.mark.parametrize("month", ["2025-13", "soon", "0001-01", "2025-02-30", "9999-99"])
def test_an_unreadable_month_shows_the_current_one(personas: Personas, month: str) -> None:
    response = signed_in(personas.owner).get(URL, {"month": month})
    assert response.status_code == 200
    assert response.context["first"] == timezone.localdate().replace(day=1)
    assert "month" in response.context["invalid"]


def test_the_french_calendar_speaks_french(personas: Personas) -> None:
    personas.owner.language = "fr"
    personas.owner.save()
    content = signed_in(personas.owner).get(URL, {"month": "2025-08"}).content.decode()
    assert "août 2025" in content.lower()
    assert 'title="lundi"' in content


def test_the_month_page_runs_a_fixed_number_of_queries(
    personas: Personas, django_assert_num_queries
) -> None:
    client = signed_in(personas.head)
    month = {"month": "2025-01", "who": "book"}
    agenda = {"view": "agenda", "who": "book"}
    client.get(URL, month)  # the session's first read is not the page's
    park_all_rules()
    for number in range(3):
        account = AccountFactory(owner=personas.owner)
        due(account, datetime.date(2025, 1, 5 + number))
        task(personas.owner, f"Task {number}", datetime.date(2025, 1, 5), account)
    # Session and user, the navigation's two counts, the model permissions (read once), the
    # owners of the filter, the grid's cadences and tasks, and the same two for overdue work
    # from before the grid.
    with django_assert_num_queries(11 + 2 * OTHER_AGENDA_SOURCES):
        assert client.get(URL, month).status_code == 200
    with django_assert_num_queries(9 + OTHER_AGENDA_SOURCES):
        assert client.get(URL, agenda).status_code == 200
    for number in range(12):
        account = AccountFactory(owner=personas.outsider)
        due(account, datetime.date(2025, 1, 10 + number))
        task(personas.outsider, f"More {number}", datetime.date(2025, 1, 9), account)
    with django_assert_num_queries(11 + 2 * OTHER_AGENDA_SOURCES):
        response = client.get(URL, month)
    assert response.context["entry_count"] == 30
    with django_assert_num_queries(9 + OTHER_AGENDA_SOURCES):
        client.get(URL, agenda)


# The agenda view -------------------------------------------------------------------------------


def test_agenda_puts_overdue_first_then_groups_by_day(personas: Personas) -> None:
    park_all_rules()
    today = datetime.date(2025, 9, 10)
    due(personas.account, today - datetime.timedelta(days=3))
    task(personas.owner, "Long overdue", today - datetime.timedelta(days=20))
    task(personas.owner, "Today's", today)
    task(personas.owner, "In two days A", today + datetime.timedelta(days=2))
    task(personas.owner, "In two days B", today + datetime.timedelta(days=2))
    task(personas.owner, "Last day", today + datetime.timedelta(days=59))
    task(personas.owner, "Too far", today + datetime.timedelta(days=60))
    context = agenda_context(AgendaScope(user=personas.owner), today)
    assert [entry.title for entry in context["overdue"]] == [
        "Long overdue",
        "Check-in with Northwind Traders",
    ]
    assert [(day, [entry.title for entry in entries]) for day, entries in context["days"]] == [
        (today, ["Today's"]),
        (today + datetime.timedelta(days=2), ["In two days A", "In two days B"]),
        (today + datetime.timedelta(days=59), ["Last day"]),
    ]


def test_agenda_page_lists_overdue_before_upcoming(personas: Personas) -> None:
    park_all_rules()
    today = timezone.localdate()
    task(personas.owner, "Tomorrow's call", today + datetime.timedelta(days=1))
    task(personas.owner, "Forgotten follow-up", today - datetime.timedelta(days=4))
    response = signed_in(personas.owner).get(URL, {"view": "agenda"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Overdue (1)" in content
    assert content.index("Forgotten follow-up") < content.index("Tomorrow&#x27;s call")


def test_an_empty_agenda_says_so(personas: Personas) -> None:
    park_all_rules()
    content = signed_in(personas.owner).get(URL, {"view": "agenda"}).content.decode()
    assert "Nothing is due in the next 60 days, and nothing is overdue." in content


# Filters ---------------------------------------------------------------------------------------


def test_heads_filter_by_owner_or_whole_book(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, datetime.date(2025, 1, 8))
    due(personas.other_account, datetime.date(2025, 1, 9))
    client = signed_in(personas.head)
    titles = lambda params: sorted(  # noqa: E731
        title for titles in days_in(client.get(URL, params).context).values() for title in titles
    )
    assert titles({"month": "2025-01"}) == []
    assert titles({"month": "2025-01", "who": "book"}) == [
        "Check-in with Contoso",
        "Check-in with Northwind Traders",
    ]
    assert titles({"month": "2025-01", "who": str(personas.outsider.pk)}) == [
        "Check-in with Contoso"
    ]
    content = client.get(URL, {"month": "2025-01"}).content.decode()
    assert "The whole book" in content


def test_an_account_manager_cannot_look_at_the_book(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, datetime.date(2025, 1, 8))
    due(personas.other_account, datetime.date(2025, 1, 9))
    client = signed_in(personas.owner)
    for who in ("book", str(personas.outsider.pk)):
        response = client.get(URL, {"month": "2025-01", "who": who})
        assert days_in(response.context) == {
            datetime.date(2025, 1, 8): ["Check-in with Northwind Traders"]
        }
    assert "The whole book" not in response.content.decode()


def test_tier_filter(personas: Personas) -> None:
    park_all_rules()
    due(personas.account, datetime.date(2025, 1, 8))
    key = AccountFactory(name="Key client", owner=personas.owner, tier="key")
    due(key, datetime.date(2025, 1, 9))
    response = signed_in(personas.owner).get(URL, {"month": "2025-01", "tier": "key"})
    assert days_in(response.context) == {datetime.date(2025, 1, 9): ["Check-in with Key client"]}
    # The month links keep the filter.
    assert "month=2025-02&amp;tier=key" in response.content.decode()


def test_an_unknown_owner_or_tier_is_ignored(personas: Personas) -> None:
    response = signed_in(personas.head).get(
        URL, {"who": "999999", "tier": "platinum", "view": "weekly"}
    )
    assert response.status_code == 200
    assert response.context["scope"].owner is None
    assert set(response.context["invalid"]) == {"tier", "view"}


def test_htmx_gets_only_the_results(personas: Personas) -> None:
    response = signed_in(personas.owner).get(URL, {"month": "2025-01"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert "<html" not in content
    assert '<table class="calendar-month">' in content
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login/" in response["Location"]
