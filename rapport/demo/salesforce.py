"""A synthetic Salesforce Data Export: the files a company brings when it leaves Salesforce.

Written row by row, so that a million contacts cost the same memory as ten: every Id and every
reference is computed from a serial number, nothing is kept between rows. The same generator
feeds the import benchmark (large and clean) and the demo company's dry-run import (small, with
a few deliberate problems for its report).

The shape, for N accounts, C contacts and T tasks:

- Users: ``users`` owners; accounts, contacts' tasks and to-dos are spread over them.
- Accounts: one in ten is a subsidiary, in chains of up to three levels under a group's head.
- Contacts: spread evenly over the accounts; in each account the first person is the top and
  every other one reports to someone listed before them in the same account (a tree of three
  direct reports each, so no cycle), except one in thirty whose manager is unknown.
- Tasks: spread over the accounts (``WhatId``), most with a person of that account
  (``WhoId``); 35 % calls and 25 % e-mails already held (exchanges), the rest to-dos, open when
  due later than today.
- One reference in twenty is written as a 15-character Id; names carry accents; titles and
  descriptions carry commas, quotes and line breaks; files carry a column Rapport does not know
  (``Region__c``) and the audit columns Salesforce always exports (``CreatedDate``).
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import random
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rapport.interchange.salesforce import schema
from rapport.interchange.salesforce.exporter import synthetic_id

USER_PREFIX = schema.USER.prefix
ACCOUNT_PREFIX = schema.ACCOUNT.prefix
CONTACT_PREFIX = schema.CONTACT.prefix
TASK_PREFIX = schema.TASK.prefix


def _standard(sobject: schema.SalesforceObject) -> tuple[str, ...]:
    """The fields of a real org's export: the schema's, without Rapport's own custom fields."""
    return tuple(name for name in sobject.fields if not name.startswith("Rapport_"))


# Field order of each file: Salesforce's API names, plus the audit and custom columns a real
# export has and Rapport does not read.
USER_FIELDS = _standard(schema.USER)
ACCOUNT_FIELDS = (*_standard(schema.ACCOUNT), "CreatedDate", "Region__c")
CONTACT_FIELDS = (*_standard(schema.CONTACT), "CreatedDate")
TASK_FIELDS = (*_standard(schema.TASK), "CreatedDate")

FIRST_NAMES = (
    "Élodie",
    "François",
    "Zoë",
    "Søren",
    "Łukasz",
    "Inés",
    "Anaïs",
    "José",
    "Chloé",
    "Björn",
    "Amélie",
    "Noémie",
    "Jürgen",
    "Siobhán",
    "Ana",
    "Marc",
    "Sarah",
    "David",
    "Priya",
    "Kenji",
    "Olivia",
    "Tomás",
    "Hélène",
    "Raphaël",
)
LAST_NAMES = (
    "Müller",
    "Núñez",
    "Dupré",
    "O'Brien",
    "Çelik",
    "Kowalski",
    "Lefèvre",
    "García",
    "Nakamura",
    "Smith",
    "Johansson",
    "Rossi",
    "Martin",
    "Durand",
    "Schäfer",
    "Dvořák",
    "Brontë",
    "Fernández",
    "Nguyen",
    "Moreau",
)
TITLES = (
    ("Chief Executive Officer", "Executive"),
    ("Chief Financial Officer", "Finance"),
    ("VP, Operations", "Operations"),
    ('Head of IT ("Infrastructure")', "IT"),
    ("Procurement Manager", "Procurement"),
    ("Director, Customer Service", "Service"),
    ("Project Manager", "Operations"),
    ("Engineer", "IT"),
    ("Analyst", "Finance"),
    ("Team Lead, Logistics", "Operations"),
)
INDUSTRIES = (
    "Manufacturing",
    "Banking",
    "Healthcare",
    "Retail",
    "Technology",
    "Energy",
    "Transportation",
    "Telecommunications",
    "Government",
    "Education",
    "Media",
    "Consulting",
    "Biotechnology",  # not in Rapport's list: imported without an industry
)
COUNTRIES = ("FR", "DE", "GB", "US", "ES", "IT", "NL", "BE", "CH", "SE", "PL", "CA")
ACCOUNT_WORDS = (
    "Société Générale d'Études",
    "Nordvik",
    "Átlas",
    "Brennan & Co.",
    "Müller, Huber",
    "Castellane",
    "Orion",
    "Hôtellerie du Lac",
    "Zenit",
    "Kraków Steel",
)
CALL_SUBJECTS = ("Call: renewal check-in", "Call: onboarding review", "Call about the invoice")
EMAIL_SUBJECTS = ("Email: quarterly figures", "Email: follow-up, next steps", "Email: proposal")
TODO_SUBJECTS = ("Send the proposal", "Prepare the business review", "Book a site visit")

