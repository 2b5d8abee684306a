"""Loading catalog.yaml: idempotent, updates what changed, deactivates what is gone, and refuses
a bad file before writing anything."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from supportdesk.cases.models import Case
from supportdesk.catalog.apps import load_catalog_on_first_migrate
from supportdesk.catalog.definitions import CatalogError
from supportdesk.catalog.loader import load_catalog
from supportdesk.catalog.models import Redirect, RequestType, SubRequest, effective_fields
from supportdesk.catalog.schema import AnswersInvalid, answers_form_class, clean_answers
from supportdesk.people.models import ApprovalRole, Team
from supportdesk.records.models import Kind
from tests.catalog.conftest import group, request_type
from tests.factories import RecordFactory, UserFactory

pytestmark = pytest.mark.django_db

SIZES = {"teams": 7, "redirects": 8, "request_types": 90, "sub_requests": 18}
SUMMARY = "catalog: 7 teams, 8 redirects, 90 request types, 18 sub-requests, 4 approval roles"


def snapshot() -> tuple[list[dict], ...]:
    models = (Team, Redirect, RequestType, SubRequest)
    return tuple(list(model.objects.order_by("pk").values()) for model in models)


def counts(report, attribute: str) -> dict[str, int]:
    return {name: getattr(getattr(report, name), attribute) for name in SIZES}


def empty_the_catalog() -> None:
    SubRequest.objects.all().delete()
    RequestType.objects.all().delete()
    Team.objects.all().delete()
    Redirect.objects.all().delete()
    ApprovalRole.objects.all().delete()


def test_a_fresh_database_already_has_the_catalog():
    assert Team.objects.count() == SIZES["teams"]
    assert Redirect.objects.count() == SIZES["redirects"]
    assert RequestType.objects.count() == SIZES["request_types"]
    assert SubRequest.objects.count() == SIZES["sub_requests"]


def test_loading_into_an_empty_database_creates_everything():
    empty_the_catalog()
    report = load_catalog()
    assert counts(report, "created") == SIZES
    assert report.approval_roles.created == 4
    assert str(report) == f"{SUMMARY} — 127 created, 0 updated, 0 deactivated"
    billing = Team.objects.get(name="Billing")
    assert (billing.slug, billing.aliases, billing.position) == ("billing", ["Billing Team"], 0)
    assert Team.objects.get(slug="it-enterprise-applications").position == 6


def test_loading_twice_changes_nothing(django_assert_max_num_queries):
    first = snapshot()
    with django_assert_max_num_queries(8):
        report = load_catalog()
    assert not report.changed
    assert counts(report, "unchanged") == SIZES
    assert str(report) == f"{SUMMARY} — 0 created, 0 updated, 0 deactivated"
    assert snapshot() == first


def test_a_full_load_takes_a_handful_of_queries(django_assert_max_num_queries):
    empty_the_catalog()
    with django_assert_max_num_queries(14):
        load_catalog()


def test_stored_fields_are_normalised_and_expanded():
    quote_help = RequestType.objects.get(kind=Kind.OPPORTUNITY, name="Quote Help")
    error = quote_help.sub_requests.get(name="Error Message")
    names = [f["name"] for f in error.fields]
    assert names == ["quote_url", "error_message", "action_attempted", "error_screenshot"]
    for definition in RequestType.objects.get(
        name="Payment Portals (e.g. portal set-ups, Ariba, Coupa)"
    ).fields:
        assert set(definition) == {
            "name",
            "label",
            "type",
            "required",
            "required_if",
            "options",
            "help",
        }
    offer = quote_help.sub_requests.get(name="Private Offer")
    gcp = next(f for f in offer.fields if f["name"] == "gcp_payment_method")
    assert gcp["required_if"] == {"field": "marketplace", "equals": "GCP"}


def test_a_changed_file_updates_only_what_changed(catalog_data, write_catalog):
    catalog_data["teams"][0]["description"] = "Invoices and payments."
    catalog_data["redirects"][0]["instructions"] = "- Email sales-comp@gitlab.com"
    portals = request_type(catalog_data, team="Billing Team", name="Cancellation Requests")
    portals["display"] = "Cancellations"
    portals["fields"][0]["label"] = "Zuora subscription number"
    debook = request_type(catalog_data, team="Deal Desk", name="Opportunity Help")["sub_requests"][
        0
    ]
    debook["fields"][0]["required"] = False

    report = load_catalog(write_catalog(catalog_data))

    assert counts(report, "updated") == {
        "teams": 1,
        "redirects": 1,
        "request_types": 1,
        "sub_requests": 1,
    }
    assert report.created == report.deactivated == 0
    assert Team.objects.get(name="Billing").description == "Invoices and payments."
    cancellations = RequestType.objects.get(name="Cancellation Requests")
    assert cancellations.label == "Cancellations"
    assert cancellations.fields[0]["label"] == "Zuora subscription number"
    assert SubRequest.objects.get(name="Debook/Rebook").fields[0]["required"] is False
    assert not load_catalog(write_catalog(catalog_data)).changed


def test_an_entry_removed_from_the_file_is_deactivated_not_deleted(catalog_data, write_catalog):
    quote_help = RequestType.objects.get(kind=Kind.OPPORTUNITY, name="Quote Help")
    case = Case.objects.create(
        record=RecordFactory(),
        team=quote_help.team,
        request_type=quote_help,
        sub_request=quote_help.sub_requests.get(name="CPPO"),
        subject="CPPO for Acme",
        description="Please set up the CPPO.",
        requester=UserFactory(),
    )
    deal_desk = group(catalog_data, team="Deal Desk")
    deal_desk["types"] = [t for t in deal_desk["types"] if t["name"] != "Quote Help"]
    del catalog_data["redirects"][-1]

    report = load_catalog(write_catalog(catalog_data))

    assert counts(report, "deactivated") == {
        "teams": 0,
        "redirects": 1,
        "request_types": 1,
        "sub_requests": 10,
    }
    case.refresh_from_db()
    assert case.request_type.is_active is False
    assert case.sub_request.is_active is False
    assert Redirect.objects.get(name="HelpLab").is_active is False
    assert RequestType.objects.filter(name="Quote Help").exists()


def test_an_entry_put_back_in_the_file_is_reactivated(catalog_data, write_catalog):
    smaller = copy.deepcopy(catalog_data)
    del smaller["request_types"][-1]  # the IT team's break/fix: nine kinds and no record
    del smaller["teams"][-1]
    assert counts(load_catalog(write_catalog(smaller)), "deactivated")["request_types"] == 10
    assert not Team.objects.get(name="IT / Enterprise Applications").is_active

    report = load_catalog(write_catalog(catalog_data))

    assert counts(report, "updated") == {
        "teams": 1,
        "redirects": 0,
        "request_types": 10,
        "sub_requests": 0,
    }
    assert RequestType.objects.filter(name="Break/Fix Request", is_active=True).count() == 10


def break_a_field_type(data):
    request_type(data, team="Deal Desk", name="Quote Help")["sub_requests"][4]["fields"][0][
        "type"
    ] = "link"


def break_a_required_if(data):
    offer = request_type(data, team="Deal Desk", name="Quote Help")["sub_requests"][4]
    offer["fields"][5]["required_if"] = {"field": "marketplace", "equals": "Azure"}


def refer_to_an_unknown_team(data):
    group(data, team="Sales Operations")["team"] = "Sales Ops"


def list_a_request_type_twice(data):
    types = group(data, team="Renewal Operations")["types"]
    types.append({"name": types[0]["name"]})


def list_a_sub_request_twice(data):
    subs = request_type(data, team="Deal Desk", name="Finance Use")["sub_requests"]
    subs.append({"name": "Internal Only Correction"})


def give_the_same_type_to_a_team_by_its_alias(data):
    data["request_types"].append(
        {
            "kinds": ["partner_account"],
            "team": "Billing",
            "types": [{"name": "Request Reseller Account Creation in Zuora"}],
        }
    )


def use_an_unknown_kind(data):
    group(data, team="SalesDev & Marketing", kind="lead")["kinds"] = ["leads"]


def use_an_unknown_field_set(data):
    request_type(data, team="Sales Operations", name="System Error")["uses"] = ["errors"]


def add_an_unknown_key(data):
    request_type(data, team="Deal Desk", name="Other")["queue"] = "Deal Desk"


def repeat_a_field_name(data):
    request_type(data, team="Sales Operations", name="System Error")["fields"] = [
        {"name": "error_message", "label": "Error", "type": "text"}
    ]


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        (
            break_a_field_type,
            r"Opportunity / Deal Desk / Quote Help / Private Offer / "
            r"field 'quote_url': unknown type 'link'",
        ),
        (
            break_a_required_if,
            r"Private Offer / field 'gcp_payment_method': .*'Azure'.* not options",
        ),
        (refer_to_an_unknown_team, r"unknown team 'Sales Ops'"),
        (
            list_a_request_type_twice,
            r"Opportunity / Renewal Operations / Compensation Question: .*listed twice",
        ),
        (
            list_a_sub_request_twice,
            r"Finance Use / Internal Only Correction: sub-request is listed twice",
        ),
        (
            give_the_same_type_to_a_team_by_its_alias,
            r"Partner Account / Billing / Request Reseller .*listed twice",
        ),
        (use_an_unknown_kind, r"unknown kind 'leads'"),
        (use_an_unknown_field_set, r"System Error: uses unknown field set 'errors'"),
        (add_an_unknown_key, r"unknown key\(s\) queue"),
        (repeat_a_field_name, r"System Error: field name 'error_message' is used twice"),
    ],
)
def test_a_bad_file_raises_and_writes_nothing(catalog_data, write_catalog, mistake, message):
    catalog_data["teams"].insert(0, {"name": "Zeta Team", "description": "Would be created first."})
    catalog_data["teams"][1]["description"] = "Would be updated first."
    mistake(catalog_data)
    before = snapshot()

    with pytest.raises(CatalogError, match=message):
        load_catalog(write_catalog(catalog_data))

    assert snapshot() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\nteams: [{name: A}]\nteams: [{name: B}]\n", "key 'teams' is repeated"),
        ("version: 1\nteams: [{name: A}\n", "not valid YAML"),
        ("version: 2\nteams: [{name: A}]\n", "version 2 is not supported"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_a_malformed_file_raises(write_catalog, text, message):
    with pytest.raises(CatalogError, match=message):
        load_catalog(write_catalog(text))


def test_a_missing_file_raises(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "nowhere.yaml")


def test_the_command_prints_its_report():
    out = StringIO()
    call_command("loadcatalog", stdout=out)
    assert out.getvalue().strip() == f"{SUMMARY} — 0 created, 0 updated, 0 deactivated"


def test_the_command_prints_per_model_counts_when_verbose():
    out = StringIO()
    call_command("loadcatalog", verbosity=2, stdout=out)
    assert "request types: 0 created, 0 updated, 0 deactivated, 90 unchanged" in out.getvalue()


def test_the_command_loads_another_file(catalog_data, write_catalog):
    catalog_data["teams"][0]["description"] = "Invoices and payments."
    out = StringIO()
    call_command("loadcatalog", "--file", str(write_catalog(catalog_data)), stdout=out)
    assert out.getvalue().strip().endswith("0 created, 1 updated, 0 deactivated")


def test_the_command_fails_with_the_catalog_error(catalog_data, write_catalog):
    refer_to_an_unknown_team(catalog_data)
    with pytest.raises(CommandError, match="unknown team 'Sales Ops'"):
        call_command("loadcatalog", "--file", str(write_catalog(catalog_data)), stdout=StringIO())


def test_the_console_command_exits_non_zero_on_a_bad_file(catalog_data, write_catalog, tmp_path):
    refer_to_an_unknown_team(catalog_data)
    path = write_catalog(catalog_data)
    env = os.environ | {"SUPPORTDESK_VAR_DIR": str(tmp_path / "var")}
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "supportdesk.cli", "loadcatalog", "--file", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert re.search(r"CommandError: .*unknown team 'Sales Ops'", done.stderr)


def test_post_migrate_loads_the_catalog_only_into_an_empty_catalog(catalog_data, write_catalog):
    config = apps.get_app_config("catalog")
    Team.objects.filter(name="Billing").update(description="Edited by an admin.")
    load_catalog_on_first_migrate(config, using="default", verbosity=0)
    assert Team.objects.get(name="Billing").description == "Edited by an admin."

    empty_the_catalog()
    out = StringIO()
    load_catalog_on_first_migrate(config, using="default", verbosity=1, stdout=out)
    assert RequestType.objects.count() == SIZES["request_types"]
    assert "Loaded the request catalog" in out.getvalue()


def test_every_effective_field_list_builds_an_answers_form():
    for rt in RequestType.objects.prefetch_related("sub_requests"):
        for sub in [None, *rt.sub_requests.all()]:
            form = answers_form_class(effective_fields(rt, sub))()
            assert list(form.fields) == [f["name"] for f in effective_fields(rt, sub)]


def test_a_catalog_condition_is_enforced_by_the_answers_form():
    name_change = RequestType.objects.get(name="Account Name Changes")
    with pytest.raises(AnswersInvalid) as caught:
        clean_answers(name_change.fields, {"new_legal_name": "Acme", "customer_initiated": "on"})
    assert list(caught.value.errors) == ["legal_case_link"]
    assert clean_answers(name_change.fields, {"new_legal_name": "Acme"})["new_legal_name"] == "Acme"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", ["first", "after a flush"])
def test_transactional_tests_have_the_catalog_too(run):
    assert RequestType.objects.filter(is_active=True).count() == SIZES["request_types"]
