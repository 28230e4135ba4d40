"""The daily digest: once a day per person, at their own morning, in their own language."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend
from django.utils import translation
from django.utils.translation import ngettext
from pytest_django.fixtures import Settings

from rapport.accounts.models import Account
from rapport.communications import digest, services, tasks
from rapport.communications.choices import CadenceKind, TaskStatus
from rapport.communications.models import CadenceRule, DigestDelivery, Task
from rapport.communications.selectors import TODAY_LIST_LIMIT
from rapport.core.tests.factories import AccountFactory, UserFactory
from rapport.users.models import User

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Tuesday 10 March 2026, 06:30 UTC: 07:30 in Paris (UTC+1), 02:30 in New York (UTC-4, summer
# time having begun on the 8th).
MORNING = datetime.datetime(2026, 3, 10, 6, 30, tzinfo=UTC)
TODAY = datetime.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def digest_settings(settings: Settings) -> None:
    settings.RAPPORT_DIGEST_HOUR = 7
    settings.RAPPORT_BASE_URL = "https://rapport.example.com/"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def person(email: str, *, zone: str = "Europe/Paris", language: str = "en") -> User:
    return UserFactory(
        email=email, first_name=email.split("@")[0].title(), time_zone=zone, language=language
    )


def account_of(owner: User, name: str = "Northwind") -> Account:
    """An account without the cadence its tier gives it, which counts from the real clock."""
    account = AccountFactory(name=name, owner=owner)
    CadenceRule.objects.filter(account=account).delete()
    return account


def rule(account: Account, *, due: datetime.date, kind: str = CadenceKind.CHECK_IN) -> CadenceRule:
    found, _created = CadenceRule.objects.update_or_create(
        account=account, kind=kind, defaults={"interval_days": 30, "next_due_on": due}
    )
    return found


def follow_up(user: User, title: str, *, due: datetime.date, **data: Any) -> Task:
    return services.task_create(acting_user=user, data={"title": title, "due_on": due, **data})


def sent_to(messages: Sequence[EmailMessage]) -> list[str]:
    return sorted(address for message in messages for address in message.to)


def html_of(message: EmailMessage) -> str:
    alternatives = getattr(message, "alternatives", [])
    assert len(alternatives) == 1
    content, mimetype = alternatives[0]
    assert mimetype == "text/html"
    return str(content)


def test_digest_lists_what_is_overdue_and_due_with_links() -> None:
    marc = person("marc@example.com")
    account = account_of(marc, "Northwind & Sons")
    rule(account, due=TODAY - datetime.timedelta(days=4))
    rule(account, kind=CadenceKind.BUSINESS_REVIEW, due=TODAY + datetime.timedelta(days=2))
    late = follow_up(marc, "Send the deck", due=TODAY - datetime.timedelta(days=1), account=account)
    follow_up(marc, "Book the review", due=TODAY + datetime.timedelta(days=3))
    follow_up(marc, "Next month", due=TODAY + datetime.timedelta(days=30))

    assert digest.send_due_digests(now=MORNING) == 1

    (message,) = mail.outbox
    assert message.to == ["marc@example.com"]
    assert message.subject == "Rapport, Tuesday 10 March: 4 things need you"
    text = str(message.body)
    assert "Hello Marc," in text
    assert "Here is what needs you on Tuesday 10 March 2026." in text
    assert "Overdue cadences (1)\n" in text
    assert "- Northwind & Sons: Check-in, due 6 March\n" in text
    assert "Cadences due this week (1)" in text
    assert "- Northwind & Sons: Business review, due Thursday 12 March" in text
    assert "Tasks due (2, 1 overdue)" in text
    assert "- Send the deck (Northwind & Sons), due Monday 9 March [overdue]" in text
    assert "- Book the review, due Friday 13 March\n" in text
    assert "Next month" not in text
    assert f"  https://rapport.example.com{account.get_absolute_url()}\n" in text
    assert f"https://rapport.example.com{late.get_absolute_url()}" in text
    assert "https://rapport.example.com/today/" in text
    html = html_of(message)
    assert '<html lang="en">' in html
    assert f'<a href="https://rapport.example.com{account.get_absolute_url()}">' in html
    assert "Northwind &amp; Sons" in html
    assert "<strong>overdue</strong>" in html


def test_a_long_list_ends_with_a_link_to_the_rest() -> None:
    marc = person("marc@example.com")
    for index in range(TODAY_LIST_LIMIT + 2):
        follow_up(marc, f"Task {index:02d}", due=TODAY)

    digest.send_due_digests(now=MORNING)

    text = str(mail.outbox[0].body)
    assert f"Tasks due ({TODAY_LIST_LIMIT + 2})" in text
    assert text.count("- Task ") == TODAY_LIST_LIMIT
    assert "- and 2 more → https://rapport.example.com/today/" in text


def test_digest_is_sent_once_a_day_however_often_the_job_runs() -> None:
    marc = person("marc@example.com")
    follow_up(marc, "Call back", due=TODAY)

    first = digest.send_due_digests(now=MORNING)
    second = digest.send_due_digests(now=MORNING + datetime.timedelta(hours=1))
    next_day = digest.send_due_digests(now=MORNING + datetime.timedelta(days=1))

    assert (first, second, next_day) == (1, 0, 1)
    assert len(mail.outbox) == 2
    assert list(DigestDelivery.objects.order_by("day").values_list("day", flat=True)) == [
        TODAY,
        TODAY + datetime.timedelta(days=1),
    ]


def test_digest_waits_for_the_hour_in_each_persons_time_zone() -> None:
    paris = person("paris@example.com", zone="Europe/Paris")
    new_york = person("newyork@example.com", zone="America/New_York")
    for user in (paris, new_york):
        follow_up(user, "Call back", due=TODAY)

    digest.send_due_digests(now=MORNING - datetime.timedelta(hours=1))  # 06:30 in Paris
    before_paris = sent_to(mail.outbox)
    digest.send_due_digests(now=MORNING)  # 07:30 in Paris, 02:30 in New York
    after_paris = sent_to(mail.outbox)
    digest.send_due_digests(now=MORNING + datetime.timedelta(hours=5))  # 07:30 in New York
    after_new_york = sent_to(mail.outbox)

    assert before_paris == []
    assert after_paris == ["paris@example.com"]
    assert after_new_york == ["newyork@example.com", "paris@example.com"]
    # Each is recorded against their own day.
    assert set(DigestDelivery.objects.values_list("user__email", "day")) == {
        ("paris@example.com", TODAY),
        ("newyork@example.com", TODAY),
    }


def test_late_in_the_evening_it_is_already_the_next_day_further_east() -> None:
    tokyo = person("tokyo@example.com", zone="Asia/Tokyo")
    follow_up(tokyo, "Call back", due=TODAY + datetime.timedelta(days=1))
    evening = datetime.datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # 08:30 on the 11th in Tokyo

    digest.send_due_digests(now=evening)

    assert DigestDelivery.objects.get().day == TODAY + datetime.timedelta(days=1)
    assert mail.outbox[0].subject.startswith("Rapport, Wednesday 11 March")


def test_a_french_user_gets_the_digest_in_french() -> None:
    marc = person("marc@example.com", language="fr")
    account = account_of(marc, "Brasserie Lumière")
    rule(account, due=TODAY - datetime.timedelta(days=2))
    follow_up(marc, "Relancer le DSI", due=TODAY)

    digest.send_due_digests(now=MORNING)

    (message,) = mail.outbox
    with translation.override("fr"):
        subject = ngettext(
            "Rapport, %(day)s: %(counter)s thing needs you",
            "Rapport, %(day)s: %(counter)s things need you",
            2,
        ) % {"day": "mardi 10 mars", "counter": 2}
    assert message.subject == subject
    # Day and month names come from Django's own French catalogue.
    assert "mardi 10 mars" in message.subject
    assert "mardi 10 mars 2026" in str(message.body)
    assert "8 mars" in str(message.body)
    assert "Tuesday" not in str(message.body) and "March" not in str(message.body)
    assert "Brasserie Lumière" in str(message.body)
    html = html_of(message)
    assert '<html lang="fr">' in html
    assert "mardi 10 mars 2026" in html


def test_nothing_is_sent_when_nothing_is_due() -> None:
    quiet = person("quiet@example.com")
    account = account_of(quiet)
    rule(account, due=TODAY + datetime.timedelta(days=20))
    follow_up(quiet, "Later", due=TODAY + datetime.timedelta(days=20))
    done = follow_up(quiet, "Done already", due=TODAY - datetime.timedelta(days=1))
    services.task_set_status(task=done, acting_user=quiet, status=TaskStatus.DONE)

    assert digest.send_due_digests(now=MORNING) == 0

    assert mail.outbox == []
    # Nothing is recorded either: should something fall due later today, it is still sent.
    assert not DigestDelivery.objects.exists()
    follow_up(quiet, "Urgent", due=TODAY)
    assert digest.send_due_digests(now=MORNING + datetime.timedelta(hours=2)) == 1


def test_inactive_people_and_people_without_an_address_get_nothing() -> None:
    gone = person("gone@example.com")
    follow_up(gone, "Call back", due=TODAY)
    gone.is_active = False
    gone.save()

    assert digest.send_due_digests(now=MORNING) == 0
    assert mail.outbox == []


class RefusingBackend(EmailBackend):
    """A mail server that refuses one address."""

    refused = "broken@example.com"

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if any(self.refused in message.to for message in messages):
            raise ConnectionRefusedError("The server refused the message.")
        return super().send_messages(messages)


def test_one_failing_send_does_not_stop_the_others_and_is_retried(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    broken = person("broken@example.com")
    fine = person("fine@example.com")
    for user in (broken, fine):
        follow_up(user, "Call back", due=TODAY)

    assert digest.send_due_digests(now=MORNING) == 1

    assert sent_to(mail.outbox) == ["fine@example.com"]
    assert list(DigestDelivery.objects.values_list("user__email", flat=True)) == [
        "fine@example.com"
    ]
    assert f"user {broken.pk} could not be sent" in caplog.text
    # The server takes it again: the next hourly run sends what failed, and only that.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digest.send_due_digests(now=MORNING + datetime.timedelta(hours=1)) == 1
    assert sent_to(mail.outbox) == ["broken@example.com", "fine@example.com"]


def test_the_periodic_task_runs_inline_in_immediate_mode(settings: Settings) -> None:
    from huey.contrib.djhuey import HUEY

    # Whatever the hour of the real clock, it is past a digest hour of midnight.
    settings.RAPPORT_DIGEST_HOUR = 0
    marc = UserFactory(email="marc@example.com", time_zone="UTC")
    follow_up(marc, "Call back", due=datetime.date(2000, 1, 1))

    tasks.send_daily_digests()

    # Enqueued and, in immediate mode, run at once (a periodic task keeps no result).
    assert HUEY.immediate is True
    assert sent_to(mail.outbox) == ["marc@example.com"]
    assert DigestDelivery.objects.get().user == marc
