"""Export a list to CSV: streamed, the list's columns and order, only visible cases, and
cells a spreadsheet would run as formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from supportdesk.cases.models import Case, Status
from supportdesk.lists.export import neutralised
from tests.factories import RecordFactory
from tests.lists.conftest import a_case, copies, days_ago
from tests.web.conftest import make_case

pytestmark = pytest.mark.django_db

EXPORT = "/cases/export.csv"


def rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def three(rep, opportunity):
    made = [a_case(rep, opportunity, created_at=days_ago(3 - i)) for i in range(3)]
    Case.objects.filter(pk=made[0].pk).update(status=Status.CLOSED)
    return made


def test_a_view_exports_its_columns_in_its_order(login, rep, three):
    response = login(rep).get(EXPORT, {"view": "created-by-me"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-i-created-')
    header, *body = rows(response)
    assert header == [
        "Number", "Subject", "Status", "Team", "Request type", "Record", "Created"
    ]  # fmt: skip
    assert [row[0] for row in body] == [c.number for c in reversed(three)]
    assert body[-1][2] == "Closed" and body[0][3] == "Deal Desk"
    assert body[0][5] == "Acme Corp — FY27 Renewal"


def test_the_urls_filters_columns_and_sort_are_exported(login, rep, three):
    query = {"view": "created-by-me", "f": "1", "status": "open", "columns": "subject,number"}
    header, *body = rows(login(rep).get(EXPORT, {**query, "sort": "number"}))
    assert header == ["Subject", "Number"]
    assert [row[1] for row in body] == [three[1].number, three[2].number]


def test_the_list_page_links_to_its_export(login, rep, three):
    page = login(rep).get("/cases/", {"view": "created-by-me", "f": "1", "status": "open"})
    assert 'href="/cases/export.csv?view=created-by-me&amp;f=1&amp;status=open' in (
        page.content.decode()
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_look_like_formulas_are_neutralised(login, rep, opportunity, start):
    a_case(rep, opportunity, subject=f'{start}HYPERLINK("http://evil","x")')
    (_, [_, subject, *_]) = rows(login(rep).get(EXPORT, {"view": "created-by-me"}))
    assert subject == f'\'{start}HYPERLINK("http://evil","x")'


def test_neutralising_leaves_plain_text_alone():
    assert neutralised("Renewal = at risk") == "Renewal = at risk"
    assert neutralised("-5") == "'-5"


def test_only_cases_the_user_may_see_are_exported(login, rep, other_rep, three, api):
    own = make_case(other_rep, RecordFactory(owner=other_rep))
    _, *body = rows(login(other_rep).get(EXPORT, {"view": "created-by-me", "f": "1"}))
    assert [row[0] for row in body] == [own.number]
    _, *body = rows(api(other_rep).get("/api/v1/cases/export.csv"))
    assert [row[0] for row in body] == [own.number]


def test_a_search_exports_its_matches_best_first(login, rep, opportunity, three):
    best = a_case(rep, opportunity)
    Case.objects.filter(pk=best.pk).update(subject="Aardvark")
    from supportdesk.search.documents import index_case

    index_case(best.pk)
    _, *body = rows(login(rep).get(EXPORT, {"view": "created-by-me", "q": "aardvark"}))
    assert [row[0] for row in body] == [best.number]


def test_many_rows_stream_in_pieces(login, rep, three):
    copies(three[1], 1200)
    response = login(rep).get(EXPORT, {"view": "created-by-me"})
    pieces = list(response.streaming_content)
    assert len(pieces) >= 3
    assert b"".join(pieces).count(b"\n") == 1 + 1203


def _export_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        b"".join(response.streaming_content)
    return len(captured)


def test_an_export_costs_the_same_queries_for_any_rows_and_columns(login, rep, three):
    client = login(rep)
    client.get(EXPORT)  # the session settles
    every = "number,subject,status,priority,team,request_type,sub_request,owner,requester"
    every += ",record,record_kind,account,created_at,updated_at,closed_at,resolution,viewed_at"
    few = _export_queries(client, f"{EXPORT}?view=created-by-me&columns=number")
    wide = _export_queries(client, f"{EXPORT}?view=created-by-me&columns={every}")
    copies(three[1], 40)
    assert _export_queries(client, f"{EXPORT}?view=created-by-me&columns={every}") == wide
    assert few == wide


def test_the_api_exports_a_view_or_all_visible_cases(api, rep, three):
    header, *body = rows(api(rep).get("/api/v1/cases/export.csv", {"status": "closed"}))
    assert header[0] == "Number" and [row[0] for row in body] == [three[0].number]
    _, *body = rows(api(rep).get("/api/v1/cases/export.csv", {"view": "created-by-me"}))
    assert len(body) == 3


def test_the_api_refuses_bad_filters_and_hidden_views(api, rep, other_rep):
    from tests.lists.conftest import a_view

    assert api(rep).get("/api/v1/cases/export.csv", {"status": "nope"}).status_code == 422
    hidden = a_view(other_rep)
    assert api(rep).get("/api/v1/cases/export.csv", {"view": hidden.pk}).status_code == 404


def test_a_bad_filter_on_the_page_export_is_a_400(login, rep):
    response = login(rep).get(EXPORT, {"view": "created-by-me", "status": "nope"})
    assert response.status_code == 400
    assert "status" in response.content.decode()
