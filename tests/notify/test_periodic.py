"""Periodic work through the queue (self-rescheduling ticks) and the Pending Response reminders
and automatic close, with a fixed clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from supportdesk.cases.actions import add_comment, ask_requester, reopen_case, take_case
from supportdesk.cases.models import CaseEvent, Resolution, Status
from supportdesk.notify import periodic
from supportdesk.notify.models import (
    CaseReminder,
    Notification,
    Schedule,
    TeamReminderPolicy,
)
from supportdesk.notify.periodic import ensure_schedules, tick
from supportdesk.notify.reminders import add_business_days, remind_and_close

pytestmark = pytest.mark.django_db

UTC = dt.UTC
TICKS = "supportdesk.notify.tasks.run_periodic"


def queued_ticks(name: str) -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path=TICKS, status="READY", args_kwargs__args=[name])
    )


@pytest.fixture
def counted_job(monkeypatch):
    runs = []
    job = periodic.Job("test.job", "builtins.len", "NOTIFY_SWEEP_SECONDS")
    monkeypatch.setitem(periodic.JOBS, "test.job", job)
    monkeypatch.setattr(periodic.Job, "run", lambda self: runs.append(self.name))
    return runs


def test_starting_workers_starts_each_chain_once(counted_job):
    assert "test.job" in ensure_schedules()
    assert ensure_schedules() == []  # a second worker starting finds the chains running
    assert len(queued_ticks("test.job")) == 1


def test_a_tick_schedules_exactly_one_successor_and_copies_do_nothing(counted_job, settings):
    settings.NOTIFY_SWEEP_SECONDS = 60
    Schedule.objects.create(name="test.job", next_run_at=timezone.now())
    assert tick("test.job").startswith("ran")
    assert tick("test.job") == "not due"  # a second worker's copy of the same tick
    assert counted_job == ["test.job"]
    [successor] = queued_ticks("test.job")
    assert successor.run_after > timezone.now() + dt.timedelta(seconds=55)


def test_a_lost_chain_is_started_again(counted_job, settings):
    settings.NOTIFY_SWEEP_SECONDS = 60
    long_ago = timezone.now() - dt.timedelta(hours=1)
    Schedule.objects.create(name="test.job", next_run_at=long_ago)
    assert "test.job" in ensure_schedules()
    assert Schedule.objects.get(name="test.job").next_run_at > long_ago


# ---- business days ------------------------------------------------------------------------


def test_business_days_skip_the_weekend():
    friday = dt.datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    assert add_business_days(friday, 1, UTC) == dt.datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    assert add_business_days(friday, 2, UTC) == dt.datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    assert add_business_days(friday, 7, UTC).date() == dt.date(2026, 3, 17)


def test_business_days_follow_the_local_calendar():
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    friday_evening_tokyo = dt.datetime(2026, 3, 6, 20, 0, tzinfo=tokyo)  # Friday 11:00 UTC
    assert add_business_days(friday_evening_tokyo, 1, tokyo).weekday() == 0  # Monday


# ---- reminders and automatic close ----------------------------------------------------------


@pytest.fixture
def asked(case, deal_desk_agent, deliver):
    """Case asked of Rita on Friday 6 March 2026, 10:00 UTC (emails so far delivered)."""
    take_case(case, agent=deal_desk_agent)
    ask_requester(case, agent=deal_desk_agent, question="Which quote version?")
    friday = dt.datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    CaseEvent.objects.filter(case=case, kind=CaseEvent.STATUS_CHANGED).update(created_at=friday)
    Notification.objects.all().delete()
    deliver()
    return case


def day(month_day: int, hour: int = 10, minute: int = 1) -> dt.datetime:
    return dt.datetime(2026, 3, month_day, hour, minute, tzinfo=UTC)


def test_the_requester_is_reminded_after_two_business_days_once(asked, deliver):
    assert remind_and_close(now=day(9)) == {"reminded": 0, "closed": 0}  # Monday
    assert remind_and_close(now=day(10)) == {"reminded": 1, "closed": 0}  # Tuesday
    assert remind_and_close(now=day(11)) == {"reminded": 0, "closed": 0}  # once per question
    notice = Notification.objects.get(kind="case.reminder")
    assert notice.user == asked.requester and notice.body == "Which quote version?"
    assert notice.url.endswith("#composer")
    [email] = deliver()
    assert "Reminder" in email.subject and email.to == ["rita@example.com"]


def test_after_seven_business_days_the_case_closes_and_the_requester_can_reopen(
    asked, deliver, rep
):
    remind_and_close(now=day(10))
    assert remind_and_close(now=day(17)) == {"reminded": 0, "closed": 1}
    asked.refresh_from_db()
    assert asked.status == Status.CLOSED and asked.resolution == Resolution.NO_RESPONSE
    closed = Notification.objects.get(kind="case.closed")
    assert closed.user == rep and "No response" in closed.title
    assert remind_and_close(now=day(18)) == {"reminded": 0, "closed": 0}
    reopen_case(asked, actor=rep, reason="Sorry, I was away")
    asked.refresh_from_db()
    assert asked.status == Status.WORK_IN_PROGRESS


def test_an_answer_stops_the_clock(asked, rep):
    add_comment(asked, author=rep, body="Version 3")
    assert remind_and_close(now=day(20)) == {"reminded": 0, "closed": 0}
    assert not CaseReminder.objects.exists()


def test_a_team_can_set_its_own_timing(asked):
    TeamReminderPolicy.objects.create(team=asked.team, remind_after_days=1, close_after_days=0)
    assert remind_and_close(now=day(9)) == {"reminded": 1, "closed": 0}
    assert remind_and_close(now=day(31)) == {"reminded": 0, "closed": 0}  # never closes
