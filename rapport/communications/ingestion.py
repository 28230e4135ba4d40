"""E-mail files turned into touchpoints: .eml and .mbox uploads, and the review of the unmatched.

Each message is imported whole or not at all (one transaction each), so a broken message never
leaves half a touchpoint behind nor stops the good ones. A message is known by its Message-ID
(or, lacking one, by a digest of its headers and text): importing a file twice logs nothing new.

The account of an exchange is the one most of its matched stakeholders belong to; with no
stakeholder known, the account whose e-mail domain is that of a participant who is not one of
our users. A message matching neither waits in the review list for someone to assign it.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import email.utils
import hashlib
import mailbox
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.db import DatabaseError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Account
from rapport.communications import services
from rapport.communications.choices import InboundStatus, TouchpointKind, TouchpointSource
from rapport.communications.models import InboundMessage, Touchpoint
from rapport.core.services import require_permission
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User
from rapport.users.rules import is_manager_of_the_book

IMPORTED = "imported"
DUPLICATE = "duplicate"
PENDING = "pending"

EXTERNAL_ID_MAX = 255
SUBJECT_MAX = 200
SENDER_MAX = 320
FILE_NAME_MAX = 255
DIGEST_PREFIX = "sha256:"

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v]+")


class MalformedFileError(Exception):
    """A whole file that cannot be read as what it claims to be."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedMessageError(Exception):
    """One message in a file that cannot be turned into an exchange."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Reports -------------------------------------------------------------------------------------


@dataclass
class FileReport:
    """What became of one uploaded file, for the summary shown after an import."""

    name: str
    error: str = ""
    imported: list[Touchpoint] = field(default_factory=list)
    duplicates: int = 0
    pending: list[InboundMessage] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return not self.error and not self.failures


def clean_text(text: str, *, limit: int | None = None) -> str:
    """Text safe for both engines: no NUL (PostgreSQL refuses it), no lone surrogates."""
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def external_id(value: str) -> str:
    """An identifier that fits its column: long ones are replaced by their digest."""
    value = clean_text(value)
    if len(value) <= EXTERNAL_ID_MAX:
        return value
    return DIGEST_PREFIX + hashlib.sha256(value.encode()).hexdigest()


def upload_name(upload: UploadedFile) -> str:
    return clean_text(os.path.basename(upload.name or ""), limit=FILE_NAME_MAX) or _("(unnamed)")


# Matching addresses --------------------------------------------------------------------------


@dataclass
class Match:
    """The account an exchange belongs to, and who took part in it on both sides."""

    account: Account | None
    stakeholders: list[Stakeholder]
    users: list[User]


def _bare(address: str) -> str:
    """An address without brackets or a mailto: scheme, in the case it was written."""
    bare = address.strip().strip("<>").strip()
    return bare[len("mailto:") :] if bare.lower().startswith("mailto:") else bare


def normalise_addresses(addresses: Iterable[str]) -> list[str]:
    """Lower-cased addresses in their first order, each once; anything without an @ dropped."""
    seen: dict[str, None] = {}
    for address in addresses:
        cleaned = _bare(address).lower()
        if "@" in cleaned and cleaned not in seen:
            seen[cleaned] = None
    return list(seen)


def _spellings(addresses: Sequence[str], raw: Iterable[str]) -> set[str]:
    # Saves store addresses lower-cased; rows written around them (bulk imports) may keep the
    # case they were typed in, which the original spellings catch while using the index.
    return set(addresses) | {_bare(address) for address in raw if "@" in address}


def match_addresses(raw_addresses: Sequence[str]) -> Match:
    """The account of an exchange between these addresses, and its participants."""
    addresses = normalise_addresses(raw_addresses)
    if not addresses:
        return Match(account=None, stakeholders=[], users=[])
    spellings = _spellings(addresses, raw_addresses)
    users = _users_by_address(spellings)
    order = {address: position for position, address in enumerate(addresses)}
    people = sorted(
        Stakeholder.objects.filter(email__in=spellings).select_related("account"),
        key=lambda person: (order.get(person.email.lower(), len(order)), person.pk),
    )
    if people:
        # max() keeps the first of equal counts, and people are in header order: a tie goes
        # to the account of whoever comes first (the sender, then the recipients).
        counts = Counter(person.account_id for person in people)
        account_id = max(counts, key=counts.__getitem__)
        chosen = [person for person in people if person.account_id == account_id]
        return Match(account=chosen[0].account, stakeholders=chosen, users=users)
    ours = {user.email.lower() for user in users}
    domains = [address.rsplit("@", 1)[1] for address in addresses if address not in ours]
    return Match(account=_account_by_domain(domains), stakeholders=[], users=users)


def participants_on(*, account: Account, raw_addresses: Sequence[str]) -> Match:
    """The participants of an exchange once its account is known (for a manual assignment)."""
    addresses = normalise_addresses(raw_addresses)
    spellings = _spellings(addresses, raw_addresses)
    people = list(Stakeholder.objects.filter(account=account, email__in=spellings).order_by("pk"))
    return Match(account=account, stakeholders=people, users=_users_by_address(spellings))


def _users_by_address(spellings: set[str]) -> list[User]:
    return list(User.objects.filter(email__in=spellings).order_by("pk"))


def _account_by_domain(domains: Sequence[str]) -> Account | None:
    """The one active account using the first of these domains that only one account uses."""
    if not domains:
        return None
    by_domain: dict[str, list[Account]] = {}
    for account in Account.objects.filter(domain__in=set(domains), is_archived=False):
        by_domain.setdefault(account.domain, []).append(account)
    for domain in domains:
        candidates = by_domain.get(domain, [])
        # Several accounts on one domain (a group and its subsidiaries): a person must choose.
        if len(candidates) == 1:
            return candidates[0]
    return None


# Reading e-mail ------------------------------------------------------------------------------


@dataclass
class MailMessage:
    """What a touchpoint or the review list needs from one e-mail."""

    message_id: str
    subject: str
    sender: str
    recipients: str
    addresses: list[str]
    sent_at: datetime.datetime | None
    body: str


class _TextFromHtml(HTMLParser):
    """The readable text of an HTML body; nothing in it is run or fetched."""

    SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
    BREAKS = frozenset(
        {"br", "p", "div", "tr", "li", "ul", "ol", "table", "blockquote", "section", "hr"}
        | {f"h{level}" for level in range(1, 7)}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(_SPACES.sub(" ", data.replace("\n", " ")))


def html_to_text(html: str) -> str:
    """Plain text from an HTML e-mail body: tags dropped, scripts and styles left out."""
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def normalise_message_id(value: str) -> str:
    """The bare identifier of a Message-ID header: no angle brackets, comments or spaces."""
    found = _MESSAGE_ID.search(value)
    ident = found.group(1) if found else "".join(value.split()).strip("<>")
    return external_id(ident) if ident else ""


def _header(message: EmailMessage, name: str) -> Any:
    # The header parser raises assorted errors (IndexError, ValueError…) on hostile input; a
    # header that cannot be read counts as missing rather than sinking the whole message.
    try:
        return message.get(name)
    except Exception:
        return None


def _addresses(message: EmailMessage, *names: str) -> list[Address]:
    found: list[Address] = []
    for name in names:
        try:
            headers = message.get_all(name) or []
            for header in headers:
                found.extend(getattr(header, "addresses", ()))
        except Exception:  # noqa: S112  # a malformed address header counts as absent, see _header
            continue
    return [address for address in found if "@" in (address.addr_spec or "")]


def _format_address(address: Address) -> str:
    try:
        return str(address)
    except Exception:  # a display name the formatter chokes on: the bare address is enough
        return address.addr_spec


def _sent_at(message: EmailMessage) -> datetime.datetime | None:
    header = _header(message, "Date")
    if header is None:
        return None
    when = getattr(header, "datetime", None)
    if when is None:
        try:
            when = email.utils.parsedate_to_datetime(str(header))
        except (TypeError, ValueError, IndexError):
            return None
    if timezone.is_naive(when):
        when = when.replace(tzinfo=datetime.UTC)
    return cast(datetime.datetime, when)


def _body(message: EmailMessage) -> str:
    """The plain-text body: the text part if there is one, else the HTML part as text."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # a broken MIME tree: no readable body
        return ""
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AttributeError, TypeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return html_to_text(content)
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    return _BLANK_LINES.sub("\n\n", text).strip()


