"""Approvals through the services: which steps apply, who may ask whom, deciding, asking again,
and how unfinished approvals block closing as resolved (tests/approval_helpers.py)."""

from __future__ import annotations

import pytest

from supportdesk.cases.actions import (
    ActionInvalid,
    ActionNotAllowed,
    CaseConflict,
    close_case,
    take_case,
)
from supportdesk.cases.approvals import (
    case_steps,
    decide_approval,
    eligible_approvers,
    request_approval,
    step_statuses,
)
from supportdesk.cases.blockers import close_blockers
from supportdesk.cases.models import Approval, Case, CaseEvent, CaseWatcher, Resolution, Status
from supportdesk.cases.services import submit_case
from supportdesk.notify.models import Notification
from supportdesk.people.models import ApprovalRole, Membership
from tests.approval_helpers import (
    BILLING_STEP,
    DIRECTOR_STEP,
    approver,
    churn_comp,
    invoice_update,
    member,
    po_exception,
    watch,
)
from tests.conftest import team
from tests.factories import RequestTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rep, opportunity, deal_desk_agent) -> Case:
    """An end-of-quarter PO exception that Dan of Deal Desk owns."""
    return take_case(po_exception(rep, opportunity), agent=deal_desk_agent)


def ask(case, actor, step, *approvers):
    return request_approval(case, actor=actor, step=step, approvers=list(approvers))


def decide(case, user, approve=True, note=""):
    approval = Approval.objects.get(case=case, approver=user, state="pending")
    return decide_approval(approval, actor=user, approve=approve, note=note)


def errors(caught) -> dict[str, list[str]]:
    return caught.value.errors


# ---- which steps apply -----------------------------------------------------------------------


def test_an_end_of_quarter_po_exception_has_two_numbered_steps(case):
    assert [(s.number, s.name, s.role) for s in case_steps(case)] == [
        (1, DIRECTOR_STEP, "sr-director-deal-desk"),
        (2, BILLING_STEP, "sr-manager-billing-ar"),
    ]


def test_steps_whose_condition_fails_do_not_apply(rep, opportunity):
    other = po_exception(rep, opportunity, exception="PO number given, no PO document")
    assert case_steps(other) == []
    assert close_blockers(other) == []


def test_the_request_types_steps_come_before_the_sub_requests(rep, opportunity):
    rt = RequestTypeFactory(
        team=team("Deal Desk"),
        approvals=[_step("Type step", "compensation")],
    )
    sub = rt.sub_requests.create(name="Sub", approvals=[_step("Sub step", "sales-leadership")])
    made = submit_case(
        rep, record=opportunity, request_type=rt, sub_request=sub, description="x"
    ).case
    assert [(s.number, s.name) for s in case_steps(made)] == [(1, "Type step"), (2, "Sub step")]


def _step(name: str, role: str, approvers: int = 1) -> dict:
    return {
        "name": name,
        "role": role,
        "team_lead": None,
        "approvers": approvers,
        "chosen_by": "agent",
        "when": None,
    }


# ---- asking for a step -----------------------------------------------------------------------


def test_asking_makes_the_approver_a_visible_watcher_and_notifies_them(case, deal_desk_agent, sid):
    before = case.version
    [approval] = ask(case, deal_desk_agent, 1, "sid")
    assert (approval.step, approval.step_name, approval.state) == (1, DIRECTOR_STEP, "pending")
    assert approval.requested_by == deal_desk_agent
    assert CaseWatcher.objects.filter(case=case, user=sid).exists()
    watched = case.events.get(kind=CaseEvent.WATCHER_ADDED)
    assert watched.data == {"user": "sid", "reason": "approval"}
    requested = case.events.get(kind=CaseEvent.APPROVAL_REQUESTED)
    assert requested.data == {
        "step": 1,
        "step_name": DIRECTOR_STEP,
        "approvers": ["sid"],
        "withdrawn": [],
    }
    notice = Notification.objects.get(user=sid)
    assert notice.kind == "approval.requested"
    assert notice.url == f"{case.get_absolute_url()}#approvals"
    assert Case.objects.get(pk=case.pk).version == before + 1


