"""A list page costs the same queries whatever its size and its columns (page and API)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportdesk.cases.models import Status
from supportdesk.lists.columns import COLUMNS
from supportdesk.lists.models import ListView, RecentView
from supportdesk.records.models import Kind
from tests.factories import RecordFactory
from tests.lists.conftest import a_case, copies, days_ago

pytestmark = pytest.mark.django_db

TAB = reverse("cases:mine")
EVERY_COLUMN = ",".join(key for key, column in COLUMNS.items() if column.choosable)
ANSWERS = "number,answer:quote_url,answer:po_number,account,record,viewed_at,owner,requester"
# user, teams, saved views, page, count, teams, request types, sub-requests, bell (the
# session comes from the cache: SESSION_ENGINE cached_db)
PAGE_QUERIES = 9


@pytest.fixture
def many(rep, deal_desk_agent):
    """120 Deal Desk cases on records with accounts, half owned, some viewed and answered."""
    account = RecordFactory(kind=Kind.CUSTOMER_ACCOUNT, owner=rep)
    records = [RecordFactory(owner=rep, account=account) for _ in range(3)]
    template = a_case(rep, records[0], created_at=days_ago(3))
    made = copies(
        template,
        119,
        record_id=lambda i: records[i % 3].pk,
        owner_id=lambda i: deal_desk_agent.pk if i % 2 else None,
        status=lambda i: Status.WORK_IN_PROGRESS if i % 2 else Status.NEW,
        details=lambda i: {"quote_url": f"https://q.example/{i}"} if i % 3 else {},
        created_at=lambda i: days_ago(i / 10),
    )
    for case in made[:30]:
        RecentView.objects.create(user=rep, case=case)
    return [template, *made]


def queries(client, url: str) -> int:
    client.get(url)  # warm: the session and the messages settle
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["rep", "deal_desk_agent", "admin_user"])
def test_the_list_page_costs_the_same_for_any_size_and_columns(login, many, persona, request):
    client = login(request.getfixturevalue(persona))
    counts = {
        (size, columns): queries(client, f"{TAB}?view=all-open&size={size}&columns={columns}")
        for size in (25, 50, 100)
        for columns in ("number", EVERY_COLUMN, ANSWERS)
    }
    assert set(counts.values()) == {PAGE_QUERIES}, counts


def test_a_saved_view_and_a_cursor_page_cost_no_more(login, rep, many):
    view = ListView.objects.create(
        owner=rep, name="All", filters={}, columns=EVERY_COLUMN.split(","), sort="-priority"
    )
    client = login(rep)
    assert queries(client, f"{TAB}?view={view.pk}&size=25") == PAGE_QUERIES
    page = client.get(f"{TAB}?view={view.pk}&size=25").content.decode()
    cursor = page.split('rel="next" href="?')[1].split('"')[0].replace("&amp;", "&")
    assert queries(client, f"{TAB}?{cursor}") == PAGE_QUERIES


def test_a_page_shows_every_column_of_every_row(login, rep, many):
    page = login(rep).get(f"{TAB}?view=all-open&size=100&columns={EVERY_COLUMN}")
    body = page.content.decode()
    assert body.count("<tr><td>") == 100
    assert "Last viewed by me" in body and "Work in Progress</span>" in body


def test_the_api_list_costs_the_same_for_any_limit(api, rep, many):
    client = api(rep)
    counts = {limit: queries(client, f"/api/v1/cases?limit={limit}") for limit in (5, 50, 100)}
    assert len(set(counts.values())) == 1, counts


def test_a_views_cases_cost_the_same_for_any_limit_and_columns(api, rep, many):
    client = api(rep)
    counts = set()
    for columns in (["number"], EVERY_COLUMN.split(","), ANSWERS.split(",")):
        view = ListView.objects.create(
            owner=rep, name=str(len(columns)), filters={}, columns=columns, sort="-created_at"
        )
        for limit in (5, 100):
            counts.add(queries(client, f"/api/v1/views/{view.pk}/cases?limit={limit}"))
    assert len(counts) == 1, counts
