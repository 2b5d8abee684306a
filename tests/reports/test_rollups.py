"""The reports' rollups (issue 7): kept in the cases' own transactions, always equal to a full
recomputation from the cases, on SQLite and PostgreSQL, with concurrent writers too."""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import subprocess
import sys
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from supportdesk.cases.actions import (
    add_comment,
    ask_requester,
    close_case,
    hold_case,
    move_case,
    rate_case,
    reopen_case,
    resume_case,
    take_case,
)
from supportdesk.cases.merge import merge_case
from supportdesk.cases.models import Case, Priority, Resolution, SlaStage
from supportdesk.cases.priority import change_priority
from supportdesk.catalog.queries import resolve_choice
from supportdesk.people.models import Membership
from supportdesk.reports import rollups
from supportdesk.reports.models import CaseRollupState, DailyRollup, MonthlyRollup
from supportdesk.sla.business_time import BusinessCalendar
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory, quote_question
from tests.sla.strategies import calendars, instants, offsets

UTC = dt.UTC


def today_totals(**filters) -> dict:
    today = timezone.localdate()
    return rollups.totals(today, today, group_by=(), **filters)[0]


def assert_exact() -> None:
    assert rollups.verify() == []


# ---- through the real services -------------------------------------------------------------


@pytest.mark.django_db
def test_a_day_of_work_keeps_the_rollups_equal_to_a_recomputation(
    rep, other_rep, opportunity, shared_edit, deal_desk_agent, billing_agent
):
    urgent = quote_question(rep, opportunity, priority=Priority.URGENT, urgent_reason="Q-end")
    assert_exact()
    take_case(urgent, agent=deal_desk_agent)
    change_priority(urgent, agent=deal_desk_agent, priority=Priority.HIGH, reason="Not urgent")
    ask_requester(urgent, agent=deal_desk_agent, question="Which ramp?")
    assert_exact()
    add_comment(urgent, author=rep, body="The three-year one.")
    hold_case(urgent, agent=deal_desk_agent, reason="Waiting on finance")
    resume_case(urgent, agent=deal_desk_agent)
    close_case(urgent, actor=deal_desk_agent, resolution=Resolution.RESOLVED, note="Approved")
    rate_case(urgent, requester=rep, score=2)
    assert_exact()
    reopen_case(urgent, actor=rep, reason="One more question")
    assert_exact()
    close_case(urgent, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Answered")
    rate_case(urgent, requester=rep, score=5)
    assert_exact()

    misrouted = quote_question(rep, opportunity)
    billing = resolve_choice(
        "opportunity", team="Billing", request_type="Invoice Copy Requests", sub_request=None
    )
    move_case(misrouted, agent=deal_desk_agent, request_type=billing.request_type, reason="Bill")
    assert_exact()

    master = take_case(quote_question(rep, opportunity), agent=deal_desk_agent)
    duplicate = quote_question(other_rep, opportunity, subject="Ramp approval, again")
    merge_case(duplicate, into=master, agent=deal_desk_agent, reason="Same question")
    assert_exact()

    deal_desk = today_totals(team_ids=[team("Deal Desk").pk])
    assert deal_desk["opened"] == 3  # the urgent one, the master, the duplicate
    assert deal_desk["closed"] == 2 and deal_desk["duplicates"] == 1
    assert (deal_desk["urgent_requested"], deal_desk["downgraded"]) == (1, 1)
    assert deal_desk["info_needed"] == 1
    assert deal_desk["rating_5"] == 1 and deal_desk["rating_2"] == 0  # rating again replaces
    assert deal_desk["responded"] == 3 and sum(deal_desk["frt_buckets"]) == 3  # merge responds
    assert sum(deal_desk["res_buckets"]) == 2
    assert deal_desk["sla_met"] + deal_desk["sla_breached"] == 2
    moved = today_totals(team_ids=[team("Billing").pk])
    assert (moved["opened"], moved["moved"], moved["info_needed"]) == (1, 1, 1)
    by_priority = {
        row["priority"]: row["opened"]
        for row in rollups.totals(
            timezone.localdate(), timezone.localdate(), group_by=("priority",)
        )
    }
    assert by_priority == {"high": 1, "medium": 3}  # the urgent one is High now
    assert CaseRollupState.objects.count() == Case.objects.count() == 4


@pytest.mark.django_db
def test_rebuild_recomputes_what_a_raw_write_left_out(rep, opportunity, deal_desk_agent):
    case = take_case(quote_question(rep, opportunity), agent=deal_desk_agent)
    Case.objects.filter(pk=case.pk).update(priority=Priority.LOW)  # behind the services' back
    differences = rollups.verify()
    assert {d.measure for d in differences} >= {"opened", "responded"}
    assert rollups.rebuild() == 1
    assert_exact()
    assert today_totals(priorities=["low"])["opened"] == 1


@pytest.mark.django_db
def test_the_command_exits_1_and_prints_the_differences(rep, opportunity, capsys):
    case = quote_question(rep, opportunity)
    call_command("reports", "verify")
    assert "equal a full recomputation" in capsys.readouterr().out
    DailyRollup.objects.update(opened=7)
    with pytest.raises(CommandError) as failed:
        call_command("reports", "verify")
    assert failed.value.returncode == 1
    assert "opened is 7, recomputed 1" in capsys.readouterr().out
    call_command("reports", "rebuild")
    assert "from 1 cases" in capsys.readouterr().out
    call_command("reports", "verify")
    assert Case.objects.filter(pk=case.pk).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_console_command_exits_1_on_a_difference(rep, opportunity):
    """`supportdesk reports verify` as an operator runs it (the process's exit status)."""
    if connection.vendor != "sqlite":
        pytest.skip("the subprocess opens the test database by file name")
    quote_question(rep, opportunity)
    DailyRollup.objects.update(closed=3)
    env = {"DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}"}
    command = [sys.executable, "-m", "supportdesk.cli", "reports", "verify"]
    out = subprocess.run(command, env=os.environ | env, capture_output=True, text=True, check=False)
    assert out.returncode == 1, out.stderr
    assert "closed is 3, recomputed 0" in out.stdout


# ---- the definitions ----------------------------------------------------------------------


def row(**overrides) -> dict:
    created = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
    base = {
        "pk": 1,
        "team_id": 1,
        "request_type_id": 2,
        "sub_request_id": None,
        "priority": "high",
        "requested_priority": "urgent",
        "status": "closed",
        "created_at": created,
        "first_response_at": created + dt.timedelta(minutes=45),
        "closed_at": dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC),
        "resolution": "duplicate",
        "info_requests": 2,
        "first_response_due": created + dt.timedelta(hours=2),
        "sla_stage": SlaStage.BREACHED,
        "rating__score": 4,
    }
    return base | overrides


