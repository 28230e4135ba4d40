"""Builds a large synthetic book for the benchmarks: bulk inserts, one transaction per batch.

The demo company (``services.py``) is small and goes through the services so that its history
reads like real work. This book is the opposite: hundreds of thousands of accounts and about
ten times as many stakeholders, written straight with ``bulk_create`` so that the scale the
design is held to (100,000 accounts, 1,000,000 stakeholders) loads in minutes.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from rapport.accountmaps.models import AccountMapSummary
from rapport.accountmaps.services import refresh_summaries
from rapport.accounts.choices import Industry, Segment, TeamRole, Tier
from rapport.accounts.models import Account, TeamMember
from rapport.core.text import search_key
from rapport.demo import data
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
    with _bulk_load_pragmas():
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


@contextmanager
def _bulk_load_pragmas() -> Iterator[None]:
    """On SQLite, a larger page cache while loading.

    The indexes of a million stakeholders outgrow the default 2 MB cache, and each insert
    would then read index pages back from the file.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


def synth_refresh_statistics() -> None:
    """Bring the planner's statistics up to date after a load, as autovacuum would later.

    Right after a bulk load PostgreSQL plans with the sizes of an empty database until
    autovacuum catches up, and its index-only scans wait for the visibility map; running it now
    measures the book as it will be in steady state. On SQLite, ANALYZE plays the same part.
    VACUUM cannot run inside a transaction, so there only ANALYZE runs.
    """
    tables = [
        Account._meta.db_table,
        Stakeholder._meta.db_table,
        TeamMember._meta.db_table,
        RelationshipOwner._meta.db_table,
        AccountMapSummary._meta.db_table,
    ]
    with connection.cursor() as cursor:
        for table in tables:
            quoted = connection.ops.quote_name(table)
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                cursor.execute(f"VACUUM ANALYZE {quoted}")
            else:
                cursor.execute(f"ANALYZE {quoted}")
