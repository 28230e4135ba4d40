"""Tasks, events and cases on their own: exchanges become touchpoints with their participants,
to-dos become tasks, cases are kept whole; re-imports change only what changed."""

import datetime

import pytest
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.communications.choices import TaskStatus, TouchpointKind, TouchpointSource
from rapport.communications.models import (
    RelationshipStrength,
    Task,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.core.tests.factories import UserFactory
from rapport.interchange.models import SalesforceRecord
from rapport.interchange.salesforce.values import noon
from rapport.interchange.tests.sfgen import SalesforceExport
from rapport.interchange.tests.test_salesforce_objects import (
    REASON,
    counts,
    edit,
    loader,
    problems,
    tally,
)
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User


@pytest.fixture
def load(tmp_path, settings):
    return loader(tmp_path, settings)


def book(seed=11):
    """Two accounts of one owner, a person at each, a contract and a deal on the first."""
    export = SalesforceExport(seed=seed)
    ids = {"owner": export.user(email="owner@example.com")}
    ids["helper"] = export.user(email="helper@example.com")
    ids["acme"] = export.account(name="Acme", owner=ids["owner"], Description="")
    ids["beta"] = export.account(name="Beta", owner=ids["owner"], Description="")
    ids["ana"] = export.contact(account=ids["acme"], LastName="Ana", Description="")
    ids["ben"] = export.contact(account=ids["acme"], LastName="Ben", Description="")
    ids["bea"] = export.contact(account=ids["beta"], LastName="Bea", Description="")
    ids["contract"] = export.contract(account=ids["acme"])
    ids["deal"] = export.opportunity(account=ids["acme"])
    return export, ids


def exchange(export, **fields):
    """A Task that records a call held: one line, so that problem lines are predictable."""
    return export.task(Description="", **fields)


def person(ids, key):
    return Stakeholder.objects.get(salesforce_id=ids[key])


def user(ids, key):
    return User.objects.get(salesforce_id=ids[key])


# Task as an exchange -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_task_exchange_becomes_a_touchpoint_with_its_participants(load):
    export, ids = book()
    call = exchange(
        export,
        what=ids["acme"],
        who=ids["ana"],
        owner=ids["owner"],
        Subject="Renewal call",
        ActivityDate="2024-03-15",
        CallDurationInSeconds="601",
        Rapport_Sentiment__c="Positive",
    )
    result = load(export)
    assert counts(result, "Task") == tally(created=1)
    touchpoint = Touchpoint.objects.get(salesforce_id=call)
    assert touchpoint.account.salesforce_id == ids["acme"]
    assert (touchpoint.kind, touchpoint.subject, touchpoint.duration_minutes) == (
        TouchpointKind.CALL,
        "Renewal call",
        11,
    )
    assert touchpoint.sentiment == "positive"
    assert touchpoint.source == TouchpointSource.SALESFORCE
    assert touchpoint.occurred_at == noon(datetime.date(2024, 3, 15))
    assert touchpoint.logged_by == user(ids, "owner")
    assert touchpoint.history.get().history_change_reason == REASON

    link = TouchpointStakeholder.objects.get()
    assert (link.touchpoint, link.stakeholder) == (touchpoint, person(ids, "ana"))
    assert link.occurred_at == touchpoint.occurred_at and link.is_exchange
    ours = TouchpointUser.objects.get()
    assert (ours.touchpoint, ours.user, ours.occurred_at) == (
        touchpoint,
        user(ids, "owner"),
        touchpoint.occurred_at,
    )
    assert link.history.get().history_change_reason == REASON
    assert ours.history.get().history_change_reason == REASON

    # Derived: the account's and the person's last contact.
    assert Account.objects.get(salesforce_id=ids["acme"]).last_contact_at == touchpoint.occurred_at
    assert person(ids, "ana").last_contact_at == touchpoint.occurred_at
    assert person(ids, "ben").last_contact_at is None
    assert Account.objects.get(salesforce_id=ids["beta"]).last_contact_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        ({"TaskSubtype": "Call", "Type": ""}, TouchpointKind.CALL),
        ({"TaskSubtype": "Email", "Type": ""}, TouchpointKind.EMAIL),
        ({"TaskSubtype": "ListEmail", "Type": ""}, TouchpointKind.EMAIL),
        ({"TaskSubtype": "Task", "Type": "Meeting"}, TouchpointKind.MEETING),
        ({"TaskSubtype": "Task", "Type": "Call"}, TouchpointKind.CALL),
        ({"TaskSubtype": "Task", "Type": "", "Rapport_Kind__c": "chat"}, TouchpointKind.CHAT),
        ({"TaskSubtype": "Call", "Rapport_Kind__c": "note"}, TouchpointKind.NOTE),
    ],
)
def test_task_exchange_kinds(load, cells, kind):
    export, ids = book()
    call = exchange(export, what=ids["acme"], **cells)
    load(export)
    assert Touchpoint.objects.get(salesforce_id=call).kind == kind
    assert Task.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("what", ["acme", "deal", "contract", None])
