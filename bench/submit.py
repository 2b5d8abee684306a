"""Benchmark: submit N cases through the HTTP API and print throughput and latency.

    python bench/submit.py                      # starts its own server on a temp SQLite DB
    DATABASE_URL=postgres://postgres@127.0.0.1/bench python bench/submit.py
    python bench/submit.py --url http://127.0.0.1:8000 --token sd_…   # an already running server

With no --url it creates a throw-away database (SQLite file in a temp dir, or the given
DATABASE_URL), migrates, creates a requester, an admin and tokens through the `supportdesk`
CLI, creates the record through the API, and serves the app with gunicorn (--workers, default
2; threads and keep-alive as in supportdesk/gunicorn_conf.py). Then --clients client
processes (default 4) each submit their share of --n cases over keep-alive connections,
and the same clients hit a trivial view (/healthz) for the framework's floor. It prints
cases/s, p50/p90/p99 latency, the trivial view's rate and the ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time

from _common import (
    Client,
    cli,
    database_name,
    pct,
    run_clients,
    start_gunicorn,
    stop,
    throwaway_env,
)


def sample_answers(fields: list[dict]) -> dict | None:
    """Valid answers for a schema without file fields (None if it needs files)."""
    values = {
        "text": "bench",
        "long_text": "bench run",
        "number": 5,
        "money": "1000",
        "percent": "5",
        "date": "2030-01-31",
        "picklist": None,
        "multi_picklist": None,
        "url": "https://crm.example.com/bench",
        "email": "bench@example.org",
        "checkbox": True,
    }
    answers = {}
    for field in fields:
        if not (field["required"] or field.get("required_if")):
            continue
        if field["type"] in ("file", "user", "record"):
            return None
        value = values[field["type"]]
        if field["type"] == "picklist":
            value = field["options"][0]
        if field["type"] == "multi_picklist":
            value = field["options"][:1]
        answers[field["name"]] = value
    return answers


def choose_request(client: Client) -> dict:
    status, data = client.request("GET", "/api/v1/catalog?kind=opportunity")
    assert status == 200, data
    for team in json.loads(data)["teams"]:
        for rt in team["request_types"]:
            subs = rt["sub_requests"] or [{"name": None, "fields": rt["fields"]}]
            for sub in subs:
                answers = sample_answers(sub["fields"])
                if answers is not None and len(answers) >= 2:
                    return {
                        "team": team["name"],
                        "request_type": rt["name"],
                        "sub_request": sub["name"],
                        "details": answers,
                    }
    raise SystemExit("no request type without file fields in the catalog")


def worker(base: str, token: str, body: dict, count: int, offset: int, queue) -> None:
    client = Client(base, token)
    latencies, errors = [], 0
    for i in range(count):
        payload = json.dumps(body | {"description": f"bench case {offset + i}"}).encode()
        started = time.perf_counter()
        status, data = client.request(
            "POST", "/api/v1/cases", payload, **{"Idempotency-Key": f"bench-{offset + i}"}
        )
        latencies.append(time.perf_counter() - started)
        if status != 201:
            errors += 1
            if errors <= 3:
                print(f"  unexpected {status}: {data[:300]!r}", file=sys.stderr)
    queue.put((latencies, errors))


def trivial_worker(base: str, token: str, count: int, queue) -> None:
    client = Client(base, token)
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        status, _ = client.request("GET", "/healthz")
        latencies.append(time.perf_counter() - started)
        assert status == 200
    queue.put((latencies, 0))


def start_server(workers: int) -> tuple[str, str, subprocess.Popen, str]:
    env, tmp = throwaway_env()
    cli(env, "migrate", "--verbosity", "0")
    cli(env, "user", "add", "bench-rep", "--password", "bench-password-1")
    cli(env, "user", "add", "bench-admin", "--password", "bench-password-1", "--admin")
    token = cli(env, "token", "create", "bench-rep").splitlines()[-1]
    admin_token = cli(env, "token", "create", "bench-admin").splitlines()[-1]
    base, server = start_gunicorn(env, tmp, workers)
    record = {
        "kind": "opportunity",
        "name": "Bench Corp — Renewal",
        "external_id": "006BENCH",
        "owner": "bench-rep",
        "account": None,
        "attributes": {"stage": "4-Proposal"},
    }
    status, data = Client(base, admin_token).request(
        "POST", "/api/v1/records", json.dumps(record).encode()
    )
    assert status in (200, 201), data
    return base, token, server, tmp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="an already running server (needs --token, --record)")
    parser.add_argument("--token")
    parser.add_argument("--record", default="006BENCH")
    parser.add_argument("--n", type=int, default=4000, help="cases to submit")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    args = parser.parse_args()

    server = tmp = None
    if args.url:
        base, token = args.url.rstrip("/"), args.token
    else:
        base, token, server, tmp = start_server(args.workers)
    try:
        client = Client(base, token)
        # Every case is the same request on one record: say so, or each is a 409 (duplicates).
        body = choose_request(client) | {
            "record": args.record,
            "priority": "Medium",
            "confirm_not_duplicate": True,
            "not_duplicate_reason": "bench",
        }
        database = database_name()
        print(
            f"supportdesk submit benchmark — {base}, database {database}, "
            f"{args.workers} server processes, {args.clients} clients, {args.n} cases"
        )
        print(f"request: {body['team']} / {body['request_type']} / {body['sub_request']}")
        run_clients(args.clients, worker, lambda i: (base, token, body, 25, -1000 * (i + 1)))
        share = args.n // args.clients
        elapsed, lat, errors = run_clients(
            args.clients, worker, lambda i: (base, token, body, share, i * share)
        )
        rate = len(lat) / elapsed
        print(
            f"submit:  {rate:8.1f} cases/s   p50 {pct(lat, 0.5):6.2f} ms   "
            f"p90 {pct(lat, 0.9):6.2f} ms   p99 {pct(lat, 0.99):6.2f} ms   errors {errors}"
        )
        t_elapsed, t_lat, _ = run_clients(
            args.clients, trivial_worker, lambda i: (base, token, share)
        )
        t_rate = len(t_lat) / t_elapsed
        print(
            f"trivial: {t_rate:8.1f} req/s     p50 {pct(t_lat, 0.5):6.2f} ms   "
            f"p90 {pct(t_lat, 0.9):6.2f} ms   p99 {pct(t_lat, 0.99):6.2f} ms"
        )
        print(
            f"ratio:   submit runs at {rate / t_rate:.0%} of the trivial view's rate "
            f"(mean submit {statistics.mean(lat) * 1000:.2f} ms)"
        )
        if errors:
            sys.exit(1)
    finally:
        stop(server)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
