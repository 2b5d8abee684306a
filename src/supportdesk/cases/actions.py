"""Working a case: every change an agent or requester makes after submission.

Each action locks the case row, checks `policy.allowed_actions` and the expected version (a
stale form gets CaseConflict and changes nothing), writes the case, exactly one feed event
per change and the notifications it causes, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from supportdesk.cases.blockers import close_blockers
from supportdesk.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseRating,
    CaseWatcher,
    Resolution,
    Status,
    Upload,
)
from supportdesk.cases.policy import Action, allowed_actions, refusal, role_in_team
from supportdesk.cases.services import CaseError, claimable_uploads, validate_catalog_choice
from supportdesk.catalog.models import effective_fields
from supportdesk.catalog.schema import AnswersInvalid, clean_answers
from supportdesk.notify.services import notify
from supportdesk.people.models import Membership, Team
from supportdesk.reports import rollups
from supportdesk.search.documents import index_case
from supportdesk.sla.engine import CLOCK_FIELDS, refresh_case_sla
from supportdesk.webhooks.outbox import case_event_recorded

COMMENT_MAX = 20000
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_.+-]*[A-Za-z0-9_+-])")


class ActionNotAllowed(CaseError):
    """The user may not do this to the case now (pages show a message, the API 403)."""


class CaseConflict(CaseError):
    """Someone else changed the case first (the API answers 409); nothing was changed."""

    def __init__(self, message: str, *, case: Case | None = None):
        super().__init__(message)
        self.case = case


class ActionInvalid(CaseError):
    """Field-level errors: {field: [messages]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(" ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


def _name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "the queue"
    return user.get_full_name() or user.get_username()


def _lock(
    case: Case, actor: AbstractBaseUser, action: Action | tuple[Action, ...], version: int | None
) -> Case:
    """The case as it is now, locked for this transaction, after the checks every action makes.

    With several actions, any one of them being allowed is enough.
    """
    actions = action if isinstance(action, tuple) else (action,)
    # Lock the bare row first, then read it with its relations: rows joined into a locking
    # query are not re-read after waiting for the lock (PostgreSQL), so they could be stale.
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()
    fresh = Case.objects.select_related(
        "team", "owner", "requester", "request_type", "sub_request", "record"
    ).get(pk=case.pk)
    if version is not None and fresh.version != version:
        raise CaseConflict(
            f"Case {fresh.number} changed since you opened it; review it and try again.",
            case=fresh,
        )
    if not allowed_actions(actor, fresh) & set(actions):
        taken = fresh.owner_id and fresh.status != Status.CLOSED
        if Action.TAKE in actions and taken and role_in_team(actor, fresh):
            raise CaseConflict(
                f"Case {fresh.number} was already taken by {_name(fresh.owner)}.", case=fresh
            )
        raise ActionNotAllowed(refusal(actor, fresh, actions[0]))
    return fresh


def _save(case: Case, *fields: str) -> None:
    case.version += 1
    case.updated_at = timezone.now()
    case.save(update_fields=[*fields, "version", "updated_at"])
    if CLOCK_FIELDS.intersection(fields):
        refresh_case_sla(case, now=case.updated_at)
    if rollups.FACT_FIELDS.intersection(fields):
        rollups.apply(case.pk)  # the dashboards' rollups, in this transaction


def _event(
    case: Case, kind: str, actor: AbstractBaseUser | None, internal: bool = False, **data: Any
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case, kind=kind, actor=actor, data=data, internal=internal
    )
    case_event_recorded(event)  # the webhooks it causes, queued in this transaction
    return event


def _responded(case: Case, actor: AbstractBaseUser) -> list[str]:
    """First response = the first comment or status change by someone of the team."""
    if case.first_response_at is None and (actor.is_staff or role_in_team(actor, case)):
        case.first_response_at = timezone.now()
        return ["first_response_at"]
    return []


def _set_status(
    case: Case, actor: AbstractBaseUser, status: str, also: Sequence[str] = (), **data: Any
) -> CaseEvent:
    """Change the status (saving `also` in the same write) and record it in the feed."""
    before = case.status
    case.status = status
    fields = ["status", *also, *_responded(case, actor)]
    if status == Status.CLOSED:
        case.closed_at = timezone.now()
        fields += ["closed_at", "resolution", "resolution_note"]
    elif before == Status.CLOSED:
        case.closed_at, case.resolution, case.resolution_note = None, "", ""
        fields += ["closed_at", "resolution", "resolution_note"]
        if case.duplicate_of_id:  # reopening a merged duplicate undoes the link (cases.merge)
            data["unmerged_from"] = case.duplicate_of.number
            case.duplicate_of = None
            fields.append("duplicate_of")
    _save(case, *fields)
    return _event(case, CaseEvent.STATUS_CHANGED, actor, **{"from": before, "to": status}, **data)


def _watchers(case: Case) -> list[AbstractBaseUser]:
    return [w.user for w in case.watcher_links.select_related("user")]


def _team_members(case: Case) -> list[AbstractBaseUser]:
    """The agents and leads of the case's team: its queue."""
    return list(get_user_model().objects.filter(memberships__team_id=case.team_id, is_active=True))


def _status_notice(case: Case, actor: AbstractBaseUser, title: str, body: str = "") -> None:
    notify(
        [case.requester, *_watchers(case)],
        kind="case.status_changed",
        case=case,
        title=title,
        body=body,
        actor=actor,
    )


def _team_member(case: Case, username_or_user: Any) -> AbstractBaseUser:
    User = get_user_model()
    if isinstance(username_or_user, User):
        user = username_or_user
    else:
        user = User.objects.filter(username=username_or_user, is_active=True).first()
    if user is None or not Membership.objects.filter(user=user, team_id=case.team_id).exists():
        raise ActionInvalid({"assignee": [f"Choose a member of {case.team.name}."]})
    return user


# ---- ownership ---------------------------------------------------------------------------


@transaction.atomic
def take_case(case: Case, *, agent: AbstractBaseUser, version: int | None = None) -> Case:
    """An agent of the team takes an unowned case; of two racing agents exactly one wins."""
    case = _lock(case, agent, Action.TAKE, version)
    return _give(case, agent, to=agent)


@transaction.atomic
def assign_case(
    case: Case, *, actor: AbstractBaseUser, assignee: Any, version: int | None = None
) -> Case:
    """An agent or lead gives the case to a member of its team."""
    case = _lock(case, actor, Action.ASSIGN, version)
    user = _team_member(case, assignee)
    if case.owner_id == user.pk:
        raise ActionInvalid({"assignee": [f"{_name(user)} already owns this case."]})
    return _give(case, actor, to=user)


def _give(case: Case, actor: AbstractBaseUser, *, to: AbstractBaseUser) -> Case:
    before = case.owner
    case.owner = to
    fields = ["owner"]
    if case.status == Status.NEW:
        case.status = Status.WORK_IN_PROGRESS
        fields.append("status")
    fields += _responded(case, actor)
    _save(case, *fields)
    _event(
        case,
        CaseEvent.OWNER_CHANGED,
        actor,
        **{"from": before.get_username() if before else None, "to": to.get_username()},
    )
    if "status" in fields:
        _event(
            case,
            CaseEvent.STATUS_CHANGED,
            actor,
            **{"from": Status.NEW, "to": Status.WORK_IN_PROGRESS},
        )
    title = f"Case {case.number} is now with {_name(to)}"
    notify([case.requester, to], kind="case.owner_changed", case=case, title=title, actor=actor)
    return case


# ---- status ------------------------------------------------------------------------------


@transaction.atomic
def ask_requester(
    case: Case,
    *,
    agent: AbstractBaseUser,
    question: str,
    fields: Sequence[str] = (),
    version: int | None = None,
) -> Case:
    """Pending Response: the question goes in the feed and to the requester, who must act.

    `fields` (names of the case's request type fields) get the requester a form with exactly
    those fields (cases.info_requests); with fields chosen the question may be left empty.
    Every ask is a round trip, counted in `info_requests`.
    """
    from supportdesk.cases.info_requests import prepare_ask  # it builds on this module

    case = _lock(case, agent, Action.ASK, version)
    ask = prepare_ask(case, question, fields)
    question = ask.body
    comment, mentioned = _comment_event(
        case, agent, question, internal=False, question=True, **ask.data
    )
    case.info_requests += 1
    _set_status(case, agent, Status.PENDING_RESPONSE, also=["info_requests"], comment=comment.pk)
    others = [u for u in mentioned if u.pk != case.requester_id]
    notify(
        others,
        kind="case.mentioned",
        case=case,
        actor=agent,
        body=question,
        title=f"{_name(agent)} mentioned you on case {case.number}",
        event=comment,
    )
    notify(
        [case.requester],
        kind="case.pending_response",
        case=case,
        title=f"Action needed on case {case.number}: {_name(agent)} asked a question",
        body=ask.notice,
        actor=agent,
        anchor="answer" if ask.data else "composer",  # straight to the form to fill in
    )
    return case


@transaction.atomic
def hold_case(
    case: Case, *, agent: AbstractBaseUser, reason: str = "", version: int | None = None
) -> Case:
    case = _lock(case, agent, Action.HOLD, version)
    _set_status(case, agent, Status.ON_HOLD, reason=reason.strip())
    _status_notice(case, agent, f"Case {case.number} is on hold", reason.strip())
    return case


@transaction.atomic
def resume_case(case: Case, *, agent: AbstractBaseUser, version: int | None = None) -> Case:
    case = _lock(case, agent, Action.RESUME, version)
    _set_status(case, agent, Status.WORK_IN_PROGRESS)
    _status_notice(case, agent, f"Work resumed on case {case.number}")
    return case


@transaction.atomic
def close_case(
    case: Case,
    *,
    actor: AbstractBaseUser,
    resolution: str,
    note: str,
    override: str = "",
    version: int | None = None,
) -> Case:
    """Close with a resolution (category and note); the requester may only withdraw.

    Open approvals or open child cases (`blockers`) need an `override` reason, recorded in
    the feed; over approvals, only from a lead of the team or an admin.
    """
    case = _lock(case, actor, (Action.CLOSE, Action.WITHDRAW), version)
    if Action.CLOSE not in allowed_actions(actor, case) and resolution != Resolution.WITHDRAWN:
        raise ActionNotAllowed("Only the team can close a case; you can withdraw your request.")
    errors = {}
    if resolution not in Resolution.values:
        errors["resolution"] = ["Choose how the case was resolved."]
    if not note.strip():
        errors["note"] = ["Say what was done: the requester reads this."]
    if errors:
        raise ActionInvalid(errors)
    if resolution == Resolution.WITHDRAWN and not override.strip():
        override = note  # the requester's reason for withdrawing covers open child cases
    _override_blockers(case, actor, resolution, override.strip())
    case.resolution, case.resolution_note = resolution, note.strip()
    _set_status(case, actor, Status.CLOSED, resolution=resolution, note=note.strip())
    label = Resolution(resolution).label
    others = [w for w in _watchers(case) if w.pk != case.requester_id]
    notify(
        others,
        kind="case.status_changed",
        case=case,
        actor=actor,
        title=f"Case {case.number} was closed: {label}",
        body=note.strip(),
    )
    notify(
        [case.requester],
        kind="case.closed",
        case=case,
        actor=actor,
        title=f"Case {case.number} was closed: {label} — how did we do?",
        body=f"{note.strip()}\n\nRate the help you got from the case page.",
        anchor="rate",
    )
    return case


def _override_blockers(case: Case, actor: AbstractBaseUser, resolution: str, reason: str) -> None:
    blockers = close_blockers(case, resolution)
    if not blockers:
        return
    lead = actor.is_staff or role_in_team(actor, case) == "lead"
    if any(b.lead_only for b in blockers) and not lead:
        raise ActionNotAllowed(
            " ".join(b.message for b in blockers)
            + " Ask a lead of the team, or close it with another resolution."
        )
    if not reason:
        messages = [b.message for b in blockers]
        raise ActionInvalid({"override": [*messages, "Say why you close it anyway."]})
    _event(
        case,
        CaseEvent.CLOSE_OVERRIDE,
        actor,
        reason=reason,
        blockers=[b.kind for b in blockers],
        messages=[b.message for b in blockers],
    )


@transaction.atomic
def reopen_case(
    case: Case, *, actor: AbstractBaseUser, reason: str, version: int | None = None
) -> Case:
    case = _lock(case, actor, Action.REOPEN, version)
    reason = _required_text(reason, "reason", "Say why the case needs more work.")
    _set_status(case, actor, Status.WORK_IN_PROGRESS, reason=reason)
    notify(
        [case.owner] if case.owner else _team_members(case),
        kind="case.reopened",
        case=case,
        title=f"Case {case.number} was reopened",
        body=reason,
        actor=actor,
    )
    return case


def _required_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionInvalid({field: [message]})
    if len(value) > COMMENT_MAX:
        raise ActionInvalid({field: [f"Keep it under {COMMENT_MAX} characters."]})
    return value


# ---- the feed ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mentions:
    users: list[AbstractBaseUser]
    teams: list[str]  # team handles: not broadcast; the page offers "Ask <team> for help"
    unknown: list[str]


def find_mentions(body: str) -> Mentions:
    """@username mentions of active users; @team-slug handles are reported, never expanded."""
    handles = list(dict.fromkeys(m.group(1) for m in MENTION.finditer(body)))
    if not handles:
        return Mentions([], [], [])
    users = {
        u.username.lower(): u
        for u in get_user_model().objects.filter(username__in=handles, is_active=True)
    }
    team_slugs = set(
        Team.objects.filter(slug__in=[h.lower() for h in handles]).values_list("slug", flat=True)
    )
    found, teams, unknown = [], [], []
    for handle in handles:
        if handle.lower() in users:
            found.append(users[handle.lower()])
        elif handle.lower() in team_slugs:
            teams.append(handle.lower())
        else:
            unknown.append(handle)
    return Mentions(found, teams, unknown)


@transaction.atomic
def add_comment(
    case: Case,
    *,
    author: AbstractBaseUser,
    body: str,
    internal: bool = False,
    attachment_ids: Sequence[str] = (),
    version: int | None = None,
) -> CaseEvent:
    """A comment (or an agent's internal note) with files and @mentions.

    A mentioned user is notified and, for a public comment, becomes a watcher (so they can
    open the case); an internal note only reaches members of the team. A requester's public
    reply to Pending Response puts the case back to Work in Progress.
    """
    case = _lock(case, author, Action.INTERNAL_NOTE if internal else Action.COMMENT, version)
    body = _required_text(body, "body", "Write a comment.")
    uploads = claimable_uploads(author, list(attachment_ids))
    if missing := [i for i in attachment_ids if i not in uploads]:
        raise ActionInvalid({"attachments": [f"Upload {i} is not available." for i in missing]})
    event, reachable = _comment_event(case, author, body, internal=internal)
    _attach(case, author, uploads, event=event)
    fields = [] if internal else _responded(case, author)
    replied = not internal and author.pk == case.requester_id
    if replied and case.status == Status.PENDING_RESPONSE:
        _set_status(case, author, Status.WORK_IN_PROGRESS, reply=event.pk)
    elif fields:
        _save(case, *fields)
    else:
        _save(case)
    _comment_notices(case, author, event, reachable, internal)
    return event


def _comment_event(
    case: Case, author: AbstractBaseUser, body: str, *, internal: bool, **data: Any
) -> tuple[CaseEvent, list[AbstractBaseUser]]:
    """The comment's feed event, and the users its @mentions reach.

    On a public comment a mentioned user becomes a watcher (so they can open the case); an
    internal note reaches only members of the team. Team handles are listed, never expanded.
    """
    mentions = find_mentions(body)
    reachable = [u for u in mentions.users if not internal or _is_member(u, case)]
    event = _event(
        case,
        CaseEvent.COMMENTED,
        author,
        internal=internal,
        body=body,
        mentions=[u.username for u in reachable],
        team_handles=mentions.teams,
        **data,
    )
    if not internal:
        for user in reachable:
            _watch(case, user, added_by=author, reason="mention")
    index_case(case.pk)  # the text is findable once this transaction commits, never before
    return event, reachable


def _is_member(user: AbstractBaseUser, case: Case) -> bool:
    return user.is_staff or Membership.objects.filter(user=user, team_id=case.team_id).exists()


def _comment_notices(
    case: Case,
    author: AbstractBaseUser,
    event: CaseEvent,
    mentioned: list[AbstractBaseUser],
    internal: bool,
) -> None:
    excerpt = event.data["body"][:300]
    notify(
        mentioned,
        kind="case.mentioned",
        case=case,
        title=f"{_name(author)} mentioned you on case {case.number}",
        body=excerpt,
        actor=author,
        event=event,
        internal=internal,
    )
    audience = [case.owner, *_watchers(case)] + ([] if internal else [case.requester])
    if internal:
        audience = [u for u in audience if u is not None and _is_member(u, case)]
    already = {u.pk for u in mentioned}
    notify(
        [u for u in audience if u is not None and u.pk not in already],
        kind="comment.added",
        case=case,
        title=f"{_name(author)} {'added an internal note' if internal else 'commented'} "
        f"on case {case.number}",
        body=excerpt,
        actor=author,
        event=event,
        internal=internal,
    )


def _attach(
    case: Case, actor: AbstractBaseUser, uploads: dict, *, event: CaseEvent | None = None
) -> list[Attachment]:
    made = Attachment.objects.bulk_create(
        Attachment(
            case=case,
            file=u.file.name,
            name=u.name,
            size=u.size,
            content_type=u.content_type,
            uploaded_by=actor,
            event=event,
        )
        for u in uploads.values()
    )
    Upload.objects.filter(pk__in=[u.pk for u in uploads.values()]).delete()
    return made


@transaction.atomic
def add_attachments(
    case: Case, *, actor: AbstractBaseUser, upload_ids: Sequence[str], version: int | None = None
) -> list[Attachment]:
    case = _lock(case, actor, Action.COMMENT, version)
    uploads = claimable_uploads(actor, list(upload_ids))
    if not uploads or len(uploads) != len(set(upload_ids)):
        raise ActionInvalid({"attachments": ["Upload the files first, then attach them."]})
    made = _attach(case, actor, {i: uploads[i] for i in dict.fromkeys(upload_ids)})
    for attachment in made:
        _event(
            case, CaseEvent.ATTACHMENT_ADDED, actor, attachment=attachment.pk, name=attachment.name
        )
    _save(case)
    return made


@transaction.atomic
def remove_attachment(
    case: Case, *, actor: AbstractBaseUser, attachment_id: int, version: int | None = None
) -> Attachment:
    """Hide a file from the case (kept in storage for the audit trail); uploader or team."""
    case = _lock(case, actor, Action.COMMENT, version)
    attachment = case.attachments.filter(pk=attachment_id, removed_at__isnull=True).first()
    if attachment is None:
        raise ActionInvalid({"attachment": ["No such file on this case."]})
    if attachment.uploaded_by_id != actor.pk and not _is_member(actor, case):
        raise ActionNotAllowed("Only whoever added a file, or the team, can remove it.")
    attachment.removed_at = timezone.now()
    attachment.save(update_fields=["removed_at"])
    _event(
        case, CaseEvent.ATTACHMENT_REMOVED, actor, attachment=attachment.pk, name=attachment.name
    )
    _save(case)
    return attachment


# ---- watchers, moves and edits -----------------------------------------------------------


def _watch(case: Case, user: AbstractBaseUser, *, added_by: AbstractBaseUser, reason: str) -> bool:
    _, created = CaseWatcher.objects.get_or_create(
        case=case, user=user, defaults={"added_by": added_by}
    )
    if created:
        _event(case, CaseEvent.WATCHER_ADDED, added_by, user=user.get_username(), reason=reason)
    return created


@transaction.atomic
def add_watcher(
    case: Case, *, actor: AbstractBaseUser, username: str, version: int | None = None
) -> bool:
    case = _lock(case, actor, Action.ADD_WATCHER, version)
    user = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise ActionInvalid({"user": [f"There is no active user called “{username}”."]})
    added = _watch(case, user, added_by=actor, reason="added")
    if added:
        _save(case)
        notify(
            [user],
            kind="watcher.added",
            case=case,
            actor=actor,
            title=f"{_name(actor)} added you as a watcher of case {case.number}",
        )
    return added


@transaction.atomic
def move_case(
    case: Case,
    *,
    agent: AbstractBaseUser,
    request_type: Any,
    sub_request: Any = None,
    reason: str,
    version: int | None = None,
) -> Case:
    """Send a misrouted case to the team, type and sub-request that fit; it keeps its number.

    The new team's queue owns it. Required answers the new type needs and the case lacks are
    asked of the requester (Pending Response); otherwise the case waits as New.
    """
    case = _lock(case, agent, Action.MOVE, version)
    reason = _required_text(reason, "reason", "Say why the case belongs elsewhere.")
    if errors := validate_catalog_choice(case.record, request_type, sub_request):
        raise ActionInvalid(errors)
    same_sub = getattr(sub_request, "pk", None) == case.sub_request_id
    if request_type.pk == case.request_type_id and same_sub:
        raise ActionInvalid({"request_type": ["The case already has this request type."]})
    before = {
        "team": case.team.name,
        "request_type": case.request_type.name,
        "sub_request": case.sub_request.name if case.sub_request else None,
        # The ids too: the reports count the case under the key it was first raised with.
        "team_id": case.team_id,
        "request_type_id": case.request_type_id,
        "sub_request_id": case.sub_request_id,
    }
    definitions = effective_fields(request_type, sub_request)
    missing = [
        d for d in definitions if d["required"] and case.details.get(d["name"]) in (None, "", [])
    ]
    previous_owner, previous_status = case.owner, case.status
    case.team, case.request_type, case.sub_request = request_type.team, request_type, sub_request
    case.owner = None
    case.status = Status.PENDING_RESPONSE if missing else Status.NEW
    case.info_requests += 1 if missing else 0  # asking for the missing details: a round trip
    after = {
        "team": case.team.name,
        "request_type": request_type.name,
        "sub_request": sub_request.name if sub_request else None,
    }
    _event(  # before saving: the rollups count cases with this event as moved
        case,
        CaseEvent.TEAM_MOVED,
        agent,
        reason=reason,
        **{"from": before, "to": after},
        missing=[d["label"] for d in missing],
        fields=[d["name"] for d in missing if d["type"] != "file"],  # the form to answer them
    )
    _save(case, "team", "request_type", "sub_request", "owner", "status", "info_requests")
    if previous_owner is not None:
        _event(
            case,
            CaseEvent.OWNER_CHANGED,
            agent,
            **{"from": previous_owner.get_username(), "to": None},
        )
    if previous_status != case.status:
        _event(
            case, CaseEvent.STATUS_CHANGED, agent, **{"from": previous_status, "to": case.status}
        )
    title = f"Case {case.number} moved to {case.team.name}"
    body = reason
    if missing:
        title = f"Action needed on case {case.number}: {case.team.name} needs more details"
        body = "Please add: " + ", ".join(d["label"] for d in missing)
    notify(
        [case.requester, previous_owner],
        kind="case.team_moved",
        case=case,
        title=title,
        body=body,
        actor=agent,
        always=bool(missing),  # the requester must act: never muted
    )
    notify(
        _team_members(case),
        kind="queue.new_case",
        case=case,
        title=f"Case {case.number} moved into the {case.team.queue_name}",
        body=f"{case.subject}\n\nReason: {reason}",
        actor=agent,
    )
    return case


EDITABLE = {"subject": "Subject", "description": "Description", "needed_by": "Needed by"}


@transaction.atomic
def edit_case(
    case: Case,
    *,
    actor: AbstractBaseUser,
    changes: Mapping[str, Any] | None = None,
    answers: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> Case:
    """Change the subject, description, needed-by date or answers; one feed event per field.

    File answers are not edited here (files come and go as attachments). A requester who
    supplies what a Pending Response case was missing puts it back to Work in Progress.
    """
    case = _lock(case, actor, Action.EDIT, version)
    changes = dict(changes or {})
    errors: dict[str, list[str]] = {
        f: ["This field cannot be edited."] for f in changes if f not in EDITABLE
    }
    new = _clean_common_edits(changes, errors)
    definitions = [
        d for d in effective_fields(case.request_type, case.sub_request) if d["type"] != "file"
    ]
    new_details = dict(case.details)
    if answers:
        editable = {d["name"] for d in definitions}
        current = {k: v for k, v in case.details.items() if k in editable}
        try:
            cleaned = clean_answers(definitions, {**current, **answers})
        except AnswersInvalid as invalid:
            errors.update({f"details.{k}": v for k, v in invalid.errors.items()})
        else:
            new_details = {k: v for k, v in case.details.items() if k not in editable} | cleaned
    if errors:
        raise ActionInvalid(errors)
    changed = _record_field_changes(case, actor, new, new_details, definitions)
    if not changed:
        return case
    for name, value in new.items():
        setattr(case, name, value)
    case.details = new_details
    fields = [*new, "details"]
    missing = [
        d for d in definitions if d["required"] and new_details.get(d["name"]) in (None, "", [])
    ]
    if actor.pk == case.requester_id and case.status == Status.PENDING_RESPONSE and not missing:
        _set_status(case, actor, Status.WORK_IN_PROGRESS, also=fields, reply="details")
    else:
        _save(case, *fields)
    if {"subject", "description"} & set(new):
        index_case(case.pk)
    notify(
        [case.owner, case.requester, *_watchers(case)],
        kind="case.field_changed",
        case=case,
        title=f"{_name(actor)} edited case {case.number}",
        body=", ".join(changed),
        actor=actor,
    )
    return case


def _clean_common_edits(changes: Mapping[str, Any], errors: dict[str, list[str]]) -> dict:
    new: dict[str, Any] = {}
    if "subject" in changes:
        subject = str(changes["subject"] or "").strip()
        if not subject or len(subject) > 300:
            errors["subject"] = ["Give a subject of 1 to 300 characters."]
        new["subject"] = subject
    if "description" in changes:
        description = str(changes["description"] or "").strip()
        if not description:
            errors["description"] = ["Describe what you need."]
        new["description"] = description
    if "needed_by" in changes:
        raw = changes["needed_by"]
        try:
            new["needed_by"] = dt.date.fromisoformat(str(raw)) if raw else None
        except ValueError:
            errors["needed_by"] = ["Enter a date as YYYY-MM-DD."]
    return new


def _record_field_changes(
    case: Case,
    actor: AbstractBaseUser,
    new: Mapping[str, Any],
    new_details: Mapping[str, Any],
    definitions: list[dict],
) -> list[str]:
    """One `case.field_changed` event per field whose value really changed; their labels."""
    changed = []
    for name, value in new.items():
        before = getattr(case, name)
        if before != value:
            changed.append(EDITABLE[name])
            _event(
                case,
                CaseEvent.FIELD_CHANGED,
                actor,
                field=name,
                label=EDITABLE[name],
                **{"from": _plain(before), "to": _plain(value)},
            )
    for definition in definitions:
        name = definition["name"]
        before, after = case.details.get(name), new_details.get(name)
        if before != after:
            changed.append(definition["label"])
            _event(
                case,
                CaseEvent.FIELD_CHANGED,
                actor,
                field=f"details.{name}",
                label=definition["label"],
                **{"from": before, "to": after},
            )
    return changed


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def rate_case(
    case: Case,
    *,
    requester: AbstractBaseUser,
    score: int,
    comment: str = "",
    version: int | None = None,
) -> CaseRating:
    """The requester rates a closed case from 1 to 5; rating again replaces the rating."""
    case = _lock(case, requester, Action.RATE, version)
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ActionInvalid({"score": ["Choose a rating from 1 to 5."]})
    comment = (comment or "").strip()[:COMMENT_MAX]
    rating, _ = CaseRating.objects.update_or_create(
        case=case, defaults={"score": score, "comment": comment, "updated_at": timezone.now()}
    )
    _event(case, CaseEvent.RATED, requester, score=score, comment=comment)
    _save(case)
    rollups.apply(case.pk)  # ratings are counted on the day the case closed
    notify(
        [case.owner],
        kind="case.rated",
        case=case,
        actor=requester,
        title=f"{_name(requester)} rated case {case.number} {score}/5",
        body=comment,
    )
    return rating


@transaction.atomic
def close_unanswered(case: Case) -> Case | None:
    """supportdesk closes a Pending Response case its requester left unanswered (resolution
    "No response"); the requester can reopen it. None when it was answered meanwhile."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()
    case = Case.objects.select_related("team", "owner", "requester").get(pk=case.pk)
    if case.status != Status.PENDING_RESPONSE:
        return None
    note = "Closed automatically: the question waited too long for an answer. Reopen to go on."
    case.status, case.closed_at = Status.CLOSED, timezone.now()
    case.resolution, case.resolution_note = Resolution.NO_RESPONSE, note
    _save(case, "status", "closed_at", "resolution", "resolution_note")
    event = _event(
        case,
        CaseEvent.STATUS_CHANGED,
        None,
        **{"from": Status.PENDING_RESPONSE, "to": Status.CLOSED},
        resolution=Resolution.NO_RESPONSE,
        note=note,
    )
    label = Resolution.NO_RESPONSE.label
    notify(
        [case.requester],
        kind="case.closed",
        case=case,
        title=f"Case {case.number} was closed: {label}",
        body=f"{note}\n\nYou can reopen it from the case page.",
        event=event,
    )
    notify(
        [case.owner],
        kind="case.status_changed",
        case=case,
        title=f"Case {case.number} was closed: {label}",
        body=note,
        event=event,
    )
    return case
