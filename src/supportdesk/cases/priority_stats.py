"""How often each requester marks requests to a team Urgent, and how often agents lower them.

"Marked urgent" is the requester's own choice at submission (`Case.requested_priority`);
"downgraded" is such a case whose priority is no longer Urgent. Both are counted in the
database, grouped by requester: one query for the rows and one for the totals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q

from supportdesk.cases.models import Case, Priority
from supportdesk.people.models import Membership, Team

PERIODS = (30, 90, 180, 365)  # days
DEFAULT_PERIOD = 90
ROW_LIMIT = 200

URGENT = Q(requested_priority=Priority.URGENT)
DOWNGRADED = URGENT & ~Q(priority=Priority.URGENT)


@dataclass(frozen=True)
class Usage:
    """One requester's requests to the team (or the team's totals, without a username)."""

    username: str
    name: str
    requests: int
    urgent: int
    downgraded: int

    @property
    def urgent_percent(self) -> int:
        return _percent(self.urgent, self.requests)

    @property
    def downgraded_percent(self) -> int | None:
        """Of their urgent requests; None when they marked none urgent."""
        return _percent(self.downgraded, self.urgent) if self.urgent else None


@dataclass(frozen=True)
class UsageReport:
    team: Team
    since: dt.datetime
    rows: list[Usage]
    totals: Usage
    truncated: bool  # more requesters than ROW_LIMIT: the least urgent ones are left out


def teams_led_by(user: AbstractBaseUser) -> list[Team]:
    """The teams whose urgent use the user may see: those they lead; every team for admins."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_staff:
        return list(Team.objects.filter(is_active=True))
    return list(Team.objects.filter(memberships__user=user, memberships__role=Membership.Role.LEAD))


def urgent_usage(team: Team, *, since: dt.datetime, limit: int = ROW_LIMIT) -> UsageReport:
    """Requests to `team` created since `since`, per requester, most urgent use first."""
    cases = Case.objects.filter(team=team, created_at__gte=since)
    people = cases.values("requester__username", "requester__first_name", "requester__last_name")
    rows = list(
        people.annotate(**_counts()).order_by(
            "-urgent", "-downgraded", "-requests", "requester__username"
        )[: limit + 1]
    )
    totals = cases.aggregate(**_counts())
    return UsageReport(
        team=team,
        since=since,
        rows=[_usage(row) for row in rows[:limit]],
        totals=Usage("", "All requesters", **totals),
        truncated=len(rows) > limit,
    )


def _counts() -> dict[str, Count]:
    return {
        "requests": Count("pk"),
        "urgent": Count("pk", filter=URGENT),
        "downgraded": Count("pk", filter=DOWNGRADED),
    }


def _usage(row: dict) -> Usage:
    username = row["requester__username"]
    name = f"{row['requester__first_name']} {row['requester__last_name']}".strip()
    return Usage(username, name or username, row["requests"], row["urgent"], row["downgraded"])


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0
