"""Periodic work through the task queue (`run_after`), not cron.

Each job has a `Schedule` row. A tick locks it, checks that it is due, moves `next_run_at` on
and queues the next tick in the same transaction, then does the work. Two copies of a tick (two
workers, or a worker that queued one at start-up) cannot both pass the check, so the chain never
forks; a chain lost with a killed worker is started again by the next `supportdesk worker`.
The jobs themselves work from the database's state (whose digest is due, which cases wait), so
a tick that is skipped or fails is made up by the next one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from supportdesk.notify.models import Schedule

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    function: str  # dotted path, imported when the job runs
    every_setting: str  # the setting that holds its period in seconds

    @property
    def every(self) -> dt.timedelta:
        return dt.timedelta(seconds=max(float(getattr(settings, self.every_setting)), 0.1))

    def run(self) -> Any:
        function: Callable[[], Any] = import_string(self.function)
        return function()


JOBS = {
    job.name: job
    for job in (
        Job("deliveries.sweep", "supportdesk.notify.sending.sweep_stalled", "NOTIFY_SWEEP_SECONDS"),
        Job(
            "digests", "supportdesk.notify.digests.send_due_digests", "NOTIFY_DIGEST_CHECK_SECONDS"
        ),
        Job(
            "reminders",
            "supportdesk.notify.reminders.remind_and_close",
            "NOTIFY_REMINDER_CHECK_SECONDS",
        ),
        Job("housekeeping", "supportdesk.notify.housekeeping.tidy_up", "HOUSEKEEPING_SECONDS"),
        Job("sla", "supportdesk.sla.engine.sweep", "SLA_CHECK_SECONDS"),
        Job("worker.heartbeat", "supportdesk.health.heartbeat", "WORKER_HEARTBEAT_SECONDS"),
    )
}


def _queue_tick(name: str, run_after: dt.datetime | None = None) -> None:
    from supportdesk.notify.tasks import run_periodic

    (run_periodic.using(run_after=run_after) if run_after else run_periodic).enqueue(name)


def tick(name: str) -> str:
    job = JOBS.get(name)
    if job is None:
        return "unknown job"
    with transaction.atomic():
        now = timezone.now()
        schedule = Schedule.objects.select_for_update().filter(name=name).first()
        if schedule is None or schedule.next_run_at > now:
            return "not due"  # a copy: another tick already moved the schedule on
        schedule.last_run_at = now
        schedule.next_run_at = now + job.every
        schedule.save(update_fields=["last_run_at", "next_run_at"])
        _queue_tick(name, schedule.next_run_at)
    result = job.run()
    return f"ran: {result}"


def ensure_schedules(*, now: dt.datetime | None = None) -> list[str]:
    """Start each job's chain if it has none, or if it is more than a period overdue (its
    tick was lost). Safe to call from every worker at once; returns the jobs started."""
    started = []
    for name, job in JOBS.items():
        if _ensure(name, job, now or timezone.now()):
            started.append(name)
    return started


def _ensure(name: str, job: Job, now: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            schedule = Schedule.objects.select_for_update().filter(name=name).first()
            if schedule is None:
                Schedule.objects.create(name=name, next_run_at=now)
            elif schedule.next_run_at < now - job.every - dt.timedelta(seconds=60):
                schedule.next_run_at = now
                schedule.save(update_fields=["next_run_at"])
            else:
                return False
            _queue_tick(name)
    except IntegrityError:  # another worker created it first: its chain runs
        return False
    logger.info("Started the periodic job %s.", name)
    return True
