"""iCalendar in and out: .ics meetings imported as touchpoints, and each user's private feed.

Import: every VEVENT becomes a meeting on the account its attendees point to (chosen as for
e-mail, see ``ingestion.match_addresses``), one transaction each. An event is known by its UID
and, for one changed occurrence of a series, its RECURRENCE-ID: importing a file twice logs
nothing new. Cancelled events and events matching no account are reported, never stored.

Feed: the user's due cadences and open tasks (the agenda) as all-day events, which every
calendar app that subscribes to a URL shows; to-dos (VTODO) are not shown by most of them.
"""

from __future__ import annotations

import datetime
import hashlib
import zoneinfo
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vDuration

from rapport.communications import agenda, services
from rapport.communications.choices import TouchpointKind, TouchpointSource
from rapport.communications.ingestion import (
    DIGEST_PREFIX,
    SUBJECT_MAX,
    FileReport,
    MalformedFileError,
    MalformedMessageError,
    clean_text,
    external_id,
    match_addresses,
    upload_name,
)
from rapport.communications.models import (
    FEED_TOKEN_PREFIX,
    MAX_DURATION_MINUTES,
    CalendarFeed,
    Touchpoint,
    hash_feed_token,
)
from rapport.core.services import require_permission
from rapport.users.models import User

IMPORTED = "imported"
DUPLICATE = "duplicate"
UNMATCHED = "unmatched"

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 180
# Calendar apps poll a subscribed feed on their own schedule; these ask for about an hour.
FEED_REFRESH = datetime.timedelta(hours=1)
PRODUCT_ID = "-//Rapport//Communications//EN"


