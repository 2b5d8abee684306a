"""Every write a user can cause on cases. One function per action, atomic."""

from __future__ import annotations

import datetime as dt
import errno
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from supportdesk.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseWatcher,
    Priority,
    Status,
    Upload,
)
from supportdesk.cases.policy import link_refusal, may_link_from
from supportdesk.cases.sniffing import ContentRefused, checked_content_type
from supportdesk.cases.uploads import clean_file_name, extension_of
from supportdesk.catalog.models import NO_RECORD, RequestType, SubRequest, effective_fields
from supportdesk.catalog.schema import AnswersInvalid, clean_answers
from supportdesk.notify.services import Message, notify, notify_all
from supportdesk.people.models import Team
from supportdesk.records.models import Record
from supportdesk.records.queries import can_edit_record
from supportdesk.reports import rollups
from supportdesk.search.documents import index_case
from supportdesk.sla.engine import start_clock
from supportdesk.webhooks.outbox import case_event_recorded

logger = logging.getLogger(__name__)
# Writing a file failed because the store has no room: disk full, quota, file size limit.
STORE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

DESCRIPTION_MAX = 20000


class CaseError(Exception):
    """An action that is not allowed now; the message is for the user."""


class RecordNotEditable(CaseError):
    """The requester lacks edit access to the record (views answer 404 or 403)."""


class LinkNotAllowed(CaseError):
    """The user may not raise a case linked to this one now (policy.may_link_from)."""


class SubmissionInvalid(CaseError):
    """Field-level errors: {field: [messages]}; `details.x` names an answer."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("The request has errors.")
        self.errors = errors


@dataclass(frozen=True)
class SubmitResult:
    case: Case
    created: bool
    attachments: tuple[Attachment, ...] = ()  # those this submit created
    watchers: tuple[CaseWatcher, ...] = ()  # likewise (the requester first)


def validate_common(
    *,
    priority: str,
    urgent_reason: str,
    description: str,
    needed_by: dt.date | None,
) -> dict[str, list[str]]:
    """Errors in the fields every request has."""
    errors: dict[str, list[str]] = {}
    if not description.strip():
        errors["description"] = ["Describe what you need."]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [f"Keep the description under {DESCRIPTION_MAX} characters."]
    if priority not in Priority.values:
        errors["priority"] = ["Choose one of " + ", ".join(Priority.labels) + "."]
    elif priority == Priority.URGENT and not urgent_reason.strip():
        errors["urgent_reason"] = ["Say why this is urgent: urgent requests need a justification."]
    if needed_by is not None and needed_by < timezone.localdate():
        errors["needed_by"] = ["The needed-by date cannot be in the past."]
    return errors


def validate_catalog_choice(
    record: Record | None, request_type: RequestType | None, sub_request: SubRequest | None
) -> dict[str, list[str]]:
    if request_type is None or not request_type.is_active:
        return {"request_type": ["Choose a request type."]}
    if request_type.kind != (record.kind if record is not None else NO_RECORD):
        where = "this kind of record" if record is not None else "requests without a record"
        return {"request_type": [f"“{request_type.name}” is not offered for {where}."]}
    if not request_type.team.is_active:
        return {"team": [f"{request_type.team.name} does not take requests now."]}
    if sub_request is None:
        has_subs = getattr(request_type, "has_sub_requests", None)  # see with_sub_request_flag
        if has_subs is None:
            has_subs = request_type.sub_requests.filter(is_active=True).exists()
        if has_subs:
            return {"sub_request": ["Choose a sub-request."]}
    elif sub_request.request_type_id != request_type.pk or not sub_request.is_active:
        return {"sub_request": [f"“{sub_request.name}” is not part of “{request_type.name}”."]}
    return {}


def claimable_uploads(requester: AbstractBaseUser, upload_ids: Sequence[str]) -> dict[str, Upload]:
    """The requester's own unexpired uploads among `upload_ids`, keyed by the id as given.

    An id that is no UUID at all is simply not found (and so reported as unknown).
    """
    wanted: dict[uuid.UUID, str] = {}
    for given in upload_ids:
        try:
            wanted[uuid.UUID(str(given))] = given
        except ValueError:
            continue
    if not wanted:
        return {}
    uploads = Upload.objects.filter(owner=requester, id__in=wanted, expires_at__gt=timezone.now())
    return {wanted[u.id]: u for u in uploads}


def _unknown_uploads(ids: Sequence[str], found: Mapping[str, Upload]) -> list[str]:
    return [_unknown_upload(i) for i in ids if i not in found]


def _unknown_upload(given: str) -> str:
    try:
        uuid.UUID(str(given))
    except ValueError:
        return f"“{given}” is not an upload id: upload the file first and send the id you get."
    return f"Upload {given} does not exist, is not yours, or has expired."


def record_snapshot(record: Record) -> dict[str, Any]:
    """The record's key facts at submission time, kept with the case."""
    return {
        "kind": record.kind,
        "name": record.name,
        "external_id": record.external_id,
        "owner": record.owner.get_username() if record.owner_id else None,
        "account": record.account.name if record.account_id else None,
        "attributes": dict(record.attributes or {}),
    }


