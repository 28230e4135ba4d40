"""Time the Salesforce import beside a raw bulk insert of the same rows, on an empty database.

Run from the project root, e.g.::

    .venv/bin/python bench/interchange.py generate /tmp/sf-export \\
        --accounts 100000 --contacts 1000000 --tasks 1000000
    RAPPORT_DATA_DIR=/tmp/rapport-bench-import .venv/bin/python bench/interchange.py \\
        measure /tmp/sf-export --reset
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rapport_bench_import \\
        .venv/bin/python bench/interchange.py measure /tmp/sf-export --reset

``measure`` empties the database it is pointed at (``--reset``; without it, it refuses a
database that holds accounts), migrates it, runs the real import (an ``ImportRun`` through
the services, not a dry run), empties it again and runs the raw insert; each in a process of
its own, so that each peak memory is its own. It prints seconds, rows per second, the ratio
and the peak resident memory, and writes them to ``bench/results/interchange-….json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BATCH_ROWS = 20_000


def _configure_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _engine() -> str:
    from django.db import connection

    return str(connection.vendor)


def _peak_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Generation ------------------------------------------------------------------------------------


def generate(args: argparse.Namespace) -> int:
    # The generator takes its columns and Ids from the exporter, which reads the models.
    _configure_django()
    from rapport.demo.salesforce import ExportShape, write_salesforce_export

    shape = ExportShape(
        accounts=args.accounts,
        contacts=args.contacts,
        tasks=args.tasks,
        users=args.users,
        seed=args.seed,
    )
    destination = Path(args.destination)
    started = time.perf_counter()
    counts = write_salesforce_export(destination, shape=shape, today=datetime.date.today())
    seconds = time.perf_counter() - started
    print(
        f"{destination}: {counts.users} users, {counts.accounts} accounts, "
        f"{counts.contacts} contacts, {counts.tasks} tasks in {seconds:.1f} s "
        f"(peak memory {_peak_rss_mb():.0f} MB)"
    )
    return 0


# The database ----------------------------------------------------------------------------------


def reset_database() -> None:
    """Empty the database (every table, not only Rapport's) and migrate it from nothing."""
    _configure_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    else:
        connection.close()
        name = Path(settings.DATABASES["default"]["NAME"])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def database_has_accounts() -> bool:
    _configure_django()
    from django.core.management import call_command
    from django.db import connection

    if "accounts_account" not in connection.introspection.table_names():
        call_command("migrate", interactive=False, verbosity=0)
        return False
    from rapport.accounts.models import Account

    return Account.objects.exists()


# The real import -------------------------------------------------------------------------------


def run_import(source: Path, *, profile: Path | None) -> dict[str, Any]:
    """One ImportRun through the services, as the command line and the background task do."""
    _configure_django()
    from rapport.interchange.services import import_run_create, import_run_execute

    run = import_run_create(kind="salesforce", file_name=str(source), chunks=None, acting_user=None)
    started = time.perf_counter()
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        run = import_run_execute(run=run, source=source)
        profiler.disable()
        profiler.dump_stats(str(profile))
    else:
        run = import_run_execute(run=run, source=source)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "status": run.status,
        "message": run.message,
        "counts": run.counts,
        "problems": run.problem_count,
    }


# The raw baseline ------------------------------------------------------------------------------
#
# The same rows the import writes (users, accounts, stakeholders, touchpoints with their client
# and our participants, to-dos), with the same column values, sent the fastest plain way each
# engine takes them: ``executemany`` on SQLite, ``COPY`` on PostgreSQL, in one transaction. No
# validation, no history, no upsert, no reading back: ids are handed out here and references
# resolved from an in-memory map of Salesforce Ids.

