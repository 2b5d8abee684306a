"""Request and response bodies of the API (pydantic models through ninja's Schema)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictInt

from supportdesk.api import examples
from supportdesk.api.examples import documented
from supportdesk.cases.info_requests import InfoRequest
from supportdesk.cases.models import CaseRating, Resolution
from supportdesk.cases.policy import Action
from supportdesk.records.models import Kind, RecordShare


class BodyIn(Schema):
    """A request body: a field it does not name is a 422 naming that field, never ignored
    (so `status`, `owner`, `number`… cannot be slipped into a create or a change)."""

    model_config = ConfigDict(extra="forbid")


# --- catalog -------------------------------------------------------------------------------


class FieldDefinitionOut(Schema):
    name: str
    label: str
    type: str
    required: bool = False
    required_if: dict[str, Any] | None = None
    options: list[str] = []
    help: str = ""


class SubRequestOut(Schema):
    name: str
    label: str
    fields: list[FieldDefinitionOut] = Field(
        description="The effective fields: the request type's followed by the sub-request's."
    )


class RequestTypeOut(Schema):
    name: str
    label: str
    description: str
    fields: list[FieldDefinitionOut]
    sub_requests: list[SubRequestOut]


class CatalogTeamOut(Schema):
    name: str
    description: str
    request_types: list[RequestTypeOut]


class RedirectOut(Schema):
    name: str
    instructions: str = Field(description="Markdown.")
    url: str


class CatalogOut(Schema):
    kind: Kind
    teams: list[CatalogTeamOut]
    redirects: list[RedirectOut]


# --- records -------------------------------------------------------------------------------


class RecordIn(BodyIn):
    model_config = documented(examples.RECORD_IN, required=["kind", "name", "external_id"])

    kind: str = Field("", description="One of: " + ", ".join(Kind.values))
    name: str = ""
    external_id: str = Field("", description="The CRM's own id; the upsert key.")
    owner: str | None = Field(None, description="Username of the owner; null for none.")
    account: str | None = Field(None, description="External id of the parent account record.")
    attributes: dict[str, Any] = {}


class RecordOut(Schema):
    model_config = documented(examples.RECORD_OUT)

    kind: Kind
    name: str
    external_id: str
    owner: str | None = Field(description="Username.")
    account: str | None = Field(description="External id of the parent account.")
    attributes: dict[str, Any]
    url: str
    can_request_support: bool = Field(
        description="Whether the caller has edit access, which requesting support needs."
    )


class RecordPage(Schema):
    items: list[RecordOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")
    next: str | None = Field(description="URL of the next page, or null on the last page.")


class ShareIn(BodyIn):
    user: str | None = Field(None, description="Username; give a user or a team.")
    team: str | None = Field(None, description="Team name or alias; give a user or a team.")
    level: RecordShare.Level = RecordShare.Level.READ


class ShareOut(Schema):
    record: str
    user: str | None
    team: str | None
    level: RecordShare.Level


# --- uploads -------------------------------------------------------------------------------


class UploadOut(Schema):
    id: uuid.UUID
    name: str
    size: int
    content_type: str
    expires_at: dt.datetime


# --- cases ---------------------------------------------------------------------------------


class RequestIn(BodyIn):
    """What every new request names and answers (POST /cases and …/children)."""

    team: str = Field("", description="Team name or alias, as in GET /catalog.")
    request_type: str = Field("", description="Request type name, as in GET /catalog.")
    sub_request: str | None = Field(None, description="Sub-request name, when the type has any.")
    priority: str = Field(
        "Medium", description="Low, Medium, High or Urgent (labels or lowercase values)."
    )
    urgent_reason: str = Field("", description="Required when the priority is Urgent.")
    description: str = ""
    needed_by: dt.date | None = None
    details: dict[str, Any] = Field(
        {}, description="Answers to the request type's fields, by field name."
    )
    attachments: list[uuid.UUID] = Field(
        [], description="Ids of files uploaded first with POST /uploads."
    )


class CaseIn(RequestIn):
    """A support request. Every error (names, fields, answers) is reported in one 422."""

    model_config = documented(
        examples.CASE_IN, required=["record", "team", "request_type", "description"]
    )

    record: str = Field(description="External id of the record the request is about.")
    confirm_not_duplicate: bool = Field(
        False,
        description="Submit although open cases look like this request (a 409 lists them); "
        "needs `not_duplicate_reason`.",
    )
    not_duplicate_reason: str = Field(
        "", description="Why this is not a duplicate; kept with the new case."
    )


class ChildCaseIn(RequestIn):
    """A case linked to another (POST /cases/{number}/children): as POST /cases, but raised on
    the parent's record (none if it has none)."""

    model_config = ConfigDict(
        json_schema_extra={"required": ["team", "request_type", "description"]},
    )

    subject: str = Field("", description="Optional; by default from the request type and record.")


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    field_name: str = Field(description="The request field this file answers, or empty.")
    url: str = Field(description="Download from the web app (browser session).")
    download_url: str = Field(description="Download through the API (session or token).")


