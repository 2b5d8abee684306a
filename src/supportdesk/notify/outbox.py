"""The email outbox: a `Delivery` row and the task that sends it, written together in the
transaction of the change that causes them (nothing is sent for a change that rolled back;
nothing is lost once it committed)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from supportdesk.cases.models import Case
from supportdesk.notify.models import Delivery


def new_key() -> str:
    """An idempotency key: the Message-ID of every attempt at this email is made from it."""
    return uuid.uuid4().hex


def uses_outbox() -> bool:
    """True when tasks are rows in the database (the outbox), run later by a worker."""
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def enqueue_send(key: str, *, run_after: dt.datetime | None = None) -> uuid.UUID | None:
    """Queue the task that sends delivery `key`; its id when the tasks live in the database."""
    from supportdesk.notify.tasks import send_email

    task = send_email.using(run_after=run_after) if run_after else send_email
    result = task.enqueue(key)
    return uuid.UUID(str(result.id)) if uses_outbox() else None


def enqueue_sends(keys: Sequence[str]) -> list[uuid.UUID]:
    """Queue the send tasks of many deliveries in one insert: the database backend's rows as
    its `enqueue` writes them (django-tasks has no bulk enqueue), and its `task_enqueued`."""
    from django_tasks.signals import task_enqueued
    from django_tasks_db.models import DBTaskResult, get_date_max

    from supportdesk.notify.tasks import send_email

    backend = send_email.get_backend()
    backend.validate_task(send_email)
    rows = DBTaskResult.objects.bulk_create(
        DBTaskResult(
            id=uuid.uuid4(),
            args_kwargs={"args": [key], "kwargs": {}},
            priority=send_email.priority,
            task_path=send_email.module_path,
            queue_name=send_email.queue_name,
            run_after=get_date_max(),  # "as soon as possible", as the backend stores it
            backend_name=backend.alias,
        )
        for key in keys
    )
    for row in rows:
        task_enqueued.send(type(backend), task_result=row.task_result)
    return [row.id for row in rows]


def queue_emails(
    users: Sequence[AbstractBaseUser],
    *,
    kind: str,
    case: Case | None,
    title: str,
    body: str = "",
    url: str = "",
    context: dict[str, Any] | None = None,
    keys: Sequence[str] | None = None,
) -> list[Delivery]:
    """One email of the same content to each user (see `queue_deliveries`)."""
    keys = keys or [new_key() for _ in users]
    return queue_deliveries(
        [
            Delivery(
                key=key,
                user=user,
                kind=kind,
                case=case,
                title=title,
                body=body,
                url=url,
                context=context or {},
            )
            for key, user in zip(keys, users, strict=True)
        ]
    )


def queue_deliveries(deliveries: list[Delivery]) -> list[Delivery]:
    """Write the deliveries and their send tasks, in the caller's transaction (or a new one).

    With another task backend (immediate), the sends are queued once the transaction commits.
    """
    if not deliveries:
        return []
    for delivery in deliveries:
        delivery.key = delivery.key or new_key()
        delivery.title = delivery.title[:300]
    with transaction.atomic(savepoint=False):
        if uses_outbox():
            task_ids = enqueue_sends([d.key for d in deliveries])
            for delivery, task_id in zip(deliveries, task_ids, strict=True):
                delivery.task_id = task_id
            Delivery.objects.bulk_create(deliveries)
        else:
            Delivery.objects.bulk_create(deliveries)
            transaction.on_commit(lambda: [enqueue_send(d.key) for d in deliveries])
    return deliveries


def backoff(attempt: int) -> dt.timedelta:
    """Exponential backoff with jitter: half the doubled delay fixed, half random."""
    base = settings.NOTIFY_RETRY_BASE_SECONDS
    ceiling = min(settings.NOTIFY_RETRY_MAX_SECONDS, base * 2 ** max(attempt - 1, 0))
    return dt.timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def schedule_retry(delivery: Delivery, *, now: dt.datetime) -> bool:
    """Try again after the backoff (the caller saves the row, in its transaction). False when
    no worker can run a deferred task (immediate backend): the caller records the failure."""
    if not uses_outbox():
        return False
    delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.task_id = enqueue_send(delivery.key, run_after=delivery.next_attempt_at)
    return True


def retry_now(delivery: Delivery) -> None:
    """A fresh set of attempts for a failed delivery, starting now."""
    delivery.state = Delivery.State.PENDING
    delivery.attempts = 0
    delivery.failed_at = None
    delivery.sending_since = None
    delivery.next_attempt_at = timezone.now()
    fields = ["state", "attempts", "failed_at", "sending_since", "next_attempt_at"]
    delivery.save(update_fields=fields)
    if uses_outbox():
        delivery.task_id = enqueue_send(delivery.key)
        delivery.save(update_fields=["task_id"])
    else:
        key = delivery.key
        transaction.on_commit(lambda: enqueue_send(key))
