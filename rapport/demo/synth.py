"""Builds a large synthetic book for the benchmarks: bulk inserts, one transaction per batch.

The demo company (``services.py``) is small and goes through the services so that its history
reads like real work. This book is the opposite: hundreds of thousands of accounts and about
ten times as many stakeholders, written straight with ``bulk_create`` so that the scale the
design is held to (100,000 accounts, 1,000,000 stakeholders) loads in minutes; then, each
filled in for the accounts still without it, a communications log and three years of contracts
and opportunities (the sections at the end).

What that speed costs, on purpose:

- No history rows. ``bulk_create`` skips ``save()`` and the history signals; a synthetic book
  has no past worth restoring, and a million history rows would double the load time.
- ``save()`` is skipped, so the fields it derives (``search_name``, ``search_last_name``, the
  lower-cased e-mail, the trimmed domain and country) are set here exactly as it sets them.
- No ``full_clean()``: every value is built to be valid, and the tests check the outcome.
- No signals either, so each batch computes its accounts' relationship risk and coverage
  itself, in bulk, before it commits.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from rapport.accountmaps.models import AccountMapSummary
from rapport.accountmaps.services import refresh_summaries
from rapport.accounts.choices import Industry, LifecycleStage, Segment, TeamRole, Tier
from rapport.accounts.models import Account, TeamMember
from rapport.communications.choices import (
    CadenceKind,
    Sentiment,
    TaskStatus,
    TouchpointKind,
    TouchpointSource,
)
from rapport.communications.models import (
    CadenceRule,
    RelationshipStrength,
    Task,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.communications.services import EXECUTIVE_ROLES, cadence_defaults, strength_score
from rapport.core.db import sqlite_page_cache
from rapport.core.text import search_key
from rapport.demo import data
from rapport.demo import revenue as demo_revenue
from rapport.revenue.choices import (
    ContractStatus,
    ForecastCategory,
    LossReason,
    OpportunityStatus,
    OpportunityType,
)
from rapport.revenue.models import (
    Contract,
    ContractAmendment,
    ContractLine,
    ExchangeRate,
    Opportunity,
    OpportunityLine,
    PipelineStage,
    Product,
    ProductFamily,
)
from rapport.revenue.rates import CENT, RateTable, company_currency
from rapport.revenue.services import add_months, cents
from rapport.stakeholders.choices import DecisionRole, Influence, StakeholderStatus, Stance
from rapport.stakeholders.models import RelationshipOwner, Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User

DEFAULT_SEED = 20261127
DEFAULT_BATCH_SIZE = 1000

# Every synthetic address ends with this, which is how a later run finds the earlier ones.
SYNTH_DOMAIN = "synth.example"
USER_EMAIL_FORMAT = "synth-user-{number:04d}@" + SYNTH_DOMAIN

# Account names are four consonant-vowel syllables. Because every syllable has exactly two
# letters, a name splits back into its syllables one way only, so distinct serial numbers
# always give distinct names; and the first syllables are spread evenly, so a two-, three- or
# four-letter prefix matches about 1/70, 1/1,000 or 1/5,000 of the book, as in a real one.
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_SYLLABLES = [consonant + vowel for consonant in _CONSONANTS for vowel in _VOWELS]
_NAME_SYLLABLES = 4
NAME_SPACE = len(_SYLLABLES) ** _NAME_SYLLABLES
# Multiplying by a number prime to NAME_SPACE permutes it: consecutive serials get unrelated
# names instead of a book sorted in insertion order.
_SCRAMBLE = 1_000_003
_SHIFT = 7_654_321

_SUBSIDIARY_SHARE = 0.04
_UNOWNED_SHARE = 0.03
# How often a map shows each of the weaknesses real books have, so relationship risk varies.
_NO_CHAMPION_SHARE = 0.15
_CHAMPION_LEFT_SHARE = 0.08
_DECIDER_LEFT_SHARE = 0.04
_BLOCKER_SHARE = 0.2  # of the accounts whose map has a data protection officer
_UNOWNED_SHARE_OF_MAPS = 0.1  # the account manager owns none of the client's people yet
# The top person's direct reports: the org template's C-level rows.
_DIRECT_TITLES = [row for row in data.ORG_TEMPLATE[1:] if row[2] == 0]
_OTHER_TITLES = [row for row in data.ORG_TEMPLATE[1:] if row[2] != 0]

# SQLite's page cache while loading, in KiB: a million people's indexes outgrow 2 MB.
_SQLITE_CACHE_KIB = 262144


@dataclass(frozen=True)
class SynthProgress:
    """Where a load stands, reported after each committed batch."""

    accounts_done: int
    accounts_total: int
    stakeholders: int
    team_members: int
    seconds: float


@dataclass(frozen=True)
class SynthResult:
    """What one load added."""

    users_created: int
    accounts: int
    stakeholders: int
    team_members: int
    seconds: float


def synth_account_name(serial: int) -> str:
    """The base name (without its industry word) of the synthetic account with this serial."""
    if not 0 <= serial < NAME_SPACE:
        raise ValueError(f"Synthetic account serials run from 0 to {NAME_SPACE - 1}.")
    code = (serial * _SCRAMBLE + _SHIFT) % NAME_SPACE
    syllables = []
    for _position in range(_NAME_SYLLABLES):
        code, digit = divmod(code, len(_SYLLABLES))
        syllables.append(_SYLLABLES[digit])
    return "".join(syllables).capitalize()


def synth_account_count() -> int:
    """How many synthetic accounts the database holds."""
    return Account.objects.filter(domain__endswith="." + SYNTH_DOMAIN).count()


def synth_users(*, count: int) -> tuple[list[User], int]:
    """The first ``count`` synthetic users, and how many of them had to be created.

    They get unusable passwords: hashing hundreds of passwords would take minutes, and the
    benchmark signs in with ``force_login``. Most are account managers, as in a real team.
    """
    emails = [USER_EMAIL_FORMAT.format(number=number) for number in range(1, count + 1)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    rng = random.Random(DEFAULT_SEED)
    missing = []
    for number, email in enumerate(emails, start=1):
        # Drawn for every number, so a user's name does not depend on which ones existed.
        first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
        if email not in existing:
            missing.append(
                User(
                    email=email,
                    first_name=first,
                    last_name=last,
                    role=_synth_user_role(number),
                    password=make_password(None),
                    title="Synthetic user",
                )
            )
    User.objects.bulk_create(missing, batch_size=DEFAULT_BATCH_SIZE)
    return list(User.objects.filter(email__in=emails).order_by("email")), len(missing)


def synth_book(
    *,
    accounts: int,
    stakeholders_per_account: int = 10,
    users: int = 300,
    seed: int = DEFAULT_SEED,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[SynthProgress], None] | None = None,
) -> SynthResult:
    """Add ``accounts`` synthetic accounts with their stakeholders and teams to the database.

    Each batch commits on its own, so an interrupted load keeps what it wrote and memory stays
    flat; a later run continues the serial numbers, so names never repeat those already there.
    """
    if accounts < 0 or stakeholders_per_account < 0 or users < 1 or batch_size < 1:
        raise ValueError("Counts must be positive (and at least one user).")
    started = time.monotonic()
    people, users_created = synth_users(count=users)
    cast = _Cast.from_users(people)
    first_serial = synth_account_count()
    # The seed and the starting serial together decide the run: the same command on the same
    # database gives the same book, and a second run differs from the first.
    rng = random.Random(f"{seed}:{first_serial}")
    serials = _free_serials(start=first_serial)
    done = stakeholders = team_members = 0
    with sqlite_page_cache(_SQLITE_CACHE_KIB):
        while done < accounts:
            size = min(batch_size, accounts - done)
            with transaction.atomic():
                batch = _insert_accounts(
                    serials=[next(serials) for _index in range(size)], cast=cast, rng=rng
                )
                teams = _insert_team_members(batch, cast=cast, rng=rng)
                team_members += sum(len(team) for team in teams.values())
                stakeholders += _insert_stakeholders(
                    batch, per_account=stakeholders_per_account, teams=teams, rng=rng
                )
                refresh_summaries(account_ids=[account.pk for account in batch])
            done += size
            if on_progress is not None:
                on_progress(
                    SynthProgress(
                        accounts_done=done,
                        accounts_total=accounts,
                        stakeholders=stakeholders,
                        team_members=team_members,
                        seconds=time.monotonic() - started,
                    )
                )
    return SynthResult(
        users_created=users_created,
        accounts=done,
        stakeholders=stakeholders,
        team_members=team_members,
        seconds=time.monotonic() - started,
    )


def _synth_user_role(number: int) -> str:
    if number == 1 or number % 50 == 0:
        return Role.HEAD_OF_ACCOUNT_MANAGEMENT
    if number % 10 == 3:
        return Role.ACCOUNT_EXECUTIVE
    if number % 10 == 7:
        return Role.TEAM_MEMBER
    return Role.ACCOUNT_MANAGER


@dataclass(frozen=True)
class _Cast:
    """The synthetic users' ids, by the part they play on accounts."""

    managers: list[int]
    executives: list[int]
    support: list[int]
    sponsors: list[int]

    @classmethod
    def from_users(cls, users: list[User]) -> _Cast:
        def with_role(role: str) -> list[int]:
            return [user.pk for user in users if user.role == role]

        managers = with_role(Role.ACCOUNT_MANAGER)
        # A small team may lack some roles; account managers then stand in for them.
        return cls(
            managers=managers or [user.pk for user in users],
            executives=with_role(Role.ACCOUNT_EXECUTIVE) or managers,
            support=with_role(Role.TEAM_MEMBER) or managers,
            sponsors=with_role(Role.HEAD_OF_ACCOUNT_MANAGEMENT) or managers,
        )