# One in this many people or tasks: rare shapes that a real export has.
SHORT_ID_EVERY = 20
UNKNOWN_MANAGER_EVERY = 30
NO_PERSON_EVERY = 10
SUBSIDIARY_BLOCK = 30  # in each block of 30 accounts, the last three form a chain
REPORTS_PER_MANAGER = 3


def salesforce_id(prefix: str, serial: int) -> str:
    """A believable 18-character Id: the key prefix, a serial in base 62, the case checksum."""
    return synthetic_id(prefix, serial)


@dataclass(frozen=True)
class ExportShape:
    """How big the export is; ``problems`` adds the few faults the demo's report shows."""

    accounts: int
    contacts: int
    tasks: int
    users: int = 300
    seed: int = 20261127
    problems: bool = False

    def contacts_of(self, account: int) -> tuple[int, int]:
        """The first contact serial of an account and how many it has (evenly spread)."""
        base, extra = divmod(self.contacts, self.accounts)
        first = account * base + min(account, extra)
        return first, base + (1 if account < extra else 0)


@dataclass
class ExportCounts:
    """Rows written per file."""

    users: int = 0
    accounts: int = 0
    contacts: int = 0
    tasks: int = 0

    @property
    def total(self) -> int:
        return self.users + self.accounts + self.contacts + self.tasks


def write_salesforce_export(
    destination: Path,
    *,
    shape: ExportShape,
    today: datetime.date,
    user_emails: list[str] | None = None,
) -> ExportCounts:
    """Write the export as CSV files into a folder, or into a .zip if the name ends so.

    ``user_emails`` gives the owners existing e-mail addresses (the demo's people), so that an
    import matches them instead of creating new users.
    """
    if shape.accounts < 1 or shape.users < 1:
        raise ValueError("An export needs at least one account and one user.")
    counts = ExportCounts()
    with _open_files(destination) as opener:
        counts.users = _write_rows(opener("User.csv"), USER_FIELDS, _users(shape, user_emails))
        counts.accounts = _write_rows(
            opener("Account.csv"), ACCOUNT_FIELDS, _accounts(shape, today)
        )
        counts.contacts = _write_rows(
            opener("Contact.csv"), CONTACT_FIELDS, _contacts(shape, today)
        )
        counts.tasks = _write_rows(opener("Task.csv"), TASK_FIELDS, _tasks(shape, today))
    return counts


@contextmanager
def _open_files(destination: Path) -> Iterator[_Opener]:
    with ExitStack() as stack:
        if destination.suffix.lower() == ".zip":
            destination.parent.mkdir(parents=True, exist_ok=True)
            archive = stack.enter_context(
                zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
            )
            yield _Opener(stack, archive=archive)
        else:
            destination.mkdir(parents=True, exist_ok=True)
            yield _Opener(stack, folder=destination)


class _Opener:
    """Opens each file of the export in turn, in the folder or inside the archive."""

    def __init__(
        self,
        stack: ExitStack,
        *,
        folder: Path | None = None,
        archive: zipfile.ZipFile | None = None,
    ) -> None:
        self.stack = stack
        self.folder = folder
        self.archive = archive

    def __call__(self, name: str) -> IO[str]:
        # Salesforce writes UTF-8 and the Excel-friendly byte-order mark on some files.
        encoding = "utf-8-sig" if name == "Contact.csv" else "utf-8"
        if self.archive is not None:
            binary = self.archive.open(name, "w", force_zip64=True)
            return io.TextIOWrapper(binary, encoding=encoding, newline="")
        assert self.folder is not None
        return (self.folder / name).open("w", encoding=encoding, newline="")


