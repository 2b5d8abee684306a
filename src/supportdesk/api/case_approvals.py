"""Approvals over the API: /cases/{number}/approvals — the steps, asking for one, deciding.

Like the other case routes: `case_for` (hidden = 404), then one action of `cases.approvals`,
which checks who may under the case's row lock. Not allowed → 403, field errors → 422, a
stale `version` or a decision already made → 409 (api/errors.py). Each answer is the case's
approvals as the caller now sees them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from supportdesk.api.errors import FieldErrors, problems
from supportdesk.api.idempotency import idempotent
from supportdesk.api.schemas import VersionIn, enum_without_default
from supportdesk.cases.approvals import (
    StepStatus,
    decide_approval,
    eligible_approvers,
    request_approval,
    step_statuses,
)
from supportdesk.cases.models import Approval, ApprovalState, Case
from supportdesk.cases.models import Status as CaseStatus
from supportdesk.cases.policy import may_request_approval
from supportdesk.cases.queries import case_for

router = Router(tags=["approvals"])

CHANGE = problems(401, 403, 404, 409, 422)


class ApprovalOut(Schema):
    id: int
    approver: str = Field(description="Username.")
    state: ApprovalState
    note: str = Field(description="The approver's note (always given with a rejection).")
    requested_by: str = Field(description="Username.")
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    can_decide: bool = Field(description="The caller is the approver and may decide now.")


class StepOut(Schema):
    step: int = Field(description="The step's place among the steps the request declares.")
    name: str
    role: str | None = Field(description="Slug of the approval role whose members approve.")
    team_lead: str | None = Field(description="Or the team whose leads approve.")
    approvers_needed: int = Field(description="How many distinct people must approve.")
    chosen_by: Literal["agent", "requester"] = Field(
        description="Who names the approvers: the team (agent), or the requester too."
    )
    state: Literal["not_requested", "pending", "approved", "rejected"]
    can_request: bool = Field(description="The caller may ask for this step now.")
    eligible_approvers: list[str] = Field(
        description="Usernames the caller may choose from (only when `can_request`)."
    )
    approvals: list[ApprovalOut]


class ApprovalsOut(Schema):
    steps: list[StepOut] = Field(description="In order; each waits for the ones before it.")
    other: list[ApprovalOut] = Field(
        description="Approvals of steps that no longer apply (the case moved, an answer changed)."
    )
    version: int = Field(description="The case's version.")


class ApprovalRequestIn(VersionIn):
    model_config = ConfigDict(json_schema_extra={"required": ["step", "approvers"]})

    step: int | None = Field(None, description="The `step` number from GET …/approvals.")
    approvers: list[str] = Field(
        [], description="Usernames: as many as the step still needs, from `eligible_approvers`."
    )


class DecisionIn(VersionIn):
    model_config = ConfigDict(json_schema_extra={"required": ["decision"]})

    decision: str = Field(
        "",
        description="approve or reject.",
        json_schema_extra=enum_without_default(["approve", "reject"]),
    )
    note: str = Field("", description="Required to reject: why. The team and requester read it.")


def approvals_out(user: AbstractBaseUser, case: Case) -> dict[str, Any]:
    statuses, other = step_statuses(case)
    return {
        "steps": [_step_out(user, case, status) for status in statuses],
        "other": [_approval_out(user, case, a) for a in other],
        "version": case.version,
    }


def _step_out(user: AbstractBaseUser, case: Case, status: StepStatus) -> dict[str, Any]:
    step = status.step
    can_request = status.requestable and may_request_approval(user, case, chosen_by=step.chosen_by)
    standing = {a.approver_id for a in status.kept}
    eligible = eligible_approvers(case, step) if can_request else []
    return {
        "step": step.number,
        "name": step.name,
        "role": step.role,
        "team_lead": step.team_lead,
        "approvers_needed": step.needed,
        "chosen_by": step.chosen_by,
        "state": status.state,
        "can_request": can_request,
        "eligible_approvers": [u.get_username() for u in eligible if u.pk not in standing],
        "approvals": [_approval_out(user, case, a) for a in status.approvals],
    }


def _approval_out(user: AbstractBaseUser, case: Case, approval: Approval) -> dict[str, Any]:
    pending = approval.state == ApprovalState.PENDING and case.status != CaseStatus.CLOSED
    return {
        "id": approval.pk,
        "approver": approval.approver.get_username(),
        "state": approval.state,
        "note": approval.note,
        "requested_by": approval.requested_by.get_username(),
        "requested_at": approval.requested_at,
        "decided_at": approval.decided_at,
        "can_decide": pending and approval.approver_id == user.pk,
    }


def _reread(case: Case) -> Case:
    case.refresh_from_db(fields=["version", "updated_at", "status"])
    return case


@router.get("/cases/{number}/approvals", response={200: ApprovalsOut, **problems(401, 404)})
def approval_list(request: HttpRequest, number: str) -> dict[str, Any]:
    """The approval steps the case's request type declares that apply to it, in order, with
    each approver's decision. Empty `steps` when its type needs no approvals."""
    case = case_for(request.auth, number)
    return approvals_out(request.auth, case)


@router.post("/cases/{number}/approvals", response={201: ApprovalsOut, **CHANGE})
@idempotent
def approval_request(request: HttpRequest, number: str, payload: ApprovalRequestIn) -> Status:
    """Ask people to approve a step: they become watchers (so they see the case) and are
    notified. The team asks (the requester too, for steps with `chosen_by: requester`), once
    every earlier step is approved; after a rejection, the step can be asked for again."""
    user = request.auth
    case = case_for(user, number)
    request_approval(
        case,
        actor=user,
        step=payload.step or 0,
        approvers=payload.approvers,
        version=payload.version,
    )
    return Status(201, approvals_out(user, _reread(case)))


@router.post(
    "/cases/{number}/approvals/{approval_id}/decision", response={200: ApprovalsOut, **CHANGE}
)
def approval_decide(
    request: HttpRequest, number: str, approval_id: int, payload: DecisionIn
) -> dict[str, Any]:
    """The approver approves or rejects (a rejection needs a `note`) while the case is open;
    the decision goes in the feed and to the case's owner and requester."""
    user = request.auth
    case = case_for(user, number)
    approval = case.approvals.filter(pk=approval_id).first()
    if approval is None:
        raise Http404("No such approval on this case.")
    if payload.decision not in ("approve", "reject"):
        raise FieldErrors({"decision": ["Choose approve or reject."]})
    decide_approval(
        approval,
        actor=user,
        approve=payload.decision == "approve",
        note=payload.note,
        version=payload.version,
    )
    return approvals_out(user, _reread(case))