def test_task_account_from_each_kind_of_what_or_from_who(load, what):
    export, ids = book()
    call = exchange(export, what=ids[what] if what else None, who=ids["bea"] if not what else None)
    result = load(export)
    expected = "beta" if what is None else "acme"
    assert Touchpoint.objects.get(salesforce_id=call).account.salesforce_id == ids[expected]
    assert problems(result) == []


@pytest.mark.django_db
def test_task_unresolved_references(load):
    export, ids = book()
    gone_account = export.new_id("Account")
    gone_person = export.new_id("Contact")
    gone_user = export.new_id("User")
    # Line 2: WhatId unknown, the account comes from WhoId.
    fallback = exchange(export, what=gone_account, who=ids["bea"])
    # Line 3: WhatId and WhoId unknown: no account, skipped.
    exchange(export, what=gone_account, who=gone_person)
    # Line 4: WhoId and OwnerId unknown: kept without participants.
    kept = exchange(export, what=ids["acme"], who=gone_person, owner=gone_user)
    # Line 5: no reference at all.
    exchange(export)
    # Line 6: not a date.
    exchange(export, what=ids["acme"], ActivityDate="15/03/2024")
    result = load(export)
    assert counts(result, "Task") == tally(created=2, skipped=3)
    assert Touchpoint.objects.get(salesforce_id=fallback).account.salesforce_id == ids["beta"]
    touchpoint = Touchpoint.objects.get(salesforce_id=kept)
    assert touchpoint.logged_by is None
    assert not touchpoint.stakeholder_links.exists() and not touchpoint.user_links.exists()
    found = [(file, line, field) for file, line, field, _r in problems(result)]
    assert found == [
        ("Task.csv", 2, "WhatId"),
        ("Task.csv", 3, "WhatId"),
        ("Task.csv", 3, "WhoId"),
        ("Task.csv", 3, "WhatId"),
        ("Task.csv", 4, "WhoId"),
        ("Task.csv", 4, "OwnerId"),
        ("Task.csv", 5, "WhatId"),
        ("Task.csv", 6, "ActivityDate"),
    ]
    assert "neither in the export nor imported before" in problems(result)[0][3]


@pytest.mark.django_db
def test_task_exchange_reimport_unchanged_then_changed(load):
    export, ids = book()
    call = exchange(export, what=ids["acme"], who=ids["ana"], owner=ids["owner"])
    load(export)
    written = (
        Touchpoint.history.count(),
        TouchpointStakeholder.history.count(),
        TouchpointUser.history.count(),
    )
    assert written == (1, 1, 1)

    again = load(export)
    assert counts(again, "Task") == tally(unchanged=1)
    assert (
        Touchpoint.history.count(),
        TouchpointStakeholder.history.count(),
        TouchpointUser.history.count(),
    ) == written

    edit(export, "Task", call, Subject="Renewal call, take two", ActivityDate="2024-03-20")
    changed = load(export)
    assert counts(changed, "Task") == tally(updated=1)
    touchpoint = Touchpoint.objects.get(salesforce_id=call)
    assert touchpoint.subject == "Renewal call, take two"
    assert touchpoint.history.first().history_type == "~"
    moved = noon(datetime.date(2024, 3, 20))
    # The participants' copied times follow, with their history.
    assert TouchpointStakeholder.objects.get().occurred_at == moved
    assert TouchpointUser.objects.get().occurred_at == moved
    assert TouchpointStakeholder.history.first().history_type == "~"
    assert person(ids, "ana").last_contact_at == moved


