"""The built-in views of the Cases tab, as requesters and agents see them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportdesk.cases.models import SlaStage, Status
from tests.lists.conftest import a_case, days_ago, numbers

pytestmark = pytest.mark.django_db

TAB = reverse("cases:mine")


def view(client, slug: str, **params: str):
    return client.get(TAB, {"view": slug, **params})


def test_requesters_start_on_my_requests_with_waiting_on_me_pinned(login, rep, opportunity):
    older = a_case(rep, opportunity, updated_at=days_ago(3))
    waiting = a_case(rep, opportunity, status=Status.PENDING_RESPONSE, updated_at=days_ago(9))
    newer = a_case(rep, opportunity, updated_at=days_ago(1))
    client = login(rep)
    response = client.get(TAB)
    page = response.content.decode()
    assert numbers(response) == [waiting.number, newer.number, older.number]
    assert "<h1>My Requests" in page and '<option value="my-requests" selected>' in page
    assert numbers(client.get("/")) == numbers(response)  # the home page is the Cases tab


def test_my_requests_spans_every_team_and_nothing_else(login, rep, other_rep, shared_edit):
    opportunity = shared_edit.record
    mine = [a_case(rep, opportunity), a_case(rep, opportunity, team_name="Sales Operations")]
    theirs = a_case(other_rep, opportunity)  # rep sees it (owns the record) but did not ask
    shown = numbers(view(login(rep), "my-requests"))
    assert set(shown) == {c.number for c in mine} and theirs.number not in shown


def test_agents_start_on_my_open_cases(login, rep, deal_desk_agent, opportunity):
    open_one = a_case(rep, opportunity, owner=deal_desk_agent, status=Status.WORK_IN_PROGRESS)
    a_case(rep, opportunity, owner=deal_desk_agent, status=Status.CLOSED)
    a_case(rep, opportunity)  # in the queue
    response = login(deal_desk_agent).get(TAB)
    assert "<h1>My Open Cases" in response.content.decode()
    assert numbers(response) == [open_one.number]


def test_the_team_queue_is_unowned_open_cases_breached_then_at_risk_then_priority_and_due(
    login, rep, deal_desk_agent, opportunity
):
    soon, later = days_ago(-0.1), days_ago(-1)
    medium = a_case(rep, opportunity, sla_due=soon)
    urgent_due_later = a_case(rep, opportunity, priority="urgent", sla_due=later)
    urgent_due_soon = a_case(rep, opportunity, priority="urgent", sla_due=soon)
    at_risk = a_case(rep, opportunity, sla_stage=SlaStage.AT_RISK, sla_due=later)
    breached_low = a_case(rep, opportunity, priority="low", sla_stage=SlaStage.BREACHED)
    a_case(rep, opportunity, owner=deal_desk_agent)  # taken
    a_case(rep, opportunity, status=Status.CLOSED)  # closed
    a_case(rep, opportunity, team_name="Sales Operations")  # another team's
    response = view(login(deal_desk_agent), "team-queue")
    assert numbers(response) == [
        c.number for c in (breached_low, at_risk, urgent_due_soon, urgent_due_later, medium)
    ]
    page = response.content.decode()
    assert 'sla-badge--breached">Breached</span>' in page
    assert 'sla-badge--at-risk">At risk</span>' in page


def test_lists_filter_on_the_sla_state(login, rep, deal_desk_agent, opportunity):
    a_case(rep, opportunity)
    breached = a_case(rep, opportunity, sla_stage=SlaStage.BREACHED)
    at_risk = a_case(rep, opportunity, sla_stage=SlaStage.AT_RISK)
    client = login(deal_desk_agent)
    assert numbers(client.get(TAB, {"view": "all-open", "sla": "breached"})) == [breached.number]
    both = numbers(client.get(TAB, {"view": "all-open", "sla": "breached,at_risk"}))
    assert sorted(both) == sorted([breached.number, at_risk.number])
    wrong = client.get(TAB, {"view": "all-open", "sla": "late"}).content.decode()
    assert "“late” is not an SLA state; choose from on_track, at_risk, breached" in wrong


def test_requesters_are_not_offered_the_agents_views(login, rep, deal_desk_agent):
    page = login(rep).get(TAB).content.decode()
    assert 'value="team-queue"' not in page and 'value="all-open"' not in page
    assert 'value="recent"' in page and 'value="created-by-me"' in page
    agents_page = login(deal_desk_agent).get(TAB).content.decode()
    assert 'value="team-queue"' in agents_page and 'value="all-open"' in agents_page


def test_all_open_cases_for_an_agent_are_the_open_cases_they_can_see(
    login, rep, deal_desk_agent, opportunity
):
    seen = a_case(rep, opportunity)
    a_case(rep, opportunity, status=Status.CLOSED)
    a_case(rep, opportunity, team_name="Sales Operations")  # not visible to Deal Desk
    assert numbers(view(login(deal_desk_agent), "all-open")) == [seen.number]


def test_recently_viewed_lists_what_i_opened_last_first(login, rep, opportunity):
    first, second, never = (a_case(rep, opportunity) for _ in range(3))
    client = login(rep)
    client.get(first.get_absolute_url())
    client.get(second.get_absolute_url())
    assert numbers(view(client, "recent")) == [second.number, first.number]
    client.get(first.get_absolute_url())  # opened again: moves to the top, no duplicate
    assert numbers(view(client, "recent")) == [first.number, second.number]
    assert never.number not in numbers(view(client, "recent"))


def test_recently_viewed_is_per_user(login, rep, deal_desk_agent, opportunity):
    case = a_case(rep, opportunity)
    login(deal_desk_agent).get(case.get_absolute_url())
    assert numbers(view(login(rep), "recent")) == []


def test_recently_closed_is_the_last_30_days_last_closed_first(login, rep, opportunity):
    earlier = a_case(rep, opportunity, status=Status.CLOSED, closed_at=days_ago(10))
    later = a_case(rep, opportunity, status=Status.CLOSED, closed_at=days_ago(1))
    a_case(rep, opportunity, status=Status.CLOSED, closed_at=days_ago(45))
    a_case(rep, opportunity)
    assert numbers(view(login(rep), "recently-closed")) == [later.number, earlier.number]


def test_cases_i_created(login, rep, opportunity):
    cases = [a_case(rep, opportunity, created_at=days_ago(d)) for d in (3, 1, 2)]
    assert numbers(view(login(rep), "created-by-me")) == [cases[i].number for i in (1, 2, 0)]


def test_an_unknown_view_is_not_found(login, rep):
    assert view(login(rep), "nope").status_code == 404
    assert view(login(rep), "12345").status_code == 404


def test_the_tab_needs_a_login(client):
    response = client.get(TAB)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_nav_names_the_cases_tab(login, rep):
    page = login(rep).get(TAB).content.decode()
    assert '<a href="/cases/" aria-current="page">Cases</a>' in page
