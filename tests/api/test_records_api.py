"""Records over the API: upsert (ops admins), shares, and search limited to what one may read."""

from __future__ import annotations

import pytest

from supportdesk.people.models import Team
from supportdesk.records.models import Record, RecordShare
from tests.factories import MembershipFactory, RecordFactory, RecordShareFactory

pytestmark = pytest.mark.django_db

RECORD_KEYS = {
    "kind",
    "name",
    "external_id",
    "owner",
    "account",
    "attributes",
    "url",
    "can_request_support",
}


@pytest.fixture
def account(db):
    return RecordFactory(
        kind="customer_account", name="Acme Corp", external_id="001ACME", owner=None
    )


def upsert_body(**overrides):
    body = {
        "kind": "opportunity",
        "name": "Globex — New Business",
        "external_id": "006GLOBEX1",
        "owner": "rita",
        "account": None,
        "attributes": {"stage": "2-Scoping", "amount": "50000"},
    }
    return body | overrides


def errors_of(response):
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json()["errors"]}


# --- upsert -------------------------------------------------------------------------------


def test_an_admin_creates_a_record_with_201_then_updates_it_with_200(admin_api, rep, account):
    response = admin_api.post_json("/api/v1/records", upsert_body(account="001ACME"))
    assert response.status_code == 201
    record = Record.objects.get(external_id="006GLOBEX1")
    assert response.json() == {
        "kind": "opportunity",
        "name": "Globex — New Business",
        "external_id": "006GLOBEX1",
        "owner": "rita",
        "account": "001ACME",
        "attributes": {"stage": "2-Scoping", "amount": "50000"},
        "url": f"http://127.0.0.1:8000/records/{record.pk}/",
        "can_request_support": True,
    }

    body = upsert_body(name="Globex — Renamed", owner=None, attributes={"stage": "3-Technical"})
    response = admin_api.post_json("/api/v1/records", body)
    assert response.status_code == 200
    assert response.json()["name"] == "Globex — Renamed"
    assert response.json()["owner"] is None
    record.refresh_from_db()
    assert (record.name, record.owner, record.account) == ("Globex — Renamed", None, None)
    assert record.attributes == {"stage": "3-Technical"}
    assert Record.objects.filter(external_id="006GLOBEX1").count() == 1


@pytest.mark.parametrize("who", ["rep", "deal_desk_agent"])
def test_a_non_admin_may_not_upsert_records(api_client, request, who):
    client = api_client(request.getfixturevalue(who))
    response = client.post_json("/api/v1/records", upsert_body())
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert not Record.objects.filter(external_id="006GLOBEX1").exists()


def test_unknown_owner_account_and_kind_are_422s_naming_each_field(admin_api):
    body = upsert_body(kind="planet", owner="nobody", account="001NOPE")
    errors = errors_of(admin_api.post_json("/api/v1/records", body))
    assert set(errors) == {"kind", "owner", "account"}
    assert "opportunity" in errors["kind"]
    assert "nobody" in errors["owner"]
    assert "001NOPE" in errors["account"]
    assert not Record.objects.filter(external_id="006GLOBEX1").exists()


def test_the_account_must_be_an_account_record(admin_api, opportunity):
    errors = errors_of(admin_api.post_json("/api/v1/records", upsert_body(account="006ACME0001")))
    assert "not a Customer Account or Partner Account" in errors["account"]


def test_name_and_external_id_are_required(admin_api):
    errors = errors_of(admin_api.post_json("/api/v1/records", {"kind": "lead"}))
    assert set(errors) == {"name", "external_id"}


def test_attributes_must_be_an_object(admin_api):
    errors = errors_of(admin_api.post_json("/api/v1/records", upsert_body(attributes=[1, 2])))
    assert set(errors) == {"attributes"}


# --- shares -------------------------------------------------------------------------------


def test_the_owner_shares_with_a_user_201_then_changes_the_level_200(
    rep_api, opportunity, other_rep
):
    path = "/api/v1/records/006ACME0001/shares"
    response = rep_api.post_json(path, {"user": "oscar", "level": "read"})
    assert response.status_code == 201
    assert response.json() == {
        "record": "006ACME0001",
        "user": "oscar",
        "team": None,
        "level": "read",
    }
    response = rep_api.post_json(path, {"user": "oscar", "level": "edit"})
    assert response.status_code == 200
    assert response.json()["level"] == "edit"
    assert RecordShare.objects.get(record=opportunity, user=other_rep).level == "edit"