@pytest.mark.django_db
def test_changed_participants_on_reimport(load):
    export, ids = book()
    call = exchange(export, what=ids["acme"], who=ids["ana"], owner=ids["owner"])
    load(export)
    assert person(ids, "ana").last_contact_at is not None

    edit(export, "Task", call, WhoId=ids["ben"], OwnerId=ids["helper"])
    result = load(export)
    assert counts(result, "Task") == tally(updated=1)
    touchpoint = Touchpoint.objects.get(salesforce_id=call)
    assert list(touchpoint.stakeholder_links.values_list("stakeholder__last_name", flat=True)) == [
        "Ben"
    ]
    assert list(touchpoint.user_links.values_list("user__email", flat=True)) == [
        "helper@example.com"
    ]
    assert touchpoint.logged_by == user(ids, "helper")
    gone = TouchpointStakeholder.history.filter(history_type="-").get()
    assert gone.stakeholder_id == person(ids, "ana").pk
    assert gone.history_change_reason == REASON
    assert TouchpointUser.history.filter(history_type="-").get().user == user(ids, "owner")
    assert person(ids, "ana").last_contact_at is None
    assert person(ids, "ben").last_contact_at == touchpoint.occurred_at

    # Without a WhoId any more: the last link goes.
    edit(export, "Task", call, WhoId="")
    load(export)
    assert not TouchpointStakeholder.objects.exists()
    assert person(ids, "ben").last_contact_at is None


@pytest.mark.django_db
def test_only_the_person_changed_counts_updated_and_rescores_the_pair(load):
    export, ids = book()
    call = exchange(export, what=ids["acme"], who=ids["ana"], owner=ids["owner"])
    load(export)
    owner = user(ids, "owner")
    assert list(RelationshipStrength.objects.values_list("user", "stakeholder")) == [
        (owner.pk, person(ids, "ana").pk)
    ]
    touchpoint_history = Touchpoint.history.count()

    edit(export, "Task", call, WhoId=ids["ben"])
    result = load(export)
    assert counts(result, "Task") == tally(updated=1)
    # The touchpoint's own fields did not change: only its links have new history rows.
    assert Touchpoint.history.count() == touchpoint_history
    assert TouchpointStakeholder.history.filter(history_type="-").count() == 1
    assert TouchpointStakeholder.history.filter(history_type="+").count() == 2
    assert list(RelationshipStrength.objects.values_list("user", "stakeholder")) == [
        (owner.pk, person(ids, "ben").pk)
    ]
    assert counts(load(export), "Task") == tally(unchanged=1)


@pytest.mark.django_db
def test_touchpoint_moved_to_another_account_refreshes_both(load):
    export, ids = book()
    call = exchange(export, what=ids["acme"], owner=ids["owner"])
    load(export)
    assert Account.objects.get(salesforce_id=ids["acme"]).last_contact_at is not None

    edit(export, "Task", call, WhatId=ids["beta"])
    load(export)
    touchpoint = Touchpoint.objects.get(salesforce_id=call)
    assert touchpoint.account.salesforce_id == ids["beta"]
    beta = Account.objects.get(salesforce_id=ids["beta"])
    assert beta.last_contact_at == touchpoint.occurred_at
    assert Account.objects.get(salesforce_id=ids["acme"]).last_contact_at is None


@pytest.mark.django_db
def test_account_last_contact_is_the_latest_exchange_not_a_note(load):
    export, ids = book()
    exchange(export, what=ids["acme"], ActivityDate="2024-01-10")
    exchange(export, what=ids["acme"], ActivityDate="2024-02-10", TaskSubtype="Email")
    exchange(export, what=ids["acme"], ActivityDate="2024-05-01", Rapport_Kind__c="note")
    export.event(what=ids["beta"], StartDateTime="2024-04-02T09:30:00.000Z")
    load(export)
    acme = Account.objects.get(salesforce_id=ids["acme"])
    assert acme.last_contact_at == noon(datetime.date(2024, 2, 10))
    beta = Account.objects.get(salesforce_id=ids["beta"])
    assert beta.last_contact_at == datetime.datetime(2024, 4, 2, 9, 30, tzinfo=datetime.UTC)


