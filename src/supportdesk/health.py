"""Endpoints for load balancers: /healthz (the process is alive) and /readyz (it can serve).

"A worker seen" is read from the database, which every web process and worker shares: each
periodic job's `Schedule.last_run_at` is written by the worker that runs its tick, and the
`worker.heartbeat` job ticks every WORKER_HEARTBEAT_SECONDS. So the newest `last_run_at` is
the last time any worker, on any machine, took a task from the queue (not merely that its
process exists). The table has one row per job, so the check is one tiny query.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

_migrations_applied = False  # once true, stays true for this process (code cannot change)


def heartbeat() -> str:
    """The `worker.heartbeat` periodic job: running it is the heartbeat (see the module)."""
    return "ok"


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and serving requests (no database, session or login)."""
    return HttpResponse("ok\n", content_type="text/plain")


def pending_migrations() -> int:
    """How many migrations the code has that the database has not applied."""
    global _migrations_applied
    if _migrations_applied:
        return 0
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    _migrations_applied = not plan
    return len(plan)


def worker_last_seen() -> dt.datetime | None:
    """When a worker last ran a periodic tick (None: never)."""
    from supportdesk.notify.models import Schedule

    return Schedule.objects.aggregate(seen=Max("last_run_at"))["seen"]


def worker_required() -> bool:
    """Whether readiness needs a worker: tasks go through the database queue and the
    install has not opted out (READYZ_REQUIRE_WORKER=false for single-process installs)."""
    from supportdesk.notify.outbox import uses_outbox

    return settings.READYZ_REQUIRE_WORKER and uses_outbox()


def readiness() -> dict[str, str]:
    """Each check's state: "ok", or what is wrong."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return {"database": f"error: {error}"}
    checks = {"database": "ok"}
    pending = pending_migrations()
    checks["migrations"] = f"pending: {pending}" if pending else "ok"
    if worker_required():
        checks["worker"] = _worker_state()
    return checks


def _worker_state() -> str:
    try:
        seen = worker_last_seen()
    except DatabaseError:  # the table is missing: its migration is pending
        seen = None
    if seen is None:
        return "not seen yet"
    if timezone.now() - seen <= dt.timedelta(seconds=settings.READYZ_WORKER_MAX_AGE_SECONDS):
        return "ok"
    return f"not seen since {seen.isoformat(timespec='seconds')}"


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, migrations are applied and a worker is alive; else 503."""
    checks = readiness()
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse(checks, status=200 if ready else 503)
