"""E-mail ingestion against real .eml and .mbox files built with the standard library."""

from __future__ import annotations

import datetime
import mailbox
from email.headerregistry import Address
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError

from rapport.communications import ingestion, services
from rapport.communications.choices import InboundStatus, TouchpointKind, TouchpointSource
from rapport.communications.models import (
    InboundMessage,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.core.exceptions import NotAllowedError
from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.core.tests.personas import Personas

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 10, 9, 0, tzinfo=datetime.UTC)
SENT = datetime.datetime(2025, 3, 4, 14, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
ADA = "ada@northwind.example"
ADA_ADDRESS = Address("Ada Lovelace", addr_spec=ADA)
OWNER_ADDRESS = Address("Owner", addr_spec="owner@example.com")


def eml(
    *,
    subject: str = "Réunion de lancement",
    sender: str | Address = ADA_ADDRESS,
    to: str | Address = OWNER_ADDRESS,
    cc: str | None = None,
    message_id: str | None = "<kickoff-1@northwind.example>",
    date: datetime.datetime | None = SENT,
    body: str = "Bonjour,\n\nVoici le compte rendu de la réunion. À très vite !",
    html: str | None = None,
) -> bytes:
    """A real e-mail, serialised the way a mail client exports it (.eml)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    if message_id:
        message["Message-ID"] = message_id
    if date:
        message["Date"] = format_datetime(date)
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return bytes(message)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def mbox_file(tmp_path: Path, messages: list[bytes], name: str = "export.mbox") -> bytes:
    """An mbox written by the mailbox module, as a mail app's export would be."""
    path = tmp_path / name
    box = mailbox.mbox(path)
    for raw in messages:
        box.add(raw)
    box.flush()
    box.close()
    return path.read_bytes()


@pytest.fixture
def ada(personas: Personas):  # type: ignore[no-untyped-def]
    personas.stakeholder.email = ADA
    personas.stakeholder.first_name = "Ada"
    personas.stakeholder.save()
    return personas.stakeholder


def run(personas: Personas, *files: SimpleUploadedFile, user=None) -> list[ingestion.FileReport]:  # type: ignore[no-untyped-def]
    return ingestion.mail_import(acting_user=user or personas.owner, files=list(files), now=NOW)


def test_an_eml_becomes_an_email_touchpoint_on_the_matched_account(personas, ada) -> None:  # type: ignore[no-untyped-def]
    [report] = run(personas, upload("kickoff.eml", eml()))
    assert report.succeeded and len(report.imported) == 1
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.account == personas.account
    assert touchpoint.kind == TouchpointKind.EMAIL
    assert touchpoint.source == TouchpointSource.EMAIL
    assert touchpoint.external_id == "kickoff-1@northwind.example"
    assert touchpoint.subject == "Réunion de lancement"
    assert "À très vite !" in touchpoint.notes
    assert touchpoint.occurred_at == SENT
    assert touchpoint.logged_by == personas.owner
    assert list(touchpoint.stakeholders.all()) == [ada]
    assert list(touchpoint.users.all()) == [personas.owner]
    personas.account.refresh_from_db()
    assert personas.account.last_contact_at == SENT


def test_encoded_headers_and_multipart_alternative_prefer_the_text_part(personas, ada) -> None:  # type: ignore[no-untyped-def]
    message = MIMEMultipart("alternative")
    message["Subject"] = "=?utf-8?q?R=C3=A9union_budg=C3=A9taire?="
    message["From"] = "=?utf-8?b?w4lsb8Ovc2UgRHVwb250?= <Ada@Northwind.example>"
    message["To"] = "=?iso-8859-1?q?Fran=E7ois?= <OWNER@example.com>"
    message["Message-ID"] = "<budget@northwind.example>"
    message["Date"] = format_datetime(SENT)
    message.attach(MIMEText("Le budget prévu est validé.", "plain", "utf-8"))
    message.attach(MIMEText("<p>Le <b>budget</b> (version HTML)</p>", "html", "utf-8"))
    run(personas, upload("budget.eml", message.as_bytes()))
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.subject == "Réunion budgétaire"
    assert touchpoint.notes == "Le budget prévu est validé."
    assert list(touchpoint.stakeholders.all()) == [ada]
    assert list(touchpoint.users.all()) == [personas.owner]


def test_an_html_only_message_is_kept_as_text_without_its_scripts(personas, ada) -> None:  # type: ignore[no-untyped-def]
    message = EmailMessage()
    message["Subject"] = "Compte rendu"
    message["From"] = ADA
    message["To"] = "owner@example.com"
    message.set_content(
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>Très bien&nbsp;: on signe.</p><ul><li>Étape 1</li><li>Étape 2</li></ul></body>"
        "</html>",
        subtype="html",
    )
    run(personas, upload("html.eml", bytes(message)))
    notes = Touchpoint.objects.get().notes
    assert "Très bien\xa0: on signe." in notes
    assert "- Étape 1" in notes and "- Étape 2" in notes
    assert "alert" not in notes and "<" not in notes and "color" not in notes


def test_the_account_with_most_matched_stakeholders_wins(personas, ada) -> None:  # type: ignore[no-untyped-def]
    second = StakeholderFactory(account=personas.account, email="grace@northwind.example")
    elsewhere = StakeholderFactory(account=personas.other_account, email="bob@contoso.example")
    raw = eml(
        sender=Address("Bob", addr_spec="bob@contoso.example"),
        to=ADA,
        cc="grace@northwind.example, teammate@example.com",
    )
    run(personas, upload("three.eml", raw))
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.account == personas.account
    assert set(touchpoint.stakeholders.all()) == {ada, second}
    assert elsewhere not in touchpoint.stakeholders.all()
    assert list(touchpoint.users.all()) == [personas.teammate]


def test_with_no_stakeholder_known_the_address_domain_picks_the_account(personas) -> None:  # type: ignore[no-untyped-def]
    personas.other_account.domain = "contoso.example"
    personas.other_account.save()
    raw = eml(sender=Address("Zoé", addr_spec="zoe@contoso.example"), to="outsider@example.com")
    [report] = run(personas, upload("zoe.eml", raw))
    touchpoint = report.imported[0]
    assert touchpoint.account == personas.other_account
    assert list(touchpoint.stakeholders.all()) == []
    assert list(touchpoint.users.all()) == [personas.outsider]


def test_a_domain_shared_by_two_accounts_waits_for_review(personas) -> None:  # type: ignore[no-untyped-def]
    AccountFactory(name="Group", domain="group.example")
    AccountFactory(name="Group France", domain="group.example")
    [report] = run(personas, upload("group.eml", eml(sender="cfo@group.example")))
    assert not report.imported and len(report.pending) == 1


def test_an_unmatched_message_waits_for_review_with_its_history(personas) -> None:  # type: ignore[no-untyped-def]
    raw = eml(
        sender=Address("Hélène Martin", addr_spec="helene@unknown.example"),
        to="owner@example.com",
    )
    [report] = run(personas, upload("unknown.eml", raw))
    assert report.imported == [] and len(report.pending) == 1
    inbound = InboundMessage.objects.get()
    assert inbound.status == InboundStatus.PENDING
    assert inbound.subject == "Réunion de lancement"
    assert inbound.sender == "Hélène Martin <helene@unknown.example>"
    assert inbound.recipients == "owner@example.com"
    assert inbound.sent_at == SENT
    assert inbound.file_name == "unknown.eml"
    assert inbound.uploaded_by == personas.owner
    assert inbound.history.get().history_user == personas.owner
    assert not Touchpoint.objects.exists()


def test_a_message_imported_before_is_skipped_and_counted(personas, ada) -> None:  # type: ignore[no-untyped-def]
    run(
        personas,
        upload("a.eml", eml()),
        upload("b.eml", eml(sender="x@unknown.example", message_id="<other@x>")),
    )
    again = run(
        personas,
        upload("a.eml", eml(message_id=" <kickoff-1@northwind.example> ")),
        upload("b.eml", eml(sender="x@unknown.example", message_id="<other@x>")),
    )
    assert [(report.duplicates, len(report.imported), len(report.pending)) for report in again] == [
        (1, 0, 0),
        (1, 0, 0),
    ]
    assert Touchpoint.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_without_message_id_the_same_message_is_still_recognised(personas, ada) -> None:  # type: ignore[no-untyped-def]
    [first] = run(personas, upload("a.eml", eml(message_id=None)))
    [second] = run(personas, upload("a.eml", eml(message_id=None)))
    assert len(first.imported) == 1 and second.duplicates == 1
    assert Touchpoint.objects.get().external_id.startswith("sha256:")


def test_a_message_without_date_is_logged_now_and_says_so(personas, ada) -> None:  # type: ignore[no-untyped-def]
    [report] = run(personas, upload("nodate.eml", eml(date=None)))
    assert Touchpoint.objects.get().occurred_at == NOW
    assert len(report.notes) == 1 and "no date" in report.notes[0]


def test_an_mbox_imports_every_message(personas, ada, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    content = mbox_file(
        tmp_path,
        [
            eml(message_id="<m1@x>", subject="Premier échange"),
            eml(message_id="<m2@x>", subject="From the second one", body="From here on\nOK"),
            eml(message_id="<m3@x>", sender="nobody@unknown.example"),
        ],
    )
    [report] = run(personas, upload("export.mbox", content))
    assert report.succeeded
    assert sorted(touchpoint.subject for touchpoint in report.imported) == [
        "From the second one",
        "Premier échange",
    ]
    assert len(report.pending) == 1
    assert "From here on" in Touchpoint.objects.get(external_id="m2@x").notes


def test_malformed_files_get_their_own_message_while_good_ones_import(
    personas, ada, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    reports = run(
        personas,
        upload("empty.eml", b""),
        upload("fake.mbox", b"Subject: not a mailbox\n\nhello"),
        upload("picture.eml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        upload("good.eml", eml()),
    )
    errors = {report.name: report.error or "; ".join(report.failures) for report in reports}
    assert errors["empty.eml"] == "The file is empty."
    assert "not an mbox" in errors["fake.mbox"]
    assert "not an e-mail" in errors["picture.eml"]
    assert errors["good.eml"] == ""
    assert [len(report.imported) for report in reports] == [0, 0, 0, 1]


def test_a_broken_message_inside_an_mbox_fails_alone(personas, ada, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    content = mbox_file(tmp_path, [eml(message_id="<ok@x>"), b"garbage without headers\n"])
    [report] = run(personas, upload("mixed.mbox", content))
    assert len(report.imported) == 1
    assert len(report.failures) == 1 and report.failures[0].startswith("Message 2")


def test_a_message_failing_midway_leaves_nothing_and_the_others_import(
    personas, ada, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    real_refresh = services.refresh_contacts
    calls = {"count": 0}

    def refresh_failing_on_the_second_message(**kwargs):  # type: ignore[no-untyped-def]
        calls["count"] += 1
        if calls["count"] == 2:
            # By now the touchpoint and its participant rows are written: all must go.
            assert Touchpoint.objects.filter(external_id="m2@x").exists()
            raise DatabaseError("disk full")
        return real_refresh(**kwargs)

    monkeypatch.setattr(services, "refresh_contacts", refresh_failing_on_the_second_message)
    content = mbox_file(
        tmp_path,
        [eml(message_id="<m1@x>"), eml(message_id="<m2@x>"), eml(message_id="<m3@x>")],
    )
    [report] = run(personas, upload("export.mbox", content))
    assert sorted(touchpoint.external_id for touchpoint in report.imported) == ["m1@x", "m3@x"]
    assert len(report.failures) == 1 and "could not be saved" in report.failures[0]
    assert not Touchpoint.objects.filter(external_id="m2@x").exists()
    assert TouchpointStakeholder.objects.count() == 2
    assert TouchpointUser.objects.count() == 2
    assert Touchpoint.history.count() == 2
    assert TouchpointStakeholder.history.count() == 2


def test_nul_characters_and_long_subjects_are_cleaned(personas, ada) -> None:  # type: ignore[no-untyped-def]
    raw = eml(subject="Très " + "long " * 80, body="avant\x00après")
    run(personas, upload("odd.eml", raw))
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.notes == "avantaprès"
    assert len(touchpoint.subject) == 200 and touchpoint.subject.endswith("…")


def test_read_only_users_cannot_import(personas, ada) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowedError):
        run(personas, upload("a.eml", eml()), user=personas.read_only)
    assert not Touchpoint.objects.exists()


def test_assigning_a_waiting_message_logs_it_with_participants_by_address(personas) -> None:  # type: ignore[no-untyped-def]
    raw = eml(
        sender=Address("Émile", addr_spec="Emile@Unknown.example"),
        to=Address("Teammate", addr_spec="teammate@example.com"),
        cc="owner@example.com",
    )
    run(personas, upload("unknown.eml", raw))
    inbound = InboundMessage.objects.get()
    emile = StakeholderFactory(account=personas.account, email="emile@unknown.example")
    StakeholderFactory(account=personas.other_account, email="emile@unknown.example")
    touchpoint = ingestion.inbound_assign(
        inbound=inbound, account=personas.account, acting_user=personas.teammate
    )
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.ASSIGNED and inbound.touchpoint == touchpoint
    assert touchpoint.account == personas.account
    assert touchpoint.source == TouchpointSource.EMAIL
    assert touchpoint.external_id == "kickoff-1@northwind.example"
    assert touchpoint.occurred_at == SENT
    assert list(touchpoint.stakeholders.all()) == [emile]
    assert set(touchpoint.users.all()) == {personas.owner, personas.teammate}
    assert touchpoint.logged_by == personas.teammate
    latest = inbound.history.latest()
    assert latest.history_user == personas.teammate and latest.status == InboundStatus.ASSIGNED
    with pytest.raises(ValidationError):
        ingestion.inbound_assign(
            inbound=inbound, account=personas.account, acting_user=personas.teammate
        )
    # Assigned, it is still known: the same file imported again adds nothing.
    [report] = run(personas, upload("unknown.eml", raw))
    assert report.duplicates == 1 and Touchpoint.objects.count() == 1


def test_dismissing_a_waiting_message_is_recorded(personas) -> None:  # type: ignore[no-untyped-def]
    run(personas, upload("unknown.eml", eml(sender="x@unknown.example")))
    inbound = InboundMessage.objects.get()
    ingestion.inbound_dismiss(inbound=inbound, acting_user=personas.owner)
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.DISMISSED
    assert inbound.history.latest().history_user == personas.owner
    with pytest.raises(NotAllowedError):
        ingestion.inbound_dismiss(inbound=inbound, acting_user=personas.read_only)


def test_the_review_list_shows_own_uploads_waiting_first(personas) -> None:  # type: ignore[no-untyped-def]
    run(personas, upload("1.eml", eml(sender="a@unknown.example", message_id="<1@x>")))
    run(personas, upload("2.eml", eml(sender="b@unknown.example", message_id="<2@x>")))
    run(
        personas,
        upload("3.eml", eml(sender="c@unknown.example", message_id="<3@x>")),
        user=personas.outsider,
    )
    first = InboundMessage.objects.get(message_id="1@x")
    second = InboundMessage.objects.get(message_id="2@x")
    ingestion.inbound_dismiss(inbound=second, acting_user=personas.owner)
    assert list(ingestion.inbound_list(user=personas.owner)) == [first, second]
    assert list(ingestion.inbound_list(user=personas.owner, status="dismissed")) == [second]
    assert [item.message_id for item in ingestion.inbound_list(user=personas.outsider)] == ["3@x"]
    assert ingestion.inbound_list(user=personas.head).count() == 3


def test_html_to_text_keeps_words_and_drops_markup() -> None:
    html = (
        "<div>Bonjour <b>Zoë</b>,<br>merci&#8239;!</div>"
        "<script>evil()</script><p>À&nbsp;bientôt</p>"
    )
    assert ingestion.html_to_text(html) == "Bonjour Zoë,\nmerci\u202f!\n\nÀ\xa0bientôt"


def test_message_ids_are_normalised() -> None:
    assert ingestion.normalise_message_id(" <abc@x.example> (comment)") == "abc@x.example"
    assert ingestion.normalise_message_id("abc@x.example") == "abc@x.example"
    long_id = ingestion.normalise_message_id("<" + "a" * 300 + "@x>")
    assert long_id.startswith("sha256:") and len(long_id) <= 255
