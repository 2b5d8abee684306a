"""POST /cases/{number}/merge: close a case as a duplicate of another (issue 6)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supportdesk.cases.actions import close_case, take_case
from supportdesk.cases.models import Case, CaseEvent, Resolution, Status
from supportdesk.cases.services import create_upload
from supportdesk.notify.models import Notification
from tests.factories import RecordShareFactory, quote_question
from tests.web.conftest import make_case, request_type

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def master(rep, opportunity, deal_desk_agent) -> Case:
    return take_case(quote_question(rep, opportunity), agent=deal_desk_agent)


@pytest.fixture
def duplicate(other_rep, opportunity) -> Case:
    RecordShareFactory(record=opportunity, user=other_rep, level="edit")
    upload = create_upload(
        other_rep, file=SimpleUploadedFile("ramp.pdf", b"%PDF-1.4 ramp", "application/pdf")
    )
    return quote_question(other_rep, opportunity, attachment_ids=[str(upload.id)])


@pytest.fixture
def dan(api_client, deal_desk_agent):
    return api_client(deal_desk_agent)


def merge(client: Any, case: Case, body: dict) -> Any:
    return client.post_json(f"/api/v1/cases/{case.number}/merge", body)


def problem(response: Any, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return response.json()


def test_an_agent_merges_a_duplicate_and_gets_it_back_closed(dan, duplicate, master, other_rep):
    response = merge(dan, duplicate, {"into": master.number, "reason": "Same ramp question"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == duplicate.number and body["duplicate_of"] == master.number
    assert body["status"] == "Closed" and body["resolution"] == Resolution.DUPLICATE
    assert body["resolution_note"] == f"Merged into case {master.number}: Same ramp question"
    assert "merge" not in body["actions"]

    seen = dan.get(f"/api/v1/cases/{master.number}").json()
    assert seen["duplicate_of"] is None and other_rep.username in seen["watchers"]
    assert [a["name"] for a in seen["attachments"]] == ["ramp.pdf"]
    assert Notification.objects.filter(user=other_rep, kind="case.merged", case=master).exists()


def test_both_feeds_show_the_merge_in_the_events(dan, duplicate, master):
    merge(dan, duplicate, {"into": master.number, "reason": "Same"})
    for case in (duplicate, master):
        events = dan.get(f"/api/v1/cases/{case.number}/events").json()["items"]
        merged = [e for e in events if e["kind"] == CaseEvent.MERGED]
        assert len(merged) == 1
        assert merged[0]["data"]["from"] == duplicate.number
        assert merged[0]["data"]["into"] == master.number


def test_the_merge_action_is_listed_for_the_team_only(dan, api_client, duplicate, other_rep):
    assert "merge" in dan.get(f"/api/v1/cases/{duplicate.number}").json()["actions"]
    mine = api_client(other_rep).get(f"/api/v1/cases/{duplicate.number}").json()
    assert "merge" not in mine["actions"]


def test_a_duplicate_the_caller_cannot_see_is_404(api_client, outsider, duplicate, master):
    response = merge(api_client(outsider), duplicate, {"into": master.number, "reason": "x"})
    problem(response, 404)
    assert Case.objects.get(pk=duplicate.pk).status == Status.NEW


def test_an_agent_of_another_team_cannot_merge_what_they_cannot_see(
    api_client, billing_agent, duplicate, master
):
    response = merge(api_client(billing_agent), duplicate, {"into": master.number, "reason": "x"})
    problem(response, 404)


def test_a_master_the_caller_cannot_see_is_404_like_a_missing_one(dan, duplicate, rep, opportunity):
    billing = make_case(rep, opportunity, request_type=request_type("Billing", "Internal Support"))
    hidden = problem(merge(dan, duplicate, {"into": billing.number, "reason": "Same"}), 404)
    missing = problem(merge(dan, duplicate, {"into": "99999999", "reason": "Same"}), 404)
    assert hidden["detail"] == f"There is no case {billing.number} that you can see."
    assert missing["detail"] == "There is no case 99999999 that you can see."
    assert Case.objects.get(pk=duplicate.pk).duplicate_of is None


def test_the_requester_who_sees_both_may_not_merge(api_client, other_rep, duplicate, master):
    response = merge(api_client(other_rep), duplicate, {"into": master.number, "reason": "Same"})
    assert "cannot merge" in problem(response, 403)["detail"]


def test_a_closed_duplicate_is_refused(dan, duplicate, master, deal_desk_agent):
    close_case(duplicate, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    response = merge(dan, duplicate, {"into": master.number, "reason": "Same"})
    assert "is closed" in problem(response, 403)["detail"]


def test_invalid_merges_name_their_fields(dan, duplicate, master, deal_desk_agent):
    body = problem(merge(dan, duplicate, {}), 422)
    assert {e["field"] for e in body["errors"]} == {"into", "reason"}
    same = problem(merge(dan, duplicate, {"into": duplicate.number, "reason": "x"}), 422)
    assert same["errors"] == [
        {"field": "into", "message": "Choose another case: a case cannot be merged into itself."}
    ]
    close_case(master, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    closed = problem(merge(dan, duplicate, {"into": master.number, "reason": "x"}), 422)
    assert closed["errors"][0]["field"] == "into" and "is closed" in closed["errors"][0]["message"]
    assert Case.objects.get(pk=duplicate.pk).status == Status.NEW


def test_a_stale_version_is_409_and_changes_nothing(dan, duplicate, master):
    body = {"into": master.number, "reason": "Same", "version": duplicate.version + 5}
    conflict = problem(merge(dan, duplicate, body), 409)
    assert conflict["version"] == duplicate.version
    assert Case.objects.get(pk=duplicate.pk).status == Status.NEW
