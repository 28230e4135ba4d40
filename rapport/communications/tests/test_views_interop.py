"""The import pages, the unmatched e-mails and the feed, driven through real HTTP requests."""

from __future__ import annotations

import datetime
import mailbox
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from rapport.accounts.models import Account
from rapport.communications import agenda, ingestion, services
from rapport.communications.choices import InboundStatus, TouchpointSource
from rapport.communications.models import (
    CalendarFeed,
    InboundMessage,
    Touchpoint,
    hash_feed_token,
)
from rapport.communications.tests.test_ical import ics, meeting
from rapport.communications.tests.test_ingestion import ADA, eml
from rapport.core.tests.personas import Personas

pytestmark = pytest.mark.django_db

MAIL = reverse("communications:mail_import")
ICS = reverse("communications:ics_import")
INBOUND = reverse("communications:inbound_list")
FEED_SETTINGS = reverse("communications:calendar_feed_settings")


@pytest.fixture
def ada(personas: Personas):  # type: ignore[no-untyped-def]
    personas.stakeholder.email = ADA
    personas.stakeholder.save()
    return personas.stakeholder


@pytest.fixture
def owner_client(client: Client, personas: Personas) -> Client:
    client.force_login(personas.owner)
    return client


def files(*pairs: tuple[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, content) for name, content in pairs]


# E-mail import -------------------------------------------------------------------------------


def test_the_import_pages_need_a_writer(client: Client, personas: Personas) -> None:
    assert client.get(MAIL).status_code == 302
    client.force_login(personas.read_only)
    for url in (MAIL, ICS, INBOUND):
        assert client.get(url).status_code == 403
    assert client.post(MAIL, {"upload": files(("a.eml", eml()))}).status_code == 403
    assert not Touchpoint.objects.exists()
    client.force_login(personas.owner)
    page = client.get(MAIL)
    assert page.status_code == 200
    assert b'type="file"' in page.content and b"multiple" in page.content
    assert b'enctype="multipart/form-data"' in page.content


def test_uploading_several_files_reports_on_each(
    owner_client: Client, personas: Personas, ada, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    box = mailbox.mbox(tmp_path / "export.mbox")
    box.add(eml(message_id="<m1@x>", subject="Déjeuner à Lyon"))
    box.add(eml(message_id="<m2@x>", sender="stranger@unknown.example"))
    box.close()
    upload = files(
        ("kickoff.eml", eml()),
        ("export.mbox", (tmp_path / "export.mbox").read_bytes()),
        ("broken.mbox", b"not a mailbox at all"),
    )
    response = owner_client.post(MAIL, {"upload": upload})
    assert response.status_code == 200
    reports = {report.name: report for report in response.context["reports"]}
    assert len(reports["kickoff.eml"].imported) == 1
    assert len(reports["export.mbox"].imported) == 1
    assert len(reports["export.mbox"].pending) == 1
    assert "not an mbox" in reports["broken.mbox"].error
    content = response.content.decode()
    assert "Déjeuner à Lyon" in content and "not an mbox" in content
    assert Touchpoint.objects.filter(source=TouchpointSource.EMAIL).count() == 2
    assert Touchpoint.objects.filter(logged_by=personas.owner).count() == 2

    again = owner_client.post(MAIL, {"upload": files(("kickoff.eml", eml()))})
    [report] = again.context["reports"]
    assert report.duplicates == 1 and report.imported == []
    assert Touchpoint.objects.count() == 2


def test_the_upload_checks_the_csrf_token(personas: Personas, ada) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.owner)
    refused = client.post(MAIL, {"upload": files(("a.eml", eml()))})
    assert refused.status_code == 403
    assert not Touchpoint.objects.exists()
    client.get(MAIL)
    token = client.cookies["csrftoken"].value
    accepted = client.post(MAIL, {"upload": files(("a.eml", eml())), "csrfmiddlewaretoken": token})
    assert accepted.status_code == 200
    assert Touchpoint.objects.count() == 1


