"""The built-in views of the Cases tab: saved-view definitions that live in code.

They use the same filter parameters, columns and sort as saved views, so any of them can be
cloned into a view of one's own and changed. "me" and "mine" mean the viewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from supportdesk.people.queries import team_ids_of

REQUESTER_COLUMNS = ("number", "subject", "status", "priority", "team", "owner", "updated_at")
AGENT_COLUMNS = (
    "number",
    "subject",
    "status",
    "priority",
    "request_type",
    "record",
    "requester",
    "created_at",
    "sla_due",
)


@dataclass(frozen=True)
class BuiltinView:
    slug: str
    name: str
    description: str
    filters: dict[str, Any]
    sort: str
    columns: tuple[str, ...]
    for_agents: bool = False  # offered to agents, leads and admins only
    editable: bool = field(default=False, init=False)

    @property
    def pk(self) -> str:
        return self.slug


BUILTIN_VIEWS: dict[str, BuiltinView] = {
    v.slug: v
    for v in (
        BuiltinView(
            "my-requests",
            "My Requests",
            "Everything you requested, across all teams; cases waiting on your answer first.",
            {"requester": "me"},
            "waiting,-updated_at",
            REQUESTER_COLUMNS,
        ),
        BuiltinView(
            "my-open",
            "My Open Cases",
            "Cases you own that are not closed, most urgent first.",
            {"owner": "me", "status": ["open"]},
            "-priority,created_at",
            AGENT_COLUMNS,
            for_agents=True,
        ),
        BuiltinView(
            "team-queue",
            "My Teams' Queue",
            "Open cases of your teams that nobody owns yet: breached first, then at risk, then "
            "by priority and due time.",
            {"owner": "queue", "team": ["mine"], "status": ["open"]},
            "-sla,-priority,sla_due",
            ("number", "subject", "team", *AGENT_COLUMNS[2:]),
            for_agents=True,
        ),
        BuiltinView(
            "created-by-me",
            "Cases I Created",
            "Cases you submitted, newest first (you are their requester).",
            {"created_by": "me"},
            "-created_at",
            ("number", "subject", "status", "team", "request_type", "record", "created_at"),
        ),
        BuiltinView(
            "recent",
            "Recently Viewed",
            "The cases you opened lately, last opened first.",
            {"viewed": "me"},
            "-viewed_at",
            ("number", "subject", "status", "team", "owner", "viewed_at"),
        ),
        BuiltinView(
            "all-open",
            "All Open Cases",
            "Every open case you can see, newest first.",
            {"status": ["open"]},
            "-created_at",
            ("number", "subject", "status", "priority", "team", "owner", "created_at"),
            for_agents=True,
        ),
        BuiltinView(
            "recently-closed",
            "Recently Closed",
            "Cases you can see that closed in the last 30 days, last closed first.",
            {"status": ["closed"], "closed": "last_30_days"},
            "-closed_at",
            ("number", "subject", "team", "owner", "resolution", "closed_at"),
        ),
    )
}


def is_agent(user: AbstractBaseUser) -> bool:
    return user.is_staff or bool(team_ids_of(user))


def builtin_views_for(user: AbstractBaseUser) -> list[BuiltinView]:
    agent = is_agent(user)
    return [v for v in BUILTIN_VIEWS.values() if agent or not v.for_agents]


def default_view_for(user: AbstractBaseUser) -> BuiltinView:
    """My Open Cases for members of a team, My Requests for everyone else."""
    return BUILTIN_VIEWS["my-open" if team_ids_of(user) else "my-requests"]
