"""Reads of a team's SLA settings (cached by engine.team_sla), falling back to the issue's
defaults when the team has no rows."""

from __future__ import annotations

from supportdesk.people.models import Team
from supportdesk.sla.business_time import BusinessCalendar
from supportdesk.sla.clock import SlaTargets
from supportdesk.sla.engine import team_sla


def calendar_for(team: Team) -> BusinessCalendar:
    """The team's working calendar (the default Mon–Fri 09:00–17:00 when it has none)."""
    return team_sla(team.pk).calendar


def pause_statuses_for(team: Team) -> list[str]:
    """Case statuses in which the team's resolution clock pauses."""
    return list(team_sla(team.pk).pause_statuses)


def targets_for(team: Team, priority: str) -> SlaTargets:
    """The team's targets for a priority: its `SlaPolicy` row, else the issue's defaults
    (business days measured on the team's calendar)."""
    return team_sla(team.pk).targets[priority]
