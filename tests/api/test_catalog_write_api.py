"""Catalog writes over the API (admins): request types and sub-requests, checked as loadcatalog
checks the file, seen by GET /catalog and the request wizard at once, never deleted."""

from __future__ import annotations

import pytest

from supportdesk.catalog.definitions import CatalogError, validate_field_definitions
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.people.models import ApiToken

pytestmark = pytest.mark.django_db

TYPES = "/api/v1/catalog/request-types"
FIELDS = [
    {"name": "bundle_size", "label": "Bundle size", "type": "number", "required": True},
    {"name": "channel", "label": "Channel", "type": "picklist", "options": ["Direct", "Partner"]},
    {
        "name": "partner_name",
        "label": "Partner",
        "type": "text",
        "required_if": {"field": "channel", "equals": "Partner"},
    },
]


def type_body(**overrides):
    body = {
        "team": "Deal Desk",
        "kind": "opportunity",
        "name": "Bundle Review",
        "display_name": "Bundle review",
        "description": "Check a bundle before quoting.",
        "fields": FIELDS,
    }
    return body | overrides


def errors_of(response):
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def catalog_types(client, team="Deal Desk", kind="opportunity"):
    body = client.get(f"/api/v1/catalog?kind={kind}").json()
    teams = {t["name"]: t for t in body["teams"]}
    return {rt["name"]: rt for rt in teams[team]["request_types"]}


def case_body(request_type, **overrides):
    body = {
        "record": "006ACME0001",
        "team": "Deal Desk",
        "request_type": request_type,
        "description": "Please check this bundle.",
        "details": {"bundle_size": 3, "channel": "Direct"},
    }
    return body | overrides


@pytest.fixture
def bundle_review(admin_api):
    response = admin_api.post_json(TYPES, type_body())
    assert response.status_code == 201, response.content
    return RequestType.objects.get(pk=response.json()["id"])


# --- who may ----------------------------------------------------------------------------


def test_non_admins_find_no_catalog_write_routes(rep_api, bundle_review):
    sub = SubRequest.objects.create(request_type=bundle_review, name="Small")
    assert rep_api.get(TYPES).status_code == 404
    assert rep_api.post_json(TYPES, type_body(name="Sneaky Type")).status_code == 404
    path = f"{TYPES}/{bundle_review.pk}"
    assert rep_api.patch(path, {"is_active": False}, "application/json").status_code == 404
    assert rep_api.post_json(f"{path}/sub-requests", {"name": "Big"}).status_code == 404
    sub_path = f"/api/v1/catalog/sub-requests/{sub.pk}"
    assert rep_api.patch(sub_path, {"is_active": False}, "application/json").status_code == 404
    bundle_review.refresh_from_db()
    assert bundle_review.is_active
    assert not RequestType.objects.filter(name="Sneaky Type").exists()


def test_an_admins_read_token_may_not_write(api_client, admin_user):
    client = api_client(admin_user, scope=ApiToken.Scope.READ)
    assert client.get(TYPES).status_code == 200
    assert client.post_json(TYPES, type_body()).status_code == 403
    assert not RequestType.objects.filter(name="Bundle Review").exists()


# --- creating ---------------------------------------------------------------------------


def test_an_admin_adds_a_request_type_that_the_catalog_shows_at_once(admin_api, rep_api):
    response = admin_api.post_json(TYPES, type_body())

    assert response.status_code == 201
    body = response.json()
    assert body | {"id": 0} == {
        "id": 0,
        "team": "Deal Desk",
        "kind": "opportunity",
        "name": "Bundle Review",
        "display_name": "Bundle review",
        "description": "Check a bundle before quoting.",
        "fields": validate_field_definitions(FIELDS, where="test"),
        "approvals": [],
        "position": body["position"],
        "is_active": True,
        "sub_requests": [],
    }
    shown = catalog_types(rep_api)["Bundle Review"]
    assert shown["label"] == "Bundle review"
    assert [f["name"] for f in shown["fields"]] == ["bundle_size", "channel", "partner_name"]


