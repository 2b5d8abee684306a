"""One error format everywhere: RFC 9457 problem details; 422s name each field."""

from __future__ import annotations

import pytest
from django.test import Client

from supportdesk.api import catalog
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def test_a_body_that_is_not_json_is_a_400_problem(rep_api):
    response = rep_api.post("/api/v1/cases", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert set(response.json()) == PROBLEM_KEYS


def test_a_missing_body_is_a_422_naming_the_body(rep_api):
    response = rep_api.post("/api/v1/cases", "", content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "message": "This field is required."}]


def test_shape_errors_name_fields_as_dotted_paths_without_the_body_prefix(rep_api):
    body = {"record": "006ACME0001", "details": [], "attachments": ["a-uuid?"], "needed_by": "soon"}
    response = rep_api.post_json("/api/v1/cases", body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "about:blank"
    assert problem["title"] == "Unprocessable Entity"
    assert problem["status"] == 422
    assert {e["field"] for e in problem["errors"]} == {"details", "attachments.0", "needed_by"}
    assert all(set(e) == {"field", "message"} and e["message"] for e in problem["errors"])


def test_a_missing_required_field_is_named(rep_api):
    response = rep_api.post_json("/api/v1/cases", {"team": "Deal Desk"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "record", "message": "This field is required."}]


def test_query_parameter_errors_name_the_parameter(rep_api):
    response = rep_api.get("/api/v1/records?limit=500")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["limit"]


def test_not_found_is_a_404_problem(rep_api):
    response = rep_api.get("/api/v1/records/NOPE")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() | {"detail": "-"} == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "-",
    }


def test_an_unexpected_error_is_a_500_problem_without_details(rep, monkeypatch):
    def broken(kind):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(catalog, "catalog_for", broken)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {make_token(rep)}")
    response = client.get("/api/v1/catalog?kind=lead")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert "fire" not in response.json()["detail"]
