"""Mass assignment: a field a body does not define is refused with a 422 naming it, on every
route that creates or changes something, and nothing changes. What a role may not set
through a defined field (an internal note by a requester, a broader token, a view for
everyone) is refused too."""

from __future__ import annotations

from typing import Any

import pytest

from supportdesk.cases.models import Case, CaseEvent
from supportdesk.lists.models import ListView
from supportdesk.people.models import ApiToken, Team
from supportdesk.records.models import Record
from supportdesk.webhooks.models import WebhookEndpoint
from tests.factories import quote_question

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases"
# Fields that the server sets: a caller naming any of them is refused.
SERVER_FIELDS = {
    "id": 999,
    "number": "C-999999",
    "status": "closed",
    "owner": "dan",
    "owner_id": 1,
    "requester": "oscar",
    "requester_id": 1,
    "created_at": "2020-01-01T00:00:00Z",
    "updated_at": "2020-01-01T00:00:00Z",
    "closed_at": "2020-01-01T00:00:00Z",
    "version": 7,
}
NEW_CASE = {
    "record": "006ACME0001",
    "team": "Deal Desk",
    "request_type": "Quote Help",
    "sub_request": "Quote Question",
    "description": "Which approval does this ramp need?",
    "details": {"quote_url": "https://crm.example.com/q/1"},
    "confirm_not_duplicate": True,
    "not_duplicate_reason": "Another quote.",
}


def refused(response: Any, field: str) -> None:
    """A 422 problem whose `errors` name `field` as not permitted."""
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors.get(field) == "Extra inputs are not permitted", errors


def patch(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.patch(path, body, content_type="application/json")


@pytest.fixture
def case(rep, opportunity, deal_desk_agent) -> Case:
    return quote_question(rep, opportunity)


# --- cases ---------------------------------------------------------------------------------


def test_the_create_body_without_extras_makes_a_case(rep_api, opportunity, deal_desk_agent):
    response = rep_api.post_json(CASES, NEW_CASE)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "New" and response.json()["owner"] is None


@pytest.mark.parametrize("field", sorted(set(SERVER_FIELDS) - {"version"}))
def test_a_new_case_cannot_set_what_the_server_sets(rep_api, opportunity, deal_desk_agent, field):
    response = rep_api.post_json(CASES, NEW_CASE | {field: SERVER_FIELDS[field]})
    refused(response, field)
    assert not Case.objects.exists()


@pytest.mark.parametrize("field", ["status", "owner", "team", "number", "requester", "closed_at"])
def test_an_edit_cannot_change_what_the_edit_does_not_name(rep_api, case, field):
    before = Case.objects.values().get(pk=case.pk)
    value = {"team": "Billing"} | SERVER_FIELDS
    response = patch(rep_api, f"{CASES}/{case.number}", {"subject": "New", field: value[field]})
    refused(response, field)
    assert Case.objects.values().get(pk=case.pk) == before


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("take", {"owner": "oscar"}),
        ("assign", {"assignee": "dan", "status": "closed"}),
        ("hold", {"reason": "Waiting", "owner": "oscar"}),
        ("close", {"resolution": "done", "note": "Done", "closed_at": "2020-01-01T00:00:00Z"}),
        ("move", {"team": "Billing", "request_type": "Other", "reason": "x", "requester": "x"}),
        ("priority", {"priority": "High", "status": "closed"}),
    ],
)
def test_case_actions_refuse_extra_fields(api_client, case, deal_desk_agent, action, body):
    before = Case.objects.values().get(pk=case.pk)
    response = api_client(deal_desk_agent).post_json(f"{CASES}/{case.number}/{action}", body)
    extra = next(k for k in body if k in SERVER_FIELDS)
    refused(response, extra)
    assert Case.objects.values().get(pk=case.pk) == before


@pytest.mark.parametrize(
    "field", ["is_internal", "author", "actor", "created_at", "kind", "id", "case"]
)
def test_a_comment_cannot_set_its_author_time_or_kind(rep_api, case, field):
    response = rep_api.post_json(f"{CASES}/{case.number}/comments", {"body": "Hi", field: 1})
    refused(response, field)
    assert not CaseEvent.objects.filter(kind="comment.added").exists()


def test_a_requester_cannot_write_an_internal_note(rep_api, case):
    body = {"body": "Psst", "internal": True}
    response = rep_api.post_json(f"{CASES}/{case.number}/comments", body)
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert not CaseEvent.objects.filter(kind="comment.added").exists()


