"""Approvals: the sign-offs a case's request type declares, and the two actions on them.

The catalog declares a list of steps per request type and sub-request (the sub-request's come
after its type's); a step is numbered by its place in that list and applies to a case unless
its `when` condition fails on the case's answers. Steps are sequential: a step can be asked
for once every earlier step that applies is approved. A step asks `approvers` distinct people
holding an approval role (or leads of a team); it is approved when that many approved, and
rejected as soon as one of them rejects, until it is asked for again.

Both actions lock the case like `cases.actions` does, write one feed event and notify.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from supportdesk.cases.actions import (
    COMMENT_MAX,
    ActionInvalid,
    ActionNotAllowed,
    CaseConflict,
    _event,
    _lock,
    _name,
    _save,
    _watch,
)
from supportdesk.cases.blockers import Blocker
from supportdesk.cases.models import Approval, ApprovalState, Case, CaseEvent, Status
from supportdesk.cases.policy import Action, may_request_approval
from supportdesk.catalog.schema import condition_holds
from supportdesk.notify.services import notify
from supportdesk.people.models import ApprovalRole, Membership

NOT_REQUESTED = "not_requested"
STATE_LABELS = {
    NOT_REQUESTED: "Not asked for yet",
    ApprovalState.PENDING: "Pending",
    ApprovalState.APPROVED: "Approved",
    ApprovalState.REJECTED: "Rejected",
}
ANCHOR = "approvals"
NOT_YOURS = {  # why the viewer is not offered the form to ask for a step
    "agent": "Not asked for yet: the team asks for it.",
    "requester": "Not asked for yet: the requester (or the team) chooses the approver.",
}


# ---- the steps of a case -------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalStep:
    number: int  # the place among the steps the request type (and sub-request) declare, from 1
    name: str
    role: str | None  # an approval role's slug…
    team_lead: str | None  # …or the name of a team whose leads approve
    needed: int  # distinct approvers
    chosen_by: str  # "agent" or "requester"


def declared_steps(case: Case) -> list[dict]:
    """Every step the case's request type and sub-request declare (no query: they are loaded
    with the case)."""
    steps = list(case.request_type.approvals or [])
    if case.sub_request_id is not None:
        steps += case.sub_request.approvals or []
    return steps


def case_steps(case: Case) -> list[ApprovalStep]:
    """The declared steps that apply to the case (their `when` holds for its answers)."""
    details = case.details or {}
    return [
        ApprovalStep(
            number=number,
            name=step["name"],
            role=step.get("role"),
            team_lead=step.get("team_lead"),
            needed=step.get("approvers", 1),
            chosen_by=step.get("chosen_by", "agent"),
        )
        for number, step in enumerate(declared_steps(case), start=1)
        if not step.get("when") or condition_holds(step["when"], details)
    ]


@dataclass
class StepStatus:
    step: ApprovalStep
    approvals: list[Approval] = field(default_factory=list)
    state: str = NOT_REQUESTED
    open: bool = False  # every earlier step is approved
    waits_for: str = ""  # the earlier step it waits for, when not open

    @property
    def requestable(self) -> bool:
        return self.open and self.state in (NOT_REQUESTED, ApprovalState.REJECTED)

    @property
    def kept(self) -> list[Approval]:
        """Approvals that stand when the step is asked for again (all but the rejections)."""
        return [a for a in self.approvals if a.state != ApprovalState.REJECTED]

    @property
    def still_needed(self) -> int:
        return max(self.step.needed - len(self.kept), 0)


def _state(step: ApprovalStep, approvals: list[Approval]) -> str:
    states = [a.state for a in approvals]
    if states.count(ApprovalState.APPROVED) >= step.needed:
        return ApprovalState.APPROVED
    if ApprovalState.REJECTED in states:
        return ApprovalState.REJECTED
    return ApprovalState.PENDING if states else NOT_REQUESTED


def step_statuses(
    case: Case, approvals: Sequence[Approval] | None = None
) -> tuple[list[StepStatus], list[Approval]]:
    """Each step that applies with its approvals and state, and the approvals of steps that no
    longer apply (the case moved, or an answer changed). One query unless `approvals` given."""
    if approvals is None:
        approvals = list(case.approvals.select_related("approver", "requested_by"))
    statuses = [StepStatus(step) for step in case_steps(case)]
    by_step = {(s.step.number, s.step.name): s for s in statuses}
    stray = []
    for approval in approvals:
        status = by_step.get((approval.step, approval.step_name))
        (status.approvals if status is not None else stray).append(approval)
    waiting = ""
    for status in statuses:
        status.state = _state(status.step, status.approvals)
        status.open, status.waits_for = not waiting, waiting
        if not waiting and status.state != ApprovalState.APPROVED:
            waiting = status.step.name
    return statuses, stray


def eligible_approvers(case: Case, step: ApprovalStep) -> QuerySet:
    """Active holders of the step's role (or leads of its team), never the case's requester."""
    users = get_user_model().objects.filter(is_active=True).exclude(pk=case.requester_id)
    if step.role is not None:
        users = users.filter(approval_roles__slug=step.role)
    else:
        users = users.filter(
            memberships__team__name=step.team_lead, memberships__role=Membership.Role.LEAD
        )
    return users.order_by("first_name", "last_name", "username")


def approvers_label(step: ApprovalStep, role_names: dict[str, str] | None = None) -> str:
    """Who may approve the step, in words."""
    if step.team_lead is not None:
        return f"a lead of {step.team_lead}"
    if role_names is None:
        role_names = dict(ApprovalRole.objects.filter(slug=step.role).values_list("slug", "name"))
    return f"someone with the {role_names.get(step.role, step.role)} approval role"


def approvals_blocker(case: Case) -> Blocker | None:
    """What stands in the way of closing as resolved: every step that applies and is not
    approved, and approvals still pending or rejected from steps that no longer apply."""
    if declared_steps(case):
        statuses, stray = step_statuses(case)
    else:
        statuses, stray = [], list(case.approvals.exclude(state=ApprovalState.APPROVED))
    states = [(s.step.name, s.state) for s in statuses] + [(a.step_name, a.state) for a in stray]
    missing = [
        f"{name} ({STATE_LABELS[state].lower()})"
        for name, state in states
        if state != ApprovalState.APPROVED
    ]
    if not missing:
        return None
    listed = ", ".join(dict.fromkeys(missing))
    return Blocker(
        "approvals",
        f"Approvals not given: {listed}. Only a lead can close the case as resolved.",
        lead_only=True,
    )


# ---- asking for an approval ----------------------------------------------------------------


@transaction.atomic
def request_approval(
    case: Case,
    *,
    actor: AbstractBaseUser,
    step: int,
    approvers: Sequence[Any],
    version: int | None = None,
) -> list[Approval]:
    """Ask people (users or usernames) to approve a step of the case.

    They become watchers (visibly: that is how they can see the case) and are notified. After a
    rejection the step may be asked for again, of the same people or others: the rejections
    are withdrawn (the feed keeps them) and the other approvals stand.
    """
    case = _lock(case, actor, Action.COMMENT, version)
    status = _requestable(case, actor, step)
    users = _chosen_approvers(case, status, approvers)
    made, withdrawn = _ask(case, status, users, actor)
    for user in users:
        _watch(case, user, added_by=actor, reason="approval")
    _event(
        case,
        CaseEvent.APPROVAL_REQUESTED,
        actor,
        step=status.step.number,
        step_name=status.step.name,
        approvers=[u.get_username() for u in users],
        withdrawn=withdrawn,
    )
    _save(case)
    _notify(
        users,
        case,
        actor,
        kind="approval.requested",
        title=f"{_name(actor)} asks for your approval on case {case.number}: {status.step.name}",
        body=case.subject,
    )
    return made


def _requestable(case: Case, actor: AbstractBaseUser, number: Any) -> StepStatus:
    if case.status == Status.CLOSED:
        raise ActionNotAllowed(f"Case {case.number} is closed; reopen it first.")
    # The widest rule first: the team, admins and the requester (for the steps they choose).
    if not may_request_approval(actor, case, chosen_by="requester"):
        raise ActionNotAllowed(f"Only the team can ask for approvals on case {case.number}.")
    statuses, _ = step_statuses(case)
    status = next((s for s in statuses if s.step.number == number), None)
    if status is None:
        raise ActionInvalid({"step": ["This case has no such approval step."]})
    if not may_request_approval(actor, case, chosen_by=status.step.chosen_by):
        raise ActionNotAllowed(f"Only the team can ask for {status.step.name}.")
    if not status.open:
        raise ActionInvalid({"step": [f"Ask for this once {status.waits_for} is approved."]})
    if status.state == ApprovalState.APPROVED:
        raise ActionInvalid({"step": [f"{status.step.name} is already approved."]})
    if status.state == ApprovalState.PENDING:
        raise ActionInvalid({"step": [f"{status.step.name} was asked for; wait for the decision."]})
    return status


def _chosen_approvers(case: Case, status: StepStatus, given: Sequence[Any]) -> list:
    """The users named, checked: distinct, eligible, not already standing, as many as needed."""
    names = [g.get_username() if hasattr(g, "get_username") else str(g).strip() for g in given]
    names = [n for n in names if n]
    step, needed = status.step, status.still_needed
    found = {u.get_username(): u for u in eligible_approvers(case, step).filter(username__in=names)}
    standing = {a.approver.get_username() for a in status.kept}
    problems = []
    if len(set(names)) != len(names):
        problems.append("Name each approver once.")
    if unfit := [n for n in dict.fromkeys(names) if n not in found]:
        who = approvers_label(step)
        problems.append(f"{', '.join(unfit)} cannot approve {step.name}: choose {who}.")
    if again := [n for n in names if n in standing]:
        problems.append(f"{', '.join(again)} already approved or was asked already.")
    if not problems and len(names) != needed:
        plural = "s" if needed > 1 else ""
        problems.append(f"Choose {needed} approver{plural} for {step.name}.")
    if problems:
        raise ActionInvalid({"approvers": problems})
    return [found[n] for n in names]


def _ask(
    case: Case, status: StepStatus, users: list, actor: AbstractBaseUser
) -> tuple[list[Approval], list[str]]:
    """Write the approvals: a rejection of someone asked again becomes pending again; other
    rejections are withdrawn. Returns the approvals asked for and who was withdrawn."""
    now = timezone.now()
    rejected = {a.approver_id: a for a in status.approvals if a.state == ApprovalState.REJECTED}
    again = [rejected.pop(u.pk) for u in users if u.pk in rejected]
    for approval in again:
        approval.state, approval.note, approval.decided_at = ApprovalState.PENDING, "", None
        approval.requested_by, approval.requested_at = actor, now
    if again:
        fields = ["state", "note", "decided_at", "requested_by", "requested_at"]
        Approval.objects.bulk_update(again, fields)
    Approval.objects.filter(pk__in=[a.pk for a in rejected.values()]).delete()
    asked_again = {a.approver_id for a in again}
    new = Approval.objects.bulk_create(
        Approval(
            case=case,
            step=status.step.number,
            step_name=status.step.name,
            approver=user,
            requested_by=actor,
            requested_at=now,
        )
        for user in users
        if user.pk not in asked_again
    )
    return again + new, [a.approver.get_username() for a in rejected.values()]


# ---- deciding ------------------------------------------------------------------------------


@transaction.atomic
def decide_approval(
    approval: Approval,
    *,
    actor: AbstractBaseUser,
    approve: bool,
    note: str = "",
    version: int | None = None,
) -> Approval:
    """The named approver approves or rejects (saying why) while the case is open."""
    case = _lock(approval.case, actor, Action.COMMENT, version)
    approval = (
        Approval.objects.select_related("approver", "requested_by")
        .filter(case=case, pk=approval.pk)
        .first()
    )
    if approval is None:
        raise CaseConflict("This approval was withdrawn; it was asked of someone else.", case=case)
    note = (note or "").strip()[:COMMENT_MAX]
    _check_decision(case, approval, actor, approve=approve, note=note)
    approval.state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
    approval.note, approval.decided_at = note, timezone.now()
    approval.save(update_fields=["state", "note", "decided_at"])
    _event(
        case,
        CaseEvent.APPROVAL_DECIDED,
        actor,
        approval=approval.pk,
        step=approval.step,
        step_name=approval.step_name,
        decision=approval.state,
        note=note,
    )
    _save(case)
    verb = "approved" if approve else "rejected"
    _notify(
        [case.owner, approval.requested_by, case.requester],
        case,
        actor,
        kind="approval.decided",
        title=f"{_name(actor)} {verb} {approval.step_name} on case {case.number}",
        body=note,
    )
    return approval


def _check_decision(
    case: Case, approval: Approval, actor: AbstractBaseUser, *, approve: bool, note: str
) -> None:
    if approval.approver_id != actor.pk:
        raise ActionNotAllowed(f"Only {_name(approval.approver)} can decide this approval.")
    if case.status == Status.CLOSED:
        raise ActionNotAllowed(f"Case {case.number} is closed; reopen it first.")
    if approval.state != ApprovalState.PENDING:
        raise CaseConflict(
            f"{approval.step_name} was already {approval.state} by {_name(approval.approver)}.",
            case=case,
        )
    if not approve and not note:
        raise ActionInvalid(
            {"note": ["Say why you reject it: the team and the requester read it."]}
        )


def _notify(users: list, case: Case, actor: AbstractBaseUser, **message: str) -> None:
    notify(users, case=case, actor=actor, anchor=ANCHOR, **message)


# ---- the case page's Approvals section -----------------------------------------------------


@dataclass(frozen=True)
class ApprovalRow:
    pk: int
    step_name: str
    approver: str
    state: str
    state_label: str
    note: str
    requested_by: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decide_url: str  # empty unless the viewer is the approver and may decide now


@dataclass(frozen=True)
class RequestOffer:
    """The form to ask for a step: whom the viewer may choose, and how many."""

    url: str
    step: int
    needed: int
    choices: list[tuple[str, str]]  # (username, name)


@dataclass(frozen=True)
class StepRow:
    number: int
    name: str
    approvers_label: str
    needed: int
    chosen_by: str
    state: str
    state_label: str
    approvals: list[ApprovalRow]
    offer: RequestOffer | None
    note: str  # why it cannot be asked for now, if so


def approvals_panel(case: Case, user: AbstractBaseUser) -> dict[str, Any] | None:
    """The case page's Approvals section for `user`: None, without a query, when the case's
    request type declares no steps; otherwise at most three queries however many approvals."""
    if not declared_steps(case):
        return None
    statuses, stray = step_statuses(case)
    slugs = {s.step.role for s in statuses if s.step.role}
    roles = (
        dict(ApprovalRole.objects.filter(slug__in=slugs).values_list("slug", "name"))
        if slugs
        else {}
    )
    return {
        "steps": [_step_row(case, user, s, roles) for s in statuses],
        "stray": [_approval_row(case, user, a) for a in stray],
    }


def _step_row(
    case: Case, user: AbstractBaseUser, status: StepStatus, roles: dict[str, str]
) -> StepRow:
    step = status.step
    offer, note = None, ""
    if not status.open:
        note = f"Can be asked for once {status.waits_for} is approved."
    elif status.requestable and may_request_approval(user, case, chosen_by=step.chosen_by):
        offer = _offer(case, status)
    elif status.requestable and case.status != Status.CLOSED:
        note = NOT_YOURS[step.chosen_by]
    return StepRow(
        number=step.number,
        name=step.name,
        approvers_label=approvers_label(step, roles),
        needed=step.needed,
        chosen_by=step.chosen_by,
        state=status.state,
        state_label=STATE_LABELS[status.state],
        approvals=[_approval_row(case, user, a) for a in status.approvals],
        offer=offer,
        note=note,
    )


def _offer(case: Case, status: StepStatus) -> RequestOffer:
    standing = {a.approver_id for a in status.kept}
    choices = [
        (u.get_username(), u.get_full_name() or u.get_username())
        for u in eligible_approvers(case, status.step)
        if u.pk not in standing
    ]
    url = reverse("cases:approval_request", args=[case.number])
    return RequestOffer(url, status.step.number, status.still_needed, choices)


def _approval_row(case: Case, user: AbstractBaseUser, approval: Approval) -> ApprovalRow:
    decidable = (
        approval.approver_id == user.pk
        and approval.state == ApprovalState.PENDING
        and case.status != Status.CLOSED
    )
    url = reverse("cases:approval_decide", args=[case.number, approval.pk]) if decidable else ""
    return ApprovalRow(
        pk=approval.pk,
        step_name=approval.step_name,
        approver=_name(approval.approver),
        state=approval.state,
        state_label=STATE_LABELS[approval.state],
        note=approval.note,
        requested_by=_name(approval.requested_by),
        requested_at=approval.requested_at,
        decided_at=approval.decided_at,
        decide_url=url,
    )
