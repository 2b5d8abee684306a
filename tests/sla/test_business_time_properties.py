"""Properties of business-time arithmetic across DST changes, holidays, weekends and pauses."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from supportdesk.sla.clock import SlaTargets, sla_state
from tests.sla.strategies import (
    calendars,
    durations,
    instants,
    offsets,
    pauses,
    within_a_working_span,
)

moderate = settings(max_examples=200, deadline=None)


@moderate
@given(calendar=calendars(), start=instants, duration=durations)
def test_the_business_time_until_a_due_time_is_the_duration(calendar, start, duration):
    assert calendar.between(start, calendar.add(start, duration)) == duration


@moderate
@given(calendar=calendars(), start=instants, duration=durations)
def test_a_due_time_lies_within_working_hours_unless_nothing_is_due(calendar, start, duration):
    due = calendar.add(start, duration)
    if duration:
        assert due > start
        assert within_a_working_span(calendar, due)
    else:
        assert due == start


@moderate
@given(calendar=calendars(), start=instants, first=durations, second=durations)
def test_a_longer_duration_is_never_due_earlier(calendar, start, first, second):
    shorter, longer = sorted([first, second])
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@moderate
@given(calendar=calendars(), start=instants, first=offsets, second=offsets)
def test_business_time_adds_up_over_consecutive_intervals(calendar, start, first, second):
    middle, end = start + first, start + first + second
    total = calendar.between(start, end)
    assert calendar.between(start, middle) + calendar.between(middle, end) == total
    assert timedelta(0) <= total <= end - start


@moderate
@given(data=st.data(), calendar=calendars(), created=instants, target=durations)
def test_with_pauses_time_used_and_time_left_make_the_target_until_breach(
    data, calendar, created, target
):
    target = max(target, timedelta(minutes=1))
    now = created + data.draw(offsets)
    waits = data.draw(pauses(after=created))
    state = sla_state(
        created_at=created,
        targets=SlaTargets(first_response=target, resolution=target),
        calendar=calendar,
        pauses=waits,
        first_response_at=None,
        closed_at=None,
        now=now,
    )
    assert state.used + state.left == target
    assert timedelta(0) <= state.used <= calendar.between(created, now)
    assert state.resolution_due >= calendar.add(created, target)  # pauses only push it out
    assert within_a_working_span(calendar, state.resolution_due)
    if not state.resolution_breached:
        assert calendar.between(now, state.resolution_due) == state.left
        assert state.left >= timedelta(0)
    else:
        assert state.left <= timedelta(0)


@moderate
@given(data=st.data(), calendar=calendars(), created=instants)
def test_pauses_only_ever_take_time_off_the_clock(data, calendar, created):
    now = created + data.draw(offsets)
    waits = data.draw(pauses(after=created))
    assert calendar.elapsed(created, now, waits) <= calendar.elapsed(created, now, [])
    assert calendar.elapsed(created, now, waits) >= timedelta(0)
