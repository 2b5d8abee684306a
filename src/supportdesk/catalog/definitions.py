"""Checks a list of catalog field definitions and returns it in normalised form.

A definition is a dict with the keys name, label, type, required, required_if, options and
help. Normalised, every definition has exactly those keys: `required` a bool, `required_if`
None or a dict (`{field}`, `{field, equals}` or `{field, in}`), `options` a list ([] unless
the type is a picklist) and `help` a str. Normalising is idempotent, so definitions already
stored in the database validate again unchanged.

`validate_approval_steps` does the same for the approval steps of a request type or
sub-request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

FIELD_TYPES = frozenset(
    {
        "text",
        "long_text",
        "number",
        "money",
        "percent",
        "date",
        "user",
        "picklist",
        "multi_picklist",
        "url",
        "email",
        "checkbox",
        "record",
        "file",
    }
)
CHOICE_TYPES = frozenset({"picklist", "multi_picklist"})
FIELD_KEYS = frozenset({"name", "label", "type", "required", "required_if", "options", "help"})
CONDITION_KEYS = frozenset({"field", "equals", "in"})
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
SCALAR_TYPES = (str, int, float, bool)
T = TypeVar("T")


class CatalogError(Exception):
    """The catalog (or one field definition in it) is invalid; the message says where and why.

    For a list of definitions (or approval steps) `index` is the position of the wrong one and
    `key` the key of it that is wrong, when known (the API names `fields[2].type` with them).
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.index: int | None = None


def _at(index: int, err: CatalogError, key: str | None = None) -> CatalogError:
    """`err`, saying it is about the list's item `index` (and its `key`, unless known)."""
    if err.index is None:
        err.index = index
    err.key = err.key or key
    return err


def validate_field_definitions(
    fields: list[dict], *, where: str, inherited: Iterable[Mapping[str, Any]] = ()
) -> list[dict]:
    """Check `fields` and return them normalised; raise CatalogError naming `where`.

    `inherited` are the (already normalised) fields a sub-request's fields are shown after:
    a `required_if` may refer to them too.
    """
    if not isinstance(fields, list):
        raise CatalogError(f"{where}: fields must be a list, not {type(fields).__name__}.")
    normalised = []
    for i, field in enumerate(fields):
        try:
            normalised.append(_normalise(field, where=_field_place(where, field, i)))
        except CatalogError as err:
            raise _at(i, err) from None
    _check_unique_names(normalised, where=where)
    known = {f["name"]: f for f in inherited} | {f["name"]: f for f in normalised}
    for i, field in enumerate(normalised):
        if field["required_if"] is not None:
            try:
                _check_condition_target(field, known, where=_field_place(where, field, 0))
            except CatalogError as err:
                raise _at(i, err, "required_if") from None
    return normalised


def _field_place(where: str, field: object, index: int) -> str:
    if isinstance(field, Mapping) and isinstance(field.get("name"), str):
        return f"{where} / field {field['name']!r}"
    return f"{where} / field #{index + 1}"


def _normalise(field: object, *, where: str) -> dict:
    if not isinstance(field, Mapping):
        raise CatalogError(f"{where}: a field must be a mapping, not {type(field).__name__}.")
    unknown = set(field) - FIELD_KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}.")
    field_type = _check_type(field.get("type"), where=where)
    return {
        "name": _check_name(field.get("name"), where=where),
        "label": _check_text(field.get("label"), key="label", where=where),
        "type": field_type,
        "required": _check_required(field, where=where),
        "required_if": _keyed("required_if", _check_condition, field.get("required_if"), where),
        "options": _keyed(
            "options", _check_options, field.get("options"), where, field_type=field_type
        ),
        "help": _check_help(field.get("help"), where=where),
    }


def _keyed(key: str, check: Callable[..., T], value: object, where: str, **kwargs: Any) -> T:
    """`check(value)`, naming `key` in the error it raises."""
    try:
        return check(value, where=where, **kwargs)
    except CatalogError as err:
        err.key = err.key or key
        raise


