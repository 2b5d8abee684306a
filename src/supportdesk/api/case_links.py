"""Linked cases: a case's children, and raising one (asking another team for help, or a
follow-up to a case closed too long ago to reopen).

POST /cases/{number}/children takes the body of POST /cases without `record`: the child is
raised on the parent's record, which the parent grants access to (an agent asking for help
needs no access to the record). Who may: `policy.may_ask_for_help` / `may_follow_up` (403).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Status

from supportdesk.api.cases import (
    IDEMPOTENCY_KEY,
    PRIORITY_BY_NAME,
    _merge,
    case_for_user_out,
    case_out,
)
from supportdesk.api.errors import ApiProblem, FieldErrors, problems
from supportdesk.api.schemas import CaseOut, ChildCaseIn
from supportdesk.cases.info_requests import prime_info_requests
from supportdesk.cases.links import case_kind
from supportdesk.cases.models import Case, CaseWatcher
from supportdesk.cases.policy import prime_roles
from supportdesk.cases.queries import case_for, cases_visible_to, visible_attachments
from supportdesk.cases.services import (
    LinkNotAllowed,
    SubmissionInvalid,
    SubmitResult,
    submit_case,
)
from supportdesk.catalog.queries import Choice, resolve_choice

router = Router(tags=["linked cases"])


@router.get("/cases/{number}/children", response={200: list[CaseOut], **problems(401, 404)})
def child_list(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """The cases raised from this one that the caller may see, oldest first."""
    user = request.auth
    parent = case_for(user, number)
    children = list(
        cases_visible_to(user)
        .filter(parent=parent)
        .select_related(
            "record", "team", "request_type", "sub_request", "owner", "requester", "rating"
        )
        .prefetch_related(
            Prefetch("attachments", queryset=visible_attachments(user)),
            Prefetch(
                "watcher_links",
                queryset=CaseWatcher.objects.select_related("user").order_by("created_at", "pk"),
            ),
        )
        .order_by("created_at", "id")
    )
    prime_roles(user, children)
    prime_info_requests(children)
    return [
        case_out(c, c.attachments.all(), user=user, watchers=c.watcher_links.all())
        for c in children
    ]


@router.post(
    "/cases/{number}/children",
    response={200: CaseOut, 201: CaseOut, **problems(401, 403, 404, 409, 422)},
)
def child_create(
    request: HttpRequest,
    number: str,
    payload: ChildCaseIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status:
    """Ask another team for help (open case: whoever may comment on it), or request a
    follow-up (closed longer ago than the reopen window: its requester); 201 with the child,
    or 200 with it for a repeated key."""
    user = request.auth
    parent = case_for(user, number)
    choice = resolve_choice(
        case_kind(parent),
        team=payload.team,
        request_type=payload.request_type,
        sub_request=payload.sub_request,
    )
    result = _submit_child(user, parent, choice, payload, idempotency_key)
    if not result.created:
        return Status(200, case_for_user_out(user, case_for(user, result.case.number)))
    case = result.case
    case.team = case.request_type.team  # already loaded; saves a query
    return Status(201, case_out(case, result.attachments, user=user, watchers=result.watchers))


def _submit_child(
    user: AbstractBaseUser, parent: Case, choice: Choice, payload: ChildCaseIn, key: str | None
) -> SubmitResult:
    """`submit_case` linked to `parent`, on its record: every error in one 422, 403 when the
    caller may not raise a case linked to it now."""
    resolved = not choice.errors
    try:
        return submit_case(
            user,
            record=parent.record,
            parent=parent,
            request_type=choice.request_type if resolved else None,
            sub_request=choice.sub_request if resolved else None,
            subject=payload.subject,
            priority=PRIORITY_BY_NAME.get(payload.priority.strip().lower(), payload.priority),
            urgent_reason=payload.urgent_reason,
            description=payload.description,
            needed_by=payload.needed_by,
            answers=payload.details,
            attachment_ids=[str(i) for i in payload.attachments],
            submission_key=key or None,
        )
    except LinkNotAllowed as refused:
        raise ApiProblem(403, str(refused)) from None
    except SubmissionInvalid as invalid:
        raise FieldErrors(_merge(invalid.errors, choice)) from None
