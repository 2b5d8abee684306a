"""Hourly tidying, as a periodic task: expired uploads, old finished task results and expired
idempotency keys."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from supportdesk.cases.services import purge_expired_uploads


def prune_task_results(*, now: dt.datetime | None = None) -> int:
    """Delete finished task rows older than TASK_RESULT_RETENTION_DAYS (deliveries stay)."""
    from supportdesk.notify.outbox import uses_outbox

    if not uses_outbox():
        return 0
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def tidy_up() -> dict[str, int]:
    from supportdesk.api.idempotency import purge_expired_keys

    return {
        "uploads": purge_expired_uploads(),
        "task_results": prune_task_results(),
        "idempotency_keys": purge_expired_keys(),
    }
