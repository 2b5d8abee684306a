"""Bulk actions from a list: each case through its own service and checks, with a result
per case of what was done and what was refused, and why (page and API)."""

from __future__ import annotations

import pytest

from supportdesk.cases.models import Case, Status
from supportdesk.lists.bulk import BulkAction, BulkRequest, bulk_act
from tests.conftest import team
from tests.lists.conftest import a_case

pytestmark = pytest.mark.django_db

BULK = "/cases/bulk/"


@pytest.fixture
def queue(rep, opportunity):
    """Three Deal Desk cases in the queue."""
    return [a_case(rep, opportunity) for _ in range(3)]


def status_of(case: Case) -> str:
    case.refresh_from_db()
    return case.status


def outcomes(response) -> list[tuple[str, str, str]]:
    """(number, Done/Refused, message) per row of the result page."""
    import re

    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    cells = re.findall(
        r'<tr class="bulk-\w+">\s*<td>(?:<a href="[^"]+">)?(\d+)(?:</a>)?</td>\s*'
        r"<td>(Done|Refused)</td>\s*<td>([^<]*)</td>",
        body,
    )
    return [(n, r, m.replace("&#x27;", "'").replace("&quot;", '"')) for n, r, m in cells]


def test_an_agent_takes_several_cases_and_sees_each_result(
    login, rep, deal_desk_agent, dee, queue, billing_agent
):
    from supportdesk.cases.actions import take_case

    take_case(queue[1], agent=dee)
    billing = a_case(rep, queue[0].record, team=team("Billing"))  # not dan's to see
    numbers = [queue[0].number, queue[1].number, billing.number, "99999999", queue[2].number]
    response = login(deal_desk_agent).post(BULK, {"action": "take", "case": numbers})
    got = outcomes(response)
    assert [(n, r) for n, r, _ in got] == [
        (queue[0].number, "Done"),
        (queue[1].number, "Refused"),
        (billing.number, "Refused"),
        ("99999999", "Refused"),
        (queue[2].number, "Done"),
    ]
    assert "already taken by Dee Desk" in got[1][2]
    assert got[2][2] == got[3][2] == "No such case, or you cannot see it."
    assert "3 cases done, 2 refused" not in response.content.decode()  # 2 done, 3 refused
    assert "2 cases done, 3 refused." in response.content.decode()
    assert status_of(queue[0]) == status_of(queue[2]) == Status.WORK_IN_PROGRESS
    assert Case.objects.get(pk=queue[0].pk).owner == deal_desk_agent


def test_a_requester_is_refused_case_by_case(login, rep, queue):
    got = outcomes(login(rep).post(BULK, {"action": "take", "case": [c.number for c in queue]}))
    assert {r for _, r, _ in got} == {"Refused"}
    assert all(status_of(c) == Status.NEW for c in queue)


def test_assign_hold_resume_and_close_in_bulk(login, deal_desk_agent, dee, queue):
    client = login(deal_desk_agent)
    numbers = [c.number for c in queue]
    got = outcomes(client.post(BULK, {"action": "assign", "assignee": "dee", "case": numbers}))
    assert [r for _, r, m in got] == ["Done"] * 3 and got[0][2] == "Assigned to Dee Desk."
    # Only a lead reassigns someone else's case; dan is an agent.
    got = outcomes(
        client.post(BULK, {"action": "hold", "note": "Waiting on finance", "case": numbers})
    )
    assert {r for _, r, _ in got} == {"Done"}
    assert all(status_of(c) == Status.ON_HOLD for c in queue)
    got = outcomes(client.post(BULK, {"action": "resume", "case": numbers[:2]}))
    assert {r for _, r, _ in got} == {"Done"}
    got = outcomes(
        client.post(
            BULK,
            {"action": "close", "resolution": "resolved", "note": "Done in bulk", "case": numbers},
        )
    )
    assert {r for _, r, _ in got} == {"Done"}
    assert all(status_of(c) == Status.CLOSED for c in queue)
    got = outcomes(client.post(BULK, {"action": "resume", "case": numbers[:1]}))
    assert got[0][1] == "Refused" and "closed" in got[0][2]


