"""Benchmark: the case page of a case with a long feed, and commenting on it, in a big database.

    python bench/case_page.py                   # temp SQLite DB: 100,000 cases, a 500-event feed
    DATABASE_URL=postgres://postgres@127.0.0.1/bench python bench/case_page.py   # an empty DB
    python bench/case_page.py --n 500 --cases 5000 --events 200                  # smaller
    python bench/case_page.py --profile         # no server: the page's queries and a cProfile

It creates a throw-away database (SQLite file in a temp dir, or the given DATABASE_URL, which
should be empty), migrates (the catalog loads on migrate) and fills it in this process with
bench/seed_data.py: --cases cases over teams, requesters and records, the last of which has a
feed of --events events (comments, internal notes, status, owner and field changes, watchers,
a few attachments). Then it serves the app with gunicorn (--workers, default 2; threads and
keep-alive as in supportdesk/gunicorn_conf.py) and --clients client processes (default 4):

1. log in once each as `bench-agent` (an agent of the case's team) through /accounts/login/,
   then GET the case page --n times in all over keep-alive connections with that session;
2. POST --comments comments in all to /api/v1/cases/{number}/comments with a Bearer token
   (skipped, saying so, while that endpoint does not exist); they accumulate on the case;
3. GET /healthz as many times as the page, for the framework's floor.

It prints requests/s with p50/p90/p99 latency and errors for each, the feed's size, the page's
size, the data generation time, and whether the case page meets the target.

The server caches each feed item's HTML under a digest of what the item shows
(supportdesk/fragments.py) in each process's memory, unless --cache (default: $CACHE_URL)
names another cache: `--cache dummy://` measures the page with nothing cached (every item
rendered on every request), `--cache redis://…` a shared cache (needs the redis package). The
warm-up requests fill the cache, so the page's figures are for a feed page read again; the
comments posted in step 2 are new items, rendered once each.

What the page costs, and what was done about it (CPU per page, this 2-core machine, loaded
by other work, so compare CPU per request rather than req/s):

- sessions: SESSION_ENGINE cached_db — the session comes from the cache (no query);
- "Recently Viewed": one plain INSERT … ON CONFLICT statement instead of bulk_create's
  BEGIN/INSERT/COMMIT (a write on every view is kept: skipping it while the user reloads the
  same case would make the page's query count depend on the previous request);
- access: `can_see_case` (the case check when the case row does not answer it already) and
  the record's other cases run the one rule as plain SQL (`queries._visible_sql`, checked
  against `cases_visible_to` for every persona) instead of building and compiling the ORM
  rule (~3.5 ms of the page).
  Before: 13 queries, 16–17 ms in-process (full middleware stack), 18.6 ms server CPU.
  After: 10 queries, ~10.8 ms in-process, 13.4–13.8 ms server CPU (load average 4–5).
- then (valgrind instructions a request, 500-event page: 50.8M → 27.5M; 1-event page:
  30.5M → 16.6M): compiled queries (supportdesk/prepared.py) read plain rows with their
  converters worked out once, the feed's events as rows rather than model instances, the
  whole feed page cached under the digest of its items, and the top bar, bell, action bar,
  composer and related lists written in Python (supportdesk/layout.py,
  cases/display/html.py), byte for byte what the templates wrote. Quiet machine: SQLite
  445 req/s, p99 13.8 ms, 3.9 ms server CPU a page; PostgreSQL 147–157 req/s, p99 38–44 ms,
  6–7 ms (its driver, and planning the eight-table case row, 2 ms of PostgreSQL's CPU).

With --profile it starts no server: it seeds the same data, counts the case page's queries with
CaptureQueriesContext (for the long-feed case and for a one-event case, to show whether the
count grows with the feed) and prints the top 15 functions by cumulative time of rendering the
page in-process under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing as mp
import os
import pstats
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from typing import Any

import seed_data
from _common import Client, database_name, pct, start_gunicorn, stop, throwaway_env

AGENT = "bench-agent"
TARGET_RATE, TARGET_P99_MS = 300, 40
WARM_UP = 10  # requests per client before the clock starts
COMMENT_PATH = "/api/v1/cases/{number}/comments"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# ---- clients (each runs in its own process) ----------------------------------------------


def logged_in(base: str, username: str) -> Client:
    """A client holding the session of `username`, logged in through the login form."""
    client = Client(base)
    status, page = client.request("GET", "/accounts/login/")
    match = CSRF_INPUT.search(page.decode())
    if status != 200 or match is None:
        raise SystemExit(f"login page answered {status} without a CSRF token")
    form = {
        "username": username,
        "password": seed_data.BENCH_PASSWORD,
        "csrfmiddlewaretoken": match.group(1),
        "next": "/",
    }
    body = urllib.parse.urlencode(form).encode()
    status, _ = client.request(
        "POST", "/accounts/login/", body, **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    if status != 302 or "sessionid" not in client.cookies:
        raise SystemExit(f"logging in as {username} failed ({status})")
    return client


Call = Callable[[Client], tuple[int, bytes]]


def timed(client: Client, count: int, barrier, call: Call, ok: int):
    """Warm up, wait for the other clients, then time `count` calls: (latencies, errors, t0, t1)."""
    for _ in range(WARM_UP):
        call(client)
    barrier.wait(timeout=300)
    latencies, errors = [], 0
    started = time.perf_counter()
    for _ in range(count):
        before = time.perf_counter()
        status, data = call(client)
        latencies.append(time.perf_counter() - before)
        if status != ok:
            errors += 1
            if errors <= 3:
                print(f"  unexpected {status}: {data[:300]!r}", file=sys.stderr)
    return latencies, errors, started, time.perf_counter()


def get_worker(base: str, user: str | None, path: str, count: int, barrier, queue) -> None:
    client = logged_in(base, user) if user else Client(base)
    queue.put(timed(client, count, barrier, lambda c: c.request("GET", path), ok=200))


def comment_worker(base: str, token: str, number: str, count: int, barrier, queue) -> None:
    path = COMMENT_PATH.format(number=number)

    def post(client: Client) -> tuple[int, bytes]:
        body = {"body": "Bench comment: **still** on it, see `Q-1001`.", "internal": False}
        return client.request("POST", path, json.dumps(body).encode())

    queue.put(timed(Client(base, token), count, barrier, post, ok=201))


def run_synced(
    clients: int, target, args_for, on_start: Callable[[], Any]
) -> tuple[float, list[float], int]:
    """Run client processes that start the clock together (logged in and warmed up), calling
    `on_start` then; the time runs from the first client's start to the last one's end."""
    queue: mp.Queue = mp.Queue()
    barrier = mp.Barrier(clients + 1)
    procs = [
        mp.Process(target=target, args=(*args_for(i), barrier, queue), daemon=True)
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=300)
    on_start()
    results = collect(queue, procs)
    for p in procs:
        p.join()
    elapsed = max(r[3] for r in results) - min(r[2] for r in results)
    latencies = sorted(x for r in results for x in r[0])
    return elapsed, latencies, sum(r[1] for r in results)


def collect(queue: mp.Queue, procs: list[mp.Process]) -> list[Any]:
    """Every client's result; stop if a client died instead of waiting for it forever."""
    results = []
    while len(results) < len(procs):
        try:
            results.append(queue.get(timeout=1))
        except Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                raise SystemExit("a client process failed (see above)") from None
    return results


