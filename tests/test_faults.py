"""Faults, for real: the database going away under traffic, and slow clients.

The database outage runs a real gunicorn server (`supportdesk serve`) whose connections to
PostgreSQL go through a TCP proxy in this test. "Restarting PostgreSQL" is the proxy cutting
every connection and refusing new ones for a few seconds, which is what the app sees of a
restart or a fail-over, without stopping the server other tests share.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from supportdesk.cases.models import Case
from supportdesk.people.models import Membership
from tests.api.conftest import make_token
from tests.conftest import team
from tests.factories import PASSWORD, RecordFactory, UserFactory
from tests.notify.smtp import database_url, wait_until
from tests.test_serve import free_port, get, production_env

SUBMISSION = {
    "team": "Deal Desk",
    "request_type": "Quote Help",
    "sub_request": "Quote Question",
    "priority": "Medium",
    "details": {"quote_url": "https://crm.example.com/q/1"},
    "confirm_not_duplicate": True,
    "not_duplicate_reason": "Load test: many requests on one record.",
}


class FlakyProxy:
    """A TCP proxy to `target` that can drop every connection and refuse new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.cut = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with self.lock:
                    self.open.discard(sock)
                # shutdown, not only close: it wakes the other direction's thread in recv().
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def outage(self, seconds: float) -> None:
        """Every connection drops at once; for `seconds` new ones are closed on arrival."""
        self.down.set()
        with self.lock:
            dropped, self.open = list(self.open), set()
        for sock in dropped:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.cut += len(dropped) // 2
        time.sleep(seconds)
        self.down.clear()

    def close(self) -> None:
        self.listener.close()
        self.outage(0)


