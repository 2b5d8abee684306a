"""Which dashboards there are, who may open each, and how each is built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from supportdesk.reports.blocks import Dashboard
from supportdesk.reports.dashboards import my_requests, my_work, operations, team
from supportdesk.reports.filters import ReportFilters


@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    description: str
    may_open: Callable[[AbstractBaseUser], bool]
    build: Callable[[AbstractBaseUser, ReportFilters], Dashboard]


def _everyone(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and user.is_active


DASHBOARDS: dict[str, Entry] = {
    entry.name: entry
    for entry in (
        Entry(
            "my-requests",
            "My requests",
            "Your open requests, what waits on you, how long your requests took.",
            _everyone,
            my_requests.build,
        ),
        Entry(
            "my-work",
            "My work",
            "The open cases you own by status and age, at risk and breached, what you closed.",
            my_work.may_open,
            my_work.build,
        ),
        Entry(
            "team",
            "Team",
            "Your team's backlog, flow, response and resolution times, SLA and quality rates.",
            team.may_open,
            team.build,
        ),
        Entry(
            "operations",
            "Operations",
            "Every team side by side, trends over time, and which request types to fix.",
            operations.may_open,
            operations.build,
        ),
    )
}


def dashboards_for(user: AbstractBaseUser) -> list[Entry]:
    return [entry for entry in DASHBOARDS.values() if entry.may_open(user)]


def dashboard_for(user: AbstractBaseUser, name: str) -> Entry | None:
    """The dashboard if the user may open it (None: answer 404, as for a missing one)."""
    entry = DASHBOARDS.get(name)
    return entry if entry is not None and entry.may_open(user) else None
