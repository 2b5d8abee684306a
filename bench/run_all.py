"""The performance suite: every user-facing figure against one running server, in one table.

    python bench/run_all.py                                  # SQLite, 100k and 1M cases
    python bench/run_all.py --db postgres                    # a throw-away PostgreSQL database
    python bench/run_all.py --sizes 20000 --n 100            # a quick run

For each size it builds the data with bench/dataset.py (its proportions and personas), serves
the app with gunicorn exactly as in production (`supportdesk.gunicorn_conf`, --workers
processes), and measures over HTTP with --clients client processes on keep-alive connections,
each logged in through the login form or holding a personal access token:

    floor        GET /healthz: a minimal Django view (no database, no session), the framework's
                 floor on this server, measured in the same run
    submit       POST /api/v1/cases (a requester's token; Idempotency-Key per case)
    case page    GET /cases/<number>/ as the Deal Desk agent, over 200 of the team's cases
    list views   GET /cases/?view=… the built-in views of an agent, a lead and a requester
    search       GET /cases/?q=… a customer's name, a word, two words, a case number
    dashboards   GET /reports/<name>/ my-requests, my-work and team for the last 30 days
    export       GET /cases/export.csv of --export-rows rows (one client; rows/s)
    notify       emails delivered per second by one `supportdesk worker --queue-name email` to
                 an SMTP sink on loopback (aiosmtpd), for --emails notifications queued in one
                 transaction

Each row gives requests/s, p50 and p99 and its ratio to the floor: p99 ÷ the floor's p99 for
requests, and the floor's rate ÷ the throughput for export rows and emails (how many trivial
requests the server answers in the time of one row or one email).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import case_page  # noqa: E402
import dataset  # noqa: E402
import notify as notify_bench  # noqa: E402
import submit as submit_bench  # noqa: E402
from _common import Client, cli, pct, start_gunicorn, stop  # noqa: E402

AGENT, LEAD, REQUESTER = "bench-agent", "bench-lead", "bench-requester"
LIST_VIEWS = {
    AGENT: ("my-open", "team-queue", "all-open"),
    LEAD: ("team-queue", "all-open"),
    REQUESTER: ("my-requests", "recently-closed"),
}
BENCH_RECIPIENT = re.compile(r"^bench-\d+@")
DASHBOARDS = {REQUESTER: ("my-requests",), AGENT: ("my-work",), LEAD: ("team",)}


@dataclass
class Row:
    name: str
    rate: float  # per second
    unit: str
    p50: float | None = None  # ms
    p99: float | None = None
    errors: int = 0

    def ratio(self, floor: Row) -> str:
        if self.name == "floor":
            return "1.0×"
        if self.p99 is not None:
            return f"{self.p99 / floor.p99:.1f}× p99"
        return f"{floor.rate / self.rate:.2f}× per item"


# ---- client processes ----------------------------------------------------------------------


def paths_worker(base: str, user: str | None, paths: list[str], count: int, barrier, queue):
    """GET `count` paths in turn (each client starts at another offset)."""
    client = case_page.logged_in(base, user) if user else Client(base)
    turn = itertools.cycle(paths)
    queue.put(case_page.timed(client, count, barrier, lambda c: c.request("GET", next(turn)), 200))


def submit_worker(base: str, token: str, body: dict, count: int, offset: int, barrier, queue):
    client, sequence = Client(base, token), itertools.count(offset)

    def post(c: Client) -> tuple[int, bytes]:
        i = next(sequence)
        payload = json.dumps(body | {"description": f"run_all case {i}"}).encode()
        return c.request("POST", "/api/v1/cases", payload, **{"Idempotency-Key": f"run-all-{i}"})

    queue.put(case_page.timed(client, count, barrier, post, ok=201))


# ---- measurements --------------------------------------------------------------------------


def requests_row(args, name: str, target, args_for) -> Row:
    elapsed, latencies, errors = case_page.run_synced(args.clients, target, args_for, lambda: None)
    return Row(
        name,
        len(latencies) / elapsed,
        "req/s",
        pct(latencies, 0.5),
        pct(latencies, 0.99),
        errors,
    )


def get_row(args, base: str, name: str, plan: list[tuple[str | None, str]]) -> Row:
    """`plan`: (user, path) pairs; client i logs in as the user of the pairs it is dealt."""
    users = sorted({user or "" for user, _ in plan})
    per_client = [users[i % len(users)] or None for i in range(args.clients)]
    paths = {user: [p for u, p in plan if (u or None) == user] for user in per_client}
    share = args.n // args.clients
    return requests_row(
        args,
        name,
        paths_worker,
        lambda i: (base, per_client[i], paths[per_client[i]][i:] + paths[per_client[i]][:i], share),
    )


def case_paths(limit: int) -> list[tuple[str, str]]:
    from supportdesk.cases.models import Case

    cases = Case.objects.filter(team__name="Deal Desk").order_by("-pk")[:limit]
    return [(AGENT, case.get_absolute_url()) for case in cases.only("pk")]


def search_paths() -> list[tuple[str, str]]:
    from supportdesk.cases.models import Case
    from supportdesk.records.models import Record

    customer = Record.objects.order_by("pk")[17].name.split(" — ")[0]
    number = Case.objects.filter(team__name="Deal Desk").order_by("-pk").only("pk")[50].number
    words = (customer, "invoice", "renewal discount", number)
    return [
        (who, "/cases/?" + urllib.parse.urlencode({"view": "all-open", "q": q}))
        for who in (AGENT, REQUESTER)
        for q in words
    ]


def submit_body(base: str, token: str) -> dict:
    from django.contrib.auth import get_user_model

    from supportdesk.records.models import Record

    requester = get_user_model().objects.get(username=REQUESTER)
    record, _ = Record.objects.get_or_create(
        kind="opportunity",
        external_id="006RUNALL",
        defaults={"name": "Run-all Corp — Renewal", "owner": requester},
    )
    return submit_bench.choose_request(Client(base, token)) | {
        "record": record.external_id,
        "priority": "Medium",
        "confirm_not_duplicate": True,
        "not_duplicate_reason": "bench",
    }


def export_row(base: str, rows: int) -> Row:
    import listviews

    client = case_page.logged_in(base, "bench-admin")
    path = listviews.export_url(rows)
    client.request("GET", "/cases/?view=all-open")
    started = time.perf_counter()
    status, body = client.request("GET", path)
    elapsed = time.perf_counter() - started
    exported = body.count(b"\n") - 1
    return Row("export", exported / elapsed, "rows/s", errors=int(status != 200))


class BenchRecipientsSink(notify_bench.Sink):
    """Counts only the benchmark's recipients: the worker also runs the periodic jobs, whose
    reminders and digests reach the dataset's people."""

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.count += sum(bool(BENCH_RECIPIENT.match(to)) for to in envelope.rcpt_tos)
        return "250 OK"