def parse_message(raw: bytes) -> MailMessage:
    """Read one e-mail; encoded headers (=?utf-8?q?…?=) and non-ASCII names come out decoded."""
    if not raw.strip():
        raise MalformedMessageError(_("The message is empty."))
    message = cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))
    senders = _addresses(message, "From")
    if not message.keys() or not senders:
        raise MalformedMessageError(_("This is not an e-mail message (no sender found)."))
    recipients = _addresses(message, "To", "Cc")
    subject_header = _header(message, "Subject")
    subject = " ".join(str(subject_header).split()) if subject_header is not None else ""
    sent_at = _sent_at(message)
    body = clean_text(_body(message))
    sender = clean_text(_format_address(senders[0]), limit=SENDER_MAX)
    ident_header = _header(message, "Message-ID")
    ident = normalise_message_id(str(ident_header)) if ident_header is not None else ""
    if not ident:
        # No Message-ID (some exports drop it): the same message must still be known again.
        key = "\n".join([sender, str(sent_at), subject, body])
        ident = DIGEST_PREFIX + hashlib.sha256(key.encode()).hexdigest()
    return MailMessage(
        message_id=ident,
        subject=clean_text(subject),
        sender=sender,
        recipients=clean_text(", ".join(_format_address(address) for address in recipients)),
        addresses=[address.addr_spec for address in senders + recipients],
        sent_at=sent_at,
        body=body,
    )


