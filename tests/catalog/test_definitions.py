"""Each rule of a field definition, with a definition that passes beside one that fails."""

from __future__ import annotations

from typing import Any

import pytest

from supportdesk.catalog.definitions import (
    FIELD_TYPES,
    CatalogError,
    validate_field_definitions,
)

WHERE = "Opportunity / Deal Desk / Quote Help / Private Offer"


def field(**overrides: Any) -> dict[str, Any]:
    return {"name": "quote_url", "label": "Quote", "type": "url"} | overrides


def picklist(name: str = "marketplace", options: list | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "label": "Marketplace",
        "type": "picklist",
        "options": options or ["AWS", "GCP"],
    }


def validate(*fields: dict[str, Any]) -> list[dict]:
    return validate_field_definitions(list(fields), where=WHERE)


def fails(*fields: dict[str, Any], match: str) -> None:
    with pytest.raises(CatalogError, match=match) as caught:
        validate(*fields)
    assert str(caught.value).startswith(WHERE)


def test_a_minimal_definition_is_normalised_with_exactly_the_known_keys():
    assert validate(field()) == [
        {
            "name": "quote_url",
            "label": "Quote",
            "type": "url",
            "required": False,
            "required_if": None,
            "options": [],
            "help": "",
        }
    ]


def test_normalising_twice_changes_nothing():
    once = validate(picklist(), field(required_if={"field": "marketplace", "equals": "GCP"}))
    assert validate_field_definitions(once, where=WHERE) == once


def test_the_fields_must_be_a_list_of_mappings():
    with pytest.raises(CatalogError, match="must be a list"):
        validate_field_definitions({"name": "x"}, where=WHERE)  # type: ignore[arg-type]
    fails("quote_url", match="must be a mapping")


@pytest.mark.parametrize("field_type", sorted(FIELD_TYPES - {"picklist", "multi_picklist"}))
def test_every_known_type_is_accepted(field_type):
    assert validate(field(type=field_type))[0]["type"] == field_type


@pytest.mark.parametrize("field_type", ["string", "Text", None, 3])
def test_an_unknown_type_is_refused(field_type):
    fails(field(type=field_type), match="unknown type")


@pytest.mark.parametrize("name", ["po_number", "a", "step2", "error_message_2"])
def test_snake_case_names_are_accepted(name):
    assert validate(field(name=name))[0]["name"] == name


@pytest.mark.parametrize(
    "name", ["PO number", "poNumber", "_po", "po__number", "po_", "2po", "", None]
)
def test_names_that_are_not_snake_case_are_refused(name):
    fails(field(name=name), match="snake_case")


def test_a_name_used_twice_is_refused():
    fails(field(), field(label="Other quote"), match="'quote_url' is used twice")


def test_a_label_is_needed():
    fails({"name": "quote_url", "type": "url"}, match="label is missing")
    fails(field(label="   "), match="label is missing")


def test_required_defaults_to_false_and_must_be_a_boolean():
    assert validate(field(required=True))[0]["required"] is True
    fails(field(required="yes"), match="required must be true or false")


def test_help_defaults_to_empty_text_and_must_be_text():
    assert validate(field(help="Link to the quote."))[0]["help"] == "Link to the quote."
    fails(field(help=["no"]), match="help must be text")


@pytest.mark.parametrize("field_type", ["picklist", "multi_picklist"])
def test_picklists_keep_their_options(field_type):
    assert validate(picklist() | {"type": field_type})[0]["options"] == ["AWS", "GCP"]


@pytest.mark.parametrize("options", [None, [], "AWS", ["AWS", ""], ["AWS", 3]])
def test_picklists_need_non_empty_options(options):
    definition = picklist() | {"options": options}
    fails(definition, match="options")


def test_picklist_options_may_not_repeat():
    fails(picklist(options=["AWS", "AWS"]), match="repeated")


def test_options_are_refused_on_other_types():
    fails(field(options=["a"]), match="only for picklist")
    assert validate(field(options=[]))[0]["options"] == []


def test_unknown_keys_are_refused():
    fails(field(inferred=True), match="unknown key")
    fails(field(multiple=True), match="unknown key")


def test_required_if_equals_an_option_of_another_field():
    fields = validate(
        picklist(), field(name="gcp_id", required_if={"field": "marketplace", "equals": "GCP"})
    )
    assert fields[1]["required_if"] == {"field": "marketplace", "equals": "GCP"}


def test_required_if_may_refer_to_a_later_field():
    assert validate(field(required_if={"field": "marketplace", "equals": "GCP"}), picklist())


def test_required_if_in_several_options():
    fields = validate(picklist(), field(required_if={"field": "marketplace", "in": ["AWS", "GCP"]}))
    assert fields[1]["required_if"] == {"field": "marketplace", "in": ["AWS", "GCP"]}


def test_required_if_another_answer_is_given():
    fields = validate(field(name="notes", type="text"), field(required_if={"field": "notes"}))
    assert fields[1]["required_if"] == {"field": "notes"}


def test_required_if_a_checkbox_is_ticked():
    box = {"name": "customer_initiated", "label": "Customer asked", "type": "checkbox"}
    assert validate(box, field(required_if={"field": "customer_initiated", "equals": True}))
    fails(
        box, field(required_if={"field": "customer_initiated", "equals": "yes"}), match="checkbox"
    )


@pytest.mark.parametrize(
    ("condition", "match"),
    [
        ({"field": "nowhere", "equals": "GCP"}, "not another field"),
        ({"field": "quote_url"}, "not another field"),
        ({"field": "marketplace", "equals": "Azure"}, "not options of 'marketplace'"),
        ({"field": "marketplace", "in": ["GCP", "Azure"]}, "not options of 'marketplace'"),
        ({"field": "marketplace", "in": []}, "non-empty list"),
        ({"field": "marketplace", "in": "GCP"}, "non-empty list"),
        ({"field": "marketplace", "equals": "GCP", "in": ["GCP"]}, "not both"),
        ({"field": "marketplace", "equals": ["GCP"]}, "single value"),
        ({"field": "marketplace", "is": "GCP"}, "unknown key"),
        ({"equals": "GCP"}, "name of another field"),
        ("marketplace == 'GCP'", "must be a mapping"),
    ],
)
def test_a_bad_required_if_is_refused(condition, match):
    fails(picklist(), field(required_if=condition), match=match)


def test_a_field_is_not_both_required_and_required_if():
    fails(
        picklist(),
        field(required=True, required_if={"field": "marketplace", "equals": "GCP"}),
        match="not both",
    )


def test_required_if_may_refer_to_an_inherited_field():
    parent = validate(picklist())
    fields = validate_field_definitions(
        [field(required_if={"field": "marketplace", "equals": "GCP"})],
        where=WHERE,
        inherited=parent,
    )
    assert fields[0]["required_if"]["field"] == "marketplace"


def test_the_error_names_the_field():
    with pytest.raises(CatalogError, match=r"Private Offer / field 'quote_url': unknown type"):
        validate(field(type="link"))
