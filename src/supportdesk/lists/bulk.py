"""Bulk actions on cases chosen in a list: take, assign, put on hold, resume, ask the
requester, close, or move to another team — each case on its own.

Every case goes through the same service as on its own page (`cases.actions`), in its own
transaction, with that service's permission and state checks: a bulk action can never do
what the one-case action would refuse. The outcome lists, per case, what was done or why it
was refused; one refusal changes nothing for the other cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from supportdesk.cases.actions import (
    ask_requester,
    assign_case,
    close_case,
    hold_case,
    move_case,
    resume_case,
    take_case,
)
from supportdesk.cases.models import Case, Resolution, parse_number
from supportdesk.cases.queries import cases_visible_to
from supportdesk.cases.services import CaseError
from supportdesk.catalog.models import NO_RECORD, RequestType
from supportdesk.catalog.queries import active_request_types, resolve_choice
from supportdesk.records.models import Kind

BULK_MAX = 200


class BulkAction(StrEnum):
    TAKE = "take"
    ASSIGN = "assign"
    HOLD = "hold"
    RESUME = "resume"
    ASK = "ask"
    CLOSE = "close"
    MOVE = "move"


BULK_LABELS = {
    BulkAction.TAKE: "Take ownership",
    BulkAction.ASSIGN: "Assign to…",
    BulkAction.HOLD: "Put on hold",
    BulkAction.RESUME: "Resume work",
    BulkAction.ASK: "Ask the requester…",
    BulkAction.CLOSE: "Close…",
    BulkAction.MOVE: "Move to another team…",
}


class BulkInvalid(ValueError):
    """The request itself is wrong (no cases, unknown action, a missing shared field)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(" ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


@dataclass(frozen=True)
class BulkRequest:
    """One action and what it needs, shared by every chosen case."""

    action: BulkAction
    assignee: str = ""
    note: str = ""  # the reason (hold, move), the question (ask) or the closing note (close)
    resolution: str = ""
    team: str = ""  # move: names, resolved for each case's record kind
    request_type: str = ""
    sub_request: str = ""


@dataclass(frozen=True)
class BulkOutcome:
    number: str
    done: bool
    message: str
    status: str = ""  # the case's status afterwards, when done

    @property
    def refused(self) -> bool:
        return not self.done


def bulk_request(data: dict[str, Any]) -> BulkRequest:
    """Validate what every case shares; BulkInvalid names each wrong field."""
    errors: dict[str, list[str]] = {}
    raw = str(data.get("action") or "").strip()
    if raw not in BulkAction.__members__.values():
        choices = ", ".join(BulkAction)
        raise BulkInvalid({"action": [f"Choose an action: {choices}."]})
    action = BulkAction(raw)
    text = {k: str(data.get(k) or "").strip() for k in BulkRequest.__dataclass_fields__}
    needs = {
        BulkAction.ASSIGN: {"assignee": "Name the user to assign the cases to."},
        BulkAction.ASK: {"note": "Write the question for the requesters."},
        BulkAction.CLOSE: {
            "resolution": "Choose how the cases were resolved.",
            "note": "Say what was done: the requesters read this.",
        },
        BulkAction.MOVE: {
            "team": "Choose the team to move the cases to.",
            "request_type": "Choose the request type.",
            "note": "Say why the cases belong elsewhere.",
        },
    }
    for name, message in needs.get(action, {}).items():
        if not text[name]:
            errors[name] = [message]
    if (
        action == BulkAction.CLOSE
        and text["resolution"]
        and text["resolution"] not in (Resolution.values)
    ):
        errors["resolution"] = [f"Choose one of {', '.join(Resolution.values)}."]
    if errors:
        raise BulkInvalid(errors)
    return BulkRequest(**{**text, "action": action})


def _numbers(numbers: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(n).strip() for n in numbers if str(n).strip()))
    if not chosen:
        raise BulkInvalid({"cases": ["Choose at least one case."]})
    if len(chosen) > BULK_MAX:
        raise BulkInvalid({"cases": [f"Choose at most {BULK_MAX} cases at a time."]})
    return chosen


def _move(case: Case, user: AbstractBaseUser, request: BulkRequest) -> Case:
    kind = case.record.kind if case.record_id is not None else NO_RECORD
    choice = resolve_choice(
        kind, team=request.team, request_type=request.request_type, sub_request=request.sub_request
    )
    if choice.errors:
        raise CaseError(" ".join(m for ms in choice.errors.values() for m in ms))
    return move_case(
        case,
        agent=user,
        request_type=choice.request_type,
        sub_request=choice.sub_request,
        reason=request.note,
    )


