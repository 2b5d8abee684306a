"""The "My requests" dashboard: its numbers, their links, its CSV and its API twin."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.utils import timezone

from supportdesk.cases import actions
from supportdesk.cases.models import Case
from supportdesk.reports.dashboards import my_requests
from supportdesk.reports.filters import parse_report_filters, preset_range
from tests.factories import quote_question

pytestmark = pytest.mark.django_db
URL = "/reports/my-requests/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def requests_of_rep(rep, opportunity, deal_desk_agent):
    waiting = quote_question(rep, opportunity)
    actions.take_case(waiting, agent=deal_desk_agent)
    actions.ask_requester(waiting, agent=deal_desk_agent, question="Which quote?")
    new = quote_question(rep, opportunity, priority="high")
    done = quote_question(rep, opportunity)
    actions.take_case(done, agent=deal_desk_agent)
    actions.close_case(done, actor=deal_desk_agent, resolution="answered", note="Done")
    Case.objects.filter(pk=done.pk).update(created_at=timezone.now() - dt.timedelta(hours=10))
    return {"waiting": waiting, "new": new, "done": done}


def figures(response) -> dict[str, str]:
    html = response.content.decode()
    label = r'report-figure-label">([^<]+)</p>\s*'
    value = r'<p class="report-figure-value">(?:<a href="[^"]*">)?([^<]+)'
    pairs = re.findall(label + value, html)
    return dict(pairs)


def test_the_requester_sees_their_open_requests_and_what_waits_on_them(
    rep, requests_of_rep, other_rep, opportunity, shared_edit
):
    quote_question(other_rep, opportunity)  # not rep's
    page = client_for(rep).get(URL)

    assert page.status_code == 200
    shown = figures(page)
    assert shown["My open requests"] == "2"
    assert shown["Waiting on me"] == "1"
    assert shown["Raised in the period"] == "3"
    assert shown["Average time to resolution"] == "10.0 h"
    assert "changed the status to Pending Response" in page.content.decode()


def test_every_number_links_to_exactly_its_cases(rep, requests_of_rep):
    client = client_for(rep)
    data = client.get("/api/v1/reports/my-requests").json()

    for figure in data["figures"]:
        if figure["key"] in ("open", "waiting_on_me", "raised"):
            listed = client.get(figure["url"]).content.decode()
            numbers = set(re.findall(r'name="case" value="(\d+)"|>(\d{8})</a>', listed))
            found = {a or b for a, b in numbers}
            assert len(found) == figure["value"], (figure, found)
    chart = data["charts"][0]
    for value, url in zip(chart["series"][0]["values"], chart["series"][0]["urls"], strict=True):
        listed = client.get(url).content.decode()
        assert len(set(re.findall(r">(\d{8})</a>", listed))) == value


def test_the_page_and_the_api_give_the_same_numbers(rep, requests_of_rep):
    client = client_for(rep)
    api = client.get("/api/v1/reports/my-requests", {"range": "this_quarter"}).json()
    page = figures(client.get(URL, {"range": "this_quarter"}))

    for figure in api["figures"]:
        shown = page[figure["label"]]
        assert shown.split()[0] == (
            f"{figure['value']:.1f}" if isinstance(figure["value"], float) else str(figure["value"])
        )
    start, end = preset_range("this_quarter", timezone.localdate())
    assert api["period"] == {"range": "this_quarter", "start": str(start), "end": str(end)}


def test_the_dashboard_and_each_chart_export_to_csv(rep, requests_of_rep):
    client = client_for(rep)
    whole = client.get(URL, {"format": "csv"})
    assert whole["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(whole.content.decode())))
    assert ["My open requests", "2", ""] in rows and ["Waiting on me", "1", ""] in rows
    chart = client.get(URL, {"format": "csv", "chart": "open_by_status"}).content.decode()
    assert list(csv.reader(io.StringIO(chart)))[:3] == [
        ["My open requests by status", "Requests"],
        ["New", "1"],
        ["Work in Progress", "0"],
    ]
    assert client.get(URL, {"format": "csv", "chart": "nope"}).status_code == 404


def test_filters_narrow_and_bad_filters_are_named(rep, requests_of_rep):
    client = client_for(rep)
    high = client.get("/api/v1/reports/my-requests", {"priority": "high"}).json()
    assert {f["key"]: f["value"] for f in high["figures"]}["open"] == 1

    bad = client.get("/api/v1/reports/my-requests", {"range": "custom", "from": "2026-13-01"})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"from", "to"}
    page = client.get(URL, {"team": "nope"}).content.decode()
    assert "There is no team “nope”." in page


def test_custom_ranges_and_presets():
    today = dt.date(2026, 12, 5)  # a Saturday
    assert preset_range("this_week", today) == (dt.date(2026, 11, 30), today)
    assert preset_range("this_quarter", today) == (dt.date(2026, 10, 1), today)
    assert preset_range("last_30_days", today) == (dt.date(2026, 11, 6), today)
    custom = parse_report_filters(
        {"range": ["custom"], "from": ["2026-01-01"], "to": ["2026-01-31"]}, today=today
    )
    assert (custom.start, custom.end, custom.errors) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 31),
        {},
    )
    backwards = parse_report_filters(
        {"range": ["custom"], "from": ["2026-02-01"], "to": ["2026-01-31"]}, today=today
    )
    assert backwards.errors == {"to": ["The end date is before the start date."]}


def test_an_unknown_dashboard_is_a_404(rep):
    client = client_for(rep)
    assert client.get("/reports/nope/").status_code == 404
    assert client.get("/api/v1/reports/nope").status_code == 404
    assert [d["name"] for d in client.get("/api/v1/reports").json()] == ["my-requests"]


def test_the_page_costs_the_same_queries_for_few_or_many_requests(
    rep, opportunity, django_assert_max_num_queries
):
    client = client_for(rep)
    quote_question(rep, opportunity)
    client.get(URL)
    with django_assert_max_num_queries(12) as few:
        client.get(URL)
    for _ in range(15):
        quote_question(rep, opportunity)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)


def test_a_busy_requesters_activity_is_the_same_walked_from_the_newest_events(
    rep, opportunity, deal_desk_agent, other_rep, shared_edit, monkeypatch
):
    """From BUSY_REQUESTER_CASES requests on, recent activity walks everyone's newest events a
    chunk at a time: it finds exactly what reading the requester's cases finds."""
    cases = [quote_question(rep, opportunity) for _ in range(4)]
    others = [quote_question(other_rep, opportunity) for _ in range(3)]
    for case in [*cases, *others]:
        actions.take_case(case, agent=deal_desk_agent)
    actions.add_comment(cases[0], author=deal_desk_agent, body="Looking", internal=True)
    for case in others:
        actions.add_comment(case, author=deal_desk_agent, body="Not rep's")
    actions.add_comment(cases[1], author=rep, body="Mine, not shown")
    expected = [(a.case, a.text) for a in my_requests.recent_activity(rep)]
    assert expected and all(not text.startswith("rita") for _, text in expected)

    monkeypatch.setattr(my_requests, "BUSY_REQUESTER_CASES", 2)
    monkeypatch.setattr(my_requests, "WALK_CHUNK", 2)  # several chunks
    assert [(a.case, a.text) for a in my_requests.recent_activity(rep)] == expected
    monkeypatch.setattr(my_requests, "WALK_CHUNKS", 1)  # gives up, reads the cases instead
    assert [(a.case, a.text) for a in my_requests.recent_activity(rep)] == expected