_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _long_id(value: str) -> str:
    if len(value) != 15:
        return value
    suffix = ""
    for start in (0, 5, 10):
        bits = 0
        for position, char in enumerate(value[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _CHECKSUM[bits]
    return value + suffix


class _Table:
    """A model's table: its columns, each row starting from the fields' defaults."""

    def __init__(self, model: type[Any], writer: _RawWriter) -> None:
        from django.db import connection

        self.model = model
        self.writer = writer
        self.name = model._meta.db_table
        fields = [field for field in model._meta.concrete_fields]
        self.columns = tuple(field.column for field in fields)
        self.index = {field.attname: position for position, field in enumerate(fields)}
        template: list[Any] = []
        for field in fields:
            if field.primary_key or (field.null and not field.has_default()):
                template.append(None)
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                template.append(writer.now)
            else:
                template.append(field.get_db_prep_save(field.get_default(), connection))
        self.template = template
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self.next_id = 0

    def add(self, values: dict[str, Any]) -> int:
        self.next_id += 1
        row = self.template.copy()
        row[self.index["id"]] = self.next_id
        for name, value in values.items():
            row[self.index[name]] = value
        self.rows.append(tuple(row))
        if len(self.rows) >= BATCH_ROWS:
            self.flush()
        return self.next_id

    def flush(self) -> None:
        if self.rows:
            self.writer.insert(self.name, self.columns, self.rows)
            self.written += len(self.rows)
            self.rows = []


class _RawWriter:
    def __init__(self) -> None:
        from django.db import connection

        self.postgres = connection.vendor == "postgresql"
        self.now = self.datetime(datetime.datetime.now(datetime.UTC))

    def datetime(self, value: datetime.datetime) -> str:
        """A UTC time as each engine's Django backend stores it (naive text on SQLite)."""
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return text + "+00" if self.postgres else text

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            if self.postgres:
                names = ", ".join(connection.ops.quote_name(column) for column in columns)
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("%s" for _column in columns)
                cursor.cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    rows,
                )

    def reset_sequences(self, tables: list[_Table]) -> None:
        if not self.postgres:
            return
        from django.db import connection

        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
                )


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def _ids(path: Path, first_id: int = 1) -> dict[str, int]:
    """Salesforce Id to the database id each row will get, in file order."""
    ids: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        position = next(reader).index("Id")
        for number, row in enumerate(reader, start=first_id):
            ids[_long_id(row[position])] = number
    return ids


def _day(text: str) -> str | None:
    return datetime.date.fromisoformat(text).isoformat() if text else None


