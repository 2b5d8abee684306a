"""Business-time arithmetic on a team's working calendar. Pure Python: no ORM, no settings.

Definitions (the SLA engine and its tests rely on them):

- **Working span**: on a working weekday that is not a holiday, the local wall-clock interval
  `[start, end)` of that day, turned into two absolute instants through the calendar's time
  zone. `end == 00:00` means midnight at the end of the day (a 24-hour team).
- **Business time** is real elapsed time inside working spans. A 09:00–17:00 day is 8 hours
  on every day, DST change days included, because the change happens outside the span. Only
  a span that itself straddles a change is an hour shorter or longer, as the clock on the wall.
- **Business minutes**: targets such as 30 min, 2 h or 8 h are that much business time.
- **One business day** is `business_day`, the wall-clock length of the calendar's default
  span (8 h for 09:00–17:00), so "1 business day" from 10:00 Monday is due 10:00 Tuesday.
- **Nonexistent local times** (a span edge inside a spring-forward gap) are moved to the
  instant the clocks jump, the first instant whose wall time is later than the edge.
  **Ambiguous local times** (inside a fall-back fold) take their first occurrence (fold=0).
- Every datetime in and out is aware; results are in UTC. `add` and `between` never count a
  holiday, a non-working weekday, or time outside spans.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZERO = timedelta(0)
MIDNIGHT = time(0, 0)
# A calendar whose every day is a holiday would loop forever; after this many consecutive
# days without a working span we give up (ten years: far beyond any SLA target).
MAX_IDLE_DAYS = 3660

Pause = tuple[datetime, datetime | None]
Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours of one team: a time zone, working weekdays (0 = Monday), one span a day
    (optionally a different span for some weekdays), and holiday dates (local dates)."""

    tz: str = "UTC"
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: frozenset[date] = frozenset()
    weekday_spans: Mapping[int, tuple[time, time]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # raises ZoneInfoNotFoundError for an unknown name
        if not self.weekdays or not set(self.weekdays) <= set(range(7)):
            raise ValueError("Working weekdays must be a non-empty subset of 0 (Mon) to 6 (Sun).")
        for start, end in [(self.start, self.end), *self.weekday_spans.values()]:
            if start.tzinfo or end.tzinfo or not _wall_length(start, end) > ZERO:
                raise ValueError(f"A working span must be naive and non-empty: {start}–{end}.")
        if not set(self.weekday_spans) <= set(range(7)):
            raise ValueError("Per-weekday spans must be keyed by weekday 0 (Mon) to 6 (Sun).")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def business_day(self) -> timedelta:
        """The length of one working day: the wall-clock length of the default span."""
        return _wall_length(self.start, self.end)

    def business_days(self, days: int | float) -> timedelta:
        return self.business_day * days

    def span_on(self, day: date) -> Span | None:
        """The working span of a local date as UTC instants, or None on days off."""
        if day.weekday() not in self.weekdays or day in self.holidays:
            return None
        start, end = self.weekday_spans.get(day.weekday(), (self.start, self.end))
        end_day = day + timedelta(days=1) if end == MIDNIGHT else day
        opens, closes = _instant(day, start, self.zone), _instant(end_day, end, self.zone)
        return (opens, closes) if closes > opens else None

    def spans_from(self, instant: datetime) -> Iterator[Span]:
        """Working spans in time order, starting with the one that contains or follows
        `instant` (spans that end at or before it are skipped)."""
        day = _utc(instant).astimezone(self.zone).date() - timedelta(days=1)
        idle = 0
        while idle <= MAX_IDLE_DAYS:
            span = self.span_on(day)
            day += timedelta(days=1)
            if span is None:
                idle += 1
                continue
            idle = 0
            if span[1] > instant:
                yield span
        raise ValueError(f"No working day within {MAX_IDLE_DAYS} days of {instant}.")

    def is_working(self, instant: datetime) -> bool:
        """True when `instant` lies inside a working span (its opening included)."""
        opens, _ = next(self.spans_from(_utc(instant)))
        return opens <= instant

    def add(
        self, start: datetime, duration: timedelta, *, pauses: Sequence[Pause] = ()
    ) -> datetime:
        """The instant when `duration` of business time has elapsed after `start`, not
        counting time inside `pauses` (an open pause must be closed by the caller).
        A start outside working hours counts from the next opening; zero returns `start`."""
        start = _utc(start)
        if duration < ZERO:
            raise ValueError("A business-time duration cannot be negative.")
        if duration == ZERO:
            return start
        remaining = duration
        holes = merge_pauses(pauses, until=None)
        for opens, closes in self.spans_from(start):
            for piece_start, piece_end in _subtract((max(opens, start), closes), holes):
                if remaining <= piece_end - piece_start:
                    return piece_start + remaining
                remaining -= piece_end - piece_start
        raise AssertionError("unreachable: spans_from is infinite or raises")  # pragma: no cover

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from `a` to `b`; zero when `b` is not after `a`."""
        a, b = _utc(a), _utc(b)
        total = ZERO
        if b <= a:
            return total
        for opens, closes in self.spans_from(a):
            if opens >= b:
                break
            total += min(closes, b) - max(opens, a)
        return total

    def elapsed(self, start: datetime, now: datetime, pauses: Sequence[Pause] = ()) -> timedelta:
        """Business time used from `start` to `now`, excluding pauses. A pause still open
        (resumed_at None) runs until `now`; overlapping pauses count once."""
        start, now = _utc(start), _utc(now)
        used = self.between(start, now)
        for paused_at, resumed_at in merge_pauses(pauses, until=now):
            used -= self.between(max(paused_at, start), min(resumed_at, now))
        return used


def merge_pauses(pauses: Sequence[Pause], *, until: datetime | None) -> list[Span]:
    """Pauses as sorted, non-overlapping UTC intervals. An open pause ends at `until`
    (it must be given then); empty intervals are dropped."""
    closed: list[Span] = []
    for paused_at, resumed_at in pauses:
        if resumed_at is None and until is None:
            raise ValueError("An open pause needs an end: pass `until`.")
        end = _utc(resumed_at or until)
        if end > _utc(paused_at):
            closed.append((_utc(paused_at), end))
    merged: list[Span] = []
    for begin, end in sorted(closed):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _subtract(span: Span, holes: Sequence[Span]) -> Iterator[Span]:
    """The non-empty parts of `span` outside the sorted, disjoint `holes`."""
    cursor, end = span
    for hole_start, hole_end in holes:
        if hole_end <= cursor or hole_start >= end:
            continue
        if hole_start > cursor:
            yield cursor, hole_start
        cursor = max(cursor, hole_end)
    if cursor < end:
        yield cursor, end


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time (gap: the jump instant; fold: first occurrence)."""
    local = datetime.combine(day, wall, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # In a gap: fold=1 reads before the gap, fold=0 after it; find the jump to the second.
    wall = local.replace(tzinfo=None)
    low = int(local.replace(fold=1).astimezone(UTC).timestamp())
    high = int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) < wall:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _wall_length(start: time, end: time) -> timedelta:
    day = date(2000, 1, 3)
    end_day = day + timedelta(days=1) if end == MIDNIGHT else day
    return datetime.combine(end_day, end) - datetime.combine(day, start)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"Business time needs aware datetimes, got {instant!r}.")
    return instant.astimezone(UTC)
