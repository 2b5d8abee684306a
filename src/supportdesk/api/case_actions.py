"""Working a case over the API: every action of the case page on /cases/{number}/….

Each route opens the case with `case_for` (hidden = 404), calls one action of
`cases.actions` (which checks the policy and the optional `version` under a row lock) and
answers with the case as the caller now sees it. Errors map in api/errors.py: not allowed →
403, field errors → 422, a stale `version` or a lost race → 409 with the current version.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest
from ninja import Query, Router, Status

from supportdesk.api.cases import CHOICE_FIELDS, attachment_out, case_for_user_out, case_out
from supportdesk.api.cases import router as cases_router
from supportdesk.api.errors import FieldErrors, problems
from supportdesk.api.idempotency import idempotent
from supportdesk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from supportdesk.api.schemas import (
    AskIn,
    AssignIn,
    AttachmentOut,
    AttachmentsIn,
    CaseEditIn,
    CaseOut,
    CloseIn,
    CommentIn,
    EventOut,
    EventPage,
    HoldIn,
    MoveIn,
    RateIn,
    ReopenIn,
    VersionIn,
    WatcherIn,
    WatcherOut,
    rating_out,
)
from supportdesk.attachment_storage import open_for_download
from supportdesk.cases.actions import (
    ActionInvalid,
    add_attachments,
    add_comment,
    add_watcher,
    ask_requester,
    assign_case,
    close_case,
    edit_case,
    hold_case,
    move_case,
    rate_case,
    remove_attachment,
    reopen_case,
    resume_case,
    take_case,
)
from supportdesk.cases.models import Attachment, CaseEvent
from supportdesk.cases.queries import attachments_visible_to, case_for, cases_visible_to, feed_for
from supportdesk.cases.uploads import served_content_type
from supportdesk.catalog.queries import resolve_choice

router = Router(tags=["case actions"])

WRITE = {200: CaseOut, **problems(401, 403, 404, 409, 422)}
FILE_RESPONSE = {
    "responses": {
        200: {
            "description": "The file, as an attachment.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}
NO_SUCH_FILE = "No such file on this case."


def event_out(event: CaseEvent, number: str) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "actor": event.actor.get_username() if event.actor_id else None,
        "created_at": event.created_at,
        "internal": event.internal,
        "data": event.data,
        "attachments": [attachment_out(a, number) for a in event.attachments.all()],
    }


# ---- ownership ---------------------------------------------------------------------------


@router.post("/cases/{number}/take", response=WRITE)
def case_take(
    request: HttpRequest, number: str, payload: VersionIn | None = None
) -> dict[str, Any]:
    """Take an unowned case of your team (New → Work in Progress); 409 if someone was first."""
    user = request.auth
    case = case_for(user, number)
    case = take_case(case, agent=user, version=payload.version if payload else None)
    return case_for_user_out(user, case)


@router.post("/cases/{number}/assign", response=WRITE)
def case_assign(request: HttpRequest, number: str, payload: AssignIn) -> dict[str, Any]:
    """Give the case to a member of its team (agents and leads of the team, admins)."""
    user = request.auth
    case = case_for(user, number)
    case = assign_case(case, actor=user, assignee=payload.assignee.strip(), version=payload.version)
    return case_for_user_out(user, case)


# ---- status ------------------------------------------------------------------------------


@router.post("/cases/{number}/ask", response=WRITE)
def case_ask(request: HttpRequest, number: str, payload: AskIn) -> dict[str, Any]:
    """Ask the requester for information: the question goes in the feed; Pending Response.

    With `fields`, the requester answers those fields with POST …/answer. Each ask counts as a
    round trip (`info_requests`)."""
    user = request.auth
    case = case_for(user, number)
    case = ask_requester(
        case,
        agent=user,
        question=payload.question,
        fields=payload.fields,
        version=payload.version,
    )
    return case_for_user_out(user, case)


@router.post("/cases/{number}/hold", response=WRITE)
def case_hold(request: HttpRequest, number: str, payload: HoldIn | None = None) -> dict[str, Any]:
    """Put a case in progress on hold, with an optional reason."""
    user = request.auth
    case = case_for(user, number)
    payload = payload or HoldIn()
    case = hold_case(case, agent=user, reason=payload.reason, version=payload.version)
    return case_for_user_out(user, case)


@router.post("/cases/{number}/resume", response=WRITE)
def case_resume(
    request: HttpRequest, number: str, payload: VersionIn | None = None
) -> dict[str, Any]:
    """Back to Work in Progress from On Hold or Pending Response."""
    user = request.auth
    case = case_for(user, number)
    case = resume_case(case, agent=user, version=payload.version if payload else None)
    return case_for_user_out(user, case)


@router.post("/cases/{number}/close", response=WRITE)
def case_close(request: HttpRequest, number: str, payload: CloseIn) -> dict[str, Any]:
    """Close with a resolution and a note; the requester may only withdraw (`withdrawn`).

    Pending or rejected approvals (closing as `resolved`) and open linked child cases need an
    `override` reason; over approvals only a lead of the team or an admin may give one."""
    user = request.auth
    case = case_for(user, number)
    case = close_case(
        case,
        actor=user,
        resolution=payload.resolution.strip(),
        note=payload.note,
        override=payload.override,
        version=payload.version,
    )
    return case_for_user_out(user, case)


@router.post("/cases/{number}/reopen", response=WRITE)
def case_reopen(request: HttpRequest, number: str, payload: ReopenIn) -> dict[str, Any]:
    """Reopen a closed case with a reason (the requester within the reopen window)."""
    user = request.auth
    case = case_for(user, number)
    case = reopen_case(case, actor=user, reason=payload.reason, version=payload.version)
    return case_for_user_out(user, case)


# ---- satisfaction ------------------------------------------------------------------------


@router.post("/cases/{number}/rate", response=WRITE)
def case_rate(request: HttpRequest, number: str, payload: RateIn) -> dict[str, Any]:
    """The requester rates their closed case from 1 (very poor) to 5 (excellent), with an
    optional comment; rating again replaces it. Whoever sees the case sees it as `rating`."""
    user = request.auth
    case = case_for(user, number)
    rating = rate_case(
        case,
        requester=user,
        score=payload.score,
        comment=payload.comment,
        version=payload.version,
    )
    case.refresh_from_db(fields=["version", "updated_at"])
    return case_for_user_out(user, case) | {"rating": rating_out(rating)}


# ---- moves and edits ---------------------------------------------------------------------


@router.post("/cases/{number}/move", response=WRITE)
def case_move(request: HttpRequest, number: str, payload: MoveIn) -> dict[str, Any]:
    """Move a misrouted case to another team, request type and sub-request (names as in
    GET /catalog). It goes to the new team's queue; answers the new type requires and the
    case lacks are asked of the requester (Pending Response)."""
    user = request.auth
    case = case_for(user, number)
    choice = resolve_choice(
        case.record.kind,
        team=payload.team,
        request_type=payload.request_type,
        sub_request=payload.sub_request,
    )
    resolved = not choice.errors
    try:  # unresolved names go in as None: the action still checks access, version and reason
        moved = move_case(
            case,
            agent=user,
            request_type=choice.request_type if resolved else None,
            sub_request=choice.sub_request if resolved else None,
            reason=payload.reason,
            version=payload.version,
        )
    except ActionInvalid as invalid:
        rest = {k: v for k, v in invalid.errors.items() if k not in CHOICE_FIELDS or resolved}
        raise FieldErrors({**choice.errors, **rest}) from None
    # The mover may no longer see the case (it left their team): show it, with no actions.
    visible = cases_visible_to(user).select_related(
        "record", "team", "request_type", "sub_request", "owner", "requester"
    )
    if (now := visible.filter(pk=moved.pk).first()) is not None:
        return case_for_user_out(user, now)
    return case_out(moved, attachments_visible_to(user, moved), user=user, actions=[])


# PATCH shares its path with GET /cases/{number}: ninja dispatches one path by one router
# (django-ninja #1546), so the edit is registered on the router that serves the GET.
@cases_router.patch("/cases/{number}", response=WRITE)
def case_edit(request: HttpRequest, number: str, payload: CaseEditIn) -> dict[str, Any]:
    """Edit the subject, description, needed-by date or answers; only the fields sent change.

    One feed event per changed field. A requester who supplies what a Pending Response case
    was missing puts it back to Work in Progress.
    """
    user = request.auth
    case = case_for(user, number)
    given = payload.model_dump(exclude_unset=True)
    changes = {k: given[k] for k in ("subject", "description", "needed_by") if k in given}
    case = edit_case(
        case, actor=user, changes=changes, answers=given.get("details"), version=payload.version
    )
    return case_for_user_out(user, case)


# ---- watchers ----------------------------------------------------------------------------


@router.get("/cases/{number}/watchers", response={200: list[WatcherOut], **problems(401, 404)})
def watcher_list(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """Who follows the case (the requester, people added or mentioned), oldest first."""
    case = case_for(request.auth, number)
    links = case.watcher_links.select_related("user", "added_by").order_by("created_at", "pk")
    return [
        {
            "user": link.user.get_username(),
            "name": link.user.get_full_name() or link.user.get_username(),
            "added_by": link.added_by.get_username() if link.added_by_id else None,
            "created_at": link.created_at,
        }
        for link in links
    ]


@router.post("/cases/{number}/watchers", response={201: CaseOut, **WRITE})
@idempotent
def watcher_add(request: HttpRequest, number: str, payload: WatcherIn) -> Status:
    """Add a watcher (who may then see the case): 201, or 200 if they already watch it."""
    user = request.auth
    case = case_for(user, number)
    added = add_watcher(case, actor=user, username=payload.user, version=payload.version)
    case.refresh_from_db(fields=["version", "updated_at"])
    return Status(201 if added else 200, case_for_user_out(user, case))


# ---- the feed ----------------------------------------------------------------------------


@router.get("/cases/{number}/events", response={200: EventPage, **problems(401, 404, 422)})
def event_list(
    request: HttpRequest,
    number: str,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> dict[str, Any]:
    """The feed, newest first: comments, status and owner changes, moves, edits, files…

    Internal notes only for the case's team and admins. A fixed number of queries per page.
    """
    user = request.auth
    case = case_for(user, number)
    files = Attachment.objects.filter(removed_at__isnull=True).order_by("created_at", "pk")
    events = feed_for(user, case).prefetch_related(Prefetch("attachments", queryset=files))
    page = keyset_page(events, order_by="-created_at", cursor=cursor, limit=limit)
    return {
        "items": [event_out(event, case.number) for event in page.items],
        "next_cursor": page.next_cursor,
        "next": page.next_url(request),
    }


@router.post(
    "/cases/{number}/comments", response={201: EventOut, **problems(401, 403, 404, 409, 422)}
)
@idempotent
def comment_add(request: HttpRequest, number: str, payload: CommentIn) -> Status:
    """Comment (Markdown) with files; `internal: true` for an agent's internal note.

    @username mentions notify that user (and, on a public comment, make them a watcher);
    team handles such as @billing are listed in `data.team_handles` and never broadcast.
    A requester's reply to Pending Response puts the case back to Work in Progress.
    """
    user = request.auth
    case = case_for(user, number)
    event = add_comment(
        case,
        author=user,
        body=payload.body,
        internal=payload.internal,
        attachment_ids=[str(i) for i in payload.attachments],
        version=payload.version,
    )
    return Status(201, event_out(event, case.number))


# ---- attachments -------------------------------------------------------------------------


@router.get(
    "/cases/{number}/attachments", response={200: list[AttachmentOut], **problems(401, 404)}
)
def attachment_list(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """The case's files the caller may see (files of internal notes: the team and admins)."""
    case = case_for(request.auth, number)
    return [attachment_out(a, case.number) for a in attachments_visible_to(request.auth, case)]


