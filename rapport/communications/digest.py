"""The daily digest: one e-mail a day to each person with something overdue or due.

The periodic job runs every hour; a person receives the digest in the first run after the
digest hour of their own day (in their time zone), once: a ``DigestDelivery`` row per person and
day makes a second run, or a second worker, send nothing more.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from rapport.communications.models import DigestDelivery
from rapport.communications.selectors import TodayView, today_view
from rapport.users.models import User

logger = logging.getLogger(__name__)


def local_now(user: User, now: datetime.datetime) -> datetime.datetime:
    zone_name = user.time_zone or settings.TIME_ZONE
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return now.astimezone(zone)


def is_due(user: User, now: datetime.datetime) -> bool:
    return local_now(user, now).hour >= settings.RAPPORT_DIGEST_HOUR


def send_due_digests(*, now: datetime.datetime | None = None) -> int:
    """Send today's digest to everyone whose digest hour has come; return how many were sent."""
    now = now or timezone.now()
    sent = 0
    users = User.objects.filter(is_active=True).exclude(email="").order_by("pk")
    for user in users.iterator():
        if not is_due(user, now):
            continue
        day = local_now(user, now).date()
        if DigestDelivery.objects.filter(user=user, day=day).exists():
            continue
        try:
            if send_digest(user=user, day=day, now=now):
                sent += 1
        except Exception:
            # One person's failure (a bad address, a mail server hiccup) must not stop the rest;
            # no delivery is recorded, so the next hourly run tries again.
            logger.exception("The daily digest for user %s could not be sent.", user.pk)
    return sent


def send_digest(*, user: User, day: datetime.date, now: datetime.datetime) -> bool:
    """Send one person's digest for a day, if it has anything to say and was not sent yet."""
    with (
        translation.override(user.language or settings.LANGUAGE_CODE),
        timezone.override(user.time_zone or settings.TIME_ZONE),
    ):
        view = today_view(user=user, now=now)
        if not _worth_sending(view):
            return False
        try:
            with transaction.atomic():
                DigestDelivery.objects.create(user=user, day=day, sent_at=now)
                message = build_message(user=user, view=view)
                message.send()
        except IntegrityError:
            return False
    return True


def _worth_sending(view: TodayView) -> bool:
    return bool(view.overdue_cadence_count or view.due_soon_cadence_count or view.task_count)


def build_message(*, user: User, view: TodayView) -> EmailMultiAlternatives:
    """The digest in the active language: a plain-text body with an HTML alternative."""
    base_url = settings.RAPPORT_BASE_URL.rstrip("/")
    context = {
        "user": user,
        "view": view,
        # Links in an e-mail must be absolute; each record's path is appended to this.
        "base_url": base_url,
        "today_url": base_url + reverse("communications:today"),
        "calendar_url": base_url + reverse("communications:calendar"),
        "total": view.overdue_cadence_count + view.due_soon_cadence_count + view.task_count,
        # The lists stop at a page's worth; the rest is a link away.
        "more_overdue": view.overdue_cadence_count - len(view.overdue_cadences),
        "more_due_soon": view.due_soon_cadence_count - len(view.due_soon_cadences),
        "more_tasks": view.task_count - len(view.tasks),
    }
    subject = render_to_string("communications/email/digest_subject.txt", context).strip()
    text = render_to_string("communications/email/digest.txt", context)
    html = render_to_string("communications/email/digest.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message
