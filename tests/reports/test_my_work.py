"""The "My work" dashboard: an agent's own cases by status and age, SLA trouble, what they
closed; every number links to exactly its cases; CSV and API give the same numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.utils import timezone

from supportdesk.cases import actions
from supportdesk.cases.models import Case, SlaStage
from tests.factories import quote_question

pytestmark = pytest.mark.django_db
URL = "/reports/my-work/"
API = "/api/v1/reports/my-work"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def days_ago(days: int) -> dt.datetime:
    """Noon of the local day `days` before today."""
    day = timezone.localdate() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def backdate(case: Case, **fields) -> None:
    Case.objects.filter(pk=case.pk).update(**fields)


@pytest.fixture
def work_of_dan(rep, opportunity, deal_desk_agent, billing_agent):
    """Dan's cases: four open (of three statuses and four ages), two closed."""

    def taken(**fields) -> Case:
        case = quote_question(rep, opportunity)
        actions.take_case(case, agent=deal_desk_agent)
        backdate(case, **fields)
        return case

    fresh = taken()
    old = taken(created_at=days_ago(10), sla_stage=SlaStage.BREACHED)
    held = taken(created_at=days_ago(2))
    actions.hold_case(held, agent=deal_desk_agent, reason="Waiting on finance")
    backdate(held, sla_stage=SlaStage.AT_RISK)
    pending = taken(created_at=days_ago(5))
    actions.ask_requester(pending, agent=deal_desk_agent, question="Which quote?")
    closed_now = taken(created_at=days_ago(3))
    actions.close_case(closed_now, actor=deal_desk_agent, resolution="answered", note="Done")
    closed_before = taken(created_at=days_ago(25))
    actions.close_case(closed_before, actor=deal_desk_agent, resolution="answered", note="Done")
    backdate(closed_before, closed_at=days_ago(20))
    quote_question(rep, opportunity)  # in the queue: nobody's
    return {
        "fresh": fresh,
        "old": old,
        "held": held,
        "pending": pending,
        "closed_now": closed_now,
        "closed_before": closed_before,
    }


def figures(response) -> dict[str, str]:
    label = r'report-figure-label">([^<]+)</p>\s*'
    value = r'<p class="report-figure-value">(?:<a href="[^"]*">)?([^<]+)'
    return dict(re.findall(label + value, response.content.decode()))


def listed(client: Client, url: str) -> set[str]:
    page = client.get(url)
    assert page.status_code == 200, url
    html = page.content.decode()
    return set(re.findall(r'name="case" value="(\d{8})"', html)) | set(
        re.findall(r">(\d{8})</a>", html)
    )


def numbers(*cases: Case) -> set[str]:
    return {case.number for case in cases}


def test_the_agent_sees_their_open_cases_sla_trouble_and_what_they_closed(
    deal_desk_agent, work_of_dan
):
    page = client_for(deal_desk_agent).get(URL)

    assert page.status_code == 200
    assert figures(page) == {
        "My open cases": "4",
        "At risk": "1",
        "Breached": "1",
        "Closed this week": "1",
        "Closed in the period": "2",
    }


def test_every_number_and_chart_segment_lists_exactly_its_cases(deal_desk_agent, work_of_dan):
    client = client_for(deal_desk_agent)
    data = client.get(API).json()
    w = work_of_dan
    expected = {
        "open": numbers(w["fresh"], w["old"], w["held"], w["pending"]),
        "at_risk": numbers(w["held"]),
        "breached": numbers(w["old"]),
        "closed_this_week": numbers(w["closed_now"]),
        "closed_in_period": numbers(w["closed_now"], w["closed_before"]),
    }
    for figure in data["figures"]:
        assert listed(client, figure["url"]) == expected[figure["key"]], figure

    by_age = next(c for c in data["charts"] if c["key"] == "open_by_status_and_age")
    assert by_age["kind"] == "stacked"
    assert by_age["categories"] == ["New", "Work in Progress", "Pending Response", "On Hold"]
    cells = {
        (category, series["key"]): (value, url)
        for series in by_age["series"]
        for category, value, url in zip(
            by_age["categories"], series["values"], series["urls"], strict=True
        )
    }
    assert cells[("Work in Progress", "today")][0] == 1
    assert cells[("Work in Progress", "over_7_days")][0] == 1
    assert cells[("On Hold", "1_3_days")][0] == 1
    assert cells[("Pending Response", "4_7_days")][0] == 1
    assert sum(value for value, _ in cells.values()) == 4
    for (category, _), (value, url) in cells.items():
        if value or category == "Work in Progress":
            assert len(listed(client, url)) == value, (category, url)
    assert listed(client, cells[("Work in Progress", "over_7_days")][1]) == numbers(w["old"])