def test_steps_are_sequential(case, deal_desk_agent, sid, bill):
    with pytest.raises(ActionInvalid) as caught:
        ask(case, deal_desk_agent, 2, "bill")
    assert errors(caught) == {"step": [f"Ask for this once {DIRECTOR_STEP} is approved."]}
    ask(case, deal_desk_agent, 1, "sid")
    decide(case, sid)
    [approval] = ask(case, deal_desk_agent, 2, "bill")
    assert approval.step_name == BILLING_STEP


def test_approvers_must_hold_the_steps_role(case, deal_desk_agent, bill, rep):
    with pytest.raises(ActionInvalid) as caught:
        ask(case, deal_desk_agent, 1, "bill")
    assert "bill cannot approve Sr Director Deal Desk approval" in errors(caught)["approvers"][0]
    ApprovalRole.objects.get(slug="sr-director-deal-desk").members.add(rep)
    with pytest.raises(ActionInvalid, match="rita cannot approve"):
        ask(case, deal_desk_agent, 1, "rita")  # the requester never approves their own request
    assert not Approval.objects.exists()


def test_inactive_users_cannot_be_chosen(case, deal_desk_agent, sid):
    sid.is_active = False
    sid.save()
    assert list(eligible_approvers(case, case_steps(case)[0])) == []
    with pytest.raises(ActionInvalid, match="sid cannot approve"):
        ask(case, deal_desk_agent, 1, "sid")


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ([], "Choose 1 approver for Sr Director Deal Desk approval."),
        (["sid", "sue"], "Choose 1 approver for Sr Director Deal Desk approval."),
        (["sid", "sid"], "Name each approver once."),
    ],
)
def test_a_step_asks_exactly_as_many_distinct_approvers_as_it_needs(
    case, deal_desk_agent, sid, names, message
):
    approver("sue", "sr-director-deal-desk")
    with pytest.raises(ActionInvalid) as caught:
        ask(case, deal_desk_agent, 1, *names)
    assert errors(caught)["approvers"] == [message]


def test_a_step_asked_for_or_approved_cannot_be_asked_for_again(case, deal_desk_agent, sid):
    ask(case, deal_desk_agent, 1, "sid")
    with pytest.raises(ActionInvalid, match="was asked for; wait for the decision"):
        ask(case, deal_desk_agent, 1, "sid")
    decide(case, sid)
    with pytest.raises(ActionInvalid, match="is already approved"):
        ask(case, deal_desk_agent, 1, "sid")


def test_no_such_step(case, deal_desk_agent, sid):
    with pytest.raises(ActionInvalid) as caught:
        ask(case, deal_desk_agent, 3, "sid")
    assert errors(caught) == {"step": ["This case has no such approval step."]}


def test_only_the_team_and_admins_ask_for_agent_chosen_steps(
    case, rep, watcher, deal_desk_lead, admin_user, sid
):
    watch(case, watcher)
    for user in (rep, watcher):
        with pytest.raises(ActionNotAllowed):
            ask(case, user, 1, "sid")
    assert not Approval.objects.exists()
    ask(case, deal_desk_lead, 1, "sid")
    Approval.objects.all().delete()
    ask(case, admin_user, 1, "sid")


def test_the_requester_chooses_the_approver_where_the_catalog_says_so(rep, opportunity):
    nina = approver("nina", "sales-leadership", "Nina", "Novak")
    comp = churn_comp(rep, opportunity, manager="nina")
    approver("carlos", "compensation")
    ask(comp, rep, 1, "nina")
    decide(comp, nina)
    with pytest.raises(ActionNotAllowed, match="Only the team can ask for Compensation"):
        ask(comp, rep, 2, "carlos")
    sofia = member("sofia", "Sales Operations")
    ask(comp, sofia, 2, "carlos")  # the team asks for the steps it chooses


def test_nothing_is_asked_on_a_closed_case(case, deal_desk_agent, sid):
    close_case(case, actor=deal_desk_agent, resolution=Resolution.NOT_POSSIBLE, note="No PO")
    with pytest.raises(ActionNotAllowed, match="is closed"):
        ask(case, deal_desk_agent, 1, "sid")


