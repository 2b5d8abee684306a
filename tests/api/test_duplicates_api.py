"""POST /cases answers 409 with the possible duplicates unless the caller says why not."""

from __future__ import annotations

from supportdesk.cases.models import Case, CaseEvent
from tests.api.test_cases_api import private_offer

REASON = {"confirm_not_duplicate": True, "not_duplicate_reason": "A second offer, for Azure."}


def test_the_same_request_again_is_a_409_listing_the_open_case(rep_api, opportunity):
    first = rep_api.post_json("/api/v1/cases", private_offer()).json()
    response = rep_api.post_json("/api/v1/cases", private_offer(description="Same again."))
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    [candidate] = response.json()["candidates"]
    assert candidate["number"] == first["number"]
    assert candidate["status"] == "New" and candidate["owner"] is None
    assert candidate["reasons"] == ["Same record, team and request type"]
    assert candidate["url"].endswith(f"/cases/{first['number']}/")
    assert Case.objects.count() == 1


def test_confirming_needs_a_reason_which_is_kept_with_the_case(rep_api, opportunity):
    first = rep_api.post_json("/api/v1/cases", private_offer()).json()
    body = private_offer(confirm_not_duplicate=True, not_duplicate_reason=" ")
    response = rep_api.post_json("/api/v1/cases", body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "not_duplicate_reason", "message": "Say why this is not a duplicate."}
    ]
    created = rep_api.post_json("/api/v1/cases", private_offer(**REASON))
    assert created.status_code == 201
    event = Case.objects.get(pk=int(created.json()["number"])).events.get(kind=CaseEvent.CREATED)
    assert event.data["not_duplicate"] == {
        "reason": "A second offer, for Azure.",
        "candidates": [first["number"]],
    }


def test_a_missing_reason_is_reported_with_the_other_errors(rep_api, opportunity):
    body = private_offer(description="", confirm_not_duplicate=True)
    fields = {e["field"] for e in rep_api.post_json("/api/v1/cases", body).json()["errors"]}
    assert {"description", "not_duplicate_reason"} <= fields


def test_a_retried_submit_returns_its_case_not_a_409(rep_api, opportunity):
    first = rep_api.post_json("/api/v1/cases", private_offer(), HTTP_IDEMPOTENCY_KEY="once")
    again = rep_api.post_json("/api/v1/cases", private_offer(), HTTP_IDEMPOTENCY_KEY="once")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]


def test_without_edit_access_the_answer_is_404_not_the_candidates(
    api_client, rep_api, other_rep, opportunity
):
    rep_api.post_json("/api/v1/cases", private_offer())
    response = api_client(other_rep).post_json("/api/v1/cases", private_offer())
    assert response.status_code == 404
    assert "candidates" not in response.json()


def test_invalid_requests_get_their_422_before_any_duplicate_check(rep_api, opportunity):
    rep_api.post_json("/api/v1/cases", private_offer())
    response = rep_api.post_json("/api/v1/cases", private_offer(priority="Whenever"))
    assert response.status_code == 422
