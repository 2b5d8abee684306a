"""The 409 of POST /cases when the request may duplicate open cases (`cases.duplicates`)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Field, Schema

from supportdesk.api.errors import Problem, problem_response
from supportdesk.cases.duplicates import PossibleDuplicates

DETAIL = (
    "This request may duplicate open cases; see `candidates`. Add your details to one of "
    "them (comment on it), or send the request again with `confirm_not_duplicate: true` and "
    "a `not_duplicate_reason`."
)


class CandidateOut(Schema):
    number: str
    subject: str
    status: str
    owner: str | None = Field(description="Username of the owner; null while in the queue.")
    team: str
    reasons: list[str] = Field(description="Why the case is shown.")
    url: str


class DuplicatesProblem(Problem):
    """A 409: open cases look like this request; nothing was created."""

    candidates: list[CandidateOut]


def duplicates_response(refusal: PossibleDuplicates) -> HttpResponse:
    candidates = [c.as_json() for c in refusal.candidates]
    return problem_response(409, DETAIL, extra={"candidates": candidates})
