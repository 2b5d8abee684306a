"""POST /cases/{number}/add-details: a would-be duplicate goes onto the open case instead."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from supportdesk.cases.models import CaseEvent
from supportdesk.cases.services import create_upload, submit_case
from supportdesk.catalog.queries import resolve_choice
from supportdesk.notify.models import Notification
from tests.factories import UserFactory, quote_question

DETAILS = "Same ramp, but the customer now asks for a 24-month term."


def add_details(client, number: str, body: dict, **extra):
    path = f"/api/v1/cases/{number}/add-details"
    return client.post(path, body, content_type="application/json", **extra)


def pdf(user):
    return create_upload(user, file=SimpleUploadedFile("terms.pdf", b"%PDF-1.4", "application/pdf"))


def test_the_details_become_a_comment_and_the_caller_a_watcher(
    api_client, rep, other_rep, opportunity, shared_edit
):
    case = quote_question(rep, opportunity)
    upload = pdf(other_rep)
    body = {"description": DETAILS, "attachments": [str(upload.id)]}
    response = add_details(api_client(other_rep), case.number, body)
    assert response.status_code == 201
    assert "oscar" in response.json()["watchers"]
    comment = case.events.get(kind=CaseEvent.COMMENTED)
    assert comment.actor == other_rep
    assert DETAILS in comment.data["body"]
    assert "Quote Help / Quote Question" in comment.data["body"]
    assert [a.name for a in comment.attachments.all()] == ["terms.pdf"]
    added = case.events.get(kind=CaseEvent.DETAILS_ADDED)
    assert added.data["comment"] == comment.pk and added.data["files"] == 1
    assert case.watcher_links.filter(user=other_rep).exists()
    assert Notification.objects.filter(user=rep, case=case, kind="comment.added").exists()


def test_a_retry_with_the_same_key_adds_nothing(
    api_client, rep, other_rep, opportunity, shared_edit
):
    case = quote_question(rep, opportunity)
    client = api_client(other_rep)
    first = add_details(client, case.number, {"description": DETAILS}, HTTP_IDEMPOTENCY_KEY="k")
    again = add_details(client, case.number, {"description": DETAILS}, HTTP_IDEMPOTENCY_KEY="k")
    assert (first.status_code, again.status_code) == (201, 200)
    assert case.events.filter(kind=CaseEvent.DETAILS_ADDED).count() == 1
    other = add_details(client, case.number, {"description": DETAILS}, HTTP_IDEMPOTENCY_KEY="k2")
    assert other.status_code == 201
    assert case.events.filter(kind=CaseEvent.COMMENTED).count() == 2


def test_a_case_the_caller_cannot_see_is_a_404(api_client, rep, opportunity):
    case = quote_question(rep, opportunity)
    stranger = UserFactory(username="stan")
    response = add_details(api_client(stranger), case.number, {"description": DETAILS})
    assert response.status_code == 404
    assert not case.watcher_links.filter(user=stranger).exists()
    assert not case.events.filter(kind=CaseEvent.DETAILS_ADDED).exists()


def test_errors_name_the_field_and_change_nothing(
    api_client, rep, other_rep, opportunity, shared_edit
):
    case = quote_question(rep, opportunity)
    client = api_client(other_rep)
    empty = add_details(client, case.number, {"description": "  "})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "description"
    missing = add_details(client, case.number, {})
    assert [e["field"] for e in missing.json()["errors"]] == ["description"]
    not_mine = pdf(rep)  # uploads are their uploader's alone
    body = {"description": DETAILS, "attachments": [str(not_mine.id)]}
    foreign = add_details(client, case.number, body)
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "attachments"
    assert not case.watcher_links.filter(user=other_rep).exists()
    assert not case.events.filter(kind=CaseEvent.COMMENTED).exists()


def test_answers_to_the_cases_fields_are_listed_and_recorded_by_name(
    api_client, rep, other_rep, opportunity, shared_edit
):
    case = quote_question(rep, opportunity)
    body = {"description": DETAILS, "details": {"quote_url": "https://crm.example.com/q/2"}}
    response = add_details(api_client(other_rep), case.number, body)
    assert response.status_code == 201, response.content
    comment = case.events.get(kind=CaseEvent.COMMENTED)
    assert "**Quote:** https://crm.example.com/q/2" in comment.data["body"]
    added = case.events.get(kind=CaseEvent.DETAILS_ADDED)
    assert added.data["fields"] == [{"name": "quote_url", "label": "Quote"}]
    rep_client = api_client(rep)
    feed = rep_client.get(f"/api/v1/cases/{case.number}/events").json()["items"]
    assert any(e["data"].get("fields") == added.data["fields"] for e in feed)


def test_without_answers_the_event_lists_no_fields(
    api_client, rep, other_rep, opportunity, shared_edit
):
    case = quote_question(rep, opportunity)
    response = add_details(api_client(other_rep), case.number, {"description": DETAILS})
    assert response.status_code == 201
    assert case.events.get(kind=CaseEvent.DETAILS_ADDED).data["fields"] == []


def test_wrong_answers_are_422s_naming_the_field_and_change_nothing(
    api_client, rep, other_rep, opportunity, shared_edit
):
    case = quote_question(rep, opportunity)
    client = api_client(other_rep)
    body = {"description": " ", "details": {"quote_url": "not a url", "quote_ur": "x"}}
    response = add_details(client, case.number, body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"description", "details.quote_url", "details.quote_ur"}
    assert not case.events.filter(kind=CaseEvent.COMMENTED).exists()
    assert not case.watcher_links.filter(user=other_rep).exists()


def error_message_case(requester, record):
    choice = resolve_choice(
        "opportunity", team="Deal Desk", request_type="Quote Help", sub_request="Error Message"
    )
    answers = {
        "quote_url": "https://crm.example.com/q/1",
        "error_message": "Approval matrix missing",
        "action_attempted": "Submitting for approval",
        "error_screenshot": [str(pdf(requester).id)],
    }
    return submit_case(
        requester,
        record=record,
        request_type=choice.request_type,
        sub_request=choice.sub_request,
        description="The quote will not submit.",
        answers=answers,
    ).case


def test_a_file_answer_is_attached_and_only_the_callers_own_files_are_taken(
    api_client, rep, other_rep, opportunity, shared_edit
):
    case = error_message_case(rep, opportunity)
    client = api_client(other_rep)
    not_mine = pdf(rep)
    refused = add_details(
        client,
        case.number,
        {"description": DETAILS, "details": {"error_screenshot": [str(not_mine.id)]}},
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["details.error_screenshot"]
    assert not case.events.filter(kind=CaseEvent.DETAILS_ADDED).exists()

    mine = pdf(other_rep)
    body = {
        "description": DETAILS,
        "details": {"error_screenshot": [str(mine.id)], "action_attempted": "Re-submitting"},
    }
    assert add_details(client, case.number, body).status_code == 201
    added = case.events.get(kind=CaseEvent.DETAILS_ADDED)
    assert [f["name"] for f in added.data["fields"]] == ["action_attempted", "error_screenshot"]
    assert added.data["files"] == 1
    comment = case.events.filter(kind=CaseEvent.COMMENTED).latest("pk")
    assert "**Screenshot of the error:** terms.pdf" in comment.data["body"]
    assert [a.name for a in comment.attachments.all()] == ["terms.pdf"]
