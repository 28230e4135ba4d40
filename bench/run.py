"""Time the pages a large book stresses most, through Django's whole request stack.

Run from the project root, e.g.::

    RAPPORT_DATA_DIR=/tmp/bench-sqlite .venv/bin/python bench/run.py --accounts 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rapport_bench \\
        .venv/bin/python bench/run.py --accounts 100000

The database is migrated and topped up with synthetic accounts (``rapport synth``) until it
holds at least ``--accounts`` of them; then each page is requested a few times to warm the
caches and many more times to measure, each time for another account, owner or prefix, so that
no single row's cache decides the figure. Requests go through the test client: middleware,
session, permission checks, template rendering and all, but no network.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _configure_django() -> None:
    """Settings for a local run: plain HTTP (no HTTPS redirect) and the test client's host."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    os.environ.setdefault("RAPPORT_DEBUG", "1")
    hosts = os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
    if "testserver" not in hosts:
        os.environ["ALLOWED_HOSTS"] = ",".join([*hosts, "testserver"])
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@dataclass
class Samples:
    """Varied inputs, one per request, so each request reads other rows."""

    account_ids: list[int]
    owner_ids: list[int]
    prefixes: list[str]
    person_prefixes: list[str]
    big_map_account_id: int = 0
    busy_account_ids: list[int] = field(default_factory=list)


@dataclass
class Case:
    """One thing to time: a page through the test client, or a selector called directly."""

    key: str
    client: Any = None
    url: Callable[[int], str] | None = None
    call: Callable[[int], object] | None = None

    def example(self, index: int) -> str:
        if self.url is not None:
            return self.url(index)
        return f"{self.key} (selector, sample {index})"

    def run(self, index: int) -> int:
        """Run once; the HTTP status (200 for a selector that returned)."""
        if self.url is not None:
            return int(self.client.get(self.url(index)).status_code)
        assert self.call is not None
        self.call(index)
        return 200


@dataclass
class PageResult:
    key: str
    url_example: str
    timings_ms: list[float]
    queries_min: int
    queries_max: int
    sql_ms: list[float] = field(default_factory=list)
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    mean_ms: float = 0.0
    max_ms: float = 0.0
    sql_p50_ms: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summarise(self) -> None:
        if not self.timings_ms:
            return
        ordered = sorted(self.timings_ms)
        self.p50_ms = statistics.median(ordered)
        self.p95_ms = statistics.quantiles(ordered, n=100, method="inclusive")[94]
        self.mean_ms = statistics.fmean(ordered)
        self.max_ms = ordered[-1]
        self.sql_p50_ms = statistics.median(self.sql_ms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="Synthetic accounts needed.")
    parser.add_argument("--stakeholders-per-account", type=int, default=10)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument(
        "--touchpoints",
        type=int,
        default=None,
        help="Touchpoints of the whole book (default: 100 per account, so 10,000,000 for "
        "100,000 accounts); accounts loaded without a log get their share.",
    )
    parser.add_argument(
        "--contracts-per-account",
        type=int,
        default=3,
        help="Average yearly terms of each account loaded without revenue (about 300,000 "
        "contracts and as many opportunities for 100,000 accounts); 0 loads no revenue.",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="Seed of the load (default: synth's) and of the samples.",
    )
    parser.add_argument("--repeat", type=int, default=50, help="Measured requests per page.")
    parser.add_argument("--warmup", type=int, default=5, help="Unmeasured requests per page.")
    parser.add_argument("--target-ms", type=float, default=150.0, help="p95 budget per page.")
    parser.add_argument(
        "--close-connections",
        action="store_true",
        help="Close the database connection after each request, as a server does with "
        "CONN_MAX_AGE=0 (the SQLite default): each request then starts with a cold page cache.",
    )
    parser.add_argument(
        "--explain", action="store_true", help="Print the query plan of each page's queries."
    )
    parser.add_argument("--only", nargs="*", default=None, help="Run only these page keys.")
    parser.add_argument(
        "--refresh-summaries",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Time `refresh_map_summaries` over the whole book before the pages (default: on).",
    )
    options = parser.parse_args(argv)

    _configure_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from rapport.demo import synth

    call_command("migrate", interactive=False, verbosity=0)
    _ensure_book(options, synth)
    _ensure_log(options, synth)
    _ensure_revenue(options, synth)
    user = _bench_user(synth)
    samples = _samples(size=options.warmup + options.repeat, seed=options.seed or 1)
    samples.big_map_account_id = _ensure_big_map(size=BIG_MAP_PEOPLE)
    samples.busy_account_ids = synth.synth_busy_accounts()
    client = Client()
    client.force_login(user)
    today_user = _today_user(synth)
    today_client = Client()
    today_client.force_login(today_user)

    cases = [Case(key, client=client, url=url_for) for key, url_for in _pages(samples)]
    cases += _communication_cases(
        samples, client=client, today_client=today_client, today_user=today_user
    )
    cases += _revenue_cases(samples, client=client, today_client=today_client)
    if options.only:
        cases = [case for case in cases if case.key in options.only]
    print(_environment_line(connection))
    # As rapport.wsgi does once the app is loaded: long-lived objects leave the collector.
    gc.collect()
    gc.freeze()
    refresh_seconds = _time_refresh() if options.refresh_summaries else None
    results = []
    for case in cases:
        result = _measure(
            case,
            warmup=options.warmup,
            repeat=options.repeat,
            close_connections=options.close_connections,
        )
        results.append(result)
        if options.explain:
            _explain(case, options.warmup)
    _print_table(results, target_ms=options.target_ms)
    path = _write_json(
        results,
        options=options,
        connection=connection,
        user_email=user.email,
        refresh_seconds=refresh_seconds,
    )
    print(f"\nResults written to {path.relative_to(ROOT)}")
    slow = [
        result.key
        for result in results
        if result.errors or result.p95_ms > _target_for(result.key, options.target_ms)
    ]
    return 1 if slow else 0