def test_a_team_lead_step_asks_leads_of_that_team(rep, opportunity):
    update = invoice_update(rep, opportunity)
    [step] = case_steps(update)
    assert (step.name, step.team_lead) == ("Billing leadership approval", "Billing")
    boris = member("boris", "Billing", Membership.Role.LEAD)
    bea = member("bea2", "Billing")
    member("dora", "Deal Desk", Membership.Role.LEAD)
    assert list(eligible_approvers(update, step)) == [boris]
    with pytest.raises(ActionInvalid, match="choose a lead of Billing"):
        ask(update, bea, 1, "bea2")
    ask(update, bea, 1, "boris")


# ---- deciding --------------------------------------------------------------------------------


def test_the_approver_approves_and_the_team_and_requester_hear_of_it(
    case, rep, deal_desk_agent, deal_desk_lead, sid
):
    ask(case, deal_desk_lead, 1, "sid")  # the lead asks; Dan owns the case
    approval = decide(case, sid, note="Fine this once")
    assert (approval.state, approval.note) == ("approved", "Fine this once")
    assert approval.decided_at is not None
    event = case.events.get(kind=CaseEvent.APPROVAL_DECIDED)
    assert event.actor == sid
    assert event.data == {
        "approval": approval.pk,
        "step": 1,
        "step_name": DIRECTOR_STEP,
        "decision": "approved",
        "note": "Fine this once",
    }
    told = set(
        Notification.objects.filter(kind="approval.decided").values_list(
            "user__username", flat=True
        )
    )
    assert told == {"rita", "dan", "lena"}
    statuses, _ = step_statuses(case)
    assert [s.state for s in statuses] == ["approved", "not_requested"]
    assert [s.open for s in statuses] == [True, True]


def test_a_rejection_needs_a_note(case, deal_desk_agent, sid):
    ask(case, deal_desk_agent, 1, "sid")
    with pytest.raises(ActionInvalid) as caught:
        decide(case, sid, approve=False, note="  ")
    assert list(errors(caught)) == ["note"]
    assert Approval.objects.get().state == "pending"
    decide(case, sid, approve=False, note="The PO is not due within 10 days.")
    assert Approval.objects.get().state == "rejected"
    assert step_statuses(case)[0][0].state == "rejected"


def test_only_the_named_approver_decides(case, deal_desk_agent, deal_desk_lead, admin_user, sid):
    [approval] = ask(case, deal_desk_agent, 1, "sid")
    for user in (deal_desk_agent, deal_desk_lead, admin_user):
        with pytest.raises(ActionNotAllowed, match="Only Sid Director can decide"):
            decide_approval(approval, actor=user, approve=True)
    sue = approver("sue", "sr-director-deal-desk")  # holds the role, was not asked, cannot see
    with pytest.raises(ActionNotAllowed):
        decide_approval(approval, actor=sue, approve=True)
    assert Approval.objects.get().state == "pending"


def test_a_decision_is_made_once(case, deal_desk_agent, sid):
    [approval] = ask(case, deal_desk_agent, 1, "sid")
    decide_approval(approval, actor=sid, approve=True)
    with pytest.raises(CaseConflict, match="already approved"):
        decide_approval(approval, actor=sid, approve=False, note="Changed my mind")


def test_no_decision_on_a_closed_case(case, deal_desk_agent, sid):
    [approval] = ask(case, deal_desk_agent, 1, "sid")
    close_case(case, actor=deal_desk_agent, resolution=Resolution.NOT_POSSIBLE, note="No PO")
    with pytest.raises(ActionNotAllowed, match="is closed"):
        decide_approval(approval, actor=sid, approve=True)


# ---- asking again after a rejection ----------------------------------------------------------


def test_after_a_rejection_the_agent_asks_the_same_approver_again(case, deal_desk_agent, sid):
    [first] = ask(case, deal_desk_agent, 1, "sid")
    decide(case, sid, approve=False, note="Attach the customer's email")
    [again] = ask(case, deal_desk_agent, 1, "sid")
    assert again.pk == first.pk
    assert (again.state, again.note, again.decided_at) == ("pending", "", None)
    decisions = case.events.filter(kind=CaseEvent.APPROVAL_DECIDED)
    assert decisions.get().data["note"] == "Attach the customer's email"  # the feed keeps it


