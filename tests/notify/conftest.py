"""Fixtures for the notification tests: run queued tasks in-process, or a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core import mail
from django.test import Client

from supportdesk.people.models import Membership
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory, quote_question
from tests.notify.smtp import SmtpSink


def run_tasks(limit: int = 10_000) -> int:
    """Run every due task in this process, as `supportdesk worker` would; how many ran.

    Fails the test if a task failed unexpectedly (its traceback is in the message).
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="pytest",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit and (result := DBTaskResult.objects.ready().first()) is not None:
        result.claim("pytest")
        worker.run_task(result)
        ran += 1
    failed = DBTaskResult.objects.failed().first()
    assert failed is None, failed.traceback
    return ran


@pytest.fixture
def deliver() -> Callable[[], list]:
    """Run the queued tasks and return the emails they sent (Django's test outbox)."""

    def _deliver() -> list:
        mail.outbox.clear()
        run_tasks()
        return list(mail.outbox)

    return _deliver


@pytest.fixture
def deal_desk_colleague(db):
    user = UserFactory(username="carl", first_name="Carl", last_name="Colleague")
    MembershipFactory(user=user, team=team("Deal Desk"), role=Membership.Role.AGENT)
    return user


@pytest.fixture
def case(rep, opportunity, deal_desk_agent):
    """A Deal Desk case, with the notifications of its creation already delivered."""
    made = quote_question(rep, opportunity)
    run_tasks()
    mail.outbox.clear()
    return made


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture
def login() -> Callable[..., Client]:
    def _login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login
