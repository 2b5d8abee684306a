"""Sending one delivery, safely under retries, crashes and several workers.

An attempt takes a lease on the row (`sending_since`, committed before the SMTP conversation),
sends, then marks the row sent. A worker killed between the server's "250 OK" and that mark
leaves the lease to expire; the sweeper then queues the delivery again and it is sent once more
with the same Message-ID: at most one duplicate per killed worker, never a loss. Transient
failures (connection refused, timeouts, 4xx replies) are retried with backoff and jitter; the
last failure, or a permanent one (5xx), is recorded for the "Delivery problems" page.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from supportdesk.notify.emails import render_email
from supportdesk.notify.models import Delivery
from supportdesk.notify.outbox import enqueue_send, schedule_retry, uses_outbox

logger = logging.getLogger(__name__)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS)


def deliver(key: str) -> str:
    """Send delivery `key` if it is due and nobody else is sending it; what happened."""
    delivery = _begin_attempt(key, now=timezone.now())
    if delivery is None:
        return "skipped"
    try:
        message = render_email(delivery)
        if message.send() != 1:
            raise smtplib.SMTPException("The email backend sent nothing.")
    except Exception as error:  # every failure is recorded; transient ones are retried
        return _attempt_failed(delivery, error)
    _attempt_succeeded(delivery)
    return "sent"


@transaction.atomic
def _begin_attempt(key: str, *, now: dt.datetime) -> Delivery | None:
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("user", "case__team")
        .filter(key=key)
        .first()
    )
    if delivery is None or delivery.state != Delivery.State.PENDING:
        return None
    if delivery.sending_since is not None and delivery.sending_since > now - lease():
        return None  # another worker is sending it right now
    if delivery.next_attempt_at > now + dt.timedelta(seconds=1):
        return None  # an early copy of the task (the sweeper's); the right one comes later
    if not delivery.user.is_active or not delivery.user.email:
        delivery.state = Delivery.State.SKIPPED
        delivery.save(update_fields=["state"])
        return None
    delivery.attempts += 1
    delivery.sending_since = now
    delivery.save(update_fields=["attempts", "sending_since"])
    return delivery


def _attempt_succeeded(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.SENT, sent_at=timezone.now(), sending_since=None, last_error=""
    )


def _attempt_failed(delivery: Delivery, error: Exception) -> str:
    now = timezone.now()
    delivery.sending_since = None
    delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
    with transaction.atomic():
        retry = (
            is_transient(error)
            and delivery.attempts < settings.NOTIFY_MAX_ATTEMPTS
            and schedule_retry(delivery, now=now)
        )
        if not retry:
            delivery.state, delivery.failed_at = Delivery.State.FAILED, now
        delivery.save(
            update_fields=[
                "sending_since",
                "last_error",
                "state",
                "failed_at",
                "next_attempt_at",
                "task_id",
            ]
        )
    log = logger.info if retry else logger.warning
    log("Email %s attempt %d failed: %s", delivery.key, delivery.attempts, delivery.last_error)
    return "retry" if retry else "failed"


def is_transient(error: Exception) -> bool:
    """Worth trying again: the server is down, slow, or answered 4xx."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, OSError)  # refused, reset, timed out, disconnected


def sweep_stalled(*, now: dt.datetime | None = None) -> int:
    """Queue again the deliveries whose task was lost: a worker died while sending (the lease
    expired) or before it began. Deliveries whose task is still waiting are left alone."""
    if not uses_outbox():
        return 0
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    waiting = DBTaskResult.objects.filter(pk=OuterRef("task_id"), status="READY")
    stalled = Delivery.objects.filter(
        Q(sending_since__isnull=True) | Q(sending_since__lt=now - lease()),
        state=Delivery.State.PENDING,
        next_attempt_at__lt=now - lease(),
    ).exclude(Exists(waiting))
    count = 0
    for key in stalled.values_list("key", flat=True)[:1000]:
        with transaction.atomic():
            Delivery.objects.filter(key=key).update(task_id=enqueue_send(key))
        count += 1
    if count:
        logger.warning("Queued %d stalled email(s) again.", count)
    return count