def test_after_a_rejection_the_agent_asks_someone_else(case, deal_desk_agent, sid):
    approver("sue", "sr-director-deal-desk")
    ask(case, deal_desk_agent, 1, "sid")
    decide(case, sid, approve=False, note="Not me: ask Sue")
    [other] = ask(case, deal_desk_agent, 1, "sue")
    assert list(Approval.objects.values_list("approver__username", "state")) == [("sue", "pending")]
    latest = case.events.filter(kind=CaseEvent.APPROVAL_REQUESTED).order_by("-id").first()
    assert latest.data["withdrawn"] == ["sid"]
    assert other.step == 1


def test_a_step_of_two_approvers(rep, opportunity):
    rt = RequestTypeFactory(
        team=team("Deal Desk"), approvals=[_step("Two heads", "compensation", 2)]
    )
    made = submit_case(rep, record=opportunity, request_type=rt, description="x").case
    agent = member("dora", "Deal Desk")
    a, b, c = (approver(n, "compensation") for n in ("ann", "ben", "cat"))
    with pytest.raises(ActionInvalid, match="Choose 2 approvers"):
        ask(made, agent, 1, "ann")
    ask(made, agent, 1, "ann", "ben")
    decide(made, a)
    assert step_statuses(made)[0][0].state == "pending"
    decide(made, b, approve=False, note="Too much")
    assert step_statuses(made)[0][0].state == "rejected"
    with pytest.raises(ActionInvalid, match="ann already approved"):
        ask(made, agent, 1, "ann")
    ask(made, agent, 1, "cat")  # Ann's approval stands; one more is needed
    decide(made, c)
    assert step_statuses(made)[0][0].state == "approved"


# ---- closing ---------------------------------------------------------------------------------


def test_approvals_not_given_block_closing_as_resolved(case, deal_desk_agent, sid):
    [blocker] = close_blockers(case)
    assert blocker.kind == "approvals" and blocker.lead_only
    assert "Sr Director Deal Desk approval (not asked for yet)" in blocker.message
    ask(case, deal_desk_agent, 1, "sid")
    assert "Sr Director Deal Desk approval (pending)" in close_blockers(case)[0].message
    with pytest.raises(ActionNotAllowed, match="Ask a lead of the team"):
        close_case(case, actor=deal_desk_agent, resolution=Resolution.RESOLVED, note="Done")
    assert Case.objects.get(pk=case.pk).status == Status.WORK_IN_PROGRESS


def test_a_lead_closes_over_approvals_with_a_reason_that_is_recorded(
    case, deal_desk_agent, deal_desk_lead, sid
):
    ask(case, deal_desk_agent, 1, "sid")
    with pytest.raises(ActionInvalid) as caught:
        close_case(case, actor=deal_desk_lead, resolution=Resolution.RESOLVED, note="Booked")
    assert "Say why you close it anyway." in errors(caught)["override"]
    closed = close_case(
        case,
        actor=deal_desk_lead,
        resolution=Resolution.RESOLVED,
        note="Booked",
        override="CFO approved by phone",
    )
    assert closed.status == Status.CLOSED
    override = case.events.get(kind=CaseEvent.CLOSE_OVERRIDE)
    assert (override.actor, override.data["reason"]) == (deal_desk_lead, "CFO approved by phone")
    assert override.data["blockers"] == ["approvals"]


def test_closing_as_not_possible_needs_no_approvals(case, deal_desk_agent, sid):
    ask(case, deal_desk_agent, 1, "sid")
    decide(case, sid, approve=False, note="No")
    closed = close_case(
        case, actor=deal_desk_agent, resolution=Resolution.NOT_POSSIBLE, note="Rejected"
    )
    assert closed.status == Status.CLOSED
    assert not case.events.filter(kind=CaseEvent.CLOSE_OVERRIDE).exists()


def test_once_every_step_is_approved_the_agent_closes_as_resolved(case, deal_desk_agent, sid, bill):
    ask(case, deal_desk_agent, 1, "sid")
    decide(case, sid)
    ask(case, deal_desk_agent, 2, "bill")
    decide(case, bill)
    assert close_blockers(case) == []
    closed = close_case(case, actor=deal_desk_agent, resolution=Resolution.RESOLVED, note="OK")
    assert closed.status == Status.CLOSED