def _check_name(name: object, *, where: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise CatalogError(f"{where}: name {name!r} is not snake_case (a-z, 0-9, _).", key="name")
    return name


def _check_text(value: object, *, key: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}: {key} is missing or empty.", key=key)
    return value.strip()


def _check_type(field_type: object, *, where: str) -> str:
    if field_type not in FIELD_TYPES:
        known = ", ".join(sorted(FIELD_TYPES))
        raise CatalogError(f"{where}: unknown type {field_type!r} (known: {known}).", key="type")
    return str(field_type)


def _check_required(field: Mapping[str, Any], *, where: str) -> bool:
    required = field.get("required", False)
    if not isinstance(required, bool):
        raise CatalogError(
            f"{where}: required must be true or false, not {required!r}.", key="required"
        )
    if required and field.get("required_if") is not None:
        raise CatalogError(
            f"{where}: a field is either required or required_if, not both.", key="required"
        )
    return required


def _check_options(options: object, *, field_type: str, where: str) -> list[str]:
    if field_type not in CHOICE_TYPES:
        if options not in (None, []):
            raise CatalogError(f"{where}: options are only for picklist and multi_picklist.")
        return []
    if not isinstance(options, list) or not options:
        raise CatalogError(f"{where}: a {field_type} needs a non-empty list of options.")
    if not all(isinstance(o, str) and o.strip() for o in options):
        raise CatalogError(f"{where}: options must be non-empty strings.")
    if len(set(options)) != len(options):
        raise CatalogError(f"{where}: options are repeated.")
    return list(options)


def _check_help(help_text: object, *, where: str) -> str:
    if help_text is None:
        return ""
    if not isinstance(help_text, str):
        raise CatalogError(f"{where}: help must be text.", key="help")
    return help_text.strip()


def _check_condition(condition: object, *, where: str) -> dict | None:
    """The shape of a required_if: {field}, {field, equals: scalar} or {field, in: [scalars]}."""
    if condition is None:
        return None
    if not isinstance(condition, Mapping):
        raise CatalogError(
            f"{where}: required_if must be a mapping like {{field: other, equals: value}}."
        )
    unknown = set(condition) - CONDITION_KEYS
    if unknown:
        raise CatalogError(
            f"{where}: required_if has unknown key(s) {', '.join(sorted(map(str, unknown)))}."
        )
    if not isinstance(condition.get("field"), str):
        raise CatalogError(f"{where}: required_if needs the name of another field.")
    if "equals" in condition and "in" in condition:
        raise CatalogError(f"{where}: required_if takes equals or in, not both.")
    if "equals" in condition and not isinstance(condition["equals"], SCALAR_TYPES):
        raise CatalogError(f"{where}: required_if equals must be a single value.")
    if "in" in condition:
        values = condition["in"]
        if not isinstance(values, list) or not values:
            raise CatalogError(f"{where}: required_if in must be a non-empty list.")
        if not all(isinstance(v, SCALAR_TYPES) for v in values):
            raise CatalogError(f"{where}: required_if in must list single values.")
        return {"field": condition["field"], "in": list(values)}
    return dict(condition)


def _check_unique_names(fields: list[dict], *, where: str) -> None:
    seen: set[str] = set()
    for i, field in enumerate(fields):
        if field["name"] in seen:
            message = f"{where}: field name {field['name']!r} is used twice."
            raise _at(i, CatalogError(message, key="name"))
        seen.add(field["name"])


def _check_condition_target(field: dict, known: Mapping[str, dict], *, where: str) -> None:
    condition = field["required_if"]
    target = known.get(condition["field"])
    if target is None or target["name"] == field["name"]:
        raise CatalogError(
            f"{where}: required_if refers to {condition['field']!r}, which is not another "
            "field of this request."
        )
    values = [condition["equals"]] if "equals" in condition else condition.get("in", [])
    if target["options"]:
        stray = [v for v in values if v not in target["options"]]
        if stray:
            raise CatalogError(
                f"{where}: required_if value(s) {stray!r} are not options of {target['name']!r}."
            )
    elif target["type"] == "checkbox" and not all(isinstance(v, bool) for v in values):
        raise CatalogError(f"{where}: {target['name']!r} is a checkbox; compare it to true/false.")


# ---- approval steps ------------------------------------------------------------------------

STEP_KEYS = frozenset({"name", "role", "team_lead", "approvers", "chosen_by", "when"})
WHEN_KEYS = frozenset({"field", "equals", "in"})
CHOSEN_BY = ("agent", "requester")
MAX_APPROVERS = 10
STEP_NAME_MAX = 200  # cases.Approval.step_name


def validate_approval_steps(
    steps: object,
    *,
    where: str,
    fields: Iterable[Mapping[str, Any]],
    roles: Iterable[str],
    teams: Mapping[str, str],
    inherited: Iterable[Mapping[str, Any]] = (),
) -> list[dict]:
    """Check a list of approval steps and return it normalised; raise CatalogError naming `where`.

    A step is {name, role | team_lead, approvers, chosen_by, when}: `role` is the slug of an
    approval role, `team_lead` a team name or alias (stored as the team's name: its leads
    approve); `approvers` how many distinct people must approve (default 1); `chosen_by` who
    names them, agent (default) or requester; `when` a condition on one of `fields`
    ({field, equals} or {field, in}). `inherited` are the request type's steps that a
    sub-request's steps follow: step names are unique across both.
    """
    if not isinstance(steps, list):
        raise CatalogError(f"{where}: approvals must be a list, not {type(steps).__name__}.")
    known = {f["name"]: f for f in fields}
    names = {s["name"] for s in inherited}
    normalised = []
    for index, step in enumerate(steps):
        place = f"{where} / approval step #{index + 1}"
        try:
            clean = _normalise_step(step, where=place, roles=frozenset(roles), teams=teams)
            if clean["when"] is not None:
                _keyed("when", _check_when_target, clean["when"], place, known=known)
        except CatalogError as err:
            raise _at(index, err) from None
        if clean["name"] in names:
            message = f"{place}: step name {clean['name']!r} is used twice."
            raise _at(index, CatalogError(message, key="name"))
        names.add(clean["name"])
        normalised.append(clean)
    return normalised


def _normalise_step(
    step: object, *, where: str, roles: frozenset[str], teams: Mapping[str, str]
) -> dict:
    if not isinstance(step, Mapping):
        raise CatalogError(f"{where}: a step must be a mapping, not {type(step).__name__}.")
    if unknown := set(step) - STEP_KEYS:
        raise CatalogError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}.")
    name = _check_text(step.get("name"), key="name", where=where)
    if len(name) > STEP_NAME_MAX:
        raise CatalogError(f"{where}: name is longer than {STEP_NAME_MAX} characters.")
    role, team = _check_approver_source(step, where=where, roles=roles, teams=teams)
    approvers = step.get("approvers", 1)
    if isinstance(approvers, bool) or not isinstance(approvers, int):
        raise CatalogError(
            f"{where}: approvers must be a whole number, not {approvers!r}.", key="approvers"
        )
    if not 1 <= approvers <= MAX_APPROVERS:
        raise CatalogError(
            f"{where}: approvers must be from 1 to {MAX_APPROVERS}.", key="approvers"
        )
    chosen_by = step.get("chosen_by", "agent")
    if chosen_by not in CHOSEN_BY:
        raise CatalogError(
            f"{where}: chosen_by must be agent or requester, not {chosen_by!r}.", key="chosen_by"
        )
    when = _keyed("when", _check_when, step.get("when"), where)
    return {
        "name": name,
        "role": role,
        "team_lead": team,
        "approvers": approvers,
        "chosen_by": chosen_by,
        "when": when,
    }