def figures(label: str, elapsed: float, lat: list[float], errors: int) -> str:
    return (
        f"{label:<12}{len(lat) / elapsed:8.1f} req/s   p50 {pct(lat, 0.5):6.2f} ms   "
        f"p90 {pct(lat, 0.9):6.2f} ms   p99 {pct(lat, 0.99):6.2f} ms   errors {errors}"
    )


def shares(total: int, clients: int) -> list[int]:
    return [total // clients + (i < total % clients) for i in range(clients)]


def workers_cpu(master: int) -> dict[int, float]:
    """CPU seconds used so far by each gunicorn worker (children of `master`); {} off Linux."""
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # fields[1] is the parent's pid
            used[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return used


def cpu_split(before: dict[int, float], after: dict[int, float], requests: int) -> str:
    spent = sorted((after[pid] - before.get(pid, 0.0) for pid in after), reverse=True)
    each = " + ".join(f"{s:.1f}" for s in spent)
    per_request = sum(spent) / requests * 1000
    return f"server CPU by worker {each} s, {per_request:.1f} ms per request"


# ---- data (in this process, with the server's environment) -------------------------------


def prepare(env: dict[str, str], cases: int, events: int) -> tuple[seed_data.Seeded, float]:
    """Migrate and seed the throw-away database; returns what was seeded and migrate's time."""
    seed_data.setup_django(env)
    started = time.perf_counter()
    seed_data.migrate()
    migrated = time.perf_counter() - started
    return seed_data.seed(cases=cases, feed_events=events), migrated


def agent_token() -> str:
    from django.contrib.auth import get_user_model

    from supportdesk.people.services import token_create

    agent = get_user_model().objects.get(username=AGENT)
    return token_create(user=agent, name="bench", scope="read+write")[1]


def feed_size(number: str) -> int:
    from supportdesk.cases.models import CaseEvent

    return CaseEvent.objects.filter(case_id=int(number)).count()


def cache_name(env: dict[str, str]) -> str:
    return env.get("CACHE_URL", "").split("://")[0] or "locmem"


def close_db() -> None:
    """Close this process's connections before forking clients (they never use them)."""
    from django.db import connections

    connections.close_all()


# ---- the served benchmark ----------------------------------------------------------------


def comments_available(base: str, token: str) -> bool:
    status, data = Client(base, token).request("GET", "/api/v1/openapi.json")
    if status != 200:
        return False
    return "post" in json.loads(data).get("paths", {}).get(COMMENT_PATH, {})


def page_size(base: str, path: str) -> int:
    status, page = logged_in(base, AGENT).request("GET", path)
    if status != 200:
        raise SystemExit(f"GET {path} as {AGENT} answered {status}")
    return len(page)


def measure(
    label: str, server: subprocess.Popen, clients: int, target, args_for
) -> tuple[float, float, int]:
    """Run one scenario, print its figures and the server's CPU by worker: (rate, p99, errors)."""
    before: dict[int, float] = {}
    elapsed, lat, errors = run_synced(
        clients, target, args_for, lambda: before.update(workers_cpu(server.pid))
    )
    print(figures(label, elapsed, lat, errors))
    if before:
        print(f"{'':12}{cpu_split(before, workers_cpu(server.pid), len(lat))}")
    return len(lat) / elapsed, pct(lat, 0.99), errors


def bench_pages(
    args: argparse.Namespace, base: str, server: subprocess.Popen, seeded: seed_data.Seeded
) -> int:
    """The long-feed case's page, then a one-event case's page of the same team."""
    path, small_path = f"/cases/{seeded.target}/", f"/cases/{seeded.small}/"
    print(f"page:       GET {path} as {AGENT} (team agent, session): {page_size(base, path):,} B")
    parts = shares(args.n, args.clients)
    rate, p99, errors = measure(
        "case page:", server, args.clients, get_worker, lambda i: (base, AGENT, path, parts[i])
    )
    met = "met" if rate >= TARGET_RATE and p99 <= TARGET_P99_MS else "NOT met"
    print(f"target:     case page ≥ {TARGET_RATE} req/s with p99 ≤ {TARGET_P99_MS} ms — {met}")
    size = page_size(base, small_path)
    print(f"page:       GET {small_path}, a case with 1 event, for comparison: {size:,} B")
    errors += measure(
        "1-event:", server, args.clients, get_worker, lambda i: (base, AGENT, small_path, parts[i])
    )[2]
    return errors


def bench_comments(
    args: argparse.Namespace, base: str, server: subprocess.Popen, token: str, number: str
) -> int:
    if not args.comments:
        return 0
    if not comments_available(base, token):
        print(f"comment:    comment endpoint not available yet — skipped ({COMMENT_PATH})")
        return 0
    print(f"posting:    POST {COMMENT_PATH.format(number=number)} as {AGENT} (Bearer token)")
    parts = shares(args.comments, args.clients)
    errors = measure(
        "comment:", server, args.clients, comment_worker, lambda i: (base, token, number, parts[i])
    )[2]
    print(f"feed:       now {feed_size(number)} events (comments, warm-up's too, accumulate)")
    return errors


def bench_trivial(args: argparse.Namespace, base: str, server: subprocess.Popen) -> int:
    parts = shares(args.n, args.clients)
    return measure(
        "trivial:", server, args.clients, get_worker, lambda i: (base, None, "/healthz", parts[i])
    )[2]


def serve_and_measure(args: argparse.Namespace, env: dict[str, str], tmp: str) -> int:
    load = os.getloadavg()[0]
    seeded, migrated = prepare(env, args.cases, args.events)
    token = agent_token()
    close_db()
    base, server = start_gunicorn(env, tmp, args.workers)
    try:
        print(
            f"supportdesk case page benchmark — {base}, database {database_name()}, "
            f"cache {cache_name(env)}, "
            f"{args.workers} server processes, {args.clients} clients, "
            f"load average {load:.2f} before seeding"
        )
        print(
            f"data:       {seeded.cases} cases generated in {seeded.seconds:.1f} s "
            f"(migrate {migrated:.1f} s)"
        )
        print(f"case:       {seeded.target}: {seeded.describe_feed()}, {seeded.attachments} files")
        errors = bench_pages(args, base, server, seeded)
        errors += bench_comments(args, base, server, token, seeded.target)
        return errors + bench_trivial(args, base, server)
    finally:
        stop(server)


# ---- --profile: in-process, no server ----------------------------------------------------


def page_queries(user: Any, path: str) -> tuple[list[dict[str, str]], float]:
    """The queries of one GET of `path` as `user` (whole middleware stack), and their time."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    spent: list[float] = []

    def timer(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - started)

    client = DjangoClient()
    client.force_login(user)
    client.get(path)  # warm: the first request loads templates and caches
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return captured.captured_queries, sum(spent) * 1000


def view_request(user: Any, path: str) -> tuple[Callable[[], Any], int]:
    """A callable running the page's view as the server would, and the response's size."""
    from django.contrib.messages.storage import default_storage
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django.urls import resolve
    from django_htmx.middleware import HtmxDetails

    def call() -> Any:
        request = RequestFactory().get(path)
        request.user, request.session = user, SessionStore()
        request._messages = default_storage(request)
        request.htmx = HtmxDetails(request)
        request.resolver_match = match = resolve(path)
        return match.func(request, *match.args, **match.kwargs)

    return call, len(call().content)


def shape(sql: str) -> str:
    """A query with its literals blanked, to spot the same query run many times."""
    sql = re.sub(r"'[^']*'", "?", sql)
    return re.sub(r"\b\d+\b", "?", sql)


def print_queries(label: str, queries: list[dict[str, str]], ms: float) -> None:
    print(f"queries:    {len(queries)} for {label}, {ms:.1f} ms SQL")
    for sql, count in Counter(shape(q["sql"]) for q in queries).most_common():
        print(f"  {count:4d} × {sql[:140]}")


def print_profile(call: Callable[[], Any], runs: int) -> None:
    """Top 15 functions by cumulative time, by own time, and our own code's, of `runs` renders."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        call()
    profiler.disable()
    for order, title in (("cumulative", "cumulative"), ("tottime", "own")):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(15)
        table = out.getvalue().split("filename:lineno(function)", 1)[-1].strip("\n")
        print(f"profile:    {runs} renders, top 15 by {title} time (seconds for all {runs}):")
        print("   ncalls  tottime  percall  cumtime  percall filename:lineno(function)")
        print(table.rstrip())
    print("profile:    supportdesk's own functions by cumulative time, per render:")
    for line in project_hotspots(pstats.Stats(profiler), runs, 15):
        print(line)


def project_hotspots(stats: pstats.Stats, runs: int, limit: int) -> list[str]:
    """Our functions (under src/supportdesk) by cumulative time: ms and calls per render."""
    ours = [
        (cumulative, calls, f"{Path(filename).name}:{line}({name})")
        for (filename, line, name), (_, calls, _, cumulative, _) in stats.stats.items()
        if f"{os.sep}supportdesk{os.sep}" in filename
    ]
    ours.sort(reverse=True)
    return [
        f"  {cumulative / runs * 1000:8.2f} ms {calls / runs:8.0f} calls  {where}"
        for cumulative, calls, where in ours[:limit]
    ]


def view_time(user: Any, path: str, runs: int) -> tuple[Callable[[], Any], float, int]:
    """The view as a callable, its mean time in ms over `runs` calls, and the page's size."""
    call, size = view_request(user, path)
    started = time.perf_counter()
    for _ in range(runs):
        call()
    return call, (time.perf_counter() - started) / runs * 1000, size


def profile(args: argparse.Namespace, env: dict[str, str]) -> None:
    load = os.getloadavg()[0]
    seeded, _ = prepare(env, args.cases, args.events)
    from django.contrib.auth import get_user_model

    agent = get_user_model().objects.get(username=AGENT)
    path, small_path = f"/cases/{seeded.target}/", f"/cases/{seeded.small}/"
    print(
        f"supportdesk case page profile — in-process, database {database_name()}, "
        f"cache {cache_name(env)}, "
        f"load average {load:.2f} before seeding"
    )
    print(f"data:       {seeded.cases} cases generated in {seeded.seconds:.1f} s")
    print(f"case:       {seeded.target}: {seeded.describe_feed()}, {seeded.attachments} files")
    print_queries(f"GET {path} ({seeded.feed_events} events)", *page_queries(agent, path))
    small, ms = page_queries(agent, small_path)
    print(f"queries:    {len(small)} for GET {small_path} (1 event), {ms:.1f} ms SQL")
    call, mean, size = view_time(agent, path, args.profile_runs)
    _, small_mean, small_size = view_time(agent, small_path, args.profile_runs)
    print(
        f"view:       {mean:.1f} ms, {size:,} B for {path}; {small_mean:.1f} ms, "
        f"{small_size:,} B for {small_path} (mean of {args.profile_runs}, no profiler)"
    )
    print_profile(call, args.profile_runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="case page requests")
    parser.add_argument("--comments", type=int, default=400, help="comments to post (0: none)")
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the database")
    parser.add_argument("--events", type=int, default=500, help="feed events of the case")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--profile", action="store_true", help="in-process queries and cProfile")
    parser.add_argument("--profile-runs", type=int, default=20, help="renders to profile")
    parser.add_argument(
        "--cache",
        default=os.environ.get("CACHE_URL", ""),
        help="the server's CACHE_URL (default: locmem, each process its own; dummy:// = none)",
    )
    args = parser.parse_args()

    env, tmp = throwaway_env()
    env["CACHE_URL"] = args.cache
    try:
        if args.profile:
            profile(args, env)
        elif serve_and_measure(args, env, tmp):
            sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
