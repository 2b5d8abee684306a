"""One attempt at a webhook, run by the task worker (never inside a web request).

An attempt takes a lease on the row (`sending_since`, committed before the request), POSTs the
signed payload with a timeout and no redirects, and records the response code, the duration
and any error. A 2xx reply is a success; anything else (another status, a refused connection,
a timeout, a refused address) is retried with backoff (`WEBHOOK_RETRY_DELAYS_SECONDS`) until
`WEBHOOK_MAX_ATTEMPTS` attempts, then the delivery is failed; an admin can redeliver it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supportdesk.notify.outbox import uses_outbox
from supportdesk.webhooks.addresses import AddressRefused, check_url, connect_checked
from supportdesk.webhooks.models import WebhookDelivery
from supportdesk.webhooks.outbox import enqueue_attempt
from supportdesk.webhooks.signing import signed_headers

logger = logging.getLogger(__name__)

USER_AGENT = "supportdesk-webhooks/1"
EXCERPT = 500  # characters of a failed reply's body kept in the log


@dataclass(frozen=True)
class Outcome:
    code: int | None
    duration_ms: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


def deliver(delivery_id: int) -> str:
    """Attempt delivery `delivery_id` if it is due and nobody else is sending it."""
    delivery = _begin_attempt(delivery_id, now=timezone.now())
    if delivery is None:
        return "skipped"
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Supportdesk-Event": delivery.event_kind,
        "Supportdesk-Delivery": delivery.event_id,
        **signed_headers(delivery.endpoint.secret, body),
    }
    outcome = post(delivery.endpoint.url, body, headers)
    return _record(delivery, outcome)


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to `url` (allowed addresses only, no redirects, a timeout): the outcome."""
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        check_url(url)
        parts = urlsplit(url)
        connection = _connection(parts.scheme, parts.hostname or "", parts.port)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("POST", target, body, headers)
            response = connection.getresponse()
            reply = response.read(EXCERPT).decode("utf-8", "replace")
        finally:
            connection.close()
    except (AddressRefused, OSError, http.client.HTTPException) as error:
        return Outcome(None, took(), f"{type(error).__name__}: {error}"[:2000])
    code = response.status
    error = "" if 200 <= code < 300 else f"HTTP {code} {response.reason}: {reply}".strip()
    return Outcome(code, took(), error[:2000])


def _connection(scheme: str, host: str, port: int | None) -> http.client.HTTPConnection:
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    cls = http.client.HTTPSConnection if scheme.lower() == "https" else http.client.HTTPConnection
    connection = cls(host, port, timeout=timeout)
    connection._create_connection = connect_checked  # type: ignore[attr-defined]
    return connection


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 60)


@transaction.atomic
def _begin_attempt(delivery_id: int, *, now: dt.datetime) -> WebhookDelivery | None:
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.state != WebhookDelivery.State.PENDING:
        return None
    if delivery.sending_since is not None and delivery.sending_since > now - lease():
        return None  # another worker is sending it right now
    if delivery.next_attempt_at > now + dt.timedelta(seconds=1):
        return None  # an early copy of the task (a redeliver's); the right one comes later
    if not delivery.endpoint.active:
        delivery.state, delivery.failed_at = WebhookDelivery.State.FAILED, now
        delivery.last_error = "The endpoint was deactivated."
        delivery.save(update_fields=["state", "failed_at", "last_error"])
        return None
    delivery.attempts += 1
    delivery.sending_since = delivery.last_attempt_at = now
    delivery.save(update_fields=["attempts", "sending_since", "last_attempt_at"])
    return delivery


def backoff(attempt: int) -> dt.timedelta:
    """The wait after failed attempt number `attempt` (1, 5, 30 minutes, 2 and 6 hours…)."""
    delays = settings.WEBHOOK_RETRY_DELAYS_SECONDS
    return dt.timedelta(seconds=float(delays[min(max(attempt, 1), len(delays)) - 1]))


def _record(delivery: WebhookDelivery, outcome: Outcome) -> str:
    now = timezone.now()
    delivery.sending_since = None
    delivery.response_code, delivery.duration_ms = outcome.code, outcome.duration_ms
    delivery.last_error = outcome.error
    fields = ["sending_since", "response_code", "duration_ms", "last_error", "state"]
    with transaction.atomic():
        if outcome.ok:
            delivery.state, delivery.succeeded_at = WebhookDelivery.State.SUCCEEDED, now
            delivery.save(update_fields=[*fields, "succeeded_at"])
            return "succeeded"
        retry = delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS and uses_outbox()
        if retry:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            enqueue_attempt(delivery.pk, run_after=delivery.next_attempt_at)
        else:
            delivery.state, delivery.failed_at = WebhookDelivery.State.FAILED, now
        delivery.save(update_fields=[*fields, "failed_at", "next_attempt_at"])
    log = logger.info if retry else logger.warning
    log("Webhook %s attempt %d failed: %s", delivery.pk, delivery.attempts, delivery.last_error)
    return "retry" if retry else "failed"
