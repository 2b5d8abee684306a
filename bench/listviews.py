"""Benchmark: the Cases tab at a million cases, server side, through the real views.

    python bench/listviews.py                            # 1,000,000 cases, throw-away SQLite
    python bench/listviews.py --db postgres              # …or a throw-away PostgreSQL database
    python bench/listviews.py --cases 100000 --keep      # keep the data; then, again and again:
    python bench/listviews.py --reuse /tmp/sd-dataset-…  # (or --reuse postgres://…/sd_bench_…)
    python bench/listviews.py --reuse … --explain        # and each page's slowest query's plan

It builds the data with bench/dataset.py (see there for the proportions and the personas), then
requests each page with Django's test client in this process — middleware, view, queries and
template, no HTTP server — --n times after a warm-up, and prints p50 and p99 for:

- the first page of each built-in view, for an agent (bench-agent, Deal Desk), a lead of two
  teams (bench-lead), a busy requester (bench-requester) and an admin (bench-admin);
- page 50, reached by following the Next links (keyset cursors), then requested again;
- a saved view with four filters (open, high or urgent, my teams, created in the last 90
  days) sorted by last modified, not the default;
- searches (the `q` box): a customer's name, a common word, two words, a PO number, a case
  number;
- an export of about --export-rows rows to CSV (rows/s, and the peak memory of a fresh
  process doing only that: its peak RSS, and how much it grew while exporting).

Targets at 1M cases: first and cursor pages p99 ≤ 50 ms, search p99 ≤ 150 ms, export
≥ 20,000 rows/s in < 100 MB. The machine's load (other work running) is printed with the
figures: they are noisy when it is busy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import html
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset  # noqa: E402
from _common import pct  # noqa: E402

PERSONAS = ("bench-agent", "bench-lead", "bench-requester", "bench-admin")
FIRST_PAGES = {
    "bench-agent": (
        "my-requests",
        "my-open",
        "team-queue",
        "created-by-me",
        "recent",
        "all-open",
        "recently-closed",
    ),
    "bench-lead": ("my-open", "team-queue", "all-open"),
    "bench-requester": ("my-requests", "created-by-me", "recent", "recently-closed"),
    "bench-admin": ("all-open", "recently-closed", "team-queue"),
}
CURSOR_PAGES = (
    ("bench-agent", "all-open"),
    ("bench-lead", "team-queue"),
    ("bench-admin", "recently-closed"),
)
NEXT = re.compile(r'rel="next" href="([^"]+)"')
TARGETS = {"page": 50.0, "search": 150.0}


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


class Bench:
    def __init__(self, n: int, explain: bool) -> None:
        from django.contrib.auth import get_user_model
        from django.test import Client

        self.n, self.explain = n, explain
        users = get_user_model().objects.in_bulk(PERSONAS, field_name="username")
        self.clients: dict[str, Client] = {}
        for name in PERSONAS:
            client = Client()
            client.force_login(users[name])
            self.clients[name] = client
        self.users = users
        self.results: list[tuple[str, float, float, float]] = []

    def measure(self, group: str, label: str, who: str, url: str, check: Callable | None = None):
        client = self.clients[who]
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        if check is not None:
            check(response)
        times = []
        for _ in range(self.n):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        times.sort()
        p50, p99 = pct(times, 0.50), pct(times, 0.99)
        limit = TARGETS["search" if group == "search" else "page"]
        mark = "ok" if p99 <= limit else "SLOW"
        print(f"{group:<12} {who:<16} {label:<34} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  {mark}")
        self.results.append((group, p50, p99, limit))
        if self.explain:
            self.plan(client, url)
        return response

    def plan(self, client: Any, url: str) -> None:
        """EXPLAIN the request's slowest query (ANALYZE on PostgreSQL)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        sql = slowest["sql"]
        prefix = (
            "EXPLAIN (ANALYZE, BUFFERS) "
            if connection.vendor == "postgresql"
            else ("EXPLAIN QUERY PLAN ")
        )
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            rows = cursor.fetchall()
        print(f"    {len(captured)} queries; slowest {float(slowest['time']) * 1000:.1f} ms:")
        print(f"    {sql[:300]}{'…' if len(sql) > 300 else ''}")
        for row in rows:
            print("      " + " | ".join(str(v) for v in row))


def next_link(body: str) -> str | None:
    found = NEXT.search(body)
    return "/cases/" + html.unescape(found.group(1)) if found else None


def page_50(bench: Bench, who: str, view: str) -> None:
    client = bench.clients[who]
    url = f"/cases/?view={view}"
    for _ in range(49):
        url = next_link(client.get(url).content.decode())
        if url is None:
            print(f"{'cursor page':<12} {who:<16} {view}: fewer than 50 pages")
            return
    bench.measure("cursor page", f"{view} page 50", who, url)


def custom_view(bench: Bench) -> None:
    from supportdesk.lists.models import ListView

    agent = bench.users["bench-agent"]
    view, _ = ListView.objects.update_or_create(
        owner=agent,
        name="Urgent work of my teams, last 90 days",
        defaults={
            "filters": {
                "status": ["open"],
                "priority": ["high", "urgent"],
                "team": ["mine"],
                "created": "last_90_days",
            },
            "columns": ["number", "subject", "status", "priority", "owner", "updated_at"],
            "sort": "-updated_at",
        },
    )
    for who in ("bench-agent",):
        bench.measure("custom view", "4 filters, by last modified", who, f"/cases/?view={view.pk}")
    admin_url = (
        "/cases/?view=all-open&f=1&status=open&priority=high&priority=urgent"
        "&team=deal-desk&created=last_90_days&sort=-updated_at"
    )
    bench.measure("custom view", "same, as URL filters", "bench-admin", admin_url)