def test_bulk_actions_refuse_extra_fields(api_client, case, deal_desk_agent):
    body = {"cases": [case.number], "action": "take", "status": "closed", "owner": "oscar"}
    response = api_client(deal_desk_agent).post_json(f"{CASES}/bulk", body)
    refused(response, "status")
    refused(response, "owner")
    assert Case.objects.get(pk=case.pk).owner is None


# --- list views, tokens, webhooks, records, teams ----------------------------------------


def test_a_list_view_cannot_set_its_owner_or_builtin(rep_api, other_rep):
    body = {"name": "Mine", "owner": "oscar", "builtin": True, "id": 1}
    response = rep_api.post_json("/api/v1/views", body)
    for field in ("owner", "builtin", "id"):
        refused(response, field)
    assert not ListView.objects.exists()


def test_a_list_view_for_everyone_is_for_admins_only(rep_api):
    response = rep_api.post_json("/api/v1/views", {"name": "All", "visibility": "everyone"})
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["visibility"]
    assert not ListView.objects.exists()


def test_a_list_view_change_cannot_give_it_away(rep_api, rep, other_rep):
    view = ListView.objects.create(owner=rep, name="Mine")
    response = patch(rep_api, f"/api/v1/views/{view.pk}", {"name": "Theirs", "owner": "oscar"})
    refused(response, "owner")
    view.refresh_from_db()
    assert (view.name, view.owner) == ("Mine", rep)


@pytest.mark.parametrize("field", ["user", "key_hash", "hint", "revoked_at", "last_used_at"])
def test_a_token_cannot_set_its_owner_or_secret(rep_api, field):
    response = rep_api.post_json("/api/v1/tokens", {"name": "ci", field: "oscar"})
    refused(response, field)
    assert ApiToken.objects.count() == 1  # only the caller's own


def test_a_read_write_token_cannot_come_from_a_read_token(api_client, rep):
    reader = api_client(rep, scope=ApiToken.Scope.READ)
    response = reader.post_json("/api/v1/tokens", {"name": "ci", "scope": "read+write"})
    assert response.status_code == 403
    assert not ApiToken.objects.filter(scope=ApiToken.Scope.READ_WRITE).exists()


def test_a_webhook_cannot_set_its_secret_or_creator(admin_api):
    body = {
        "url": "https://hooks.example.com/x",
        "event_kinds": ["case.created"],
        "secret": "known",
        "created_by": "oscar",
    }
    response = admin_api.post_json("/api/v1/webhooks", body)
    refused(response, "secret")
    refused(response, "created_by")
    assert not WebhookEndpoint.objects.exists()


def test_a_webhook_change_cannot_set_its_secret(admin_api, admin_user):
    hook = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/x", event_kinds=["case.created"], created_by=admin_user
    )
    secret = hook.secret
    response = patch(admin_api, f"/api/v1/webhooks/{hook.pk}", {"secret": "known"})
    refused(response, "secret")
    hook.refresh_from_db()
    assert hook.secret == secret


def test_a_record_upsert_cannot_set_its_id_or_times(admin_api):
    body = {"kind": "account", "name": "Acme", "external_id": "001X", "id": 5, "created_at": "x"}
    response = admin_api.post_json("/api/v1/records", body)
    refused(response, "id")
    refused(response, "created_at")
    assert not Record.objects.filter(external_id="001X").exists()


def test_bulk_shares_name_the_extra_field_of_each_item(admin_api, opportunity, other_rep):
    item = {"record": opportunity.external_id, "user": "oscar", "level": "edit", "owner": "x"}
    response = admin_api.post_json("/api/v1/records/shares", {"items": [item]})
    refused(response, "items.0.owner")
    assert not opportunity.shares.exists()


def test_a_team_cannot_be_created_with_members_or_an_id(admin_api):
    response = admin_api.post_json("/api/v1/teams", {"name": "Legal", "id": 1, "members": []})
    refused(response, "id")
    refused(response, "members")
    assert not Team.objects.filter(name="Legal").exists()


def test_the_openapi_document_says_bodies_take_no_other_fields(rep_api):
    schemas = rep_api.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("CaseIn", "CommentIn", "CaseEditIn", "TokenIn", "ViewIn", "WebhookIn"):
        assert schemas[name].get("additionalProperties") is False, name
