"""Cases: submit one request (one JSON call), read a case, list cases (filters: `lists`).

POST /cases resolves the names a script knows (team name or alias, request type and
sub-request names) to catalog rows, then hands everything to `submit_case`, reporting the
resolution errors and the submission errors together in one 422.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Header, Query, Router, Status

from supportdesk.api.duplicates import DuplicatesProblem, duplicates_response
from supportdesk.api.errors import FieldErrors, problems
from supportdesk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from supportdesk.api.schemas import CaseIn, CaseOut, info_request_out, rating_out
from supportdesk.api.views_api import (
    ALL_CASES,
    CaseFilterQuery,
    CaseListPage,
    api_listing,
    api_page,
)
from supportdesk.cases.duplicates import REASON_REQUIRED, PossibleDuplicates, duplicate_check
from supportdesk.cases.info_requests import open_info_request, prime_info_requests
from supportdesk.cases.models import (
    Attachment,
    Case,
    CaseWatcher,
    Priority,
    SlaStage,
    format_number,
)
from supportdesk.cases.policy import allowed_actions, prime_roles
from supportdesk.cases.queries import (
    attachments_visible_to,
    case_for,
    closed_case_rating,
    mark_visible,
    visible_attachments,
)
from supportdesk.cases.services import (
    RecordNotEditable,
    SubmissionInvalid,
    SubmitResult,
    case_subject,
    submit_case,
)
from supportdesk.catalog.queries import Choice, resolve_choice
from supportdesk.lists.queries import cases_matching
from supportdesk.records.models import Record
from supportdesk.records.queries import records_readable_by

router = Router(tags=["cases"])

CHOICE_FIELDS = ("team", "request_type", "sub_request")
# "Medium", "medium", "MEDIUM" → "medium"; anything else goes to submit_case to be refused.
PRIORITY_BY_NAME = {
    **{value: value for value in Priority.values},
    **{str(label).lower(): value for value, label in Priority.choices},
}


def attachment_out(attachment: Attachment, number: str) -> dict[str, Any]:
    """A file of case `number` (given, so a feed page never loads the case per file)."""
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "field_name": attachment.field_name,
        "url": settings.SITE_URL + reverse("cases:attachment", args=[number, attachment.pk]),
        "download_url": settings.SITE_URL
        + reverse("api:attachment_download", args=[number, attachment.pk]),
    }


def watcher_links(case: Case) -> list[CaseWatcher]:
    """The case's watchers with their users, oldest first (one query)."""
    return list(case.watcher_links.select_related("user").order_by("created_at", "pk"))