def notify_row(env: dict[str, str], emails: int, tmp: str) -> Row:
    from aiosmtpd.controller import Controller

    sink, port = BenchRecipientsSink(), notify_bench.free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    worker_env = env | {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    try:
        rep, record, users = notify_bench.people(emails)
        case = notify_bench.submit(rep, record)
        # The email queue only: on a big dataset the periodic jobs (the SLA sweep, reminders)
        # would share the worker, which is what `--queue-name` lets production avoid too.
        log = Path(tmp) / "worker.log"
        rate = notify_bench.throughput(
            worker_env, 1, case, users, sink, log, "--queue-name", "email"
        )
    finally:
        controller.stop()
        asyncio.set_event_loop(None)
    return Row("notify (1 worker)", rate, "emails/s")


def measure(args: argparse.Namespace, db: dataset.Database) -> list[Row]:
    from django.db import connection

    env = db.env | {"API_RATE_LIMIT": "off", "STATIC_MANIFEST": "false", "LOG_LEVEL": "WARNING"}
    requester_token = cli(env, "token", "create", REQUESTER).splitlines()[-1]
    cases, searches = case_paths(200), search_paths()
    # Before the HTTP rows: the submissions queue emails of their own, which a worker would send.
    emails = notify_row(env, args.emails, db.tmp)
    connection.close()
    base, server = start_gunicorn(env, db.tmp, args.workers)
    try:
        body = submit_body(base, requester_token)
        connection.close()
        floor = get_row(args, base, "floor", [(None, "/healthz")])
        rows = [floor]
        share = args.n // args.clients
        rows.append(
            requests_row(
                args,
                "submit",
                submit_worker,
                lambda i: (base, requester_token, body, share, i * 100_000),
            )
        )
        rows.append(get_row(args, base, "case page", cases))
        lists = [(u, f"/cases/?view={v}") for u, views in LIST_VIEWS.items() for v in views]
        rows.append(get_row(args, base, "list views", lists))
        rows.append(get_row(args, base, "search", searches))
        boards = [
            (u, f"/reports/{b}/?range=last_30_days") for u, bs in DASHBOARDS.items() for b in bs
        ]
        rows.append(get_row(args, base, "dashboards", boards))
        rows.append(export_row(base, args.export_rows))
        rows.append(get_row(args, base, "floor (again)", [(None, "/healthz")]))
    finally:
        stop(server)
    return [*rows, emails]


def table(results: dict[int, list[Row]], vendor: str) -> str:
    lines = [
        f"| {vendor} | cases | rate | p50 ms | p99 ms | vs floor | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size, rows in results.items():
        floor = rows[0]
        for row in rows:
            p50 = f"{row.p50:.1f}" if row.p50 is not None else "—"
            p99 = f"{row.p99:.1f}" if row.p99 is not None else "—"
            lines.append(
                f"| {row.name} | {size:,} | {row.rate:,.0f} {row.unit} | {p50} | {p99} "
                f"| {row.ratio(floor)} | {row.errors} |"
            )
    return "\n".join(lines)


def one_size(args: argparse.Namespace, size: int) -> None:
    """In a fresh process (Django is set up once per process, on this size's database)."""
    db = dataset.Database.create(args.db)
    try:
        dataset.setup(db)
        built = dataset.build(cases=size, log=lambda line: None)
        print(f"data: {built.describe()}", file=sys.stderr, flush=True)
        rows = measure(args, db)
        print(json.dumps({"vendor": db.vendor, "rows": [row.__dict__ for row in rows]}))
    finally:
        db.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", default="100000,1000000", help="case counts, comma-separated")
    parser.add_argument("--n", type=int, default=400, help="timed requests per row")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_size:
        one_size(args, args.one_size)
        return
    results: dict[int, list[Row]] = {}
    vendor = args.db
    for size in (int(s) for s in args.sizes.split(",")):
        child = [sys.executable, __file__, *sys.argv[1:], "--one-size", str(size)]
        out = subprocess.run(child, stdout=subprocess.PIPE, text=True, check=True)
        measured = json.loads(out.stdout.strip().splitlines()[-1])
        vendor, results[size] = measured["vendor"], [Row(**row) for row in measured["rows"]]
        print(table({size: results[size]}, vendor), file=sys.stderr, flush=True)
    print(
        f"\nsupportdesk performance — {vendor}, {os.cpu_count()} CPUs, gunicorn {args.workers} "
        f"processes, {args.clients} clients, {args.n} requests per row, "
        f"load average {os.getloadavg()[0]:.2f} at the end\n"
    )
    print(table(results, vendor))


if __name__ == "__main__":
    main()
