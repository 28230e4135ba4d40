"""The production flavour under gunicorn over real HTTP: health, static files, cookies."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("prod")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RAPPORT_", "DJANGO_"))
    }
    env.pop("DATABASE_URL", None)
    env.update(
        {"RAPPORT_DATA_DIR": str(data_dir), "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "127.0.0.1"}
    )
    subprocess.run([BIN / "rapport", "migrate", "-v0"], cwd=REPO, env=env, check=True, timeout=120)
    port = free_port()
    process = subprocess.Popen(
        [BIN / "gunicorn", "rapport.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # The worker imports the whole app before it answers; on a busy machine that takes a
        # few seconds, so wait on a deadline (a read timeout is an OSError, like a refusal).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=10)  # noqa: S310  # our own local server
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310  # our own local server

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_health_answers_over_plain_http(server: str) -> None:
    status, _headers, body = fetch(server + "/healthz")
    assert status == 200
    assert b'"database": "ok"' in body


def test_plain_http_is_redirected_to_https(server: str) -> None:
    status, headers, _body = fetch(server + "/auth/login/")
    assert status == 301
    assert headers["Location"].startswith("https://")


def test_https_pages_set_host_bound_secure_cookies_and_hsts(server: str) -> None:
    status, headers, body = fetch(server + "/auth/login/", **{"X-Forwarded-Proto": "https"})
    assert status == 200
    assert b"<form" in body
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("__Host-rapport_csrf=")
    assert "Secure" in cookie and "Domain" not in cookie
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]


def test_static_files_are_served_by_the_app(server: str) -> None:
    status, headers, body = fetch(
        server + "/static/rapport/app.css", **{"X-Forwarded-Proto": "https"}
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert b"--brand" in body
