"""POST /cases in one JSON call, GET a case, list mine; every error of a request in one 422."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from supportdesk.cases.models import Attachment, Case, CaseEvent, Upload
from supportdesk.cases.services import create_upload
from tests.factories import RecordShareFactory, UserFactory

pytestmark = pytest.mark.django_db

CASE_KEYS = {
    "number",
    "rating",
    "sla",
    "status",
    "team",
    "request_type",
    "sub_request",
    "subject",
    "priority",
    "urgent_reason",
    "description",
    "needed_by",
    "owner",
    "requester",
    "record",
    "parent",
    "duplicate_of",
    "details",
    "attachments",
    "watchers",
    "version",
    "resolution",
    "resolution_note",
    "created_at",
    "first_response_at",
    "closed_at",
    "actions",
    "url",
    "info_requests",
    "info_request",
}
PRIVATE_OFFER = {
    "quote_url": "https://crm.example.com/quotes/Q-1",
    "marketplace": "AWS",
    "customer_billing_id": "1234-5678-9012",
    "offer_contact_name": "Pat Buyer",
    "offer_contact_email": "pat@acme.example",
}


# Several requests of one kind on one record on purpose: say they are not duplicates.
NOT_A_DUPLICATE = {"confirm_not_duplicate": True, "not_duplicate_reason": "Another offer."}


def private_offer(**overrides):
    body = {
        "record": "006ACME0001",
        "team": "Deal Desk",
        "request_type": "Quote Help",
        "sub_request": "Private Offer",
        "priority": "High",
        "description": "The customer buys through **AWS** this quarter.",
        "details": dict(PRIVATE_OFFER),
    }
    return body | overrides


def po_exception(confirmation, **details):
    return private_offer(
        request_type="Opportunity Help",
        sub_request="PO Exception",
        details={
            "po_exception_type": "PO not required for this transaction",
            "customer_confirmation": [confirmation],
            **details,
        },
    )


def upload(user, name="confirmation.pdf"):
    return create_upload(user, file=SimpleUploadedFile(name, b"%PDF-1.4", "application/pdf"))


def errors_of(response):
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert all(set(e) == {"field", "message"} for e in errors)
    return {e["field"]: e["message"] for e in errors}


# --- creating -----------------------------------------------------------------------------


def test_the_rep_creates_a_case_and_gets_201_with_the_case(rep_api, rep, opportunity):
    response = rep_api.post_json("/api/v1/cases", private_offer(needed_by="2099-01-31"))
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    case = Case.objects.get()
    body = response.json()
    assert set(body) == CASE_KEYS
    assert body == body | {
        "number": case.number,
        "status": "New",
        "team": "Deal Desk",
        "request_type": "Quote Help",
        "sub_request": "Private Offer",
        "subject": "Quote Help / Private Offer — Acme Corp — FY27 Renewal",
        "priority": "High",
        "urgent_reason": "",
        "description": "The customer buys through **AWS** this quarter.",
        "needed_by": "2099-01-31",
        "owner": None,
        "requester": "rita",
        "record": "006ACME0001",
        "details": PRIVATE_OFFER,
        "attachments": [],
        "watchers": ["rita"],
        "version": 1,
        "resolution": None,
        "resolution_note": "",
        "first_response_at": None,
        "closed_at": None,
        "actions": ["add_watcher", "comment", "edit", "withdraw"],
        "url": f"http://127.0.0.1:8000/cases/{case.number}/",
    }
    assert len(body["number"]) == 8
    created_at = dt.datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    assert abs(created_at - case.created_at) < dt.timedelta(milliseconds=1)  # JSON keeps ms
    assert (case.requester, case.record, case.team.name) == (rep, opportunity, "Deal Desk")
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.CREATED).count() == 1


def test_the_team_may_be_named_by_its_alias(rep_api, opportunity):
    body = private_offer(
        team="Billing Team", request_type="Currency Related Questions", sub_request=None, details={}
    )
    response = rep_api.post_json("/api/v1/cases", body)
    assert response.status_code == 201, response.content
    assert response.json()["team"] == "Billing"


@pytest.mark.parametrize(
    ("given", "stored", "shown"),
    [("urgent", "urgent", "Urgent"), ("Low", "low", "Low"), ("medium", "medium", "Medium")],
)
def test_priority_accepts_labels_and_lowercase_values(rep_api, opportunity, given, stored, shown):
    body = private_offer(priority=given, urgent_reason="Quarter closes Friday.")
    response = rep_api.post_json("/api/v1/cases", body)
    assert response.status_code == 201, response.content
    assert response.json()["priority"] == shown
    assert Case.objects.get().priority == stored


def test_priority_defaults_to_medium(rep_api, opportunity):
    body = private_offer()
    del body["priority"]
    response = rep_api.post_json("/api/v1/cases", body)
    assert response.json()["priority"] == "Medium"


def test_a_user_with_an_edit_share_may_request_support(api_client, other_rep, shared_edit):
    response = api_client(other_rep).post_json("/api/v1/cases", private_offer())
    assert response.status_code == 201
    assert response.json()["requester"] == "oscar"


def test_a_session_user_creates_a_case(client, rep, opportunity):
    client.force_login(rep)
    response = client.post("/api/v1/cases", private_offer(), "application/json")
    assert response.status_code == 201


# --- the 422s -----------------------------------------------------------------------------


def test_missing_answers_are_named_one_error_per_field(rep_api, opportunity):
    errors = errors_of(rep_api.post_json("/api/v1/cases", private_offer(details={})))
    assert set(errors) == {f"details.{name}" for name in PRIVATE_OFFER}
    assert not Case.objects.exists()


def test_a_bad_picklist_value_is_named(rep_api, opportunity):
    body = private_offer(details=PRIVATE_OFFER | {"marketplace": "Azure"})
    errors = errors_of(rep_api.post_json("/api/v1/cases", body))
    assert set(errors) == {"details.marketplace"}


def test_a_conditional_requirement_is_explained(rep_api, opportunity):
    body = private_offer(details=PRIVATE_OFFER | {"marketplace": "GCP"})
    errors = errors_of(rep_api.post_json("/api/v1/cases", body))
    assert errors == {
        "details.gcp_payment_method": "This field is required when Marketplace is “GCP”."
    }


def test_an_answer_to_a_field_that_does_not_exist_is_named(rep_api, opportunity):
    body = private_offer(details=PRIVATE_OFFER | {"po_numbr": "123"})
    assert set(errors_of(rep_api.post_json("/api/v1/cases", body))) == {"details.po_numbr"}


def test_all_errors_come_back_in_one_response(rep_api, opportunity):
    body = private_offer(
        priority="Urgent",
        description="  ",
        needed_by="2000-01-01",
        details={"marketplace": "AWS"},
        attachments=[str(uuid.uuid4())],
    )
    errors = errors_of(rep_api.post_json("/api/v1/cases", body))
    assert set(errors) == {
        "urgent_reason",
        "description",
        "needed_by",
        "attachments",
        "details.quote_url",
        "details.customer_billing_id",
        "details.offer_contact_name",
        "details.offer_contact_email",
    }
    assert not Case.objects.exists()


def test_an_unknown_priority_is_named(rep_api, opportunity):
    errors = errors_of(rep_api.post_json("/api/v1/cases", private_offer(priority="Critical")))
    assert errors == {"priority": "Choose one of Low, Medium, High, Urgent."}


def test_an_unknown_team_is_named_with_the_valid_teams(rep_api, opportunity):
    body = private_offer(team="Deal Desks", description="")
    errors = errors_of(rep_api.post_json("/api/v1/cases", body))
    assert set(errors) == {"team", "description"}  # resolution and submission errors together
    assert "“Deal Desk”" in errors["team"]
    assert "“Billing”" in errors["team"]


def test_a_team_that_does_not_serve_the_kind_is_named(rep_api, opportunity):
    body = private_offer(
        team="SalesDev & Marketing", request_type="Why was this Lead assigned to me?"
    )
    errors = errors_of(rep_api.post_json("/api/v1/cases", body))
    assert set(errors) == {"team"}
    assert (
        "Sales Development & Marketing takes no requests on Opportunity records" in errors["team"]
    )


def test_an_unknown_request_type_lists_the_valid_ones_for_the_team_and_kind(rep_api, opportunity):
    errors = errors_of(rep_api.post_json("/api/v1/cases", private_offer(request_type="Quotes")))
    assert set(errors) == {"request_type"}
    message = errors["request_type"]
    assert message.startswith("“Quotes” is not a request type of Deal Desk for Opportunity records")
    for name in ("Opportunity Help", "Quote Help", "Finance Use", "Other"):
        assert f"“{name}”" in message
    assert "Payment Portals" not in message  # another team's


def test_a_request_type_of_another_team_is_not_found(rep_api, opportunity):
    body = private_offer(team="Billing", request_type="Quote Help")
    assert set(errors_of(rep_api.post_json("/api/v1/cases", body))) == {"request_type"}


def test_an_unknown_sub_request_lists_the_valid_ones(rep_api, opportunity):
    errors = errors_of(rep_api.post_json("/api/v1/cases", private_offer(sub_request="Offer")))
    assert set(errors) == {"sub_request"}
    assert "“Private Offer”" in errors["sub_request"]


def test_a_missing_sub_request_is_named(rep_api, opportunity):
    errors = errors_of(rep_api.post_json("/api/v1/cases", private_offer(sub_request=None)))
    assert set(errors) == {"sub_request"}
    assert errors["sub_request"].startswith("Choose a sub-request of “Quote Help”")


def test_a_sub_request_for_a_type_without_any_is_named(rep_api, opportunity):
    body = private_offer(request_type="Other", sub_request="Private Offer", details={})
    assert set(errors_of(rep_api.post_json("/api/v1/cases", body))) == {"sub_request"}


def test_missing_team_and_request_type_are_named(rep_api, opportunity):
    body = private_offer(team="", request_type="")
    assert set(errors_of(rep_api.post_json("/api/v1/cases", body))) == {"team"}
    body = private_offer(request_type="")
    errors = errors_of(rep_api.post_json("/api/v1/cases", body))
    assert errors["request_type"].startswith("Choose a request type; choose one of")


# --- files --------------------------------------------------------------------------------


def test_uploaded_files_become_attachments(rep_api, rep, opportunity):
    first, second = upload(rep, "po.pdf"), upload(rep, "email.pdf")
    body = private_offer(attachments=[str(first.id), str(second.id)])
    response = rep_api.post_json("/api/v1/cases", body)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    attachments = response.json()["attachments"]
    assert [a["name"] for a in attachments] == ["po.pdf", "email.pdf"]
    pk = attachments[0]["id"]
    assert attachments[0] == {
        "id": pk,
        "name": "po.pdf",
        "size": 8,
        "content_type": "application/pdf",
        "field_name": "",
        "url": f"http://127.0.0.1:8000/cases/{case.number}/attachments/{pk}/",
        "download_url": f"http://127.0.0.1:8000/api/v1/cases/{case.number}/attachments/{pk}/download",
    }
    assert not Upload.objects.exists()


def test_a_file_field_is_answered_with_an_upload_id(rep_api, rep, opportunity):
    confirmation = upload(rep)
    response = rep_api.post_json("/api/v1/cases", po_exception(str(confirmation.id)))
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert response.json()["details"]["customer_confirmation"] == [attachment.pk]
    assert response.json()["attachments"][0]["field_name"] == "customer_confirmation"


def test_a_file_field_answer_that_is_not_an_upload_id_is_named(rep_api, opportunity):
    errors = errors_of(rep_api.post_json("/api/v1/cases", po_exception("my-file.pdf")))
    assert errors == {
        "details.customer_confirmation": (
            "“my-file.pdf” is not an upload id: upload the file first and send the id you get."
        )
    }
    assert not Case.objects.exists()


def test_another_users_upload_cannot_be_attached(rep_api, other_rep, opportunity):
    theirs = upload(other_rep)
    body = private_offer(attachments=[str(theirs.id)])
    errors = errors_of(rep_api.post_json("/api/v1/cases", body))
    assert set(errors) == {"attachments"}
    assert str(theirs.id) in errors["attachments"]
    assert Upload.objects.filter(id=theirs.id).exists()


def test_an_expired_upload_cannot_be_attached(rep_api, rep, opportunity):
    old = upload(rep)
    Upload.objects.filter(id=old.id).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    errors = errors_of(rep_api.post_json("/api/v1/cases", private_offer(attachments=[str(old.id)])))
    assert set(errors) == {"attachments"}


# --- idempotency --------------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_same_case_with_200(rep_api, opportunity):
    first = rep_api.post_json("/api/v1/cases", private_offer(), HTTP_IDEMPOTENCY_KEY="abc-1")
    again = rep_api.post_json("/api/v1/cases", private_offer(), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Case.objects.count() == 1
    other = rep_api.post_json(
        "/api/v1/cases", private_offer(**NOT_A_DUPLICATE), HTTP_IDEMPOTENCY_KEY="abc-2"
    )
    assert other.status_code == 201
    assert other.json()["number"] != first.json()["number"]


def test_two_users_with_the_same_key_get_two_cases(api_client, rep, other_rep, shared_edit):
    first = api_client(rep).post_json("/api/v1/cases", private_offer(), HTTP_IDEMPOTENCY_KEY="k")
    second = api_client(other_rep).post_json(
        "/api/v1/cases", private_offer(**NOT_A_DUPLICATE), HTTP_IDEMPOTENCY_KEY="k"
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert Case.objects.count() == 2


def test_without_a_key_every_post_creates_a_case(rep_api, opportunity):
    rep_api.post_json("/api/v1/cases", private_offer())
    rep_api.post_json("/api/v1/cases", private_offer(**NOT_A_DUPLICATE))
    assert Case.objects.count() == 2


def test_an_overlong_idempotency_key_is_named(rep_api, opportunity):
    response = rep_api.post_json("/api/v1/cases", private_offer(), HTTP_IDEMPOTENCY_KEY="k" * 151)
    assert set(errors_of(response)) == {"Idempotency-Key"}


# --- access -------------------------------------------------------------------------------


def test_a_record_one_cannot_read_is_a_404_and_nothing_is_created(
    api_client, outsider, opportunity
):
    response = api_client(outsider).post_json("/api/v1/cases", private_offer())
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert not Case.objects.exists()


def test_an_unknown_record_is_a_404(rep_api):
    assert rep_api.post_json("/api/v1/cases", private_offer(record="006NOPE")).status_code == 404


def test_read_access_only_is_a_403_and_nothing_is_created(api_client, other_rep, shared_read):
    response = api_client(other_rep).post_json("/api/v1/cases", private_offer(team="Nope"))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "edit access" in response.json()["detail"]
    assert not Case.objects.exists()


def test_an_unreadable_record_is_a_404_even_with_other_errors(api_client, outsider, opportunity):
    client = api_client(outsider)
    for body in (po_exception("not-an-id"), private_offer(team="Nope", description="")):
        assert client.post_json("/api/v1/cases", body).status_code == 404
    assert not Case.objects.exists()


def test_read_access_only_is_a_403_even_with_bad_file_ids(api_client, other_rep, shared_read):
    response = api_client(other_rep).post_json("/api/v1/cases", po_exception("not-an-id"))
    assert response.status_code == 403


# --- reading ------------------------------------------------------------------------------


@pytest.fixture
def case(rep_api, opportunity):
    response = rep_api.post_json("/api/v1/cases", private_offer())
    assert response.status_code == 201
    return response.json()


def test_the_requester_reads_the_case(rep_api, case):
    response = rep_api.get(f"/api/v1/cases/{case['number']}")
    assert response.status_code == 200
    assert response.json() == case


@pytest.mark.parametrize("who", ["deal_desk_agent", "admin_user"])
def test_the_owning_team_and_admins_read_the_case(api_client, request, who, case):
    client = api_client(request.getfixturevalue(who))
    body = client.get(f"/api/v1/cases/{case['number']}").json()
    assert body | {"actions": case["actions"]} == case  # the actions are the caller's own
    assert {"assign", "close", "internal_note"} <= set(body["actions"])


@pytest.mark.parametrize("who", ["outsider", "billing_agent"])
def test_an_outsider_and_an_agent_of_another_team_get_404(api_client, request, who, case):
    response = api_client(request.getfixturevalue(who)).get(f"/api/v1/cases/{case['number']}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("number", ["99999999", "not-a-number"])
def test_a_missing_case_is_a_404(rep_api, number):
    assert rep_api.get(f"/api/v1/cases/{number}").status_code == 404


def test_my_cases_are_listed_newest_first(api_client, rep_api, other_rep, shared_edit):
    first = rep_api.post_json("/api/v1/cases", private_offer()).json()
    api_client(other_rep).post_json("/api/v1/cases", private_offer(**NOT_A_DUPLICATE))
    second = rep_api.post_json("/api/v1/cases", private_offer(**NOT_A_DUPLICATE)).json()
    page = rep_api.get("/api/v1/cases?mine=true").json()
    assert [c["number"] for c in page["items"]] == [second["number"], first["number"]]
    assert page["items"][0] == second
    assert page["next_cursor"] is None
    everything = rep_api.get("/api/v1/cases").json()["items"]  # the rep owns the record
    assert len(everything) == 3


def test_the_case_list_is_paginated_by_cursor(rep_api, opportunity):
    numbers = [
        rep_api.post_json("/api/v1/cases", private_offer(**NOT_A_DUPLICATE)).json()["number"]
        for _ in range(5)
    ]
    page = rep_api.get("/api/v1/cases?mine=true&limit=2").json()
    seen = [c["number"] for c in page["items"]]
    while page["next_cursor"]:
        page = rep_api.get(f"/api/v1/cases?mine=true&limit=2&cursor={page['next_cursor']}").json()
        seen += [c["number"] for c in page["items"]]
    assert seen == numbers[::-1]


def test_the_list_shows_nothing_the_caller_may_not_see(api_client, outsider, case):
    assert api_client(outsider).get("/api/v1/cases").json()["items"] == []
    assert api_client(outsider).get("/api/v1/cases?mine=true").json()["items"] == []


# --- cost ---------------------------------------------------------------------------------

# token + user, record, request type + team, its sub-requests; the duplicate check (the same
# request on the record, similar text on the account); then submit_case's transaction:
# savepoint, case, event, watcher, the requester's confirmation (preferences, notification,
# email task, delivery), the team's agents (none here), release (BEGIN/COMMIT outside tests);
# then for the answer, the watchers and the caller's role in the team (for `actions`); and
# the team's SLA settings for the clock (hours, policies: cached, read here as the cache is new);
# the dashboards' rollups (reports.rollups): the case's facts, its day's and its month's rows
# (an update each; here, the first case of both, a savepoint and an insert each), and the
# case's rollup state; the active webhook subscriptions (cached; read here as the cache is new).
POST_CASE_QUERIES = 33


def test_creating_a_case_takes_a_fixed_small_number_of_queries(
    rep_api, opportunity, django_assert_max_num_queries
):
    rep_api.get("/api/v1/records")  # the token's last_used_at is written once
    with django_assert_max_num_queries(POST_CASE_QUERIES):
        assert rep_api.post_json("/api/v1/cases", private_offer()).status_code == 201


def test_a_shared_user_with_a_key_and_files_needs_few_more(
    api_client, other_rep, shared_edit, django_assert_max_num_queries
):
    client = api_client(other_rep)
    client.get("/api/v1/records")
    file = upload(other_rep)
    body = private_offer(attachments=[str(file.id)])
    # + idempotency lookup (and again before the duplicate check), memberships + edit-share
    # check, uploads; attachments insert, uploads deleted (select, drafts link, delete),
    # attachments read back for the response
    with django_assert_max_num_queries(POST_CASE_QUERIES + 10):
        response = client.post_json("/api/v1/cases", body, HTTP_IDEMPOTENCY_KEY="once")
    assert response.status_code == 201


def test_a_case_of_a_user_created_elsewhere_is_readable_through_its_record(
    api_client, rep, opportunity, case
):
    editor = UserFactory(username="eddie")
    RecordShareFactory(record=opportunity, user=editor, level="edit")
    assert api_client(editor).get(f"/api/v1/cases/{case['number']}").status_code == 200
