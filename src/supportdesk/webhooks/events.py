"""The event kinds an endpoint can subscribe to, which feed events become which, and the
payload: only facts about the case that its requester could read (never internal notes).

| kind                  | sent when                                                       |
|-----------------------|-----------------------------------------------------------------|
| `case.created`        | a case is submitted                                             |
| `case.updated`        | its owner, team, priority, subject, description or answers change |
| `case.status_changed` | its status changes (closing and reopening too)                  |
| `case.commented`      | a public comment is added (internal notes are never sent)       |
| `case.closed`         | it is closed (also sent as `case.status_changed`)               |
| `case.reopened`       | a closed case is opened again (also `case.status_changed`)      |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from supportdesk.cases.models import Case, CaseEvent, Status

KINDS: dict[str, str] = {
    "case.created": "A case is submitted",
    "case.updated": "Owner, team, priority or fields change",
    "case.status_changed": "Status changes",
    "case.commented": "Public comments (never internal notes)",
    "case.closed": "A case is closed",
    "case.reopened": "A closed case is reopened",
}
UPDATES = {
    CaseEvent.OWNER_CHANGED: "owner",
    CaseEvent.TEAM_MOVED: "team",
    CaseEvent.PRIORITY_CHANGED: "priority",
    CaseEvent.FIELD_CHANGED: "field",
}
# The feed kinds that can become webhooks: anything else is skipped before any query.
SOURCES = frozenset({CaseEvent.CREATED, CaseEvent.STATUS_CHANGED, CaseEvent.COMMENTED, *UPDATES})


def kinds_for(event: CaseEvent) -> list[str]:
    """The webhook kinds a feed event is sent as (none for internal ones)."""
    if event.internal or event.kind not in SOURCES:
        return []
    data = event.data
    if event.kind == CaseEvent.CREATED:
        return ["case.created"]
    if event.kind == CaseEvent.COMMENTED:
        return ["case.commented"]
    if event.kind in UPDATES:
        return ["case.updated"]
    kinds = ["case.status_changed"]
    if data.get("to") == Status.CLOSED:
        kinds.append("case.closed")
    elif data.get("from") == Status.CLOSED:
        kinds.append("case.reopened")
    return kinds


def event_id(event: CaseEvent, kind: str) -> str:
    """The payload id: one per feed event and kind, the same on every attempt."""
    return f"evt_{event.pk}_{kind}"


def payload(event: CaseEvent, kind: str) -> dict[str, Any]:
    """What an endpoint receives for `event` sent as `kind`."""
    return {
        "id": event_id(event, kind),
        "kind": kind,
        "occurred_at": event.created_at.isoformat(),
        "case": case_facts(event.case),
        "data": event_data(event, kind),
    }


def case_facts(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "subject": case.subject,
        "status": case.status,
        "team": case.team.name,
        "request_type": case.request_type.name,
        "priority": case.priority,
        "owner": case.owner.get_username() if case.owner else None,
        "requester": case.requester.get_username(),
        "url": f"{settings.SITE_URL}{case.get_absolute_url()}",
    }


def event_data(event: CaseEvent, kind: str) -> dict[str, Any]:
    """The event's own facts, picked by name (a new key in the feed is never sent unseen)."""
    data = event.data
    actor = event.actor.get_username() if event.actor else None
    if kind == "case.created":
        return {"actor": actor}
    if kind == "case.commented":
        return {"actor": actor, "comment_id": event.pk, "body": data.get("body", "")}
    if kind == "case.updated":
        picked = {k: data[k] for k in ("field", "label", "from", "to", "reason") if k in data}
        return {"actor": actor, "change": UPDATES[event.kind], **picked}
    picked = {k: data[k] for k in ("from", "to", "resolution", "note", "reason") if k in data}
    return {"actor": actor, **picked}
