"""Priority: an agent changes a case's priority with a reason, and the priority the wizard
would suggest for a record (cases.priority_rules).

POST /cases/{number}/priority — agents and leads of the case's team and admins, open cases
(403 otherwise); a missing reason, the same priority or Urgent without a justification → 422.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from supportdesk.api.case_actions import WRITE
from supportdesk.api.cases import PRIORITY_BY_NAME, case_for_user_out
from supportdesk.api.errors import problems
from supportdesk.api.schemas import VERSION, BodyIn
from supportdesk.cases.priority import change_priority
from supportdesk.cases.priority_rules import suggest_priority
from supportdesk.cases.queries import case_for
from supportdesk.records.queries import record_by_external_id

router = Router(tags=["priority"])


class PriorityIn(BodyIn):
    priority: str = Field(description="Low, Medium, High or Urgent (labels or lowercase values).")
    reason: str = Field("", description="Why the priority changes; the requester reads it.")
    urgent_reason: str = Field("", description="Required when the new priority is Urgent.")
    version: int | None = VERSION


class PrioritySuggestionOut(Schema):
    priority: str | None = Field(description="Low, Medium, High or Urgent; null for none.")
    reason: str | None = Field(description="Why, from the record's facts; null for none.")
    rule: str | None = Field(description="The rule that suggested it (settings.PRIORITY_RULES).")


@router.post("/cases/{number}/priority", response=WRITE)
def case_priority(request: HttpRequest, number: str, payload: PriorityIn) -> dict[str, Any]:
    """Change the case's priority, with a reason; its SLA due times follow the new priority."""
    user = request.auth
    case = case_for(user, number)
    priority = payload.priority.strip()
    case = change_priority(
        case,
        agent=user,
        priority=PRIORITY_BY_NAME.get(priority.lower(), priority),
        reason=payload.reason,
        urgent_reason=payload.urgent_reason,
        version=payload.version,
    )
    return case_for_user_out(user, case)


@router.get(
    "/records/{external_id}/priority-suggestion",
    response={200: PrioritySuggestionOut, **problems(401, 404)},
)
def record_priority_suggestion(request: HttpRequest, external_id: str) -> dict[str, Any]:
    """The priority the Request Support wizard suggests for a record the caller may read."""
    record = record_by_external_id(request.auth, external_id)
    found = suggest_priority(record, today=timezone.localdate())
    if found is None:
        return {"priority": None, "reason": None, "rule": None}
    return {"priority": found.label, "reason": found.reason, "rule": found.rule}
