"""`rapport worker` runs Huey's consumer; the queue is Redis when REDIS_URL is set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core.management import get_commands, load_command_class
from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey

RAPPORT = Path(sys.executable).parent / "rapport"


def run(args: list[str], **environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env |= environment
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_worker_is_a_registered_alias_of_run_huey() -> None:
    assert get_commands()["worker"] == "rapport.communications"
    command = load_command_class("rapport.communications", "worker")
    assert isinstance(command, RunHuey)
    parser = command.create_parser("rapport", "worker")
    options = parser.parse_args(["--workers", "4", "--worker-type", "process", "--no-periodic"])
    assert (options.workers, options.worker_type, options.periodic) == (4, "process", False)


def test_rapport_worker_help_lists_the_consumer_options() -> None:
    result = run([str(RAPPORT), "worker", "--help"])

    assert result.returncode == 0, result.stderr
    assert "Run the background worker" in result.stdout
    for option in ("--workers", "--worker-type", "--no-periodic", "--huey-verbose"):
        assert option in result.stdout


def huey_in_subprocess(**environment: str) -> str:
    script = (
        "import django; django.setup(); "
        "from django.conf import settings; from huey.contrib.djhuey import HUEY; "
        "print(settings.HUEY['huey_class'], type(HUEY).__name__)"
    )
    result = run(
        [sys.executable, "-c", script], DJANGO_SETTINGS_MODULE="rapport.settings", **environment
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_queue_is_redis_when_redis_url_is_set() -> None:
    assert huey_in_subprocess(REDIS_URL="redis://127.0.0.1:6379/0") == "huey.RedisHuey RedisHuey"


def test_the_queue_is_sqlite_by_default() -> None:
    assert huey_in_subprocess() == "huey.SqliteHuey SqliteHuey"