def _free_serials(*, start: int) -> Iterator[int]:
    """Serials from ``start`` on whose names are not taken yet.

    Counting synthetic accounts gives the next serial as long as none was deleted; checking
    each chunk's domains (derived from the name, and indexed) keeps a rerun safe even then.
    """
    chunk = 500
    serial = start
    while serial < NAME_SPACE:
        domains = {
            _synth_domain(synth_account_name(number)): number
            for number in range(serial, min(serial + chunk, NAME_SPACE))
        }
        taken = set(
            Account.objects.filter(domain__in=list(domains)).values_list("domain", flat=True)
        )
        yield from (number for domain, number in domains.items() if domain not in taken)
        serial += chunk
    raise ValueError(f"The synthetic name space ({NAME_SPACE:,} accounts) is used up.")


def _synth_domain(base_name: str) -> str:
    return f"{base_name.lower()}.{SYNTH_DOMAIN}"


def _insert_accounts(*, serials: list[int], cast: _Cast, rng: random.Random) -> list[Account]:
    """One batch of accounts; a few are subsidiaries of a larger account of the same batch."""
    tops: list[Account] = []
    subsidiaries: list[Account] = []
    for serial in serials:
        account = _build_account(serial, cast=cast, rng=rng)
        (subsidiaries if rng.random() < _SUBSIDIARY_SHARE else tops).append(account)
    Account.objects.bulk_create(tops)
    groups = [account for account in tops if account.tier in {Tier.STRATEGIC, Tier.KEY}]
    for account in subsidiaries:
        account.parent_id = rng.choice(groups).pk if groups else None
    Account.objects.bulk_create(subsidiaries)
    return tops + subsidiaries


def _build_account(serial: int, *, cast: _Cast, rng: random.Random) -> Account:
    industry = rng.choice(list(data.INDUSTRY_SUFFIXES))
    base = synth_account_name(serial)
    name = f"{base} {rng.choice(data.INDUSTRY_SUFFIXES[industry])}"
    tier = rng.choice(data.TIERS)
    employees = rng.randint(*data.EMPLOYEE_RANGES[tier])
    if industry == Industry.PUBLIC_SECTOR:
        segment = Segment.PUBLIC_SECTOR
    elif employees >= 2000:
        segment = Segment.ENTERPRISE
    elif employees >= 250:
        segment = Segment.MID_MARKET
    else:
        segment = Segment.SMALL_BUSINESS
    domain = _synth_domain(base)
    return Account(
        name=name,
        search_name=search_key(name),
        legal_name=f"{name} {rng.choice(data.LEGAL_FORMS)}",
        website=f"https://www.{domain}",
        domain=domain,
        industry=industry,
        country=rng.choice(data.COUNTRIES),
        employees=employees,
        tier=tier,
        segment=segment,
        lifecycle_stage=rng.choice(data.STAGES),
        owner_id=None if rng.random() < _UNOWNED_SHARE else rng.choice(cast.managers),
        originating_executive_id=rng.choice(cast.executives) if rng.random() < 0.33 else None,
    )


def _insert_team_members(
    accounts: list[Account], *, cast: _Cast, rng: random.Random
) -> dict[int, dict[str, int]]:
    """The owner as account manager, plus the roles a real team of that tier would have."""
    # Each account's team comes back as user ids by role: they own the client's relationships.
    today = timezone.localdate()
    members: list[TeamMember] = []
    for account in accounts:
        roles: list[tuple[int, str]] = []
        if account.owner_id is not None:
            roles.append((account.owner_id, TeamRole.ACCOUNT_MANAGER))
        if account.originating_executive_id is not None:
            roles.append((account.originating_executive_id, TeamRole.ACCOUNT_EXECUTIVE))
        if account.tier in {Tier.STRATEGIC, Tier.KEY}:
            roles.append((rng.choice(cast.support), TeamRole.SUPPORT_LEAD))
        if account.tier == Tier.STRATEGIC:
            roles.append((rng.choice(cast.sponsors), TeamRole.EXECUTIVE_SPONSOR))
        start = today - datetime.timedelta(days=rng.randint(30, 1500))
        members += [
            TeamMember(account_id=account.pk, user_id=user_id, role=role, start_date=start)
            for user_id, role in roles
        ]
    TeamMember.objects.bulk_create(members)
    teams: dict[int, dict[str, int]] = {account.pk: {} for account in accounts}
    for member in members:
        teams[member.account_id][member.role] = member.user_id
    return teams


def _insert_stakeholders(
    accounts: list[Account],
    *,
    per_account: int,
    teams: dict[int, dict[str, int]],
    rng: random.Random,
) -> int:
    """About ``per_account`` people per account, as a reporting tree three levels deep.

    The levels are inserted one after the other, so each level's managers already have the
    ids ``bulk_create`` returned; no second pass of updates is needed.
    """
    # Each map gets decision roles, stances and owners on our side; the owners are inserted
    # last, once everyone has an id.
    tops: list[Stakeholder] = []
    directs: list[Stakeholder] = []
    others: list[Stakeholder] = []
    # Indices into ``directs`` of each "other" person's manager, resolved once directs have ids.
    managers_of_others: list[int] = []
    tops_of_directs: list[int] = []
    owned: list[tuple[Stakeholder, int]] = []
    for account in accounts:
        size = rng.randint(max(1, per_account - 3), per_account + 3) if per_account else 0
        if size == 0:
            continue
        names = _distinct_names(size, rng=rng)
        tops.append(
            _build_stakeholder(account, names[0], ("Chief Executive Officer", "Executive"), rng)
        )
        direct_count = min(size - 1, rng.randint(2, len(_DIRECT_TITLES)))
        first_direct = len(directs)
        for index in range(direct_count):
            title, department, _manager = _DIRECT_TITLES[index]
            directs.append(_build_stakeholder(account, names[1 + index], (title, department), rng))
            tops_of_directs.append(len(tops) - 1)
        first_other = len(others)
        for name in names[1 + direct_count :]:
            title, department, _manager = rng.choice(_OTHER_TITLES)
            others.append(_build_stakeholder(account, name, (title, department), rng))
            managers_of_others.append(first_direct + rng.randrange(direct_count))
        people = [tops[-1], *directs[first_direct:], *others[first_other:]]
        owned += _shape_map(account, people, team=teams.get(account.pk, {}), rng=rng)
    Stakeholder.objects.bulk_create(tops)
    for person, top in zip(directs, tops_of_directs, strict=True):
        person.reports_to_id = tops[top].pk
    Stakeholder.objects.bulk_create(directs)
    for person, manager in zip(others, managers_of_others, strict=True):
        person.reports_to_id = directs[manager].pk
    Stakeholder.objects.bulk_create(others)
    RelationshipOwner.objects.bulk_create(
        RelationshipOwner(stakeholder_id=person.pk, user_id=user_id, strength=strength)
        for (person, user_id), strength in zip(
            owned, (rng.randint(30, 95) for _pair in owned), strict=True
        )
    )
    return len(tops) + len(directs) + len(others)