RUN: dict[BulkAction, Callable[[Case, AbstractBaseUser, BulkRequest], Case]] = {
    BulkAction.TAKE: lambda c, u, r: take_case(c, agent=u),
    BulkAction.ASSIGN: lambda c, u, r: assign_case(c, actor=u, assignee=r.assignee),
    BulkAction.HOLD: lambda c, u, r: hold_case(c, agent=u, reason=r.note),
    BulkAction.RESUME: lambda c, u, r: resume_case(c, agent=u),
    BulkAction.ASK: lambda c, u, r: ask_requester(c, agent=u, question=r.note),
    BulkAction.CLOSE: lambda c, u, r: close_case(c, actor=u, resolution=r.resolution, note=r.note),
    BulkAction.MOVE: _move,
}
DONE = {
    BulkAction.TAKE: "Taken: you own it now.",
    BulkAction.ASSIGN: "Assigned to {owner}.",
    BulkAction.HOLD: "Put on hold.",
    BulkAction.RESUME: "Back to Work in Progress.",
    BulkAction.ASK: "Asked the requester; now Pending Response.",
    BulkAction.CLOSE: "Closed.",
    BulkAction.MOVE: "Moved to the {team} queue.",
}


def bulk_act(
    user: AbstractBaseUser, numbers: Iterable[str], request: BulkRequest
) -> list[BulkOutcome]:
    """Do `request` to each case (by number) in turn; what was done or refused, per case.

    Cases the user may not see are refused as missing (hidden = missing), in one query for
    all of them; each case's action then runs in its own transaction.
    """
    chosen = _numbers(numbers)
    ids = {n: parse_number(n) for n in chosen}
    visible = {
        c.pk: c
        for c in cases_visible_to(user)
        .filter(pk__in=[pk for pk in ids.values() if pk is not None])
        .select_related("record")
    }
    outcomes = []
    for number in chosen:
        case = visible.get(ids[number]) if ids[number] is not None else None
        if case is None:
            outcomes.append(BulkOutcome(number, False, "No such case, or you cannot see it."))
            continue
        try:
            case = RUN[request.action](case, user, request)
        except CaseError as refusal:
            outcomes.append(BulkOutcome(case.number, False, str(refusal)))
            continue
        owner = case.owner
        message = DONE[request.action].format(
            owner=(owner.get_full_name() or owner.get_username()) if owner else "",
            team=case.team.name,
        )
        outcomes.append(BulkOutcome(case.number, True, message, case.status))
    return outcomes


# ---- where chosen cases can move (the web form's second step) ------------------------------


@dataclass(frozen=True)
class MoveTarget:
    value: str  # "<request type id>" or "<request type id>:<sub-request id>"
    label: str


def move_targets(user: AbstractBaseUser, numbers: Iterable[str]) -> dict[str, list[MoveTarget]]:
    """By team: the request types (and sub-requests) the chosen cases' record kinds offer."""
    ids = [pk for n in numbers if (pk := parse_number(str(n))) is not None]
    kinds = {
        kind or NO_RECORD
        for kind in cases_visible_to(user).filter(pk__in=ids).values_list("record__kind", flat=True)
    }
    several = len(kinds) > 1
    types = (
        active_request_types(kind__in=kinds, team__is_active=True)
        .select_related("team")
        .order_by("team__position", "team__name", "position", "name")
    )
    targets: dict[str, list[MoveTarget]] = {}
    for rt in types:
        kind = f" ({Kind(rt.kind).label} records)" if several and rt.kind else ""
        for sub in rt.active_subs or [None]:
            value = f"{rt.pk}:{sub.pk}" if sub else str(rt.pk)
            label = rt.label + (f" — {sub.label}" if sub else "") + kind
            targets.setdefault(rt.team.name, []).append(MoveTarget(value, label))
    return targets


def move_names(target: str) -> dict[str, str]:
    """A chosen target's team, request type and sub-request names (each case resolves them
    for its own record kind); empty when the target is not one."""
    rt_id, _, sub_id = target.partition(":")
    if not rt_id.isdecimal() or (sub_id and not sub_id.isdecimal()):
        return {}
    rt = RequestType.objects.select_related("team").filter(pk=int(rt_id)).first()
    sub = rt.sub_requests.filter(pk=int(sub_id)).first() if rt and sub_id else None
    if rt is None or (sub_id and sub is None):
        return {}
    return {"team": rt.team.name, "request_type": rt.name, "sub_request": sub.name if sub else ""}
