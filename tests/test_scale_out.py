"""Scale-out for real: 2 `supportdesk serve` processes (gunicorn) and 2 `supportdesk worker`
processes against one PostgreSQL, 20 concurrent API clients, and a worker killed midway.

Afterwards every acknowledged submission has its case (1,000 cases, 1,000 distinct numbers)
and every expected email reached the SMTP server exactly once (one Message-ID per recipient,
case and kind; a resend after the kill carries the same Message-ID).
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from supportdesk.cases.models import Case, format_number
from supportdesk.notify.models import Delivery
from tests.api.conftest import make_token
from tests.factories import RecordFactory, UserFactory
from tests.notify.smtp import (
    SmtpSink,
    database_url,
    free_port,
    start_worker,
    stop_worker,
    wait_until,
    worker_env,
)
from tests.test_serve import get, production_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SUBMISSIONS = 1_000
CLIENTS = 20
AGENT_EVERY = 10  # the agent takes and comments on every 10th case…
HOLD_EVERY = 20  # …and puts every 20th on hold
STALE_TASK_SECONDS = 4


@dataclass
class Acknowledged:
    """What the servers said yes to, gathered from every client thread."""

    numbers: dict[str, str] = field(default_factory=dict)  # idempotency key → case number
    requester_of: dict[str, str] = field(default_factory=dict)  # case number → email
    latencies: list[float] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class ApiClient:
    """A connection per server (reopened when gunicorn's sync workers close it); a request that
    gets no answer, a 5xx or a 409 "still running" is retried with the same Idempotency-Key."""

    def __init__(self, ports: list[int], token: str) -> None:
        self.connections = [http.client.HTTPConnection("127.0.0.1", p, timeout=30) for p in ports]
        self.token = token

    def post(self, server: int, path: str, body: dict, key: str) -> tuple[int, dict]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        for _ in range(5):
            conn = self.connections[server % len(self.connections)]
            try:
                conn.request("POST", path, json.dumps(body), headers)
                response = conn.getresponse()
                status, data = response.status, response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                time.sleep(0.2)
                continue
            if status >= 500 or (status == 409 and response.getheader("Retry-After")):
                time.sleep(0.2)
                continue
            return status, json.loads(data or b"{}")
        return 0, {}


def case_body(record: str, i: int) -> dict:
    return {
        "record": record,
        "team": "Deal Desk",
        "request_type": "Quote Help",
        "sub_request": "Quote Question",
        "description": f"Load test request {i}: which approval does this ramp need?",
        "details": {"quote_url": f"https://crm.example.com/q/{i}"},
        "confirm_not_duplicate": True,  # many alike on one record, on purpose
        "not_duplicate_reason": "A separate quote.",
    }


def submit_share(
    client: ApiClient, record: str, email: str, offset: int, acks: Acknowledged, work: queue.Queue
) -> None:
    for i in range(offset, SUBMISSIONS, CLIENTS):
        key = f"scale-{i}"
        started = time.perf_counter()
        status, body = client.post(i // CLIENTS, "/api/v1/cases", case_body(record, i), key)
        elapsed = time.perf_counter() - started
        with acks.lock:
            if status in (200, 201):
                acks.numbers[key] = body["number"]
                acks.requester_of[body["number"]] = email
                acks.latencies.append(elapsed)
            else:
                acks.failures.append(f"submit {key}: {status} {body}")
        if status in (200, 201) and i % AGENT_EVERY == 0:
            work.put((i, body["number"]))


def work_cases(client: ApiClient, acks: Acknowledged, work: queue.Queue) -> None:
    """The agent takes a case, comments on it, and puts every other one on hold."""
    while (item := work.get()) is not None:
        i, number = item
        steps = [("take", {}), ("comments", {"body": f"On it ({i})."})]
        if i % HOLD_EVERY == 0:
            steps.append(("hold", {"reason": "Waiting for finance."}))
        for action, body in steps:
            status, answer = client.post(
                i, f"/api/v1/cases/{number}/{action}", body, f"{action}-{i}"
            )
            with acks.lock:
                if status not in (200, 201):
                    acks.failures.append(f"{action} {number}: {status} {answer}")
                elif action == "take":
                    acks.taken.append(number)
                elif action == "hold":
                    acks.held.append(number)
            if status not in (200, 201):
                break


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "supportdesk.cli", "serve", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def expected_emails(acks: Acknowledged, agent_email: str) -> Counter:
    expected: Counter = Counter()
    for number, requester in acks.requester_of.items():
        expected[(requester, number, "case.created")] += 1
        expected[(agent_email, number, "queue.new_case")] += 1
    for number in acks.taken:
        expected[(acks.requester_of[number], number, "case.owner_changed")] += 1
        expected[(acks.requester_of[number], number, "comment.added")] += 1
    for number in acks.held:
        expected[(acks.requester_of[number], number, "case.status_changed")] += 1
    return expected


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def test_two_servers_and_two_workers_lose_nothing_when_a_worker_is_killed(
    tmp_path, deal_desk_agent, capsys
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several server processes writing at once")
    requesters = [UserFactory(username=f"rep{n:02d}") for n in range(CLIENTS)]
    records = [RecordFactory(owner=user).external_id for user in requesters]
    tokens = [make_token(user) for user in requesters]
    agent_token = make_token(deal_desk_agent)

    secret = secrets.token_urlsafe(50)
    sink = SmtpSink().start()
    common = {"SECRET_KEY": secret, "TASK_STALE_SECONDS": str(STALE_TASK_SECONDS)}
    web_env = production_env(
        tmp_path / "var",
        DATABASE_URL=database_url(),
        WEB_WORKERS="2",
        LOG_LEVEL="WARNING",
        **common,
    )
    ports = [free_port(), free_port()]
    servers = [start_server(web_env, port, tmp_path / f"server-{port}.log") for port in ports]
    # A send outlasting its lease would be swept and sent again: keep the lease above the
    # slowest SMTP conversation on a loaded machine.
    work_env = worker_env(sink, tmp_path, NOTIFY_SEND_LEASE_SECONDS="10", **common)
    workers = [start_worker(work_env, tmp_path / f"worker-{n}.log") for n in range(2)]
    try:
        for port in ports:
            wait_until(
                lambda port=port: get(f"http://127.0.0.1:{port}/healthz")[0] == 200,
                timeout=60,
                what=f"the server on port {port}",
            )
        acks, work = Acknowledged(), queue.Queue()
        threads = [
            threading.Thread(
                target=submit_share,
                args=(ApiClient(ports, tokens[n]), records[n], requesters[n].email, n, acks, work),
                daemon=True,
            )
            for n in range(CLIENTS)
        ]
        agents = [
            threading.Thread(
                target=work_cases, args=(ApiClient(ports, agent_token), acks, work), daemon=True
            )
            for _ in range(2)
        ]
        started = time.perf_counter()
        for thread in threads + agents:
            thread.start()
        wait_until(lambda: len(acks.numbers) >= SUBMISSIONS // 2, timeout=240, what="half")
        killed = workers[0]
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(10)
        sent_when_killed = sink.count()
        for thread in threads:
            thread.join(240)
        submitting = time.perf_counter() - started
        for _ in agents:
            work.put(None)
        for thread in agents:
            thread.join(60)

        assert not acks.failures, acks.failures[:5]
        expected = expected_emails(acks, deal_desk_agent.email)
        dead_worker = f"{socket.gethostname()}-{killed.pid}"[-64:]  # `supportdesk worker`'s id

        def drained() -> bool:
            stuck = DBTaskResult.objects.running().filter(worker_ids__contains=[dead_worker])
            return (
                Delivery.objects.filter(state="sent").count() == sum(expected.values())
                and not stuck.exists()
            )

        wait_until(drained, timeout=300, what="the surviving worker to send every email")
        draining = time.perf_counter() - started
    finally:
        for process in workers:
            stop_worker(process)
        for server in servers:
            stop_server(server)
        sink.stop()

    numbers = [format_number(pk) for pk in Case.objects.values_list("pk", flat=True)]
    assert len(numbers) == SUBMISSIONS
    assert len(set(numbers)) == SUBMISSIONS
    assert len(acks.numbers) == SUBMISSIONS
    assert set(acks.numbers.values()) == set(numbers)  # every acknowledged request has its case
    assert len(acks.taken) == SUBMISSIONS // AGENT_EVERY
    assert len(acks.held) == SUBMISSIONS // HOLD_EVERY

    deliveries = Counter(
        (email, format_number(case_id), kind)
        for email, case_id, kind in Delivery.objects.values_list("user__email", "case_id", "kind")
    )
    assert deliveries == expected  # one row per expected email, nobody else
    assert not Delivery.objects.exclude(state="sent").exists()

    messages = sink.messages()
    distinct = {m.message_id: m for m in messages}
    arrived = Counter((m.to, m.case, m.kind) for m in distinct.values())
    assert arrived == expected  # each expected email arrived, under exactly one Message-ID
    keys = set(Delivery.objects.values_list("key", flat=True))
    assert {i.strip("<>").split("@")[0] for i in distinct} == keys
    resent = len(messages) - len(distinct)
    assert resent <= 1  # at most the one email in flight when its worker died, same Message-ID

    latencies_ms = [s * 1000 for s in acks.latencies]
    with capsys.disabled():
        print(
            f"\nscale-out: {SUBMISSIONS} submissions from {CLIENTS} clients on 2 servers in "
            f"{submitting:.1f}s = {SUBMISSIONS / submitting:.0f}/s; latency p50 "
            f"{statistics.median(latencies_ms):.0f} ms, p99 {percentile(latencies_ms, 0.99):.0f} "
            f"ms; worker killed after {sent_when_killed} emails; all {sum(expected.values())} "
            f"emails sent {draining:.1f}s after the start; resent with the same Message-ID: "
            f"{resent}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