@router.post(
    "/cases/{number}/attachments",
    response={201: list[AttachmentOut], **problems(401, 403, 404, 409, 422)},
)
@idempotent
def attachment_add(request: HttpRequest, number: str, payload: AttachmentsIn) -> Status:
    """Attach files uploaded first with POST /uploads; one feed event per file."""
    user = request.auth
    case = case_for(user, number)
    try:
        made = add_attachments(
            case, actor=user, upload_ids=[str(i) for i in payload.uploads], version=payload.version
        )
    except ActionInvalid as invalid:  # the action names the case's files; the body, uploads
        errors = {"uploads" if k == "attachments" else k: v for k, v in invalid.errors.items()}
        raise FieldErrors(errors) from None
    return Status(201, [attachment_out(a, case.number) for a in made])


@router.delete(
    "/cases/{number}/attachments/{attachment_id}",
    response={204: None, **problems(401, 403, 404, 409, 422)},
)
def attachment_remove(
    request: HttpRequest,
    number: str,
    attachment_id: int,
    version: int | None = Query(None, ge=1, description="As in the bodies of other changes."),
) -> Status:
    """Remove a file from the case (kept for the audit trail): whoever added it, or the team."""
    user = request.auth
    case = case_for(user, number)
    if not attachments_visible_to(user, case).filter(pk=attachment_id).exists():
        raise Http404(NO_SUCH_FILE)
    try:
        remove_attachment(case, actor=user, attachment_id=attachment_id, version=version)
    except ActionInvalid:  # removed by someone else in the meantime
        raise Http404(NO_SUCH_FILE) from None
    return Status(204, None)


@router.get(
    "/cases/{number}/attachments/{attachment_id}/download",
    url_name="attachment_download",
    response=problems(401, 404),
    openapi_extra=FILE_RESPONSE,
)
def attachment_download(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    """The file itself, checked against the case's access rule on every request."""
    user = request.auth
    case = case_for(user, number)
    attachment = attachments_visible_to(user, case).filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404(NO_SUCH_FILE)
    try:
        handle = open_for_download(attachment.file)
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=served_content_type(attachment),
    )
    response.setdefault("Content-Length", str(attachment.size))  # a stream from S3 has none
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