def _is_mbox(upload: UploadedFile, head: bytes) -> bool:
    return head.startswith(b"From ") or (upload.name or "").lower().endswith((".mbox", ".mbx"))


def mail_file_messages(upload: UploadedFile) -> Iterator[bytes]:
    """The raw messages of an uploaded .eml or .mbox file, one at a time.

    Raises ``MalformedFileError`` (before yielding anything) for an empty file or an .mbox
    that is not one.
    """
    upload.seek(0)
    head = upload.read(64 * 1024)
    upload.seek(0)
    if not head.strip():
        raise MalformedFileError(_("The file is empty."))
    if not _is_mbox(upload, head):
        yield upload.read()
        return
    if not head.startswith(b"From "):
        raise MalformedFileError(
            _("This is not an mbox mailbox: it should begin with a “From ” line.")
        )
    yield from _mbox_messages(upload)


def _mbox_messages(upload: UploadedFile) -> Iterator[bytes]:
    # The mailbox module reads from a path; a large upload is already on disk, a small one is
    # copied there so that a mailbox is never held in memory whole.
    copy = ""
    if isinstance(upload, TemporaryUploadedFile):
        path = upload.temporary_file_path()
    else:
        with tempfile.NamedTemporaryFile(suffix=".mbox", delete=False) as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
            path = copy = handle.name
    try:
        box = mailbox.mbox(path, create=False)
        try:
            for key in box.iterkeys():
                yield box.get_bytes(key)
        finally:
            box.close()
    finally:
        if copy:
            os.unlink(copy)


# Importing -----------------------------------------------------------------------------------


def already_imported(message_id: str) -> bool:
    """Whether this message is already a touchpoint or waiting in the review list."""
    return (
        Touchpoint.objects.filter(source=TouchpointSource.EMAIL, external_id=message_id).exists()
        or InboundMessage.objects.filter(message_id=message_id).exists()
    )


@transaction.atomic
def mail_message_import(
    *, acting_user: User, message: MailMessage, file_name: str, now: datetime.datetime
) -> tuple[str, Touchpoint | InboundMessage | None]:
    """Log one e-mail on its account, or keep it for review; skip it if already imported."""
    require_permission(acting_user, "communications.import_messages")
    if already_imported(message.message_id):
        return DUPLICATE, None
    match = match_addresses(message.addresses)
    if match.account is None:
        inbound = InboundMessage(
            message_id=message.message_id,
            subject=clean_text(message.subject, limit=SUBJECT_MAX),
            sender=message.sender,
            recipients=message.recipients,
            sent_at=message.sent_at,
            body=message.body,
            file_name=clean_text(file_name, limit=FILE_NAME_MAX),
            uploaded_by=acting_user,
        )
        inbound.full_clean()
        inbound._history_user = acting_user  # type: ignore[attr-defined]
        inbound.save()
        return PENDING, inbound
    touchpoint = services.touchpoint_create(
        acting_user=acting_user,
        account=match.account,
        data=_touchpoint_data(message.subject, message.body, message.sent_at or now),
        stakeholders=match.stakeholders,
        users=match.users,
        source=TouchpointSource.EMAIL,
        external_id=message.message_id,
    )
    return IMPORTED, touchpoint


def _touchpoint_data(subject: str, body: str, when: datetime.datetime) -> dict[str, Any]:
    return {
        "kind": TouchpointKind.EMAIL,
        "occurred_at": when,
        "subject": clean_text(subject, limit=SUBJECT_MAX) or _("(no subject)"),
        "notes": body,
    }


def mail_import(
    *, acting_user: User, files: Sequence[UploadedFile], now: datetime.datetime | None = None
) -> list[FileReport]:
    """Import uploaded .eml and .mbox files, each message on its own; one report per file."""
    require_permission(acting_user, "communications.import_messages")
    now = now or timezone.now()
    return [_import_mail_file(upload, acting_user=acting_user, now=now) for upload in files]