def run_raw(source: Path) -> dict[str, Any]:
    """Insert the export's rows without the import engine; the baseline it is measured against."""
    _configure_django()
    from django.db import connection, transaction

    from rapport.accounts.models import Account
    from rapport.communications.models import (
        Task,
        Touchpoint,
        TouchpointStakeholder,
        TouchpointUser,
    )
    from rapport.core.text import search_key
    from rapport.interchange.salesforce.schema import INDUSTRY_FROM_SALESFORCE
    from rapport.stakeholders.models import Stakeholder
    from rapport.users.models import User

    started = time.perf_counter()
    writer = _RawWriter()
    users = _Table(User, writer)
    accounts = _Table(Account, writer)
    people = _Table(Stakeholder, writer)
    touchpoints = _Table(Touchpoint, writer)
    participants = _Table(TouchpointStakeholder, writer)
    ours = _Table(TouchpointUser, writer)
    tasks = _Table(Task, writer)
    tables = [users, accounts, people, touchpoints, participants, ours, tasks]
    kinds = {"Call": "call", "Email": "email", "ListEmail": "email"}
    with transaction.atomic():
        user_ids: dict[str, int] = {}
        for row in _rows(source / "User.csv"):
            user_ids[_long_id(row["Id"])] = users.add(
                {
                    "password": "!",
                    "email": row["Email"].lower(),
                    "first_name": row["FirstName"],
                    "last_name": row["LastName"],
                    "title": row["Title"],
                    "language": "fr" if row["LanguageLocaleKey"].startswith("fr") else "en",
                    "date_joined": writer.now,
                    "salesforce_id": _long_id(row["Id"]),
                }
            )
        account_ids = _ids(source / "Account.csv")
        for row in _rows(source / "Account.csv"):
            parent = row["ParentId"]
            accounts.add(
                {
                    "name": row["Name"],
                    "search_name": search_key(row["Name"]),
                    "website": row["Website"],
                    "industry": INDUSTRY_FROM_SALESFORCE.get(row["Industry"], ""),
                    "country": row["BillingCountry"],
                    "employees": int(row["NumberOfEmployees"])
                    if row["NumberOfEmployees"]
                    else None,
                    "description": row["Description"],
                    "parent_id": account_ids.get(_long_id(parent)) if parent else None,
                    "owner_id": user_ids.get(_long_id(row["OwnerId"])),
                    "salesforce_id": _long_id(row["Id"]),
                }
            )
        accounts.flush()
        people_ids = _ids(source / "Contact.csv")
        # The account of each person, by database id: a task with only a WhoId needs it.
        account_of = array("i", [0]) * (len(people_ids) + 1)
        for row in _rows(source / "Contact.csv"):
            manager = row["ReportsToId"]
            account_id = account_ids[_long_id(row["AccountId"])]
            person_id = people.add(
                {
                    "account_id": account_id,
                    "first_name": row["FirstName"],
                    "last_name": row["LastName"],
                    "search_name": search_key(f"{row['FirstName']} {row['LastName']}"),
                    "search_last_name": search_key(row["LastName"]),
                    "title": row["Title"],
                    "department": row["Department"],
                    "email": row["Email"].strip().lower(),
                    "phone": row["Phone"],
                    "reports_to_id": people_ids.get(_long_id(manager)) if manager else None,
                    "notes": row["Description"],
                    "salesforce_id": _long_id(row["Id"]),
                }
            )
            account_of[person_id] = account_id
        people.flush()
        for row in _rows(source / "Task.csv"):
            who = people_ids.get(_long_id(row["WhoId"])) if row["WhoId"] else None
            account_id = account_ids.get(_long_id(row["WhatId"])) if row["WhatId"] else None
            if account_id is None and who is not None:
                account_id = account_of[who]
            owner = user_ids.get(_long_id(row["OwnerId"]))
            day = _day(row["ActivityDate"])
            kind = kinds.get(row["TaskSubtype"])
            if kind is not None:
                when = writer.datetime(
                    datetime.datetime.combine(
                        datetime.date.fromisoformat(day) if day else datetime.date.today(),
                        datetime.time(12),
                    )
                )
                seconds = row["CallDurationInSeconds"]
                touchpoint_id = touchpoints.add(
                    {
                        "account_id": account_id,
                        "kind": kind,
                        "occurred_at": when,
                        "duration_minutes": -(-int(seconds) // 60) if seconds else None,
                        "subject": row["Subject"],
                        "notes": row["Description"],
                        "logged_by_id": owner,
                        "source": "salesforce",
                        "salesforce_id": _long_id(row["Id"]),
                    }
                )
                if who is not None:
                    participants.add(
                        {
                            "touchpoint_id": touchpoint_id,
                            "stakeholder_id": who,
                            "occurred_at": when,
                            "is_exchange": True,
                        }
                    )
                if owner is not None:
                    ours.add(
                        {"touchpoint_id": touchpoint_id, "user_id": owner, "occurred_at": when}
                    )
            else:
                done = row["IsClosed"] == "true"
                tasks.add(
                    {
                        "title": row["Subject"],
                        "account_id": account_id,
                        "assignee_id": owner,
                        "due_on": day,
                        "status": "done" if done else "open",
                        "notes": row["Description"],
                        "completed_at": writer.now if done else None,
                        "completed_by_id": owner if done else None,
                        "salesforce_id": _long_id(row["Id"]),
                    }
                )
        for table in tables:
            table.flush()
        writer.reset_sequences(tables)
    connection.close()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "counts": {table.model.__name__: table.written for table in tables},
    }


