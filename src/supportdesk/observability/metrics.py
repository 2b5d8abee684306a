"""Prometheus metrics in the text exposition format, written by hand (no client library).

HTTP counters live in each process's memory: with several gunicorn workers every worker counts
the requests it served, and a scrape of /metrics is answered by whichever worker accepts it.
So each HTTP series carries a `pid` label: every worker's counters are their own series (each
only ever grows, so `rate()` works), and `sum without (pid)` adds the workers up. A worker
that is not scraped for a while just shows up less often; a restarted worker starts new series.
The gauges (queue depth, failed tasks, open cases) are read from the database on each scrape,
so every worker reports the same values.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable

from django.db.models import Count

# Seconds; Prometheus's usual web-latency buckets.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class HttpMetrics:
    """Requests by method and status class and a latency histogram, for one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # gthread workers serve several requests at once
        self.requests: dict[tuple[str, str], int] = {}
        self.bucket_counts = [0] * len(BUCKETS)
        self.count = 0
        self.total_seconds = 0.0

    def observe(self, method: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        key = (method if method in METHODS else "other", f"{status // 100}xx")
        with self._lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            self.count += 1
            self.total_seconds += seconds
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.bucket_counts[index] += 1

    def lines(self) -> list[str]:
        """This process's series in the exposition format."""
        pid = f'pid="{os.getpid()}"'
        with self._lock:
            requests = sorted(self.requests.items())
            buckets, count, total = list(self.bucket_counts), self.count, self.total_seconds
        out = [
            "# HELP supportdesk_http_requests_total HTTP requests served by this process.",
            "# TYPE supportdesk_http_requests_total counter",
        ]
        out += [
            f'supportdesk_http_requests_total{{{pid},method="{method}",status="{status}"}} {n}'
            for (method, status), n in requests
        ]
        name = "supportdesk_http_request_duration_seconds"
        out += [
            f"# HELP {name} Time from the request reaching the app to the response leaving it.",
            f"# TYPE {name} histogram",
        ]
        out += [
            f'{name}_bucket{{{pid},le="{bound}"}} {n}'
            for bound, n in zip(BUCKETS, buckets, strict=True)
        ]
        out += [
            f'{name}_bucket{{{pid},le="+Inf"}} {count}',
            f"{name}_sum{{{pid}}} {total:.6f}",
            f"{name}_count{{{pid}}} {count}",
        ]
        return out


http_metrics = HttpMetrics()


def _gauge(name: str, help_text: str, samples: Iterable[tuple[str, int]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [f"{name}{labels} {value}" for labels, value in samples]
    return lines


def database_lines() -> list[str]:
    """Gauges read from the database: three small aggregate queries on indexed columns."""
    from django.conf import settings
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from supportdesk.cases.models import OPEN_STATUSES, Case

    queues = dict.fromkeys(settings.TASKS["default"].get("QUEUES", ["default"]), 0)
    for row in (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .values("queue_name")
        .annotate(n=Count("id"))
    ):
        queues[row["queue_name"]] = row["n"]
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count()
    open_cases = dict.fromkeys(OPEN_STATUSES, 0)
    for row in (
        Case.objects.filter(status__in=OPEN_STATUSES).values("status").annotate(n=Count("id"))
    ):
        open_cases[row["status"]] = row["n"]
    return [
        *_gauge(
            "supportdesk_tasks_ready",
            "Tasks waiting in the database queue for a worker.",
            ((f'{{queue="{queue}"}}', n) for queue, n in sorted(queues.items())),
        ),
        *_gauge(
            "supportdesk_tasks_failed",
            "Failed task results kept (TASK_RESULT_RETENTION_DAYS).",
            [("", failed)],
        ),
        *_gauge(
            "supportdesk_cases_open",
            "Cases not yet resolved or closed, by status.",
            ((f'{{status="{status}"}}', n) for status, n in open_cases.items()),
        ),
    ]


def render() -> str:
    """The whole /metrics page."""
    return "\n".join([*http_metrics.lines(), *database_lines()]) + "\n"