def _shape_map(
    account: Account, people: list[Stakeholder], *, team: dict[str, int], rng: random.Random
) -> list[tuple[Stakeholder, int]]:
    """Roles, stance and influence by title, a champion, and (person, user id) owner pairs."""
    # Like a real book, some maps have no champion, one who left, a hostile blocker, or nobody
    # on our side at all, so that relationship risk has something to find.
    by_title: dict[str, Stakeholder] = {}
    for person in people:
        by_title.setdefault(person.title, person)
        roles, influence = data.MAP_PROFILE.get(person.title, ([], Influence.LOW))
        person.decision_roles = list(roles)
        person.influence = influence
        person.stance = rng.choice(data.STANCES)
        # Open opposition at the top is rarer than scepticism: most executives who doubt us
        # still listen.
        if person.stance == Stance.OPPONENT and influence == Influence.HIGH and rng.random() < 0.7:
            person.stance = Stance.SKEPTIC
    champion = None
    if rng.random() >= _NO_CHAMPION_SHARE:
        candidates = [by_title[title] for title in data.CHAMPION_TITLES if title in by_title]
        champion = candidates[0] if candidates else rng.choice(people[1:] or people)
        champion.decision_roles = [*champion.decision_roles, DecisionRole.CHAMPION]
        champion.stance = rng.choice([Stance.ADVOCATE, Stance.SUPPORTER])
        if rng.random() < _CHAMPION_LEFT_SHARE:
            _mark_left(champion, rng)
    if rng.random() < _DECIDER_LEFT_SHARE:
        _mark_left(rng.choice(people[:2]), rng)
    guard = by_title.get("Data Protection Officer")
    if guard is not None and rng.random() < _BLOCKER_SHARE:
        guard.decision_roles = [*guard.decision_roles, DecisionRole.BLOCKER]
        guard.stance = Stance.OPPONENT
        guard.influence = Influence.HIGH
    pairs: list[tuple[Stakeholder, int]] = []

    def own(title: str | None, role: str) -> None:
        person = champion if title is None else by_title.get(title)
        if person is not None and role in team:
            pairs.append((person, team[role]))

    if rng.random() >= _UNOWNED_SHARE_OF_MAPS:
        own(None, TeamRole.ACCOUNT_MANAGER)
        own("Chief Information Officer", TeamRole.ACCOUNT_MANAGER)
        if rng.random() < 0.5:
            own("Chief Executive Officer", TeamRole.ACCOUNT_MANAGER)
        if rng.random() < 0.4:
            own("Chief Financial Officer", TeamRole.ACCOUNT_MANAGER)
    own("Chief Financial Officer", TeamRole.ACCOUNT_EXECUTIVE)
    own("Chief Executive Officer", TeamRole.EXECUTIVE_SPONSOR)
    own("Head of IT Infrastructure", TeamRole.SUPPORT_LEAD)
    # The same user may own one person twice over (manager and sponsor); the table holds a pair
    # once. Unsaved people cannot be hashed, hence their identity as the key.
    return list({(id(person), user_id): (person, user_id) for person, user_id in pairs}.values())


def _mark_left(person: Stakeholder, rng: random.Random) -> None:
    person.status = StakeholderStatus.LEFT
    person.left_on = timezone.localdate() - datetime.timedelta(days=rng.randint(10, 400))


def _distinct_names(count: int, *, rng: random.Random) -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    used: set[tuple[str, str]] = set()
    while len(names) < count:
        name = (rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES))
        if name not in used:
            used.add(name)
            names.append(name)
    return names


def _build_stakeholder(
    account: Account, name: tuple[str, str], role: tuple[str, str], rng: random.Random
) -> Stakeholder:
    """A person, with the derived fields ``Stakeholder.save()`` would have set."""
    first, last = name
    title, department = role
    local = search_key(f"{first}.{last}").replace(" ", "-")
    return Stakeholder(
        account_id=account.pk,
        first_name=first,
        last_name=last,
        search_name=search_key(f"{first} {last}".strip()),
        search_last_name=search_key(last),
        title=title,
        department=department,
        email=f"{local}@{account.domain}".strip().lower(),
        phone=f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} 00",
    )


def synth_refresh_statistics() -> None:
    """Bring the planner's statistics up to date after a load, as autovacuum would later.

    Right after a bulk load PostgreSQL plans with the sizes of an empty database until
    autovacuum catches up, and its index-only scans wait for the visibility map; running it now
    measures the book as it will be in steady state. On SQLite, ANALYZE plays the same part.
    VACUUM cannot run inside a transaction, so there only ANALYZE runs.
    """
    models = [
        Account,
        Stakeholder,
        TeamMember,
        RelationshipOwner,
        AccountMapSummary,
        Touchpoint,
        TouchpointStakeholder,
        TouchpointUser,
        Task,
        CadenceRule,
        RelationshipStrength,
        Contract,
        ContractLine,
        ContractAmendment,
        Opportunity,
        OpportunityLine,
    ]
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        for table in tables:
            quoted = connection.ops.quote_name(table)
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                cursor.execute(f"VACUUM ANALYZE {quoted}")
            else:
                cursor.execute(f"ANALYZE {quoted}")


# The communications log ------------------------------------------------------------------------
#
# Ten million touchpoints do not go through the ORM: model instances and the SQL compiler would
# cost more than the database itself. Rows are built as tuples and sent in chunks, by COPY on
# PostgreSQL and ``executemany`` on SQLite, with ids handed out here so that participant and task
# rows can point at their touchpoint without reading anything back. The derived columns the
# services keep (last contacts, strengths, cadence dates) are computed from the generated rows
# while they are at hand, and written once per batch.

DEFAULT_TOUCHPOINTS_PER_ACCOUNT = 100
# One account in BUSY_EVERY is a very busy one, with BUSY_TOUCHPOINTS exchanges in three years:
# the timeline's worst case.
BUSY_EVERY = 10_000
BUSY_TOUCHPOINTS = 60_000
# The user whose today view the benchmark measures, given this many accounts.
TODAY_USER_EMAIL = USER_EMAIL_FORMAT.format(number=2)
TODAY_USER_ACCOUNTS = 500
COMMUNICATIONS_BATCH_SIZE = 200
# Rows kept in memory before they are sent: memory stays flat whatever the account's size.
_FLUSH_ROWS = 20_000
_HISTORY_DAYS = 3 * 365
_QUIET_SHARE = 0.08  # accounts nobody has spoken to for a while: the today view lists them
_TASK_SHARE = 0.1
_TIER_WEIGHT: dict[str, float] = {
    Tier.STRATEGIC: 3.0,
    Tier.KEY: 1.5,
    Tier.GROWTH: 1.0,
    Tier.MAINTAIN: 0.5,
}
_KINDS = [
    (TouchpointKind.EMAIL, 35),
    (TouchpointKind.CALL, 25),
    (TouchpointKind.MEETING, 15),
    (TouchpointKind.CHAT, 10),
    (TouchpointKind.NOTE, 8),
    (TouchpointKind.BUSINESS_REVIEW, 4),
    (TouchpointKind.SITE_VISIT, 3),
]
_SENTIMENTS = [
    (Sentiment.POSITIVE, 30),
    (Sentiment.NEUTRAL, 45),
    (Sentiment.NEGATIVE, 7),
    ("", 18),
]
_DURATIONS = {
    TouchpointKind.CALL: (15, 60),
    TouchpointKind.MEETING: (30, 90),
    TouchpointKind.BUSINESS_REVIEW: (60, 180),
    TouchpointKind.SITE_VISIT: (120, 480),
}
_TOPICS = [
    "renewal terms",
    "onboarding progress",
    "support backlog",
    "roadmap preview",
    "usage review",
    "pricing question",
    "integration issues",
    "security questionnaire",
    "training plan",
    "expansion to a new team",
    "invoice dispute",
    "quarterly objectives",
]
_OUTCOMES = ["Agreed next steps", "Waiting for their answer", "Escalated internally", ""]
_TOUCHPOINT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "version",
    "account_id",
    "kind",
    "occurred_at",
    "duration_minutes",
    "subject",
    "notes",
    "sentiment",
    "outcome",
    "next_steps",
    "logged_by_id",
    "source",
    "external_id",
)
_TASK_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "version",
    "title",
    "account_id",
    "touchpoint_id",
    "assignee_id",
    "due_on",
    "status",
    "notes",
    "created_by_id",
    "completed_at",
    "completed_by_id",
)


