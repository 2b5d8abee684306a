"""Approvals on the case page: the section, asking for a step, approving and rejecting from the
page an approval notification opens, who may do what, closing over approvals, and the page's
query count (tests/approval_helpers.py)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportdesk.cases.actions import take_case
from supportdesk.cases.approvals import decide_approval, request_approval
from supportdesk.cases.models import Approval, Case, CaseEvent, Status
from supportdesk.notify.models import Notification
from tests.approval_helpers import (
    BILLING_STEP,
    DIRECTOR_STEP,
    approver,
    churn_comp,
    member,
    po_exception,
    watch,
)
from tests.web.casework import act, flashed, quote_question_case, text, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def watcher(db):
    return member("walt", "IT / Enterprise Applications", first_name="Walt")


@pytest.fixture
def case(rep, opportunity, deal_desk_agent) -> Case:
    """An end-of-quarter PO exception that Dan of Deal Desk owns."""
    return take_case(po_exception(rep, opportunity), agent=deal_desk_agent)


@pytest.fixture
def asked(case, deal_desk_agent, sid) -> Approval:
    [approval] = request_approval(case, actor=deal_desk_agent, step=1, approvers=["sid"])
    return approval


def ask(client, case, step=1, *approvers):
    return client.post(url(case, "approval_request"), {"step": step, "approvers": approvers})


def decide(client, case, approval, decision, note=""):
    return client.post(
        url(case, "approval_decide", approval.pk), {"decision": decision, "note": note}
    )


def back_to_approvals(response, case) -> None:
    assert response.status_code == 302
    assert response.url == f"{case.get_absolute_url()}#approvals"


# ---- the section -----------------------------------------------------------------------------


def test_the_section_shows_each_step_and_offers_the_team_the_next(login, case, deal_desk_agent):
    page = text(login(deal_desk_agent).get(case.get_absolute_url()))
    assert 'id="approvals"' in page
    assert f"{DIRECTOR_STEP} <span" in page
    assert f"{BILLING_STEP.replace('&', '&amp;')} <span" in page
    assert "Not asked for yet" in page
    assert "Approved by someone with the Sr Director Deal Desk approval role." in page
    assert f'action="{url(case, "approval_request")}"' in page
    assert page.count('name="step"') == 1  # only step 1 can be asked for now
    assert f"Can be asked for once {DIRECTOR_STEP} is approved." in page


def test_the_form_offers_only_people_holding_the_role(login, case, deal_desk_agent, sid, bill):
    page = text(login(deal_desk_agent).get(case.get_absolute_url()))
    assert '<option value="sid">Sid Director</option>' in page
    assert 'value="bill"' not in page


def test_nobody_to_choose_says_so(login, case, deal_desk_agent):
    page = text(login(deal_desk_agent).get(case.get_absolute_url()))
    assert "Nobody can approve this yet" in page


def test_the_requester_sees_the_steps_but_no_form_for_team_steps(login, case, rep, sid):
    page = text(login(rep).get(case.get_absolute_url()))
    assert DIRECTOR_STEP in page and "the team asks for it" in page
    assert 'name="approvers"' not in page


def test_the_requester_chooses_where_the_catalog_says_so(login, rep, opportunity):
    nina = approver("nina", "sales-leadership", "Nina", "Novak")
    comp = churn_comp(rep, opportunity, manager="nina")
    client = login(rep)
    assert '<option value="nina">Nina Novak</option>' in text(client.get(comp.get_absolute_url()))
    back_to_approvals(ask(client, comp, 1, "nina"), comp)
    assert Approval.objects.get(case=comp).approver == nina


def test_a_case_whose_type_needs_no_approvals_has_no_section(login, rep, opportunity):
    plain = quote_question_case(rep, opportunity)
    with CaptureQueriesContext(connection) as queries:
        page = text(login(rep).get(plain.get_absolute_url()))
    assert 'id="approvals"' not in page
    tables = ("cases_approval", "people_approvalrole")
    assert not [q for q in queries if any(t in q["sql"] for t in tables)]


def test_the_page_costs_the_same_queries_with_one_or_many_approvals(
    login, rep, opportunity, deal_desk_agent, sid, bill, django_assert_max_num_queries
):
    few = take_case(po_exception(rep, opportunity), agent=deal_desk_agent)
    many = take_case(po_exception(rep, opportunity), agent=deal_desk_agent)
    request_approval(few, actor=deal_desk_agent, step=1, approvers=["sid"])
    request_approval(many, actor=deal_desk_agent, step=1, approvers=["sid"])
    decide_approval(Approval.objects.get(case=many), actor=sid, approve=True)
    request_approval(many, actor=deal_desk_agent, step=2, approvers=["bill"])
    for user in (deal_desk_agent, sid):
        client = login(user)
        counts = []
        for page in (few, many):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(page.get_absolute_url()).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1], user
        with django_assert_max_num_queries(12 + 3):  # approvals, role names, eligible people
            client.get(many.get_absolute_url())


# ---- asking, approving, rejecting ------------------------------------------------------------


def test_the_agent_asks_and_the_approver_approves_from_the_notification(
    login, case, deal_desk_agent, sid, rep
):
    response = ask(login(deal_desk_agent), case, 1, "sid")
    back_to_approvals(response, case)
    assert flashed(response) == [f"Asked Sid Director for {DIRECTOR_STEP}."]
    notice = Notification.objects.get(user=sid, kind="approval.requested")
    assert notice.url == f"{case.get_absolute_url()}#approvals"
    approver_client = login(sid)
    page = text(approver_client.get(notice.url))  # a watcher now: the case opens for them
    approval = Approval.objects.get(case=case)
    decide_url = url(case, "approval_decide", approval.pk)
    assert f'action="{decide_url}"' in page
    assert 'value="approve"' in page and 'value="reject"' in page
    response = decide(approver_client, case, approval, "approve", "Fine this once")
    back_to_approvals(response, case)
    assert flashed(response) == [f"You approved {DIRECTOR_STEP}."]
    page = text(login(rep).get(case.get_absolute_url()))
    assert f"<strong>Dan Desk</strong> asked Sid Director for {DIRECTOR_STEP}" in page
    assert "added Sid Director as a watcher, to approve" in page
    assert f"<strong>Sid Director</strong> approved {DIRECTOR_STEP}" in page
    assert "Fine this once" in page
    assert Notification.objects.filter(user=rep, kind="approval.decided").exists()


def test_a_rejection_without_a_note_is_refused(login, case, asked, sid):
    client = login(sid)
    response = decide(client, case, asked, "reject")
    back_to_approvals(response, case)
    assert flashed(response) == ["Say why you reject it: the team and the requester read it."]
    assert Approval.objects.get().state == "pending"
    response = decide(client, case, asked, "reject", "The PO date is too far out.")
    assert flashed(response)[-1] == f"You rejected {DIRECTOR_STEP}."
    page = text(client.get(case.get_absolute_url()))
    assert f"<strong>Sid Director</strong> rejected {DIRECTOR_STEP}" in page
    assert "The PO date is too far out." in page


def test_an_unknown_decision_changes_nothing(login, case, asked, sid):
    response = decide(login(sid), case, asked, "maybe")
    assert flashed(response) == ["Choose approve or reject."]
    assert Approval.objects.get().state == "pending"


def test_after_a_rejection_the_agent_asks_again(login, case, asked, sid, deal_desk_agent):
    decide_approval(asked, actor=sid, approve=False, note="Wrong date")
    client = login(deal_desk_agent)
    page = text(client.get(case.get_absolute_url()))
    assert "Ask again — approver" in page
    back_to_approvals(ask(client, case, 1, "sid"), case)
    assert Approval.objects.get().state == "pending"


def test_the_feed_says_whom_a_new_approver_replaces(login, case, asked, sid, deal_desk_agent):
    approver("sue", "sr-director-deal-desk", "Sue", "Second")
    decide_approval(asked, actor=sid, approve=False, note="Ask Sue")
    ask(login(deal_desk_agent), case, 1, "sue")
    page = text(login(deal_desk_agent).get(case.get_absolute_url()))
    assert f"asked Sue Second for {DIRECTOR_STEP}" in page
    assert "Instead of Sid Director, who rejected it." in page


def test_errors_come_back_as_messages(login, case, deal_desk_agent, sid, bill):
    client = login(deal_desk_agent)
    response = ask(client, case, 2, "bill")
    assert flashed(response)[-1] == f"Ask for this once {DIRECTOR_STEP} is approved."
    response = ask(client, case, 1, "bill")
    assert "bill cannot approve" in flashed(response)[-1]
    response = ask(client, case, "x", "sid")
    assert flashed(response)[-1] == "This case has no such approval step."
    assert not Approval.objects.exists()


def test_the_forms_need_login_and_post(client, login, case, asked, sid):
    response = client.post(url(case, "approval_request"), {"step": 1, "approvers": "sid"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert login(sid).get(url(case, "approval_decide", asked.pk)).status_code == 405


def test_an_approval_of_another_case_is_not_found(login, rep, opportunity, asked, sid):
    other = po_exception(rep, opportunity)
    watch(other, sid)
    assert decide(login(sid), other, asked, "approve").status_code == 404


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
# What each persona gets: "ok" (done), "refused" (back with a message, nothing changed), 404.
ASK = {
    "requester": "refused",
    "watcher": "refused",
    "agent": "ok",
    "other_team": 404,
    "lead": "ok",
    "admin": "ok",
    "stranger": 404,
}
DECIDE = {
    "requester": "refused",
    "watcher": "refused",
    "agent": "refused",
    "other_team": 404,
    "lead": "refused",
    "admin": "refused",
    "stranger": 404,
    "approver": "ok",
}


def _outcome(response, before: int, after: int) -> str | int:
    if response.status_code == 404:
        assert after == before
        return 404
    assert response.status_code == 302
    return "ok" if after != before else "refused"


@pytest.mark.parametrize("persona", list(ASK))
def test_who_may_ask_for_a_step(request, login, case, watcher, sid, persona):
    watch(case, watcher)
    user = request.getfixturevalue(PERSONAS[persona])
    before = Case.objects.get(pk=case.pk).version
    response = ask(login(user), case, 1, "sid")
    outcome = _outcome(response, before, Case.objects.get(pk=case.pk).version)
    assert outcome == ASK[persona]
    assert Approval.objects.exists() == (outcome == "ok")
    if outcome == "refused":
        assert flashed(response)


@pytest.mark.parametrize("persona", list(DECIDE))
def test_who_may_decide(request, login, case, asked, watcher, persona):
    watch(case, watcher)
    user = request.getfixturevalue(PERSONAS[persona])
    before = Case.objects.get(pk=case.pk).version
    response = decide(login(user), case, asked, "approve")
    outcome = _outcome(response, before, Case.objects.get(pk=case.pk).version)
    assert outcome == DECIDE[persona]
    expected = "approved" if outcome == "ok" else "pending"
    assert Approval.objects.get().state == expected


# ---- closing over approvals ------------------------------------------------------------------


def test_the_agent_cannot_close_as_resolved_while_approvals_are_missing(
    login, case, asked, deal_desk_agent
):
    client = login(deal_desk_agent)
    form = text(client.get(url(case, "close")))
    assert f"Approvals not given: {DIRECTOR_STEP} (pending)" in form
    response = act(client, case, "close", {"resolution": "resolved", "note": "Booked"})
    assert response.status_code == 302
    assert "Ask a lead of the team" in flashed(response)[0]
    assert Case.objects.get(pk=case.pk).status == Status.WORK_IN_PROGRESS


def test_the_agent_may_close_it_as_not_possible(login, case, asked, deal_desk_agent):
    response = act(
        login(deal_desk_agent), case, "close", {"resolution": "not_possible", "note": "No PO"}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


def test_a_lead_overrides_with_a_reason_and_the_feed_says_so(login, case, asked, lead, rep):
    client = login(lead)
    data = {"resolution": "resolved", "note": "Booked"}
    response = act(client, case, "close", data)
    assert response.status_code == 200
    assert "Say why you close it anyway." in text(response)
    response = act(client, case, "close", data | {"override": "CFO approved by phone"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    assert case.events.filter(kind=CaseEvent.CLOSE_OVERRIDE, actor=lead).exists()
    page = text(login(rep).get(case.get_absolute_url()))
    assert "<strong>Lena Lead</strong> closed the case despite missing approvals" in page
    assert "Reason: CFO approved by phone" in page
    assert 'action="' + url(case, "approval_decide", asked.pk) not in page


# ---- the demo --------------------------------------------------------------------------------


def test_the_demo_has_a_case_waiting_for_an_approval(login):
    call_command("demo", stdout=StringIO())
    call_command("demo", stdout=StringIO())  # idempotent: asked once
    approval = Approval.objects.get(state="pending")
    assert (approval.approver.username, approval.step_name) == ("nina", "Leadership approval")
    page = text(login(approval.approver).get(approval.case.get_absolute_url()))
    assert f'action="{url(approval.case, "approval_decide", approval.pk)}"' in page


def test_the_admin_lists_approvals_and_roles_read_mostly(login, admin_user, case, asked):
    client = login(admin_user)
    assert client.get("/admin/cases/approval/").status_code == 200
    assert client.get(f"/admin/cases/approval/{asked.pk}/change/").status_code == 200
    assert client.get("/admin/cases/approval/add/").status_code == 403
    role = asked.approver.approval_roles.get()
    assert client.get(f"/admin/people/approvalrole/{role.pk}/change/").status_code == 200
    assert client.get("/admin/people/approvalrole/add/").status_code == 403
