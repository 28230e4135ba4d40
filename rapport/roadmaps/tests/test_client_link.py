"""Client links: signed, dated and revocable, and the data boundary of what the client sees."""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.communications.models import Task
from rapport.core.exceptions import NotAllowedError
from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.roadmaps import clientlinks, services
from rapport.roadmaps.choices import ItemStatus, OwnerSide, RoadmapStatus
from rapport.roadmaps.models import ClientLink, Roadmap
from rapport.roadmaps.tests.test_drawing import pdf_text
from rapport.roadmaps.tests.test_selectors import item, make_roadmap, milestone

pytestmark = pytest.mark.django_db

GONE = "This link is no longer available"
# Strings that must never reach the client: each one is written where only we may read it.
INTERNAL_NOTE = "MARKER-internal-note-7f3a"
INTERNAL_ITEM = "MARKER-internal-only-item-2c9e"
INTERNAL_DESCRIPTION = "MARKER-internal-item-description-5d1b"
OTHER_ROADMAP = "MARKER-other-roadmap-9b41"
OTHER_ROADMAP_ITEM = "MARKER-other-roadmap-item-4e07"
OTHER_ACCOUNT = "MARKER-other-account-0a66"
OTHER_ACCOUNT_ITEM = "MARKER-other-account-item-81cd"
INTERNAL_TASK = "MARKER-internal-task-63f2"
MARKERS = (
    INTERNAL_TASK,
    INTERNAL_NOTE,
    INTERNAL_ITEM,
    INTERNAL_DESCRIPTION,
    OTHER_ROADMAP,
    OTHER_ROADMAP_ITEM,
    OTHER_ACCOUNT,
    OTHER_ACCOUNT_ITEM,
)


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


@pytest.fixture
def roadmap(personas: Personas) -> Roadmap:
    """A roadmap with shared and internal items, beside another roadmap and another account."""
    champion = StakeholderFactory(account=personas.account, first_name="Grace", last_name="Hopper")
    shared = make_roadmap(
        personas.account,
        item(
            "Kickoff call",
            days(-5),
            status=ItemStatus.DONE,
            owner_user=personas.owner,
            internal_notes=f"{INTERNAL_NOTE}: they want a discount",
        ),
        item("Import the data", days(-1), start_on=days(-6)),
        milestone(
            "Go-live",
            days(10),
            owner_side=OwnerSide.CLIENT,
            owner_stakeholder=champion,
            phase=1,
        ),
        item(
            INTERNAL_ITEM,
            days(3),
            client_facing=False,
            description=INTERNAL_DESCRIPTION,
            phase=1,
        ),
        name="Onboarding of Northwind",
    )
    shared.client_summary = "Welcome aboard: here is our plan for your first ninety days."
    shared.save()
    make_roadmap(personas.account, item(OTHER_ROADMAP_ITEM, days(2)), name=OTHER_ROADMAP)
    other = AccountFactory(name=OTHER_ACCOUNT)
    make_roadmap(other, item(OTHER_ACCOUNT_ITEM, days(2)), name="Their onboarding")
    # A task of ours follows the first step: its address is ours only.
    task = Task.objects.create(
        title=INTERNAL_TASK, assignee=personas.owner, account=personas.account, due_on=days(-5)
    )
    shared.items.filter(title="Kickoff call").update(task=task)
    return shared


def share(personas: Personas, roadmap: Roadmap, **extra: object) -> tuple[ClientLink, str]:
    return clientlinks.client_link_create(roadmap=roadmap, acting_user=personas.owner, **extra)  # type: ignore[arg-type]


def page_url(token: str) -> str:
    return reverse("roadmaps:client_roadmap", args=[token])


# The link ------------------------------------------------------------------------------------


def test_a_link_is_signed_and_stores_only_a_hash_of_its_secret(
    personas: Personas, roadmap: Roadmap
) -> None:
    link, token = share(personas, roadmap)
    payload = signing.loads(token, salt=clientlinks.SALT)
    assert payload["link"] == link.pk
    assert link.secret_hash == hashlib.sha256(payload["secret"].encode()).hexdigest()
    assert payload["secret"] not in link.secret_hash
    # Another salt (another kind of signed value) does not open it.
    with pytest.raises(signing.BadSignature):
        signing.loads(token, salt="something else")
    assert clientlinks.client_link_resolve(token).link == link


def test_a_link_lasts_the_setting_by_default_and_a_year_at_most(
    personas: Personas, roadmap: Roadmap, settings: object
) -> None:
    today = datetime.date(2026, 3, 11)
    link, _token = share(personas, roadmap, today=today)
    assert link.expires_on == datetime.date(2026, 6, 9)  # ninety days
    for refused in (today, today - datetime.timedelta(days=1), datetime.date(2027, 3, 12)):
        with pytest.raises(ValidationError) as error:
            share(personas, roadmap, today=today, expires_on=refused)
        assert "expires_on" in error.value.message_dict
    link, _token = share(personas, roadmap, today=today, expires_on=datetime.date(2027, 3, 11))
    assert link.expires_on == datetime.date(2027, 3, 11)


