"""The Team dashboard: leads see their team's flow and quality, from the rollups."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from supportdesk.cases import actions
from supportdesk.cases.merge import merge_case
from supportdesk.cases.priority import change_priority
from supportdesk.catalog.queries import resolve_choice
from supportdesk.people.models import Membership
from supportdesk.reports.rollups import verify
from tests.conftest import team
from tests.factories import MembershipFactory, RecordFactory, UserFactory, quote_question
from tests.web.conftest import make_case

pytestmark = pytest.mark.django_db
URL = "/reports/team/"
API = "/api/v1/reports/team"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def work(rep, opportunity, deal_desk_agent, lead):
    """Deal Desk's period: 5 raised (one urgent, downgraded; one asked for information; one
    merged as a duplicate), 3 closed (rated 5 and 3), one moved in from Sales Operations."""
    cases = [quote_question(rep, opportunity) for _ in range(3)]
    urgent = quote_question(rep, opportunity, priority="urgent", urgent_reason="Signing today")
    for case in [*cases, urgent]:
        actions.take_case(case, agent=deal_desk_agent)
    actions.ask_requester(cases[0], agent=deal_desk_agent, question="Which quote?")
    actions.add_comment(cases[0], author=rep, body="Q-1")
    change_priority(urgent, agent=deal_desk_agent, priority="high", reason="Not urgent")
    actions.close_case(cases[1], actor=deal_desk_agent, resolution="answered", note="Done")
    actions.rate_case(cases[1], requester=rep, score=5)
    actions.close_case(cases[2], actor=deal_desk_agent, resolution="resolved", note="Done")
    actions.rate_case(cases[2], requester=rep, score=3)
    duplicate = quote_question(rep, opportunity)
    merge_case(duplicate, into=cases[0], agent=deal_desk_agent, reason="Same ask")
    moved = make_case(rep, opportunity, team_name="Sales Operations")
    quote = resolve_choice(
        "opportunity", team="Deal Desk", request_type="Quote Help", sub_request="Quote Question"
    )
    billing_agent = UserFactory(username="bo")
    MembershipFactory(user=billing_agent, team=team("Sales Operations"))
    actions.move_case(
        moved,
        agent=billing_agent,
        request_type=quote.request_type,
        sub_request=quote.sub_request,
        reason="Quote question",
    )
    assert verify() == []
    return {"cases": cases, "urgent": urgent, "duplicate": duplicate, "moved": moved}


def figures(user, **params) -> dict[str, object]:
    data = client_for(user).get(API, params).json()
    return {f["key"]: f["value"] for f in data["figures"]}


def test_a_lead_sees_the_flow_and_the_quality_of_their_team(lead, work):
    shown = figures(lead)

    assert shown["in"] == 6 and shown["out"] == 3
    assert shown["backlog"] == 3
    assert shown["moved_rate"] == 0.0  # the moved case came in from Sales Operations
    # asked once, and the moved case lacked the quote link its new type needs
    assert shown["info_rate"] == round(200 / 6, 1)
    assert shown["urgent_rate"] == round(100 / 6, 1)
    assert shown["downgrade_rate"] == 100.0
    assert shown["duplicate_rate"] == round(100 / 3, 1)
    assert shown["satisfaction"] == 4.0
    assert shown["sla_compliance"] == 100.0
    assert shown["frt_p50"] is not None and shown["resolution_p50"] is not None


def test_each_rate_links_to_exactly_the_cases_it_counts(lead, work):
    client = client_for(lead)
    data = client.get(API).json()
    links = {f["key"]: f["url"] for f in data["figures"]}
    # needed information 2, marked urgent 1 (since downgraded), duplicates 1
    for key, expected in (
        ("info_rate", 2),
        ("urgent_rate", 1),
        ("downgrade_rate", 1),
        ("duplicate_rate", 1),
    ):
        listed = set(re.findall(r">(\d{8})</a>", client.get(links[key]).content.decode()))
        assert len(listed) == expected, key


def test_the_moved_rate_counts_cases_where_they_were_first_raised(admin_user, work):
    shown = figures(admin_user, team=team("Sales Operations").slug)
    assert shown["in"] == 0 and shown["moved_rate"] == 100.0


def test_in_and_out_link_to_exactly_those_cases(lead, work):
    client = client_for(lead)
    data = client.get(API).json()
    links = {f["key"]: f["url"] for f in data["figures"]}
    for key, expected in (("in", 6), ("out", 3), ("backlog", 3)):
        listed = set(re.findall(r">(\d{8})</a>", client.get(links[key]).content.decode()))
        assert len(listed) == expected, key


def test_the_request_type_table_and_the_charts(lead, work):
    data = client_for(lead).get(API).json()
    charts = {c["key"]: c for c in data["charts"]}
    by_type = charts["by_request_type"]
    assert by_type["categories"] == ["Quote Help"]
    assert by_type["series"][0]["values"] == [6]
    assert charts["satisfaction"]["series"][0]["values"] == [0, 0, 1, 0, 1]
    in_out = charts["in_out_per_week"]
    assert sum(in_out["series"][0]["values"]) == 6 and sum(in_out["series"][1]["values"]) == 3
    assert charts["top_records"]["series"][0]["values"] == [6]
    client = client_for(lead)
    listed = client.get(charts["top_records"]["series"][0]["urls"][0]).content.decode()
    assert len(set(re.findall(r">(\d{8})</a>", listed))) == 6
    by_sub = charts["by_sub_request"]
    assert by_sub["categories"] == ["Quote Help › Quote Question"]
    assert by_sub["series"][0]["values"] == [6]
    listed = client.get(by_sub["series"][0]["urls"][0]).content.decode()
    assert len(set(re.findall(r">(\d{8})</a>", listed))) == 6


def test_the_busiest_accounts_add_up_their_records(lead, rep, deal_desk_agent):
    account = RecordFactory(kind="customer_account", name="Acme Corp", external_id="001ACME")
    opportunities = [
        RecordFactory(owner=rep, account=account, external_id=f"006ACME{i}") for i in range(2)
    ]
    other = RecordFactory(owner=rep, name="Other deal", external_id="006OTHER")
    for record in [*opportunities, opportunities[0], other]:
        quote_question(rep, record)
    charts = {c["key"]: c for c in client_for(lead).get(API).json()["charts"]}
    accounts = charts["top_accounts"]
    assert accounts["categories"] == ["Acme Corp"]
    assert accounts["series"][0]["values"] == [3]
    listed = client_for(lead).get(accounts["series"][0]["urls"][0]).content.decode()
    assert len(set(re.findall(r">(\d{8})</a>", listed))) == 3
    assert charts["top_records"]["series"][0]["values"] == [2, 1, 1]


def test_only_leads_of_the_team_and_admins_open_it(
    rep, deal_desk_agent, lead, admin_user, billing_agent
):
    assert client_for(rep).get(URL).status_code == 404
    assert client_for(deal_desk_agent).get(URL).status_code == 404
    assert client_for(lead).get(URL, {"team": "billing"}).status_code == 404
    admin = client_for(admin_user).get(URL, {"team": "billing"})
    assert admin.status_code == 200 and "Team: Billing" in admin.content.decode()


def test_a_lead_of_two_teams_switches_between_them(lead, work):
    MembershipFactory(user=lead, team=team("Billing"), role=Membership.Role.LEAD)
    client = client_for(lead)
    assert "Team: Billing" in client.get(URL, {"team": "billing"}).content.decode()
    assert figures(lead, team="billing")["in"] == 0


def test_the_page_reads_the_rollups_not_the_cases(
    lead, work, rep, opportunity, django_assert_max_num_queries
):
    client = client_for(lead)
    client.get(URL)
    with django_assert_max_num_queries(20) as few:
        client.get(URL)
    for _ in range(10):
        quote_question(rep, opportunity)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(URL)
    assert page.status_code == 200