@dataclass(frozen=True)
class CommunicationsProgress:
    """Where a load of the log stands, reported after each committed batch."""

    accounts_done: int
    accounts_total: int
    touchpoints: int
    seconds: float


@dataclass(frozen=True)
class CommunicationsResult:
    """What one load of the log added."""

    accounts: int
    touchpoints: int
    participants: int
    tasks: int
    cadence_rules: int
    strengths: int
    seconds: float


def synth_accounts_without_log() -> list[int]:
    """The synthetic accounts the log has not reached yet (it fills accounts in id order)."""
    # The log is written account after account, in id order, one transaction per batch: every
    # account after the last one holding a touchpoint is still empty.
    last = Touchpoint.objects.aggregate(last=Max("account_id"))["last"] or 0
    return list(
        Account.objects.filter(domain__endswith="." + SYNTH_DOMAIN, pk__gt=last)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def synth_busy_accounts(*, at_least: int = BUSY_TOUCHPOINTS // 2) -> list[int]:
    """The very busy accounts of the synthetic book (the first of every ``BUSY_EVERY``)."""
    candidates = list(
        Account.objects.filter(domain__endswith="." + SYNTH_DOMAIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )[::BUSY_EVERY]
    return [pk for pk in candidates if Touchpoint.objects.filter(account_id=pk).count() >= at_least]


def synth_communications(
    *,
    touchpoints: int | None = None,
    seed: int = DEFAULT_SEED,
    batch_size: int = COMMUNICATIONS_BATCH_SIZE,
    busy_touchpoints: int = BUSY_TOUCHPOINTS,
    now: datetime.datetime | None = None,
    on_progress: Callable[[CommunicationsProgress], None] | None = None,
) -> CommunicationsResult:
    """Three years of exchanges, tasks and cadences for the synthetic accounts without any.

    ``touchpoints`` (by default 100 an account) is the total to spread: one account in
    ``BUSY_EVERY`` gets ``busy_touchpoints``, the others shares weighted by tier and chance.
    """
    started = time.monotonic()
    now = (now or timezone.now()).replace(microsecond=0)
    account_ids = synth_accounts_without_log()
    if touchpoints is None:
        touchpoints = DEFAULT_TOUCHPOINTS_PER_ACCOUNT * len(account_ids)
    if touchpoints < 0 or batch_size < 1 or busy_touchpoints < 0:
        raise ValueError("Counts must be positive.")
    _give_today_user_accounts(count=TODAY_USER_ACCOUNTS)
    busy = {pk for index, pk in enumerate(account_ids) if index % BUSY_EVERY == 0}
    busy_each = min(busy_touchpoints, touchpoints // (2 * len(busy))) if busy else 0
    regular_left = touchpoints - busy_each * len(busy)
    regular_accounts_left = len(account_ids) - len(busy)
    writer = _RowWriter(now=now)
    rng = random.Random(f"{seed}:log:{account_ids[0] if account_ids else 0}")
    intervals = cadence_defaults()
    totals = dict.fromkeys(
        ("touchpoints", "participants", "tasks", "cadence_rules", "strengths"), 0
    )
    done = 0
    with sqlite_page_cache(_SQLITE_CACHE_KIB), writer.session():
        for start in range(0, len(account_ids), batch_size):
            batch = account_ids[start : start + batch_size]
            regular = [pk for pk in batch if pk not in busy]
            quota = round(regular_left * len(regular) / regular_accounts_left) if regular else 0
            regular_left -= quota
            regular_accounts_left -= len(regular)
            with transaction.atomic():
                counts = _BatchLog(writer=writer, rng=rng, now=now, intervals=intervals).load(
                    batch, busy=busy, busy_each=busy_each, quota=quota
                )
                refresh_summaries(account_ids=batch)
            for key, value in counts.items():
                totals[key] += value
            done += len(batch)
            if on_progress is not None:
                on_progress(
                    CommunicationsProgress(
                        accounts_done=done,
                        accounts_total=len(account_ids),
                        touchpoints=totals["touchpoints"],
                        seconds=time.monotonic() - started,
                    )
                )
    writer.reset_sequences()
    return CommunicationsResult(accounts=done, seconds=time.monotonic() - started, **totals)


def _give_today_user_accounts(*, count: int) -> None:
    """Put the today view's user on teams until they look after ``count`` active accounts."""
    user = User.objects.filter(email=TODAY_USER_EMAIL).first()
    if user is None:
        return
    memberships = TeamMember.objects.current().filter(user=user).values("account_id")
    mine = Account.objects.filter(Q(owner=user) | Q(pk__in=memberships), is_archived=False)
    missing = count - mine.count()
    if missing < 0:
        # Accounts loaded since gave them more as owner: take back teams this loader gave.
        given = TeamMember.objects.filter(
            user=user, role=TeamRole.SALES_ENGINEER, account__domain__endswith="." + SYNTH_DOMAIN
        ).order_by("-pk")
        TeamMember.objects.filter(
            pk__in=list(given.values_list("pk", flat=True)[:-missing])
        ).delete()
        return
    if missing == 0:
        return
    extra = (
        Account.objects.filter(domain__endswith="." + SYNTH_DOMAIN, is_archived=False)
        .exclude(pk__in=mine.values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)[:missing]
    )
    start = timezone.localdate() - datetime.timedelta(days=200)
    TeamMember.objects.bulk_create(
        TeamMember(account_id=pk, user=user, role=TeamRole.SALES_ENGINEER, start_date=start)
        for pk in extra
    )


@dataclass
class _Person:
    pk: int
    is_executive: bool
    left_at: datetime.datetime | None


class _BatchLog:
    """The touchpoints, participants, tasks and derived rows of one batch of accounts."""

    def __init__(
        self,
        *,
        writer: _RowWriter,
        rng: random.Random,
        now: datetime.datetime,
        intervals: dict[str, dict[str, int]],
    ) -> None:
        self.writer = writer
        self.rng = rng
        self.now = now
        self.today = timezone.localdate(now)
        self.intervals = intervals
        self.counts = dict.fromkeys(
            ("touchpoints", "participants", "tasks", "cadence_rules", "strengths"), 0
        )
        self.touchpoints: list[tuple[object, ...]] = []
        self.people_links: list[tuple[object, ...]] = []
        self.user_links: list[tuple[object, ...]] = []
        self.tasks: list[tuple[object, ...]] = []
        self.account_contacts: dict[int, datetime.datetime] = {}
        self.person_contacts: dict[int, datetime.datetime] = {}
        # (user id, stakeholder id) -> [latest shared exchange, shared exchanges within a year]
        self.pairs: dict[tuple[int, int], list[Any]] = {}
        self.cadence_done: dict[tuple[int, str], datetime.datetime] = {}

    def load(
        self, account_ids: list[int], *, busy: set[int], busy_each: int, quota: int
    ) -> dict[str, int]:
        accounts = list(
            Account.objects.filter(pk__in=account_ids)
            .order_by("pk")
            .values_list("pk", "tier", "owner_id")
        )
        teams: dict[int, list[int]] = {pk: [] for pk in account_ids}
        for account_id, user_id in TeamMember.objects.filter(
            account_id__in=account_ids
        ).values_list("account_id", "user_id"):
            teams[account_id].append(user_id)
        people = self._people(account_ids)
        regular = [(pk, tier) for pk, tier, _owner in accounts if pk not in busy]
        weights = [
            _TIER_WEIGHT.get(tier, 1.0) * self.rng.lognormvariate(0, 0.6) for _pk, tier in regular
        ]
        total_weight = sum(weights) or 1.0
        shares = {
            pk: int(quota * weight / total_weight)
            for (pk, _tier), weight in zip(regular, weights, strict=True)
        }
        for pk, _tier in regular[: quota - sum(shares.values())]:
            shares[pk] += 1
        fallback = [owner for _pk, _tier, owner in accounts if owner is not None] or [
            user_id for team in teams.values() for user_id in team
        ]
        for pk, _tier, owner_id in accounts:
            count = busy_each if pk in busy else shares.get(pk, 0)
            users = self._user_weights(owner_id, teams[pk], fallback)
            self._account(pk, count=count, people=people.get(pk, []), users=users)
        self._flush()
        self._write_derived(accounts)
        return self.counts

    def _people(self, account_ids: list[int]) -> dict[int, list[tuple[_Person, float]]]:
        """Each account's people with how often they take part: some never, some a lot."""
        result: dict[int, list[tuple[_Person, float]]] = {}
        rows = Stakeholder.all_objects.filter(account_id__in=account_ids).order_by("pk")
        for pk, account_id, roles, left_on in rows.values_list(
            "pk", "account_id", "decision_roles", "left_on"
        ):
            executive = any(role in EXECUTIVE_ROLES for role in roles)
            left_at = (
                datetime.datetime.combine(left_on, datetime.time(), tzinfo=datetime.UTC)
                if left_on is not None
                else None
            )
            weight = 0.0 if self.rng.random() < 0.15 else self.rng.lognormvariate(0, 0.8)
            result.setdefault(account_id, []).append(
                (_Person(pk, executive, left_at), weight * (0.5 if executive else 1.0))
            )
        return result

    def _user_weights(
        self, owner_id: int | None, team: list[int], fallback: list[int]
    ) -> list[tuple[int, float]]:
        members = list(dict.fromkeys(team))
        if not members and fallback:
            members = [self.rng.choice(fallback)]
        return [(user_id, 6.0 if user_id == owner_id else 1.0) for user_id in members]

    def _account(
        self,
        pk: int,
        *,
        count: int,
        people: list[tuple[_Person, float]],
        users: list[tuple[int, float]],
    ) -> None:
        rng = self.rng
        # Most accounts are spoken to until today; a few went quiet weeks or months ago.
        quiet_days = rng.randint(46, 400) if rng.random() < _QUIET_SHARE else 0
        span = _HISTORY_DAYS * 86400
        end = self.now - datetime.timedelta(days=quiet_days)
        offsets = sorted(rng.randrange(span) for _index in range(count))
        kinds, kind_weights = zip(*_KINDS, strict=True)
        moods, mood_weights = zip(*_SENTIMENTS, strict=True)
        drawn_kinds = rng.choices(kinds, kind_weights, k=count)
        drawn_moods = rng.choices(moods, mood_weights, k=count)
        reachable = [(person, weight) for person, weight in people if weight > 0] or people
        person_weights = [weight or 1.0 for _person, weight in reachable]
        user_ids = [user_id for user_id, _weight in users]
        user_weights = [weight for _user_id, weight in users]
        year_ago = self.now - datetime.timedelta(days=365)
        for offset, kind, mood in zip(offsets, drawn_kinds, drawn_moods, strict=True):
            when = end - datetime.timedelta(seconds=span - offset)
            # Office hours: the day from the spread, the time of day redrawn.
            when = when.replace(hour=rng.randint(7, 17), minute=rng.randrange(0, 60, 5), second=0)
            when = min(when, self.now)
            touchpoint_id = self.writer.next_id("touchpoint")
            stamp = self.writer.datetime(when)
            topic = rng.choice(_TOPICS)
            low_high = _DURATIONS.get(kind)
            ours = (
                list(dict.fromkeys(rng.choices(user_ids, user_weights, k=1 + (rng.random() < 0.3))))
                if user_ids
                else []
            )
            self.touchpoints.append(
                (
                    touchpoint_id,
                    stamp,
                    stamp,
                    1,
                    pk,
                    kind,
                    stamp,
                    rng.randint(*low_high) if low_high else None,
                    f"{TouchpointKind(kind).label}: {topic}",
                    f"Talked about **{topic}**." if rng.random() < 0.6 else "",
                    mood,
                    rng.choice(_OUTCOMES),
                    "Send the summary and book the next call." if rng.random() < 0.3 else "",
                    ours[0] if ours else None,
                    TouchpointSource.MANUAL,
                    "",
                )
            )
            is_exchange = kind != TouchpointKind.NOTE
            how_many = rng.choices((1, 2, 3), (55, 30, 15))[0]
            chosen = {
                person.pk: person
                for person, _weight in (
                    rng.choices(reachable, person_weights, k=how_many) if reachable else []
                )
                if person.left_at is None or when < person.left_at
            }
            for person in chosen.values():
                self.people_links.append((touchpoint_id, person.pk, stamp, is_exchange))
            for user_id in ours:
                self.user_links.append((touchpoint_id, user_id, stamp))
            self.counts["touchpoints"] += 1
            self.counts["participants"] += len(chosen) + len(ours)
            if is_exchange:
                _keep_latest(self.account_contacts, pk, when)
                _keep_latest(self.cadence_done, (pk, CadenceKind.CHECK_IN), when)
                if kind == TouchpointKind.BUSINESS_REVIEW:
                    _keep_latest(self.cadence_done, (pk, CadenceKind.BUSINESS_REVIEW), when)
                if any(person.is_executive for person in chosen.values()):
                    _keep_latest(self.cadence_done, (pk, CadenceKind.EXECUTIVE_TOUCH), when)
                for person_pk in chosen:
                    _keep_latest(self.person_contacts, person_pk, when)
                    for user_id in ours:
                        pair = self.pairs.setdefault((user_id, person_pk), [when, 0])
                        pair[0] = max(pair[0], when)
                        pair[1] += when >= year_ago
                if ours and rng.random() < _TASK_SHARE:
                    self._task(pk, touchpoint_id, when, topic, assignee=ours[0])
            if len(self.touchpoints) >= _FLUSH_ROWS:
                self._flush()

    def _task(
        self,
        account_id: int,
        touchpoint_id: int,
        when: datetime.datetime,
        topic: str,
        *,
        assignee: int,
    ) -> None:
        rng = self.rng
        due_on = timezone.localdate(when) + datetime.timedelta(days=rng.randint(2, 21))
        late_by = (self.today - due_on).days
        if late_by > 30:
            status = rng.choices(
                (TaskStatus.DONE, TaskStatus.CANCELLED, TaskStatus.OPEN), (93, 5, 2)
            )[0]
        elif late_by > 0:
            status = rng.choice((TaskStatus.DONE, TaskStatus.DONE, TaskStatus.OPEN))
        else:
            status = TaskStatus.OPEN
        completed = (
            None
            if status == TaskStatus.OPEN
            else self.writer.datetime(
                min(self.now, when + datetime.timedelta(days=rng.randint(1, 20)))
            )
        )
        stamp = self.writer.datetime(when)
        self.tasks.append(
            (
                self.writer.next_id("task"),
                stamp,
                stamp,
                1,
                f"Follow up on {topic}",
                account_id,
                touchpoint_id,
                assignee,
                due_on.isoformat(),
                status,
                "",
                assignee,
                completed,
                assignee if status == TaskStatus.DONE else None,
            )
        )
        self.counts["tasks"] += 1

    def _flush(self) -> None:
        self.writer.insert(Touchpoint, _TOUCHPOINT_COLUMNS, self.touchpoints)
        self.writer.insert(
            TouchpointStakeholder,
            ("touchpoint_id", "stakeholder_id", "occurred_at", "is_exchange"),
            self.people_links,
        )
        self.writer.insert(
            TouchpointUser, ("touchpoint_id", "user_id", "occurred_at"), self.user_links
        )
        self.writer.insert(Task, _TASK_COLUMNS, self.tasks)
        self.touchpoints, self.people_links, self.user_links, self.tasks = [], [], [], []

    def _write_derived(self, accounts: Sequence[tuple[int, str, int | None]]) -> None:
        """Last contacts, strengths and cadence rules, as the services would have kept them."""
        writer = self.writer
        writer.set_column(
            Account,
            "last_contact_at",
            [(pk, writer.datetime(when)) for pk, when in self.account_contacts.items()],
        )
        writer.set_column(
            Stakeholder,
            "last_contact_at",
            [(pk, writer.datetime(when)) for pk, when in self.person_contacts.items()],
        )
        refreshed = writer.datetime(self.now)
        strengths = [
            (
                user_id,
                person_pk,
                shared,
                writer.datetime(last),
                strength_score(last_contact_at=last, shared=shared, now=self.now),
                refreshed,
            )
            for (user_id, person_pk), (last, shared) in self.pairs.items()
        ]
        writer.insert(
            RelationshipStrength,
            (
                "user_id",
                "stakeholder_id",
                "shared_touchpoints",
                "last_contact_at",
                "strength",
                "refreshed_at",
            ),
            strengths,
        )
        held = set(
            CadenceRule.objects.filter(
                account_id__in=[pk for pk, _tier, _owner in accounts]
            ).values_list("account_id", "kind")
        )
        rules = []
        for pk, tier, _owner in accounts:
            for kind, interval in self.intervals.get(tier, {}).items():
                if (pk, kind) in held:
                    continue
                last = self.cadence_done.get((pk, kind))
                base = timezone.localdate(last) if last is not None else self.today
                rules.append(
                    (
                        refreshed,
                        refreshed,
                        1,
                        pk,
                        kind,
                        interval,
                        False,
                        self.today.isoformat(),
                        writer.datetime(last) if last is not None else None,
                        (base + datetime.timedelta(days=interval)).isoformat(),
                    )
                )
        writer.insert(
            CadenceRule,
            (
                "created_at",
                "updated_at",
                "version",
                "account_id",
                "kind",
                "interval_days",
                "is_custom",
                "starts_on",
                "last_done_at",
                "next_due_on",
            ),
            rules,
        )
        self.counts["strengths"] += len(strengths)
        self.counts["cadence_rules"] += len(rules)


def _keep_latest(latest: dict[Any, datetime.datetime], key: Any, when: datetime.datetime) -> None:
    if key not in latest or latest[key] < when:
        latest[key] = when


class _RowWriter:
    """Sends rows the fastest way each engine takes them, with ids handed out in advance.

    Table and column names in its SQL come from the models and this module, never from input.
    """

    def __init__(self, *, now: datetime.datetime) -> None:
        self.now = now
        self.postgres = connection.vendor == "postgresql"
        self.ids: dict[str, int] = {}

    @contextmanager
    def session(self) -> Iterator[None]:
        """Start the id counters after the rows already there; loosen durability on PostgreSQL."""
        for key, model in (("touchpoint", Touchpoint), ("task", Task)):
            self.ids[key] = model.objects.aggregate(last=Max("pk"))["last"] or 0
        if not self.postgres:
            yield
            return
        with connection.cursor() as cursor:
            # A lost commit only loses synthetic rows that a rerun writes again.
            cursor.execute("SET synchronous_commit TO off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")

    def next_id(self, key: str) -> int:
        self.ids[key] += 1
        return self.ids[key]

    def datetime(self, value: datetime.datetime) -> str:
        """How each engine's Django backend stores a time: UTC, naive on SQLite."""
        text = value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
        return text + "+00" if self.postgres else text

    def insert(
        self, model: type[Any], columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                names = ", ".join(connection.ops.quote_name(column) for column in columns)
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    copy.write("".join(_copy_line(row) for row in rows))
            else:
                marks = ", ".join("%s" for _column in columns)
                cursor.cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                    rows,
                )

    def set_column(self, model: type[Any], column: str, values: list[tuple[int, str]]) -> None:
        """Set one column of many rows by id."""
        if not values:
            return
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS synth_values "
                    "(id bigint PRIMARY KEY, value text)"
                )
                cursor.execute("TRUNCATE synth_values")
                with cursor.cursor.copy("COPY synth_values (id, value) FROM STDIN") as copy:
                    copy.write("".join(f"{pk}\t{value}\n" for pk, value in values))
                cursor.execute(
                    f"UPDATE {table} SET {column} = synth_values.value::timestamptz "  # noqa: S608
                    f"FROM synth_values WHERE {table}.id = synth_values.id"
                )
            else:
                cursor.cursor.executemany(
                    f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                    [(value, pk) for pk, value in values],
                )

    def reset_sequences(self) -> None:
        """On PostgreSQL, move the id sequences past the ids handed out here."""
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for model in (Touchpoint, Task):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )


def _copy_line(row: tuple[Any, ...]) -> str:
    """One row in COPY's text format."""
    return "\t".join(_copy_value(value) for value in row) + "\n"


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    return str(value)


# Revenue ------------------------------------------------------------------------------------
#
# Contracts and opportunities are written with ``bulk_create``, not through the services: the
# services validate and record history row by row, which would take hours for a million rows.
# The values the services derive are computed here the same way: a line's annual value is its
# quantity times its unit price to the cent, converted into the company currency at the rate in
# force on the day the line starts; an opportunity's amount is converted on its close date.

DEFAULT_CONTRACTS_PER_ACCOUNT = 3
DEFAULT_OPPORTUNITIES_PER_ACCOUNT = 3
REVENUE_BATCH_SIZE = 1000
_FOREIGN_SHARE = 0.1  # of the accounts, half in dollars and half in pounds
_AMENDED_SHARE = 0.1  # of the terms: seats added mid-term
# The platform edition each tier buys: Essentials, Professional or Enterprise.
_TIER_EDITION: dict[str, int] = {Tier.STRATEGIC: 2, Tier.KEY: 1, Tier.GROWTH: 1, Tier.MAINTAIN: 0}
_GROWTH_OUTCOMES = [
    (OpportunityStatus.OPEN, 50),
    (OpportunityStatus.WON, 30),
    (OpportunityStatus.LOST, 20),
]
_LOSS_REASONS = [
    LossReason.PRICE,
    LossReason.BUDGET,
    LossReason.COMPETITOR,
    LossReason.NO_DECISION,
    LossReason.NO_ADOPTION,
]
_CHURN_REASONS = [
    LossReason.COMPETITOR,
    LossReason.BUDGET,
    LossReason.NO_ADOPTION,
    LossReason.CHAMPION_LEFT,
    LossReason.ACQUIRED,
]


@dataclass(frozen=True)
class RevenueProgress:
    """Where a load of contracts and opportunities stands, after each committed batch."""

    accounts_done: int
    accounts_total: int
    contracts: int
    opportunities: int
    seconds: float


@dataclass(frozen=True)
class RevenueResult:
    """What one load of revenue added."""

    accounts: int
    contracts: int
    lines: int
    amendments: int
    opportunities: int
    seconds: float


def synth_accounts_without_revenue() -> list[int]:
    """The synthetic accounts the revenue load has not reached yet (it goes in id order)."""
    last = Contract.objects.aggregate(last=Max("account_id"))["last"] or 0
    return list(
        Account.objects.filter(domain__endswith="." + SYNTH_DOMAIN, pk__gt=last)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def synth_revenue(
    *,
    contracts_per_account: int = DEFAULT_CONTRACTS_PER_ACCOUNT,
    opportunities_per_account: int = DEFAULT_OPPORTUNITIES_PER_ACCOUNT,
    seed: int = DEFAULT_SEED,
    batch_size: int = REVENUE_BATCH_SIZE,
    today: datetime.date | None = None,
    on_progress: Callable[[RevenueProgress], None] | None = None,
) -> RevenueResult:
    """Consecutive yearly terms and their opportunities for the synthetic accounts without any.

    About ``contracts_per_account`` terms each (one to twice that less one), each renewed by a
    won renewal into the next; the last one live (its renewal open when it ends within the lead
    time) or, for accounts at the churned stage, lost. Then upsells and cross-sells, open at
    every stage, won or lost, until an account has about ``opportunities_per_account``.
    """
    if contracts_per_account < 1 or opportunities_per_account < 0 or batch_size < 1:
        raise ValueError("Counts must be positive (and at least one contract an account).")
    started = time.monotonic()
    today = today or timezone.localdate()
    catalogue = synth_catalogue(today=today)
    table = RateTable()
    stages = _Stages.load()
    account_ids = synth_accounts_without_revenue()
    rng = random.Random(f"{seed}:revenue:{account_ids[0] if account_ids else 0}")
    _give_today_user_accounts(count=TODAY_USER_ACCOUNTS)
    totals = dict.fromkeys(("contracts", "lines", "amendments", "opportunities"), 0)
    done = 0
    with sqlite_page_cache(_SQLITE_CACHE_KIB):
        for start in range(0, len(account_ids), batch_size):
            batch = account_ids[start : start + batch_size]
            with transaction.atomic():
                counts = _RevenueBatch(
                    catalogue=catalogue, table=table, stages=stages, rng=rng, today=today
                ).load(
                    batch,
                    contracts_per_account=contracts_per_account,
                    opportunities_per_account=opportunities_per_account,
                )
            for key, value in counts.items():
                totals[key] += value
            done += len(batch)
            if on_progress is not None:
                on_progress(
                    RevenueProgress(
                        accounts_done=done,
                        accounts_total=len(account_ids),
                        contracts=totals["contracts"],
                        opportunities=totals["opportunities"],
                        seconds=time.monotonic() - started,
                    )
                )
    return RevenueResult(accounts=done, seconds=time.monotonic() - started, **totals)


def synth_catalogue(*, today: datetime.date) -> list[Product]:
    """The demo's families and products, and its dollar and pound rates, made once."""
    families = {family.name: family for family in ProductFamily.objects.all()}
    missing = [
        ProductFamily(name=name, position=position, description=description)
        for position, (name, description, _items) in enumerate(demo_revenue.CATALOGUE, start=1)
        if name not in families
    ]
    ProductFamily.objects.bulk_create(missing)
    families = {family.name: family for family in ProductFamily.objects.all()}
    names = set(Product.objects.values_list("name", flat=True))
    Product.objects.bulk_create(
        Product(
            name=name,
            search_name=search_key(name),
            code=code,
            family=families[family_name],
            list_price=Decimal(price),
        )
        for family_name, _description, items in demo_revenue.CATALOGUE
        for name, code, price, _per_user in items
        if name not in names
    )
    month = today.replace(day=1)
    ExchangeRate.objects.bulk_create(
        [
            ExchangeRate(
                currency=currency,
                effective_date=add_months(month, -months_back),
                rate=Decimal(rate),
            )
            for currency, changes in demo_revenue.RATES.items()
            for months_back, rate in changes
        ],
        ignore_conflicts=True,
    )
    wanted = [name for _family, _text, items in demo_revenue.CATALOGUE for name, *_rest in items]
    products = Product.objects.select_related("family").in_bulk(wanted, field_name="name")
    return [products[name] for name in wanted]


@dataclass(frozen=True)
class _Stages:
    """The pipeline's open stages, and the ones that close as won and as lost."""

    open: list[PipelineStage]
    won: PipelineStage
    lost: PipelineStage

    @classmethod
    def load(cls) -> _Stages:
        stages = list(PipelineStage.objects.filter(is_active=True).order_by("position", "id"))
        by_outcome: dict[str, list[PipelineStage]] = {}
        for stage in stages:
            by_outcome.setdefault(stage.outcome, []).append(stage)
        if set(by_outcome) != set(OpportunityStatus.values):
            raise ValueError("The pipeline needs an open, a won and a lost stage in use.")
        return cls(
            open=by_outcome[OpportunityStatus.OPEN],
            won=by_outcome[OpportunityStatus.WON][0],
            lost=by_outcome[OpportunityStatus.LOST][0],
        )


@dataclass
class _Term:
    """One contract term being built, with the lines it will hold."""

    contract: Contract
    lines: list[ContractLine] = field(default_factory=list)
    amendment: ContractAmendment | None = None


class _RevenueBatch:
    """The contracts, lines, amendments and opportunities of one batch of accounts."""

    def __init__(
        self,
        *,
        catalogue: list[Product],
        table: RateTable,
        stages: _Stages,
        rng: random.Random,
        today: datetime.date,
    ) -> None:
        self.catalogue = catalogue
        platform = demo_revenue.PLATFORM
        self.platform = [product for product in catalogue if product.family.name == platform]
        self.others = [product for product in catalogue if product.family.name != platform]
        self.table = table
        self.stages = stages
        self.rng = rng
        self.today = today
        self.counts = dict.fromkeys(("contracts", "lines", "amendments", "opportunities"), 0)

    def load(
        self, account_ids: list[int], *, contracts_per_account: int, opportunities_per_account: int
    ) -> dict[str, int]:
        accounts = list(
            Account.objects.filter(pk__in=account_ids)
            .order_by("pk")
            .values_list("pk", "tier", "employees", "owner_id", "lifecycle_stage")
        )
        chains = {
            pk: self._plan(pk, tier, employees, stage, contracts_per_account)
            for pk, tier, employees, _owner, stage in accounts
        }
        owners = {pk: owner for pk, _tier, _employees, owner, _stage in accounts}
        self._write_contracts(chains, owners)
        opportunities: list[tuple[Opportunity, list[OpportunityLine]]] = []
        for pk, chain in chains.items():
            renewals = self._renewals(chain, owner=owners[pk])
            opportunities.extend(renewals)
            wanted = max(0, opportunities_per_account - len(renewals))
            opportunities.extend(self._growth(pk, chain, owner=owners[pk], count=wanted))
        self._write_opportunities(opportunities)
        return self.counts

    # Contracts ------------------------------------------------------------------------------

    def _plan(
        self, pk: int, tier: str, employees: int | None, stage: str, mean_terms: int
    ) -> list[_Term]:
        """Consecutive yearly terms, the last one live or, for a churned account, ended."""
        rng = self.rng
        terms = max(1, round(rng.triangular(1, 2 * mean_terms - 1, mean_terms)))
        churned = stage == LifecycleStage.CHURNED
        if churned:
            last_end = self.today - datetime.timedelta(days=rng.randint(1, 700))
        else:
            last_end = self.today + datetime.timedelta(days=rng.randint(0, 364))
        last_end = _clean_end(last_end)
        draw = rng.random()
        currency = (
            company_currency()
            if draw >= _FOREIGN_SHARE
            else "USD"
            if draw < _FOREIGN_SHARE / 2
            else "GBP"
        )
        first_start = add_months(last_end + datetime.timedelta(days=1), -12 * terms)
        # The rates begin three years back: no older term in a foreign currency.
        while (
            terms > 1
            and currency != company_currency()
            and first_start < self.today - datetime.timedelta(days=3 * 365)
        ):
            terms -= 1
            first_start = add_months(last_end + datetime.timedelta(days=1), -12 * terms)
        seats = max(10, round((employees or 200) ** 0.75 * rng.uniform(0.3, 0.55) / 5) * 5)
        holdings = [
            (self.platform[min(len(self.platform) - 1, _TIER_EDITION.get(tier, 1))], Decimal(seats))
        ]
        for product in rng.sample(self.others, k=rng.choice((0, 1, 1, 2))):
            quantity = Decimal(max(5, seats // 2)) if demo_revenue.per_user(product) else Decimal(1)
            holdings.append((product, quantity))
        discount = Decimal(str(round(rng.uniform(0, 0.15), 2)))
        rate = self.table.rate(currency, first_start) or Decimal(1)
        prices = {
            product.pk: (product.list_price * (1 - discount) / rate).quantize(Decimal(1))
            for product, _quantity in holdings
        }
        chain: list[_Term] = []
        start = first_start
        for number in range(terms):
            end = add_months(start, 12) - datetime.timedelta(days=1)
            last = number == terms - 1
            contract = Contract(
                account_id=pk,
                reference=f"SYN-{pk}",
                currency=currency,
                start_date=start,
                end_date=end,
                status=(
                    ContractStatus.RENEWED
                    if not last
                    else ContractStatus.CHURNED
                    if churned
                    else ContractStatus.ACTIVE
                ),
                churn_reason=rng.choice(_CHURN_REASONS) if last and churned else "",
            )
            term = _Term(contract)
            for product, quantity in holdings:
                term.lines.append(
                    self._line(contract, product, quantity, prices[product.pk], start, end)
                )
            if rng.random() < _AMENDED_SHARE and (min(end, self.today) - start).days > 60:
                self._amend(term, rng.randint(30, (min(end, self.today) - start).days - 1))
            chain.append(term)
            # The next term: the yearly price review, often more seats, sometimes fewer.
            holdings = [
                (line.product, line.quantity) for line in term.lines if line.end_date == end
            ]
            factor = rng.choices(
                (1.0, rng.uniform(1.1, 1.4), rng.uniform(0.75, 0.9)), (40, 50, 10)
            )[0]
            holdings = [
                (
                    product,
                    max(Decimal(1), (quantity * Decimal(str(factor))).quantize(Decimal(1)))
                    if demo_revenue.per_user(product)
                    else quantity,
                )
                for product, quantity in holdings
            ]
            prices = {
                pk_: (price * Decimal("1.03")).quantize(CENT) for pk_, price in prices.items()
            }
            start = end + datetime.timedelta(days=1)
        return chain

    def _line(
        self,
        contract: Contract,
        product: Product,
        quantity: Decimal,
        price: Decimal,
        start: datetime.date,
        end: datetime.date,
    ) -> ContractLine:
        value = (quantity * price).quantize(CENT)
        company_value = self.table.convert(value, contract.currency, start)
        return ContractLine(
            contract=contract,
            account_id=contract.account_id,
            product=product,
            quantity=quantity,
            unit_price=price,
            annual_value=value,
            annual_value_company=company_value,
            annual_cents=cents(company_value),
            start_date=start,
            end_date=end,
        )

    def _amend(self, term: _Term, offset_days: int) -> None:
        """Seats added mid-term: the seat line ends the day before, a larger one takes over."""
        contract = term.contract
        day = contract.start_date + datetime.timedelta(days=offset_days)
        seats = term.lines[0]
        term.amendment = ContractAmendment(
            contract=contract, effective_date=day, reason="More seats for a new team."
        )
        extra = max(Decimal(5), (seats.quantity * Decimal("0.2")).quantize(Decimal(1)))
        successor = self._line(
            contract, seats.product, seats.quantity + extra, seats.unit_price, day, seats.end_date
        )
        seats.end_date = day - datetime.timedelta(days=1)
        term.lines.append(successor)

    def _write_contracts(
        self, chains: dict[int, list[_Term]], owners: Mapping[int, int | None]
    ) -> None:
        """Term after term, so that each term can point at the one it renews."""
        depth = max((len(chain) for chain in chains.values()), default=0)
        for generation in range(depth):
            terms = [chain[generation] for chain in chains.values() if len(chain) > generation]
            for term in terms:
                term.contract.created_by_id = owners[term.contract.account_id]
                if generation:
                    previous = chains[term.contract.account_id][generation - 1].contract
                    term.contract.previous_id = previous.pk
            Contract.objects.bulk_create([term.contract for term in terms])
            amended = [term for term in terms if term.amendment is not None]
            for term in amended:
                assert term.amendment is not None
                term.amendment.contract_id = term.contract.pk
            ContractAmendment.objects.bulk_create(
                [term.amendment for term in amended if term.amendment]
            )
            lines = []
            for term in terms:
                for number, line in enumerate(term.lines):
                    line.contract_id = term.contract.pk
                    if term.amendment is not None:
                        if number == 0:
                            line.ended_by_id = term.amendment.pk
                        elif number == len(term.lines) - 1:
                            line.amendment_id = term.amendment.pk
                    lines.append(line)
            ContractLine.objects.bulk_create(lines)
            self.counts["contracts"] += len(terms)
            self.counts["lines"] += len(lines)
            self.counts["amendments"] += len(amended)

    # Opportunities --------------------------------------------------------------------------

    def _renewals(
        self, chain: list[_Term], *, owner: int | None
    ) -> list[tuple[Opportunity, list[OpportunityLine]]]:
        """A won renewal for each renewed term, the last one lost or open as its end nears."""
        rng = self.rng
        made = []
        for number, term in enumerate(chain):
            contract = term.contract
            following = chain[number + 1] if number + 1 < len(chain) else None
            in_force = [line for line in term.lines if line.end_date == contract.end_date]
            if following is not None:
                lines = [
                    line
                    for line in following.lines
                    if line.start_date == following.contract.start_date
                ]
                closed_on = min(
                    self.today, contract.end_date - datetime.timedelta(days=rng.randint(0, 30))
                )
                opportunity = self._opportunity(
                    contract.account_id,
                    OpportunityType.RENEWAL,
                    OpportunityStatus.WON,
                    close_date=closed_on,
                    owner=owner,
                    currency=contract.currency,
                    lines=lines,
                )
                opportunity.next_contract_id = following.contract.pk
            elif contract.status == ContractStatus.CHURNED:
                closed_on = min(
                    self.today, contract.end_date - datetime.timedelta(days=rng.randint(0, 20))
                )
                lines = in_force
                opportunity = self._opportunity(
                    contract.account_id,
                    OpportunityType.RENEWAL,
                    OpportunityStatus.LOST,
                    close_date=closed_on,
                    owner=owner,
                    currency=contract.currency,
                    lines=lines,
                )
                opportunity.loss_reason = contract.churn_reason
            elif (contract.end_date - self.today).days <= settings.RAPPORT_RENEWAL_LEAD_DAYS:
                lines = in_force
                opportunity = self._opportunity(
                    contract.account_id,
                    OpportunityType.RENEWAL,
                    OpportunityStatus.OPEN,
                    close_date=contract.end_date,
                    owner=owner,
                    currency=contract.currency,
                    lines=lines,
                )
            else:
                continue
            opportunity.contract_id = contract.pk
            opportunity.name = f"Renewal {(contract.end_date + datetime.timedelta(days=1)).year}"
            made.append((opportunity, self._opportunity_lines(lines)))
        return made

    def _growth(
        self, pk: int, chain: list[_Term], *, owner: int | None, count: int
    ) -> list[tuple[Opportunity, list[OpportunityLine]]]:
        """Upsells (more seats) and cross-sells (a family the account does not hold)."""
        rng = self.rng
        made = []
        last = chain[-1].contract
        held = {line.product.family_id for line in chain[-1].lines}
        missing = [product for product in self.others if product.family_id not in held]
        outcomes, weights = zip(*_GROWTH_OUTCOMES, strict=True)
        for _number in range(count):
            status = rng.choices(outcomes, weights)[0]
            if status == OpportunityStatus.OPEN:
                close_date = self.today + datetime.timedelta(days=rng.randint(7, 180))
            else:
                close_date = self.today - datetime.timedelta(days=rng.randint(1, 700))
            if missing and rng.random() < 0.45:
                product = rng.choice(missing)
                kind = OpportunityType.CROSS_SELL
                quantity = (
                    Decimal(max(5, int(chain[-1].lines[0].quantity) // 2))
                    if demo_revenue.per_user(product)
                    else Decimal(1)
                )
                rate = self.table.rate(last.currency, close_date) or Decimal(1)
                price = (product.list_price * Decimal("0.95") / rate).quantize(Decimal(1))
            else:
                seats = chain[-1].lines[0]
                product, kind, price = seats.product, OpportunityType.UPSELL, seats.unit_price
                quantity = max(Decimal(5), (seats.quantity * Decimal("0.2")).quantize(Decimal(1)))
            line = OpportunityLine(product=product, quantity=quantity, unit_price=price)
            opportunity = self._opportunity(
                pk,
                kind,
                status,
                close_date=close_date,
                owner=owner,
                currency=last.currency,
                lines=[line],
            )
            opportunity.name = f"{OpportunityType(kind).label}: {product.name}"
            if status == OpportunityStatus.OPEN:
                opportunity.next_step = "Send the proposal"
                if rng.random() < 0.2:
                    opportunity.risk_note = "Budget under review."
            elif status == OpportunityStatus.LOST:
                opportunity.loss_reason = rng.choice(_LOSS_REASONS)
            made.append((opportunity, [line]))
        return made

    def _opportunity(
        self,
        account_id: int,
        kind: str,
        status: str,
        *,
        close_date: datetime.date,
        owner: int | None,
        currency: str,
        lines: Sequence[ContractLine | OpportunityLine],
    ) -> Opportunity:
        if status == OpportunityStatus.OPEN:
            stage = self.rng.choice(self.stages.open)
        else:
            stage = self.stages.won if status == OpportunityStatus.WON else self.stages.lost
        amount = sum(
            ((line.quantity * line.unit_price).quantize(CENT) for line in lines), Decimal(0)
        )
        return Opportunity(
            account_id=account_id,
            type=kind,
            stage=stage,
            status=status,
            probability=stage.probability
            if status == OpportunityStatus.OPEN
            else 100
            if status == OpportunityStatus.WON
            else 0,
            forecast_category=ForecastCategory.OMITTED
            if status == OpportunityStatus.LOST
            else stage.forecast_category,
            currency=currency,
            amount=amount,
            amount_company=self.table.convert(amount, currency, close_date),
            close_date=close_date,
            closed_on=None if status == OpportunityStatus.OPEN else close_date,
            owner_id=owner,
            created_by_id=owner,
        )

    @staticmethod
    def _opportunity_lines(lines: Sequence[ContractLine]) -> list[OpportunityLine]:
        return [
            OpportunityLine(
                product=line.product, quantity=line.quantity, unit_price=line.unit_price
            )
            for line in lines
        ]

    def _write_opportunities(
        self, opportunities: list[tuple[Opportunity, list[OpportunityLine]]]
    ) -> None:
        Opportunity.objects.bulk_create([opportunity for opportunity, _lines in opportunities])
        lines = []
        for opportunity, rows in opportunities:
            for line in rows:
                line.opportunity_id = opportunity.pk
                lines.append(line)
        OpportunityLine.objects.bulk_create(lines)
        self.counts["opportunities"] += len(opportunities)


def _clean_end(day: datetime.date) -> datetime.date:
    """A last day whose next day exists every year (no term starts on 29 February)."""
    while (day + datetime.timedelta(days=1)).month == 2 and (
        day + datetime.timedelta(days=1)
    ).day == 29:
        day -= datetime.timedelta(days=1)
    return day