# Measurement -----------------------------------------------------------------------------------


def file_rows(source: Path) -> int:
    """Data rows of the export's files (records, not lines: fields may hold line breaks)."""
    total = 0
    for name in ("User.csv", "Account.csv", "Contact.csv", "Task.csv"):
        path = source / name
        if path.exists():
            with path.open(encoding="utf-8-sig", newline="") as handle:
                total += sum(1 for _row in csv.reader(handle)) - 1
    return total


def _child(mode: str, source: Path, profile: Path | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "one", mode, str(source)]
    if profile is not None:
        command += ["--profile", str(profile)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _reset() -> None:
    subprocess.run([sys.executable, __file__, "reset"], check=True, cwd=ROOT)


def measure(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not args.reset:
        probe = subprocess.run(
            [sys.executable, __file__, "probe"], check=True, capture_output=True, text=True
        )
        if probe.stdout.strip() != "empty":
            print("The database holds accounts; add --reset to empty it first.", file=sys.stderr)
            return 2
    rows = file_rows(source)
    results: dict[str, Any] = {"source": str(source), "rows": rows}
    for mode in args.modes:
        _reset()
        profile = Path(args.profile) if args.profile and mode == "import" else None
        results[mode] = result = _child(mode, source, profile)
        result["rows_per_second"] = rows / result["seconds"]
        print(
            f"{mode:<7} {result['seconds']:8.1f} s  {result['rows_per_second']:9.0f} rows/s  "
            f"peak RSS {result['peak_rss_mb']:6.0f} MB  {result.get('status', '')}",
            flush=True,
        )
    if "import" in results and "raw" in results:
        results["ratio"] = results["import"]["seconds"] / results["raw"]["seconds"]
        print(f"import / raw: {results['ratio']:.2f} (time)")
    _configure_django()
    engine = _engine()
    results |= {
        "engine": engine,
        "python": platform.python_version(),
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "at": datetime.datetime.now().isoformat(timespec="seconds"),
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"interchange-{engine}-{rows}-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"Written to {path.relative_to(ROOT)}")
    return 0


def one(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if args.mode == "import":
        result = run_import(source, profile=Path(args.profile) if args.profile else None)
    else:
        result = run_raw(source)
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    make = commands.add_parser("generate", help="Write a synthetic Salesforce export.")
    make.add_argument("destination", help="A folder, or a file ending in .zip.")
    make.add_argument("--accounts", type=int, default=100_000)
    make.add_argument("--contacts", type=int, default=1_000_000)
    make.add_argument("--tasks", type=int, default=1_000_000)
    make.add_argument("--users", type=int, default=300)
    make.add_argument("--seed", type=int, default=20261127)
    make.set_defaults(handler=generate)

    timing = commands.add_parser("measure", help="Time the import and the raw insert.")
    timing.add_argument("source", help="The export's folder.")
    timing.add_argument("--reset", action="store_true", help="Empty the database first.")
    timing.add_argument("--modes", nargs="+", choices=("import", "raw"), default=["import", "raw"])
    timing.add_argument("--profile", default=None, help="Write cProfile stats of the import here.")
    timing.set_defaults(handler=measure)

    single = commands.add_parser("one", help="(internal) one measured run, as JSON.")
    single.add_argument("mode", choices=("import", "raw"))
    single.add_argument("source")
    single.add_argument("--profile", default=None)
    single.set_defaults(handler=one)

    commands.add_parser("reset", help="(internal) empty and migrate the database.").set_defaults(
        handler=lambda _args: reset_database() or 0
    )
    commands.add_parser("probe", help="(internal) say whether the database is empty.").set_defaults(
        handler=lambda _args: print("full" if database_has_accounts() else "empty") or 0
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(BrokenPipeError):
        return int(args.handler(args))
    return 1


if __name__ == "__main__":
    sys.exit(main())
