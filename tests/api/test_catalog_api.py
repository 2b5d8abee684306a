"""GET /catalog: the teams serving a kind of record, with names exactly as in the catalog."""

from __future__ import annotations

import pytest

from supportdesk.catalog.models import Redirect, RequestType, SubRequest

pytestmark = pytest.mark.django_db

OPPORTUNITY_TEAMS = [
    "Billing",
    "Deal Desk",
    "Ecosystem Operations",
    "Renewal Operations",
    "Sales Operations",
    "IT / Enterprise Applications",
]
FIELD_KEYS = {"name", "label", "type", "required", "required_if", "options", "help"}


def team_named(catalog, name):
    return next(t for t in catalog["teams"] if t["name"] == name)


def type_named(team, name):
    return next(r for r in team["request_types"] if r["name"] == name)


def test_catalog_lists_the_teams_serving_opportunities(rep_api):
    response = rep_api.get("/api/v1/catalog?kind=opportunity")
    assert response.status_code == 200
    catalog = response.json()
    assert set(catalog) == {"kind", "teams", "redirects"}
    assert catalog["kind"] == "opportunity"
    assert [t["name"] for t in catalog["teams"]] == OPPORTUNITY_TEAMS
    assert all(set(t) == {"name", "description", "request_types"} for t in catalog["teams"])


def test_request_type_names_are_spelled_as_in_the_seed(rep_api):
    catalog = rep_api.get("/api/v1/catalog?kind=opportunity").json()
    deal_desk = team_named(catalog, "Deal Desk")
    assert [r["name"] for r in deal_desk["request_types"]] == [
        "Opportunity Help",
        "Quote Help",
        "Finance Use",
        "Other",
    ]
    sales_ops = [r["name"] for r in team_named(catalog, "Sales Operations")["request_types"]]
    assert "Opportunity Reassigment (xDR/SA/CSM)" in sales_ops  # the seed's typo, kept


def test_sub_requests_carry_the_effective_fields(rep_api):
    catalog = rep_api.get("/api/v1/catalog?kind=opportunity").json()
    quote_help = type_named(team_named(catalog, "Deal Desk"), "Quote Help")
    assert set(quote_help) == {"name", "label", "description", "fields", "sub_requests"}
    private_offer = next(s for s in quote_help["sub_requests"] if s["name"] == "Private Offer")
    marketplace = next(f for f in private_offer["fields"] if f["name"] == "marketplace")
    assert marketplace == marketplace | {"type": "picklist", "required": True}
    assert marketplace["options"] == ["AWS", "GCP"]
    assert all(set(f) == FIELD_KEYS for f in private_offer["fields"])
    gcp = next(f for f in private_offer["fields"] if f["name"] == "gcp_payment_method")
    assert gcp["required_if"] == {"field": "marketplace", "equals": "GCP"}


def test_only_teams_serving_the_kind_are_listed(rep_api):
    catalog = rep_api.get("/api/v1/catalog?kind=contact").json()
    assert [t["name"] for t in catalog["teams"]] == [
        "Sales Development & Marketing",
        "IT / Enterprise Applications",
    ]
    salesdev = team_named(catalog, "Sales Development & Marketing")
    assert [r["name"] for r in salesdev["request_types"]] == [
        "Why was this contact assigned to me?",
        "How do I update the matched account?",
    ]


def test_redirects_are_listed_with_their_instructions(rep_api):
    catalog = rep_api.get("/api/v1/catalog?kind=opportunity").json()
    names = [r["name"] for r in catalog["redirects"]]
    assert "Legal" in names
    assert "Sales Commissions" in names
    assert all(set(r) == {"name", "instructions", "url"} for r in catalog["redirects"])


def test_inactive_rows_are_left_out(rep_api):
    RequestType.objects.filter(kind="opportunity", name="Other").update(is_active=False)
    SubRequest.objects.filter(name="Private Offer").update(is_active=False)
    Redirect.objects.filter(name="Legal").update(is_active=False)
    catalog = rep_api.get("/api/v1/catalog?kind=opportunity").json()
    deal_desk = team_named(catalog, "Deal Desk")
    assert "Other" not in [r["name"] for r in deal_desk["request_types"]]
    quote_help = type_named(deal_desk, "Quote Help")
    assert "Private Offer" not in [s["name"] for s in quote_help["sub_requests"]]
    assert "Legal" not in [r["name"] for r in catalog["redirects"]]


def test_an_unknown_kind_is_a_422_listing_the_valid_kinds(rep_api):
    response = rep_api.get("/api/v1/catalog?kind=planet")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "kind"
    assert "opportunity" in error["message"]
    assert "influence_object" in error["message"]


def test_a_missing_kind_is_a_422(rep_api):
    response = rep_api.get("/api/v1/catalog")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"


def test_the_catalog_takes_a_fixed_number_of_queries(rep_api, django_assert_num_queries):
    rep_api.get("/api/v1/catalog?kind=lead")  # the token's last_used_at is written once
    with django_assert_num_queries(4):  # token, request types + teams, sub-requests, redirects
        assert rep_api.get("/api/v1/catalog?kind=opportunity").status_code == 200
