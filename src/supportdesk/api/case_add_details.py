""" "Add my details to this case instead": POST /cases/{number}/add-details.

When POST /cases answers 409 with `candidates`, the caller may put what they would have
requested on one of those cases instead: it becomes a comment (with their files and any field
answers) and they become a watcher, as with the wizard's button (`cases.duplicate_actions`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status

from supportdesk.api.cases import IDEMPOTENCY_KEY, case_for_user_out
from supportdesk.api.errors import FieldErrors, problems
from supportdesk.api.schemas import BodyIn, CaseOut
from supportdesk.cases.duplicate_actions import (
    add_details_to_case,
    details_added_with_key,
    details_from_answers,
)
from supportdesk.cases.models import Case
from supportdesk.cases.queries import case_for
from supportdesk.catalog.schema import AnswersInvalid

router = Router(tags=["case actions"])


class AddDetailsIn(BodyIn):
    description: str = Field(description="What you need, as for a new request (Markdown).")
    details: dict[str, Any] = Field(
        {},
        description="Answers to the case's request type fields, by field name, as for POST "
        "/cases; none is required. The `case.details_added` event lists the fields given.",
    )
    attachments: list[uuid.UUID] = Field([], description="Ids of files from POST /uploads.")


def request_label(case: Case) -> str:
    """ "Quote Help / Quote Question": the request the details were meant for (the case's)."""
    label = case.request_type.label
    return f"{label} / {case.sub_request.label}" if case.sub_request_id else label


@router.post(
    "/cases/{number}/add-details",
    response={200: CaseOut, 201: CaseOut, **problems(401, 403, 404, 409, 422)},
)
def case_add_details(
    request: HttpRequest,
    number: str,
    payload: AddDetailsIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status:
    """Add your details to a case you can see instead of opening a duplicate: 201 with the
    case. They become a comment (files attached, answers listed) and you a watcher; the case's
    people are notified. A retry with the same `Idempotency-Key` answers 200 and adds nothing."""
    user = request.auth
    case = case_for(user, number)
    if idempotency_key and details_added_with_key(case, user=user, key=idempotency_key):
        return Status(200, case_for_user_out(user, case))
    errors: dict[str, list[str]] = {}
    if not payload.description.strip():
        errors["description"] = ["Describe what you need."]
    try:
        details = details_from_answers(
            case,
            user=user,
            request=request_label(case),
            description=payload.description,
            answers=payload.details,
            upload_ids=[str(i) for i in payload.attachments],
        )
    except AnswersInvalid as invalid:
        errors |= {f"details.{name}": messages for name, messages in invalid.errors.items()}
    if errors:
        raise FieldErrors(errors)
    add_details_to_case(case, user=user, details=details, key=idempotency_key or None)
    case.refresh_from_db(fields=["version", "updated_at", "status"])
    return Status(201, case_for_user_out(user, case))