def test_a_share_with_a_team_accepts_its_alias(admin_api, opportunity):
    body = {"team": "Billing Team", "level": "edit"}
    response = admin_api.post_json("/api/v1/records/006ACME0001/shares", body)
    assert response.status_code == 201
    assert response.json()["team"] == "Billing"
    billing = Team.objects.get(name="Billing")
    assert RecordShare.objects.filter(record=opportunity, team=billing, level="edit").exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"level": "read"}, {"user", "team"}),
        ({"user": "oscar", "team": "Billing", "level": "read"}, {"user", "team"}),
        ({"user": "nobody", "level": "read"}, {"user"}),
        ({"team": "Nobody's Team", "level": "read"}, {"team"}),
        ({"user": "oscar", "level": "admin"}, {"level"}),
    ],
)
def test_share_errors_name_the_fields(rep_api, opportunity, other_rep, body, fields):
    errors = errors_of(rep_api.post_json("/api/v1/records/006ACME0001/shares", body))
    assert set(errors) == fields
    assert not RecordShare.objects.exists()


def test_a_reader_who_is_not_the_owner_may_not_share(
    api_client, other_rep, opportunity, shared_read
):
    response = api_client(other_rep).post_json(
        "/api/v1/records/006ACME0001/shares", {"user": "oscar", "level": "edit"}
    )
    assert response.status_code == 403
    assert RecordShare.objects.get(record=opportunity, user=other_rep).level == "read"


def test_sharing_a_record_one_cannot_read_is_a_404(api_client, outsider, opportunity):
    response = api_client(outsider).post_json(
        "/api/v1/records/006ACME0001/shares", {"user": "olga", "level": "edit"}
    )
    assert response.status_code == 404
    assert not RecordShare.objects.exists()


# --- reading ------------------------------------------------------------------------------


def test_get_one_record(rep_api, opportunity):
    response = rep_api.get("/api/v1/records/006ACME0001")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == RECORD_KEYS
    assert body["owner"] == "rita"
    assert body["can_request_support"] is True


def test_a_reader_sees_the_record_but_cannot_request_support(api_client, other_rep, shared_read):
    body = api_client(other_rep).get("/api/v1/records/006ACME0001").json()
    assert body["can_request_support"] is False


def test_a_record_one_cannot_read_is_a_404(api_client, outsider, opportunity):
    assert api_client(outsider).get("/api/v1/records/006ACME0001").status_code == 404


def test_search_lists_only_readable_records(
    api_client, rep, other_rep, outsider, opportunity, shared_read
):
    RecordFactory(owner=other_rep, name="Acme Corp — Oscar's own", external_id="006OSCAR")
    RecordFactory(owner=rep, name="Initech — Upsell", external_id="006INITECH")
    hidden = RecordFactory(name="Acme Corp — Hidden", external_id="006HIDDEN")
    team = Team.objects.get(name="Deal Desk")
    MembershipFactory(user=other_rep, team=team)
    RecordShareFactory(record=hidden, team=team, level="edit")

    items = api_client(other_rep).get("/api/v1/records?search=acme").json()["items"]
    assert [(r["external_id"], r["can_request_support"]) for r in items] == [
        ("006ACME0001", False),  # read share
        ("006HIDDEN", True),  # edit share through the team
        ("006OSCAR", True),  # owner
    ]
    assert all(set(r) == RECORD_KEYS for r in items)
    assert api_client(outsider).get("/api/v1/records?search=acme").json()["items"] == []


def test_search_matches_the_exact_external_id_and_filters_by_kind(rep_api, rep, opportunity):
    RecordFactory(owner=rep, kind="lead", name="Jane Lead", external_id="00QJANE")
    assert [r["name"] for r in rep_api.get("/api/v1/records?search=00qjane").json()["items"]] == [
        "Jane Lead"
    ]
    kinds = {r["kind"] for r in rep_api.get("/api/v1/records?kind=lead").json()["items"]}
    assert kinds == {"lead"}


def test_an_admin_sees_every_record(admin_api, opportunity):
    RecordFactory(name="Zeta — Somebody else's")
    items = admin_api.get("/api/v1/records").json()["items"]
    assert len(items) == 2
    assert all(r["can_request_support"] for r in items)


def test_the_list_is_paginated_by_cursor(rep_api, rep):
    for i in range(5):
        RecordFactory(owner=rep, name=f"Record {i}", external_id=f"006PAGE{i}")
    page = rep_api.get("/api/v1/records?limit=2").json()
    names = [r["name"] for r in page["items"]]
    while page["next_cursor"]:
        assert page["next"].startswith("http://testserver/api/v1/records?")
        page = rep_api.get(f"/api/v1/records?limit=2&cursor={page['next_cursor']}").json()
        names += [r["name"] for r in page["items"]]
    assert names == [f"Record {i}" for i in range(5)]
    assert page["next"] is None


def test_a_bad_cursor_is_a_422(rep_api):
    errors = errors_of(rep_api.get("/api/v1/records?cursor=garbage"))
    assert set(errors) == {"cursor"}


def test_the_list_takes_a_fixed_number_of_queries(rep_api, rep, django_assert_num_queries):
    for i in range(10):
        RecordFactory(owner=rep, name=f"Record {i}", external_id=f"006Q{i}")
    rep_api.get("/api/v1/records")  # the token's last_used_at is written once
    with django_assert_num_queries(3):  # token, memberships, records with the support flag
        assert len(rep_api.get("/api/v1/records").json()["items"]) == 10
