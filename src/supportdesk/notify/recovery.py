"""Tasks left "running" by a worker that died (SIGKILL, out of memory, a lost machine).

django-tasks-db claims a task by marking its row RUNNING and never looks at it again: when the
worker dies mid-task the row stays RUNNING for ever and nothing runs the task. Every task of
supportdesk may run again safely (a send checks its delivery's state and lease; a periodic tick
checks its schedule), so a task RUNNING longer than TASK_STALE_SECONDS, far longer than any
task takes, goes back to the queue. Each `supportdesk worker` checks at start and then at most
every quarter of that period (capped at a minute), before the task it is about to run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

logger = logging.getLogger(__name__)


def requeue_stale_tasks(*, now: dt.datetime | None = None) -> int:
    """Put tasks RUNNING for longer than TASK_STALE_SECONDS back in the queue; how many."""
    from django_tasks_db.models import DBTaskResult

    from supportdesk.notify.outbox import uses_outbox

    if not uses_outbox():
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=settings.TASK_STALE_SECONDS)
    stale = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    count = stale.update(status="READY", started_at=None)  # worker_ids keeps the dead worker
    if count:
        logger.warning("Queued again %d task(s) left running by a worker that died.", count)
    return count


class StaleTaskRecovery:
    """A `task_started` receiver for one worker process: `requeue_stale_tasks` when due."""

    def __init__(self) -> None:
        self.every = min(settings.TASK_STALE_SECONDS / 4, 60.0)
        self.last = float("-inf")

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        if time.monotonic() - self.last < self.every:
            return
        self.last = time.monotonic()
        try:
            requeue_stale_tasks()
        except DatabaseError:  # never fail the task about to run; the next check tries again
            logger.exception("Could not queue again the tasks of dead workers.")