def test_what_every_case_needs_is_asked_once(login, deal_desk_agent, queue):
    client = login(deal_desk_agent)
    response = client.post(
        BULK, {"action": "assign", "case": [queue[0].number], "next": "/cases/?view=team-queue"}
    )
    assert response.status_code == 302 and response["Location"] == "/cases/?view=team-queue"
    page = client.get(response["Location"]).content.decode()
    assert "Name the user to assign the cases to." in page
    response = client.post(BULK, {"action": "take", "next": "https://evil.example/"})
    assert response["Location"] == "/cases/"
    assert status_of(queue[0]) == Status.NEW


def test_a_move_asks_where_to_then_moves_each_case(login, deal_desk_agent, queue):
    client = login(deal_desk_agent)
    numbers = [c.number for c in queue[:2]]
    step = client.post(BULK, {"action": "move", "case": numbers, "note": "Billing's"})
    page = step.content.decode()
    assert "Move 2 cases to another team" in page and "Invoice Copy Requests" in page
    target = page.split('">Invoice Copy Requests')[0].rsplit('value="', 1)[1]
    got = outcomes(
        client.post(
            BULK, {"action": "move", "case": numbers, "target": target, "note": "Billing's"}
        )
    )
    assert [r for _, r, _ in got] == ["Done", "Done"]
    assert got[0][2] == "Moved to the Billing queue."
    assert {Case.objects.get(pk=c.pk).team.name for c in queue[:2]} == {"Billing"}


def test_the_list_page_offers_bulk_actions_to_agents_only(login, rep, deal_desk_agent, queue):
    agent_page = login(deal_desk_agent).get("/cases/?view=team-queue").content.decode()
    assert f'name="case" value="{queue[0].number}" form="bulk-form"' in agent_page
    assert 'id="bulk-form"' in agent_page
    rep_page = login(rep).get("/cases/?view=my-requests").content.decode()
    assert 'id="bulk-form"' not in rep_page and 'form="bulk-form"' not in rep_page


def test_each_case_runs_in_its_own_transaction(deal_desk_agent, queue):
    Case.objects.update(status=Status.WORK_IN_PROGRESS, owner=deal_desk_agent)
    Case.objects.filter(pk=queue[1].pk).update(status=Status.CLOSED)
    results = bulk_act(
        deal_desk_agent,
        [c.number for c in queue],
        BulkRequest(BulkAction.HOLD, note="later"),
    )
    assert [o.done for o in results] == [True, False, True]
    assert [status_of(c) for c in queue] == [Status.ON_HOLD, Status.CLOSED, Status.ON_HOLD]


# ---- API -----------------------------------------------------------------------------------


def test_the_api_acts_in_bulk_with_results_per_case(api, rep, deal_desk_agent, queue):
    body = {"cases": [queue[0].number, "12", queue[0].number], "action": "take"}
    response = api(deal_desk_agent).post(
        "/api/v1/cases/bulk", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["done"], data["refused"]) == (1, 1)
    assert data["results"][0] == {
        "number": queue[0].number,
        "done": True,
        "message": "Taken: you own it now.",
        "status": "work_in_progress",
    }
    assert data["results"][1]["number"] == "12" and not data["results"][1]["done"]


def test_the_api_moves_by_names(api, deal_desk_agent, queue):
    body = {
        "cases": [queue[0].number],
        "action": "move",
        "team": "Billing",
        "request_type": "Invoice Copy Requests",
        "note": "An invoice",
    }
    data = api(deal_desk_agent).post("/api/v1/cases/bulk", body, content_type="application/json")
    assert data.json()["results"][0]["done"], data.json()
    body |= {"cases": [queue[1].number], "request_type": "Nope"}
    data = api(deal_desk_agent).post("/api/v1/cases/bulk", body, content_type="application/json")
    result = data.json()["results"][0]
    assert not result["done"] and "Nope" in result["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cases": ["1"], "action": "explode"}, "action"),
        ({"cases": [], "action": "take"}, "cases"),
        ({"cases": ["1"], "action": "close", "note": "x"}, "resolution"),
        ({"cases": [str(n) for n in range(201)], "action": "take"}, "cases"),
    ],
)
def test_the_api_refuses_a_wrong_request_as_a_whole(api, deal_desk_agent, body, field):
    response = api(deal_desk_agent).post(
        "/api/v1/cases/bulk", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert field in {e["field"].split(".")[-1] for e in response.json()["errors"]}
