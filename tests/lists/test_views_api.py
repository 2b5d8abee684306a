"""GET/POST/PATCH/DELETE /api/v1/views, clone and publish, and GET /api/v1/views/{id}/cases."""

from __future__ import annotations

import pytest

from supportdesk.cases.models import Status
from supportdesk.lists.models import ListView, Visibility
from tests.conftest import team
from tests.lists.conftest import a_case, a_view

pytestmark = pytest.mark.django_db

VIEWS = "/api/v1/views"


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


def patch(client, path, data):
    return client.patch(path, data, content_type="application/json")


def errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_the_caller_gets_built_in_own_and_shared_views(api, deal_desk_agent, billing_agent):
    own = a_view(deal_desk_agent, "Own")
    theirs = a_view(billing_agent, "Billing's", Visibility.TEAMS, [team("Billing")])
    public = a_view(billing_agent, "Public", Visibility.EVERYONE)
    body = api(deal_desk_agent).get(VIEWS).json()
    ids = [v["id"] for v in body]
    assert ids[:7] == [
        *("my-requests", "my-open", "team-queue", "created-by-me", "recent"),
        *("all-open", "recently-closed"),
    ]
    assert set(ids[7:]) == {str(own.pk), str(public.pk)} and str(theirs.pk) not in ids
    listed = {v["id"]: v for v in body}
    assert listed[str(own.pk)]["editable"] is True and listed[str(public.pk)]["editable"] is False
    assert listed["my-open"] == {
        "id": "my-open",
        "name": "My Open Cases",
        "builtin": True,
        "owner": None,
        "visibility": "everyone",
        "teams": [],
        "filters": {"owner": "me", "status": ["open"]},
        "columns": listed["my-open"]["columns"],
        "sort": "-priority,created_at",
        "editable": False,
        "url": "http://127.0.0.1:8000/cases/?view=my-open",
    }


def test_requesters_get_the_requester_views_only(api, rep):
    ids = [v["id"] for v in api(rep).get(VIEWS).json()]
    assert ids == ["my-requests", "created-by-me", "recent", "recently-closed"]


def test_create_a_view(api, deal_desk_agent):
    response = post(
        api(deal_desk_agent),
        VIEWS,
        {
            "name": "Urgent, ours",
            "visibility": "teams",
            "teams": ["deal-desk"],
            "filters": {"priority": "urgent", "team": ["mine"], "status": "open,on_hold"},
            "columns": ["number", "subject", "answer:quote_url"],
            "sort": "-created_at",
        },
    )
    assert response.status_code == 201
    body = response.json()
    view = ListView.objects.get()
    assert body["id"] == str(view.pk) and body["owner"] == "dan" and body["teams"] == ["deal-desk"]
    assert body["filters"] == view.filters  # canonical: lists, in a fixed order
    assert view.filters == {"status": ["open", "on_hold"], "team": ["mine"], "priority": ["urgent"]}


def test_a_view_is_private_by_default(api, rep):
    body = post(api(rep), VIEWS, {"name": "Mine"}).json()
    assert body["visibility"] == "private" and body["columns"][0] == "number"


def test_every_mistake_in_a_view_is_named(api, rep):
    response = post(
        api(rep),
        VIEWS,
        {
            "name": "",
            "visibility": "everyone",
            "filters": {"status": "done", "colour": "red", "created": "soon"},
            "columns": ["number", "nope"],
            "sort": "nope",
        },
    )
    assert errors(response) == {
        "name": "Give the view a name.",
        "visibility": "Only an admin can publish a view to everyone.",
        "filters.status": "“done” is not a status; choose from new, work_in_progress, "
        "pending_response, on_hold, closed, open.",
        "filters.colour": "“colour” is not a filter.",
        "filters.created": "“soon” is not a date range; choose from today, yesterday, "
        "last_7_days, last_30_days, last_90_days, this_week, last_week, this_month, "
        "last_month, this_quarter, last_quarter, this_year, last_year or last_N_days.",
        "columns": "“nope” is not a column.",
        "sort": "“nope” is not a column to sort by.",
    }
    assert not ListView.objects.exists()


def test_sharing_needs_teams_one_belongs_to(api, deal_desk_agent):
    client = api(deal_desk_agent)
    assert errors(post(client, VIEWS, {"name": "X", "visibility": "teams"})) == {
        "teams": "Choose the team(s) that may see the view."
    }
    data = {"name": "X", "visibility": "teams", "teams": ["billing"]}
    assert errors(post(client, VIEWS, data)) == {"teams": "You are not a member of Billing."}
    data["teams"] = ["no-such-team"]
    assert errors(post(client, VIEWS, data)) == {"teams": "There is no team “no-such-team”."}


def test_a_duplicate_name_is_refused(api, rep):
    a_view(rep, "Mine")
    assert errors(post(api(rep), VIEWS, {"name": "Mine"})) == {
        "name": "You already have a view with this name."
    }