def case_subject(
    record: Record | None, request_type: RequestType, sub_request: SubRequest | None
) -> str:
    what = request_type.label + (f" / {sub_request.label}" if sub_request else "")
    return f"{what} — {record.name}"[:300] if record is not None else what[:300]


def submit_case(
    requester: AbstractBaseUser,
    *,
    record: Record | None,
    request_type: RequestType | None,
    sub_request: SubRequest | None = None,
    priority: str = Priority.MEDIUM,
    urgent_reason: str = "",
    description: str = "",
    needed_by: dt.date | None = None,
    answers: Mapping[str, Any] | None = None,
    attachment_ids: Sequence[str] = (),
    watchers: Sequence[str] = (),
    subject: str = "",
    submission_key: str | None = None,
    parent: Case | None = None,
    before_create: Callable[[], Mapping[str, Any]] | None = None,
) -> SubmitResult:
    """Create a case with everything it needs, or nothing.

    Requests on a record need edit access to it; request types of no kind (problem reports)
    are raised without one. A `submission_key` (idempotency key or one-time form token) makes
    retries safe: the same requester submitting the same key again gets the first case.

    With a `parent` the case is linked to it (asking another team for help, or a follow-up):
    it is raised on the parent's record (`record` must be that), which the parent grants
    access to, and both cases get a `case.linked` event.

    `before_create` runs once the request is valid, before anything is written, unless this
    is a retry of a submit that succeeded: it may refuse (raise), or return data to keep in
    the `case.created` event (the duplicate check, `cases.duplicates`).
    """
    key = f"{requester.pk}:{submission_key}" if submission_key else None
    _check_access(requester, record, parent)
    errors = validate_catalog_choice(record, request_type, sub_request)
    errors.update(
        validate_common(
            priority=priority,
            urgent_reason=urgent_reason,
            description=description,
            needed_by=needed_by,
        )
    )
    checked = _check_answers(requester, request_type, sub_request, answers, attachment_ids, errors)
    watching = _watchers_named(watchers, requester, errors)
    if errors:
        # A retry of a submit that succeeded may no longer validate (its uploads are claimed).
        if existing := _submitted_with(key):
            return SubmitResult(existing, created=False)
        raise SubmissionInvalid(errors)
    created_data = {}
    if before_create is not None and not _submitted_with(key):
        created_data = dict(before_create())
    try:
        with transaction.atomic():
            case, attachments, links = _create_case(
                requester,
                record=record,
                request_type=request_type,
                sub_request=sub_request,
                subject=subject.strip()[:300] or case_subject(record, request_type, sub_request),
                priority=priority,
                urgent_reason=urgent_reason.strip() if priority == Priority.URGENT else "",
                description=description.strip(),
                needed_by=needed_by,
                attachment_ids=list(attachment_ids),
                watchers=watching,
                key=key,
                parent=parent,
                created_data=created_data,
                **checked,
            )
    except IntegrityError:
        if existing := _submitted_with(key):
            return SubmitResult(existing, created=False)
        raise
    return SubmitResult(case, True, attachments=tuple(attachments), watchers=tuple(links))