def test_a_closed_case_contributes_on_its_created_and_closed_days():
    calendar = BusinessCalendar(tz="UTC")
    facts = rollups.facts_of(row(), moved=True, between=calendar.between, zone=calendar.zone)
    assert facts.frt_seconds == 45 * 60
    assert facts.res_seconds == (8 + 3) * 3600  # Monday 09–17, Tuesday 09–12
    parts = rollups.contributions(facts)
    opened = parts[(dt.date(2026, 3, 2), 1, 2, 0, "high")]
    closed = parts[(dt.date(2026, 3, 3), 1, 2, 0, "high")]
    assert opened["opened"] == opened["moved"] == opened["info_needed"] == 1
    assert opened["urgent_requested"] == opened["downgraded"] == opened["responded"] == 1
    assert opened["frt_seconds"] == 2700 and opened[f"frt_{rollups.bucket_of(2700):02d}"] == 1
    assert closed["closed"] == closed["duplicates"] == closed["sla_breached"] == 1
    assert closed["sla_met"] == 0 and closed["rating_4"] == 1


def test_an_open_case_counts_only_where_it_was_opened():
    calendar = BusinessCalendar(tz="UTC")
    open_case = row(status="work_in_progress", closed_at=None, first_response_at=None)
    facts = rollups.facts_of(open_case, moved=False, between=calendar.between, zone=calendar.zone)
    (only,) = rollups.contributions(facts).values()
    assert only["opened"] == 1 and only["closed"] == only["rating_4"] == only["responded"] == 0
    assert only["raised"] == 1 and only["moved_out"] == 0


def test_a_moved_case_is_raised_where_it_started_and_opened_where_it_is():
    calendar = BusinessCalendar(tz="UTC")
    case = row(status="new", closed_at=None, first_response_at=None, sub_request_id=7)
    kwargs = {"between": calendar.between, "zone": calendar.zone}
    facts = rollups.facts_of(case, moved=True, origin=(5, 6, 0), **kwargs)
    day = dt.date(2026, 3, 2)
    parts = rollups.contributions(facts)
    assert parts[(day, 5, 6, 0, "high")] == {"raised": 1, "moved_out": 1}
    assert parts[(day, 1, 2, 7, "high")]["opened"] == parts[(day, 1, 2, 7, "high")]["moved"] == 1
    assert parts[(day, 1, 2, 7, "high")]["raised"] == 0
    # Moved to another type of the same team: raised there, but not moved out of the team.
    facts = rollups.facts_of(case, moved=True, origin=(1, 6, 0), **kwargs)
    assert rollups.contributions(facts)[(day, 1, 6, 0, "high")] == {"raised": 1}
    # Moved back where it started: counted once, where it is.
    facts = rollups.facts_of(case, moved=True, origin=(1, 2, 7), **kwargs)
    assert facts.origin_team_pk is None
    assert rollups.contributions(facts)[(day, 1, 2, 7, "high")]["raised"] == 1


