"""Reads of a team's SLA settings, falling back to the issue's defaults when no row exists."""

from __future__ import annotations

from datetime import timedelta

from supportdesk.people.models import Team
from supportdesk.sla import defaults
from supportdesk.sla.business_time import BusinessCalendar
from supportdesk.sla.clock import SlaTargets
from supportdesk.sla.models import BusinessHours, SlaPolicy


def business_hours_of(team: Team) -> BusinessHours | None:
    return BusinessHours.objects.filter(team=team).prefetch_related("holidays").first()


def calendar_for(team: Team) -> BusinessCalendar:
    """The team's working calendar (the default Mon–Fri 09:00–17:00 when it has none)."""
    hours = business_hours_of(team)
    return hours.calendar() if hours else defaults.default_calendar()


def pause_statuses_for(team: Team) -> list[str]:
    """Case statuses in which the team's resolution clock pauses."""
    hours = business_hours_of(team)
    return list(hours.pause_statuses) if hours else defaults.default_pause_statuses()


def targets_for(
    team: Team, priority: str, *, calendar: BusinessCalendar | None = None
) -> SlaTargets:
    """The team's targets for a priority: its `SlaPolicy` row, else the issue's defaults
    (business days measured on the team's calendar; pass it to save a query)."""
    policy = SlaPolicy.objects.filter(team=team, priority=priority).first()
    if policy:
        return SlaTargets(
            first_response=timedelta(minutes=policy.first_response_minutes),
            resolution=timedelta(minutes=policy.resolution_minutes),
        )
    return defaults.default_targets(priority=priority, calendar=calendar or calendar_for(team))
