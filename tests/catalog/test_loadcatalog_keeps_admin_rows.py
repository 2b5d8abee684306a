"""loadcatalog retires only what the file dropped; what admins added (API, admin site) stays."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from supportdesk.catalog.models import Redirect, RequestType, SubRequest
from supportdesk.people.models import Team
from supportdesk.people.services import team_create
from tests.api.conftest import TokenClient, make_token
from tests.catalog.conftest import group

pytestmark = pytest.mark.django_db

TYPES = "/api/v1/catalog/request-types"


def loadcatalog(path) -> str:
    out = StringIO()
    call_command("loadcatalog", file=path, stdout=out)
    return out.getvalue()


@pytest.fixture
def admin_api(admin_user) -> TokenClient:
    return TokenClient(make_token(admin_user))


@pytest.fixture
def admin_rows(admin_api, client, admin_user):
    """A team, a request type of it with a sub-request, a sub-request on a file type, and a
    redirect: each added by an admin, the first four over the API, the last on the admin site."""
    team = admin_api.post_json("/api/v1/teams", {"name": "Partner Desk"})
    assert team.status_code == 201, team.content
    body = {"team": "Partner Desk", "kind": "opportunity", "name": "Partner Deal Review"}
    new_type = admin_api.post_json(TYPES, body)
    assert new_type.status_code == 201, new_type.content
    type_id = new_type.json()["id"]
    on_new_type = admin_api.post_json(f"{TYPES}/{type_id}/sub-requests", {"name": "Reseller"})
    quote_help = RequestType.objects.get(kind="opportunity", name="Quote Help")
    on_file_type = admin_api.post_json(f"{TYPES}/{quote_help.pk}/sub-requests", {"name": "Bundle"})
    assert on_new_type.status_code == on_file_type.status_code == 201
    client.force_login(admin_user)
    redirect = client.post(
        "/admin/catalog/redirect/add/",
        {
            "name": "Partner Ops",
            "instructions": "Email partners@",
            "position": 0,
            "is_active": "on",
        },
    )
    assert redirect.status_code == 302, redirect.content.decode()[:2000]
    if_active = {"is_active": True, "from_catalog_file": False}
    assert Team.objects.filter(name="Partner Desk", **if_active).exists()
    assert Redirect.objects.filter(name="Partner Ops", **if_active).exists()
    return {
        "team": Team.objects.get(name="Partner Desk"),
        "type": RequestType.objects.get(pk=type_id),
        "subs": SubRequest.objects.filter(
            pk__in=[on_new_type.json()["id"], on_file_type.json()["id"]]
        ),
        "redirect": Redirect.objects.get(name="Partner Ops"),
    }


def test_loaded_rows_are_marked_as_the_files():
    for model in (Team, Redirect, RequestType, SubRequest):
        assert not model.objects.filter(from_catalog_file=False).exists()
        assert model.objects.filter(from_catalog_file=True).exists()


def test_what_admins_added_stays_active_through_loadcatalog(
    admin_rows, admin_api, catalog_data, write_catalog
):
    output = loadcatalog(write_catalog(catalog_data))

    assert "0 created, 0 updated, 0 deactivated" in output
    rows = [admin_rows["team"], admin_rows["type"], admin_rows["redirect"], *admin_rows["subs"]]
    for row in rows:
        row.refresh_from_db()
        assert (row.is_active, row.from_catalog_file) == (True, False), row
    catalog = admin_api.get("/api/v1/catalog?kind=opportunity").json()
    teams = {t["name"]: t for t in catalog["teams"]}
    assert [rt["name"] for rt in teams["Partner Desk"]["request_types"]] == ["Partner Deal Review"]


def test_what_the_file_dropped_is_deactivated_and_admin_rows_are_not(
    admin_rows, catalog_data, write_catalog
):
    deal_desk = group(catalog_data, team="Deal Desk")
    deal_desk["types"] = [t for t in deal_desk["types"] if t["name"] != "Quote Help"]
    dropped_team = catalog_data["teams"][-1]["name"]
    catalog_data["teams"].pop()
    catalog_data["request_types"] = [
        g for g in catalog_data["request_types"] if g["team"] != dropped_team
    ]
    del catalog_data["redirects"][-1]

    output = loadcatalog(write_catalog(catalog_data))

    quote_help = RequestType.objects.get(kind="opportunity", name="Quote Help")
    assert quote_help.is_active is False
    assert Team.objects.get(name=dropped_team).is_active is False
    assert Redirect.objects.get(name="HelpLab").is_active is False
    file_subs = quote_help.sub_requests.filter(from_catalog_file=True)
    assert file_subs.exists() and not file_subs.filter(is_active=True).exists()
    # the admin's sub-request on Quote Help stays as the admin left it (its type is retired)
    assert quote_help.sub_requests.get(name="Bundle").is_active is True
    for row in [admin_rows["team"], admin_rows["type"], admin_rows["redirect"]]:
        row.refresh_from_db()
        assert row.is_active is True, row
    assert "deactivated" in output


def test_an_admin_row_the_file_takes_up_becomes_the_files(admin_rows, catalog_data, write_catalog):
    catalog_data["teams"].append({"name": "Partner Desk", "description": "Partner deals."})

    loadcatalog(write_catalog(catalog_data))
    admin_rows["team"].refresh_from_db()
    assert admin_rows["team"].from_catalog_file is True
    assert admin_rows["team"].description == "Partner deals."

    catalog_data["teams"].pop()
    loadcatalog(write_catalog(catalog_data))
    admin_rows["team"].refresh_from_db()
    assert admin_rows["team"].is_active is False
    admin_rows["type"].refresh_from_db()
    assert admin_rows["type"].is_active is True  # the admin's type of that team is still theirs


@pytest.mark.django_db(transaction=True)
def test_the_migration_marks_the_rows_of_the_packaged_file_and_no_others():
    added_fields = [
        ("catalog", "0004_from_catalog_file"),
        ("people", "0003_team_from_catalog_file"),
    ]
    marked = [("catalog", "0005_mark_catalog_file_rows")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(added_fields)
        for model in (Team, Redirect, RequestType, SubRequest):
            model.objects.update(from_catalog_file=False)  # as the fields were added
        partner_desk = team_create(name="Partner Desk")
        admins_type = RequestType.objects.create(kind="account", team=partner_desk, name="Review")
        quote_help = RequestType.objects.get(kind="opportunity", name="Quote Help")
        admins_sub = SubRequest.objects.create(request_type=quote_help, name="Bundle")

        executor.loader.build_graph()
        executor.migrate(marked)
        unmarked = {
            model: set(model.objects.filter(from_catalog_file=False).values_list("pk", flat=True))
            for model in (Team, Redirect, RequestType, SubRequest)
        }
    finally:  # back to the latest schema: the tests after this one in this process need it
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert unmarked == {
        Team: {partner_desk.pk},
        Redirect: set(),
        RequestType: {admins_type.pk},
        SubRequest: {admins_sub.pk},
    }