def _check_access(requester: AbstractBaseUser, record: Record | None, parent: Case | None) -> None:
    """Edit access to the record; for a linked case, the right to link to the parent instead."""
    if parent is not None:
        if parent.record_id != (record.pk if record is not None else None):
            raise ValueError("A linked case is raised on its parent's record.")
        if not may_link_from(requester, parent):
            raise LinkNotAllowed(link_refusal(requester, parent))
    elif record is not None and not can_edit_record(requester, record):
        raise RecordNotEditable("You need edit access to this record to request support.")


def _check_answers(
    requester: AbstractBaseUser,
    request_type: RequestType | None,
    sub_request: SubRequest | None,
    answers: Mapping[str, Any] | None,
    attachment_ids: Sequence[str],
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    """Clean the answers and find the uploads they and the attachments name; add errors."""
    cleaned: dict[str, Any] = {}
    definitions: list[dict] = []
    if "request_type" not in errors and "sub_request" not in errors:
        definitions = effective_fields(request_type, sub_request)
        try:
            cleaned = clean_answers(definitions, answers or {})
        except AnswersInvalid as invalid:
            errors.update({f"details.{k}": v for k, v in invalid.errors.items()})
    file_fields = [d["name"] for d in definitions if d["type"] == "file"]
    wanted = list(attachment_ids) + [i for f in file_fields for i in cleaned.get(f, [])]
    uploads = claimable_uploads(requester, wanted)
    if bad := _unknown_uploads(list(attachment_ids), uploads):
        errors["attachments"] = bad
    for name in file_fields:
        if bad := _unknown_uploads(cleaned.get(name, []), uploads):
            errors[f"details.{name}"] = bad
    return {"answers": cleaned, "file_fields": file_fields, "uploads": uploads}


def _watchers_named(
    usernames: Sequence[str], requester: AbstractBaseUser, errors: dict[str, list[str]]
) -> list[AbstractBaseUser]:
    names = [n.strip().lstrip("@") for n in usernames if n and n.strip()]
    if not names:
        return []
    found = {
        u.username: u for u in get_user_model().objects.filter(username__in=names, is_active=True)
    }
    if unknown := [n for n in names if n not in found]:
        errors["watchers"] = [f"There is no active user called “{n}”." for n in unknown]
    return [found[n] for n in dict.fromkeys(names) if n in found and found[n].pk != requester.pk]


def _submitted_with(key: str | None) -> Case | None:
    """The case an earlier submit with this key created (the unique key makes retries safe)."""
    return Case.objects.filter(submission_key=key).first() if key else None


def _create_case(
    requester: AbstractBaseUser,
    *,
    record: Record | None,
    request_type: RequestType,
    sub_request: SubRequest | None,
    subject: str,
    answers: dict[str, Any],
    file_fields: list[str],
    watchers: list[AbstractBaseUser],
    attachment_ids: list[str],
    uploads: dict[str, Upload],
    key: str | None,
    parent: Case | None = None,
    created_data: Mapping[str, Any] | None = None,
    **common: Any,
) -> tuple[Case, list[Attachment], list[CaseWatcher]]:
    now = timezone.now()
    if parent is not None:
        parent = _lock_parent(parent, requester)
    case = Case(
        record=record,
        parent=parent,
        team_id=request_type.team_id,
        request_type=request_type,
        sub_request=sub_request,
        subject=subject,
        details=answers,
        record_snapshot=record_snapshot(record) if record is not None else {},
        requester=requester,
        submission_key=key,
        created_at=now,
        updated_at=now,
        requested_priority=common["priority"],  # kept when an agent changes `priority`
        **common,
    )
    start_clock(case, now=now)  # its SLA columns go in with the insert
    case.save(force_insert=True)
    attachments = []
    if uploads:
        attachments = _attach_uploads(
            case, requester, answers, file_fields, attachment_ids, uploads
        )
        if any(name in answers for name in file_fields):
            Case.objects.filter(pk=case.pk).update(details=case.details)
    created = CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.CREATED,
        actor=requester,
        data={"priority": case.priority, "team": request_type.team_id, **(created_data or {})},
        created_at=now,
    )
    case_event_recorded(created)  # the webhooks it causes, queued in this transaction
    links = [
        CaseWatcher.objects.create(case=case, user=requester, added_by=requester, created_at=now)
    ]
    if watchers:
        links += _add_initial_watchers(case, requester, watchers, now)
    index_case(case.pk)  # findable from the moment it exists (search.documents)
    _created_notices(case, requester, request_type.team, created)
    if parent is not None:
        _record_link(case, parent, actor=requester, now=now)
    rollups.apply(case.pk, new=True)  # the dashboards' rollups, in this transaction
    return case, attachments, links