def test_only_those_who_edit_the_account_share_its_roadmap(
    personas: Personas, roadmap: Roadmap
) -> None:
    for user in (personas.outsider, personas.read_only):
        with pytest.raises(NotAllowedError):
            clientlinks.client_link_create(roadmap=roadmap, acting_user=user)
    link, _token = share(personas, roadmap)
    with pytest.raises(NotAllowedError):
        clientlinks.client_link_revoke(link=link, acting_user=personas.outsider)
    assert ClientLink.objects.get(pk=link.pk).revoked_at is None


def test_a_cancelled_roadmap_cannot_be_shared(personas: Personas, roadmap: Roadmap) -> None:
    Roadmap.objects.filter(pk=roadmap.pk).update(status=RoadmapStatus.CANCELLED)
    roadmap.refresh_from_db()
    with pytest.raises(ValidationError):
        share(personas, roadmap)


def test_tampered_unknown_expired_and_revoked_links_open_nothing(
    personas: Personas, roadmap: Roadmap
) -> None:
    link, token = share(personas, roadmap)
    payload = signing.loads(token, salt=clientlinks.SALT)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    wrong_secret = signing.dumps({"link": link.pk, "secret": "guess"}, salt=clientlinks.SALT)
    unknown = signing.dumps({"link": 999_999, "secret": payload["secret"]}, salt=clientlinks.SALT)
    not_ours = signing.dumps({"link": link.pk, "secret": payload["secret"]}, salt="other")
    for bad in (tampered, wrong_secret, unknown, not_ours, "", "x" * 1000, "a:b:c"):
        opening = clientlinks.client_link_resolve(bad)
        assert opening.link is None and not opening.gone
    later = timezone.now() + datetime.timedelta(days=91)
    assert clientlinks.client_link_resolve(token, now=later).gone
    clientlinks.client_link_revoke(link=link, acting_user=personas.owner)
    assert clientlinks.client_link_resolve(token).gone
    assert ClientLink.objects.get(pk=link.pk).last_opened_at is None


def test_opening_a_link_records_when(personas: Personas, roadmap: Roadmap) -> None:
    link, token = share(personas, roadmap)
    moment = timezone.now() - datetime.timedelta(minutes=5)
    clientlinks.client_link_resolve(token, now=moment)
    link.refresh_from_db()
    assert link.last_opened_at == moment
    # Opening writes no history: the link itself did not change.
    assert link.history.count() == 1


def test_cancelling_the_roadmap_closes_its_links(personas: Personas, roadmap: Roadmap) -> None:
    link, token = share(personas, roadmap)
    services.roadmap_cancel(roadmap=roadmap, acting_user=personas.owner)
    assert ClientLink.objects.get(pk=link.pk).revoked_at is not None
    assert clientlinks.client_link_resolve(token).gone


# What the client sees ------------------------------------------------------------------------


def test_the_client_page_shows_the_shared_roadmap_without_signing_in(
    client: Client, personas: Personas, roadmap: Roadmap
) -> None:
    _link, token = share(personas, roadmap)
    response = client.get(page_url(token))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Northwind Traders" in content and "Onboarding of Northwind" in content
    assert "Welcome aboard: here is our plan for your first ninety days." in content
    assert "Kickoff call" in content and "Import the data" in content and "Go-live" in content
    assert "Grace Hopper" in content
    assert "<svg" in content and "Timeline of Onboarding of Northwind" in content
    # Progress counts the shared items only: one of three done.
    assert "1 of 3 done" in content and "33%" in content


