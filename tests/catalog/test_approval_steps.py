"""Approval steps and approval roles in the catalog: each rule of the format, with a step that
passes beside one that fails, and what loading the packaged catalog stores."""

from __future__ import annotations

from typing import Any

import pytest

from supportdesk.catalog.definitions import CatalogError, validate_approval_steps
from supportdesk.catalog.loader import load_catalog
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.people.models import ApprovalRole
from tests.catalog.conftest import request_type
from tests.factories import UserFactory

WHERE = "Opportunity / Deal Desk / Opportunity Help / PO Exception"
ROLES = {"compensation", "sales-leadership"}
TEAMS = {"Billing": "Billing", "Billing Team": "Billing", "Deal Desk": "Deal Desk"}
FIELDS = [
    {"name": "po_type", "type": "picklist", "options": ["End of quarter", "Other"]},
    {"name": "urgent", "type": "checkbox", "options": []},
    {"name": "note", "type": "text", "options": []},
]


def step(**overrides: Any) -> dict[str, Any]:
    return {"name": "Compensation approval", "role": "compensation"} | overrides


def validate(*steps: Any, inherited: list[dict] | None = None) -> list[dict]:
    return validate_approval_steps(
        list(steps), where=WHERE, fields=FIELDS, roles=ROLES, teams=TEAMS, inherited=inherited or ()
    )


def test_a_minimal_step_is_normalised_with_its_defaults():
    assert validate(step()) == [
        {
            "name": "Compensation approval",
            "role": "compensation",
            "team_lead": None,
            "approvers": 1,
            "chosen_by": "agent",
            "when": None,
        }
    ]


def test_a_team_lead_step_stores_the_teams_name_and_normalising_twice_changes_nothing():
    once = validate(
        step(name="Billing leadership", role=None, team_lead="Billing Team"),
        step(approvers=2, chosen_by="requester", when={"field": "po_type", "equals": "Other"}),
    )
    assert (once[0]["role"], once[0]["team_lead"]) == (None, "Billing")
    assert once[1]["when"] == {"field": "po_type", "equals": "Other"}
    again = validate_approval_steps(once, where=WHERE, fields=FIELDS, roles=ROLES, teams=TEAMS)
    assert again == once


def test_when_may_list_values():
    [clean] = validate(step(when={"field": "po_type", "in": ["Other", "End of quarter"]}))
    assert clean["when"] == {"field": "po_type", "in": ["Other", "End of quarter"]}


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ({"name": "x"}, "approvals must be a list, not dict"),
        (["Compensation"], "a step must be a mapping, not str"),
        ([step(approver="sam")], "unknown key\\(s\\) approver"),
        ([step(name=" ")], "name is missing or empty"),
        ([step(name="x" * 201)], "name is longer than 200 characters"),
        ([step(role=None)], "give either role \\(an approval role\\) or team_lead"),
        ([step(team_lead="Billing")], "give either role \\(an approval role\\) or team_lead"),
        ([step(role="legal")], "unknown approval role 'legal'; declare it under approval_roles"),
        ([step(role=["compensation"])], "unknown approval role"),
        ([step(role=None, team_lead="Legal")], "team_lead 'Legal' is not a team of the catalog"),
        ([step(approvers=0)], "approvers must be from 1 to 10"),
        ([step(approvers=11)], "approvers must be from 1 to 10"),
        ([step(approvers="2")], "approvers must be a whole number"),
        ([step(approvers=True)], "approvers must be a whole number"),
        ([step(chosen_by="lead")], "chosen_by must be agent or requester"),
        ([step(when="po_type")], "when must be a mapping like"),
        ([step(when={"field": "po_type"})], "when takes either equals or in"),
        ([step(when={"field": "po_type", "equals": "Other", "in": ["Other"]})], "either equals"),
        ([step(when={"field": "po_type", "equals": "Other", "is": 1})], "unknown key\\(s\\) is"),
        ([step(when={"field": "po_type", "equals": ["Other"]})], "equals must be a single value"),
        ([step(when={"field": "po_type", "in": []})], "when in must be a non-empty list"),
        ([step(when={"field": "amount", "equals": "1"})], "'amount', not a field of this request"),
        ([step(when={"field": "po_type", "equals": "Late"})], "\\['Late'\\] are not options"),
        ([step(when={"field": "urgent", "equals": "yes"})], "is a checkbox; compare it to true"),
        ([step(), step()], "step name 'Compensation approval' is used twice"),
    ],
)
def test_a_bad_step_is_refused_saying_where_and_why(steps, message):
    with pytest.raises(CatalogError, match=message) as caught:
        validate_approval_steps(steps, where=WHERE, fields=FIELDS, roles=ROLES, teams=TEAMS)
    assert str(caught.value).startswith(WHERE)


