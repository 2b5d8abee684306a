"""The issue's SLA defaults, used when a team has no `BusinessHours` or `SlaPolicy` row.

Targets are kept in the units the issue states them in: minutes-based targets are business
minutes; "business days" become minutes only against a team's calendar (one business day is
the length of that team's working day, 480 minutes for 09:00–17:00).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from django.conf import settings

from supportdesk.cases.models import Priority, Status
from supportdesk.sla.business_time import BusinessCalendar
from supportdesk.sla.clock import SlaTargets

DEFAULT_WEEKDAYS = [0, 1, 2, 3, 4]  # Monday to Friday
DEFAULT_DAY_START = time(9, 0)
DEFAULT_DAY_END = time(17, 0)
DEFAULT_PAUSE_STATUSES = [Status.PENDING_RESPONSE.value, Status.ON_HOLD.value]


@dataclass(frozen=True)
class Target:
    minutes: int = 0
    business_days: int = 0

    def on(self, calendar: BusinessCalendar) -> timedelta:
        return timedelta(minutes=self.minutes) + calendar.business_days(self.business_days)


DEFAULT_TARGETS: dict[str, tuple[Target, Target]] = {
    Priority.URGENT: (Target(minutes=30), Target(minutes=4 * 60)),
    Priority.HIGH: (Target(minutes=2 * 60), Target(business_days=1)),
    Priority.MEDIUM: (Target(minutes=8 * 60), Target(business_days=3)),
    Priority.LOW: (Target(business_days=1), Target(business_days=5)),
}


def default_time_zone() -> str:
    """The site's time zone (settings.TIME_ZONE), read when called, never at import."""
    return settings.TIME_ZONE


def default_calendar() -> BusinessCalendar:
    return BusinessCalendar(
        tz=default_time_zone(),
        weekdays=frozenset(DEFAULT_WEEKDAYS),
        start=DEFAULT_DAY_START,
        end=DEFAULT_DAY_END,
    )


def default_pause_statuses() -> list[str]:
    return list(DEFAULT_PAUSE_STATUSES)


def default_weekdays() -> list[int]:
    return list(DEFAULT_WEEKDAYS)


def default_targets(*, priority: str, calendar: BusinessCalendar) -> SlaTargets:
    """The issue's targets for a priority, with business days measured on `calendar`."""
    first_response, resolution = DEFAULT_TARGETS[Priority(priority)]
    return SlaTargets(
        first_response=first_response.on(calendar), resolution=resolution.on(calendar)
    )