def test_a_copy_of_a_loaded_type_is_accepted_unchanged(admin_api):
    """What loadcatalog stored validates again as it is (the same rules, normalised alike)."""
    loaded = RequestType.objects.get(kind="opportunity", team__name="Deal Desk", name="Quote Help")
    loaded_sub = loaded.sub_requests.get(name="Private Offer")
    body = type_body(name="Quote Help Copy", fields=loaded.fields, approvals=loaded.approvals)

    response = admin_api.post_json(TYPES, body)
    assert response.status_code == 201, response.content
    copy = RequestType.objects.get(pk=response.json()["id"])
    sub = admin_api.post_json(
        f"{TYPES}/{copy.pk}/sub-requests",
        {"name": loaded_sub.name, "fields": loaded_sub.fields, "approvals": loaded_sub.approvals},
    )
    assert sub.status_code == 201, sub.content
    assert (copy.fields, copy.approvals) == (loaded.fields, loaded.approvals)
    assert sub.json()["fields"] == loaded_sub.fields


def test_a_retry_with_an_idempotency_key_answers_200_with_the_same_type(admin_api):
    first = admin_api.post_json(TYPES, type_body(), HTTP_IDEMPOTENCY_KEY="k-1")
    again = admin_api.post_json(TYPES, type_body(), HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert RequestType.objects.filter(name="Bundle Review").count() == 1


def test_the_same_name_again_without_a_key_or_with_other_values_is_a_422(admin_api, bundle_review):
    assert set(errors_of(admin_api.post_json(TYPES, type_body()))) == {"name"}
    changed = type_body(description="Something else.")
    response = admin_api.post_json(TYPES, changed, HTTP_IDEMPOTENCY_KEY="k-2")
    assert set(errors_of(response)) == {"name"}


BAD_FIELDS = [
    pytest.param(
        [*FIELDS[:2], {"name": "when", "label": "When", "type": "datetime"}],
        "fields[2].type",
        id="unknown type",
    ),
    pytest.param([FIELDS[0], dict(FIELDS[0])], "fields[1].name", id="name used twice"),
    pytest.param([{"name": "size", "type": "number"}], "fields[0].label", id="no label"),
    pytest.param(
        [{"name": "pick", "label": "Pick", "type": "picklist"}],
        "fields[0].options",
        id="no options",
    ),
    pytest.param(
        [FIELDS[0], {**FIELDS[2]}], "fields[1].required_if", id="required_if names no field"
    ),
    pytest.param(
        [{"name": "Size", "label": "Size", "type": "number"}], "fields[0].name", id="not snake"
    ),
    pytest.param([{"name": "size", "label": "Size", "colour": "red"}], "fields[0]", id="bad key"),
]


@pytest.mark.parametrize(("fields", "path"), BAD_FIELDS)
def test_a_wrong_field_definition_is_a_422_naming_its_path(admin_api, fields, path):
    with pytest.raises(CatalogError):  # loadcatalog refuses it too
        validate_field_definitions(fields, where="catalog.yaml")

    errors = errors_of(admin_api.post_json(TYPES, type_body(fields=fields)))

    assert list(errors) == [path]
    assert not RequestType.objects.filter(name="Bundle Review").exists()


def test_every_wrong_top_level_value_is_reported_together(admin_api):
    body = type_body(
        team="Nobody", kind="planet", name=" padded ", approvals=[{"name": "Ok", "role": "nope"}]
    )
    errors = errors_of(admin_api.post_json(TYPES, body))
    assert set(errors) == {"team", "kind", "name", "approvals[0].role"}
    assert "unknown kind 'planet'" in errors["kind"]


# --- changing and retiring ---------------------------------------------------------------


def test_a_retired_type_leaves_the_catalog_and_the_wizard_at_once(
    admin_api, rep_api, opportunity, bundle_review, django_capture_on_commit_callbacks
):
    assert rep_api.post_json("/api/v1/cases", case_body("Bundle Review")).status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.patch(
            f"{TYPES}/{bundle_review.pk}", {"is_active": False}, "application/json"
        )

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert "Bundle Review" not in catalog_types(rep_api)
    again = rep_api.post_json(
        "/api/v1/cases", case_body("Bundle Review", description="Another bundle.")
    )
    assert set(errors_of(again)) == {"request_type"}
    assert RequestType.objects.filter(pk=bundle_review.pk).exists()  # its case keeps it


def test_a_patch_changes_only_what_it_sends_and_checks_fields(admin_api, bundle_review):
    path = f"{TYPES}/{bundle_review.pk}"
    response = admin_api.patch(path, {"display_name": "Bundle check"}, "application/json")
    assert response.status_code == 200
    assert response.json()["fields"] == bundle_review.fields

    bad = [FIELDS[0], {"name": "x", "label": "X", "type": "text", "required": "yes"}]
    errors = errors_of(admin_api.patch(path, {"fields": bad}, "application/json"))
    assert list(errors) == ["fields[1].required"]
    bundle_review.refresh_from_db()
    assert (bundle_review.display_name, len(bundle_review.fields)) == ("Bundle check", 3)


def test_a_type_cannot_drop_a_field_its_sub_request_depends_on(admin_api, bundle_review):
    conditional = {
        "name": "partner_tier",
        "label": "Partner tier",
        "type": "text",
        "required_if": {"field": "channel", "equals": "Partner"},
    }
    sub = admin_api.post_json(
        f"{TYPES}/{bundle_review.pk}/sub-requests", {"name": "Partner", "fields": [conditional]}
    )
    assert sub.status_code == 201, sub.content

    response = admin_api.patch(
        f"{TYPES}/{bundle_review.pk}", {"fields": FIELDS[:1]}, "application/json"
    )
    errors = errors_of(response)
    assert set(errors) == {"sub_requests"}
    assert "'channel'" in errors["sub_requests"]


def test_missing_rows_are_404(admin_api):
    assert admin_api.patch(f"{TYPES}/999999", {}, "application/json").status_code == 404
    assert admin_api.post_json(f"{TYPES}/999999/sub-requests", {"name": "X"}).status_code == 404
    path = "/api/v1/catalog/sub-requests/999999"
    assert admin_api.patch(path, {}, "application/json").status_code == 404


# --- sub-requests -------------------------------------------------------------------------


def test_sub_requests_are_added_changed_and_retired(
    admin_api, rep_api, bundle_review, django_capture_on_commit_callbacks
):
    url = f"{TYPES}/{bundle_review.pk}/sub-requests"
    extra = {"name": "region", "label": "Region", "type": "picklist", "options": ["EMEA", "AMER"]}
    response = admin_api.post_json(url, {"name": "Regional", "fields": [extra]})
    assert response.status_code == 201
    sub_id = response.json()["id"]
    shown = catalog_types(rep_api)["Bundle Review"]["sub_requests"]
    assert [(s["name"], [f["name"] for f in s["fields"]]) for s in shown] == [
        ("Regional", ["bundle_size", "channel", "partner_name", "region"])
    ]
    assert admin_api.post_json(url, {"name": "Regional"}).status_code == 422

    path = f"/api/v1/catalog/sub-requests/{sub_id}"
    with django_capture_on_commit_callbacks(execute=True):
        changed = admin_api.patch(
            path, {"display_name": "By region", "is_active": False}, "application/json"
        )
    assert changed.status_code == 200
    assert changed.json() | {"fields": []} == {
        "id": sub_id,
        "request_type": bundle_review.pk,
        "name": "Regional",
        "display_name": "By region",
        "fields": [],
        "approvals": [],
        "position": 1,
        "is_active": False,
    }
    assert catalog_types(rep_api)["Bundle Review"]["sub_requests"] == []


def test_a_wrong_sub_request_field_is_a_422_naming_its_path(admin_api, bundle_review):
    url = f"{TYPES}/{bundle_review.pk}/sub-requests"
    fields = [{"name": "region", "label": "Region", "type": "country"}]
    assert list(errors_of(admin_api.post_json(url, {"name": "R", "fields": fields}))) == [
        "fields[0].type"
    ]
    assert not bundle_review.sub_requests.exists()


def test_a_sub_request_retry_with_an_idempotency_key_answers_200(admin_api, bundle_review):
    url = f"{TYPES}/{bundle_review.pk}/sub-requests"
    body = {"name": "Small", "display_name": "Small bundles"}
    first = admin_api.post_json(url, body, HTTP_IDEMPOTENCY_KEY="s-1")
    again = admin_api.post_json(url, body, HTTP_IDEMPOTENCY_KEY="s-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert bundle_review.sub_requests.count() == 1