def test_get_one_view_and_not_others_private_ones(api, rep, other_rep):
    view = a_view(rep)
    assert api(rep).get(f"{VIEWS}/{view.pk}").json()["name"] == "Closed ones"
    assert api(other_rep).get(f"{VIEWS}/{view.pk}").status_code == 404
    assert api(rep).get(f"{VIEWS}/my-requests").json()["builtin"] is True
    assert api(rep).get(f"{VIEWS}/nope").status_code == 404


def test_the_owner_patches_only_what_is_sent(api, rep):
    view = a_view(rep)
    response = patch(api(rep), f"{VIEWS}/{view.pk}", {"name": "Renamed", "sort": "status"})
    assert response.status_code == 200
    view.refresh_from_db()
    assert (view.name, view.sort, view.filters) == ("Renamed", "status", {"status": ["closed"]})
    response = patch(api(rep), f"{VIEWS}/{view.pk}", {"filters": {"status": "bad"}})
    assert errors(response) == {
        "filters.status": "“bad” is not a status; choose from new, work_in_progress, "
        "pending_response, on_hold, closed, open."
    }


def test_shared_views_are_read_only_to_others(api, deal_desk_agent, dee):
    view = a_view(deal_desk_agent, visibility=Visibility.TEAMS, teams=[team("Deal Desk")])
    client = api(dee)
    assert patch(client, f"{VIEWS}/{view.pk}", {"name": "Mine now"}).status_code == 403
    assert client.delete(f"{VIEWS}/{view.pk}").status_code == 403
    assert patch(client, f"{VIEWS}/my-open", {"name": "x"}).status_code == 403
    clone = post(client, f"{VIEWS}/{view.pk}/clone", {})
    assert clone.status_code == 201
    assert (clone.json()["name"], clone.json()["owner"]) == ("Copy of Closed ones", "dee")
    again = post(client, f"{VIEWS}/{view.pk}/clone", {}).json()
    assert again["name"] == "Copy of Closed ones (2)" and again["visibility"] == "private"
    assert post(client, f"{VIEWS}/my-open/clone", {}).json()["sort"] == "-priority,created_at"


def test_delete(api, rep):
    view = a_view(rep)
    assert api(rep).delete(f"{VIEWS}/{view.pk}").status_code == 204
    assert not ListView.objects.exists()


def test_only_admins_publish(api, rep, admin_user):
    view = a_view(rep, visibility=Visibility.EVERYONE)
    assert post(api(rep), f"{VIEWS}/{view.pk}/publish", {"published": False}).status_code == 403
    body = post(api(admin_user), f"{VIEWS}/{view.pk}/publish", {"published": False}).json()
    assert body["visibility"] == "private"
    mine = a_view(admin_user, "Ops")
    assert (
        patch(api(admin_user), f"{VIEWS}/{mine.pk}", {"visibility": "everyone"}).json()[
            "visibility"
        ]
        == "everyone"
    )


# ---- a view's cases ----------------------------------------------------------------------------


def test_a_views_cases_come_with_its_columns(api, rep, opportunity, deal_desk_agent):
    closed = a_case(
        rep,
        opportunity,
        status=Status.CLOSED,
        owner=deal_desk_agent,
        details={"quote_url": "https://q.example/9"},
    )
    a_case(rep, opportunity)
    view = a_view(rep, columns=["number", "status", "owner", "record", "answer:quote_url"])
    body = api(rep).get(f"{VIEWS}/{view.pk}/cases").json()
    assert body["columns"] == [
        {"key": "number", "label": "Number"},
        {"key": "status", "label": "Status"},
        {"key": "owner", "label": "Owner"},
        {"key": "record", "label": "Record"},
        {"key": "answer:quote_url", "label": "Quote"},
    ]
    assert body["items"] == [
        {
            "number": closed.number,
            "url": f"http://127.0.0.1:8000/cases/{closed.number}/",
            "values": {
                "number": closed.number,
                "status": "Closed",
                "owner": "dan",
                "record": "006ACME0001",
                "answer:quote_url": "https://q.example/9",
            },
        }
    ]
    assert (body["count"], body["count_exact"], body["next"]) == (1, True, None)


def test_filter_parameters_replace_the_views(api, rep, opportunity):
    open_case = a_case(rep, opportunity)
    view = a_view(rep)
    body = api(rep).get(f"{VIEWS}/{view.pk}/cases?status=open").json()
    assert [c["number"] for c in body["items"]] == [open_case.number]
    assert api(rep).get(f"{VIEWS}/{view.pk}/cases?status=nope").status_code == 422


def test_a_public_view_lists_only_what_the_caller_may_see(
    api, rep, outsider, admin_user, opportunity
):
    a_case(rep, opportunity, status=Status.CLOSED)
    view = a_view(admin_user, "All closed", Visibility.EVERYONE)
    assert api(admin_user).get(f"{VIEWS}/{view.pk}/cases").json()["count"] == 1
    assert api(outsider).get(f"{VIEWS}/{view.pk}/cases").json()["items"] == []


def test_built_in_views_have_cases_too(api, rep, opportunity):
    waiting = a_case(rep, opportunity, status=Status.PENDING_RESPONSE)
    other = a_case(rep, opportunity)
    body = api(rep).get(f"{VIEWS}/my-requests/cases").json()
    assert [c["number"] for c in body["items"]] == [waiting.number, other.number]
