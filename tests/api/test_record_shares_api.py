"""Many record shares at once over the API: read and replace a record's list, upsert in bulk.
The record's owner or ops admins only; all or nothing, every wrong row named by index."""

from __future__ import annotations

import pytest

from supportdesk.people.models import ApiToken, Team
from supportdesk.records.models import RecordShare
from tests.factories import RecordFactory, RecordShareFactory

pytestmark = pytest.mark.django_db

SHARES = "/api/v1/records/006ACME0001/shares"
BULK = "/api/v1/records/shares"


def errors_of(response):
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def shares(record):
    """{(username or team name): level} of a record, from the database."""
    return {
        (s.user.username if s.user_id else s.team.name): s.level
        for s in RecordShare.objects.filter(record=record).select_related("user", "team")
    }


def put(client, path, items):
    return client.put(path, {"items": items}, content_type="application/json")


@pytest.fixture
def globex(rep):
    return RecordFactory(owner=rep, name="Globex — New Business", external_id="006GLOBEX1")


# --- reading ------------------------------------------------------------------------------


def test_the_owner_and_admins_list_a_records_shares(rep_api, admin_api, shared_read):
    RecordShareFactory(
        record=shared_read.record, user=None, team=Team.objects.get(name="Billing"), level="read"
    )
    expected = [
        {"record": "006ACME0001", "user": "oscar", "team": None, "level": "read"},
        {"record": "006ACME0001", "user": None, "team": "Billing", "level": "read"},
    ]
    assert rep_api.get(SHARES).json() == expected
    assert admin_api.get(SHARES).json() == expected


def test_others_may_not_see_the_list(api_client, shared_edit, outsider):
    assert api_client(shared_edit.user).get(SHARES).status_code == 403  # may edit, not share
    assert api_client(outsider).get(SHARES).status_code == 404  # may not even see the record


# --- replacing ----------------------------------------------------------------------------


def test_put_makes_the_list_exactly_what_is_sent(rep_api, opportunity, shared_read, outsider):
    RecordShareFactory(record=opportunity, user=outsider, level="edit")
    items = [{"user": "oscar", "level": "edit"}, {"team": "Billing"}]

    response = put(rep_api, SHARES, items)

    assert response.status_code == 200, response.content
    assert shares(opportunity) == {"oscar": "edit", "Billing": "read"}
    assert [(s["user"], s["team"], s["level"]) for s in response.json()] == [
        ("oscar", None, "edit"),
        (None, "Billing", "read"),
    ]
    assert put(rep_api, SHARES, []).json() == []
    assert shares(opportunity) == {}


def test_put_is_all_or_nothing_and_names_every_wrong_row(rep_api, opportunity, shared_read):
    items = [
        {"user": "oscar", "level": "edit"},
        {"user": "nobody"},
        {"user": "oscar", "team": "Billing"},
        {"team": "Billing", "level": "admin"},
        {"user": "oscar", "level": "read"},
    ]
    errors = errors_of(put(rep_api, SHARES, items))

    assert set(errors) == {
        "items[1].user",
        "items[2].user",
        "items[2].team",
        "items[3].level",
        "items[4]",
    }
    assert errors["items[4]"] == "The same share as items[0]."
    assert shares(opportunity) == {"oscar": "read"}


def test_put_refuses_people_who_may_not_share(api_client, shared_edit, admin_user):
    assert put(api_client(shared_edit.user), SHARES, []).status_code == 403
    read_token = api_client(admin_user, scope=ApiToken.Scope.READ)
    assert put(read_token, SHARES, []).status_code == 403
    assert shares(shared_edit.record) == {"oscar": "edit"}


# --- bulk ---------------------------------------------------------------------------------


def test_an_admin_upserts_many_shares_across_records(admin_api, opportunity, globex, shared_read):
    items = [
        {"record": "006ACME0001", "user": "oscar", "level": "edit"},
        {"record": "006ACME0001", "team": "Billing"},
        {"record": "006GLOBEX1", "user": "oscar", "level": "read"},
    ]
    response = admin_api.post_json(BULK, {"items": items})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "created": 2,
        "updated": 1,
        "items": [
            {"record": "006ACME0001", "user": "oscar", "team": None, "level": "edit"},
            {"record": "006ACME0001", "user": None, "team": "Billing", "level": "read"},
            {"record": "006GLOBEX1", "user": "oscar", "team": None, "level": "read"},
        ],
    }
    assert shares(opportunity) == {"oscar": "edit", "Billing": "read"}
    assert shares(globex) == {"oscar": "read"}


def test_bulk_is_all_or_nothing_and_lists_every_bad_row(admin_api, opportunity, globex, other_rep):
    items = [
        {"record": "006ACME0001", "user": "oscar"},
        {"record": "006ACME0001", "user": "nobody"},
        {"record": "006GLOBEX1", "user": "rita", "level": "owner"},
        {"record": "006MISSING", "user": "rita"},
        {"record": "006GLOBEX1", "team": "No Such Team"},
    ]
    errors = errors_of(admin_api.post_json(BULK, {"items": items}))

    assert set(errors) == {
        "items[1].user",
        "items[2].level",
        "items[3].record",
        "items[4].team",
    }
    assert errors["items[3].record"] == "No such record."
    assert RecordShare.objects.count() == 0


def test_bulk_follows_the_sharing_rule_record_by_record(api_client, rep, opportunity, outsider):
    hidden = RecordFactory(owner=outsider, external_id="006HIDDEN")
    seen = RecordFactory(owner=outsider, external_id="006SEEN")
    RecordShareFactory(record=seen, user=rep, level="edit")
    client = api_client(rep)

    own = client.post_json(BULK, {"items": [{"record": "006ACME0001", "user": "olga"}]})
    assert own.status_code == 200
    mixed = [{"record": "006ACME0001", "user": "oscar"}, {"record": "006SEEN", "user": "oscar"}]
    assert client.post_json(BULK, {"items": mixed}).status_code == 403
    unseen = client.post_json(BULK, {"items": [{"record": "006HIDDEN", "user": "oscar"}]})
    assert errors_of(unseen) == {"items[0].record": "No such record."}
    assert shares(opportunity) == {"olga": "read"}
    assert shares(seen) == {"rita": "edit"}
    assert shares(hidden) == {}


def test_a_bulk_edit_share_lets_that_user_request_support(
    admin_api, api_client, opportunity, other_rep
):
    case = {
        "record": "006ACME0001",
        "team": "Deal Desk",
        "request_type": "Quote Help",
        "sub_request": "Quote Question",
        "description": "Is this quote right?",
        "details": {"quote_url": "https://crm.example/quotes/1"},
    }
    client = api_client(other_rep)
    assert client.post_json("/api/v1/cases", case).status_code == 404  # cannot see it yet

    items = [{"record": "006ACME0001", "user": "oscar", "level": "edit"}]
    assert admin_api.post_json(BULK, {"items": items}).status_code == 200

    assert client.get("/api/v1/records/006ACME0001").json()["can_request_support"] is True
    response = client.post_json("/api/v1/cases", case)
    assert response.status_code == 201, response.content
    assert response.json()["requester"] == "oscar"