def _lock_parent(parent: Case, requester: AbstractBaseUser) -> Case:
    """The parent as it is now, locked, so it cannot close unaware of a new open child."""
    Case.objects.select_for_update().filter(pk=parent.pk).values_list("pk", flat=True).get()
    fresh = Case.objects.select_related("team", "owner", "requester").get(pk=parent.pk)
    if not may_link_from(requester, fresh):
        raise LinkNotAllowed(link_refusal(requester, fresh))
    return fresh


def _record_link(child: Case, parent: Case, *, actor: AbstractBaseUser, now: dt.datetime) -> None:
    """`case.linked` on both cases; the parent's version moves on (a close form opened before
    must see the new open child) and its owner and watchers hear of it."""
    follow_up = parent.status == Status.CLOSED
    team = child.request_type.team.name
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case=parent,
                kind=CaseEvent.LINKED,
                actor=actor,
                created_at=now,
                data={"child": child.number, "team": team, "follow_up": follow_up},
            ),
            CaseEvent(
                case=child,
                kind=CaseEvent.LINKED,
                actor=actor,
                created_at=now,
                data={"parent": parent.number, "team": parent.team.name, "follow_up": follow_up},
            ),
        ]
    )
    Case.objects.filter(pk=parent.pk).update(
        version=F("version") + 1, child_count=F("child_count") + 1, updated_at=now
    )
    who = actor.get_full_name() or actor.get_username()
    what = "requested a follow-up to" if follow_up else f"asked {team} for help on"
    watchers = [w.user for w in parent.watcher_links.select_related("user")]
    notify(
        [parent.owner, *watchers],
        kind="case.linked",
        case=parent,
        actor=actor,
        title=f"{who} {what} case {parent.number}: linked case {child.number}",
        body=child.subject,
    )


def _add_initial_watchers(
    case: Case, requester: AbstractBaseUser, watchers: list[AbstractBaseUser], now: dt.datetime
) -> list[CaseWatcher]:
    links = CaseWatcher.objects.bulk_create(
        CaseWatcher(case=case, user=u, added_by=requester, created_at=now) for u in watchers
    )
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case,
            kind="watcher.added",
            actor=requester,
            created_at=now,
            data={"user": u.get_username(), "reason": "added"},
        )
        for u in watchers
    )
    notify(
        watchers,
        kind="watcher.added",
        case=case,
        actor=requester,
        title=f"{requester.get_full_name() or requester.get_username()} added you "
        f"as a watcher of case {case.number}",
    )
    return links


def _created_notices(case: Case, requester: AbstractBaseUser, team: Team, event: CaseEvent) -> None:
    """The requester's confirmation (number and link), and a new case in the team's queue."""
    confirmation = Message(
        [requester],
        kind="case.created",
        title=f"Case {case.number} created",
        body=f"Your request “{case.subject}” was sent to {team.name}.",
    )
    queue = Message(
        get_user_model().objects.filter(memberships__team=team, is_active=True),
        kind="queue.new_case",
        title=f"New case {case.number} in the {team.queue_name}",
        body=case.subject,
        actor=requester,
    )
    notify_all(case, [confirmation, queue], event=event)


