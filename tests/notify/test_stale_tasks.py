"""A task left "running" by a worker that died goes back to the queue and runs once more."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from supportdesk.notify.models import Delivery
from supportdesk.notify.recovery import requeue_stale_tasks
from tests.factories import quote_question
from tests.notify.smtp import BIN, worker_env

pytestmark = pytest.mark.django_db


def left_running(task_id, *, seconds_ago: float) -> DBTaskResult:
    """The row as a worker leaves it when it is killed mid-task."""
    row = DBTaskResult.objects.get(pk=task_id)
    row.claim("dead-host-4242")
    row.started_at = timezone.now() - dt.timedelta(seconds=seconds_ago)
    row.save(update_fields=["started_at"])
    return row


def test_a_task_running_past_the_timeout_is_queued_again_and_a_recent_one_is_left_alone(
    rep, opportunity, deal_desk_agent, settings
):
    settings.TASK_STALE_SECONDS = 60
    quote_question(rep, opportunity)
    stale_delivery, busy_delivery = Delivery.objects.order_by("pk")
    stale = left_running(stale_delivery.task_id, seconds_ago=61)
    busy = left_running(busy_delivery.task_id, seconds_ago=59)

    assert requeue_stale_tasks() == 1
    stale.refresh_from_db()
    busy.refresh_from_db()
    assert (stale.status, stale.started_at, stale.worker_ids) == ("READY", None, ["dead-host-4242"])
    assert busy.status == "RUNNING"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_next_worker_sends_the_emails_a_killed_worker_left_running(
    rep, opportunity, deal_desk_agent, settings, sink, tmp_path
):
    quote_question(rep, opportunity)
    for delivery in Delivery.objects.all():
        left_running(delivery.task_id, seconds_ago=600)
    env = worker_env(sink, tmp_path, SECRET_KEY=settings.SECRET_KEY, TASK_STALE_SECONDS="60")

    done = subprocess.run(
        [str(BIN / "supportdesk"), "worker", "--batch", "--no-schedule", "--interval", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "Queued again 2 task(s) left running by a worker that died." in done.stderr
    assert sorted(m.to for m in sink.messages()) == ["dan@example.com", "rita@example.com"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert not DBTaskResult.objects.running().exists()