# The map pages' own budget: drawing a 500-person map server-side, p95 under 300 ms.
MAP_TARGET_MS = 300.0
BIG_MAP_PEOPLE = 500
BIG_MAP_NAME = "Benchmark map of 500 people"


# The communications pages' budget on a book of 10,000,000 touchpoints: p95 under 200 ms.
COMMUNICATIONS_TARGET_MS = 200.0
# With 300,000 contracts: the white-space matrix's first page p95 under 200 ms, and the
# retention metrics of twelve months, computed in the database, under 1 s on PostgreSQL and
# under 3 s on SQLite.
WHITE_SPACE_TARGET_MS = 200.0
RETENTION_TARGET_MS = {"postgresql": 1000.0, "sqlite": 3000.0}


def _target_for(key: str, default_ms: float) -> float:
    from django.db import connection

    if key.startswith("map_"):
        return MAP_TARGET_MS
    if key.startswith(("timeline_", "today_")):
        return COMMUNICATIONS_TARGET_MS
    if key.startswith("white_space_"):
        return WHITE_SPACE_TARGET_MS
    if key.startswith("revenue_retention_"):
        return RETENTION_TARGET_MS.get(connection.vendor, RETENTION_TARGET_MS["postgresql"])
    return default_ms


def _ensure_big_map(*, size: int) -> int:
    """One account with ``size`` stakeholders in a believable hierarchy, made once."""
    from rapport.accounts.models import Account
    from rapport.core.text import search_key
    from rapport.stakeholders.models import RelationshipOwner, Stakeholder, StakeholderRelationship
    from rapport.users.models import User

    account = Account.objects.filter(name=BIG_MAP_NAME).first()
    if account is not None:
        return int(account.pk)
    account = Account.objects.create(name=BIG_MAP_NAME, tier="strategic")
    rng = random.Random(500)
    stances = ["advocate", "supporter", "neutral", "neutral", "skeptic", "opponent", ""]
    roles = [[], [], [], ["user"], ["influencer"], ["technical_evaluator"], ["gatekeeper"]]
    people: list[Any] = []
    # Levels: 1 head, 8 executives, 40 directors, then managers and teams under them.
    for index in range(size):
        if index == 0:
            manager = None
        elif index <= 8:
            manager = people[0]
        elif index <= 48:
            manager = people[1 + (index - 9) % 8]
        elif index <= 148:
            manager = people[9 + (index - 49) % 40]
        else:
            manager = people[49 + (index - 149) % 100]
        person = Stakeholder(
            account=account,
            first_name=f"Person{index:03d}",
            last_name=rng.choice(["Martin", "Dubois", "Smith", "Rossi", "Weber", "Garcia"]),
            title="Chief Executive Officer" if index == 0 else f"Role {index}",
            department=rng.choice(["IT", "Finance", "Operations", "Sales", "Legal"]),
            reports_to=manager,
            stance=rng.choice(stances),
            influence=rng.choice(["high", "medium", "low", ""]),
            decision_roles=["decision_maker"] if index == 0 else rng.choice(roles),
        )
        person.search_name = search_key(f"{person.first_name} {person.last_name}")
        person.search_last_name = search_key(person.last_name)
        person.save()
        people.append(person)
    owners = list(User.objects.order_by("id")[:5])
    RelationshipOwner.objects.bulk_create(
        [
            RelationshipOwner(stakeholder=people[i], user=rng.choice(owners))
            for i in range(0, size, 7)
        ]
    )
    StakeholderRelationship.objects.bulk_create(
        [
            StakeholderRelationship(
                account=account,
                source=people[i],
                target=people[i + 13],
                kind=rng.choice(["influences", "allied_with", "in_conflict_with"]),
            )
            for i in range(1, size - 13, 17)
        ]
    )
    return int(account.pk)