def _import_mail_file(
    upload: UploadedFile, *, acting_user: User, now: datetime.datetime
) -> FileReport:
    report = FileReport(name=upload_name(upload))
    number = 0
    try:
        for number, raw in enumerate(mail_file_messages(upload), start=1):
            _import_one_message(raw, number, report, acting_user=acting_user, now=now)
    except MalformedFileError as error:
        report.error = error.reason
    except (OSError, ValueError, mailbox.Error):
        report.error = _("The file could not be read past message %(number)s.") % {"number": number}
    if not report.error and number == 0:
        report.error = _("The file holds no messages.")
    return report


def _import_one_message(
    raw: bytes, number: int, report: FileReport, *, acting_user: User, now: datetime.datetime
) -> None:
    label = _("Message %(number)s") % {"number": number}
    try:
        message = parse_message(raw)
    except MalformedMessageError as error:
        report.failures.append(f"{label}: {error.reason}")
        return
    if message.subject:
        label = f"{label} (“{clean_text(message.subject, limit=80)}”)"
    try:
        outcome, record = mail_message_import(
            acting_user=acting_user, message=message, file_name=report.name, now=now
        )
    except ValidationError as error:
        report.failures.append(
            _("%(item)s: %(reason)s") % {"item": label, "reason": " ".join(error.messages)}
        )
        return
    except DatabaseError:
        # The whole message was rolled back with its transaction; the next one goes ahead.
        if already_imported(message.message_id):
            report.duplicates += 1
        else:
            report.failures.append(_("%(item)s: it could not be saved.") % {"item": label})
        return
    if outcome == DUPLICATE:
        report.duplicates += 1
    elif isinstance(record, InboundMessage):
        report.pending.append(record)
    elif isinstance(record, Touchpoint):
        report.imported.append(record)
        if message.sent_at is None:
            report.notes.append(
                _("%(message)s has no date: it was logged at the time of the import.")
                % {"message": label}
            )


# Unmatched e-mails ---------------------------------------------------------------------------


def inbound_list(*, user: User, status: str = "") -> QuerySet[InboundMessage]:
    """The e-mails a person may review (the book's managers: everyone's), waiting ones first."""
    queryset = InboundMessage.objects.select_related("uploaded_by", "touchpoint")
    if not is_manager_of_the_book.test(user):
        queryset = queryset.filter(uploaded_by=user)
    if status:
        queryset = queryset.filter(status=status)
    waiting_first = Case(
        When(status=InboundStatus.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return queryset.order_by(waiting_first, "-created_at", "-id")


def inbound_addresses(inbound: InboundMessage) -> list[str]:
    pairs = email.utils.getaddresses([inbound.sender, inbound.recipients])
    return [address for _name, address in pairs if "@" in address]


@transaction.atomic
def inbound_assign(*, inbound: InboundMessage, account: Account, acting_user: User) -> Touchpoint:
    """Log a waiting e-mail on the account a person chose, its participants found by address."""
    require_permission(acting_user, "communications.import_messages")
    locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if locked.status != InboundStatus.PENDING:
        raise ValidationError(_("This e-mail was already assigned or dismissed."))
    match = participants_on(account=account, raw_addresses=inbound_addresses(locked))
    touchpoint = services.touchpoint_create(
        acting_user=acting_user,
        account=account,
        data=_touchpoint_data(locked.subject, locked.body, locked.sent_at or locked.created_at),
        stakeholders=match.stakeholders,
        users=match.users,
        source=TouchpointSource.EMAIL,
        external_id=locked.message_id,
    )
    locked.status = InboundStatus.ASSIGNED
    locked.touchpoint = touchpoint
    locked._history_user = acting_user  # type: ignore[attr-defined]
    locked.save()
    return touchpoint


@transaction.atomic
def inbound_dismiss(*, inbound: InboundMessage, acting_user: User) -> InboundMessage:
    """Drop a waiting e-mail from the review list; history keeps who did it."""
    require_permission(acting_user, "communications.import_messages")
    locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if locked.status != InboundStatus.PENDING:
        raise ValidationError(_("This e-mail was already assigned or dismissed."))
    locked.status = InboundStatus.DISMISSED
    locked._history_user = acting_user  # type: ignore[attr-defined]
    locked.save()
    return locked


def inbound_suggestions(*, inbound: InboundMessage, limit: int = 5) -> list[Account]:
    """Active accounts whose e-mail domain is one of the message's, for a quick assignment."""
    addresses = normalise_addresses(inbound_addresses(inbound))
    ours = set(User.objects.filter(email__in=addresses).values_list("email", flat=True))
    domains = {address.rsplit("@", 1)[1] for address in addresses if address not in ours}
    if not domains:
        return []
    return list(
        Account.objects.filter(domain__in=domains, is_archived=False).order_by("search_name")[
            :limit
        ]
    )
