"""Merging a duplicate into its master over the API (cases.merge).

POST /cases/{number}/merge {"into": "00000042", "reason": "…"} closes case {number} as a
duplicate of case `into` and answers with it. Both cases must be visible to the caller (404
otherwise, missing and hidden alike); the caller must be an agent or lead of the duplicate's
team, or an admin, and the duplicate open (403); a bad master (closed, the same case, a
duplicate of this one) or a missing reason is a 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router

from supportdesk.api.case_actions import WRITE
from supportdesk.api.cases import case_for_user_out
from supportdesk.api.errors import ApiProblem
from supportdesk.api.schemas import VersionIn, _required
from supportdesk.cases.merge import merge_case
from supportdesk.cases.models import Case
from supportdesk.cases.queries import case_for

router = Router(tags=["case actions"])


class MergeIn(VersionIn):
    model_config = _required("into", "reason")

    into: str = Field("", description="Number of the master case: open, and one you can see.")
    reason: str = Field("", description="Why this case is a duplicate; its requester reads it.")


@router.post("/cases/{number}/merge", response=WRITE)
def case_merge(request: HttpRequest, number: str, payload: MergeIn) -> dict[str, Any]:
    """Close the case as a duplicate of `into`: its requester and watchers start watching the
    master, its files are copied there, and both feeds record the merge."""
    user = request.auth
    duplicate = case_for(user, number)
    into = payload.into.strip().lstrip("#")
    master: Case | str = into  # empty: the service names the missing field
    if into:
        try:
            master = case_for(user, into)
        except Http404:
            raise ApiProblem(404, f"There is no case {into} that you can see.") from None
    duplicate = merge_case(
        duplicate,
        into=master,
        agent=user,
        reason=payload.reason,
        version=payload.version,
    )
    return case_for_user_out(user, duplicate)