def _ensure_book(options: argparse.Namespace, synth: Any) -> None:
    have = synth.synth_account_count()
    if have >= options.accounts:
        print(f"{have:,} synthetic accounts in the database; no load needed.")
        return
    missing = options.accounts - have
    print(f"{have:,} synthetic accounts in the database; loading {missing:,} more…")
    extra = {} if options.seed is None else {"seed": options.seed}
    result = synth.synth_book(
        accounts=missing,
        stakeholders_per_account=options.stakeholders_per_account,
        users=options.users,
        on_progress=lambda progress: print(
            f"  {progress.accounts_done:>9,} / {progress.accounts_total:,} accounts, "
            f"{progress.stakeholders:,} stakeholders, {progress.seconds:.0f} s",
            flush=True,
        ),
        **extra,
    )
    synth.synth_refresh_statistics()
    print(f"Loaded in {result.seconds:.0f} s.")


def _ensure_log(options: argparse.Namespace, synth: Any) -> None:
    """Touchpoints, tasks and cadences for every synthetic account still without a log."""
    if options.touchpoints == 0:
        print("--touchpoints 0: no communications log is loaded.")
        return
    waiting = len(synth.synth_accounts_without_log())
    if not waiting:
        print("Every synthetic account has its communications log; no load needed.")
        return
    total = options.touchpoints
    share = None if total is None else round(total * waiting / max(options.accounts, 1))
    print(f"Writing the communications log of {waiting:,} accounts…")
    extra = {} if options.seed is None else {"seed": options.seed}
    result = synth.synth_communications(
        touchpoints=share,
        on_progress=lambda progress: print(
            f"  {progress.accounts_done:>9,} / {progress.accounts_total:,} accounts, "
            f"{progress.touchpoints:,} touchpoints, {progress.seconds:.0f} s",
            flush=True,
        ),
        **extra,
    )
    synth.synth_refresh_statistics()
    print(f"Wrote {result.touchpoints:,} touchpoints in {result.seconds:.0f} s.")


def _ensure_revenue(options: argparse.Namespace, synth: Any) -> None:
    """Contracts and opportunities for every synthetic account still without any."""
    if options.contracts_per_account == 0:
        return
    waiting = len(synth.synth_accounts_without_revenue())
    if not waiting:
        print("Every synthetic account has its contracts; no load needed.")
        return
    print(f"Writing the contracts and opportunities of {waiting:,} accounts…")
    extra = {} if options.seed is None else {"seed": options.seed}
    result = synth.synth_revenue(
        contracts_per_account=options.contracts_per_account,
        on_progress=lambda progress: print(
            f"  {progress.accounts_done:>9,} / {progress.accounts_total:,} accounts, "
            f"{progress.contracts:,} contracts, {progress.opportunities:,} opportunities, "
            f"{progress.seconds:.0f} s",
            flush=True,
        ),
        **extra,
    )
    synth.synth_refresh_statistics()
    print(f"Wrote {result.contracts:,} contracts in {result.seconds:.0f} s.")


