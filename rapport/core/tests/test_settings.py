"""Configuration: production checks, secure defaults, the data directory, SQLite tuning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

REPO = Path(__file__).resolve().parents[3]


def run_rapport(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RAPPORT_", "DJANGO_"))
    }
    base.pop("DATABASE_URL", None)
    base.pop("SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "rapport.cli", *args],
        cwd=REPO,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    result = run_rapport(
        "check", "--deploy", "--fail-level", "WARNING", env={"RAPPORT_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_settings_fail_the_deploy_check(tmp_path: Path) -> None:
    """The check is real: the development flavour must not pass it."""
    result = run_rapport(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={"RAPPORT_DATA_DIR": str(tmp_path), "RAPPORT_DEBUG": "1"},
    )
    assert result.returncode != 0


def test_production_cookies_are_host_bound_and_secure(tmp_path: Path) -> None:
    script = (
        "from django.conf import settings as s;"
        "print('SETTINGS', s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SESSION_COOKIE_AGE, s.SESSION_IDLE_SECONDS)"
    )
    result = run_rapport("shell", "-c", script, env={"RAPPORT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("SETTINGS"))
    _marker, session_name, csrf_name, session_secure, csrf_secure, age, idle = line.split()
    assert session_name.startswith("__Host-")
    assert csrf_name.startswith("__Host-")
    assert session_secure == csrf_secure == "True"
    assert int(idle) < int(age)


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_rapport("shell", "-c", script, env={"RAPPORT_DATA_DIR": str(tmp_path)})
    second = run_rapport("shell", "-c", script, env={"RAPPORT_DATA_DIR": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == second.stdout.strip()
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_a_bad_boolean_fails_loudly(tmp_path: Path) -> None:
    result = run_rapport("check", env={"RAPPORT_DATA_DIR": str(tmp_path), "RAPPORT_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "RAPPORT_DEBUG must be a boolean" in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(client: Client) -> None:
    response = client.get("/auth/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout")
        timeout_ms = cursor.fetchone()[0]
    # The test database lives in memory, where SQLite reports "memory"; on disk it is WAL.
    assert mode in {"wal", "memory"}
    assert timeout_ms >= 5000