class RatingOut(Schema):
    score: int = Field(description="1 (very poor) to 5 (excellent).")
    comment: str
    updated_at: dt.datetime = Field(description="When the requester last rated the case.")


def rating_out(rating: CaseRating | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {"score": rating.score, "comment": rating.comment, "updated_at": rating.updated_at}


class InfoRequestOut(Schema):
    asked_by: str | None = Field(description="Username of who asked.")
    question: str = Field(description="Markdown; empty when the fields came with a move.")
    fields: list[FieldDefinitionOut] = Field(description="Each one must be answered.")


def info_request_out(request: InfoRequest | None) -> dict[str, Any] | None:
    if request is None:
        return None
    asker = request.asked_by
    return {
        "asked_by": asker.get_username() if asker is not None else None,
        "question": request.question,
        "fields": request.definitions,
    }


class SlaOut(Schema):
    stage: Literal["on_track", "at_risk", "breached"] = Field(
        description="Moved forward by the SLA sweep within SLA_CHECK_SECONDS of the moment."
    )
    first_response_due: dt.datetime | None
    resolution_due: dt.datetime | None = Field(
        description="Null while the clock is paused (Pending Response, On Hold by default)."
    )
    due: dt.datetime | None = Field(
        description="The due time that matters now: first response until one is made, then "
        "resolution. My Teams' Queue sorts on it."
    )


class CaseOut(Schema):
    model_config = documented(examples.CASE_OUT)

    number: str
    status: str
    team: str
    request_type: str
    sub_request: str | None
    subject: str
    priority: str
    urgent_reason: str
    description: str
    needed_by: dt.date | None
    owner: str | None = Field(description="Username; null while in the team's queue.")
    requester: str = Field(description="Username.")
    record: str | None = Field(description="External id of the record; null for none.")
    parent: str | None = Field(
        description="Number of the case this one is linked to (raised from it to ask for "
        "help, or as a follow-up); null for none. Its children: GET …/cases/{number}/children."
    )
    duplicate_of: str | None = Field(
        None,
        description="Number of the case this one was merged into as a duplicate "
        "(POST …/cases/{number}/merge); null for none.",
    )
    details: dict[str, Any]
    attachments: list[AttachmentOut] = Field(description="The files the caller may see.")
    watchers: list[str] = Field(description="Usernames, in the order they were added.")
    version: int = Field(description="Send it back with a change: a stale one answers 409.")
    resolution: Resolution | None = Field(description="How the case was closed; null while open.")
    resolution_note: str
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    closed_at: dt.datetime | None
    actions: list[Action] = Field(
        description="What the caller may do to the case now (`withdraw` is a close by the "
        "requester with the resolution `withdrawn`; `internal_note` a comment with "
        "`internal: true`)."
    )
    url: str = Field(description="The case page.")
    rating: RatingOut | None = Field(
        description="The requester's satisfaction with the closed case (POST …/rate); null "
        "until they rate it, and while the case is open (a reopened case is rated again)."
    )
    sla: SlaOut | None = Field(
        None, description="The SLA clock in the team's business hours; null before SLAs."
    )
    info_requests: int = Field(
        0, description="Round trips: how often the team asked the requester for information."
    )
    info_request: InfoRequestOut | None = Field(
        None,
        description="The fields the requester was asked to fill in (POST …/answer), while the "
        "case waits on them; null otherwise.",
    )


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None
    next: str | None


# --- working a case ------------------------------------------------------------------------

VERSION = Field(
    None,
    ge=1,
    description="The case's `version` as last read; if the case changed since, nothing is "
    "changed and the answer is 409 with the current version. Omit to skip the check.",
)


def _required(*names: str) -> ConfigDict:
    """Document fields as required while the service names every missing one in one 422."""
    return ConfigDict(json_schema_extra={"required": list(names)})


def enum_without_default(values: list[str]) -> Callable[[dict[str, Any]], None]:
    """For a required field: its empty default (which lets the service name it in the 422)
    is not one of its values, so it is left out of the document."""

    def extra(schema: dict[str, Any]) -> None:
        schema["enum"] = values
        schema.pop("default", None)

    return extra


class VersionIn(BodyIn):
    version: int | None = VERSION


class AssignIn(VersionIn):
    model_config = _required("assignee")

    assignee: str = Field("", description="Username of a member of the case's team.")


class AskIn(VersionIn):
    question: str = Field(
        "",
        description="What the requester must answer (Markdown); required unless `fields` "
        "are given.",
    )
    fields: list[str] = Field(
        [],
        description="Names of the case's request type fields (not files) for the requester to "
        "fill in; they answer with POST …/answer.",
    )


class HoldIn(VersionIn):
    reason: str = ""


class CloseIn(VersionIn):
    model_config = _required("resolution", "note")

    resolution: str = Field(
        "",
        description="One of: " + ", ".join(Resolution.values) + ". The requester may only "
        "withdraw (`withdrawn`).",
        json_schema_extra=enum_without_default(Resolution.values),
    )
    note: str = Field("", description="What was done; the requester reads it.")
    override: str = Field(
        "",
        description="Why it closes anyway, when approvals or linked child cases are open "
        "(recorded in the feed).",
    )


class ReopenIn(VersionIn):
    model_config = _required("reason")

    reason: str = ""


class MoveIn(VersionIn):
    """Names as in GET /catalog for the case's kind of record."""

    model_config = _required("team", "request_type", "reason")

    team: str = Field("", description="Team name or alias.")
    request_type: str = ""
    sub_request: str | None = Field(None, description="When the request type has any.")
    reason: str = Field("", description="Why the case belongs there; the requester reads it.")


class CaseEditIn(VersionIn):
    """Only the fields sent are changed; `details` answers are merged into the current ones."""

    model_config = documented(examples.CASE_EDIT_IN)

    subject: str | None = None
    description: str | None = None
    needed_by: dt.date | None = Field(None, description="null clears it.")
    details: dict[str, Any] | None = Field(
        None, description="Answers to change, by field name (files are attachments instead)."
    )


class WatcherIn(VersionIn):
    model_config = _required("user")

    user: str = Field("", description="Username.")


class WatcherOut(Schema):
    user: str = Field(description="Username.")
    name: str
    added_by: str | None = Field(description="Username.")
    created_at: dt.datetime


class CommentIn(VersionIn):
    model_config = documented(examples.COMMENT_IN, required=["body"])

    body: str = Field("", description="Markdown; @username mentions notify that user.")
    internal: bool = Field(False, description="An internal note: the team and admins only.")
    attachments: list[uuid.UUID] = Field([], description="Ids of files from POST /uploads.")


class RateIn(VersionIn):
    model_config = _required("score")

    score: StrictInt | None = Field(
        None,
        description="From 1 (very poor) to 5 (excellent).",
        json_schema_extra={"minimum": 1, "maximum": 5},
    )
    comment: str = Field("", description="Optional: what went well, or could have gone better.")


class AttachmentsIn(VersionIn):
    model_config = _required("uploads")

    uploads: list[uuid.UUID] = Field([], description="Ids of files from POST /uploads.")


class EventOut(Schema):
    model_config = documented(examples.EVENT_OUT)

    id: int
    kind: str = Field(description="e.g. comment.added, case.status_changed, case.owner_changed.")
    actor: str | None = Field(description="Username; null for the system.")
    created_at: dt.datetime
    internal: bool = Field(description="An internal note (only the team and admins see it).")
    data: dict[str, Any] = Field(
        description="By kind; a comment has `body`, `mentions` (usernames notified) and "
        "`team_handles` (team handles, never broadcast)."
    )
    attachments: list[AttachmentOut]


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None
    next: str | None