def _revenue_cases(samples: Samples, *, client: Any, today_client: Any) -> list[Case]:
    """Twelve months of retention metrics, then the first pages of the revenue lists."""
    from rapport.revenue import metrics
    from rapport.revenue.filters import MetricsQuery

    start, end = MetricsQuery().period()

    def owner(index: int) -> int:
        return samples.owner_ids[index]

    return [
        Case(
            "revenue_retention_12m",
            call=lambda index: metrics.retention(start=start, end=end),
        ),
        Case(
            "revenue_retention_12m_owner",
            call=lambda index: metrics.retention(
                start=start, end=end, filters=metrics.MetricsFilter(owner_id=owner(index))
            ),
        ),
        # Signed in as the user looking after 500 accounts; the matrix lists the whole book.
        Case(
            "white_space_first_page", client=today_client, url=lambda index: "/revenue/white-space/"
        ),
        Case(
            "white_space_owner",
            client=client,
            url=lambda index: f"/revenue/white-space/?owner={owner(index)}",
        ),
        Case("opportunity_board", client=client, url=lambda index: "/revenue/opportunities/board/"),
        Case("opportunity_list", client=client, url=lambda index: "/revenue/opportunities/"),
        Case("contract_list", client=client, url=lambda index: "/revenue/contracts/"),
    ]


def _today_user(synth: Any) -> Any:
    """The synthetic account manager the load put in charge of 500 accounts."""
    from rapport.communications.selectors import my_accounts
    from rapport.users.models import User

    user = User.objects.filter(email=synth.TODAY_USER_EMAIL).first()
    if user is None:
        raise SystemExit("The synthetic book has no today-view user; run `rapport synth` first.")
    print(f"Today view of {user.email}: {my_accounts(user=user).count():,} accounts.")
    return user


def _communication_cases(
    samples: Samples, *, client: Any, today_client: Any, today_user: Any
) -> list[Case]:
    """The account timeline's first page and the today view: the selectors, then the pages."""
    from rapport.accounts.models import Account
    from rapport.communications import selectors, timeline
    from rapport.communications.forms import TimelineFilterForm

    def account(pk: int) -> Any:
        return Account.objects.select_related("parent").get(pk=pk)

    def first_page(pk: int) -> object:
        # As the page calls it: the filters of an empty form, no cursor.
        found = account(pk)
        filters = TimelineFilterForm(None, account=found).timeline_filters()
        return timeline.account_timeline(account=found, filters=filters, before=None)

    busy = samples.busy_account_ids or samples.account_ids[:1]

    def busy_account(index: int) -> int:
        return busy[index % len(busy)]

    def average_account(index: int) -> int:
        return samples.account_ids[index]

    return [
        Case("timeline_busy_selector", call=lambda index: first_page(busy_account(index))),
        Case("timeline_average_selector", call=lambda index: first_page(average_account(index))),
        Case(
            "timeline_busy",
            client=client,
            url=lambda index: f"/accounts/{busy_account(index)}/timeline/",
        ),
        Case(
            "timeline_average",
            client=client,
            url=lambda index: f"/accounts/{average_account(index)}/timeline/",
        ),
        Case("today_500_selector", call=lambda index: selectors.today_view(user=today_user)),
        Case("today_500", client=today_client, url=lambda index: "/today/"),
    ]