# Task as a to-do ---------------------------------------------------------------------------------


def to_do(export, **fields):
    cells = {
        "TaskSubtype": "Task",
        "Type": "",
        "Status": "Not Started",
        "IsClosed": "false",
        "CallDurationInSeconds": "",
        "Description": "",
    }
    return export.task(**(cells | fields))


@pytest.mark.django_db
def test_task_to_do_becomes_a_task(load):
    export, ids = book()
    open_one = to_do(
        export,
        what=ids["deal"],
        who=ids["ana"],
        owner=ids["helper"],
        Subject="Send the quote",
        ActivityDate="2024-06-01",
        Description="With the discount",
    )
    done = to_do(
        export, what=ids["beta"], owner=ids["owner"], Status="Completed", ActivityDate="2024-02-01"
    )
    closed = to_do(export, what=ids["contract"], owner=ids["owner"], IsClosed="true")
    result = load(export)
    assert counts(result, "Task") == tally(created=3)
    assert Touchpoint.objects.count() == 0
    task = Task.objects.get(salesforce_id=open_one)
    assert task.account.salesforce_id == ids["acme"]
    assert (task.title, task.notes, task.due_on, task.status) == (
        "Send the quote",
        "With the discount",
        datetime.date(2024, 6, 1),
        TaskStatus.OPEN,
    )
    assert task.assignee == user(ids, "helper")
    assert task.completed_at is None and task.completed_by is None
    finished = Task.objects.get(salesforce_id=done)
    assert finished.status == TaskStatus.DONE
    assert finished.account.salesforce_id == ids["beta"]
    assert finished.completed_at == noon(datetime.date(2024, 2, 1))
    assert finished.completed_by == user(ids, "owner")
    also = Task.objects.get(salesforce_id=closed)
    assert also.status == TaskStatus.DONE and also.account.salesforce_id == ids["acme"]
    assert also.completed_at is not None
    assert task.history.get().history_change_reason == REASON


@pytest.mark.django_db
def test_task_to_do_reimport_and_completion(load):
    export, ids = book()
    open_one = to_do(export, what=ids["acme"], owner=ids["helper"], ActivityDate="2024-06-01")
    load(export)
    assert counts(load(export), "Task") == tally(unchanged=1)
    assert Task.history.count() == 1

    edit(export, "Task", open_one, Status="Completed", IsClosed="true")
    changed = load(export)
    assert counts(changed, "Task") == tally(updated=1)
    task = Task.objects.get(salesforce_id=open_one)
    assert task.status == TaskStatus.DONE
    assert task.completed_at == noon(datetime.date(2024, 6, 1))
    assert task.completed_by == user(ids, "helper")
    assert task.history.first().history_type == "~"
    assert task.history.first().completed_at == task.completed_at

    edit(export, "Task", open_one, Status="In Progress", IsClosed="false")
    reopened = load(export)
    assert counts(reopened, "Task") == tally(updated=1)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.completed_at is None
    assert task.completed_by is None


@pytest.mark.django_db
def test_task_to_do_without_owner_goes_to_an_administrator(load):
    admin = UserFactory(email="admin@example.com", role=Role.ADMINISTRATOR)
    export, ids = book()
    lost = to_do(export, what=ids["acme"], owner=export.new_id("User"))  # line 2
    nobody = to_do(export, what=ids["acme"])  # line 3
    result = load(export)
    assert counts(result, "Task") == tally(created=2)
    assert set(Task.objects.values_list("assignee", flat=True)) == {admin.pk}
    assert {Task.objects.get(salesforce_id=lost).pk, Task.objects.get(salesforce_id=nobody).pk}
    assert [(line, field) for _f, line, field, _r in problems(result)] == [
        (2, "OwnerId"),
        (2, "OwnerId"),
        (3, "OwnerId"),
    ]