def test_closed_per_day_counts_each_day_of_the_period(deal_desk_agent, work_of_dan):
    client = client_for(deal_desk_agent)
    data = client.get(API, {"range": "last_30_days"}).json()
    line = next(c for c in data["charts"] if c["key"] == "closed_per_day")

    assert line["kind"] == "line"
    assert len(line["categories"]) == 30
    series = line["series"][0]
    per_day = dict(zip(line["categories"], series["values"], strict=True))
    today = timezone.localdate()
    assert per_day[today.isoformat()] == 1
    assert per_day[(today - dt.timedelta(days=20)).isoformat()] == 1
    assert sum(series["values"]) == 2
    day = line["categories"].index(today.isoformat())
    assert listed(client, series["urls"][day]) == numbers(work_of_dan["closed_now"])


def test_filters_narrow_the_numbers(deal_desk_agent, work_of_dan):
    Case.objects.filter(pk=work_of_dan["old"].pk).update(priority="high")
    client = client_for(deal_desk_agent)

    high = client.get(API, {"priority": "high"}).json()
    values = {f["key"]: f["value"] for f in high["figures"]}
    assert values == {
        "open": 1,
        "at_risk": 0,
        "breached": 1,
        "closed_this_week": 0,
        "closed_in_period": 0,
    }
    billing = client.get(API, {"team": "billing"}).json()
    assert all(f["value"] == 0 for f in billing["figures"])


def test_only_agents_and_admins_may_open_it(rep, outsider, deal_desk_agent, admin_user):
    for user in (rep, outsider):
        client = client_for(user)
        assert client.get(URL).status_code == 404
        assert client.get(URL, {"format": "csv"}).status_code == 404
        assert client.get(API).status_code == 404
        assert "my-work" not in [d["name"] for d in client.get("/api/v1/reports").json()]
    for user in (deal_desk_agent, admin_user):
        client = client_for(user)
        assert client.get(URL).status_code == 200
        assert "my-work" in [d["name"] for d in client.get("/api/v1/reports").json()]


def test_the_page_the_csv_and_the_api_agree(deal_desk_agent, work_of_dan):
    client = client_for(deal_desk_agent)
    api = client.get(API, {"range": "this_quarter"}).json()
    page = figures(client.get(URL, {"range": "this_quarter"}))
    rows = list(csv.reader(io.StringIO(client.get(URL, {"format": "csv"}).content.decode())))

    for figure in api["figures"]:
        assert page[figure["label"]] == str(figure["value"])
        assert [figure["label"], str(figure["value"]), ""] in rows
    assert [
        "My open cases by status and age",
        "Raised today",
        "1–3 days old",
        "4–7 days old",
        "Over 7 days old",
    ] in rows

    chart = client.get(URL, {"format": "csv", "chart": "open_by_status_and_age"})
    assert chart["Content-Disposition"] == (
        'attachment; filename="my-work-open_by_status_and_age.csv"'
    )
    assert list(csv.reader(io.StringIO(chart.content.decode())))[1:] == [
        ["New", "0", "0", "0", "0"],
        ["Work in Progress", "1", "0", "0", "1"],
        ["Pending Response", "0", "0", "1", "0"],
        ["On Hold", "0", "1", "0", "0"],
    ]


def test_the_page_costs_the_same_queries_for_few_or_many_cases(
    rep, opportunity, deal_desk_agent, django_assert_max_num_queries
):
    client = client_for(deal_desk_agent)
    actions.take_case(quote_question(rep, opportunity), agent=deal_desk_agent)
    client.get(URL)
    with django_assert_max_num_queries(20) as few:
        client.get(URL)
    for age in range(12):
        case = quote_question(rep, opportunity)
        actions.take_case(case, agent=deal_desk_agent)
        backdate(case, created_at=days_ago(age))
        if age % 3 == 0:
            actions.close_case(case, actor=deal_desk_agent, resolution="answered", note="Done")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)


def test_report_pages_load_the_vendored_chart_library_and_no_inline_script(deal_desk_agent, rep):
    for user, url in ((deal_desk_agent, URL), (rep, "/reports/my-requests/")):
        html = client_for(user).get(url).content.decode()
        scripts = re.findall(r"<script\b([^>]*)>", html)
        assert scripts and all(re.search(r'\bsrc="[^"]+"', attrs) for attrs in scripts)
        assert re.search(r'src="[^"]*vendor/chart\.js-4\.5\.1\.umd\.min\.js"', html)
        assert re.search(r'src="[^"]*supportdesk/charts\.js"', html)
        assert 'data-chart="' in html
    other = client_for(rep).get("/reports/").content.decode()
    assert "chart.js-" not in other  # only the dashboards load it
