"""Linked cases over the API: GET and POST /cases/{number}/children, `parent` on every case,
who sees linked cases, and closing a parent while its children are open."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from supportdesk.cases.actions import close_case, take_case
from supportdesk.cases.models import Case, CaseEvent, Resolution
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory, quote_question

pytestmark = pytest.mark.django_db

INVOICE_COPY = {
    "team": "Billing Team",  # an alias works as on POST /cases
    "request_type": "Invoice Copy Requests",
    "description": "The quote must match last year's invoice.",
    "details": {"invoice_number": "INV-9"},
}


@pytest.fixture
def case(rep, opportunity) -> Case:
    return quote_question(rep, opportunity)


@pytest.fixture
def dan(api_client, deal_desk_agent):
    return api_client(deal_desk_agent)


@pytest.fixture
def bea(api_client, billing_agent):
    return api_client(billing_agent)


def children(case: Case) -> str:
    return f"/api/v1/cases/{case.number}/children"


def ask(client: Any, case: Case, body: dict | None = None, **headers: str) -> Any:
    return client.post_json(children(case), INVOICE_COPY if body is None else body, **headers)


def test_an_agent_without_record_access_raises_a_child_case(dan, rep_api, case, opportunity):
    assert dan.get(f"/api/v1/records/{opportunity.external_id}").status_code == 404

    response = ask(dan, case)

    assert response.status_code == 201, response.content
    child = response.json()
    assert child["parent"] == case.number and child["record"] == opportunity.external_id
    assert child["team"] == "Billing" and child["requester"] == "dan"
    assert child["details"] == {"invoice_number": "INV-9"}
    listed = dan.get(children(case)).json()
    assert [c["number"] for c in listed] == [child["number"]]
    assert rep_api.get(f"/api/v1/cases/{case.number}").json()["parent"] is None
    events = rep_api.get(f"/api/v1/cases/{case.number}/events").json()["items"]
    linked = [e for e in events if e["kind"] == CaseEvent.LINKED]
    assert linked[0]["data"] == {"child": child["number"], "team": "Billing", "follow_up": False}


def test_the_idempotency_key_gives_one_child(dan, case):
    first = ask(dan, case, HTTP_IDEMPOTENCY_KEY="ask-1")
    again = ask(dan, case, HTTP_IDEMPOTENCY_KEY="ask-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    assert Case.objects.filter(parent=case).count() == 1


def test_every_error_comes_in_one_422_and_no_record_is_asked_for(dan, case):
    body = {"team": "Billing", "request_type": "Invoice Copy Requests", "priority": "Urgent"}
    response = ask(dan, case, body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"details.invoice_number", "description", "urgent_reason"}
    wrong = ask(dan, case, {**INVOICE_COPY, "team": "Nobody"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "team"
    assert not Case.objects.filter(parent=case).exists()


def test_strangers_and_other_teams_get_404(api_client, outsider, bea, case):
    for client in (api_client(outsider), bea):
        assert ask(client, case).status_code == 404
        assert client.get(children(case)).status_code == 404


def test_the_other_team_sees_the_parent_and_the_parents_team_the_child(
    dan, bea, api_client, outsider, case
):
    child = ask(dan, case).json()
    assert bea.get(f"/api/v1/cases/{case.number}").status_code == 200
    assert case.number in [c["number"] for c in bea.get("/api/v1/cases").json()["items"]]
    assert bea.get(children(case)).json()[0]["number"] == child["number"]
    colleague = UserFactory(username="carl")  # of Deal Desk, but not the asker
    MembershipFactory(user=colleague, team=team("Deal Desk"))
    assert api_client(colleague).get(f"/api/v1/cases/{child['number']}").status_code == 200
    stranger = api_client(outsider)
    for number in (case.number, child["number"]):
        assert stranger.get(f"/api/v1/cases/{number}").status_code == 404


def test_a_closed_parent_refuses_children_then_offers_the_requester_a_follow_up(
    dan, rep_api, case, deal_desk_agent
):
    take_case(case, agent=deal_desk_agent)
    close_case(case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    refused = ask(rep_api, case)
    assert refused.status_code == 403 and "reopen it instead" in refused.json()["detail"]

    long_ago = timezone.now() - dt.timedelta(days=settings.CASE_REOPEN_DAYS, hours=1)
    Case.objects.filter(pk=case.pk).update(closed_at=long_ago)
    assert ask(dan, case).status_code == 403  # only the requester follows up
    late = rep_api.post_json(f"/api/v1/cases/{case.number}/reopen", {"reason": "Still wrong"})
    assert late.status_code == 403 and "Request a follow-up" in late.json()["detail"]
    follow_up = ask(rep_api, case)
    assert follow_up.status_code == 201 and follow_up.json()["parent"] == case.number


def test_closing_a_parent_with_an_open_child_needs_an_override(dan, case, deal_desk_agent):
    ask(dan, case)
    close = f"/api/v1/cases/{case.number}/close"
    body = {"resolution": "answered", "note": "Done"}
    refused = dan.post_json(close, body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "override"
    closed = dan.post_json(close, body | {"override": "Billing carries on"})
    assert closed.status_code == 200 and closed.json()["status"] == "Closed"
    override = case.events.get(kind=CaseEvent.CLOSE_OVERRIDE)
    assert override.data["blockers"] == ["children"]
