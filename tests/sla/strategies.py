"""Hypothesis strategies for business calendars, instants, durations and pauses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import strategies as st

from supportdesk.sla.business_time import MIDNIGHT, BusinessCalendar

# Zones with DST both ways, a 30-minute DST shift, no DST, and a southern-hemisphere DST.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Santiago",
]
FIRST_DAY = date(2026, 1, 1)
LAST_DAY = date(2027, 12, 31)

quarter_hours = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def spans(draw) -> tuple[time, time]:
    """A naive working span; edges often fall around 01:00–03:00, where clocks change."""
    start = draw(quarter_hours)
    later = [t for t in (time(h, m) for h in range(24) for m in (0, 15, 30, 45)) if t > start]
    end = draw(st.sampled_from([*later, MIDNIGHT]))
    return start, end


@st.composite
def calendars(draw) -> BusinessCalendar:
    start, end = draw(spans())
    weekdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    holidays = draw(st.frozensets(st.dates(FIRST_DAY, LAST_DAY), max_size=30))
    own = draw(st.dictionaries(st.sampled_from(sorted(weekdays)), spans(), max_size=2))
    return BusinessCalendar(
        tz=draw(st.sampled_from(ZONES)),
        weekdays=weekdays,
        start=start,
        end=end,
        holidays=holidays,
        weekday_spans=own,
    )


instants = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis draws naive, we attach UTC
    max_value=datetime(2027, 6, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
).map(lambda d: d.replace(microsecond=0))

durations = st.integers(0, 15 * 8 * 60).map(lambda m: timedelta(minutes=m))
offsets = st.integers(0, 40 * 24 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def pauses(draw, *, after: datetime) -> list[tuple[datetime, datetime | None]]:
    """Pauses after `after`, possibly overlapping; the last may still be open."""
    drawn = []
    for _ in range(draw(st.integers(0, 4))):
        begin = after + draw(offsets)
        length = draw(st.integers(1, 10 * 24 * 60).map(lambda m: timedelta(minutes=m)))
        drawn.append((begin, begin + length))
    if drawn and draw(st.booleans()):
        drawn[-1] = (drawn[-1][0], None)
    return drawn


def within_a_working_span(calendar: BusinessCalendar, instant: datetime) -> bool:
    """The instant lies inside a working span, or exactly at its end."""
    day = instant.astimezone(calendar.zone).date()
    for candidate in (day - timedelta(days=1), day, day + timedelta(days=1)):
        span = calendar.span_on(candidate)
        if span and span[0] <= instant <= span[1]:
            return True
    return False
