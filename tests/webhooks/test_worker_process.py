"""A real `supportdesk worker` process makes the deliveries (never the web request): the
loopback receiver gets the signed event once the change committed."""

from __future__ import annotations

import pytest

from supportdesk.cases.actions import add_comment
from supportdesk.webhooks.models import WebhookDelivery
from tests.factories import quote_question
from tests.notify.smtp import SmtpSink, start_worker, stop_worker, wait_until, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_worker_process_delivers_committed_events(
    tmp_path, settings, endpoint, receiver, rep, opportunity, deal_desk_agent
):
    hook = endpoint("case.created", "case.commented")
    case = quote_question(rep, opportunity)
    add_comment(case, author=deal_desk_agent, body="On it.")
    assert receiver.requests == []  # nothing is sent inside the request
    sink = SmtpSink().start()
    env = worker_env(
        sink, tmp_path, SECRET_KEY=settings.SECRET_KEY, WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true"
    )
    process = start_worker(env, tmp_path / "worker.log")
    try:
        wait_until(
            lambda: not WebhookDelivery.objects.exclude(state="succeeded").exists(),
            timeout=30,
            what="two webhooks",
        )
    finally:
        stop_worker(process)
        sink.stop()
    assert sorted(r.json()["kind"] for r in receiver.requests) == ["case.commented", "case.created"]
    assert all(r.verified for r in receiver.requests)
    assert set(hook.deliveries.values_list("response_code", flat=True)) == {200}