def case_out(
    case: Case,
    attachments: Iterable[Attachment],
    *,
    user: AbstractBaseUser,
    watchers: Iterable[CaseWatcher] | None = None,
    actions: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The case as `user` sees it: `attachments` must be those they may see.

    `watchers` (links with their users) are read when not given; `actions` default to what
    the user may do now, which assumes they may see the case.
    """
    number = case.number
    links = watcher_links(case) if watchers is None else watchers
    return {
        "number": number,
        "status": case.get_status_display(),
        "team": case.team.name,
        "request_type": case.request_type.name,
        "sub_request": case.sub_request.name if case.sub_request_id else None,
        "subject": case.subject,
        "priority": case.get_priority_display(),
        "urgent_reason": case.urgent_reason,
        "description": case.description,
        "needed_by": case.needed_by,
        "owner": case.owner.get_username() if case.owner_id else None,
        "requester": case.requester.get_username(),
        "record": case.record.external_id if case.record_id else None,
        "parent": format_number(case.parent_id) if case.parent_id else None,
        "duplicate_of": format_number(case.duplicate_of_id) if case.duplicate_of_id else None,
        "details": case.details,
        "attachments": [attachment_out(a, number) for a in attachments],
        "watchers": [link.user.get_username() for link in links],
        "version": case.version,
        "resolution": case.resolution or None,
        "resolution_note": case.resolution_note,
        "created_at": case.created_at,
        "first_response_at": case.first_response_at,
        "closed_at": case.closed_at,
        "actions": sorted(allowed_actions(user, case) if actions is None else actions),
        "url": settings.SITE_URL + case.get_absolute_url(),
        "rating": rating_out(closed_case_rating(case)),
        "sla": sla_out(case),
        "info_requests": case.info_requests,
        "info_request": info_request_out(open_info_request(case)),
    }


SLA_STAGE_KEYS = {SlaStage.ON_TRACK: "on_track", SlaStage.AT_RISK: "at_risk"}


def sla_out(case: Case) -> dict[str, Any] | None:
    if case.first_response_due is None:
        return None
    return {
        "stage": SLA_STAGE_KEYS.get(case.sla_stage, "breached"),
        "first_response_due": case.first_response_due,
        "resolution_due": case.resolution_due,
        "due": case.sla_due,
    }


def case_for_user_out(user: AbstractBaseUser, case: Case) -> dict[str, Any]:
    """`case_out` for one case: its visible files, watchers and the user's actions."""
    return case_out(case, attachments_visible_to(user, case), user=user)


def _record_named(external_id: str) -> Record:
    """The record, before any access check; 404 if there is none.

    Access is decided by the records' rule all the same: `submit_case` refuses without edit
    access (which implies read access), and `_refuse` answers 404 or 403 from the rule. Looking
    the record up first costs one plain query instead of the readable-by query on every submit.
    """
    try:
        return Record.objects.select_related("owner", "account").get(external_id=external_id)
    except Record.DoesNotExist:
        raise Http404("No such record.") from None


def _refuse(user: AbstractBaseUser, record: Record, refusal: RecordNotEditable) -> NoReturn:
    """No edit access: 403 if the user may read the record, else 404 (hidden = missing)."""
    if records_readable_by(user).filter(pk=record.pk).exists():
        raise refusal
    raise Http404("No such record.")


def _merge(submit_errors: Mapping[str, list[str]], choice: Choice) -> dict[str, list[str]]:
    """Resolution errors replace submit_case's generic ones for team/request type/sub-request."""
    if not choice.errors:
        return dict(submit_errors)
    rest = {k: v for k, v in submit_errors.items() if k not in CHOICE_FIELDS}
    return {**choice.errors, **rest}


def _submit(
    user: AbstractBaseUser, record: Record, choice: Choice, payload: CaseIn, key: str | None
) -> SubmitResult:
    """`submit_case` with the resolved names: every error in one 422, refusals as 404/403.

    With resolution errors the request type goes in as None, so submit_case still checks
    access and the other fields but can never create the case.
    """
    resolved = not choice.errors
    reason_errors = {}
    if payload.confirm_not_duplicate and not payload.not_duplicate_reason.strip():
        reason_errors = {"not_duplicate_reason": [REASON_REQUIRED]}
    check = duplicate_check(
        user,
        record=record,
        request_type=choice.request_type if resolved else None,
        sub_request=choice.sub_request if resolved else None,
        subject=case_subject(record, choice.request_type, choice.sub_request) if resolved else "",
        description=payload.description,
        confirmed=payload.confirm_not_duplicate,
        reason=payload.not_duplicate_reason,
    )
    try:
        return submit_case(
            user,
            record=record,
            request_type=choice.request_type if resolved else None,
            sub_request=choice.sub_request if resolved else None,
            priority=PRIORITY_BY_NAME.get(payload.priority.strip().lower(), payload.priority),
            urgent_reason=payload.urgent_reason,
            description=payload.description,
            needed_by=payload.needed_by,
            answers=payload.details,
            attachment_ids=[str(i) for i in payload.attachments],
            submission_key=key or None,
            before_create=check,
        )
    except RecordNotEditable as refusal:
        _refuse(user, record, refusal)
    except SubmissionInvalid as invalid:
        raise FieldErrors({**_merge(invalid.errors, choice), **reason_errors}) from None


IDEMPOTENCY_KEY = Header(
    None,
    alias="Idempotency-Key",
    max_length=150,
    description="Retries with the same key return the first case (200) instead of a new one.",
)


@router.post(
    "/cases",
    response={
        200: CaseOut,
        201: CaseOut,
        409: DuplicatesProblem,
        **problems(401, 403, 404, 422),
    },
)
def case_create(
    request: HttpRequest,
    payload: CaseIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status | HttpResponse:
    """Request support on a record; 201 with the case, or 200 with it for a repeated key.

    409 with `candidates` when open cases look like this request (the same request on the
    record, or similar text on the account): send it again with `confirm_not_duplicate`
    and `not_duplicate_reason` to create it all the same."""
    user = request.auth
    record = _record_named(payload.record)
    choice = resolve_choice(
        record.kind,
        team=payload.team,
        request_type=payload.request_type,
        sub_request=payload.sub_request,
    )
    try:
        result = _submit(user, record, choice, payload, idempotency_key)
    except PossibleDuplicates as refusal:
        return duplicates_response(refusal)
    if not result.created:  # a retry: the first submit's case, as its requester sees it
        return Status(200, case_for_user_out(user, case_for(user, result.case.number)))
    case = result.case
    case.team = case.request_type.team  # already loaded; saves a query
    return Status(201, case_out(case, result.attachments, user=user, watchers=result.watchers))


@router.get("/cases/{number}", response={200: CaseOut, **problems(401, 404)})
def case_get(request: HttpRequest, number: str) -> dict[str, Any]:
    """The case with the files the caller may see and the actions they may take now."""
    return case_for_user_out(request.auth, case_for(request.auth, number))


@router.get("/cases", response={200: CaseListPage, **problems(401, 422)})
def case_list(
    request: HttpRequest,
    filters: Query[CaseFilterQuery],  # documents them; read from request.GET as on the page
    mine: bool = Query(False, description="Only cases I requested (as `requester=me`)."),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Cases the caller may see, newest first (or by `sort`), narrowed by the filters as on
    the Cases tab; pages by cursor, with the count up to 10,000."""
    user = request.auth
    listing = api_listing(user, ALL_CASES, request.GET, mine=mine)
    cases = cases_matching(user, listing.filters)
    cases = cases.select_related(
        "record", "team", "request_type", "sub_request", "owner", "requester", "rating"
    ).prefetch_related(
        Prefetch("attachments", queryset=visible_attachments(user)),
        Prefetch(
            "watcher_links",
            queryset=CaseWatcher.objects.select_related("user").order_by("created_at", "pk"),
        ),
    )
    page, links = api_page(request, cases, listing, limit=limit, cursor=cursor)
    prime_roles(user, page.items)
    mark_visible(user, page.items)  # from cases_matching: no access query per case
    prime_info_requests(page.items)  # the open requests of the page's cases: one query
    return {
        "items": [
            case_out(case, case.attachments.all(), user=user, watchers=case.watcher_links.all())
            for case in page.items
        ],
        **links,
    }
