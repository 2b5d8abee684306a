"""Field validation for every field type, through the one validator the wizard and API share."""

from __future__ import annotations

import pytest

from supportdesk.catalog.schema import FIELD_TYPES, AnswersInvalid, clean_answers
from tests.factories import RecordFactory, UserFactory


def field(name: str, type_: str, **extra) -> dict:
    return {
        "name": name,
        "label": name.replace("_", " ").title(),
        "type": type_,
        "required": extra.pop("required", False),
        "required_if": extra.pop("required_if", None),
        "options": extra.pop("options", []),
        "help": "",
    }


def errors_of(definitions: list[dict], data: dict) -> dict[str, list[str]]:
    with pytest.raises(AnswersInvalid) as caught:
        clean_answers(definitions, data)
    return caught.value.errors


# (type, valid input, stored value, invalid input)
CASES = [
    ("text", "  hello ", "hello", "x" * 501),
    ("long_text", "line one\nline two", "line one\nline two", "x" * 20001),
    ("number", "1200", "1200", "twelve"),
    ("number", 3.5, "3.5", "1e999999"),
    ("money", "48000.50", "48000.50", "-5"),
    ("percent", "12.5", "12.5", "101"),
    ("date", "2027-01-31", "2027-01-31", "31/31/2027"),
    ("url", "https://crm.example.com/006", "https://crm.example.com/006", "not a url"),
    ("email", "ap@example.org", "ap@example.org", "ap@"),
    ("checkbox", True, True, None),
]


@pytest.mark.parametrize(("type_", "given", "stored", "bad"), CASES)
def test_each_type_accepts_good_input_and_names_the_field_on_bad(type_, given, stored, bad):
    definitions = [field("answer", type_, required=True)]
    assert clean_answers(definitions, {"answer": given}) == {"answer": stored}
    assert "answer" in errors_of(definitions, {"answer": bad})


def test_every_field_type_is_covered_by_these_tests():
    covered = {c[0] for c in CASES} | {"picklist", "multi_picklist", "user", "record", "file"}
    assert covered == set(FIELD_TYPES)


def test_picklist_takes_only_its_options():
    definitions = [field("portal", "picklist", required=True, options=["SAP Ariba", "Coupa"])]
    assert clean_answers(definitions, {"portal": "Coupa"}) == {"portal": "Coupa"}
    assert "portal" in errors_of(definitions, {"portal": "Taulia"})


def test_multi_picklist_takes_a_list_of_its_options():
    definitions = [field("tags", "multi_picklist", required=True, options=["A", "B", "C"])]
    assert clean_answers(definitions, {"tags": ["A", "C"]}) == {"tags": ["A", "C"]}
    assert "tags" in errors_of(definitions, {"tags": ["A", "Z"]})


@pytest.mark.django_db
def test_user_field_takes_an_active_username():
    UserFactory(username="derek")
    UserFactory(username="gone", is_active=False)
    definitions = [field("approver", "user", required=True)]
    assert clean_answers(definitions, {"approver": "derek"}) == {"approver": "derek"}
    assert "no active user" in errors_of(definitions, {"approver": "gone"})["approver"][0]
    assert "approver" in errors_of(definitions, {"approver": "nobody"})


@pytest.mark.django_db
def test_record_field_takes_an_existing_external_id():
    RecordFactory(external_id="001REAL")
    definitions = [field("account", "record", required=True)]
    assert clean_answers(definitions, {"account": "001REAL"}) == {"account": "001REAL"}
    assert "no record" in errors_of(definitions, {"account": "001FAKE"})["account"][0]


def test_file_field_holds_upload_ids():
    definitions = [field("screenshot", "file", required=True)]
    assert clean_answers(definitions, {"screenshot": ["abc"]}) == {"screenshot": ["abc"]}
    assert "screenshot" in errors_of(definitions, {"screenshot": [1, 2]})
    assert "screenshot" in errors_of(definitions, {})


def test_required_fields_are_required_and_optional_ones_may_be_left_out():
    definitions = [field("must", "text", required=True), field("may", "text")]
    assert errors_of(definitions, {})["must"] == ["This field is required."]
    assert clean_answers(definitions, {"must": "x"}) == {"must": "x"}


def test_required_checkbox_must_be_ticked():
    definitions = [field("confirmed", "checkbox", required=True)]
    assert "confirmed" in errors_of(definitions, {"confirmed": False})


def test_required_if_equals_applies_only_when_the_condition_holds():
    definitions = [
        field("marketplace", "picklist", required=True, options=["AWS", "GCP"]),
        field(
            "gcp_payment",
            "picklist",
            options=["Prepay", "Postpay"],
            required_if={"field": "marketplace", "equals": "GCP"},
        ),
    ]
    assert clean_answers(definitions, {"marketplace": "AWS"}) == {"marketplace": "AWS"}
    message = errors_of(definitions, {"marketplace": "GCP"})["gcp_payment"][0]
    assert message == "This field is required when Marketplace is “GCP”."


def test_required_if_in_and_truthy_conditions():
    definitions = [
        field("update", "picklist", required=True, options=["VAT ID", "PO number", "Address"]),
        field("document", "file", required_if={"field": "update", "in": ["PO number"]}),
        field("urgent", "checkbox"),
        field("why", "long_text", required_if={"field": "urgent"}),
    ]
    assert "document" in errors_of(definitions, {"update": "PO number"})
    assert clean_answers(definitions, {"update": "Address"}) == {
        "update": "Address",
        "urgent": False,
    }
    assert "why" in errors_of(definitions, {"update": "Address", "urgent": True})


def test_unknown_answers_are_errors_naming_them():
    assert errors_of([field("a", "text")], {"b": "x"}) == {
        "b": ["This request type has no such field."]
    }
