"""Real parts: an SMTP server (aiosmtpd on loopback) and `supportdesk worker` processes against
the test database. SQLite tests use a database file (tests/conftest.py) so the worker process
can open it; these tests commit (transaction=True) so it sees their data.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

import pytest
from django.urls import reverse

from supportdesk.cases.actions import add_comment, add_watcher
from supportdesk.notify.models import Delivery
from tests.factories import quote_question
from tests.notify.smtp import SmtpSink, start_worker, stop_worker, wait_until, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path, settings):
    """Start `supportdesk worker` processes sending to a sink; all stopped at the end."""
    settings.SITE_URL = "http://support.example.test"
    processes = []

    def _start(sink: SmtpSink):
        env = worker_env(sink, tmp_path, SECRET_KEY=settings.SECRET_KEY, SITE_URL=settings.SITE_URL)
        processes.append(start_worker(env, tmp_path / "worker.log"))
        return processes[-1]

    yield _start
    for process in processes:
        stop_worker(process)


def all_sent() -> bool:
    return not Delivery.objects.exclude(state="sent").exists()


def arrivals(sink: SmtpSink) -> Counter:
    """How many emails each (recipient, case, kind) got."""
    return Counter((m.to, m.case, m.kind) for m in sink.messages())


def test_a_real_smtp_conversation_delivers_both_parts_and_the_link(
    sink, worker, rep, opportunity, deal_desk_agent
):
    case = quote_question(rep, opportunity)
    event = add_comment(case, author=deal_desk_agent, body="Can you share **v3**?")
    worker(sink)
    wait_until(lambda: sink.count() == 3 and all_sent(), timeout=30, what="three emails")
    by_kind = {m.kind: m for m in sink.messages()}
    assert {k: m.rcpt for k, m in by_kind.items()} == {
        "case.created": ["rita@example.com"],
        "queue.new_case": ["dan@example.com"],
        "comment.added": ["rita@example.com"],
    }
    comment = by_kind["comment.added"]
    assert (
        comment.message["Subject"].strip()
        == f"[Case {case.number}] {case.subject}: Dan Desk commented"
    )
    assert comment.message["To"] == "rita@example.com"
    link = f"http://support.example.test/cases/{case.number}/?event={event.pk}#event-{event.pk}"
    for part in (comment.part("plain"), comment.part("html")):
        assert link in part and "Can you share **v3**?" in part
        assert "because you requested this case" in part
    preferences = comment.message["List-Unsubscribe"].strip().strip("<>")
    assert preferences.startswith("http://support.example.test/notifications/email/")
    path = preferences.removeprefix("http://support.example.test")
    assert reverse("notify:email_settings", args=[path.split("/")[3]]) == path
    key = Delivery.objects.get(kind="comment.added").key
    assert comment.message_id == f"<{key}@localhost>"


def test_outage_every_email_arrives_exactly_once_after_the_server_returns(
    worker, rep, other_rep, outsider, opportunity, deal_desk_agent, billing_agent
):
    sink = SmtpSink()  # not started: the mail server is down
    cases = [quote_question(rep, opportunity, subject=f"Outage {i}") for i in range(50)]
    expected: Counter = Counter()
    for i, case in enumerate(cases):
        expected[("rita@example.com", case.number, "case.created")] += 1
        expected[("dan@example.com", case.number, "queue.new_case")] += 1
        if i % 2 == 0:
            add_watcher(case, actor=rep, username="oscar")
            expected[("oscar@example.com", case.number, "watcher.added")] += 1
        add_comment(case, author=deal_desk_agent, body=f"Question {i}")
        expected[("rita@example.com", case.number, "comment.added")] += 1
        if i % 2 == 0:
            expected[("oscar@example.com", case.number, "comment.added")] += 1
        internal = i % 5 == 0  # an internal note: nobody outside the team may hear of it
        add_comment(
            case, author=deal_desk_agent if internal else rep, body=f"Reply {i}", internal=internal
        )
        if i % 2 == 0 and not internal:
            expected[("oscar@example.com", case.number, "comment.added")] += 1
    assert Delivery.objects.count() == sum(expected.values())

    worker(sink)
    wait_until(
        lambda: Delivery.objects.filter(attempts__gt=0, state="pending").count() > 20,
        timeout=30,
        what="the worker to fail against the dead server",
    )
    assert sink.count() == 0
    sink.start()
    try:
        wait_until(all_sent, timeout=90, what="every email after the outage")
        got = arrivals(sink)
    finally:
        sink.stop()
    assert got == expected  # each exactly once, and nobody else
    assert not {to for to, _, _ in got} & {"olga@example.com", "bea@example.com"}


def test_crash_a_worker_killed_mid_batch_loses_nothing(
    sink, worker, rep, opportunity, deal_desk_agent, capsys
):
    for i in range(60):
        quote_question(rep, opportunity, subject=f"Crash {i}")
    total = Delivery.objects.count()
    assert total == 120
    first = worker(sink)
    wait_until(lambda: sink.count() >= 30, timeout=30, what="the first emails")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    sent_before_restart = sink.count()
    assert sent_before_restart < total, "the worker finished before it could be killed"

    worker(sink)
    wait_until(all_sent, timeout=60, what="every email after the restart")
    messages = sink.messages()
    ids = Counter(m.message_id for m in messages)
    expected = set(Delivery.objects.values_list("key", flat=True))
    received = {i.strip("<>").split("@")[0] for i in ids}
    duplicates = sum(n - 1 for n in ids.values())
    with capsys.disabled():
        print(
            f"\ncrash test: {total} emails, worker killed after {sent_before_restart}; "
            f"lost {len(expected - received)}, duplicates {duplicates} (target 0)"
        )
    assert received == expected  # nothing lost
    assert duplicates <= 1  # at most the one email in flight when the worker died
