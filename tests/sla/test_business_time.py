"""Business-time examples: weekends, holidays, DST weeks, gaps and folds in span edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportdesk.sla.business_time import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)
EVERY_DAY = frozenset(range(7))


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


berlin = BusinessCalendar(tz="Europe/Berlin")
new_york = BusinessCalendar(tz="America/New_York")
london = BusinessCalendar(tz="Europe/London")


def test_a_working_day_of_nine_to_five_is_one_business_day_of_eight_hours():
    assert berlin.business_day == 8 * HOUR
    assert BusinessCalendar(start=time(8), end=time(18)).business_days(3) == 30 * HOUR


def test_a_friday_evening_urgent_case_in_berlin_is_due_monday_morning():
    friday_evening = at(BERLIN, 2026, 3, 20, 18, 45)
    assert local(berlin.add(friday_evening, timedelta(minutes=30)), BERLIN) == at(
        BERLIN, 2026, 3, 23, 9, 30
    )
    assert local(berlin.add(friday_evening, 4 * HOUR), BERLIN) == at(BERLIN, 2026, 3, 23, 13)


def test_results_are_in_utc():
    due = berlin.add(at(BERLIN, 2026, 3, 20, 18), HOUR)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 23, 9, tzinfo=UTC)  # 10:00 CET


def test_time_counted_on_friday_afternoon_continues_on_monday():
    friday = at(BERLIN, 2026, 3, 20, 16)
    assert local(berlin.add(friday, 2 * HOUR), BERLIN) == at(BERLIN, 2026, 3, 23, 10)
    assert berlin.between(friday, at(BERLIN, 2026, 3, 23, 10)) == 2 * HOUR


def test_an_instant_is_working_from_opening_until_just_before_closing():
    assert berlin.is_working(at(BERLIN, 2026, 3, 23, 9))
    assert berlin.is_working(at(BERLIN, 2026, 3, 23, 16, 59))
    assert not berlin.is_working(at(BERLIN, 2026, 3, 23, 17))
    assert not berlin.is_working(at(BERLIN, 2026, 3, 22, 12))  # Sunday


def test_a_start_before_opening_counts_from_the_opening():
    early = at(BERLIN, 2026, 3, 23, 7, 12)
    assert local(berlin.add(early, timedelta(minutes=30)), BERLIN) == at(BERLIN, 2026, 3, 23, 9, 30)


def test_holidays_are_skipped_like_weekends():
    easter = BusinessCalendar(
        tz="Europe/Berlin", holidays=frozenset({date(2026, 4, 3), date(2026, 4, 6)})
    )
    maundy_thursday = at(BERLIN, 2026, 4, 2, 16)
    due = easter.add(maundy_thursday, easter.business_days(1))
    assert local(due, BERLIN) == at(BERLIN, 2026, 4, 7, 16)
    assert easter.between(maundy_thursday, due) == 8 * HOUR


def test_a_due_time_that_ends_exactly_at_closing_stays_on_that_day():
    monday = at(BERLIN, 2026, 3, 23, 9)
    assert local(berlin.add(monday, 8 * HOUR), BERLIN) == at(BERLIN, 2026, 3, 23, 17)


def test_zero_business_time_is_due_at_the_start_even_outside_hours():
    sunday = at(BERLIN, 2026, 3, 22, 12)
    assert berlin.add(sunday, timedelta(0)) == sunday


def test_the_new_york_spring_forward_week_keeps_eight_hour_days():
    friday_est = at(NEW_YORK, 2026, 3, 6, 13)  # clocks go forward on Sunday 8 March
    due = new_york.add(friday_est, 8 * HOUR)
    assert local(due, NEW_YORK) == at(NEW_YORK, 2026, 3, 9, 13)
    assert due - friday_est == 71 * HOUR  # the weekend lost an hour, business time did not
    assert new_york.between(at(NEW_YORK, 2026, 3, 9, 0), at(NEW_YORK, 2026, 3, 10, 0)) == 8 * HOUR


def test_the_new_york_fall_back_week_keeps_eight_hour_days():
    friday_edt = at(NEW_YORK, 2026, 10, 30, 15)  # clocks go back on Sunday 1 November
    due = new_york.add(friday_edt, 3 * new_york.business_day)
    assert local(due, NEW_YORK) == at(NEW_YORK, 2026, 11, 4, 15)


def test_the_london_spring_forward_and_fall_back_weeks():
    before_spring = at(LONDON, 2026, 3, 27, 12)  # BST starts Sunday 29 March
    assert local(london.add(before_spring, 8 * HOUR), LONDON) == at(LONDON, 2026, 3, 30, 12)
    before_fall = at(LONDON, 2026, 10, 23, 15)  # BST ends Sunday 25 October
    due = london.add(before_fall, 3 * london.business_day)
    assert local(due, LONDON) == at(LONDON, 2026, 10, 28, 15)
    assert london.between(before_fall, due) == 24 * HOUR


def test_a_round_the_clock_team_has_a_23_hour_day_when_clocks_spring_forward():
    always = BusinessCalendar(tz="America/New_York", weekdays=EVERY_DAY, end=time(0), start=time(0))
    sunday = at(NEW_YORK, 2026, 3, 8)
    assert always.between(sunday, at(NEW_YORK, 2026, 3, 9)) == 23 * HOUR
    assert local(always.add(sunday, 24 * HOUR), NEW_YORK) == at(NEW_YORK, 2026, 3, 9, 1)


def test_a_span_edge_in_a_spring_forward_gap_moves_to_the_jump():
    night = BusinessCalendar(
        tz="America/New_York", weekdays=EVERY_DAY, start=time(2, 30), end=time(5)
    )
    opens, closes = night.span_on(date(2026, 3, 8))
    assert local(opens, NEW_YORK) == at(NEW_YORK, 2026, 3, 8, 3)  # 02:30 does not exist
    assert closes - opens == 2 * HOUR


def test_a_span_inside_a_gap_is_no_working_time_at_all():
    gap = BusinessCalendar(
        tz="America/New_York", weekdays=EVERY_DAY, start=time(2), end=time(2, 30)
    )
    assert gap.span_on(date(2026, 3, 8)) is None
    assert gap.span_on(date(2026, 3, 9)) is not None


def test_a_span_edge_in_a_fall_back_fold_takes_its_first_occurrence():
    night = BusinessCalendar(tz="Europe/London", weekdays=EVERY_DAY, start=time(1, 30), end=time(3))
    opens, closes = night.span_on(date(2026, 10, 25))
    assert opens == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST, not 01:30 GMT
    assert closes - opens == timedelta(hours=2, minutes=30)


def test_a_day_that_never_happened_has_no_working_time():
    apia = BusinessCalendar(tz="Pacific/Apia", weekdays=EVERY_DAY)  # skipped 30 Dec 2011
    samoa = ZoneInfo("Pacific/Apia")
    assert apia.span_on(date(2011, 12, 30)) is None
    thursday = at(samoa, 2011, 12, 29, 17)
    assert local(apia.add(thursday, HOUR), samoa) == at(samoa, 2011, 12, 31, 10)


def test_per_weekday_spans_override_the_default_span():
    short_fridays = BusinessCalendar(tz="Europe/Berlin", weekday_spans={4: (time(9), time(13))})
    friday = at(BERLIN, 2026, 3, 20, 12)
    assert local(short_fridays.add(friday, 2 * HOUR), BERLIN) == at(BERLIN, 2026, 3, 23, 10)
    assert short_fridays.business_day == 8 * HOUR


def test_elapsed_excludes_pauses_and_an_open_pause_runs_until_now():
    monday = at(BERLIN, 2026, 3, 23, 9)
    pauses = [
        (at(BERLIN, 2026, 3, 23, 10), at(BERLIN, 2026, 3, 23, 11)),
        (at(BERLIN, 2026, 3, 23, 10, 30), at(BERLIN, 2026, 3, 23, 11, 30)),  # overlaps: once
        (at(BERLIN, 2026, 3, 23, 15), None),
    ]
    assert berlin.elapsed(monday, at(BERLIN, 2026, 3, 23, 16), pauses) == 4.5 * HOUR


def test_between_is_zero_when_the_end_is_not_after_the_start():
    monday = at(BERLIN, 2026, 3, 23, 12)
    assert berlin.between(monday, monday - HOUR) == timedelta(0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        berlin.add(datetime(2026, 3, 23, 9), HOUR)  # noqa: DTZ001


def test_negative_durations_are_refused():
    with pytest.raises(ValueError, match="negative"):
        berlin.add(at(BERLIN, 2026, 3, 23, 9), -HOUR)


@pytest.mark.parametrize(
    "bad",
    [
        {"weekdays": frozenset()},
        {"weekdays": frozenset({7})},
        {"start": time(17), "end": time(9)},
        {"start": time(9), "end": time(9)},
        {"weekday_spans": {9: (time(9), time(10))}},
    ],
)
def test_an_impossible_calendar_is_refused(bad):
    with pytest.raises(ValueError):
        BusinessCalendar(**bad)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(Exception, match="Mars"):
        BusinessCalendar(tz="Mars/Olympus_Mons")
