"""Keyset pages: walking a list forwards and backwards meets every case exactly once, in the
order one query would give, whatever the sort — ties, NULLs and all; and the count is
capped at 10,000 (shown as "10,000+")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from supportdesk.cases.models import Case
from supportdesk.lists import paging
from supportdesk.lists.columns import COLUMNS, Catalog, SortKey
from supportdesk.lists.models import RecentView
from supportdesk.lists.paging import CursorInvalid, _keys, _order, capped_count, keyset_page
from tests.conftest import team
from tests.lists.conftest import a_case, copies, days_ago, link, numbers

pytestmark = pytest.mark.django_db

PRIORITIES = ("low", "medium", "high", "urgent")
STATUSES = ("new", "work_in_progress", "pending_response", "on_hold", "closed")


@pytest.fixture
def tied(rep, opportunity, deal_desk_agent):
    """29 cases sharing few distinct values: ties everywhere, NULLs in the nullable columns."""
    template = a_case(rep, opportunity, created_at=days_ago(5), updated_at=days_ago(5))
    same_time = days_ago(1)
    made = copies(
        template,
        28,
        priority=lambda i: PRIORITIES[i % 4],
        status=lambda i: STATUSES[i % 5],
        created_at=lambda i: same_time if i % 3 else same_time - dt.timedelta(hours=i),
        closed_at=lambda i: same_time if i % 5 == 4 else None,
        owner_id=lambda i: deal_desk_agent.pk if i % 2 else None,
        needed_by=lambda i: dt.date(2026, 1, 1 + i % 3) if i % 4 else None,
        details=lambda i: {"quote_url": f"q{i % 3}"} if i % 2 else {},
    )
    for case in made[:7]:
        RecentView.objects.create(user=rep, case=case, viewed_at=same_time)
    return [template, *made]


def walk(cases, sort, user, size, teams=None):
    """Every page forwards, then every page backwards from the last one."""
    forwards, pages, cursor = [], [], None
    while True:
        page = keyset_page(cases, sort=sort, user=user, cursor=cursor, size=size, teams=teams)
        pages.append(page)
        forwards += [c.pk for c in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    backwards, page = list(pages[-1].items), pages[-1]
    backwards = [c.pk for c in page.items]
    while page.previous_cursor is not None:
        page = keyset_page(
            cases, sort=sort, user=user, cursor=page.previous_cursor, size=size, teams=teams
        )
        backwards = [c.pk for c in page.items] + backwards
    return forwards, backwards


def one_query_order(cases, sort, user):
    keys = _keys(sort)
    annotated = cases.annotate(
        **{key.name: k.column.expression(user) for key, k in zip(keys, sort, strict=False)}
    )
    return [c.pk for c in annotated.order_by(*(_order(k, backwards=False) for k in keys))]


# Relevance ranks a search (`q`): it pages in tests/lists/test_search.py.
SORTABLE = [key for key, column in COLUMNS.items() if column.sortable and key != "relevance"]


@pytest.mark.parametrize("key", [*SORTABLE, "answer:quote_url"])
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_pages_without_duplicates_or_gaps(tied, rep, key, descending):
    column = Catalog().column(key)
    sort = [SortKey(column, descending)]
    cases = Case.objects.all()
    expected = one_query_order(cases, sort, rep)
    forwards, backwards = walk(cases, sort, rep, size=4)
    assert forwards == expected
    assert backwards == expected
    assert len(set(forwards)) == len(tied)


@pytest.mark.parametrize(
    "tokens",
    [("waiting", "-updated_at"), ("-priority", "created_at"), ("owner", "-closed_at", "status")],
)
def test_compound_sorts_page_correctly(tied, rep, tokens):
    catalog = Catalog()
    sort = [SortKey(catalog.column(t.lstrip("-")), t.startswith("-")) for t in tokens]
    cases = Case.objects.all()
    forwards, backwards = walk(cases, sort, rep, size=3)
    assert forwards == backwards == one_query_order(cases, sort, rep)


@pytest.mark.parametrize(
    "tokens", [("-sla", "-priority", "sla_due"), ("-created_at",), ("owner", "-closed_at")]
)
def test_a_list_of_several_teams_pages_as_one_query_orders_it(tied, rep, tokens):
    """SQLite takes such a page from each team's first rows (`paging._per_team`)."""
    billing = team("Billing")
    Case.objects.filter(pk__in=[c.pk for c in tied[::3]]).update(team=billing)
    other = a_case(rep, tied[0].record, team=team("Sales Operations"))
    teams = (tied[1].team_id, billing.pk)
    catalog = Catalog()
    sort = [SortKey(catalog.column(t.lstrip("-")), t.startswith("-")) for t in tokens]
    cases = Case.objects.filter(team_id__in=teams)
    expected = one_query_order(cases, sort, rep)
    forwards, backwards = walk(cases, sort, rep, size=4, teams=teams)
    assert forwards == backwards == expected
    assert len(expected) == len(tied) and other.pk not in expected