def _write_rows(handle: IO[str], fields: tuple[str, ...], rows: Iterator[list[str]]) -> int:
    written = 0
    with handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(fields)
        batch: list[list[str]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 5000:
                writer.writerows(batch)
                written += len(batch)
                batch.clear()
        writer.writerows(batch)
        written += len(batch)
    return written


def _reference(prefix: str, serial: int) -> str:
    """How another row points at this one: now and then by its 15-character Id."""
    full = salesforce_id(prefix, serial)
    return full[:15] if serial % SHORT_ID_EVERY == 7 else full


def _ascii(text: str) -> str:
    """The letters of a name an e-mail address keeps: "Zoë Müller" gives "zoe.muller"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if char.isascii() and char not in "' ")


def _created(today: datetime.date, days_ago: int) -> str:
    day = today - datetime.timedelta(days=days_ago)
    return f"{day.isoformat()}T09:30:00.000Z"


def _users(shape: ExportShape, emails: list[str] | None) -> Iterator[list[str]]:
    for serial in range(1, shape.users + 1):
        first = FIRST_NAMES[serial % len(FIRST_NAMES)]
        last = LAST_NAMES[serial % len(LAST_NAMES)]
        if emails:
            email = emails[(serial - 1) % len(emails)]
        else:
            email = f"owner{serial:04d}@export.example"
        yield [
            salesforce_id(USER_PREFIX, serial),
            first,
            last,
            email,
            "Account Manager",
            "true",
            "fr" if serial % 3 == 0 else "en_US",
        ]


def _owner(shape: ExportShape, serial: int) -> str:
    return salesforce_id(USER_PREFIX, serial % shape.users + 1)


def _parent_account(account: int) -> int | None:
    """The chain at the end of each block: head ← first ← second ← third."""
    position = account % SUBSIDIARY_BLOCK
    head = account - position
    if position == SUBSIDIARY_BLOCK - 3:
        return head
    if position > SUBSIDIARY_BLOCK - 3:
        return account - 1
    return None


def _accounts(shape: ExportShape, today: datetime.date) -> Iterator[list[str]]:
    rng = random.Random(shape.seed)
    for account in range(shape.accounts):
        serial = account + 1
        parent = _parent_account(account)
        word = ACCOUNT_WORDS[account % len(ACCOUNT_WORDS)]
        name = f"{word} {serial}"
        description = ""
        if account % 7 == 0:
            description = f"Key account, {COUNTRIES[account % len(COUNTRIES)]}.\nRenews yearly."
        yield [
            salesforce_id(ACCOUNT_PREFIX, serial),
            "false",
            name,
            _reference(ACCOUNT_PREFIX, parent + 1) if parent is not None else "",
            INDUSTRIES[account % len(INDUSTRIES)],
            COUNTRIES[(account // 3) % len(COUNTRIES)],
            f"https://www.account{serial}.example",
            str(rng.randint(10, 50_000)),
            description,
            _owner(shape, account),
            _created(today, rng.randint(30, 3000)),
            ("EMEA", "AMER", "APAC")[account % 3],
        ]
    if shape.problems:
        # A subsidiary whose group is not in the export, and a row deleted in Salesforce.
        serial = shape.accounts + 1
        yield [
            salesforce_id(ACCOUNT_PREFIX, serial),
            "false",
            f"Orphan Subsidiary {serial}",
            salesforce_id(ACCOUNT_PREFIX, shape.accounts + 50),
            "Retail",
            "FR",
            "",
            "",
            "",
            _owner(shape, serial),
            _created(today, 100),
            "EMEA",
        ]
        yield [
            salesforce_id(ACCOUNT_PREFIX, serial + 1),
            "true",
            f"Deleted Account {serial + 1}",
            "",
            "",
            "",
            "",
            "",
            "",
            _owner(shape, serial + 1),
            _created(today, 100),
            "",
        ]


def _contacts(shape: ExportShape, today: datetime.date) -> Iterator[list[str]]:
    rng = random.Random(shape.seed + 1)
    for account in range(shape.accounts):
        first_serial, count = shape.contacts_of(account)
        account_ref = _reference(ACCOUNT_PREFIX, account + 1)
        for position in range(count):
            serial = first_serial + position + 1
            first = FIRST_NAMES[serial % len(FIRST_NAMES)]
            last = LAST_NAMES[(serial // len(FIRST_NAMES)) % len(LAST_NAMES)]
            title, department = TITLES[min(position, len(TITLES) - 1)]
            manager = ""
            if position and serial % UNKNOWN_MANAGER_EVERY:
                manager_serial = first_serial + (position - 1) // REPORTS_PER_MANAGER + 1
                manager = _reference(CONTACT_PREFIX, manager_serial)
            email_name = _ascii(f"{first}.{last}")
            yield [
                salesforce_id(CONTACT_PREFIX, serial),
                "false",
                account_ref,
                first,
                last,
                title,
                department,
                f"{email_name}.{serial}@account{account + 1}.example",
                f"+33 1 {serial % 100:02d} {serial // 100 % 100:02d} {rng.randint(10, 99)} 00",
                manager,
                'Met at the "Partner Day", Lyon' if serial % 50 == 0 else "",
                _created(today, rng.randint(1, 2000)),
            ]
    if shape.problems:
        # Someone whose manager is not in the export.
        serial = shape.contacts + 1
        yield [
            salesforce_id(CONTACT_PREFIX, serial),
            "false",
            salesforce_id(ACCOUNT_PREFIX, 1),
            "Inès",
            "Lambert",
            "Buyer",
            "Procurement",
            f"ines.lambert.{serial}@account1.example",
            "",
            salesforce_id(CONTACT_PREFIX, shape.contacts + 40),
            "",
            _created(today, 10),
        ]


def _tasks(shape: ExportShape, today: datetime.date) -> Iterator[list[str]]:
    rng = random.Random(shape.seed + 2)
    stride = _coprime_stride(shape.accounts)
    for task in range(shape.tasks):
        serial = task + 1
        account = (task * stride) % shape.accounts
        first_contact, contact_count = shape.contacts_of(account)
        who = ""
        if contact_count and serial % NO_PERSON_EVERY:
            who = _reference(CONTACT_PREFIX, first_contact + serial % contact_count + 1)
        draw = rng.random()
        owner = _owner(shape, account if serial % 4 else serial)
        created_days = rng.randint(1, 1000)
        if draw < 0.60:
            is_call = draw < 0.35
            days_ago = rng.randint(0, 1000)
            row = [
                salesforce_id(TASK_PREFIX, serial),
                "false",
                who,
                _reference(ACCOUNT_PREFIX, account + 1),
                (CALL_SUBJECTS if is_call else EMAIL_SUBJECTS)[serial % 3],
                (today - datetime.timedelta(days=days_ago)).isoformat(),
                "Completed",
                "true",
                "Call" if is_call else "Email",
                "Call" if is_call else "Email",
                str(rng.randint(60, 3600)) if is_call else "",
                owner,
                "Discussed renewal, pricing; next call in June." if serial % 9 == 0 else "",
                _created(today, days_ago),
            ]
        else:
            offset = rng.randint(-400, 60)
            done = offset < -14 or (offset < 0 and serial % 2 == 0)
            row = [
                salesforce_id(TASK_PREFIX, serial),
                "false",
                who,
                _reference(ACCOUNT_PREFIX, account + 1),
                TODO_SUBJECTS[serial % 3],
                (today + datetime.timedelta(days=offset)).isoformat(),
                "Completed" if done else "Not Started",
                "true" if done else "false",
                "Task",
                "Other",
                "",
                owner,
                "Agenda:\n1. figures\n2. roadmap" if serial % 11 == 0 else "",
                _created(today, created_days),
            ]
        yield row
    if shape.problems:
        # A date Salesforce would never write, and a call on an account not in the export.
        serial = shape.tasks + 1
        yield [
            salesforce_id(TASK_PREFIX, serial),
            "false",
            "",
            salesforce_id(ACCOUNT_PREFIX, 1),
            "Call: budget",
            "2024-02-31",
            "Completed",
            "true",
            "Call",
            "Call",
            "",
            _owner(shape, serial),
            "",
            _created(today, 5),
        ]
        yield [
            salesforce_id(TASK_PREFIX, serial + 1),
            "false",
            "",
            salesforce_id(ACCOUNT_PREFIX, shape.accounts + 60),
            "Email: contract draft",
            (today - datetime.timedelta(days=3)).isoformat(),
            "Completed",
            "true",
            "Email",
            "Email",
            "",
            _owner(shape, serial + 1),
            "",
            _created(today, 3),
        ]


def _coprime_stride(accounts: int) -> int:
    """A step that visits every account once per round, so tasks are spread, not clustered."""
    stride = 7919
    while accounts > 1 and math.gcd(stride, accounts) != 1:
        stride += 2
    return stride
