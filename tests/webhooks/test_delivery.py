"""Case events become signed POSTs to a real receiver on loopback, made by the worker's task,
retried with backoff, logged, and never sent for a change that rolled back."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from supportdesk.cases.actions import add_comment, assign_case, close_case, reopen_case
from supportdesk.cases.models import CaseEvent, Resolution
from supportdesk.webhooks.models import WebhookDelivery
from supportdesk.webhooks.outbox import case_event_recorded, redeliver
from supportdesk.webhooks.sending import backoff
from supportdesk.webhooks.signing import verify_signature
from tests.factories import quote_question
from tests.webhooks.conftest import TASK_PATH, make_due, run_webhooks

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def kinds_sent(endpoint) -> list[str]:
    return sorted(endpoint.deliveries.values_list("event_kind", flat=True))


def test_case_events_queue_deliveries_for_the_subscribed_kinds_only(
    endpoint, rep, opportunity, deal_desk_agent
):
    lifecycle = endpoint("case.created", "case.closed")
    talk = endpoint("case.commented")
    case = quote_question(rep, opportunity)
    add_comment(case, author=deal_desk_agent, body="Looking at it now.")
    add_comment(case, author=deal_desk_agent, body="Internal: margin is thin.", internal=True)
    close_case(case, actor=deal_desk_agent, resolution=Resolution.RESOLVED, note="Quote fixed.")
    assert kinds_sent(lifecycle) == ["case.closed", "case.created"]
    assert kinds_sent(talk) == ["case.commented"]  # the internal note is never sent
    comment = talk.deliveries.get().payload
    assert comment["data"]["body"] == "Looking at it now."
    queued = DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY")
    assert sorted(r.args_kwargs["args"][0] for r in queued) == sorted(
        WebhookDelivery.objects.values_list("pk", flat=True)
    )


def test_nothing_is_queued_without_a_subscribed_active_endpoint(
    endpoint, rep, opportunity, deal_desk_agent
):
    endpoint("case.commented")
    inactive = endpoint("case.created")
    inactive.active = False
    inactive.save()
    quote_question(rep, opportunity)
    assert not WebhookDelivery.objects.exists()
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()


def test_the_worker_posts_a_signed_body_that_the_receiver_verifies(
    endpoint, receiver, rep, opportunity, settings
):
    settings.SITE_URL = "https://support.example.test"
    hook = endpoint("case.created")
    case = quote_question(rep, opportunity)
    run_webhooks()
    (request,) = receiver.requests
    assert request.verified
    assert request.path == "/hooks/supportdesk?source=test"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["supportdesk-event"] == "case.created"
    assert request.headers["supportdesk-signature"].startswith("v1=")
    body = request.json()
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.CREATED)
    assert body == {
        "id": f"evt_{event.pk}_case.created",
        "kind": "case.created",
        "occurred_at": event.created_at.isoformat(),
        "case": {
            "number": case.number,
            "subject": case.subject,
            "status": "new",
            "team": "Deal Desk",
            "request_type": "Quote Help",
            "priority": case.priority,
            "owner": None,
            "requester": "rita",
            "url": f"https://support.example.test/cases/{case.number}/",
        },
        "data": {"actor": "rita"},
    }
    delivery = hook.deliveries.get()
    assert delivery.state == "succeeded" and delivery.attempts == 1
    assert delivery.response_code == 200 and delivery.duration_ms is not None
    assert delivery.succeeded_at is not None and delivery.last_error == ""


def test_a_tampered_or_stale_request_does_not_verify(endpoint, receiver, rep, opportunity):
    hook = endpoint("case.created")
    quote_question(rep, opportunity)
    run_webhooks()
    (request,) = receiver.requests
    timestamp = request.headers["supportdesk-timestamp"]
    signed = request.headers["supportdesk-signature"]
    assert verify_signature(hook.secret, timestamp, request.body, signed)
    assert verify_signature(hook.secret, timestamp, request.body.decode(), f"v1=00, {signed}")
    assert not verify_signature(hook.secret, timestamp, request.body + b" ", signed)
    assert not verify_signature("whsec_other", timestamp, request.body, signed)
    assert not verify_signature(hook.secret, str(int(timestamp) + 1), request.body, signed)
    later = int(timestamp) + 301
    assert not verify_signature(hook.secret, timestamp, request.body, signed, now=later)
    assert verify_signature(hook.secret, timestamp, request.body, signed, 600, now=later)


def test_status_changes_closing_and_reopening_carry_their_facts(
    endpoint, receiver, rep, opportunity, deal_desk_agent
):
    endpoint("case.status_changed", "case.closed", "case.reopened", "case.updated")
    case = quote_question(rep, opportunity)
    assign_case(case, actor=deal_desk_agent, assignee=deal_desk_agent)
    close_case(case, actor=deal_desk_agent, resolution=Resolution.RESOLVED, note="Done.")
    reopen_case(case, actor=rep, reason="Still wrong.")
    run_webhooks()
    sent = [(r.json()["kind"], r.json()["data"]) for r in receiver.requests]
    assert all(r.verified for r in receiver.requests)
    by_kind: dict[str, list[dict]] = {}
    for kind, data in sent:
        by_kind.setdefault(kind, []).append(data)
    assert by_kind["case.updated"] == [
        {"actor": "dan", "change": "owner", "from": None, "to": "dan"}
    ]
    assert [(d["from"], d["to"]) for d in by_kind["case.status_changed"]] == [
        ("new", "work_in_progress"),
        ("work_in_progress", "closed"),
        ("closed", "work_in_progress"),
    ]
    assert by_kind["case.closed"] == [
        {
            "actor": "dan",
            "from": "work_in_progress",
            "to": "closed",
            "resolution": "resolved",
            "note": "Done.",
        }
    ]
    assert by_kind["case.reopened"][0]["reason"] == "Still wrong."


def test_a_rolled_back_change_sends_nothing(endpoint, receiver, rep, opportunity, deal_desk_agent):
    endpoint("case.created", "case.commented")
    with pytest.raises(Boom), transaction.atomic():
        case = quote_question(rep, opportunity)
        add_comment(case, author=deal_desk_agent, body="This will be rolled back")
        assert WebhookDelivery.objects.count() == 2  # queued inside…
        raise Boom
    assert not WebhookDelivery.objects.exists()  # …and gone with it
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()
    run_webhooks()
    assert receiver.requests == []


def test_the_same_event_is_queued_once_per_endpoint(endpoint, rep, opportunity):
    hook = endpoint("case.created")
    case = quote_question(rep, opportunity)
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.CREATED)
    assert case_event_recorded(event) == []  # a retried enqueue finds its delivery
    assert hook.deliveries.count() == 1


def test_a_500_reply_is_retried_with_backoff_and_logged(endpoint, receiver, rep, opportunity):
    hook = endpoint("case.created")
    receiver.statuses.extend([500])
    quote_question(rep, opportunity)
    started = timezone.now()
    run_webhooks()
    delivery = hook.deliveries.get()
    assert delivery.state == "pending" and delivery.attempts == 1
    assert delivery.response_code == 500 and delivery.duration_ms is not None
    assert delivery.last_error.startswith("HTTP 500")
    assert started + dt.timedelta(seconds=59) < delivery.next_attempt_at
    assert delivery.next_attempt_at < timezone.now() + dt.timedelta(seconds=61)
    retry = DBTaskResult.objects.get(task_path=TASK_PATH, status="READY")
    assert retry.run_after == delivery.next_attempt_at
    assert run_webhooks() == 0  # not before its time
    make_due()
    run_webhooks()
    delivery.refresh_from_db()
    assert delivery.state == "succeeded" and delivery.attempts == 2
    assert delivery.response_code == 200 and delivery.last_error == ""
    first, second = receiver.requests
    assert first.body == second.body and second.verified  # the same event, signed again


def test_backoff_grows_from_a_minute_to_six_hours():
    waits = [backoff(n).total_seconds() for n in range(1, 8)]
    assert waits == [60, 300, 1800, 7200, 21600, 21600, 21600]


def test_after_the_last_attempt_the_delivery_fails_and_can_be_redelivered(
    endpoint, receiver, rep, opportunity, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    hook = endpoint("case.created")
    receiver.status = 503
    quote_question(rep, opportunity)
    for _ in range(3):
        run_webhooks()
        make_due()
    delivery = hook.deliveries.get()
    assert delivery.state == "failed" and delivery.attempts == 3
    assert delivery.response_code == 503 and delivery.failed_at is not None
    assert len(receiver.requests) == 3
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").exists()
    receiver.status = 204
    redeliver(delivery)
    run_webhooks()
    delivery.refresh_from_db()
    assert delivery.state == "succeeded" and delivery.attempts == 1
    assert delivery.response_code == 204
    assert len(receiver.requests) == 4


def test_a_redirect_is_not_followed(endpoint, receiver, rep, opportunity):
    hook = endpoint("case.created")
    receiver.status = 302
    quote_question(rep, opportunity)
    run_webhooks()
    delivery = hook.deliveries.get()
    assert delivery.state == "pending" and delivery.response_code == 302
    assert len(receiver.requests) == 1


def test_an_unreachable_endpoint_is_retried(endpoint, receiver, rep, opportunity):
    hook = endpoint("case.created")
    receiver.stop()  # nothing listens on that port any more
    quote_question(rep, opportunity)
    run_webhooks()
    delivery = hook.deliveries.get()
    assert delivery.state == "pending" and delivery.attempts == 1
    assert delivery.response_code is None and "Connection" in delivery.last_error


def test_a_deactivated_endpoint_gets_nothing_more(endpoint, receiver, rep, opportunity):
    hook = endpoint("case.created")
    quote_question(rep, opportunity)
    hook.active = False
    hook.save()
    run_webhooks()
    assert receiver.requests == []
    delivery = hook.deliveries.get()
    assert delivery.state == "failed" and "deactivated" in delivery.last_error


def test_the_payload_is_valid_json_with_the_comment(endpoint, receiver, rep, opportunity):
    endpoint("case.commented")
    case = quote_question(rep, opportunity)
    event = add_comment(case, author=rep, body="Any news? **bold**")
    run_webhooks()
    (request,) = receiver.requests
    assert json.loads(request.body)["data"] == {
        "actor": "rita",
        "comment_id": event.pk,
        "body": "Any news? **bold**",
    }