def test_a_case_added_meanwhile_does_not_shift_the_next_page(tied, rep):
    sort = [SortKey(COLUMNS["created_at"], True)]
    first = keyset_page(Case.objects.all(), sort=sort, user=rep, cursor=None, size=5)
    a_case(rep, tied[0].record)  # newest: belongs before the first page
    second = keyset_page(Case.objects.all(), sort=sort, user=rep, cursor=first.next_cursor, size=5)
    expected = one_query_order(Case.objects.all(), sort, rep)
    assert [c.pk for c in second.items] == expected[6:11]


def test_a_cursor_of_another_sort_is_refused(tied, rep):
    by_created = [SortKey(COLUMNS["created_at"], True)]
    page = keyset_page(Case.objects.all(), sort=by_created, user=rep, cursor=None, size=5)
    with pytest.raises(CursorInvalid):
        keyset_page(
            Case.objects.all(),
            sort=[SortKey(COLUMNS["priority"], True)],
            user=rep,
            cursor=page.next_cursor,
            size=5,
        )


NO_KEYS = "eyJzIjoiLWNyZWF0ZWRfYXQiLCJkIjoibiIsImsiOltdfQ"  # {"s":"-created_at","d":"n","k":[]}


@pytest.mark.parametrize("cursor", ["", "x", "eyJ9", NO_KEYS])
def test_malformed_cursors_are_refused(rep, cursor):
    sort = [SortKey(COLUMNS["created_at"], True)]
    if not cursor:
        assert keyset_page(Case.objects.all(), sort=sort, user=rep, cursor=cursor, size=5)
        return
    with pytest.raises(CursorInvalid):
        keyset_page(Case.objects.all(), sort=sort, user=rep, cursor=cursor, size=5)


# ---- through the page and the API ----------------------------------------------------------


def test_next_and_previous_on_the_page(login, rep, tied):
    client = login(rep)
    url = f"{reverse('cases:mine')}?view=created-by-me&size=25"
    first = client.get(url)
    assert link(first, "prev") is None
    second = client.get(link(first, "next"))
    assert len(numbers(first)) == 25 and len(numbers(second)) == 4
    assert link(second, "next") is None
    back = client.get(link(second, "prev"))
    assert numbers(back) == numbers(first)
    assert set(numbers(first)) | set(numbers(second)) == {c.number for c in tied}


def test_sorting_by_a_header_keeps_the_filters_and_restarts_paging(login, rep, tied):
    client = login(rep)
    first = client.get(f"{reverse('cases:mine')}?status=closed&size=25")
    page = first.content.decode()
    assert 'href="?status=closed&amp;size=25&amp;sort=-priority"' in page  # the Priority header
    by_priority = client.get(f"{reverse('cases:mine')}?status=closed&size=25&sort=-priority")
    shown = numbers(by_priority)
    assert len(shown) == 5 and 'aria-sort="descending"' in by_priority.content.decode()
    ranks = [PRIORITIES.index(Case.objects.get(pk=int(n)).priority) for n in shown]
    assert ranks == sorted(ranks, reverse=True)


def test_the_api_walks_cursor_pages_both_ways(api, rep, tied):
    client = api(rep)
    page = client.get("/api/v1/cases?limit=10&sort=-priority,created_at").json()
    assert page["count"] == 29 and page["count_exact"] is True and page["previous"] is None
    seen = [c["number"] for c in page["items"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [c["number"] for c in page["items"]]
    assert len(seen) == len(set(seen)) == 29
    back = client.get(page["previous"]).json()
    assert [c["number"] for c in back["items"]] == seen[10:20]


# ---- the count -------------------------------------------------------------------------------


def test_the_count_is_capped(monkeypatch, login, rep, tied):
    assert capped_count(Case.objects.all()) == (29, True)
    assert capped_count(Case.objects.all(), cap=10) == (10, False)
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    page = login(rep).get(f"{reverse('cases:mine')}?view=created-by-me").content.decode()
    assert "<strong>10+</strong> cases" in page


def test_the_count_reads_at_most_cap_plus_one_rows(rep, tied, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        capped_count(Case.objects.all(), cap=10)
    assert "LIMIT 11" in captured.captured_queries[0]["sql"]
