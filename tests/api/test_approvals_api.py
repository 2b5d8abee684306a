"""Approvals through the API: GET/POST /cases/{number}/approvals and …/{id}/decision, who may
do what, the errors (403, 404, 409, 422 as problem details) and closing over approvals
(tests/approval_helpers.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from supportdesk.cases.actions import take_case
from supportdesk.cases.approvals import decide_approval, request_approval
from supportdesk.cases.models import Approval, Case, CaseEvent, Status
from supportdesk.people.models import ApiToken
from tests.approval_helpers import (
    BILLING_STEP,
    DIRECTOR_STEP,
    approver,
    churn_comp,
    member,
    po_exception,
    watch,
)
from tests.factories import quote_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def watcher(db):
    return member("walt", "IT / Enterprise Applications")


@pytest.fixture
def case(rep, opportunity, deal_desk_agent) -> Case:
    """An end-of-quarter PO exception that Dan of Deal Desk owns."""
    return take_case(po_exception(rep, opportunity), agent=deal_desk_agent)


@pytest.fixture
def asked(case, deal_desk_agent, sid) -> Approval:
    [approval] = request_approval(case, actor=deal_desk_agent, step=1, approvers=["sid"])
    return approval


def path(case: Case, suffix: str = "") -> str:
    return f"/api/v1/cases/{case.number}/approvals" + suffix


def post(client: Any, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def ask(client: Any, case: Case, step: Any = 1, *approvers: str, **extra: Any) -> Any:
    return post(client, path(case), {"step": step, "approvers": list(approvers), **extra})


def decide(client: Any, case: Case, approval: Approval, decision: str, note: str = "") -> Any:
    body = {"decision": decision, "note": note}
    return post(client, path(case, f"/{approval.pk}/decision"), body)


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def field_errors(response: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in problem(response, 422)["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


# ---- reading ---------------------------------------------------------------------------------


def test_the_steps_in_order_with_what_the_caller_may_do(api_client, case, deal_desk_agent, sid):
    body = ok(api_client(deal_desk_agent).get(path(case)))
    assert body["version"] == case.version
    first, second = body["steps"]
    assert first == {
        "step": 1,
        "name": DIRECTOR_STEP,
        "role": "sr-director-deal-desk",
        "team_lead": None,
        "approvers_needed": 1,
        "chosen_by": "agent",
        "state": "not_requested",
        "can_request": True,
        "eligible_approvers": ["sid"],
        "approvals": [],
    }
    assert (second["name"], second["can_request"], second["eligible_approvers"]) == (
        BILLING_STEP,
        False,
        [],
    )
    assert body["other"] == []


def test_the_approver_reads_their_pending_approval(api_client, case, asked, sid, rep):
    [approval] = ok(api_client(sid).get(path(case)))["steps"][0]["approvals"]
    assert approval["id"] == asked.pk
    assert (approval["approver"], approval["state"], approval["requested_by"]) == (
        "sid",
        "pending",
        "dan",
    )
    assert approval["can_decide"] is True
    assert ok(api_client(rep).get(path(case)))["steps"][0]["approvals"][0]["can_decide"] is False


def test_a_case_that_needs_no_approvals_has_no_steps(api_client, rep, opportunity):
    plain = quote_question(rep, opportunity)
    assert ok(api_client(rep).get(path(plain))) == {
        "steps": [],
        "other": [],
        "version": plain.version,
    }


def test_hidden_cases_are_not_found(api_client, case, outsider, billing_agent):
    for user in (outsider, billing_agent):
        problem(api_client(user).get(path(case)), 404)


def test_a_read_token_reads_but_cannot_ask(api_client, case, deal_desk_agent, sid):
    client = api_client(deal_desk_agent, scope=ApiToken.Scope.READ)
    ok(client.get(path(case)))
    problem(ask(client, case, 1, "sid"), 403)
    assert not Approval.objects.exists()


# ---- asking ----------------------------------------------------------------------------------


def test_the_agent_asks_and_gets_the_approvals_back(api_client, case, deal_desk_agent, sid):
    body = ok(ask(api_client(deal_desk_agent), case, 1, "sid"), 201)
    first = body["steps"][0]
    assert (first["state"], first["can_request"]) == ("pending", False)
    assert [a["approver"] for a in first["approvals"]] == ["sid"]
    assert body["version"] == Case.objects.get(pk=case.pk).version == case.version + 1
    assert case.watchers.filter(username="sid").exists()
    assert case.events.filter(kind=CaseEvent.APPROVAL_REQUESTED).count() == 1


def test_asking_validates_step_and_approvers(api_client, case, deal_desk_agent, sid, bill):
    client = api_client(deal_desk_agent)
    assert field_errors(ask(client, case, 2, "bill")) == {
        "step": [f"Ask for this once {DIRECTOR_STEP} is approved."]
    }
    assert field_errors(ask(client, case, 9, "sid")) == {
        "step": ["This case has no such approval step."]
    }
    assert field_errors(ask(client, case, None, "sid"))["step"]
    assert "bill cannot approve" in field_errors(ask(client, case, 1, "bill"))["approvers"][0]
    assert field_errors(ask(client, case, 1)) == {
        "approvers": [f"Choose 1 approver for {DIRECTOR_STEP}."]
    }
    assert "step" in field_errors(ask(client, case, "one", "sid"))  # not a number: ninja's 422
    assert not Approval.objects.exists()


def test_a_stale_version_is_a_conflict(api_client, case, deal_desk_agent, sid):
    body = problem(ask(api_client(deal_desk_agent), case, 1, "sid", version=case.version - 1), 409)
    assert body["version"] == case.version
    assert not Approval.objects.exists()


def test_asking_again_while_pending_is_refused(api_client, case, asked, deal_desk_agent):
    errors = field_errors(ask(api_client(deal_desk_agent), case, 1, "sid"))
    assert errors == {"step": [f"{DIRECTOR_STEP} was asked for; wait for the decision."]}


def test_the_requester_asks_where_the_catalog_lets_them(api_client, rep, opportunity):
    approver("nina", "sales-leadership")
    comp = churn_comp(rep, opportunity, manager="nina")
    client = api_client(rep)
    first = ok(client.get(path(comp)))["steps"][0]
    assert (first["chosen_by"], first["can_request"], first["eligible_approvers"]) == (
        "requester",
        True,
        ["nina"],
    )
    ok(ask(client, comp, 1, "nina"), 201)


# ---- deciding --------------------------------------------------------------------------------


def test_the_approver_approves(api_client, case, asked, sid):
    body = ok(decide(api_client(sid), case, asked, "approve", "OK this once"))
    first, second = body["steps"]
    assert (first["state"], first["approvals"][0]["note"]) == ("approved", "OK this once")
    assert first["approvals"][0]["decided_at"] is not None
    assert second["state"] == "not_requested"
    event = case.events.get(kind=CaseEvent.APPROVAL_DECIDED)
    assert (event.actor, event.data["decision"]) == (sid, "approved")


def test_a_rejection_needs_a_note_and_a_decision_is_approve_or_reject(api_client, case, asked, sid):
    client = api_client(sid)
    assert list(field_errors(decide(client, case, asked, "reject"))) == ["note"]
    assert field_errors(decide(client, case, asked, "maybe")) == {
        "decision": ["Choose approve or reject."]
    }
    assert Approval.objects.get().state == "pending"
    body = ok(decide(client, case, asked, "reject", "Wrong date"))
    assert body["steps"][0]["state"] == "rejected"


def test_deciding_twice_is_a_conflict(api_client, case, asked, sid):
    client = api_client(sid)
    ok(decide(client, case, asked, "approve"))
    body = problem(decide(client, case, asked, "reject", "No"), 409)
    assert "already approved" in body["detail"]
    assert body["version"] == Case.objects.get(pk=case.pk).version


def test_an_unknown_approval_is_not_found(api_client, case, asked, sid, rep, opportunity):
    other = po_exception(rep, opportunity)
    watch(other, sid)
    problem(decide(api_client(sid), other, asked, "approve"), 404)
    asked.pk = 999
    problem(decide(api_client(sid), case, asked, "approve"), 404)


def test_after_a_rejection_the_team_asks_again(api_client, case, asked, sid, deal_desk_agent):
    decide_approval(asked, actor=sid, approve=False, note="Wrong date")
    client = api_client(deal_desk_agent)
    assert ok(client.get(path(case)))["steps"][0]["can_request"] is True
    body = ok(ask(client, case, 1, "sid"), 201)
    assert body["steps"][0]["state"] == "pending"


# ---- who may do what -------------------------------------------------------------------------

PERSONAS = {
    "requester": "rep",
    "watcher": "watcher",
    "agent": "deal_desk_agent",
    "other_team": "billing_agent",
    "lead": "lead",
    "admin": "admin_user",
    "stranger": "outsider",
    "approver": "sid",
}
ASK = {
    "requester": 403,
    "watcher": 403,
    "agent": 201,
    "other_team": 404,
    "lead": 201,
    "admin": 201,
    "stranger": 404,
}
DECIDE = {
    "requester": 403,
    "watcher": 403,
    "agent": 403,
    "other_team": 404,
    "lead": 403,
    "admin": 403,
    "stranger": 404,
    "approver": 200,
}


@pytest.mark.parametrize("persona", list(ASK))
def test_who_may_ask_for_a_step(request, api_client, case, watcher, sid, persona):
    watch(case, watcher)
    user = request.getfixturevalue(PERSONAS[persona])
    response = ask(api_client(user), case, 1, "sid")
    assert response.status_code == ASK[persona], response.content
    assert Approval.objects.exists() == (ASK[persona] == 201)


@pytest.mark.parametrize("persona", list(DECIDE))
def test_who_may_decide(request, api_client, case, asked, watcher, persona):
    watch(case, watcher)
    user = request.getfixturevalue(PERSONAS[persona])
    response = decide(api_client(user), case, asked, "approve")
    assert response.status_code == DECIDE[persona], response.content
    expected = "approved" if DECIDE[persona] == 200 else "pending"
    assert Approval.objects.get().state == expected


# ---- closing over approvals ------------------------------------------------------------------


def close(client: Any, case: Case, **body: Any) -> Any:
    return post(client, f"/api/v1/cases/{case.number}/close", {"note": "Booked", **body})


def test_the_agent_cannot_close_as_resolved_but_may_as_not_possible(
    api_client, case, asked, deal_desk_agent
):
    client = api_client(deal_desk_agent)
    body = problem(close(client, case, resolution="resolved"), 403)
    assert f"Approvals not given: {DIRECTOR_STEP} (pending)" in body["detail"]
    assert Case.objects.get(pk=case.pk).status == Status.WORK_IN_PROGRESS
    ok(close(client, case, resolution="not_possible"))
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


def test_a_lead_closes_over_approvals_with_a_recorded_reason(api_client, case, asked, lead):
    client = api_client(lead)
    assert "override" in field_errors(close(client, case, resolution="resolved"))
    ok(close(client, case, resolution="resolved", override="CFO said yes"))
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    override = case.events.get(kind=CaseEvent.CLOSE_OVERRIDE)
    assert (override.actor, override.data["reason"]) == (lead, "CFO said yes")
    events = ok(client.get(f"/api/v1/cases/{case.number}/events"))["items"]
    assert CaseEvent.CLOSE_OVERRIDE in [e["kind"] for e in events]


def test_no_decision_once_the_case_is_closed(api_client, case, asked, sid, deal_desk_agent):
    ok(close(api_client(deal_desk_agent), case, resolution="not_possible"))
    body = ok(api_client(sid).get(path(case)))
    assert body["steps"][0]["approvals"][0]["can_decide"] is False
    assert "is closed" in problem(decide(api_client(sid), case, asked, "approve"), 403)["detail"]
