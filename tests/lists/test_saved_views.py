"""Saving, renaming, sharing, cloning, publishing and deleting list views on the Cases tab;
who may do which; and that a view never shows a case its viewer may not see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportdesk.cases.models import Status
from supportdesk.lists.models import ListView, Visibility
from supportdesk.people.models import Team
from tests.conftest import team
from tests.lists.conftest import a_case, a_view, numbers

pytestmark = pytest.mark.django_db

TAB = reverse("cases:mine")
NEW = reverse("lists:create")


# ---- save as a new view ------------------------------------------------------------------


def test_save_the_filtered_list_as_a_private_view(login, rep, opportunity):
    closed = a_case(rep, opportunity, status=Status.CLOSED, priority="high")
    a_case(rep, opportunity)
    client = login(rep)
    state = "f=1&status=closed&priority=high&columns=number,priority&sort=-priority"
    form = client.get(f"{NEW}?from=my-requests&{state}").content.decode()
    assert "Status: <strong>closed</strong>" in form
    assert '<input type="hidden" name="sort" value="-priority">' in form
    data = {"from": "my-requests", "f": "1", "status": "closed", "priority": "high"}
    data |= {"columns": "number,priority", "sort": "-priority", "name": " High  closed "}
    data |= {"visibility": "private"}
    response = client.post(NEW, data)
    view = ListView.objects.get()
    assert response.status_code == 302 and response.url == f"/cases/?view={view.pk}"
    assert (view.owner, view.name, view.visibility) == (rep, "High closed", "private")
    assert view.filters == {"status": ["closed"], "priority": ["high"]}
    assert (view.columns, view.sort) == (["number", "priority"], "-priority")
    shown = client.get(response.url)
    assert numbers(shown) == [closed.number]
    assert "<h1>High closed" in shown.content.decode()


def test_a_view_needs_a_name_unique_for_its_owner(login, rep):
    a_view(rep, name="Mine")
    client = login(rep)
    data = {"status": "closed", "sort": "-created_at", "columns": "number", "visibility": "private"}
    assert "This field is required." in client.post(NEW, data | {"name": ""}).content.decode()
    page = client.post(NEW, data | {"name": "Mine"}).content.decode()
    assert "You already have a view with this name." in page
    assert ListView.objects.count() == 1


def test_a_view_with_bad_filters_is_not_saved(login, rep):
    data = {"status": "done", "sort": "-created_at", "columns": "number", "name": "X"}
    page = login(rep).post(NEW, data | {"visibility": "private"}).content.decode()
    assert "“done” is not a status" in page and not ListView.objects.exists()


def test_requesters_cannot_share_with_teams_or_everyone(login, rep):
    form = login(rep).get(NEW).content.decode()
    assert 'name="visibility"' in form and 'value="teams"' not in form
    data = {"name": "X", "sort": "-created_at", "columns": "number", "visibility": "everyone"}
    page = login(rep).post(NEW, data).content.decode()
    assert "Select a valid choice" in page and not ListView.objects.exists()


def test_an_agent_shares_a_view_with_their_team_only(login, deal_desk_agent):
    client = login(deal_desk_agent)
    data = {"name": "Ours", "sort": "-created_at", "columns": "number", "visibility": "teams"}
    page = client.post(NEW, data).content.decode()
    assert "Choose the team(s) that may see the view." in page
    billing = team("Billing")
    page = client.post(NEW, data | {"teams": [billing.pk]}).content.decode()
    assert "Select a valid choice" in page  # not offered: not their team
    client.post(NEW, data | {"teams": [team("Deal Desk").pk]})
    assert list(ListView.objects.get().teams.all()) == [team("Deal Desk")]


# ---- who sees a view -----------------------------------------------------------------------


def test_a_private_view_of_another_user_is_not_found(login, api, rep, other_rep):
    view = a_view(rep)
    assert login(other_rep).get(TAB, {"view": view.pk}).status_code == 404
    assert login(other_rep).get(reverse("lists:edit", args=[view.pk])).status_code == 404
    assert login(other_rep).post(reverse("lists:save", args=[view.pk])).status_code == 404
    assert api(other_rep).get(f"/api/v1/views/{view.pk}").status_code == 404
    assert api(other_rep).get(f"/api/v1/views/{view.pk}/cases").status_code == 404
    assert f'<option value="{view.pk}"' not in login(other_rep).get(TAB).content.decode()


def test_a_team_view_is_shown_to_the_team_read_only(login, deal_desk_agent, dee, billing_agent):
    view = a_view(deal_desk_agent, visibility=Visibility.TEAMS, teams=[team("Deal Desk")])
    page = login(dee).get(TAB, {"view": view.pk}).content.decode()
    assert "Shared by Dan Desk" in page and f"?from={view.pk}" in page  # Clone
    assert "Rename or share" not in page and "Save changes" not in page
    client = login(dee)
    assert client.get(reverse("lists:edit", args=[view.pk])).status_code == 403
    assert client.post(reverse("lists:save", args=[view.pk]), {"sort": "id"}).status_code == 403
    assert client.post(reverse("lists:delete", args=[view.pk])).status_code == 403
    assert login(billing_agent).get(TAB, {"view": view.pk}).status_code == 404


def test_anyone_who_sees_a_view_can_clone_it(login, deal_desk_agent, dee):
    view = a_view(deal_desk_agent, visibility=Visibility.TEAMS, teams=[team("Deal Desk")])
    client = login(dee)
    form = client.get(NEW, {"from": view.pk}).content.decode()
    assert 'value="Copy of Closed ones"' in form
    response = client.post(
        NEW,
        {"from": view.pk, "name": "Copy of Closed ones", "visibility": "private", "f": "1"}
        | {"status": "closed", "columns": "number,subject,status", "sort": "-created_at"},
    )
    clone = ListView.objects.get(owner=dee)
    assert response.url == f"/cases/?view={clone.pk}"
    assert (clone.filters, clone.columns) == (view.filters, view.columns)


def test_a_built_in_view_can_be_cloned(login, rep):
    form = login(rep).get(NEW, {"from": "my-requests"}).content.decode()
    assert 'value="Copy of My Requests"' in form
    assert '<input type="hidden" name="sort" value="waiting,-updated_at">' in form


def test_only_an_admin_publishes_a_view_to_everyone(login, rep, outsider, admin_user):
    view = a_view(rep)
    assert "Publish to everyone" not in login(rep).get(TAB, {"view": view.pk}).content.decode()
    publish = reverse("lists:publish", args=[view.pk])
    assert login(rep).post(publish).status_code == 403
    assert login(admin_user).post(publish).status_code == 404  # private: not even admins see it
    mine = a_view(admin_user, name="Everything closed")
    assert "Publish to everyone" in login(admin_user).get(mine.get_absolute_url()).content.decode()
    login(admin_user).post(reverse("lists:publish", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.visibility == Visibility.EVERYONE
    assert "Everything closed (" in login(outsider).get(TAB).content.decode()  # in the picker
    login(admin_user).post(reverse("lists:publish", args=[mine.pk]), {"published": "0"})
    mine.refresh_from_db()
    assert mine.visibility == Visibility.PRIVATE


def test_a_shared_view_never_shows_cases_the_viewer_cannot_see(
    login, rep, deal_desk_agent, outsider, admin_user, opportunity
):
    deal_desk_case = a_case(rep, opportunity)
    sales_ops_case = a_case(rep, opportunity, team_name="Sales Operations")
    view = a_view(admin_user, "Everything", Visibility.EVERYONE, filters={})
    assert set(numbers(login(admin_user).get(view.get_absolute_url()))) == {
        deal_desk_case.number,
        sales_ops_case.number,
    }
    assert numbers(login(deal_desk_agent).get(view.get_absolute_url())) == [deal_desk_case.number]
    assert numbers(login(outsider).get(view.get_absolute_url())) == []


def test_me_in_a_shared_view_means_the_viewer(login, rep, other_rep, admin_user, shared_edit):
    ritas = a_case(rep, shared_edit.record)
    oscars = a_case(other_rep, shared_edit.record)
    view = a_view(admin_user, "Mine", Visibility.EVERYONE, filters={"requester": "me"})
    assert numbers(login(rep).get(view.get_absolute_url())) == [ritas.number]
    assert numbers(login(other_rep).get(view.get_absolute_url())) == [oscars.number]


# ---- change, rename, delete ------------------------------------------------------------------


def test_the_owner_saves_changed_filters_into_the_view(login, rep, opportunity):
    view = a_view(rep)
    client = login(rep)
    page = client.get(TAB, {"view": view.pk, "status": "open", "f": "1"}).content.decode()
    assert "(changed, not saved)" in page and "Save changes" in page
    response = client.post(
        reverse("lists:save", args=[view.pk]),
        {"f": "1", "status": "open", "columns": "number,status", "sort": "status"},
    )
    assert response.url == f"/cases/?view={view.pk}"
    view.refresh_from_db()
    assert view.filters == {"status": ["open"]}
    assert (view.columns, view.sort) == (["number", "status"], "status")
    assert "(changed, not saved)" not in client.get(response.url).content.decode()


def test_clearing_every_filter_is_a_change_too(login, rep, opportunity):
    view = a_view(rep)
    open_case = a_case(rep, opportunity)
    response = login(rep).get(TAB, {"view": view.pk, "f": "1"})
    assert numbers(response) == [open_case.number]


def test_rename_and_share(login, deal_desk_agent):
    view = a_view(deal_desk_agent)
    url = reverse("lists:edit", args=[view.pk])
    client = login(deal_desk_agent)
    assert 'value="Closed ones"' in client.get(url).content.decode()
    data = {"name": "Closed, ours", "visibility": "teams", "teams": [team("Deal Desk").pk]}
    assert client.post(url, data).url == view.get_absolute_url()
    view.refresh_from_db()
    assert view.name == "Closed, ours" and view.visibility == Visibility.TEAMS
    assert list(view.teams.values_list("name", flat=True)) == ["Deal Desk"]


def test_delete_asks_first(login, rep):
    view = a_view(rep)
    url = reverse("lists:delete", args=[view.pk])
    client = login(rep)
    assert "Delete the view “Closed ones”?" in client.get(url).content.decode()
    assert ListView.objects.exists()
    response = client.post(url)
    assert response.url == TAB and not ListView.objects.exists()


def test_an_admin_maintains_a_published_view(login, rep, admin_user):
    view = a_view(rep, visibility=Visibility.EVERYONE)
    url = reverse("lists:edit", args=[view.pk])
    assert login(admin_user).get(url).status_code == 200
    assert login(admin_user).post(reverse("lists:delete", args=[view.pk])).status_code == 302
    assert not ListView.objects.exists()


def test_the_owner_keeps_an_admins_publication_when_renaming(login, rep):
    view = a_view(rep, visibility=Visibility.EVERYONE)
    data = {"name": "New", "visibility": "everyone"}
    login(rep).post(reverse("lists:edit", args=[view.pk]), data)
    view.refresh_from_db()
    assert (view.name, view.visibility) == ("New", Visibility.EVERYONE)


# ---- columns -------------------------------------------------------------------------------


def test_choose_and_reorder_columns(login, rep, opportunity):
    case = a_case(rep, opportunity, details={"quote_url": "https://q.example/1"})
    client = login(rep)
    response = client.get(
        TAB, {"columns": ["number", "answer:quote_url", "record_kind"], "move": "up:record_kind"}
    )
    assert response.status_code == 302
    assert response.url == "/cases/?columns=number%2Crecord_kind%2Canswer%3Aquote_url"
    page = client.get(response.url).content.decode()
    headers = ["Number", "Record kind", "Quote"]
    positions = [page.index(f">{h}</a></th>") for h in headers]
    assert positions == sorted(positions)
    assert "<td>Opportunity</td><td>https://q.example/1</td>" in page and case.number in page
    assert 'value="up:number" disabled' in page


def test_blank_parameters_are_tidied_away(login, rep):
    response = login(rep).get(TAB, {"view": "my-requests", "owner": "", "text": "", "f": "1"})
    assert response.status_code == 302
    assert response.url == "/cases/?view=my-requests&f=1"


def test_the_picker_groups_my_views_and_shared_ones(login, deal_desk_agent, dee):
    a_view(deal_desk_agent, "Dan's")
    a_view(dee, "Dee's shared", Visibility.TEAMS, [Team.objects.get(name="Deal Desk")])
    a_view(dee, "Dee's private")
    page = login(deal_desk_agent).get(TAB).content.decode()
    mine, shared = page.index('label="My views"'), page.index('label="Shared with me"')
    assert mine < page.index("Dan&#x27;s") < shared < page.index("Dee&#x27;s shared (Dee Desk)")
    assert "Dee&#x27;s private" not in page
