"""The SLA clock of one case, as a pure function of its timestamps (no ORM).

- The **first-response clock** runs from creation until the first response (or closing) and
  never pauses: asking the requester for information is itself a response.
- The **resolution clock** runs from creation until closing and pauses while the case is in
  a pause status of its team (Pending Response, On Hold by default). Pauses push the
  resolution due time out by the business time they covered; a pause still open is taken to
  end `now`, so the due time keeps moving while the case waits.
- `used`, `left` and `percent` describe the resolution clock; `left` goes negative once the
  target is overrun. Breached means the due instant passed before the clock stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from supportdesk.sla.business_time import BusinessCalendar, Pause, merge_pauses

AT_RISK_PERCENT = 75


@dataclass(frozen=True)
class SlaTargets:
    """Business-time targets of one team × priority."""

    first_response: timedelta
    resolution: timedelta


@dataclass(frozen=True)
class SlaState:
    first_response_due: datetime
    resolution_due: datetime
    used: timedelta
    left: timedelta
    percent: int
    at_risk: bool
    breached: bool
    first_response_breached: bool
    resolution_breached: bool
    paused: bool


def sla_state(
    *,
    created_at: datetime,
    targets: SlaTargets,
    calendar: BusinessCalendar,
    pauses: Sequence[Pause],
    first_response_at: datetime | None,
    closed_at: datetime | None,
    now: datetime,
) -> SlaState:
    """Where a case stands against its SLA targets at `now`."""
    stopped = min(now, closed_at) if closed_at else now
    holes = _pauses_until(pauses, stopped=stopped)
    first_response_due = calendar.add(created_at, targets.first_response)
    resolution_due = calendar.add(created_at, targets.resolution, pauses=holes)
    responded = min(first_response_at or stopped, stopped)
    used = calendar.elapsed(created_at, stopped, holes)
    left = targets.resolution - used
    percent = _percent(used, targets.resolution)
    first_response_breached = responded > first_response_due
    resolution_breached = stopped > resolution_due
    breached = first_response_breached or resolution_breached
    open_case = closed_at is None or closed_at > now
    return SlaState(
        first_response_due=first_response_due,
        resolution_due=resolution_due,
        used=used,
        left=left,
        percent=percent,
        at_risk=open_case and not breached and percent >= AT_RISK_PERCENT,
        breached=breached,
        first_response_breached=first_response_breached,
        resolution_breached=resolution_breached,
        paused=open_case and any(end is None and begin <= now for begin, end in pauses),
    )


def _pauses_until(pauses: Sequence[Pause], *, stopped: datetime) -> list[tuple[datetime, datetime]]:
    """Pauses clipped to the moment the clock stopped; an open pause ends there."""
    return [
        (begin, min(end, stopped))
        for begin, end in merge_pauses(pauses, until=stopped)
        if begin < stopped
    ]


def _percent(used: timedelta, target: timedelta) -> int:
    if target <= timedelta(0):
        return 100
    return int(used / target * 100)
