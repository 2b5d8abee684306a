"""Resolving catalog names: exact names and aliases, helpful misses, and a cache that forgets."""

from __future__ import annotations

import pytest

from supportdesk.catalog.models import RequestType
from supportdesk.catalog.queries import resolve_choice

pytestmark = pytest.mark.django_db


def test_team_alias_and_sub_request_resolve_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        choice = resolve_choice(
            "opportunity", team="Deal Desk", request_type="Quote Help", sub_request="Private Offer"
        )
    assert choice.errors == {}
    assert (choice.request_type.name, choice.sub_request.name) == ("Quote Help", "Private Offer")
    alias = resolve_choice(
        "partner_account",
        team="Billing Team",
        request_type="Request Reseller Account Creation in Zuora",
        sub_request=None,
    )
    assert alias.errors == {} and alias.request_type.team.name == "Billing"


def test_a_second_lookup_is_served_from_the_cache(django_assert_num_queries):
    names = {"team": "Billing", "request_type": "Invoice Copy Requests", "sub_request": None}
    resolve_choice("opportunity", **names)
    with django_assert_num_queries(0):
        assert resolve_choice("opportunity", **names).errors == {}


def test_deactivating_a_type_is_seen_at_once(django_capture_on_commit_callbacks):
    names = {"team": "Billing", "request_type": "Invoice Copy Requests", "sub_request": None}
    assert resolve_choice("opportunity", **names).errors == {}
    request_type = RequestType.objects.get(kind="opportunity", name="Invoice Copy Requests")
    request_type.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        request_type.save()
    assert "request_type" in resolve_choice("opportunity", **names).errors


@pytest.mark.parametrize(
    ("names", "field", "hint"),
    [
        ({"team": "Legal", "request_type": "Other", "sub_request": None}, "team", "Deal Desk"),
        ({"team": "Deal Desk", "request_type": "Nope", "sub_request": None}, "request_type",
         "Quote Help"),
        ({"team": "Deal Desk", "request_type": "Quote Help", "sub_request": None}, "sub_request",
         "Private Offer"),
        ({"team": "Deal Desk", "request_type": "Quote Help", "sub_request": "Nope"}, "sub_request",
         "Contract Reset"),
        ({"team": "Billing", "request_type": "Tax Exemption", "sub_request": "Nope"},
         "sub_request", "has no sub-requests"),
    ],
)  # fmt: skip
def test_misses_name_the_field_and_the_valid_choices(names, field, hint):
    errors = resolve_choice("opportunity", **names).errors
    assert list(errors) == [field] and hint in errors[field][0]