def test_a_sub_requests_step_names_differ_from_its_request_types():
    inherited = validate(step())
    with pytest.raises(CatalogError, match="used twice"):
        validate(step(), inherited=inherited)
    assert validate(step(name="Leadership", role="sales-leadership"), inherited=inherited)


def test_a_bad_step_names_its_place_in_the_list():
    with pytest.raises(CatalogError, match=f"^{WHERE} / approval step #2: "):
        validate(step(), step(name="Second", role="nobody"))


# ---- the packaged catalog ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_catalog_declares_the_approval_roles():
    assert dict(ApprovalRole.objects.values_list("slug", "name")) == {
        "sales-leadership": "Sales leadership",
        "compensation": "Sales Compensation",
        "sr-director-deal-desk": "Sr Director Deal Desk",
        "sr-manager-billing-ar": "Sr Manager Billing & AR",
    }


def _steps_of(rows: Any) -> list[tuple[str, str | None, str | None, str]]:
    return [(s["name"], s["role"], s["team_lead"], s["chosen_by"]) for s in rows]


@pytest.mark.django_db
def test_the_catalog_stores_the_seeds_approval_steps():
    comp = RequestType.objects.get(name="Churn Exception Request - Comp")
    assert _steps_of(comp.approvals) == [
        ("Leadership approval", "sales-leadership", None, "requester"),
        ("Compensation approval", "compensation", None, "agent"),
    ]
    renewal = RequestType.objects.get(name="Churn Exception Request")
    assert [s["name"] for s in renewal.approvals] == [
        "Leadership approval",
        "Compensation approval",
    ]
    invoice = RequestType.objects.get(name__startswith="Invoice Update")
    assert _steps_of(invoice.approvals) == [
        ("Billing leadership approval", None, "Billing", "agent")
    ]
    po = SubRequest.objects.get(name="PO Exception")
    end_of_quarter = {"field": "po_exception_type", "equals": "End of quarter: PO delayed"}
    assert [(s["role"], s["when"]) for s in po.approvals] == [
        ("sr-director-deal-desk", end_of_quarter),
        ("sr-manager-billing-ar", end_of_quarter),
    ]
    assert po.request_type.approvals == []
    others = RequestType.objects.exclude(approvals=[]).count()
    assert others == 3  # and no other request type needs approvals


@pytest.mark.django_db
def test_a_step_naming_an_undeclared_role_stops_the_load(catalog_data, write_catalog):
    comp = request_type(
        catalog_data, team="Sales Operations", name="Churn Exception Request - Comp"
    )
    comp["approvals"][1]["role"] = "finance"
    before = list(RequestType.objects.values_list("approvals", flat=True))
    with pytest.raises(CatalogError, match="Churn Exception Request - Comp / approval step #2"):
        load_catalog(write_catalog(catalog_data))
    assert list(RequestType.objects.values_list("approvals", flat=True)) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([{"slug": "Comp Team", "name": "Comp"}], "slug 'Comp Team' must be a slug"),
        ([{"slug": "comp"}], "missing key\\(s\\) name"),
        ([{"slug": "comp", "name": "A"}, {"slug": "comp", "name": "B"}], "listed twice"),
        ([{"slug": "comp", "name": "A", "members": ["sam"]}], "unknown key\\(s\\) members"),
    ],
)
def test_a_bad_approval_role_is_refused(catalog_data, write_catalog, roles, message):
    catalog_data["approval_roles"] = roles
    with pytest.raises(CatalogError, match=message):
        load_catalog(write_catalog(catalog_data))


@pytest.mark.django_db
def test_roles_are_updated_and_never_lose_their_members(catalog_data, write_catalog):
    role = ApprovalRole.objects.get(slug="compensation")
    role.members.add(UserFactory(username="carlos"))
    roles = {r["slug"]: r for r in catalog_data["approval_roles"]}
    roles["compensation"] |= {"name": "Comp", "description": "Sales Comp team"}
    catalog_data["approval_roles"].append({"slug": "finance", "name": "Finance"})
    report = load_catalog(write_catalog(catalog_data))
    counts = report.approval_roles
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 3)
    role.refresh_from_db()
    assert (role.name, role.description) == ("Comp", "Sales Comp team")
    assert list(role.members.values_list("username", flat=True)) == ["carlos"]
    load_catalog()  # the packaged file again: Finance is no longer in it, but stays
    assert ApprovalRole.objects.filter(slug="finance").exists()
    assert ApprovalRole.objects.get(slug="compensation").members.count() == 1
