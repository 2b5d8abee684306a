"""Every filter of the Cases tab, through GET /api/v1/cases (the same parameters as the page).

The world: Rita requests cases on her opportunities and on an account; Oscar requests one on
his own record and adds Rita as a watcher; Dan (Deal Desk) and Sol (Sales Operations) work
them. The admin sees everything, so most expectations are about the filter alone.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from supportdesk.cases.models import Attachment, CaseWatcher, Status
from supportdesk.lists.filters import relative_range
from supportdesk.records.models import Kind
from tests.conftest import team
from tests.factories import MembershipFactory, RecordFactory, UserFactory, quote_question
from tests.lists.conftest import a_case, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def sol(db):
    user = UserFactory(username="sol", first_name="Sol", last_name="Salesops")
    MembershipFactory(user=user, team=team("Sales Operations"))
    return user


@pytest.fixture
def world(rep, other_rep, deal_desk_agent, sol, opportunity):
    account = RecordFactory(kind=Kind.CUSTOMER_ACCOUNT, owner=rep, external_id="001ACCT")
    on_account = RecordFactory(owner=rep, account=account, external_id="006ACCT0001")
    theirs = RecordFactory(owner=other_rep, external_id="006OSCAR001")
    cases = {
        "queued": a_case(rep, opportunity, created_at=days_ago(40), updated_at=days_ago(40)),
        "working": a_case(
            rep,
            on_account,
            team_name="Sales Operations",
            status=Status.WORK_IN_PROGRESS,
            owner=sol,
            priority="high",
            created_at=days_ago(3),
            updated_at=days_ago(1),
        ),
        "closed": a_case(
            rep,
            opportunity,
            status=Status.CLOSED,
            owner=deal_desk_agent,
            priority="urgent",
            created_at=days_ago(20),
            closed_at=days_ago(2),
        ),
        "oscars": a_case(other_rep, theirs, status=Status.PENDING_RESPONSE, priority="low"),
        "account": a_case(rep, account, team_name="Sales Operations", created_at=days_ago(100)),
        "quote": quote_question(rep, opportunity),
    }
    CaseWatcher.objects.create(case=cases["oscars"], user=rep)
    return cases


def found(client, query: str) -> set[str]:
    response = client.get(f"/api/v1/cases?limit=100&{query}")
    assert response.status_code == 200, response.json()
    return {case["number"] for case in response.json()["items"]}


def named(world, *names: str) -> set[str]:
    return {world[name].number for name in names}


ALL = ("queued", "working", "closed", "oscars", "account", "quote")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        ("owner=any", ALL),
        ("owner=queue", ("queued", "oscars", "account", "quote")),
        ("owner=dan", ("closed",)),
        ("requester=oscar", ("oscars",)),
        ("created_by=oscar", ("oscars",)),
        ("requester=oscar&created_by=rita", ()),
        ("status=closed", ("closed",)),
        ("status=new&status=pending_response", ("queued", "oscars", "account", "quote")),
        ("status=new,pending_response", ("queued", "oscars", "account", "quote")),
        ("status=open", ("queued", "working", "oscars", "account", "quote")),
        ("team=sales-operations", ("working", "account")),
        ("team=sales-operations,deal-desk", ALL),
        ("request_type=Quote Help", ("quote",)),
        ("sub_request=Quote Question", ("quote",)),
        ("priority=urgent&priority=low", ("closed", "oscars")),
        ("kind=customer_account", ("account",)),
        ("record=006ACME0001", ("queued", "closed", "quote")),
        ("record=006NOSUCH", ()),
        ("account=001ACCT", ("working", "account")),
        ("account=001NOSUCH", ()),
        ("created=last_7_days", ("working", "oscars", "quote")),
        ("created=last_30_days&status=closed", ("closed",)),
        ("updated=yesterday", ("working",)),
        ("closed=last_7_days", ("closed",)),
        ("closed=today", ()),
        ("text=ramp", ("quote",)),
        ("text=RAMP&team=sales-operations", ()),
    ],
)
def test_each_filter_narrows_the_list(api, admin_user, world, query, expected):
    assert found(api(admin_user), query) == named(world, *expected)


def test_absolute_date_ranges_include_both_days(api, admin_user, world):
    today = timezone.localdate()
    query = f"created_from={today - dt.timedelta(days=21)}&created_to={today - dt.timedelta(3)}"
    assert found(api(admin_user), query) == named(world, "closed", "working")


def test_me_means_the_caller(api, rep, sol, deal_desk_agent, world):
    assert found(api(sol), "owner=me") == named(world, "working")
    assert found(api(rep), "requester=me&status=closed") == named(world, "closed")
    assert found(api(rep), "mine=true&status=closed") == named(world, "closed")
    assert found(api(rep), "created_by=me") == named(world, *(set(ALL) - {"oscars"}))


def test_mine_means_my_teams(api, sol, world):
    assert found(api(sol), "team=mine") == named(world, "working", "account")


def test_team_mine_without_teams_matches_nothing(api, rep, world):
    assert found(api(rep), "team=mine") == set()


def test_has_attachments(api, admin_user, rep, world):
    Attachment.objects.create(
        case=world["queued"], file="x.pdf", name="x.pdf", size=1, uploaded_by=rep
    )
    removed = Attachment.objects.create(
        case=world["closed"], file="y.pdf", name="y.pdf", size=1, uploaded_by=rep
    )
    removed.removed_at = removed.created_at
    removed.save()
    assert found(api(admin_user), "attachments=yes") == named(world, "queued")
    assert found(api(admin_user), "attachments=no") == named(world, *set(ALL) - {"queued"})


def test_watcher_is_me(api, deal_desk_agent, world):
    assert found(api(deal_desk_agent), "watching=me") == set()
    CaseWatcher.objects.create(case=world["quote"], user=deal_desk_agent)
    assert found(api(deal_desk_agent), "watching=me") == named(world, "quote")


def test_viewed_by_me_tracks_the_cases_i_opened(login, api, deal_desk_agent, world):
    assert found(api(deal_desk_agent), "viewed=me") == set()
    login(deal_desk_agent).get(world["closed"].get_absolute_url())
    assert found(api(deal_desk_agent), "viewed=me") == named(world, "closed")


def test_text_finds_a_case_by_its_number(api, admin_user, world):
    assert found(api(admin_user), f"text={world['oscars'].number}") == named(world, "oscars")


def test_filters_combine_and_never_widen_what_one_sees(api, rep, world):
    assert found(api(rep), "") == named(world, *ALL)  # oscars: rep watches it
    assert found(api(rep), "status=pending_response&priority=low") == named(world, "oscars")


def test_filters_show_nothing_beyond_the_viewers_cases(api, outsider, world):
    assert found(api(outsider), "owner=any") == set()
    assert found(api(outsider), "requester=rita&status=open") == set()


# ---- bad parameters: a clear message, never a 500 ------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("owner=nobody", "owner", "There is no user “nobody”"),
        ("requester=me&requester=oscar", "requester", "Give one value."),
        ("status=done", "status", "“done” is not a status; choose from new, "),
        ("team=nowhere", "team", "There is no team “nowhere”"),
        ("request_type=Nope", "request_type", "There is no request type called “Nope”"),
        ("sub_request=Nope", "sub_request", "There is no sub-request called “Nope”"),
        ("priority=p1", "priority", "“p1” is not a priority"),
        ("kind=deal", "kind", "“deal” is not a record kind"),
        ("created=lately", "created", "“lately” is not a date range"),
        ("closed=last_99999_days", "closed", "is not a date range"),
        ("updated_from=yesterday", "updated_from", "write it as YYYY-MM-DD"),
        ("created_from=2026-03-01&created_to=2026-02-01", "created_to", "before the start"),
        ("attachments=maybe", "attachments", "Give “yes” or “no”."),
        ("watching=you", "watching", "Give “me”"),
        ("text=" + "x" * 201, "text", "at most 200 characters"),
        ("sort=colour", "sort", "“colour” is not a column to sort by."),
        ("sort=-created_at,created_at", "sort", "given twice"),
        ("cursor=garbage", "cursor", "start again from the first page"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(api, rep, query, field, message):
    response = api(rep).get(f"/api/v1/cases?{query}")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors), errors


def test_every_bad_parameter_is_reported_at_once(api, rep):
    response = api(rep).get("/api/v1/cases?status=x&priority=y&owner=z")
    assert {e["field"] for e in response.json()["errors"]} == {"status", "priority", "owner"}


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("owner=nobody", "There is no user “nobody”; give a username or “me”."),
        ("status=done&priority=p1", "“p1” is not a priority; choose from low, medium, high, "),
        ("created=lately", "“lately” is not a date range"),
        ("sort=colour", "<code>sort</code>: “colour” is not a column to sort by."),
        ("columns=number,colour", "“colour” is not a column."),
        ("cursor=xyz", "<code>cursor</code>: This page link is no longer valid"),
    ],
)
def test_the_page_shows_bad_parameters_as_messages(login, rep, query, shown):
    response = login(rep).get(f"{reverse('cases:mine')}?{query}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "This list cannot be shown until these are fixed" in page
    assert shown in page


# ---- relative date ranges -------------------------------------------------------------------

WED = dt.date(2026, 5, 13)  # a Wednesday in the second quarter


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", WED, dt.date(2026, 5, 14)),
        ("yesterday", dt.date(2026, 5, 12), WED),
        ("last_7_days", dt.date(2026, 5, 7), dt.date(2026, 5, 14)),
        ("last_1_days", WED, dt.date(2026, 5, 14)),
        ("this_week", dt.date(2026, 5, 11), dt.date(2026, 5, 18)),
        ("last_week", dt.date(2026, 5, 4), dt.date(2026, 5, 11)),
        ("this_month", dt.date(2026, 5, 1), dt.date(2026, 6, 1)),
        ("last_month", dt.date(2026, 4, 1), dt.date(2026, 5, 1)),
        ("this_quarter", dt.date(2026, 4, 1), dt.date(2026, 7, 1)),
        ("last_quarter", dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
        ("this_year", dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
        ("last_year", dt.date(2025, 1, 1), dt.date(2026, 1, 1)),
    ],
)
def test_relative_ranges(name, start, end):
    assert relative_range(name, WED) == (start, end)


def test_quarters_wrap_around_the_year():
    assert relative_range("last_quarter", dt.date(2026, 2, 1)) == (
        dt.date(2025, 10, 1),
        dt.date(2026, 1, 1),
    )
    assert relative_range("this_quarter", dt.date(2026, 12, 31)) == (
        dt.date(2026, 10, 1),
        dt.date(2027, 1, 1),
    )
    assert relative_range("last_month", dt.date(2026, 1, 15)) == (
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
    )


@pytest.mark.parametrize("name", ["last_0_days", "last_days", "next_week", "", "last_7_day"])
def test_unknown_ranges(name):
    assert relative_range(name, WED) is None
