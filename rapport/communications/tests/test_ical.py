"""The .ics import and the private feed, with real files built by the icalendar package."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from icalendar import Calendar, Event, vCalAddress

from rapport.communications import ical, services
from rapport.communications.choices import (
    CadenceKind,
    TaskStatus,
    TouchpointKind,
    TouchpointSource,
)
from rapport.communications.models import CadenceRule, CalendarFeed, InboundMessage, Touchpoint
from rapport.core.exceptions import NotAllowedError
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
ADA = "ada@northwind.example"


def attendee(address: str, name: str = "") -> vCalAddress:
    value = vCalAddress(address)
    if name:
        value.params["CN"] = name
    return value


def meeting(
    uid: str = "kickoff-1@calendar.example",
    *,
    summary: str = "Réunion de lancement",
    start: datetime.date = datetime.datetime(2025, 3, 4, 10, 0, tzinfo=PARIS),
    end: datetime.date | None = datetime.datetime(2025, 3, 4, 11, 0, tzinfo=PARIS),
    duration: datetime.timedelta | None = None,
    attendees: tuple[str, ...] = ("MAILTO:Ada@Northwind.example",),
    organizer: str | None = "mailto:owner@example.com",
    description: str = "Ordre du jour : présentation, calendrier, équipe.",
    status: str | None = None,
    recurrence_id: datetime.date | None = None,
    rrule: dict | None = None,
) -> Event:
    event = Event()
    if uid:
        event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstamp", datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC))
    event.add("dtstart", start)
    if end is not None:
        event.add("dtend", end)
    if duration is not None:
        event.add("duration", duration)
    if organizer:
        event.add("organizer", attendee(organizer))
    for address in attendees:
        event.add("attendee", attendee(address, name="Ada Lovelace"))
    if description:
        event.add("description", description)
    if status:
        event.add("status", status)
    if recurrence_id is not None:
        event.add("recurrence-id", recurrence_id)
    if rrule:
        event.add("rrule", rrule)
    return event


def ics(*events: Event, method: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tests//Rapport//FR")
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/calendar")


@pytest.fixture
def ada(personas: Personas):  # type: ignore[no-untyped-def]
    personas.stakeholder.email = ADA
    personas.stakeholder.save()
    return personas.stakeholder


def run(personas: Personas, *files: SimpleUploadedFile, user=None) -> list:  # type: ignore[no-untyped-def]
    return ical.ics_import(acting_user=user or personas.owner, files=list(files))


def test_a_meeting_with_a_time_zone_becomes_a_touchpoint(personas, ada) -> None:  # type: ignore[no-untyped-def]
    [report] = run(personas, upload("kickoff.ics", ics(meeting())))
    assert report.succeeded and len(report.imported) == 1
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.kind == TouchpointKind.MEETING
    assert touchpoint.source == TouchpointSource.CALENDAR
    assert touchpoint.external_id == "kickoff-1@calendar.example"
    assert touchpoint.account == personas.account
    assert touchpoint.occurred_at == datetime.datetime(2025, 3, 4, 9, 0, tzinfo=datetime.UTC)
    assert touchpoint.duration_minutes == 60
    assert touchpoint.subject == "Réunion de lancement"
    assert touchpoint.notes == "Ordre du jour : présentation, calendrier, équipe."
    assert list(touchpoint.stakeholders.all()) == [ada]
    assert list(touchpoint.users.all()) == [personas.owner]
    assert touchpoint.logged_by == personas.owner


def test_utc_times_and_durations_are_read(personas, ada) -> None:  # type: ignore[no-untyped-def]
    event = meeting(
        start=datetime.datetime(2025, 3, 5, 15, 30, tzinfo=datetime.UTC),
        end=None,
        duration=datetime.timedelta(minutes=45),
    )
    run(personas, upload("utc.ics", ics(event)))
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.occurred_at == datetime.datetime(2025, 3, 5, 15, 30, tzinfo=datetime.UTC)
    assert touchpoint.duration_minutes == 45


def test_an_all_day_event_starts_at_midnight_in_the_users_zone(personas, ada) -> None:  # type: ignore[no-untyped-def]
    personas.owner.time_zone = "America/New_York"
    personas.owner.save()
    event = meeting(start=datetime.date(2025, 3, 4), end=datetime.date(2025, 3, 5))
    run(personas, upload("day.ics", ics(event)))
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.occurred_at == datetime.datetime(2025, 3, 4, 0, 0, tzinfo=NEW_YORK)
    assert touchpoint.duration_minutes == 24 * 60


def test_a_floating_time_is_read_in_the_users_zone(personas, ada) -> None:  # type: ignore[no-untyped-def]
    personas.owner.time_zone = "Europe/Paris"
    personas.owner.save()
    event = meeting(start=datetime.datetime(2025, 7, 1, 9, 0), end=None)
    run(personas, upload("floating.ics", ics(event)))
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.occurred_at == datetime.datetime(2025, 7, 1, 7, 0, tzinfo=datetime.UTC)
    assert touchpoint.duration_minutes is None


def test_a_moved_occurrence_is_its_own_meeting_and_imports_once(personas, ada) -> None:  # type: ignore[no-untyped-def]
    series = meeting("weekly@x", rrule={"freq": "weekly", "count": 10})
    moved = meeting(
        "weekly@x",
        summary="Point hebdo (déplacé)",
        start=datetime.datetime(2025, 3, 12, 14, 0, tzinfo=PARIS),
        end=datetime.datetime(2025, 3, 12, 15, 0, tzinfo=PARIS),
        recurrence_id=datetime.datetime(2025, 3, 11, 10, 0, tzinfo=PARIS),
    )
    [report] = run(personas, upload("weekly.ics", ics(series, moved)))
    assert sorted(Touchpoint.objects.values_list("external_id", flat=True)) == [
        "weekly@x",
        "weekly@x#20250311T090000Z",
    ]
    assert len(report.notes) == 1 and "repeats" in report.notes[0]
    [again] = run(personas, upload("weekly.ics", ics(series, moved)))
    assert again.duplicates == 2 and again.imported == []
    assert Touchpoint.objects.count() == 2


def test_cancelled_and_unmatched_events_are_reported_not_stored(personas, ada) -> None:  # type: ignore[no-untyped-def]
    cancelled = meeting("cancelled@x", summary="Annulée", status="CANCELLED")
    stranger = meeting(
        "stranger@x",
        summary="Inconnu",
        attendees=("mailto:someone@nowhere.example",),
        organizer="mailto:owner@example.com",
    )
    [report] = run(personas, upload("mixed.ics", ics(cancelled, stranger, meeting())))
    assert len(report.imported) == 1
    assert len(report.cancelled) == 1 and "Annulée" in report.cancelled[0]
    assert len(report.unmatched) == 1 and "Inconnu" in report.unmatched[0]
    assert Touchpoint.objects.count() == 1
    assert not InboundMessage.objects.exists()


def test_a_cancel_message_cancels_its_events(personas, ada) -> None:  # type: ignore[no-untyped-def]
    [report] = run(personas, upload("cancel.ics", ics(meeting(), method="CANCEL")))
    assert report.imported == [] and len(report.cancelled) == 1


def test_the_domain_picks_the_account_when_no_attendee_is_known(personas) -> None:  # type: ignore[no-untyped-def]
    personas.other_account.domain = "contoso.example"
    personas.other_account.save()
    event = meeting(
        attendees=("mailto:Lea@CONTOSO.example",), organizer="mailto:outsider@example.com"
    )
    run(personas, upload("contoso.ics", ics(event)), user=personas.outsider)
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.account == personas.other_account
    assert list(touchpoint.users.all()) == [personas.outsider]


def test_attendees_from_two_accounts_go_to_the_one_with_most(personas, ada) -> None:  # type: ignore[no-untyped-def]
    grace = StakeholderFactory(account=personas.account, email="grace@northwind.example")
    StakeholderFactory(account=personas.other_account, email="bob@contoso.example")
    event = meeting(
        attendees=(
            "mailto:bob@contoso.example",
            "mailto:ada@northwind.example",
            "mailto:grace@northwind.example",
        )
    )
    run(personas, upload("three.ics", ics(event)))
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.account == personas.account
    assert set(touchpoint.stakeholders.all()) == {ada, grace}


def test_malformed_files_are_reported_while_good_ones_import(personas, ada) -> None:  # type: ignore[no-untyped-def]
    no_start = Event()
    no_start.add("uid", "nostart@x")
    no_start.add("summary", "Sans date")
    reports = run(
        personas,
        upload("empty.ics", b""),
        upload("notes.ics", b"just some notes\nnot a calendar"),
        upload("bare.ics", b"BEGIN:VEVENT\r\nUID:y\r\nEND:VEVENT\r\n"),
        upload("nothing.ics", ics()),
        upload("good.ics", ics(no_start, meeting())),
    )
    by_name = {report.name: report for report in reports}
    assert by_name["empty.ics"].error == "The file is empty."
    assert "not a readable iCalendar file" in by_name["notes.ics"].error
    assert "no VCALENDAR" in by_name["bare.ics"].error
    assert by_name["nothing.ics"].error == "The file holds no events."
    good = by_name["good.ics"]
    assert good.error == "" and len(good.imported) == 1
    assert good.failures == ["Event 1: it has no readable start."]


def test_read_only_users_cannot_import_meetings(personas, ada) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowedError):
        run(personas, upload("kickoff.ics", ics(meeting())), user=personas.read_only)


# The feed ------------------------------------------------------------------------------------

NOW = datetime.datetime(2025, 6, 2, 8, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()


def task(personas: Personas, title: str, days: int, assignee=None):  # type: ignore[no-untyped-def]
    return services.task_create(
        acting_user=personas.owner,
        data={
            "title": title,
            "account": personas.account,
            "assignee": assignee or personas.owner,
            "due_on": TODAY + datetime.timedelta(days=days),
        },
    )


def feed_events(user) -> dict[str, Event]:  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(ical.build_feed(user=user, now=NOW))
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_holds_own_tasks_and_cadences_as_all_day_events(personas, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_BASE_URL = "https://rapport.example.com/"
    soon = task(personas, "Envoyer le devis révisé", 3)
    late = task(personas, "Relancer Ada", -5)
    task(personas, "Trop ancien", -40)
    task(personas, "Trop lointain", 200)
    far = task(personas, "Dans six mois", 170)
    done = task(personas, "Déjà fait", 2)
    services.task_set_status(task=done, acting_user=personas.owner, status=TaskStatus.DONE)
    task(personas, "Pour un collègue", 1, assignee=personas.teammate)
    rule = services.cadence_rule_set(
        acting_user=personas.owner,
        account=personas.account,
        kind=CadenceKind.CHECK_IN,
        interval_days=30,
    )
    elsewhere = services.cadence_rule_set(
        acting_user=personas.outsider,
        account=personas.other_account,
        kind=CadenceKind.CHECK_IN,
        interval_days=30,
    )
    # The rules count from the real today; the feed is built for a fixed one.
    CadenceRule.objects.filter(pk__in=[rule.pk, elsewhere.pk]).update(
        next_due_on=TODAY + datetime.timedelta(days=10)
    )
    events = feed_events(personas.owner)
    assert set(events) == {
        f"task-{soon.pk}@rapport.example.com",
        f"task-{late.pk}@rapport.example.com",
        f"task-{far.pk}@rapport.example.com",
        f"cadence-{rule.pk}@rapport.example.com",
    }
    event = events[f"task-{soon.pk}@rapport.example.com"]
    assert event.start == TODAY + datetime.timedelta(days=3)
    assert not isinstance(event.start, datetime.datetime)
    assert event.end == TODAY + datetime.timedelta(days=4)
    assert str(event["SUMMARY"]) == "Envoyer le devis révisé"
    assert str(event["URL"]) == "https://rapport.example.com" + soon.get_absolute_url()
    assert event["DTSTAMP"].dt == NOW
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(events[f"task-{late.pk}@rapport.example.com"]["SUMMARY"]) == "Overdue: Relancer Ada"
    cadence = events[f"cadence-{rule.pk}@rapport.example.com"]
    assert "Northwind Traders" in str(cadence["SUMMARY"])
    assert str(cadence["URL"]).endswith(f"/accounts/{personas.account.pk}/cadence/")


def test_an_empty_feed_is_still_a_calendar_to_subscribe_to(personas) -> None:  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(ical.build_feed(user=personas.owner, now=NOW))
    assert str(calendar["PRODID"]) == ical.PRODUCT_ID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(personas.owner) in str(calendar["X-WR-CALNAME"])
    assert calendar["REFRESH-INTERVAL"].dt == datetime.timedelta(hours=1)
    assert b"X-PUBLISHED-TTL:PT1H" in ical.build_feed(user=personas.owner, now=NOW)
    assert calendar.walk("VEVENT") == []


def test_a_feed_opens_only_with_its_live_secret(personas) -> None:  # type: ignore[no-untyped-def]
    feed, raw = services.calendar_feed_create(user=personas.owner)
    assert ical.feed_open(raw, now=NOW) == feed
    feed.refresh_from_db()
    assert feed.last_used_at == NOW
    assert ical.feed_open(raw + "x") is None
    assert ical.feed_open("not-a-token") is None
    services.calendar_feed_revoke(user=personas.owner)
    assert ical.feed_open(raw) is None
    _feed, fresh = services.calendar_feed_create(user=personas.owner)
    personas.owner.is_active = False
    personas.owner.save()
    assert ical.feed_open(fresh) is None
    assert CalendarFeed.objects.filter(user=personas.owner).count() == 2
