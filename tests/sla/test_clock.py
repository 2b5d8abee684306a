"""The SLA clock of one case: due times, pauses, time used and left, at risk and breached."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from supportdesk.sla.business_time import BusinessCalendar
from supportdesk.sla.clock import SlaTargets, sla_state

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)
berlin = BusinessCalendar(tz="Europe/Berlin")
urgent = SlaTargets(first_response=timedelta(minutes=30), resolution=4 * HOUR)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in Berlin in the week of Monday 23 March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN)


def state(**overrides):
    given = {
        "created_at": at(23, 9),
        "targets": urgent,
        "calendar": berlin,
        "pauses": [],
        "first_response_at": None,
        "closed_at": None,
        "now": at(23, 10),
    } | overrides
    return sla_state(**given)


def test_a_fresh_case_has_used_a_quarter_of_its_time():
    fresh = state()
    assert fresh.first_response_due == at(23, 9, 30)
    assert fresh.resolution_due == at(23, 13)
    assert (fresh.used, fresh.left, fresh.percent) == (HOUR, 3 * HOUR, 25)
    assert not fresh.at_risk


def test_a_case_without_a_first_response_past_its_due_time_is_breached():
    late = state()
    assert late.first_response_breached and late.breached
    assert not late.resolution_breached


def test_a_first_response_in_time_is_not_a_breach():
    answered = state(first_response_at=at(23, 9, 20))
    assert not answered.breached


def test_a_case_at_three_quarters_of_its_time_is_at_risk():
    risky = state(first_response_at=at(23, 9, 5), now=at(23, 12))
    assert risky.percent == 75
    assert risky.at_risk and not risky.breached


def test_a_case_past_its_resolution_due_time_is_breached_and_no_longer_at_risk():
    overdue = state(first_response_at=at(23, 9, 5), now=at(23, 14))
    assert overdue.resolution_breached and overdue.breached
    assert overdue.left == -HOUR
    assert not overdue.at_risk


def test_a_finished_pause_pushes_the_resolution_due_time_out():
    waited = state(pauses=[(at(23, 10), at(23, 11))], now=at(23, 12))
    assert waited.resolution_due == at(23, 14)
    assert waited.used == 2 * HOUR
    assert waited.first_response_due == at(23, 9, 30)  # the first response never pauses
    assert not waited.paused


def test_while_paused_the_clock_stands_still_and_the_due_time_moves():
    earlier = state(pauses=[(at(23, 10), None)], now=at(23, 11))
    later = state(pauses=[(at(23, 10), None)], now=at(23, 15))
    assert earlier.paused and later.paused
    assert earlier.used == later.used == HOUR
    assert later.resolution_due == at(24, 10)  # resumes now (15:00): 2 h today, 1 h Tuesday


def test_a_pause_over_the_weekend_costs_no_business_time():
    friday_wait = state(
        created_at=at(20, 15),
        pauses=[(at(20, 18), at(23, 8))],
        now=at(23, 9, 30),
    )
    assert friday_wait.used == timedelta(hours=2, minutes=30)


def test_a_closed_case_stops_its_clock_at_closing():
    closed = state(first_response_at=at(23, 9, 10), closed_at=at(23, 11), now=at(24, 12))
    assert closed.used == 2 * HOUR
    assert not closed.breached and not closed.at_risk and not closed.paused


def test_a_case_closed_late_stays_breached():
    closed = state(first_response_at=at(23, 9, 10), closed_at=at(23, 16), now=at(24, 12))
    assert closed.resolution_breached
    assert closed.left == -3 * HOUR
