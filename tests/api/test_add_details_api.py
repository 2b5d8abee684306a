"""POST /cases/{number}/add-details: a would-be duplicate goes onto the open case instead."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from supportdesk.cases.models import CaseEvent
from supportdesk.cases.services import create_upload
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