def test_totals_read_months_and_as_few_days_as_they_can():
    def plan(start, end):
        return sorted(
            (model.__name__, sign) for model, _, sign in rollups._segments(start, end, by_day=False)
        )

    # Jan 15–31 is most of January: the month less Jan 1–14; Feb, Mar whole; Apr 1–10 as days.
    assert plan(dt.date(2026, 1, 15), dt.date(2026, 4, 10)) == [
        ("DailyRollup", -1),
        ("DailyRollup", 1),
        ("MonthlyRollup", 1),
    ]
    assert plan(dt.date(2026, 2, 1), dt.date(2026, 3, 31)) == [("MonthlyRollup", 1)]
    assert plan(dt.date(2026, 2, 10), dt.date(2026, 2, 14)) == [("DailyRollup", 1)]
    assert plan(dt.date(2026, 2, 2), dt.date(2026, 2, 27)) == [
        ("DailyRollup", -1),
        ("MonthlyRollup", 1),
    ]
    by_day = rollups._segments(dt.date(2026, 1, 1), dt.date(2026, 3, 31), by_day=True)
    assert [(model, sign) for model, _, sign in by_day] == [(DailyRollup, 1)]


@settings(max_examples=300, deadline=None)
@given(calendar=calendars(), start=instants, first=offsets, second=offsets)
def test_the_fast_business_clock_equals_the_calendar(calendar, start, first, second):
    fast = rollups.CumulativeTime(calendar)
    a, b = start + first, start + second
    assert fast.between(a, b) == calendar.between(a, b)
    assert fast.between(start, b) == calendar.between(start, b)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(60, 2**16 * 60 - 1), min_size=1, max_size=300),
    p=st.sampled_from([50, 90, 95, 99]),
)
def test_percentiles_from_buckets_are_within_the_documented_error(values, p):
    buckets = [0] * len(rollups.BUCKET_BOUNDS + (0,))
    for seconds in values:
        buckets[rollups.bucket_of(seconds)] += 1
    exact = sorted(values)[max(1, math.ceil(p / 100 * len(values))) - 1] / 60
    estimate = rollups.percentile(buckets, p)
    assert abs(estimate - exact) / exact <= rollups.PERCENTILE_MAX_ERROR + 1e-9
    assert rollups.PERCENTILE_MAX_ERROR < 0.13


def test_percentile_edges():
    buckets = [0] * 50
    assert rollups.percentile(buckets, 50) is None
    buckets[0] = 3
    assert rollups.percentile(buckets, 90) == 0.5
    buckets[49] = 10
    assert rollups.percentile(buckets, 90) == 2**16


# ---- concurrent writers ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_rollups_exact(rep, opportunity):
    """Threads with their own connections submit, take and close cases on the same rollup
    rows at once (a new day's row created by two of them racing, then increments)."""
    agents = []
    for i in range(6):
        agent = UserFactory(username=f"agent{i}")
        MembershipFactory(user=agent, team=team("Deal Desk"), role=Membership.Role.AGENT)
        agents.append(agent)
    barrier = threading.Barrier(len(agents))
    errors: list[str] = []

    def work(agent) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(3):
                case = quote_question(rep, opportunity)
                take_case(case, agent=agent)
                if random.random() < 0.7:  # noqa: S311
                    close_case(case, actor=agent, resolution=Resolution.RESOLVED, note="Done")
        except BaseException as error:
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert_exact()
    assert today_totals()["opened"] == 18


@pytest.mark.django_db
def test_totals_over_whole_months_equal_the_sum_of_the_days(rep, opportunity):
    """Cases spread over three months: a range read partly from the monthly rows gives what
    the daily rows give, for every grouping."""
    now = timezone.now()
    for days_ago in (0, 3, 35, 40, 70, 95):
        case = quote_question(rep, opportunity)
        Case.objects.filter(pk=case.pk).update(created_at=now - dt.timedelta(days=days_ago))
        rollups.apply(case.pk)
    assert_exact()
    assert MonthlyRollup.objects.exists()
    today = timezone.localdate()
    start = today - dt.timedelta(days=100)
    per_day = rollups.totals(start, today, group_by=("day",), counts=("opened", "raised"))
    assert sum(row["opened"] for row in per_day) == 6
    for group_by in ((), ("team",), ("request_type", "sub_request"), ("priority",)):
        mixed = rollups.totals(start, today, group_by=group_by)
        assert sum(row["opened"] for row in mixed) == 6
        assert sum(row["raised"] for row in mixed) == 6
        assert sum(sum(row["frt_buckets"]) for row in mixed) == 0
    by_month = rollups.totals(start, today, group_by=("month",), counts=("opened",))
    folded: dict[dt.date, int] = {}
    for row in per_day:
        month = row["day"].replace(day=1)
        folded[month] = folded.get(month, 0) + row["opened"]
    assert {row["month"]: row["opened"] for row in by_month} == folded
    inside = today - dt.timedelta(days=38)  # one of the cases 35–40 days ago, not the other
    (row,) = rollups.totals(inside, today, group_by=())
    assert row["opened"] == 3
    # Every range from 100 days ago, read through months and days, as the days add up.
    opened = {row["day"]: row["opened"] for row in per_day}
    for first in range(0, 101, 3):
        for length in (0, 4, 17, 29, 45, 100):
            low = start + dt.timedelta(days=first)
            high = min(low + dt.timedelta(days=length), today)
            want = sum(n for day, n in opened.items() if low <= day <= high)
            (row,) = rollups.totals(low, high, group_by=())
            assert row["opened"] == want, (low, high)
