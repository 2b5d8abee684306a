"""Teams and memberships over the API: everyone lists active teams; admins alone see members
and change teams (anyone else: 404)."""

from __future__ import annotations

import pytest

from supportdesk.people.models import Membership, Team
from tests.conftest import team
from tests.factories import UserFactory


def post(client, path: str, body: dict, **extra):
    return client.post(path, body, content_type="application/json", **extra)


def patch(client, path: str, body: dict):
    return client.patch(path, body, content_type="application/json")


def test_everyone_lists_active_teams_without_members(rep_api, deal_desk_agent):
    Team.objects.create(name="Old team", slug="old-team", is_active=False)
    response = rep_api.get("/api/v1/teams")
    assert response.status_code == 200
    names = [t["name"] for t in response.json()]
    assert "Deal Desk" in names and "Old team" not in names
    assert all(t["members"] is None for t in response.json())


def test_admins_list_every_team_with_its_members(admin_api, deal_desk_agent):
    Team.objects.create(name="Old team", slug="old-team", is_active=False)
    teams = {t["name"]: t for t in admin_api.get("/api/v1/teams").json()}
    assert not teams["Old team"]["is_active"]
    assert {"user": "dan", "name": "Dan Desk", "role": "agent"} in teams["Deal Desk"]["members"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/teams"),
        ("patch", "/api/v1/teams/deal-desk"),
        ("get", "/api/v1/teams/deal-desk/members"),
        ("post", "/api/v1/teams/deal-desk/members"),
        ("patch", "/api/v1/teams/deal-desk/members/dan"),
        ("delete", "/api/v1/teams/deal-desk/members/dan"),
    ],
)
def test_everything_else_is_a_404_for_non_admins(api_client, deal_desk_agent, method, path):
    lead = UserFactory(username="lee")
    Membership.objects.create(user=lead, team=team("Deal Desk"), role=Membership.Role.LEAD)
    client = api_client(lead)  # even a lead of the team
    call = getattr(client, method)
    # Only the fields each route takes: an unknown field is a 422 before the admin check.
    body = {"/members": {"user": "dan", "role": "lead"}, "/dan": {"role": "lead"}}.get(
        path[path.rfind("/") :], {"name": "X"}
    )
    response = call(path, body, content_type="application/json")
    assert response.status_code == 404
    assert Membership.objects.get(user=deal_desk_agent).role == "agent"
    assert not Team.objects.filter(name="X").exists()


def test_an_admin_creates_a_team_listed_last_with_a_slug(admin_api):
    last = Team.objects.order_by("-position").first()
    body = {"name": "  Partner Desk ", "description": "Partner deals.", "aliases": ["Partners"]}
    response = post(admin_api, "/api/v1/teams", body)
    assert response.status_code == 201
    assert response.json() == {
        "name": "Partner Desk",
        "slug": "partner-desk",
        "description": "Partner deals.",
        "aliases": ["Partners"],
        "is_active": True,
        "members": [],
    }
    created = Team.objects.get(slug="partner-desk")
    assert created.position == last.position + 1 and created.is_active


def test_a_retried_create_with_a_key_returns_the_team(admin_api):
    body = {"name": "Partner Desk"}
    first = post(admin_api, "/api/v1/teams", body, HTTP_IDEMPOTENCY_KEY="k1")
    again = post(admin_api, "/api/v1/teams", body, HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Team.objects.filter(name="Partner Desk").count() == 1
    without_key = post(admin_api, "/api/v1/teams", body)
    assert without_key.status_code == 422
    assert without_key.json()["errors"][0]["field"] == "name"


def test_team_names_are_checked(admin_api):
    response = post(admin_api, "/api/v1/teams", {"name": "deal desk"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["name"]
    response = post(admin_api, "/api/v1/teams", {"name": "!!!", "description": "x" * 301})
    assert {e["field"] for e in response.json()["errors"]} == {"name", "description"}
    response = post(admin_api, "/api/v1/teams", {})
    assert [e["field"] for e in response.json()["errors"]] == ["name"]


def test_an_admin_renames_and_deactivates_a_team(admin_api):
    body = {"name": "Deal Desk EMEA", "is_active": False}
    response = patch(admin_api, "/api/v1/teams/deal-desk", body)
    assert response.status_code == 200
    changed = Team.objects.get(slug="deal-desk")
    assert (changed.name, changed.is_active) == ("Deal Desk EMEA", False)
    clash = patch(admin_api, "/api/v1/teams/deal-desk", {"name": "Billing"})
    assert clash.status_code == 422 and clash.json()["errors"][0]["field"] == "name"
    assert patch(admin_api, "/api/v1/teams/no-such-team", {"name": "Y"}).status_code == 404


def test_an_admin_adds_changes_and_removes_members(admin_api):
    UserFactory(username="newbie", first_name="New", last_name="Bie")
    path = "/api/v1/teams/billing/members"
    added = post(admin_api, path, {"user": "newbie"})
    assert added.status_code == 201
    assert added.json() == {"user": "newbie", "name": "New Bie", "role": "agent"}
    again = post(admin_api, path, {"user": "newbie", "role": "agent"}, HTTP_IDEMPOTENCY_KEY="a")
    assert again.status_code == 200
    assert Membership.objects.filter(user__username="newbie").count() == 1
    assert [m["user"] for m in admin_api.get(path).json()] == ["newbie"]
    promoted = patch(admin_api, f"{path}/newbie", {"role": "lead"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "lead"
    assert Membership.objects.get(user__username="newbie").role == "lead"
    assert admin_api.delete(f"{path}/newbie").status_code == 204
    assert not Membership.objects.filter(user__username="newbie").exists()
    assert admin_api.delete(f"{path}/newbie").status_code == 404


def test_member_changes_are_checked(admin_api, deal_desk_agent):
    path = "/api/v1/teams/deal-desk/members"
    unknown = post(admin_api, path, {"user": "nobody"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "user"
    bad_role = post(admin_api, path, {"user": "dan", "role": "boss"})
    assert bad_role.status_code == 422 and bad_role.json()["errors"][0]["field"] == "role"
    bad_patch = patch(admin_api, f"{path}/dan", {"role": "boss"})
    assert bad_patch.status_code == 422 and bad_patch.json()["errors"][0]["field"] == "role"
    assert Membership.objects.get(user=deal_desk_agent).role == "agent"
    assert patch(admin_api, f"{path}/nobody", {"role": "lead"}).status_code == 404
