"""The OpenAPI document loads, lists every route, and documents the problem responses."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("get", "/api/v1/catalog"),
    ("get", "/api/v1/records"),
    ("post", "/api/v1/records"),
    ("get", "/api/v1/records/{external_id}"),
    ("post", "/api/v1/records/{external_id}/shares"),
    # many shares at once (api/record_shares.py)
    ("get", "/api/v1/records/{external_id}/shares"),
    ("put", "/api/v1/records/{external_id}/shares"),
    ("post", "/api/v1/records/shares"),
    # catalog writes, for admins (api/catalog_admin.py)
    ("get", "/api/v1/catalog/request-types"),
    ("post", "/api/v1/catalog/request-types"),
    ("patch", "/api/v1/catalog/request-types/{type_id}"),
    ("post", "/api/v1/catalog/request-types/{type_id}/sub-requests"),
    ("patch", "/api/v1/catalog/sub-requests/{sub_id}"),
    ("post", "/api/v1/uploads"),
    ("get", "/api/v1/cases"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases/{number}"),
    ("patch", "/api/v1/cases/{number}"),
    ("post", "/api/v1/cases/{number}/take"),
    ("post", "/api/v1/cases/{number}/assign"),
    ("post", "/api/v1/cases/{number}/ask"),
    ("post", "/api/v1/cases/{number}/hold"),
    ("post", "/api/v1/cases/{number}/resume"),
    ("post", "/api/v1/cases/{number}/close"),
    ("post", "/api/v1/cases/{number}/reopen"),
    ("post", "/api/v1/cases/{number}/rate"),
    ("post", "/api/v1/cases/{number}/answer"),
    ("post", "/api/v1/cases/{number}/move"),
    ("get", "/api/v1/cases/{number}/watchers"),
    ("post", "/api/v1/cases/{number}/watchers"),
    ("get", "/api/v1/cases/{number}/events"),
    ("post", "/api/v1/cases/{number}/comments"),
    ("get", "/api/v1/cases/{number}/attachments"),
    ("post", "/api/v1/cases/{number}/attachments"),
    ("delete", "/api/v1/cases/{number}/attachments/{attachment_id}"),
    ("get", "/api/v1/cases/{number}/attachments/{attachment_id}/download"),
    # list views (supportdesk.lists, api/views_api.py)
    ("get", "/api/v1/views"),
    ("post", "/api/v1/views"),
    ("get", "/api/v1/views/{view_id}"),
    ("patch", "/api/v1/views/{view_id}"),
    ("delete", "/api/v1/views/{view_id}"),
    ("post", "/api/v1/views/{view_id}/clone"),
    ("post", "/api/v1/views/{view_id}/publish"),
    ("get", "/api/v1/views/{view_id}/cases"),
    # whole lists (api/case_lists.py)
    ("get", "/api/v1/cases/export.csv"),
    ("post", "/api/v1/cases/bulk"),
    ("get", "/api/v1/cases/{number}/approvals"),
    ("post", "/api/v1/cases/{number}/approvals"),
    ("post", "/api/v1/cases/{number}/approvals/{approval_id}/decision"),
    ("get", "/api/v1/cases/{number}/children"),
    ("post", "/api/v1/cases/{number}/children"),
    ("post", "/api/v1/cases/{number}/merge"),
    # priority (api/case_priority.py)
    ("post", "/api/v1/cases/{number}/priority"),
    ("get", "/api/v1/records/{external_id}/priority-suggestion"),
    ("get", "/api/v1/reports"),
    ("get", "/api/v1/reports/{name}"),
    # personal API tokens (api/tokens.py)
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{token_id}"),
    # webhooks, for admins (webhooks/api.py)
    ("get", "/api/v1/webhooks"),
    ("post", "/api/v1/webhooks"),
    ("get", "/api/v1/webhooks/{webhook_id}"),
    ("patch", "/api/v1/webhooks/{webhook_id}"),
    ("delete", "/api/v1/webhooks/{webhook_id}"),
    ("get", "/api/v1/webhooks/{webhook_id}/deliveries"),
    ("post", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"),
    # notifications and preferences (api/notifications.py)
    ("get", "/api/v1/notifications"),
    ("get", "/api/v1/notifications/unread-count"),
    ("post", "/api/v1/notifications/{notification_id}/read"),
    ("post", "/api/v1/notifications/read-all"),
    ("get", "/api/v1/notification-preferences"),
    ("put", "/api/v1/notification-preferences"),
    # teams and memberships (api/teams.py)
    ("get", "/api/v1/teams"),
    ("post", "/api/v1/teams"),
    ("patch", "/api/v1/teams/{slug}"),
    ("get", "/api/v1/teams/{slug}/members"),
    ("post", "/api/v1/teams/{slug}/members"),
    ("patch", "/api/v1/teams/{slug}/members/{username}"),
    ("delete", "/api/v1/teams/{slug}/members/{username}"),
    # "add my details to this case instead" (api/case_add_details.py)
    ("post", "/api/v1/cases/{number}/add-details"),
}
# Every change to a case: refused (403), hidden (404), stale or raced (409), invalid (422).
CASE_CHANGES = {
    (m, p)
    for m, p in OPERATIONS
    if m in {"post", "patch", "delete"} and p.startswith("/api/v1/cases/{number}")
}


@pytest.fixture
def schema(client, rep):
    client.force_login(rep)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_lists_every_route(schema):
    listed = {(m, p) for p, item in schema["paths"].items() for m in item}
    assert listed == OPERATIONS


def test_every_route_requires_a_token_or_the_session(schema):
    for item in schema["paths"].values():
        for operation in item.values():
            assert operation["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_errors_are_documented_as_problem_details(schema):
    for item in schema["paths"].values():
        for operation in item.values():
            assert "401" in operation["responses"]
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
    create = schema["paths"]["/api/v1/cases"]["post"]["responses"]
    assert set(create) == {"200", "201", "400", "401", "403", "404", "409", "422", "429"}
    duplicates = create["409"]["content"]["application/problem+json"]["schema"]
    assert duplicates == {"$ref": "#/components/schemas/DuplicatesProblem"}
    validation = schema["components"]["schemas"]["ValidationProblem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(validation["properties"])


def test_every_operation_documents_the_problems_any_request_may_meet(schema):
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"401", "429"} <= set(responses), (method, path)
            assert "Retry-After" in responses["429"].get("headers", {}), (method, path)
            if operation.get("parameters") or operation.get("requestBody"):
                validation = responses["422"]["content"]["application/problem+json"]["schema"]
                assert validation == {"$ref": "#/components/schemas/ValidationProblem"}
            if method != "get":  # a `read` token, a session without the CSRF header
                assert "403" in responses, (method, path)
            if "requestBody" in operation:  # a body that is not JSON at all
                assert responses["400"]["content"]["application/problem+json"]["schema"] == problem


EXAMPLED = {
    "CaseIn",
    "CaseOut",
    "CaseListPage",
    "CaseEditIn",
    "CommentIn",
    "EventOut",
    "ViewIn",
    "ViewOut",
    "ViewCasePage",
    "NotificationOut",
    "NotificationPage",
    "TokenIn",
    "TokenOut",
    "TokenCreatedOut",
    "RecordIn",
    "RecordOut",
    "BulkSharesIn",
    "BulkSharesOut",
    "WebhookIn",
    "WebhookOut",
}


def test_the_main_schemas_carry_examples_that_match_them(schema):
    components = schema["components"]["schemas"]
    for name in EXAMPLED:
        examples = components[name].get("examples")
        assert examples, name
        validator = Draft202012Validator(
            {"$ref": f"#/components/schemas/{name}", "components": schema["components"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        for example in examples:
            assert not list(validator.iter_errors(example)), name


def test_the_document_is_valid_openapi(schema):
    assert schema["openapi"].startswith("3.1")
    validate(schema)  # raises on the first violation of the OpenAPI 3.1 specification


def test_every_change_to_a_case_documents_refusal_conflict_and_errors(schema):
    for method, path in CASE_CHANGES:
        responses = schema["paths"][path][method]["responses"]
        assert {"401", "403", "404", "409", "422"} <= set(responses), (method, path)
        conflict = responses["409"]["content"]["application/problem+json"]["schema"]
        assert conflict == {"$ref": "#/components/schemas/ConflictProblem"}
    assert "version" in schema["components"]["schemas"]["ConflictProblem"]["properties"]


def test_the_download_documents_a_binary_answer(schema):
    path = "/api/v1/cases/{number}/attachments/{attachment_id}/download"
    ok = schema["paths"][path]["get"]["responses"]["200"]
    assert ok["content"] == {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
    }


def test_action_bodies_document_their_required_fields(schema):
    components = schema["components"]["schemas"]
    assert set(components["CloseIn"]["required"]) == {"resolution", "note"}
    assert set(components["MoveIn"]["required"]) == {"team", "request_type", "reason"}
    assert components["CloseIn"]["properties"]["resolution"]["enum"][0] == "resolved"


def test_the_case_body_documents_its_required_fields(schema):
    case_in = schema["components"]["schemas"]["CaseIn"]
    assert set(case_in["required"]) == {"record", "team", "request_type", "description"}


def test_the_docs_page_renders(client, rep):
    client.force_login(rep)
    assert client.get("/api/v1/docs").status_code == 200


def test_the_document_and_docs_need_a_session_or_a_token(client, rep):
    for path in ("/api/v1/openapi.json", "/api/v1/docs"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response.url
    raw = make_token(rep)
    response = client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    bad = client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION="Bearer sd_wrong")
    assert bad.status_code == 302
