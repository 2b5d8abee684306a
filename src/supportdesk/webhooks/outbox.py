"""Queueing webhooks: a `WebhookDelivery` per subscribed endpoint and the task that sends it,
written in the transaction of the change that causes them (the same outbox as emails: nothing
is sent for a change that rolled back; nothing is lost once it committed)."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from supportdesk.cases.models import CaseEvent
from supportdesk.notify.outbox import uses_outbox
from supportdesk.webhooks.events import SOURCES, event_id, kinds_for, payload
from supportdesk.webhooks.models import WebhookDelivery, WebhookEndpoint

SUBSCRIPTIONS_KEY = "webhooks:subscriptions"
SUBSCRIPTIONS_SECONDS = 300


def case_event_recorded(event: CaseEvent) -> list[WebhookDelivery]:
    """Queue the webhooks a new feed event causes, in the caller's transaction.

    Called wherever a case action writes its feed event (`cases.actions._event`,
    `cases.services._create_case`). Endpoints get only the kinds they subscribe to.
    """
    if event.internal or event.kind not in SOURCES:
        return []
    kinds = kinds_for(event)
    queued = []
    for endpoint_id, subscribed in subscriptions():
        for kind in kinds:
            if kind in subscribed:
                queued += _queue(endpoint_id, kind, event)
    return queued


def subscriptions() -> list[tuple[int, frozenset[str]]]:
    """The active endpoints and their event kinds, cached: every case event asks, admins
    change them rarely, and every change drops the cache (webhooks.signals)."""
    found = cache.get(SUBSCRIPTIONS_KEY)
    if found is None:
        rows = WebhookEndpoint.objects.filter(active=True).values_list("pk", "event_kinds")
        found = [(pk, frozenset(kinds)) for pk, kinds in rows.order_by("pk")]
        cache.set(SUBSCRIPTIONS_KEY, found, SUBSCRIPTIONS_SECONDS)
    return found


def forget_subscriptions() -> None:
    """Drop the cached subscriptions now and again once the change commits (so a reader
    between the two cannot keep what the change replaces)."""
    cache.delete(SUBSCRIPTIONS_KEY)
    transaction.on_commit(lambda: cache.delete(SUBSCRIPTIONS_KEY))


def _queue(endpoint_id: int, kind: str, event: CaseEvent) -> list[WebhookDelivery]:
    with transaction.atomic():
        delivery, created = WebhookDelivery.objects.get_or_create(
            endpoint_id=endpoint_id,
            event_id=event_id(event, kind),
            defaults={"event_kind": kind, "payload": payload(event, kind)},
        )
        if not created:
            return []  # this event was queued for this endpoint already
        enqueue_attempt(delivery.pk)
    return [delivery]


def enqueue_attempt(delivery_id: int, *, run_after: dt.datetime | None = None) -> None:
    """Queue the task that attempts delivery `delivery_id` (at `run_after`, or now).

    With the database backend the task row joins the caller's transaction; with another
    backend (immediate) it is queued once the transaction commits.
    """
    from supportdesk.webhooks.tasks import deliver_webhook

    task = deliver_webhook.using(run_after=run_after) if run_after else deliver_webhook
    if uses_outbox():
        task.enqueue(delivery_id)
    else:
        transaction.on_commit(lambda: task.enqueue(delivery_id))


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """A fresh set of attempts for a delivery, whatever its state, starting now.

    The receiver gets the same payload and id again (it can tell it has seen it).
    """
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        delivery.state = WebhookDelivery.State.PENDING
        delivery.attempts = 0
        delivery.failed_at = None
        delivery.sending_since = None
        delivery.next_attempt_at = timezone.now()
        delivery.save(
            update_fields=["state", "attempts", "failed_at", "sending_since", "next_attempt_at"]
        )
        enqueue_attempt(delivery.pk)
    return delivery
