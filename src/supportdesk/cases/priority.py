"""An agent changes a case's priority, with a reason.

The requester's own choice stays in `Case.requested_priority` (the leads' urgent-use page
compares the two); the change goes in the feed, the requester and watchers hear of it, and
the SLA clock is recomputed for the new priority.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from supportdesk.cases.actions import (
    ActionInvalid,
    _event,
    _lock,
    _name,
    _required_text,
    _save,
    _watchers,
)
from supportdesk.cases.models import Case, CaseEvent, Priority
from supportdesk.cases.policy import Action
from supportdesk.notify.services import notify

URGENT_REASON_MAX = 5000
URGENT_REASON_REQUIRED = "Say why this is urgent: urgent cases need a justification."


@transaction.atomic
def change_priority(
    case: Case,
    *,
    agent: AbstractBaseUser,
    priority: str,
    reason: str,
    urgent_reason: str = "",
    version: int | None = None,
) -> Case:
    """Set the priority (agents and leads of the team, admins; open cases only).

    Urgent needs a justification, which replaces the case's; leaving Urgent clears it (the
    feed keeps it). Field errors name `priority`, `reason` and `urgent_reason`.
    """
    case = _lock(case, agent, Action.CHANGE_PRIORITY, version)
    reason, urgent_reason = _clean(case, priority, reason, urgent_reason)
    before, before_reason = case.priority, case.urgent_reason
    case.priority = priority
    case.urgent_reason = urgent_reason
    _save(case, "priority", "urgent_reason")  # which recomputes the SLA clock (sla.engine)
    data = {"from": before, "to": priority, "reason": reason}
    if urgent_reason:
        data["urgent_reason"] = urgent_reason
    elif before_reason:
        data["urgent_reason_was"] = before_reason
    event = _event(case, CaseEvent.PRIORITY_CHANGED, agent, **data)
    label, was = Priority(priority).label, Priority(before).label
    notify(
        [case.requester, *_watchers(case)],
        kind="case.priority_changed",
        case=case,
        actor=agent,
        title=f"{_name(agent)} changed the priority of case {case.number} to {label}",
        body=f"{was} → {label}. Reason: {reason}",
        event=event,
    )
    return case


def _clean(case: Case, priority: str, reason: str, urgent_reason: str) -> tuple[str, str]:
    """The reason and the justification to store, or every field error at once."""
    errors: dict[str, list[str]] = {}
    if priority not in Priority.values:
        errors["priority"] = ["Choose one of " + ", ".join(Priority.labels) + "."]
    elif priority == case.priority:
        errors["priority"] = [f"The case's priority is {Priority(priority).label} already."]
    try:
        reason = _required_text(reason, "reason", "Say why the priority changes.")
    except ActionInvalid as invalid:
        errors.update(invalid.errors)
    urgent_reason = (urgent_reason or "").strip() if priority == Priority.URGENT else ""
    if priority == Priority.URGENT and not urgent_reason:
        errors["urgent_reason"] = [URGENT_REASON_REQUIRED]
    elif len(urgent_reason) > URGENT_REASON_MAX:
        errors["urgent_reason"] = [f"Keep it under {URGENT_REASON_MAX} characters."]
    if errors:
        raise ActionInvalid(errors)
    return reason, urgent_reason
