"""The Operations dashboard: admins compare every team, follow trends and find request types
to fix in the catalog — all from the rollups."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from supportdesk.cases import actions
from supportdesk.catalog.models import RequestType
from supportdesk.catalog.queries import resolve_choice
from supportdesk.reports.dashboards import catalog_use
from supportdesk.reports.rollups import verify
from tests.conftest import team
from tests.factories import MembershipFactory, TeamFactory, UserFactory, quote_question
from tests.web.conftest import make_case, request_type

pytestmark = pytest.mark.django_db
URL = "/reports/operations/"
API = "/api/v1/reports/operations"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(client: Client, url: str) -> int:
    """How many cases the Cases tab lists at `url`."""
    return len(set(re.findall(r">(\d{8})</a>", client.get(url).content.decode())))


@pytest.fixture
def work(rep, opportunity, deal_desk_agent):
    """Deal Desk: 5 Quote Help cases raised (one asked for information, two closed and rated
    5 and 3) and one moved in from Sales Operations; Billing: 2 Internal Support, one closed."""
    cases = [quote_question(rep, opportunity) for _ in range(5)]
    for case in cases:
        actions.take_case(case, agent=deal_desk_agent)
    actions.ask_requester(cases[0], agent=deal_desk_agent, question="Which quote?")
    actions.add_comment(cases[0], author=rep, body="Q-1")
    for case, score in ((cases[1], 5), (cases[2], 3)):
        actions.close_case(case, actor=deal_desk_agent, resolution="answered", note="Done")
        actions.rate_case(case, requester=rep, score=score)
    moved = make_case(rep, opportunity, team_name="Sales Operations")
    quote = resolve_choice(
        "opportunity", team="Deal Desk", request_type="Quote Help", sub_request="Quote Question"
    )
    sales_ops_agent = UserFactory(username="bo")
    MembershipFactory(user=sales_ops_agent, team=team("Sales Operations"))
    actions.move_case(
        moved,
        agent=sales_ops_agent,
        request_type=quote.request_type,
        sub_request=quote.sub_request,
        reason="Quote question",
    )
    billing = [billing_case(rep, opportunity) for _ in range(2)]
    billing_lead = UserFactory(username="bill")
    MembershipFactory(user=billing_lead, team=team("Billing"))
    actions.take_case(billing[0], agent=billing_lead)
    actions.close_case(billing[0], actor=billing_lead, resolution="resolved", note="Done")
    assert verify() == []
    return {"cases": cases, "moved": moved, "billing": billing}


def billing_case(rep, opportunity):
    return make_case(rep, opportunity, request_type=request_type("Billing", "Internal Support"))


def dashboard(user, **params) -> dict:
    response = client_for(user).get(API, params)
    assert response.status_code == 200, response.content
    return response.json()


def figures(data: dict) -> dict[str, object]:
    return {f["key"]: f["value"] for f in data["figures"]}


def charts(data: dict) -> dict[str, dict]:
    return {c["key"]: c for c in data["charts"]}


def series(chart: dict) -> dict[str, dict]:
    return {s["key"]: s for s in chart["series"]}


def test_the_figures_are_all_teams_together(admin_user, work):
    shown = figures(dashboard(admin_user))

    assert shown["in"] == 8 and shown["out"] == 3 and shown["backlog"] == 5
    assert shown["moved_rate"] == round(100 / 8, 1)
    # asked once, and the moved case lacked the quote link its new type needs
    assert shown["info_rate"] == round(200 / 8, 1)
    assert shown["duplicate_rate"] == 0.0
    assert shown["satisfaction"] == 4.0
    assert shown["frt_p50"] is not None and shown["resolution_p50"] is not None


def test_teams_side_by_side(admin_user, work):
    teams = charts(dashboard(admin_user))["teams"]
    row = {name: i for i, name in enumerate(teams["categories"])}
    values = {key: s["values"] for key, s in series(teams).items()}

    assert {"Deal Desk", "Billing", "Sales Operations"} <= set(row)
    desk, billing, sales_ops = row["Deal Desk"], row["Billing"], row["Sales Operations"]
    assert [values["in"][desk], values["out"][desk], values["backlog"][desk]] == [6, 2, 4]
    assert [values["in"][billing], values["out"][billing], values["backlog"][billing]] == [2, 1, 1]
    assert values["in"][sales_ops] == 0  # its case counts under the team it was moved to
    # …but as raised with Sales Operations, and moved out of it
    assert values["moved_rate"][sales_ops] == 100.0 and values["moved_rate"][desk] == 0.0
    assert values["info_rate"][desk] == round(200 / 6, 1)
    assert values["satisfaction"][desk] == 4.0 and values["satisfaction"][billing] is None
    assert values["sla_met"][desk] == 100.0


def test_every_team_count_links_to_exactly_its_cases(admin_user, work):
    client = client_for(admin_user)
    teams = charts(dashboard(admin_user))["teams"]
    checked = 0
    for key in ("in", "out", "backlog"):
        s = series(teams)[key]
        for value, url in zip(s["values"], s["urls"], strict=True):
            if value:
                assert listed(client, url) == value, (key, url)
                checked += 1
    assert checked == 6
    links = {f["key"]: (f["value"], f["url"]) for f in dashboard(admin_user)["figures"]}
    for key in ("in", "out", "backlog"):
        value, url = links[key]
        assert listed(client, url) == value, key


def test_trends_per_week_and_per_team(admin_user, work):
    found = charts(dashboard(admin_user))
    flow = series(found["flow_trend"])
    assert sum(flow["in"]["values"]) == 8 and sum(flow["out"]["values"]) == 3
    client = client_for(admin_user)
    for s in flow.values():
        for value, url in zip(s["values"], s["urls"], strict=True):
            if value:
                assert listed(client, url) == value
    sla = series(found["sla_trend"])
    assert found["sla_trend"]["kind"] == "line"
    assert {"all", "deal-desk", "billing"} <= set(sla)
    assert 100.0 in sla["deal-desk"]["values"]
    assert [v for v in series(found["frt_trend"])["all"]["values"] if v is not None]


def test_long_ranges_are_shown_per_month(admin_user, work):
    data = dashboard(admin_user, range="custom", **{"from": "2026-01-01", "to": "2026-12-31"})
    flow = charts(data)["flow_trend"]
    assert flow["title"] == "Cases in and out per month"
    assert flow["categories"][0] == "Jan 2026" and len(flow["categories"]) == 12


def test_catalog_analytics(admin_user, work):
    data = dashboard(admin_user)
    found = charts(data)
    moved = found["most_moved"]
    assert moved["categories"] == []  # Sales Operations · Other: one case raised, too few
    info = found["most_info_needed"]
    assert info["categories"] == ["Deal Desk · Quote Help"]
    assert series(info)["count"]["values"] == [2]
    raised = series(info)["in"]
    assert listed(client_for(admin_user), raised["urls"][0]) == raised["values"][0] == 6
    assert "at least 5 cases" in moved["note"]

    never = {t["key"]: t for t in data["tables"]}["never_used"]
    assert never["columns"] == ["Team", "Request type", "Raised on"]
    unused = {(row[0]["value"], row[1]["value"]) for row in never["rows"]}
    active = RequestType.objects.filter(is_active=True)
    used = {("Deal Desk", "Quote Help"), ("Billing", "Internal Support")}
    assert not unused & used
    on = {(row[0]["value"], row[1]["value"], row[2]["value"]) for row in never["rows"]}
    assert ("Sales Operations", "Other", "Opportunity") not in on  # raised, then moved away
    raised = [
        active.get(team__name=team_name, name=name, kind="opportunity")
        for team_name, name in [*used, ("Sales Operations", "Other")]
    ]
    assert len(never["rows"]) == active.count() - len(raised)


def test_the_types_cases_are_moved_away_from_rank_first(admin_user, work, monkeypatch):
    monkeypatch.setattr(catalog_use, "MIN_CASES", 1)
    moved = charts(dashboard(admin_user))["most_moved"]
    assert moved["categories"] == ["Sales Operations · Other"]
    assert series(moved)["rate"]["values"] == [100.0]
    assert series(moved)["count"]["values"] == [1] and series(moved)["in"]["values"] == [1]
    # No list holds "the cases first raised as Other": that count links nowhere.
    assert series(moved)["in"]["urls"] == [""]
    assert "first raised with" in moved["note"]


def test_filters_apply(admin_user, work):
    billing = dashboard(admin_user, team="billing")
    assert figures(billing)["in"] == 2 and figures(billing)["backlog"] == 1
    assert charts(billing)["teams"]["categories"] == ["Billing"]
    assert {t["key"]: t for t in billing["tables"]}["never_used"]["rows"]
    assert all(r[0]["value"] == "Billing" for r in billing["tables"][0]["rows"])
    quotes = dashboard(admin_user, request_type="Quote Help")
    assert figures(quotes)["in"] == 6 and figures(quotes)["out"] == 2
    assert figures(dashboard(admin_user, priority="urgent"))["in"] == 0
    url = {f["key"]: f["url"] for f in billing["figures"]}["in"]
    assert "team=billing" in url
    assert listed(client_for(admin_user), url) == 2


def test_only_admins_open_it(rep, deal_desk_agent, lead, admin_user):
    for user in (rep, deal_desk_agent, lead):
        client = client_for(user)
        assert client.get(URL).status_code == 404
        assert client.get(API).status_code == 404
        assert "Operations" not in client.get("/reports/").content.decode()
    page = client_for(admin_user).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Teams side by side" in text and "Request types never used" in text


def test_csv_and_api_say_the_same(admin_user, work):
    client = client_for(admin_user)
    data = dashboard(admin_user)
    whole = client.get(URL, {"format": "csv"})
    assert whole["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(whole.content.decode())))
    assert rows[:2] == [["Operations"], ["Figure", "Value", "Unit"]]
    by_label = {r[0]: r[1] for r in rows[2 : rows.index([])]}
    for figure in data["figures"]:
        value = figure["value"]
        expected = (
            "" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))
        )
        assert by_label[figure["label"]] == expected
    assert ["Request types never used"] in rows

    teams = charts(data)["teams"]
    part = list(
        csv.reader(
            io.StringIO(client.get(URL, {"format": "csv", "chart": "teams"}).content.decode())
        )
    )
    assert part[0] == ["Teams side by side", *(s["label"] for s in teams["series"])]
    assert [r[0] for r in part[1:]] == teams["categories"]
    in_column = [int(r[1]) for r in part[1:]]
    assert in_column == series(teams)["in"]["values"]

    never = data["tables"][0]
    table = list(
        csv.reader(
            io.StringIO(client.get(URL, {"format": "csv", "chart": "never_used"}).content.decode())
        )
    )
    assert table[1] == never["columns"]
    assert table[2:] == [[c["value"] for c in row] for row in never["rows"]]
    assert client.get(URL, {"format": "csv", "chart": "nope"}).status_code == 404


def test_the_page_reads_the_rollups_not_the_cases(
    admin_user, work, rep, opportunity, django_assert_max_num_queries
):
    client = client_for(admin_user)
    client.get(URL)
    with django_assert_max_num_queries(20) as few:
        client.get(URL)
    TeamFactory(name="Partner Operations")
    for _ in range(5):
        quote_question(rep, opportunity)
        billing_case(rep, opportunity)
        make_case(rep, opportunity, team_name="Sales Operations")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(URL)
    assert page.status_code == 200
