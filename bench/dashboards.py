"""Benchmark: the dashboards at 100k or a million cases, server side, through the real views.

    python bench/dashboards.py --cases 100000            # throw-away SQLite
    python bench/dashboards.py --db postgres             # 1,000,000 cases on PostgreSQL
    python bench/dashboards.py --reuse /tmp/sd-dataset-… # a dataset kept by listviews --keep

It builds the data with bench/dataset.py (which fills the rollups with `rollups.rebuild`),
checks that the rollups equal a full recomputation (`rollups.verify`, timed), then requests
each dashboard with Django's test client in this process — middleware, view, queries and
template — --n times after a warm-up, for the last 30 days, this quarter and the last 365
days, and prints p50 and p99. Target: p99 ≤ 300 ms for every dashboard.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset  # noqa: E402
from _common import pct  # noqa: E402

TARGET_MS = 300
BOARDS = {
    "bench-requester": ("my-requests",),
    "bench-agent": ("my-requests", "my-work"),
    "bench-lead": ("team",),
    "bench-admin": ("team", "operations"),
}


def ranges(today: dt.date) -> dict[str, str]:
    year_ago = today - dt.timedelta(days=364)
    return {
        "last 30 days": "range=last_30_days",
        "this quarter": "range=this_quarter",
        "last 365 days": f"range=custom&from={year_ago.isoformat()}&to={today.isoformat()}",
    }


def measure(n: int) -> list[tuple[str, float, float]]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    users = get_user_model().objects.in_bulk(list(BOARDS), field_name="username")
    results = []
    for who, boards in BOARDS.items():
        client = Client()
        client.force_login(users[who])
        for board in boards:
            for label, query in ranges(timezone.localdate()).items():
                url = f"/reports/{board}/?{query}"
                for _ in range(2):
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.status_code)
                times = []
                for _ in range(n):
                    started = time.perf_counter()
                    client.get(url)
                    times.append(time.perf_counter() - started)
                times.sort()
                p50, p99 = pct(times, 0.5), pct(times, 0.99)
                mark = "ok" if p99 <= TARGET_MS else "SLOW"
                name = f"{board} ({label})"
                print(
                    f"dashboard:  {who:<16} {name:<34} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  {mark}"
                )
                results.append((name, p50, p99))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--reuse", help="a dataset kept by --keep (var dir or postgres:// URL)")
    parser.add_argument("--keep", action="store_true", help="keep the data to --reuse it")
    parser.add_argument("--n", type=int, default=20, help="timed requests per dashboard")
    args = parser.parse_args()
    db = dataset.Database.reuse(args.reuse) if args.reuse else dataset.Database.create(args.db)
    dataset.setup(db, migrate=not args.reuse)
    try:
        from django.db import connection

        from supportdesk.reports import rollups

        if not args.reuse:
            print(f"data:       building {args.cases:,} cases on {db.vendor} …")
            built = dataset.build(cases=args.cases, log=lambda line: print("  " + line))
            print(f"data:       {built.describe()}")
        count = connection.cursor().execute("SELECT count(*) FROM cases_case").fetchone()[0]
        started = time.perf_counter()
        differences = rollups.verify()
        print(
            f"rollups:    {len(differences)} differences from a full recomputation of "
            f"{count:,} cases ({time.perf_counter() - started:.1f} s)"
        )
        from supportdesk.warm import load_for_serving

        load_for_serving()  # as a gunicorn worker does after start-up (gunicorn_conf.py)
        gc.collect()
        gc.freeze()
        results = measure(args.n)
        slow = [r for r in results if r[2] > TARGET_MS]
        print(f"summary:    {len(results) - len(slow)} of {len(results)} dashboards on target")
        print(f"machine:    {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    finally:
        if args.keep or args.reuse:
            print(f"kept:       --reuse {db.where}")
        else:
            db.drop()


if __name__ == "__main__":
    main()
