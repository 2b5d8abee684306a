"""The requester's answer to the team's request for details: POST /cases/{number}/answer.

The fields asked for are in the case's `info_request` (GET /cases/{number}); the answer fills
exactly those, with an optional comment, and puts the case back to Work in Progress. Wrong
answers are 422 naming `answers.<field>`; anyone but the requester, or a case not waiting on
fields, is 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router

from supportdesk.api.case_actions import WRITE
from supportdesk.api.cases import case_for_user_out
from supportdesk.api.schemas import VersionIn
from supportdesk.cases.info_requests import answer_info_request
from supportdesk.cases.queries import case_for

router = Router(tags=["case actions"])


class AnswerIn(VersionIn):
    answers: dict[str, Any] = Field(
        {},
        description="Answers to the fields asked for, by field name, as in POST /cases "
        "`details`; a field left out keeps its current answer (each must have one).",
    )
    comment: str = Field("", description="Optional; Markdown, @username mentions notify.")


@router.post("/cases/{number}/answer", response=WRITE)
def case_answer(request: HttpRequest, number: str, payload: AnswerIn) -> dict[str, Any]:
    """The requester fills in the fields the team asked for; back to Work in Progress."""
    user = request.auth
    case = case_for(user, number)
    case = answer_info_request(
        case,
        requester=user,
        answers=payload.answers,
        comment=payload.comment,
        version=payload.version,
    )
    return case_for_user_out(user, case)