def searches(bench: Bench) -> None:
    from supportdesk.cases.models import Case
    from supportdesk.records.models import Record

    record = Record.objects.order_by("pk")[17]
    customer = record.name.split(" — ")[0]
    po = (
        Case.objects.filter(description__contains="PO-")
        .order_by("-pk")
        .values_list("description", flat=True)
        .first()
    )
    po = po.rsplit(" ", 1)[-1] if po else "PO-100000"
    number = Case.objects.filter(team__name="Deal Desk").order_by("-pk").values_list("pk")[50][0]
    queries = [
        ("customer name", customer),
        ("common word", "invoice"),
        ("two words", "renewal discount"),
        ("PO number", po),
        ("case number", f"{number:08d}"),
    ]
    for who in ("bench-agent", "bench-requester", "bench-admin"):
        for label, q in queries:
            from urllib.parse import urlencode

            url = "/cases/?" + urlencode({"view": "all-open", "f": "1", "q": q})
            bench.measure("search", f"{label}: {q[:22]}", who, url)


def export_url(rows: int) -> str:
    """An export of about `rows` cases: the newest, by creation date."""
    from supportdesk.cases.models import Case

    since = Case.objects.order_by("-created_at").values_list("created_at", flat=True)[rows - 1]
    day = since.date() + dt.timedelta(days=1)
    columns = "number,subject,status,priority,team,request_type,owner,requester,record,created_at"
    return (
        f"/cases/export.csv?view=all-open&f=1&created_from={day.isoformat()}"
        f"&columns={columns}&sort=-created_at"
    )


def export_only(rows: int) -> None:
    """In a fresh process: export, and the process's peak memory."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    url = export_url(rows)
    client.get("/cases/?view=all-open")  # the app is loaded and warm
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    response = client.get(url)
    lines = size = 0
    for piece in response.streaming_content:
        lines += piece.count(b"\n")
        size += len(piece)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    exported = lines - 1
    print(
        f"export       bench-admin      {exported:,} rows, {size / 1e6:.1f} MB CSV"
        f" in {elapsed:.2f} s"
        f" = {exported / elapsed:,.0f} rows/s; peak RSS {peak:.0f} MB"
        f" (+{peak - before:.0f} MB while exporting)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--reuse", help="a dataset kept by --keep (var dir or postgres:// URL)")
    parser.add_argument("--keep", action="store_true", help="keep the data to --reuse it")
    parser.add_argument("--n", type=int, default=40, help="timed requests per page")
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--explain", action="store_true", help="plans of the slowest queries")
    parser.add_argument("--only", choices=["pages", "search", "export"], help="one part")
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave Python's collector scanning start-up objects (≈40 ms pauses now and then)",
    )
    parser.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = dataset.Database.reuse(args.reuse) if args.reuse else dataset.Database.create(args.db)
    dataset.setup(db, migrate=not args.reuse)
    if args.export_only:
        export_only(args.export_rows)
        return
    try:
        from django.db import connection

        if not args.reuse:
            print(f"data:        building {args.cases:,} cases on {db.vendor} …  ({load()})")
            built = dataset.build(cases=args.cases, log=lambda line: print("  " + line))
            print(f"data:        {built.describe()}")
        count = connection.cursor().execute("SELECT count(*) FROM cases_case").fetchone()[0]
        print(f"database:    {db.vendor}, {count:,} cases ({db.where}); {load()}")
        run(args, db)
        print(f"machine:     {os.cpu_count()} CPUs, {load()} at the end")
    finally:
        if args.keep or args.reuse:
            print(f"kept:        --reuse {db.where}")
        else:
            db.drop()


def run(args: argparse.Namespace, db: dataset.Database) -> None:
    bench = Bench(args.n, args.explain)
    if not args.no_gc_freeze:
        # What a gunicorn worker does after start-up (gunicorn_conf.post_worker_init): load
        # the views and templates, then gc.freeze(). Otherwise the full collections walk
        # every object Django and the app loaded, a 30–40 ms pause every few dozen requests,
        # which is most of these pages' p99.
        from supportdesk.warm import load_for_serving

        load_for_serving()
        gc.collect()
        gc.freeze()
    print(
        f"gc:          {'normal' if args.no_gc_freeze else 'start-up objects frozen (gc.freeze)'}"
    )
    if args.only in (None, "pages"):
        for who, views in FIRST_PAGES.items():
            for view in views:
                bench.measure("first page", view, who, f"/cases/?view={view}")
        for who, view in CURSOR_PAGES:
            page_50(bench, who, view)
        custom_view(bench)
    if args.only in (None, "search"):
        searches(bench)
    if args.only in (None, "export"):
        out = subprocess.run(
            [sys.executable, __file__, "--export-only", "--reuse", db.where,
             "--export-rows", str(args.export_rows)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        print(out.stdout.strip() or out.stderr[-2000:])
    slow = [r for r in bench.results if r[2] > r[3]]
    print(f"summary:     {len(bench.results) - len(slow)} of {len(bench.results)} pages on target")


if __name__ == "__main__":
    main()