def _check_approver_source(
    step: Mapping[str, Any], *, where: str, roles: frozenset[str], teams: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """(role slug, None) or (None, the team's name): exactly one of role and team_lead."""
    role, team = step.get("role"), step.get("team_lead")
    if (role is None) == (team is None):
        raise CatalogError(f"{where}: give either role (an approval role) or team_lead (a team).")
    if role is not None:
        if not isinstance(role, str) or role not in roles:
            known = ", ".join(sorted(roles)) or "none"
            raise CatalogError(
                f"{where}: unknown approval role {role!r}; declare it under approval_roles "
                f"(declared: {known}).",
                key="role",
            )
        return role, None
    if not isinstance(team, str) or team not in teams:
        raise CatalogError(
            f"{where}: team_lead {team!r} is not a team of the catalog.", key="team_lead"
        )
    return None, teams[team]


def _check_when(when: object, *, where: str) -> dict | None:
    """The shape of a `when`: {field, equals: value} or {field, in: [values]}."""
    if when is None:
        return None
    if not isinstance(when, Mapping) or not isinstance(when.get("field"), str):
        raise CatalogError(f"{where}: when must be a mapping like {{field: x, equals: value}}.")
    if unknown := set(when) - WHEN_KEYS:
        raise CatalogError(
            f"{where}: when has unknown key(s) {', '.join(sorted(map(str, unknown)))}."
        )
    if ("equals" in when) == ("in" in when):
        raise CatalogError(f"{where}: when takes either equals or in.")
    if "equals" in when:
        if not isinstance(when["equals"], SCALAR_TYPES):
            raise CatalogError(f"{where}: when equals must be a single value.")
        return {"field": when["field"], "equals": when["equals"]}
    values = when["in"]
    if not isinstance(values, list) or not values:
        raise CatalogError(f"{where}: when in must be a non-empty list.")
    if not all(isinstance(v, SCALAR_TYPES) for v in values):
        raise CatalogError(f"{where}: when in must list single values.")
    return {"field": when["field"], "in": list(values)}


def _check_when_target(when: dict, known: Mapping[str, dict], *, where: str) -> None:
    target = known.get(when["field"])
    if target is None:
        raise CatalogError(
            f"{where}: when refers to {when['field']!r}, not a field of this request."
        )
    values = [when["equals"]] if "equals" in when else when["in"]
    if target["options"]:
        if stray := [v for v in values if v not in target["options"]]:
            raise CatalogError(
                f"{where}: when value(s) {stray!r} are not options of {target['name']!r}."
            )
    elif target["type"] == "checkbox" and not all(isinstance(v, bool) for v in values):
        raise CatalogError(f"{where}: {target['name']!r} is a checkbox; compare it to true/false.")