def _attach_uploads(
    case: Case,
    requester: AbstractBaseUser,
    answers: dict[str, Any],
    file_fields: list[str],
    attachment_ids: list[str],
    uploads: dict[str, Upload],
) -> list[Attachment]:
    """Turn the claimed uploads into the case's attachments; file answers get attachment ids."""
    field_of = {i: name for name in file_fields for i in answers.get(name, [])}
    used = [i for i in dict.fromkeys([*attachment_ids, *field_of]) if i in uploads]
    made = Attachment.objects.bulk_create(
        Attachment(
            case=case,
            file=uploads[i].file.name,
            name=uploads[i].name,
            size=uploads[i].size,
            content_type=uploads[i].content_type,
            field_name=field_of.get(i, ""),
            uploaded_by=requester,
        )
        for i in used
    )
    by_upload = dict(zip(used, made, strict=True))
    for name in file_fields:
        if name in answers:
            answers[name] = [by_upload[i].pk for i in answers[name]]
    Upload.objects.filter(pk__in=[uploads[i].pk for i in used]).delete()
    return made


def create_upload(owner: AbstractBaseUser, *, file: Any) -> Upload:
    """Keep an uploaded file until a submit claims it; checks name, size and content.

    The stored content type is the one the content was recognised as, never the client's.
    """
    name = clean_file_name(getattr(file, "name", "") or "")
    extension = extension_of(name)
    if extension not in settings.ATTACHMENT_EXTENSIONS:
        allowed = ", ".join(settings.ATTACHMENT_EXTENSIONS)
        message = f"“{name}”: files of this type are not accepted (allowed: {allowed})."
        raise SubmissionInvalid({"file": [message]})
    if getattr(file, "exceeded_limit", False) or file.size > settings.ATTACHMENT_MAX_BYTES:
        limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        raise SubmissionInvalid({"file": [f"“{name}” is larger than the {limit} MB limit."]})
    if file.size == 0:
        raise SubmissionInvalid({"file": [f"“{name}” is empty."]})
    try:
        content_type = checked_content_type(file, name=name, extension=extension)
    except ContentRefused as refused:
        raise SubmissionInvalid({"file": [str(refused)]}) from None
    try:
        # A savepoint: a failed write must leave the caller's transaction usable.
        with transaction.atomic():
            return Upload.objects.create(
                owner=owner,
                file=file,
                name=name,
                size=file.size,
                content_type=content_type,
                expires_at=timezone.now() + dt.timedelta(hours=settings.UPLOAD_TTL_HOURS),
            )
    except OSError as error:
        if error.errno not in STORE_FULL:
            raise
        logger.error("attachment store full: %s (%s bytes): %s", name, file.size, error)
        message = (
            f"“{name}” could not be stored: the file store is full. Nothing was saved; "
            "please try again later. Your administrators have been alerted."
        )
        raise SubmissionInvalid({"file": [message]}) from None


def keep_uploads(owner: AbstractBaseUser, upload_ids: Sequence[str]) -> int:
    """Push back the expiry of uploads a draft still holds (someone is working on it)."""
    if not upload_ids:
        return 0
    expires_at = timezone.now() + dt.timedelta(hours=settings.UPLOAD_TTL_HOURS)
    return Upload.objects.filter(owner=owner, id__in=list(upload_ids)).update(expires_at=expires_at)


def purge_expired_uploads(*, now: dt.datetime | None = None) -> int:
    """Delete uploads nobody attached in time, with their files; returns how many."""
    expired = list(Upload.objects.filter(expires_at__lte=now or timezone.now()))
    for upload in expired:
        upload.file.delete(save=False)
    Upload.objects.filter(pk__in=[u.pk for u in expired]).delete()
    return len(expired)
