"""Asking the requester for fields and answering them over the API: POST …/ask with `fields`,
the open request and the round trips on GET …/cases/{number}, and POST …/answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from supportdesk.cases.actions import take_case
from supportdesk.cases.models import Case, CaseEvent
from tests.factories import quote_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rep, opportunity, deal_desk_agent) -> Case:
    """Rita's Quote Question case, owned by Dan, in Work in Progress."""
    return take_case(quote_question(rep, opportunity), agent=deal_desk_agent)


@pytest.fixture
def rita(api_client, rep):
    return api_client(rep)


@pytest.fixture
def dan(api_client, deal_desk_agent):
    return api_client(deal_desk_agent)


def post(client: Any, case: Case, suffix: str, body: Any) -> Any:
    path = f"/api/v1/cases/{case.number}/{suffix}"
    return client.post(path, json.dumps(body), content_type="application/json")


def get(client: Any, case: Case) -> dict[str, Any]:
    response = client.get(f"/api/v1/cases/{case.number}")
    assert response.status_code == 200, response.content
    return response.json()


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    return response.json()


def field_errors(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_ask_for_fields_then_answer_them(case, rita, dan, rep):
    body = ok(post(dan, case, "ask", {"fields": ["quote_url"], "version": case.version}))
    assert body["status"] == "Pending Response" and body["info_requests"] == 1
    request = get(rita, case)["info_request"]
    assert request["asked_by"] == "dan" and request["question"] == "Please fill in: Quote."
    assert [(f["name"], f["type"], f["required"]) for f in request["fields"]] == [
        ("quote_url", "url", True)
    ]

    body = ok(
        post(
            rita,
            case,
            "answer",
            {"answers": {"quote_url": "https://crm.example.com/q/2"}, "comment": "The new one."},
        )
    )
    assert body["status"] == "Work in Progress" and body["info_request"] is None
    assert body["details"]["quote_url"] == "https://crm.example.com/q/2"
    assert body["info_requests"] == 1
    assert case.events.filter(kind=CaseEvent.INFO_ANSWERED).count() == 1
    assert get(dan, case)["info_request"] is None


def test_asking_checks_the_question_and_the_field_names(case, dan):
    assert field_errors(post(dan, case, "ask", {"question": " ", "fields": []})) == {
        "question": "Say what you need from the requester, or choose fields for them to fill in."
    }
    errors = field_errors(post(dan, case, "ask", {"question": "?", "fields": ["nope"]}))
    assert errors == {"fields": "This request type has no field “nope”."}
    assert get(dan, case)["info_requests"] == 0


def test_wrong_answers_are_422_by_field_and_change_nothing(case, rita, dan):
    ok(post(dan, case, "ask", {"question": "Which quote?", "fields": ["quote_url"]}))
    version = get(rita, case)["version"]
    errors = field_errors(
        post(rita, case, "answer", {"answers": {"quote_url": "not a url", "extra": "1"}})
    )
    assert set(errors) == {"answers.quote_url", "answers.extra"}
    after = get(rita, case)
    assert after["status"] == "Pending Response" and after["version"] == version
    assert after["details"]["quote_url"] == "https://crm.example.com/q/1"


def test_only_the_requester_answers_an_open_request(case, rita, dan, api_client, outsider):
    assert post(rita, case, "answer", {"answers": {}}).status_code == 403  # nothing asked
    ok(post(dan, case, "ask", {"fields": ["quote_url"]}))
    assert post(dan, case, "answer", {"answers": {}}).status_code == 403
    assert post(api_client(outsider), case, "answer", {"answers": {}}).status_code == 404
    ok(post(rita, case, "answer", {"answers": {}}))  # keeps the current answer: confirmed
    assert get(rita, case)["status"] == "Work in Progress"


def test_a_stale_version_is_a_conflict(case, rita, dan):
    ok(post(dan, case, "ask", {"fields": ["quote_url"]}))
    response = post(rita, case, "answer", {"answers": {}, "version": 1})
    assert response.status_code == 409


def test_the_case_list_shows_open_requests_without_a_query_per_case(
    rep, opportunity, deal_desk_agent, rita, dan
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def listed() -> tuple[int, list[dict[str, Any]]]:
        with CaptureQueriesContext(connection) as queries:
            response = rita.get("/api/v1/cases?mine=true")
        assert response.status_code == 200, response.content
        return len(queries), response.json()["items"]

    cases = [take_case(quote_question(rep, opportunity), agent=deal_desk_agent) for _ in range(3)]
    ok(post(dan, cases[0], "ask", {"fields": ["quote_url"]}))
    listed()  # warm: the first call of a token writes when it was last used
    one, items = listed()
    for case in cases[1:]:
        ok(post(dan, case, "ask", {"fields": ["quote_url"]}))
    three, items = listed()
    assert one == three
    assert [[f["name"] for f in i["info_request"]["fields"]] for i in items] == [["quote_url"]] * 3
