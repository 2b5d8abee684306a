"""`supportdesk serve` and `supportdesk check --deploy`, run as an operator runs them."""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.notify.smtp import database_url, wait_until

METRICS_TOKEN = "scrape-" + secrets.token_urlsafe(16)


NOT_INHERITED = ("DATABASE_URL", "CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")


def production_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """What a production install sets: DEBUG off, a real key, its host names."""
    # Not the test run's own servers, nor the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE.
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return env | {
        "SUPPORTDESK_VAR_DIR": str(var_dir),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,support.example.com",
        **extra,
    }


def supportdesk(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "supportdesk.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 -- http to our server
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except OSError:
        return 0, {}, b""


def serving_pid(base: str) -> str | None:
    """The pid of the gunicorn worker that counted a request (the `pid` label on /metrics);
    None while no worker answers (during a reload on a busy machine)."""
    get(f"{base}/accounts/login/")
    _, _, body = get(f"{base}/metrics", Authorization=f"Bearer {METRICS_TOKEN}")
    found = re.search(rb'supportdesk_http_requests_total\{pid="(\d+)"', body)
    return found.group(1).decode() if found else None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_serve_runs_gunicorn_with_hashed_compressed_static_files_and_reloads_on_sighup(
    tmp_path,
):
    env = production_env(
        tmp_path / "var",
        DATABASE_URL=database_url(),
        METRICS_TOKEN=METRICS_TOKEN,
        WEB_WORKERS="1",
        LOG_LEVEL="INFO",
    )
    collected = supportdesk("collectstatic", "--noinput", env=env | {"STATIC_MANIFEST": "true"})
    assert collected.returncode == 0, collected.stderr
    manifest = json.loads((tmp_path / "var" / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["supportdesk/app.css"]
    assert re.fullmatch(r"supportdesk/app\.[0-9a-f]{12}\.css", hashed)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "supportdesk.cli", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: get(f"{base}/healthz")[0] == 200, timeout=30, what="/healthz")
        status, headers, body = get(f"{base}/healthz")
        assert headers["Server"] == "gunicorn"  # the production server, not runserver

        status, headers, body = get(f"{base}/static/{hashed}", **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]
        original = Path(__file__).parents[1] / "src/supportdesk/static/supportdesk/app.css"
        assert gzip.decompress(body) == original.read_bytes()

        before = serving_pid(base)
        assert before is not None
        server.send_signal(signal.SIGHUP)  # graceful reload: new workers, same listening socket
        wait_until(lambda: serving_pid(base) not in (None, before), timeout=60, what="a new worker")
        assert get(f"{base}/healthz")[0] == 200
        assert server.poll() is None  # serve became gunicorn's arbiter, which got the signal

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=40) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    log = [json.loads(line) for line in server.stdout.read().decode().splitlines()]  # all JSON
    messages = {entry["message"] for entry in log if entry["logger"] == "gunicorn.error"}
    assert {"Handling signal: hup", "Shutting down: Master"} <= messages
    access = [entry for entry in log if entry["logger"] == "supportdesk.access"]
    assert [(e["method"], e["path"], e["status"]) for e in access[:2]] == [
        ("GET", f"/static/{hashed}", 200),
        ("GET", "/accounts/login/", 200),
    ]
    assert all(re.fullmatch(r"[0-9a-f]{32}", entry["request_id"]) for entry in access)
    assert not any(entry["path"] in ("/healthz", "/metrics") for entry in access)


@pytest.mark.slow
def test_serve_refuses_debug_or_a_missing_secret_key(tmp_path):
    env = production_env(tmp_path / "var", DEBUG="true")
    refused = supportdesk("serve", env=env)
    assert refused.returncode == 1
    assert "refusing to serve: DEBUG is on" in refused.stderr
    assert "--insecure" in refused.stderr

    env = production_env(tmp_path / "var")
    del env["SECRET_KEY"]
    refused = supportdesk("serve", env=env)
    assert refused.returncode == 1
    assert "SECRET_KEY is not set" in refused.stderr


@pytest.mark.slow
def test_a_weak_secret_key_stops_startup_when_debug_is_off(tmp_path):
    done = supportdesk("check", env=production_env(tmp_path / "var", SECRET_KEY="changeme"))
    assert done.returncode == 1
    assert "SECRET_KEY is too weak for DEBUG=false" in done.stderr


@pytest.mark.slow
def test_check_deploy_passes_with_production_settings_behind_an_https_proxy(tmp_path):
    env = production_env(tmp_path / "var", BEHIND_HTTPS_PROXY="true")
    done = supportdesk("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


@pytest.mark.slow
def test_check_deploy_reports_debug_and_plain_http(tmp_path):
    env = production_env(tmp_path / "var", DEBUG="true")
    done = supportdesk("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert done.returncode == 1
    for check in ("security.W018", "security.W008", "security.W012", "security.W016"):
        assert check in done.stderr  # DEBUG, no https redirect, cookies sent over http
