"""Benchmark: email notifications delivered per second by one and by two workers, and what
queueing them adds to a case submission.

    python bench/notify.py                       # a throw-away SQLite database in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1/bench python bench/notify.py   # a scratch DB

It migrates the database, starts an SMTP sink on loopback (aiosmtpd, a dev dependency) and
`supportdesk worker` processes pointed at it. Throughput: with the workers idle and waiting,
one transaction queues --emails notifications (one per user), and the clock runs until the last
one is marked sent; once with one worker, once with two. Overhead: --cases submissions through
`submit_case` in this process (a requester and two agents in the team, so three emails each),
with notifications as shipped and with `notify` and `notify_all` as no-ops, interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import BIN, database_name, free_port, pct, throwaway_env

# `notify.py` here would shadow nothing of ours, but keep the project importable first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


class Sink:
    """Counts what arrives over SMTP (aiosmtpd's handler interface)."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.count += len(envelope.rcpt_tos)
        return "250 OK"


def start_sink() -> tuple[object, Sink, int]:
    from aiosmtpd.controller import Controller

    port, sink = free_port(), Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, sink, port


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def people(n: int):
    """A requester, two Deal Desk agents, a record and `n` recipients (all with emails)."""
    from django.contrib.auth import get_user_model

    from supportdesk.people.models import Membership, Team
    from supportdesk.records.models import Record

    User = get_user_model()
    rep = User.objects.create_user("bench-rep", "bench-rep@example.com", "x")
    team = Team.objects.get(name="Deal Desk")
    for name in ("bench-agent-1", "bench-agent-2"):
        agent = User.objects.create_user(name, f"{name}@example.com", "x")
        Membership.objects.create(user=agent, team=team)
    record = Record.objects.create(
        kind="opportunity", name="Bench Corp", external_id="006BENCHNOTIFY", owner=rep
    )
    User.objects.bulk_create(
        User(username=f"bench-{i}", email=f"bench-{i}@example.com") for i in range(n)
    )
    return rep, record, list(User.objects.filter(username__regex=r"^bench-\d+$"))


def submit(rep, record):
    from supportdesk.cases.services import submit_case
    from supportdesk.catalog.queries import resolve_choice

    choice = resolve_choice(
        "opportunity", team="Deal Desk", request_type="Quote Help", sub_request="Quote Question"
    )
    return submit_case(
        rep,
        record=record,
        request_type=choice.request_type,
        sub_request=choice.sub_request,
        description="bench",
        answers={"quote_url": "https://crm.example.com/q/1"},
    ).case


def start_workers(
    env: dict[str, str], count: int, log: Path, *options: str
) -> list[subprocess.Popen]:
    with log.open("ab") as out:
        return [
            subprocess.Popen(
                [
                    str(BIN / "supportdesk"),
                    "worker",
                    "--interval",
                    "0.05",
                    "--no-startup-delay",
                    *options,
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            for _ in range(count)
        ]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(30)


def throughput(env, workers: int, case, users, sink: Sink, log: Path, *options: str) -> float:
    from django.db import transaction

    from supportdesk.notify.models import Delivery
    from supportdesk.notify.services import notify

    processes = start_workers(env, workers, log, *options)
    try:
        # Warm up: the workers are up and polling once a first small batch has gone out.
        with transaction.atomic():
            notify(users[: 5 * workers], kind="comment.added", case=case, title="Warm-up")
        while Delivery.objects.filter(state="pending").exists():
            time.sleep(0.05)
        time.sleep(0.5)
        before = sink.count
        started = time.perf_counter()
        with transaction.atomic():
            notify(users, kind="comment.added", case=case, title=f"Bench x{workers}", body="b")
        while Delivery.objects.filter(state="pending").exists():
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        assert sink.count - before == len(users), (sink.count - before, len(users))
    finally:
        stop_workers(processes)
    return len(users) / elapsed


def overhead(rep, record, n: int) -> tuple[list[float], list[float]]:
    """Submit latencies with notifications and with `notify` a no-op, interleaved (A, B, A,
    B, …) so that both see the same database size and machine load."""
    from supportdesk.cases import services

    real = {name: getattr(services, name) for name in ("notify", "notify_all")}
    timings: dict[bool, list[float]] = {True: [], False: []}
    try:
        for i in range(2 * n + 40):
            notifying = i % 2 == 0
            for name, function in real.items():
                setattr(services, name, function if notifying else (lambda *a, **k: []))
            started = time.perf_counter()
            submit(rep, record)
            if i >= 40:  # the first ones warm up
                timings[notifying].append(time.perf_counter() - started)
    finally:
        for name, function in real.items():
            setattr(services, name, function)
    return sorted(timings[True]), sorted(timings[False])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emails", type=int, default=2000, help="notifications per run")
    parser.add_argument("--cases", type=int, default=300, help="submissions per variant")
    args = parser.parse_args()
    env, tmp = throwaway_env()
    controller, sink, port = start_sink()
    env |= {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    try:
        setup_django(env)
        rep, record, users = people(args.emails)
        print(
            f"supportdesk notification benchmark — database {database_name()}, "
            f"{args.emails} emails per run, SMTP sink on 127.0.0.1:{port}"
        )
        case = submit(rep, record)
        log = Path(tmp) / "workers.log"
        for workers in (1, 2):
            rate = throughput(env, workers, case, users, sink, log)
            print(f"delivery: {workers} worker{'s' if workers > 1 else ' '} {rate:8.1f} emails/s")
        with_notify, without = overhead(rep, record, args.cases)
        for label, lat in (("with notifications", with_notify), ("without", without)):
            print(f"submit {label:<19} p50 {pct(lat, 0.5):6.2f} ms   p99 {pct(lat, 0.99):6.2f} ms")
        print(
            f"overhead: +{pct(with_notify, 0.5) - pct(without, 0.5):.2f} ms at p50, "
            f"+{pct(with_notify, 0.99) - pct(without, 0.99):.2f} ms at p99 "
            "(3 emails and 3 in-app rows per case)"
        )
    finally:
        controller.stop()
        asyncio.set_event_loop(None)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
