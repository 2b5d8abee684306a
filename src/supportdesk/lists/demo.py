"""Demo list views: a private one, one shared with a team, one an admin published.

Idempotent: a view is found by its owner and name, and left alone when it exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from supportdesk.lists.models import ListView, Visibility
from supportdesk.people.models import Team

DEMO_VIEWS: list[dict[str, Any]] = [
    {
        "owner": "rita",
        "name": "My closed requests this quarter",
        "visibility": Visibility.PRIVATE,
        "filters": {"requester": "me", "status": ["closed"], "closed": "this_quarter"},
        "columns": ["number", "subject", "team", "resolution", "closed_at"],
        "sort": "-closed_at",
    },
    {
        "owner": "dana",
        "name": "Deal Desk — urgent and high",
        "visibility": Visibility.TEAMS,
        "teams": ["Deal Desk"],
        "filters": {"team": ["deal-desk"], "priority": ["urgent", "high"], "status": ["open"]},
        "columns": ["number", "subject", "priority", "status", "owner", "record", "created_at"],
        "sort": "-priority,created_at",
    },
    {
        "owner": "ops",
        "name": "Waiting on the requester",
        "visibility": Visibility.EVERYONE,
        "filters": {"status": ["pending_response"]},
        "columns": ["number", "subject", "team", "requester", "owner", "updated_at"],
        "sort": "updated_at",
    },
]


def create_views() -> int:
    users = get_user_model().objects.in_bulk(
        [v["owner"] for v in DEMO_VIEWS], field_name="username"
    )
    for spec in DEMO_VIEWS:
        fields = {k: v for k, v in spec.items() if k not in ("owner", "name", "teams")}
        view, created = ListView.objects.get_or_create(
            owner=users[spec["owner"]], name=spec["name"], defaults=fields
        )
        if created and spec.get("teams"):
            view.teams.set(Team.objects.filter(name__in=spec["teams"]))
    return ListView.objects.count()