def _time_refresh() -> float:
    """Seconds `refresh_map_summaries` takes to recompute every account's risk and coverage."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("refresh_map_summaries", verbosity=0)
    seconds = time.perf_counter() - started
    print(f"  refresh_map_summaries (whole book) {seconds:.1f} s", flush=True)
    return seconds


def _bench_user(synth: Any) -> Any:
    """An account manager who owns part of the book, as most people signing in are."""
    from rapport.accounts.models import Account
    from rapport.users.models import User

    owner_id = (
        Account.objects.filter(owner__email__endswith="@" + synth.SYNTH_DOMAIN)
        .values_list("owner_id", flat=True)
        .first()
    )
    if owner_id is None:
        raise SystemExit("No synthetic account has an owner; run `rapport synth` first.")
    return User.objects.get(pk=owner_id)


def _samples(*, size: int, seed: int) -> Samples:
    """Ids and prefixes spread over the whole book, picked by random id ranges."""
    from django.db.models import Max, Min

    from rapport.accounts.models import Account
    from rapport.stakeholders.models import Stakeholder
    from rapport.users.choices import Role
    from rapport.users.models import User

    rng = random.Random(seed)
    bounds = Account.objects.aggregate(low=Min("id"), high=Max("id"))
    accounts: list[tuple[int, str]] = []
    while len(accounts) < size:
        start = rng.randint(bounds["low"], bounds["high"])
        row = (
            Account.objects.filter(pk__gte=start, is_archived=False)
            .order_by("pk")
            .values_list("pk", "search_name")
            .first()
        )
        if row is not None:
            accounts.append(row)
    owners = list(
        User.objects.filter(role=Role.ACCOUNT_MANAGER, owned_accounts__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    rng.shuffle(owners)
    prefixes = [name[: 2 + index % 3] for index, (_pk, name) in enumerate(accounts)]
    people = Stakeholder.objects.aggregate(low=Min("id"), high=Max("id"))
    person_prefixes: list[str] = []
    while len(person_prefixes) < size:
        start = rng.randint(people["low"], people["high"])
        last_name = (
            Stakeholder.objects.filter(pk__gte=start)
            .order_by("pk")
            .values_list("search_last_name", flat=True)
            .first()
        )
        if last_name:
            person_prefixes.append(last_name[: 3 + len(person_prefixes) % 2])
    return Samples(
        account_ids=[pk for pk, _name in accounts],
        owner_ids=[owners[index % len(owners)] for index in range(size)],
        prefixes=prefixes,
        person_prefixes=person_prefixes,
    )


def _pages(samples: Samples) -> list[tuple[str, Callable[[int], str]]]:
    def account(index: int) -> int:
        return samples.account_ids[index]

    def owner(index: int) -> int:
        return samples.owner_ids[index]

    def prefix(index: int) -> str:
        return samples.prefixes[index]

    # Every flag in turn: the rare ones (a decision maker who left) and the common ones.
    risks = [
        "no_champion",
        "single_threaded",
        "champion_left",
        "decision_maker_left",
        "hostile_blocker",
        "unowned_decision_maker",
        "disengaged_decision_maker",
    ]

    def risk(index: int) -> str:
        return risks[index % len(risks)]

    return [
        ("account_list", lambda index: "/accounts/"),
        (
            "account_list_owner_updated",
            lambda index: f"/accounts/?owner={owner(index)}&sort=-updated_at",
        ),
        ("account_list_owner_name", lambda index: f"/accounts/?owner={owner(index)}&sort=name"),
        ("account_search", lambda index: f"/accounts/?q={prefix(index)}"),
        (
            "account_list_risk_coverage",
            lambda index: f"/accounts/?risk={risk(index)}&sort=coverage",
        ),
        ("account_list_coverage", lambda index: "/accounts/?sort=coverage"),
        (
            "account_list_owner_coverage",
            lambda index: f"/accounts/?owner={owner(index)}&sort=-coverage",
        ),
        ("account_detail", lambda index: f"/accounts/{account(index)}/"),
        ("stakeholder_list_account", lambda index: f"/stakeholders/?account={account(index)}"),
        ("api_account_search", lambda index: f"/api/v1/accounts?q={prefix(index)}"),
        (
            "api_account_risk_coverage",
            lambda index: f"/api/v1/accounts?risk={risk(index)}&sort=coverage",
        ),
        ("global_search_person", lambda index: f"/search/?q={samples.person_prefixes[index]}"),
        (
            "stakeholder_list_search",
            lambda index: f"/stakeholders/?q={samples.person_prefixes[index]}",
        ),
        ("global_search_account", lambda index: f"/search/?q={prefix(index)}"),
        # The map of one large account: drawn whole (every branch open), as the page first
        # opens it (lower branches folded), and as the SVG download.
        ("map_500_expanded", lambda index: f"/maps/{samples.big_map_account_id}/?collapsed="),
        ("map_500_default", lambda index: f"/maps/{samples.big_map_account_id}/"),
        (
            "map_500_svg_export",
            lambda index: f"/maps/{samples.big_map_account_id}/export/?format=svg",
        ),
    ]


@dataclass
class Statement:
    sql: str
    params: Any
    ms: float


@contextlib.contextmanager
def _recording_queries() -> Iterator[list[Statement]]:
    """Every statement the block sends, with its parameters and time, whatever DEBUG says."""
    from django.db import connection

    statements: list[Statement] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(Statement(sql, params, (time.perf_counter() - started) * 1000))

    with connection.execute_wrapper(record):
        yield statements


def _measure(case: Case, *, warmup: int, repeat: int, close_connections: bool) -> PageResult:
    from django.db import connection

    key = case.key
    result = PageResult(
        key=key, url_example=case.example(warmup), timings_ms=[], queries_min=0, queries_max=0
    )
    counts: list[int] = []
    for index in range(warmup + repeat):
        with _recording_queries() as statements:
            started = time.perf_counter()
            status = case.run(index)
            elapsed = (time.perf_counter() - started) * 1000
        if close_connections:
            connection.close()
        if status != 200:
            result.errors.append(f"{case.example(index)}: HTTP {status}")
            break
        if index >= warmup:
            result.timings_ms.append(round(elapsed, 3))
            result.sql_ms.append(round(sum(statement.ms for statement in statements), 3))
            counts.append(len(statements))
    if counts:
        result.queries_min, result.queries_max = min(counts), max(counts)
    result.summarise()
    print(
        f"  {key:<28} p50 {result.p50_ms:7.1f} ms  p95 {result.p95_ms:7.1f} ms"
        + (f"  {result.errors[0]}" if result.errors else ""),
        flush=True,
    )
    return result


def _explain(case: Case, index: int) -> None:
    """Each query of one request (or selector call), with the plan the database chose for it."""
    from django.db import connection

    with _recording_queries() as statements:
        case.run(index)
    print(f"\n=== {case.example(index)}")
    for statement in statements:
        sql, params = statement.sql, statement.params
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        if connection.vendor == "postgresql":
            prefix = "EXPLAIN (ANALYZE, BUFFERS) "
        elif connection.vendor == "sqlite":
            prefix = "EXPLAIN QUERY PLAN "
        else:
            prefix = "EXPLAIN "
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(prefix + sql, params)
            rows = cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
        shown = sql if len(sql) <= 400 else sql[:400] + "…"
        print(f"\n-- {statement.ms:.1f} ms in the page, {elapsed:.1f} ms explained: {shown}")
        print(f"   params: {params}")
        for row in rows:
            print("   " + " | ".join(str(value) for value in row))


def _environment_line(connection: Any) -> str:
    from rapport.accounts.models import Account
    from rapport.communications.models import Touchpoint
    from rapport.revenue.models import Contract, Opportunity
    from rapport.stakeholders.models import Stakeholder

    return (
        f"{_engine(connection)}: {Account.objects.count():,} accounts, "
        f"{Stakeholder.all_objects.count():,} stakeholders, "
        f"{Touchpoint.objects.count():,} touchpoints, {Contract.objects.count():,} contracts, "
        f"{Opportunity.objects.count():,} opportunities"
    )


def _engine(connection: Any) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    return str(connection.vendor)


def _print_table(results: list[PageResult], *, target_ms: float) -> None:
    print(
        f"\n{'page':<28} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'max ms':>8} "
        f"{'queries':>8} {'SQL p50':>8}  p95 within target ({target_ms:.0f} ms, maps "
        f"{MAP_TARGET_MS:.0f} ms, timeline, today and white space "
        f"{COMMUNICATIONS_TARGET_MS:.0f} ms, retention "
        f"{_target_for('revenue_retention_', target_ms):.0f} ms)"
    )
    for result in results:
        queries = (
            str(result.queries_min)
            if result.queries_min == result.queries_max
            else f"{result.queries_min}–{result.queries_max}"
        )
        budget = _target_for(result.key, target_ms)
        verdict = "error" if result.errors else "yes" if result.p95_ms <= budget else "NO"
        print(
            f"{result.key:<28} {result.p50_ms:8.1f} {result.p95_ms:8.1f} {result.mean_ms:8.1f} "
            f"{result.max_ms:8.1f} {queries:>8} {result.sql_p50_ms:8.1f}  {verdict}"
        )


def _write_json(
    results: list[PageResult],
    *,
    options: argparse.Namespace,
    connection: Any,
    user_email: str,
    refresh_seconds: float | None,
) -> Path:
    from django.conf import settings

    from rapport.accounts.models import Account
    from rapport.communications.models import Touchpoint
    from rapport.revenue.models import Contract, Opportunity
    from rapport.stakeholders.models import Stakeholder

    RESULTS_DIR.mkdir(exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    payload = {
        "when": now.isoformat(timespec="seconds"),
        "engine": _engine(connection),
        "commit": _commit(),
        "python": platform.python_version(),
        "debug": settings.DEBUG,
        "close_connections": options.close_connections,
        "accounts": Account.objects.count(),
        "stakeholders": Stakeholder.all_objects.count(),
        "touchpoints": Touchpoint.objects.count(),
        "contracts": Contract.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "signed_in_as": user_email,
        "warmup": options.warmup,
        "repeat": options.repeat,
        "target_p95_ms": options.target_ms,
        "refresh_map_summaries_s": refresh_seconds,
        "pages": [asdict(result) for result in results],
    }
    name = f"{connection.vendor}-{options.accounts}-{now:%Y%m%d-%H%M%S}.json"
    path = RESULTS_DIR / name
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def _commit() -> str:
    """The checked-out commit, so a result can be tied to the code it measured."""
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return completed.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
