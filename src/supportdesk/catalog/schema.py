"""One place that turns a request type's field schema into a form and a validator.

The wizard, the API and later the agent's edit forms all validate answers here, so the rules
cannot drift between screens. A field definition is a dict with the keys name, label, type,
required, required_if, options and help (normalised by the catalog loader).

Answers are stored as JSON: text as str, number/money/percent as a decimal string, date as
ISO date, user as username, record as external id, multi_picklist as a list of options,
checkbox as bool, file as a list of upload (before submit) or attachment (after) ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from supportdesk.catalog.definitions import FIELD_TYPES  # noqa: F401 (re-exported)


class UsernameField(forms.CharField):
    """A person, given by username; must be an active user."""

    def clean(self, value: Any) -> str:
        username = super().clean(value)
        if (
            username
            and not get_user_model().objects.filter(username=username, is_active=True).exists()
        ):
            raise ValidationError(f"There is no active user called “{username}”.")
        return username


class RecordRefField(forms.CharField):
    """A CRM record, given by its external id; must exist."""

    def clean(self, value: Any) -> str:
        from supportdesk.records.models import Record

        external_id = super().clean(value)
        if external_id and not Record.objects.filter(external_id=external_id).exists():
            raise ValidationError(f"There is no record with the id “{external_id}”.")
        return external_id


class FileRefsField(forms.Field):
    """Ids of files uploaded for this answer; their ownership is checked at submit."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        if value in (None, "", [], ()):
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValidationError("Give a list of upload ids.")
        return [v.strip() for v in value if v.strip()]


def _decimal_field(field_type: str, **common: Any) -> forms.Field:
    if field_type == "money":
        return forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, **common)
    if field_type == "percent":
        return forms.DecimalField(
            max_digits=5, decimal_places=2, min_value=0, max_value=100, **common
        )
    return forms.DecimalField(max_digits=18, decimal_places=4, **common)


def form_field(definition: Mapping[str, Any]) -> forms.Field:
    """The Django form field for one definition (required_if is checked by the form)."""
    field_type = definition["type"]
    common: dict[str, Any] = {
        "label": definition["label"],
        "required": bool(definition.get("required")),
        "help_text": definition.get("help") or "",
    }
    options = list(definition.get("options") or [])
    if field_type == "text":
        return forms.CharField(max_length=500, **common)
    if field_type == "long_text":
        return forms.CharField(max_length=20000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if field_type in ("number", "money", "percent"):
        return _decimal_field(field_type, **common)
    if field_type == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if field_type == "user":
        return UsernameField(max_length=150, **common)
    if field_type == "picklist":
        return forms.ChoiceField(choices=[("", "— choose —"), *((o, o) for o in options)], **common)
    if field_type == "multi_picklist":
        return forms.MultipleChoiceField(
            choices=[(o, o) for o in options], widget=forms.CheckboxSelectMultiple, **common
        )
    if field_type == "url":
        return forms.URLField(max_length=1000, assume_scheme="https", **common)
    if field_type == "email":
        return forms.EmailField(**common)
    if field_type == "checkbox":
        return forms.BooleanField(**common)
    if field_type == "record":
        return RecordRefField(max_length=64, **common)
    if field_type == "file":
        return FileRefsField(**common)
    raise ValueError(f"Unknown field type {field_type!r}")


def condition_holds(condition: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """Whether a `required_if` condition is met by the (cleaned) answers."""
    if not condition:
        return False
    value = answers.get(condition["field"])
    if "equals" in condition:
        return value == condition["equals"] or (
            isinstance(value, list) and condition["equals"] in value
        )
    if "in" in condition:
        if isinstance(value, list):
            return any(v in condition["in"] for v in value)
        return value in condition["in"]
    return bool(value)


def describe_condition(condition: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    other = labels.get(condition["field"], condition["field"])
    if "equals" in condition:
        return f"{other} is “{condition['equals']}”"
    if "in" in condition:
        return f"{other} is one of " + ", ".join(f"“{v}”" for v in condition["in"])
    return f"{other} is given"


class AnswersForm(forms.Form):
    """Built per request type by `answers_form_class`; adds the conditional requirements."""

    definitions: list[dict] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        labels = {d["name"]: d["label"] for d in self.definitions}
        for definition in self.definitions:
            name, condition = definition["name"], definition.get("required_if")
            if name in self.errors or not condition_holds(condition, cleaned):
                continue
            if cleaned.get(name) in (None, "", [], False):
                self.add_error(
                    name, f"This field is required when {describe_condition(condition, labels)}."
                )
        return cleaned


def answers_form_class(definitions: Iterable[Mapping[str, Any]]) -> type[AnswersForm]:
    definitions = [dict(d) for d in definitions]
    attrs: dict[str, Any] = {d["name"]: form_field(d) for d in definitions}
    attrs["definitions"] = definitions
    return type("AnswersForm", (AnswersForm,), attrs)


def to_json(value: Any) -> Any:
    """A cleaned form value as stored in Case.details."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


LIST_TYPES = ("multi_picklist", "file")


def _shape(definition: Mapping[str, Any], value: Any) -> tuple[Any, str]:
    """An answer as the form expects it (forms take text, like HTTP), or why it cannot be.

    The API accepts any JSON, so a date may arrive as a number or a list as an object.
    """
    if definition["type"] in LIST_TYPES:
        items = value if isinstance(value, list) else [value]
        if all(isinstance(item, str | type(None)) for item in items):
            return value, ""
        return value, "Give a list of texts."
    if value is None or isinstance(value, str):
        return value, ""
    if isinstance(value, bool):
        ok = definition["type"] == "checkbox"
        return value, "" if ok else "Give a text or a number, not true or false."
    if isinstance(value, int | float):
        return str(value), ""
    return value, "Give a single value, not a list or an object."


class AnswersInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def clean_answers(
    definitions: Iterable[Mapping[str, Any]], data: Mapping[str, Any], *, strict: bool = True
) -> dict[str, Any]:
    """Validate raw answers against the schema; return JSON-ready answers or raise.

    With `strict`, answers for fields the schema does not have are errors (API callers
    should learn about a misspelt field name rather than see it silently dropped).
    """
    definitions = list(definitions)
    shaped, errors = dict(data), {}
    for definition in definitions:
        if definition["name"] in data:
            value, problem = _shape(definition, data[definition["name"]])
            shaped[definition["name"]] = value
            if problem:
                errors[definition["name"]] = [problem]
                del shaped[definition["name"]]
    form = answers_form_class(definitions)(data=shaped)
    if strict:
        known = {d["name"] for d in definitions}
        for name in data:
            if name not in known:
                errors[name] = ["This request type has no such field."]
    if not form.is_valid():
        for name, messages in form.errors.items():
            if name not in errors:  # a wrongly shaped answer also reads as missing
                errors[name] = list(messages)
    if errors:
        raise AnswersInvalid(errors)
    return {
        d["name"]: to_json(form.cleaned_data[d["name"]])
        for d in definitions
        if form.cleaned_data.get(d["name"]) not in (None, "", [])
    }
