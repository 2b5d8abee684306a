#!/usr/bin/env python3
"""File a support request from a script with a personal API token (standard library only).

Create a token on Settings › API tokens (scope "Read and write"), then:

    export SUPPORTDESK_URL=https://support.example.com SUPPORTDESK_TOKEN=sd_…
    python file_request.py 006ACME0001 "Deal Desk" "Quote Help" "Which approval do we need?" \\
        --sub-request "Quote Question" --detail quote_url=https://crm.example.com/q/1

It prints the new case's number and link. The call carries an `Idempotency-Key`: a retry after
a network error, a 429 (rate limit) or a 502/503/504 returns the same case, never a second one.
Team, request type and sub-request names and the `details` fields are listed by
GET /api/v1/catalog?kind=<record kind>.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

RETRY_STATUSES = {429, 502, 503, 504}


class RequestFailed(Exception):
    """The API refused the request; `problem` is its RFC 9457 problem detail."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        lines = [f"{status}: {problem.get('detail') or problem.get('title', 'error')}"]
        lines += [f"  {e['field']}: {e['message']}" for e in problem.get("errors", [])]
        super().__init__("\n".join(lines))
        self.status = status
        self.problem = problem


def file_request(
    base_url: str,
    token: str,
    body: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """POST /api/v1/cases; returns the case (201 new, or 200 for a key seen before)."""
    if not base_url.startswith(("https://", "http://")):
        raise ValueError(f"The URL must start with https:// (or http://), not {base_url!r}.")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        base_url.rstrip("/") + "/api/v1/cases",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
        },
    )
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as err:
            if err.code in RETRY_STATUSES and attempt < attempts:
                sleep(float(err.headers.get("Retry-After") or 2**attempt))
                continue
            try:
                problem = json.load(err)
            except ValueError:
                problem = {"title": err.reason}
            raise RequestFailed(err.code, problem) from None
        except urllib.error.URLError:
            if attempt == attempts:
                raise
            sleep(2**attempt)
    raise AssertionError("unreachable")


def _detail(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"use NAME=VALUE, not {text!r}")
    return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="File a support request.")
    parser.add_argument("record", help="external id of the CRM record, e.g. 006ACME0001")
    parser.add_argument("team")
    parser.add_argument("request_type")
    parser.add_argument("description")
    parser.add_argument("--sub-request")
    parser.add_argument("--priority", default="Medium", help="Low, Medium, High or Urgent")
    parser.add_argument("--detail", type=_detail, action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--url", default=os.environ.get("SUPPORTDESK_URL"))
    parser.add_argument("--token", default=os.environ.get("SUPPORTDESK_TOKEN"))
    args = parser.parse_args(argv)
    if not args.url or not args.token:
        parser.error("give --url and --token, or set SUPPORTDESK_URL and SUPPORTDESK_TOKEN")
    body = {
        "record": args.record,
        "team": args.team,
        "request_type": args.request_type,
        "sub_request": args.sub_request,
        "priority": args.priority,
        "description": args.description,
        "details": dict(args.detail),
    }
    try:
        case = file_request(args.url, args.token, body)
    except RequestFailed as err:
        print(err, file=sys.stderr)
        return 1
    print(f"Case {case['number']}: {case['url']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