def test_an_oversize_upload_is_refused_with_413_and_nothing_written(
    owner_client: Client, ada, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_UPLOAD_MAX_BYTES = 4096
    big = eml(body="Un très long compte rendu.\n" * 400)
    for url, name in ((MAIL, "big.eml"), (ICS, "big.ics")):
        response = owner_client.post(url, {"upload": files(("small.eml", eml()), (name, big))})
        assert response.status_code == 413
        assert "larger than 4.0\xa0KB" in response.content.decode()
        assert "nothing was imported" in response.content.decode()
    assert not Touchpoint.objects.exists()
    assert not InboundMessage.objects.exists()


def test_an_empty_form_asks_for_files(owner_client: Client) -> None:
    response = owner_client.post(MAIL, {})
    assert response.status_code == 200
    assert response.context["reports"] is None
    assert response.context["form"].errors["upload"]


# .ics import ---------------------------------------------------------------------------------


def test_uploading_calendar_files_imports_meetings(owner_client: Client, ada) -> None:  # type: ignore[no-untyped-def]
    good = ics(meeting(), meeting("cancelled@x", status="CANCELLED"))
    response = owner_client.post(
        ICS, {"upload": files(("week.ics", good), ("notes.ics", b"nothing useful"))}
    )
    assert response.status_code == 200
    reports = {report.name: report for report in response.context["reports"]}
    assert len(reports["week.ics"].imported) == 1
    assert len(reports["week.ics"].cancelled) == 1
    assert reports["notes.ics"].error
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.source == TouchpointSource.CALENDAR
    assert touchpoint.subject in response.content.decode()
    again = owner_client.post(ICS, {"upload": files(("week.ics", good))})
    assert again.context["reports"][0].duplicates == 1


# Unmatched e-mails ---------------------------------------------------------------------------


def waiting(personas: Personas, count: int, start: int = 0, user=None) -> None:  # type: ignore[no-untyped-def]
    ingestion.mail_import(
        acting_user=user or personas.owner,
        files=[
            SimpleUploadedFile(
                f"{number}.eml",
                eml(
                    sender=f"person{number}@unknown.example",
                    message_id=f"<n{number}@x>",
                    subject=f"Sujet n°{number}",
                ),
            )
            for number in range(start, start + count)
        ],
    )


def test_the_review_list_is_paginated_with_a_fixed_number_of_queries(
    owner_client: Client, personas: Personas, settings, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_PAGE_SIZE = 5
    waiting(personas, 3)
    owner_client.get(INBOUND)
    with django_assert_num_queries(8):
        small = owner_client.get(INBOUND)
    waiting(personas, 9, start=3)
    waiting(personas, 2, start=20, user=personas.outsider)
    with django_assert_num_queries(8):
        large = owner_client.get(INBOUND)
    assert len(small.context["page"].object_list) == 3
    assert len(large.context["page"].object_list) == 5
    assert large.context["page"].paginator.count == 12
    second = owner_client.get(INBOUND + "?page=3")
    assert len(second.context["page"].object_list) == 2


def test_the_review_list_puts_waiting_first_and_filters(
    owner_client: Client, personas: Personas
) -> None:
    waiting(personas, 2)
    older, newer = InboundMessage.objects.order_by("pk")
    ingestion.inbound_dismiss(inbound=newer, acting_user=personas.owner)
    response = owner_client.get(INBOUND)
    assert list(response.context["page"].object_list) == [older, newer]
    dismissed = owner_client.get(INBOUND + "?status=dismissed")
    assert list(dismissed.context["page"].object_list) == [newer]
    odd = owner_client.get(INBOUND + "?status=lost")
    assert odd.context["invalid"] == ["status"]
    assert list(owner_client.get(INBOUND + "?status=assigned").context["page"].object_list) == []


def test_the_review_list_has_an_empty_state(owner_client: Client) -> None:
    response = owner_client.get(INBOUND)
    assert "Nothing to review" in response.content.decode()


def test_a_waiting_email_is_shown_escaped_and_can_be_assigned(
    owner_client: Client, personas: Personas
) -> None:
    ingestion.mail_import(
        acting_user=personas.owner,
        files=[
            SimpleUploadedFile(
                "x.eml",
                eml(
                    sender="ines@unknown.example",
                    body="<script>alert('x')</script> Bonjour Inès",
                    subject="Proposition <b>commerciale</b>",
                ),
            )
        ],
    )
    inbound = InboundMessage.objects.get()
    url = reverse("communications:inbound_detail", args=[inbound.pk])
    page = owner_client.get(url)
    content = page.content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Bonjour Inès" in content
    assert "<script>alert" not in content
    assert "Proposition &lt;b&gt;commerciale&lt;/b&gt;" in content

    unknown = owner_client.post(url, {"action": "assign", "account": "Nowhere Inc"})
    assert unknown.status_code == 200
    assert "No account is named" in unknown.content.decode()

    response = owner_client.post(url, {"action": "assign", "account": "Northwind Traders"})
    touchpoint = Touchpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == touchpoint.get_absolute_url()
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.ASSIGNED and inbound.touchpoint == touchpoint
    assert touchpoint.account == personas.account
    assert "see the touchpoint" in owner_client.get(INBOUND).content.decode().lower()
    history = owner_client.get(url).content.decode()
    assert "Logged on Northwind Traders" in history
    assert str(personas.owner) in history


def test_domain_suggestions_and_dismissal(owner_client: Client, personas: Personas) -> None:
    Account.objects.filter(pk=personas.account.pk).update(domain="group.example")
    Account.objects.filter(pk=personas.other_account.pk).update(domain="group.example")
    ingestion.mail_import(
        acting_user=personas.owner,
        files=[SimpleUploadedFile("g.eml", eml(sender="cfo@group.example"))],
    )
    inbound = InboundMessage.objects.get()
    url = reverse("communications:inbound_detail", args=[inbound.pk])
    page = owner_client.get(url)
    assert [account.name for account in page.context["suggestions"]] == [
        "Contoso",
        "Northwind Traders",
    ]
    response = owner_client.post(url, {"action": "dismiss"})
    assert response.status_code == 302 and response["Location"] == INBOUND
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.DISMISSED
    twice = owner_client.post(url, {"action": "dismiss"}, follow=True)
    assert "already assigned or dismissed" in twice.content.decode()
    assert not Touchpoint.objects.exists()


def test_someone_elses_waiting_email_is_not_found(client: Client, personas: Personas) -> None:
    waiting(personas, 1)
    inbound = InboundMessage.objects.get()
    url = reverse("communications:inbound_detail", args=[inbound.pk])
    client.force_login(personas.outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "dismiss"}).status_code == 404
    client.force_login(personas.head)
    assert client.get(url).status_code == 200


# The feed ------------------------------------------------------------------------------------


def test_creating_a_feed_shows_its_address_once(
    owner_client: Client, personas: Personas, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_BASE_URL = "https://rapport.example.com"
    empty = owner_client.get(FEED_SETTINGS)
    assert "You have no calendar feed" in empty.content.decode()
    response = owner_client.post(FEED_SETTINGS, {"action": "create"})
    address = response.context["feed_address"]
    prefix = "https://rapport.example.com/calendar/feed/"
    assert address.startswith(prefix) and address.endswith(".ics")
    token = address[len(prefix) : -len(".ics")]
    assert CalendarFeed.objects.get(revoked_at__isnull=True).token_hash == hash_feed_token(token)
    assert f'value="{address}"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    later = owner_client.get(FEED_SETTINGS).content.decode()
    assert token not in later and "Revoke the feed" in later


def test_the_feed_serves_own_items_uncached_and_dies_when_revoked(
    client: Client, personas: Personas, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_BASE_URL = "https://rapport.example.com"
    today = datetime.date.today()
    mine = services.task_create(
        acting_user=personas.owner,
        data={"title": "Préparer la revue", "due_on": today + datetime.timedelta(days=2)},
    )
    theirs = services.task_create(
        acting_user=personas.outsider,
        data={"title": "Secret de Contoso", "due_on": today + datetime.timedelta(days=2)},
    )
    _feed, raw = services.calendar_feed_create(user=personas.owner)
    url = reverse("communications:calendar_feed", args=[raw])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    calendar = Calendar.from_ical(response.content)
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    tasks = {uid for uid in events if uid.startswith("task-")}
    assert tasks == {f"task-{mine.pk}@rapport.example.com"}
    event = events[f"task-{mine.pk}@rapport.example.com"]
    assert str(event["SUMMARY"]) == "Préparer la revue"
    assert str(event["URL"]) == "https://rapport.example.com" + mine.get_absolute_url()
    # The tier's default cadences: the owner's account only, never the outsider's.
    cadences = [
        str(event["SUMMARY"]) for uid, event in events.items() if uid.startswith("cadence-")
    ]
    assert cadences and all("Northwind Traders" in summary for summary in cadences)
    assert "Contoso" not in response.content.decode()
    assert f"task-{theirs.pk}" not in response.content.decode()
    assert CalendarFeed.objects.get(revoked_at__isnull=True).last_used_at is not None

    unknown = client.get(reverse("communications:calendar_feed", args=["cal_unknown"]))
    owner_client = Client()
    owner_client.force_login(personas.owner)
    owner_client.post(FEED_SETTINGS, {"action": "revoke"})
    revoked = client.get(url)
    assert unknown.status_code == revoked.status_code == 404
    assert unknown.content == revoked.content
    assert client.post(url).status_code == 405


def test_the_feed_costs_a_fixed_number_of_queries(
    client: Client, personas: Personas, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    today = datetime.date.today()
    _feed, raw = services.calendar_feed_create(user=personas.owner)
    url = reverse("communications:calendar_feed", args=[raw])

    def add_tasks(count: int) -> None:
        for number in range(count):
            services.task_create(
                acting_user=personas.owner,
                data={
                    "title": f"Tâche {number}",
                    "account": personas.account,
                    "due_on": today + datetime.timedelta(days=number),
                },
            )

    add_tasks(1)
    with django_assert_num_queries(4 + len(agenda.sources()) - 2):
        one = client.get(url)
    add_tasks(6)
    with django_assert_num_queries(4 + len(agenda.sources()) - 2):
        many = client.get(url)
    assert len(Calendar.from_ical(many.content).walk("VEVENT")) == (
        len(Calendar.from_ical(one.content).walk("VEVENT")) + 6
    )