def test_the_client_page_never_shows_what_is_ours(
    client: Client, personas: Personas, roadmap: Roadmap, tmp_path: Path
) -> None:
    _link, token = share(personas, roadmap)
    # We see our notes, internal items and task links on our own page...
    ours = signed_in(personas).get(roadmap.get_absolute_url()).content.decode()
    for marker in (INTERNAL_NOTE, INTERNAL_ITEM, INTERNAL_DESCRIPTION):
        assert marker in ours, marker
    task_url = Task.objects.get(title=INTERNAL_TASK).get_absolute_url()
    assert f'href="{task_url}"' in ours
    # ...and the client never does.
    content = client.get(page_url(token)).content.decode()
    for marker in MARKERS:
        assert marker not in content, marker
    assert task_url not in content
    # No address into the application: no roadmap, task, account or sign-in page.
    hrefs = re.findall(r'href="([^"]*)"', content)
    assert all(
        href.startswith("/static/") or href == reverse("roadmaps:client_roadmap_pdf", args=[token])
        for href in hrefs
    ), hrefs
    assert "/tasks/" not in content and "/roadmaps/" not in content.replace("/shared/roadmaps/", "")
    pdf = client.get(reverse("roadmaps:client_roadmap_pdf", args=[token]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    assert "Onboarding of Northwind" in text and "Go-live" in text
    for marker in MARKERS:
        assert marker not in text, marker
    assert "Internal notes" not in text and "Shown to the client" not in text


def test_the_client_page_is_private(client: Client, personas: Personas, roadmap: Roadmap) -> None:
    _link, token = share(personas, roadmap)
    for url in (page_url(token), reverse("roadmaps:client_roadmap_pdf", args=[token])):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"]
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert response["Referrer-Policy"] == "no-referrer"
    content = client.get(page_url(token)).content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in content
    assert '<meta name="referrer" content="no-referrer">' in content
    assert "<script" not in content
    assert client.post(page_url(token)).status_code == 405


@pytest.mark.parametrize("way", ["tampered", "unknown", "expired", "revoked"])
def test_a_dead_link_shows_a_plain_page_with_no_data(
    client: Client, personas: Personas, roadmap: Roadmap, way: str
) -> None:
    link, token = share(personas, roadmap)
    if way == "tampered":
        token = token[:-2] + ("zz" if not token.endswith("zz") else "yy")
    elif way == "unknown":
        token = signing.dumps({"link": link.pk + 1000, "secret": "x"}, salt=clientlinks.SALT)
    elif way == "expired":
        ClientLink.objects.filter(pk=link.pk).update(expires_on=days(-1))
    else:
        clientlinks.client_link_revoke(link=link, acting_user=personas.owner)
    for url in (page_url(token), reverse("roadmaps:client_roadmap_pdf", args=[token])):
        response = client.get(url)
        assert response.status_code == (404 if way in ("tampered", "unknown") else 410)
        content = response.content.decode()
        assert GONE in content
        assert "Northwind" not in content and "Onboarding" not in content
        assert "Kickoff call" not in content
        assert "no-store" in response["Cache-Control"]


# Making and revoking links on the roadmap page -----------------------------------------------


def signed_in(personas: Personas) -> Client:
    client = Client()
    client.force_login(personas.owner)
    return client


def test_the_new_address_is_shown_once(personas: Personas, roadmap: Roadmap) -> None:
    client = signed_in(personas)
    create_url = reverse("roadmaps:client_link_create", args=[roadmap.pk])
    response = client.post(create_url, {"expires_on": days(30).isoformat()})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    content = response.content.decode()
    match = re.search(r'id="client-link-address"[^>]*value="([^"]+)"', content)
    assert match, "the address is shown"
    address = match.group(1)
    assert address.startswith("http") and "/shared/roadmaps/" in address
    link = ClientLink.objects.get()
    assert link.expires_on == days(30) and link.created_by == personas.owner
    # The page, read again, lists the link but no longer shows its address.
    again = client.get(roadmap.get_absolute_url()).content.decode()
    assert address not in again and "client-link-address" not in again
    assert "Active" in again
    # The address works, in a browser that never signed in.
    path = address.split("://", 1)[1].split("/", 1)[1]
    assert Client().get("/" + path).status_code == 200


def test_a_bad_expiry_is_refused_on_the_form(personas: Personas, roadmap: Roadmap) -> None:
    response = signed_in(personas).post(
        reverse("roadmaps:client_link_create", args=[roadmap.pk]),
        {"expires_on": days(400).isoformat()},
    )
    assert "A link lasts at most a year" in response.content.decode()
    assert not ClientLink.objects.exists()


def test_revoking_from_the_page(personas: Personas, roadmap: Roadmap) -> None:
    link, token = share(personas, roadmap)
    client = signed_in(personas)
    response = client.post(reverse("roadmaps:client_link_revoke", args=[link.pk]))
    assert response.status_code == 302
    assert ClientLink.objects.get(pk=link.pk).revoked_at is not None
    assert "Revoked" in client.get(roadmap.get_absolute_url()).content.decode()
    assert Client().get(page_url(token)).status_code == 410


def test_people_who_may_not_share_cannot_make_or_revoke_links(
    personas: Personas, roadmap: Roadmap
) -> None:
    link, _token = share(personas, roadmap)
    for user in (personas.outsider, personas.read_only):
        client = Client()
        client.force_login(user)
        create = client.post(
            reverse("roadmaps:client_link_create", args=[roadmap.pk]),
            {"expires_on": days(30).isoformat()},
        )
        revoke = client.post(reverse("roadmaps:client_link_revoke", args=[link.pk]))
        assert (create.status_code, revoke.status_code) == (403, 403)
        page = client.get(roadmap.get_absolute_url()).content.decode()
        assert 'id="client-links"' not in page
    assert ClientLink.objects.count() == 1
    assert ClientLink.objects.get().revoked_at is None
