"""The case page's Approvals section: ask for a step, approve or reject.

Plain POST forms that work without JavaScript: access (`case_for`, 404 when hidden) → the
action in `cases.approvals` → back to the Approvals section with a message saying what
happened or why nothing did.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from supportdesk.cases.actions import CaseError
from supportdesk.cases.approvals import ANCHOR, decide_approval, request_approval
from supportdesk.cases.display.formatting import person
from supportdesk.cases.models import Case
from supportdesk.cases.queries import case_for

DECISIONS = {"approve": True, "reject": False}


def _back(case: Case) -> HttpResponse:
    return redirect(f"{case.get_absolute_url()}#{ANCHOR}")


@login_required
@require_POST
def approval_request(request: HttpRequest, number: str) -> HttpResponse:
    """Ask the chosen people (`approvers`, usernames) to approve step `step`."""
    case = case_for(request.user, number)
    step = request.POST.get("step", "")
    approvers = [a for a in request.POST.getlist("approvers") if a.strip()]
    try:
        made = request_approval(
            case,
            actor=request.user,
            step=int(step) if step.isascii() and step.isdigit() else 0,
            approvers=approvers,
        )
    except CaseError as refused:
        messages.error(request, str(refused))
    else:
        names = ", ".join(person(a.approver) for a in made)
        messages.success(request, f"Asked {names} for {made[0].step_name}.")
    return _back(case)


@login_required
@require_POST
def approval_decide(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """The approver's decision: `decision` approve or reject, with a `note` (needed to reject)."""
    case = case_for(request.user, number)
    approval = get_object_or_404(case.approvals.all(), pk=pk)
    decision = request.POST.get("decision", "")
    if decision not in DECISIONS:
        messages.error(request, "Choose approve or reject.")
        return _back(case)
    try:
        approval = decide_approval(
            approval,
            actor=request.user,
            approve=DECISIONS[decision],
            note=request.POST.get("note", ""),
        )
    except CaseError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"You {approval.state} {approval.step_name}.")
    return _back(case)