def user_zone(user: User) -> datetime.tzinfo:
    """The user's time zone, or the server's when they chose none."""
    if user.time_zone:
        try:
            return zoneinfo.ZoneInfo(user.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_default_timezone()


# Import --------------------------------------------------------------------------------------


@dataclass
class Meeting:
    """What a touchpoint needs from one calendar event."""

    uid: str
    subject: str
    notes: str
    start: datetime.datetime
    duration_minutes: int | None
    addresses: list[str] = field(default_factory=list)
    cancelled: bool = False
    repeats: bool = False


def calendar_file_events(upload: UploadedFile) -> list[tuple[Event, bool]]:
    """The events of an uploaded .ics file, each with whether its calendar cancels it."""
    upload.seek(0)
    data = upload.read()
    if not data.strip():
        raise MalformedFileError(_("The file is empty."))
    try:
        # Always bytes: the parser would take a string for a path to open.
        calendars = Calendar.from_ical(data, multiple=True)
    except ValueError as error:
        raise MalformedFileError(
            _("This is not a readable iCalendar file (%(reason)s).")
            % {"reason": clean_text(str(error), limit=120)}
        ) from error
    if not calendars or any(calendar.name != "VCALENDAR" for calendar in calendars):
        raise MalformedFileError(_("This is not an iCalendar file: it holds no VCALENDAR."))
    events: list[tuple[Event, bool]] = []
    for calendar in calendars:
        method_cancels = str(calendar.get("METHOD", "")).upper() == "CANCEL"
        events.extend(
            (event, method_cancels) for event in calendar.walk("VEVENT") if isinstance(event, Event)
        )
    return events


def _addresses(event: Event) -> list[str]:
    found: list[str] = []
    for name in ("ORGANIZER", "ATTENDEE"):
        values = event.get(name)
        if values is None:
            continue
        for value in values if isinstance(values, list) else [values]:
            found.append(str(value))
            params = getattr(value, "params", {})
            # RFC 7986: the address may sit in EMAIL when the value is not a mailto: URI.
            if params.get("EMAIL"):
                found.append(str(params["EMAIL"]))
    return found


def _aware(value: datetime.date, zone: datetime.tzinfo) -> datetime.datetime:
    """A start as an aware time: floating times and all-day dates in the user's zone."""
    if isinstance(value, datetime.datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=zone)
    return datetime.datetime.combine(value, datetime.time.min, tzinfo=zone)


def _recurrence_key(value: datetime.date) -> str:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    return value.strftime("%Y%m%d")


def parse_event(event: Event, *, zone: datetime.tzinfo, method_cancels: bool = False) -> Meeting:
    """Read one VEVENT; raises ``MalformedMessageError`` for one with no usable start."""
    try:
        start = event.start
    except ValueError as error:
        raise MalformedMessageError(_("it has no readable start.")) from error
    try:
        length: datetime.timedelta | None = event.duration
    except ValueError:
        length = None
    minutes = int(length.total_seconds() // 60) if length is not None else 0
    subject = " ".join(str(event.get("SUMMARY", "")).split())
    uid = clean_text(str(event.get("UID", "")).strip())
    if not uid:
        # Without a UID, the start and title still recognise the event on a second import.
        key = f"{_recurrence_key(start)}\n{subject}"
        uid = DIGEST_PREFIX + hashlib.sha256(key.encode()).hexdigest()
    recurrence = event.get("RECURRENCE-ID")
    recurrence_date = getattr(recurrence, "dt", None)
    if isinstance(recurrence_date, datetime.date):
        uid = f"{uid}#{_recurrence_key(recurrence_date)}"
    return Meeting(
        uid=external_id(uid),
        subject=clean_text(subject),
        notes=clean_text(str(event.get("DESCRIPTION", ""))).strip(),
        start=_aware(start, zone),
        duration_minutes=minutes if 0 < minutes <= MAX_DURATION_MINUTES else None,
        addresses=_addresses(event),
        cancelled=method_cancels or str(event.get("STATUS", "")).upper() == "CANCELLED",
        repeats=event.get("RRULE") is not None and recurrence is None,
    )


@transaction.atomic
def meeting_import(*, acting_user: User, meeting: Meeting) -> tuple[str, Touchpoint | None]:
    """Log one meeting on the account its attendees point to, unless already imported."""
    require_permission(acting_user, "communications.import_messages")
    if Touchpoint.objects.filter(
        source=TouchpointSource.CALENDAR, external_id=meeting.uid
    ).exists():
        return DUPLICATE, None
    match = match_addresses(meeting.addresses)
    if match.account is None:
        return UNMATCHED, None
    touchpoint = services.touchpoint_create(
        acting_user=acting_user,
        account=match.account,
        data={
            "kind": TouchpointKind.MEETING,
            "occurred_at": meeting.start,
            "duration_minutes": meeting.duration_minutes,
            "subject": clean_text(meeting.subject, limit=SUBJECT_MAX) or _("(no title)"),
            "notes": meeting.notes,
        },
        stakeholders=match.stakeholders,
        users=match.users,
        source=TouchpointSource.CALENDAR,
        external_id=meeting.uid,
    )
    return IMPORTED, touchpoint


def ics_import(
    *, acting_user: User, files: list[UploadedFile] | tuple[UploadedFile, ...]
) -> list[FileReport]:
    """Import uploaded .ics files, each event on its own; one report per file."""
    require_permission(acting_user, "communications.import_messages")
    zone = user_zone(acting_user)
    return [_import_calendar_file(upload, acting_user=acting_user, zone=zone) for upload in files]


def _import_calendar_file(
    upload: UploadedFile, *, acting_user: User, zone: datetime.tzinfo
) -> FileReport:
    report = FileReport(name=upload_name(upload))
    try:
        events = calendar_file_events(upload)
    except MalformedFileError as error:
        report.error = error.reason
        return report
    if not events:
        report.error = _("The file holds no events.")
    for number, (event, method_cancels) in enumerate(events, start=1):
        _import_one_event(
            event, number, report, acting_user=acting_user, zone=zone, cancels=method_cancels
        )
    return report


def _describe(meeting: Meeting, zone: datetime.tzinfo) -> str:
    when = formats.date_format(timezone.localtime(meeting.start, zone), "SHORT_DATETIME_FORMAT")
    subject = clean_text(meeting.subject, limit=80) or _("(no title)")
    return f"“{subject}” ({when})"


def _import_one_event(
    event: Event,
    number: int,
    report: FileReport,
    *,
    acting_user: User,
    zone: datetime.tzinfo,
    cancels: bool,
) -> None:
    try:
        meeting = parse_event(event, zone=zone, method_cancels=cancels)
    except MalformedMessageError as error:
        label = _("Event %(number)s") % {"number": number}
        report.failures.append(f"{label}: {error.reason}")
        return
    label = _describe(meeting, zone)
    if meeting.cancelled:
        report.cancelled.append(label)
        return
    try:
        outcome, touchpoint = meeting_import(acting_user=acting_user, meeting=meeting)
    except ValidationError as error:
        report.failures.append(
            _("%(item)s: %(reason)s") % {"item": label, "reason": " ".join(error.messages)}
        )
        return
    except DatabaseError:
        report.failures.append(_("%(item)s: it could not be saved.") % {"item": label})
        return
    if outcome == DUPLICATE:
        report.duplicates += 1
    elif outcome == UNMATCHED:
        report.unmatched.append(label)
    elif touchpoint is not None:
        report.imported.append(touchpoint)
        if meeting.repeats:
            report.notes.append(
                _("%(meeting)s repeats: only its first meeting was logged.") % {"meeting": label}
            )


# Feed ----------------------------------------------------------------------------------------


def feed_open(token: str, *, now: datetime.datetime | None = None) -> CalendarFeed | None:
    """The active feed a secret opens, its use recorded; None when unknown or revoked."""
    if not token.startswith(FEED_TOKEN_PREFIX):
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=hash_feed_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is not None:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now or timezone.now())
    return feed


def feed_url(raw_token: str) -> str:
    """The address a calendar app subscribes to; built from the secret, shown only once."""
    path = reverse("communications:calendar_feed", args=[raw_token])
    return settings.RAPPORT_BASE_URL.rstrip("/") + path


def _absolute(url: str) -> str:
    if urlsplit(url).scheme:
        return url
    return settings.RAPPORT_BASE_URL.rstrip("/") + url


def build_feed(*, user: User, now: datetime.datetime | None = None) -> bytes:
    """The user's due cadences and open tasks, from 30 days back to 180 ahead, as iCalendar."""
    now = now or timezone.now()
    zone = user_zone(user)
    today = timezone.localdate(now, zone)
    host = urlsplit(settings.RAPPORT_BASE_URL).hostname or "rapport"
    with translation.override(user.language or None), timezone.override(zone):
        entries = agenda.entries(
            scope=agenda.AgendaScope(user=user),
            start=today - datetime.timedelta(days=FEED_DAYS_BACK),
            end=today + datetime.timedelta(days=FEED_DAYS_AHEAD),
            today=today,
        )
        calendar = Calendar()
        calendar.add("prodid", PRODUCT_ID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _("Rapport: what is due for %(user)s") % {"user": user})
        calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
        for entry in entries:
            calendar.add_component(_feed_event(entry, host=host, now=now))
    return calendar.to_ical()


def _feed_event(entry: agenda.AgendaEntry, *, host: str, now: datetime.datetime) -> Event:
    event = Event()
    title = entry.title
    if entry.is_overdue:
        title = _("Overdue: %(title)s") % {"title": title}
    url = _absolute(entry.url)
    description: list[Any] = [entry.label]
    if entry.account is not None:
        description.append(entry.account.name)
    description.append(url)
    # The UID names the cadence rule or task: a moved due date updates the same event.
    event.add("uid", f"{entry.uid}@{host}")
    event.add("dtstamp", now.astimezone(datetime.UTC))
    event.add("dtstart", entry.date)
    event.add("dtend", entry.date + datetime.timedelta(days=1))
    event.add("summary", title)
    event.add("description", "\n".join(str(line) for line in description))
    event.add("url", url)
    event.add("categories", [entry.label])
    # Free time: a reminder must not make the person look busy to colleagues.
    event.add("transp", "TRANSPARENT")
    return event