def serve(env: dict[str, str], log: Path) -> tuple[str, subprocess.Popen]:
    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "supportdesk.cli", "serve", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(f"{base}/healthz")[0] == 200, timeout=60, what="/healthz")
    except AssertionError:
        stop(server)
        raise AssertionError(log.read_text()[-3000:]) from None
    return base, server


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def no_other_sessions() -> bool:
    """The stopped server's PostgreSQL sessions have ended (the test database can be dropped)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] == 0


class Browser:
    """A signed-in person reloading the Cases tab, keeping every status and 503 page seen."""

    def __init__(self, port: int, username: str) -> None:
        self.port, self.cookies = port, {}
        self.statuses: Counter[int] = Counter()
        self.problems: list[str] = []
        page = self.request("GET", "/accounts/login/")[2].decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
        status, _, _ = self.request("POST", "/accounts/login/", urllib.parse.urlencode(form))
        assert status == 302, "logging in failed"

    def request(self, method: str, path: str, body: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or ():
                name, value = header.split(";", 1)[0].split("=", 1)
                self.cookies[name] = value
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def browse(self, stop: threading.Event) -> None:
        while not stop.is_set():
            status, headers, body = self.request("GET", "/cases/")
            self.statuses[status] += 1
            if status == 503 and (headers.get("Retry-After") is None or b"try again" not in body):
                self.problems.append(f"503 page without Retry-After or message: {body[:300]!r}")
            elif status not in (200, 503):
                self.problems.append(f"{status}: {body[:300]!r}")
            time.sleep(0.05)


class Submitter:
    """A client that files cases and retries a failed one with the same Idempotency-Key,
    as the API documentation tells integrators to."""

    def __init__(self, port: int, token: str, record: str) -> None:
        self.port, self.token, self.record = port, token, record
        self.acknowledged: dict[str, str] = {}  # idempotency key → case number
        self.statuses: Counter[int] = Counter()
        self.problems: list[str] = []

    def post(self, key: str) -> tuple[int, dict]:
        body = json.dumps(SUBMISSION | {"record": self.record, "description": key})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        try:
            conn.request("POST", "/api/v1/cases", body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def file(self, count: int, stop_at: float) -> None:
        for _ in range(count):
            key = uuid.uuid4().hex
            while time.monotonic() < stop_at:
                status, headers, body = self.post(key)
                self.statuses[status] += 1
                if status in (200, 201):  # 200: a retry whose first attempt had saved the case
                    self.acknowledged[key] = json.loads(body)["number"]
                    break
                if status != 503:
                    self.problems.append(f"{status}: {body[:300]!r}")
                    break
                if dict(headers).get("Retry-After") is None or b"try again" not in body:
                    self.problems.append(f"503 without Retry-After or message: {body[:300]!r}")
                time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_database_restart_under_traffic_loses_no_acknowledged_case(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the outage is cut between the server and PostgreSQL")
    requester = UserFactory()
    # The server checks passwords with the production hashers, not the suite's fast MD5.
    requester.password = PBKDF2PasswordHasher().encode(PASSWORD, "faults-salt", iterations=1000)
    requester.save(update_fields=["password"])
    Membership.objects.create(user=UserFactory(), team=team("Deal Desk"))
    record = RecordFactory(kind="opportunity", owner=requester)
    token = make_token(requester)
    settings_dict = connection.settings_dict
    proxy = FlakyProxy((settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)))
    url = (
        database_url()
        .replace(f":{settings_dict['PORT'] or 5432}/", f":{proxy.port}/")
        .replace(f"@{settings_dict['HOST']}:", "@127.0.0.1:")
    )
    env = production_env(
        tmp_path / "var",
        DATABASE_URL=url,
        WEB_WORKERS="2",
        API_RATE_LIMIT="off",
        LOG_LEVEL="ERROR",
    )
    base, server = serve(env, tmp_path / "server.log")
    port = int(base.rsplit(":", 1)[1])
    clients = [Submitter(port, token, record.external_id) for _ in range(4)]
    stop_at = time.monotonic() + 120
    threads = [threading.Thread(target=c.file, args=(30, stop_at)) for c in clients]
    browser, browsing = Browser(port, requester.username), threading.Event()
    reloading = threading.Thread(target=browser.browse, args=(browsing,))
    try:
        reloading.start()
        for thread in threads:
            thread.start()
        wait_until(
            lambda: sum(len(c.acknowledged) for c in clients) >= 20, timeout=60, what="traffic"
        )
        proxy.outage(3)  # PostgreSQL "restarts" while the clients keep submitting
        wait_until(
            lambda: (
                sum(c.statuses[503] for c in clients) > 0 or not any(t.is_alive() for t in threads)
            ),
            timeout=10,
            what="the outage to be seen",
        )
        for thread in threads:
            thread.join(timeout=120)
        browsing.set()
        reloading.join(timeout=60)
        # The server recovered by itself: the same processes serve a new request.
        assert server.poll() is None
        status, _, _ = clients[0].post(uuid.uuid4().hex)
        assert status == 201
    finally:
        browsing.set()
        stop(server)
        proxy.close()
        wait_until(no_other_sessions, timeout=20, what="the server's sessions to end")

    statuses = sum((c.statuses for c in clients), Counter())
    assert not [p for c in clients for p in c.problems], [p for c in clients for p in c.problems]
    assert proxy.cut > 0 and statuses[503] > 0, statuses  # the outage really hit requests
    assert not browser.problems, browser.problems  # pages: a 503 saying so, never a 500
    assert browser.statuses[200] > 0
    acknowledged = {k: n for c in clients for k, n in c.acknowledged.items()}
    assert len(acknowledged) == 4 * 30  # every request got through, with retries
    numbers = set(Case.objects.filter(requester=requester).values_list("pk", flat=True))
    stored = {f"{pk:08d}" for pk in numbers}
    assert set(acknowledged.values()) <= stored  # no acknowledged case lost
    assert len(stored) == len(acknowledged) + 1  # and none twice (+ the post-outage check)
    described = Counter(
        Case.objects.filter(requester=requester).values_list("description", flat=True)
    )
    assert max(described.values()) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_slow_clients_hold_a_worker_no_longer_than_the_worker_timeout(tmp_path):
    """Slowloris against one sync worker: the worker timeout frees the server. (In production a
    buffering reverse proxy receives whole requests first; docs/deployment.md.)"""
    env = production_env(
        tmp_path / "var",
        DATABASE_URL=database_url(),
        WEB_WORKERS="1",
        WEB_TIMEOUT="3",
        LOG_LEVEL="ERROR",
    )
    base, server = serve(env, tmp_path / "server.log")
    port = int(base.rsplit(":", 1)[1])
    slow = []
    stop_dripping = threading.Event()

    def drip() -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        slow.append(sock)
        sock.sendall(b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop_dripping.wait(0.5):
            try:
                sock.sendall(b"X-Slow: 1\r\n")  # a header every half second, never the end
            except OSError:
                return

    dripper = threading.Thread(target=drip, daemon=True)
    try:
        dripper.start()
        wait_until(lambda: slow, timeout=5, what="the slow client to connect")
        time.sleep(0.3)
        started = time.monotonic()
        status, _, _ = get_patiently(f"{base}/healthz", timeout=20)
        waited = time.monotonic() - started
        assert status == 200
        assert waited < 3 + 15  # the timeout, and a new worker's start-up on a busy machine
        assert server.poll() is None
    finally:
        stop_dripping.set()
        for sock in slow:
            sock.close()
        stop(server)


def get_patiently(url: str, *, timeout: float) -> tuple[int, dict, bytes]:
    import urllib.request

    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 -- our server
        return response.status, dict(response.headers), response.read()


def test_the_deployment_guide_requires_a_buffering_proxy():
    guide = (Path(__file__).parents[1] / "docs" / "deployment.md").read_text()
    assert "WEB_TIMEOUT" in guide
    assert "proxy_request_buffering on" in guide
