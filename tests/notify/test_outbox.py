"""The outbox: emails are queued with the change that causes them, retried with backoff after
transient failures, recorded when they fail for good, and never lost by a dead worker."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from supportdesk.cases.actions import add_comment
from supportdesk.cases.models import Case
from supportdesk.notify import sending
from supportdesk.notify.models import Delivery, Notification
from supportdesk.notify.outbox import backoff
from supportdesk.notify.sending import deliver, sweep_stalled
from tests.factories import quote_question
from tests.notify.conftest import run_tasks

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_a_change_that_fails_after_enqueueing_sends_nothing(case, deal_desk_agent, deliver):
    before = DBTaskResult.objects.count()
    with pytest.raises(Boom), transaction.atomic():
        add_comment(case, author=deal_desk_agent, body="This will be rolled back")
        assert Delivery.objects.filter(kind="comment.added").count() == 1  # queued inside…
        raise Boom
    assert not Delivery.objects.filter(kind="comment.added").exists()  # …and gone with it
    assert not Notification.objects.filter(kind="comment.added").exists()
    assert DBTaskResult.objects.count() == before
    assert deliver() == []


def test_a_submit_that_fails_after_enqueueing_sends_nothing(rep, opportunity, deliver):
    with pytest.raises(Boom), transaction.atomic():
        quote_question(rep, opportunity)
        raise Boom
    assert not Case.objects.exists() and not Delivery.objects.exists()
    assert deliver() == []


def test_each_email_is_one_delivery_and_one_task_in_the_same_transaction(case, deal_desk_agent):
    add_comment(case, author=deal_desk_agent, body="Queued")
    delivery = Delivery.objects.get(kind="comment.added")
    task = DBTaskResult.objects.get(pk=delivery.task_id)
    assert task.status == "READY" and task.args_kwargs["args"] == [delivery.key]
    assert task.queue_name == "email"


def fail_with(monkeypatch, error: Exception) -> None:
    def send(self, fail_silently=False):
        raise error

    monkeypatch.setattr("django.core.mail.EmailMessage.send", send)


def test_a_transient_failure_is_retried_later_with_backoff(case, deal_desk_agent, monkeypatch):
    add_comment(case, author=deal_desk_agent, body="Retry me")
    delivery = Delivery.objects.get(kind="comment.added")
    fail_with(monkeypatch, ConnectionRefusedError(111, "Connection refused"))
    started = timezone.now()
    assert deliver(delivery.key) == "retry"
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.attempts == 1
    assert "Connection refused" in delivery.last_error
    assert delivery.next_attempt_at > started + dt.timedelta(seconds=14)  # base 30s, jitter
    retry = DBTaskResult.objects.get(pk=delivery.task_id)
    assert retry.status == "READY" and retry.run_after == delivery.next_attempt_at
    assert deliver(delivery.key) == "skipped"  # not due yet: an early copy does nothing


def test_a_server_that_answers_4xx_is_retried_and_5xx_is_not(case, deal_desk_agent, monkeypatch):
    add_comment(case, author=deal_desk_agent, body="Codes")
    delivery = Delivery.objects.get(kind="comment.added")
    fail_with(monkeypatch, smtplib.SMTPDataError(451, b"Try again later"))
    assert deliver(delivery.key) == "retry"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    fail_with(monkeypatch, smtplib.SMTPRecipientsRefused({"rita@example.com": (550, b"No")}))
    assert deliver(delivery.key) == "failed"
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.failed_at is not None


def test_after_the_last_attempt_the_failure_is_recorded_and_an_admin_can_retry_it(
    case, deal_desk_agent, monkeypatch, settings, login, admin_user
):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    add_comment(case, author=deal_desk_agent, body="Doomed")
    delivery = Delivery.objects.get(kind="comment.added")
    fail_with(monkeypatch, TimeoutError("timed out"))
    assert deliver(delivery.key) == "retry"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert deliver(delivery.key) == "failed"

    page = login(admin_user).get(reverse("notify:problems")).content.decode()
    assert "Delivery problems" in page and "TimeoutError: timed out" in page

    monkeypatch.undo()
    response = login(admin_user).post(reverse("notify:retry"), {"delivery": delivery.pk})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.attempts == 0
    mail.outbox.clear()
    run_tasks()
    delivery.refresh_from_db()
    assert delivery.state == "sent" and len(mail.outbox) == 1


def test_the_delivery_problems_page_is_for_admins_only(login, rep):
    assert login(rep).get(reverse("notify:problems")).status_code == 302  # to the admin login
    assert login(rep).post(reverse("notify:retry"), {"all": "1"}).status_code == 302
    assert not Delivery.objects.filter(state="pending", attempts=0, last_error="x").exists()


def test_backoff_doubles_up_to_the_ceiling_with_jitter(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS, settings.NOTIFY_RETRY_MAX_SECONDS = 10, 100
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = {backoff(attempt).total_seconds() for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter: workers retrying together spread out


def test_every_attempt_at_an_email_carries_the_same_message_id(case, deal_desk_agent, monkeypatch):
    add_comment(case, author=deal_desk_agent, body="Same id")
    delivery = Delivery.objects.get(kind="comment.added")
    seen = []
    real_send = mail.EmailMessage.send

    def flaky(self, fail_silently=False):
        seen.append(self.extra_headers["Message-ID"])
        if len(seen) == 1:
            raise ConnectionResetError("reset")
        return real_send(self, fail_silently)

    monkeypatch.setattr("django.core.mail.EmailMessage.send", flaky)
    deliver(delivery.key)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert deliver(delivery.key) == "sent"
    assert seen[0] == seen[1] == f"<{delivery.key}@localhost>"


def test_a_send_in_progress_elsewhere_is_not_repeated(case, deal_desk_agent):
    add_comment(case, author=deal_desk_agent, body="Leased")
    delivery = Delivery.objects.get(kind="comment.added")
    Delivery.objects.filter(pk=delivery.pk).update(sending_since=timezone.now())
    assert deliver(delivery.key) == "skipped"
    assert deliver(delivery.key) == "skipped"
    assert Delivery.objects.get(pk=delivery.pk).state == "pending"


def test_the_sweeper_requeues_what_a_dead_worker_left_and_nothing_else(
    case, deal_desk_agent, settings
):
    settings.NOTIFY_SEND_LEASE_SECONDS = 60
    add_comment(case, author=deal_desk_agent, body="Two emails")
    add_comment(case, author=case.requester, body="@dan two emails")
    dead, waiting = Delivery.objects.filter(kind__in=["comment.added", "case.mentioned"])[:2]
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    # A worker claimed `dead`'s task, began sending and was killed; `waiting` is still queued.
    DBTaskResult.objects.filter(pk=dead.task_id).update(status="RUNNING")
    Delivery.objects.filter(pk=dead.pk).update(sending_since=long_ago, next_attempt_at=long_ago)
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=long_ago)
    assert sweep_stalled() == 1
    dead.refresh_from_db()
    assert DBTaskResult.objects.get(pk=dead.task_id).status == "READY"
    assert sweep_stalled() == 0  # its new task is queued now
    mail.outbox.clear()
    run_tasks()
    assert Delivery.objects.filter(state="sent", pk__in=[dead.pk, waiting.pk]).count() == 2


def test_with_the_immediate_backend_emails_go_out_after_commit(
    settings, case, deal_desk_agent, monkeypatch, django_capture_on_commit_callbacks
):
    immediate = "django_tasks.backends.immediate.ImmediateBackend"
    settings.TASKS = {"default": {"BACKEND": immediate, "QUEUES": ["default", "email"]}}
    calls = []
    monkeypatch.setattr(
        sending, "render_email", lambda d: calls.append(d.key) or mail.EmailMessage(to=["x@y"])
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        add_comment(case, author=deal_desk_agent, body="After commit")
        assert calls == []  # nothing is sent before the change commits
    assert len(callbacks) == 1 and len(calls) == 1