@pytest.mark.django_db
def test_task_to_do_without_anyone_to_assign_is_skipped(load):
    export, ids = book()
    to_do(export, what=ids["acme"])
    result = load(export)
    assert counts(result, "Task") == tally(skipped=1)
    assert Task.objects.count() == 0
    assert [field for _f, _l, field, _r in problems(result)] == ["OwnerId"]


# Event -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_event_becomes_a_meeting(load):
    export, ids = book()
    review = export.event(
        what=ids["deal"],
        who=ids["ben"],
        owner=ids["owner"],
        Subject="Quarterly review",
        StartDateTime="2024-04-02T09:30:00.000+0200",
        DurationInMinutes="90",
    )
    visit = export.event(what=ids["beta"], Rapport_Kind__c="site_visit", StartDateTime="")
    export.event(what=ids["acme"], DurationInMinutes="-5")  # line 4
    export.event(what=ids["acme"], StartDateTime="", ActivityDate="")  # line 5
    first = load(export)
    assert counts(first, "Event") == tally(created=2, skipped=2)
    meeting = Touchpoint.objects.get(salesforce_id=review)
    assert meeting.kind == TouchpointKind.MEETING
    assert meeting.account.salesforce_id == ids["acme"]
    assert meeting.occurred_at == datetime.datetime(2024, 4, 2, 7, 30, tzinfo=datetime.UTC)
    assert meeting.duration_minutes == 90
    assert meeting.stakeholder_links.get().stakeholder == person(ids, "ben")
    assert meeting.user_links.get().user == user(ids, "owner")
    other = Touchpoint.objects.get(salesforce_id=visit)
    assert other.kind == TouchpointKind.SITE_VISIT
    assert other.occurred_at == noon(datetime.date(2024, 4, 2))
    assert [(line, field) for _f, line, field, _r in problems(first)] == [
        (4, "DurationInMinutes"),
        (5, "ActivityDate"),
    ]
    assert person(ids, "ben").last_contact_at == meeting.occurred_at

    assert counts(load(export), "Event") == tally(unchanged=2, skipped=2)
    assert Touchpoint.history.count() == 2

    edit(export, "Event", review, DurationInMinutes="45", WhoId=ids["ana"])
    changed = load(export)
    assert counts(changed, "Event") == tally(updated=1, unchanged=1, skipped=2)
    meeting.refresh_from_db()
    assert meeting.duration_minutes == 45
    assert meeting.stakeholder_links.get().stakeholder == person(ids, "ana")


@pytest.mark.django_db
def test_event_in_the_future_is_not_a_last_contact(load):
    export, ids = book()
    later = (timezone.now() + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    export.event(what=ids["acme"], who=ids["ana"], StartDateTime=later)
    load(export)
    assert Touchpoint.objects.count() == 1
    assert Account.objects.get(salesforce_id=ids["acme"]).last_contact_at is None
    assert person(ids, "ana").last_contact_at is None


# Case --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_is_kept_whole(load):
    export = SalesforceExport(seed=12)
    ticket = export.case(Subject="Login fails, again\nsince Monday", Origin="Web")
    short = export.case(Subject="Slow reports")
    export.rows["Case"][-1]["Id"] = short[:15]
    first = load(export)
    assert counts(first, "Case") == tally(created=2)
    kept = SalesforceRecord.objects.get(salesforce_id=ticket)
    assert kept.object_name == "Case"
    assert kept.data["Subject"] == "Login fails, again\nsince Monday"
    assert (kept.data["Origin"], kept.data["Priority__c"]) == ("Web", "High")
    assert SalesforceRecord.objects.get(salesforce_id=short).data["Id"] == short

    assert counts(load(export), "Case") == tally(unchanged=2)

    edit(export, "Case", ticket, Status="Closed")
    changed = load(export)
    assert counts(changed, "Case") == tally(updated=1, unchanged=1)
    kept.refresh_from_db()
    assert kept.data["Status"] == "Closed"
    assert SalesforceRecord.objects.count() == 2
