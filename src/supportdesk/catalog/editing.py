"""Changes to the catalog one request type or sub-request at a time (the API's catalog writes).

Every value is checked as `loadcatalog` checks the file: names, texts and kinds by the
loader's checks, field definitions and approval steps by `catalog.definitions`, and what is
stored is the same normalised form. Rows are saved one at a time, so the catalog signals
forget cached catalog lookups once the change commits. Nothing is deleted: `is_active=False`
retires a request type or sub-request (cases keep pointing at it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Max

from supportdesk.catalog.definitions import (
    CatalogError,
    validate_approval_steps,
    validate_field_definitions,
)
from supportdesk.catalog.loader import NO_RECORD_KIND, StepRules, _kinds, _name, _text
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.people.models import ApprovalRole, Team
from supportdesk.people.queries import teams_by_name

T = TypeVar("T")
Errors = dict[str, list[str]]
TYPE_CHANGES = frozenset(
    {"name", "display_name", "description", "fields", "approvals", "position", "is_active"}
)
SUB_CHANGES = frozenset({"name", "display_name", "fields", "approvals", "position", "is_active"})


class CatalogInvalid(Exception):
    """Field-level errors: {"fields[2].type": [messages]}."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Saved:
    row: Any
    created: bool


def error_path(name: str, err: CatalogError) -> str:
    """Where in the request `err` is: `fields`, `fields[2]` or `fields[2].type`."""
    path = name if err.index is None else f"{name}[{err.index}]"
    return f"{path}.{err.key}" if err.key else path


def _reason(err: CatalogError) -> str:
    """The message without its leading "where: " (the path says where)."""
    return str(err).split(": ", 1)[-1]


def _check(errors: Errors, name: str, check: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`check(*args)`; a CatalogError is recorded under its path in `errors` (then None)."""
    try:
        return check(*args, **kwargs)
    except CatalogError as err:
        errors.setdefault(error_path(name, err), []).append(_reason(err))
        return None  # type: ignore[return-value]


def step_rules() -> StepRules:
    """What approval steps may name now: the approval roles and the active teams' spellings."""
    spellings: dict[str, str] = {}
    for team in Team.objects.filter(is_active=True).order_by("position", "name"):
        for spelling in [team.name, *(team.aliases or [])]:
            spellings.setdefault(spelling, team.name)
    roles = frozenset(ApprovalRole.objects.values_list("slug", flat=True))
    return StepRules(roles=roles, teams=spellings)


def kind_label(kind: str) -> str:
    """A request type's kind as the API and the file spell it ("none": without a record)."""
    return kind or NO_RECORD_KIND


def _plain(errors: Errors, model: type, values: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in values:
        clean["name"] = _check(errors, "name", _name, values["name"], where="name", model=model)
    for key in ("display_name", "description"):
        if key in values:
            clean[key] = _check(errors, key, _text, values, key, where=key, model=model)
    if "position" in values:
        clean["position"] = values["position"]
    if "is_active" in values:
        clean["is_active"] = values["is_active"]
    return clean


def _steps(
    errors: Errors, approvals: object, *, fields: list[dict], after: Sequence[dict] = ()
) -> list[dict]:
    rules = step_rules()
    return _check(
        errors,
        "approvals",
        validate_approval_steps,
        approvals,
        where="approvals",
        fields=fields,
        roles=rules.roles,
        teams=rules.teams,
        inherited=after,
    )


def _only(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    if unknown := set(changes) - allowed:
        raise TypeError(f"Cannot change {', '.join(sorted(unknown))}.")


def _next_position(rows: Any) -> int:
    return (rows.aggregate(last=Max("position"))["last"] or 0) + 1


def _same(row: Any, values: Mapping[str, Any]) -> bool:
    return all(getattr(row, name) == value for name, value in values.items())


# --------------------------------------------------------------------------- request types


@transaction.atomic
def request_type_create(
    *,
    team: str,
    kind: str,
    name: str,
    display_name: str = "",
    description: str = "",
    fields: object = (),
    approvals: object = (),
    position: int | None = None,
    retry: bool = False,
) -> Saved:
    """Add a request type; with `retry`, an identical one already there is returned instead."""
    errors: Errors = {}
    found = teams_by_name(team)
    if found is None:
        errors["team"] = [f"There is no active team called “{team}”."]
    kinds = _check(errors, "kind", _kinds, [kind], where="kind")
    values = _plain(
        errors,
        RequestType,
        {"name": name, "display_name": display_name, "description": description},
    )
    clean_fields = _check(
        errors, "fields", validate_field_definitions, list(fields), where="fields"
    )
    if clean_fields is not None:
        values["approvals"] = _steps(errors, list(approvals), fields=clean_fields)
    if errors:
        raise CatalogInvalid(errors)
    values |= {"team": found, "kind": kinds[0], "fields": clean_fields}
    existing = RequestType.objects.filter(kind=kinds[0], team=found, name=values["name"]).first()
    if existing is not None:
        if retry and _same(existing, values):
            return Saved(existing, created=False)
        raise CatalogInvalid({"name": ["This team already has a request type by this name."]})
    if position is None:
        position = _next_position(RequestType.objects.filter(team=found))
    return Saved(RequestType.objects.create(**values, position=position), created=True)


def _revalidate_subs(errors: Errors, request_type: RequestType) -> None:
    """The sub-requests still fit their type's (changed) fields and approval steps."""
    rules = step_rules()
    for sub in request_type.sub_requests.filter(is_active=True):
        try:
            validate_field_definitions(
                sub.fields, where=f"sub-request {sub.name!r} fields", inherited=request_type.fields
            )
            validate_approval_steps(
                sub.approvals,
                where=f"sub-request {sub.name!r}",
                fields=_all_fields(request_type.fields, sub.fields),
                roles=rules.roles,
                teams=rules.teams,
                inherited=request_type.approvals,
            )
        except CatalogError as err:
            errors.setdefault("sub_requests", []).append(str(err))


def _all_fields(type_fields: list[dict], sub_fields: list[dict]) -> list[dict]:
    """The fields a sub-request's approval steps may test, as the loader gives them."""
    return [*type_fields, *sub_fields]


@transaction.atomic
def request_type_update(request_type: RequestType, **changes: Any) -> RequestType:
    """Change the given fields of a request type (see TYPE_CHANGES); others stay."""
    _only(changes, TYPE_CHANGES)
    request_type = RequestType.objects.select_for_update().get(pk=request_type.pk)
    errors: Errors = {}
    values = _plain(errors, RequestType, changes)
    fields = request_type.fields
    if "fields" in changes:
        fields = _check(
            errors, "fields", validate_field_definitions, changes["fields"], where="fields"
        )
        values["fields"] = fields
    if fields is not None and ("fields" in changes or "approvals" in changes):
        approvals = changes.get("approvals", request_type.approvals)
        values["approvals"] = _steps(errors, approvals, fields=fields)
    if errors:
        raise CatalogInvalid(errors)
    name = values.get("name", request_type.name)
    clash = RequestType.objects.filter(
        kind=request_type.kind, team_id=request_type.team_id, name=name
    ).exclude(pk=request_type.pk)
    if clash.exists():
        raise CatalogInvalid({"name": ["This team already has a request type by this name."]})
    for key, value in values.items():
        setattr(request_type, key, value)
    if "fields" in values or "approvals" in values:
        _revalidate_subs(errors, request_type)
    if errors:
        raise CatalogInvalid(errors)
    request_type.save(update_fields=list(values) or None)
    return request_type


# --------------------------------------------------------------------------- sub-requests


def _sub_values(errors: Errors, request_type: RequestType, values: dict, changes: dict) -> None:
    if "fields" in changes:
        values["fields"] = _check(
            errors,
            "fields",
            validate_field_definitions,
            changes["fields"],
            where="fields",
            inherited=request_type.fields,
        )


@transaction.atomic
def sub_request_create(
    request_type: RequestType,
    *,
    name: str,
    display_name: str = "",
    fields: object = (),
    approvals: object = (),
    position: int | None = None,
    retry: bool = False,
) -> Saved:
    """Add a sub-request; with `retry`, an identical one already there is returned instead."""
    errors: Errors = {}
    values = _plain(errors, SubRequest, {"name": name, "display_name": display_name})
    _sub_values(errors, request_type, values, {"fields": list(fields)})
    if values["fields"] is not None:
        values["approvals"] = _steps(
            errors,
            list(approvals),
            fields=_all_fields(request_type.fields, values["fields"]),
            after=request_type.approvals,
        )
    if errors:
        raise CatalogInvalid(errors)
    existing = request_type.sub_requests.filter(name=values["name"]).first()
    if existing is not None:
        if retry and _same(existing, values):
            return Saved(existing, created=False)
        raise CatalogInvalid(
            {"name": ["This request type already has a sub-request by this name."]}
        )
    if position is None:
        position = _next_position(request_type.sub_requests.all())
    sub = SubRequest.objects.create(request_type=request_type, position=position, **values)
    return Saved(sub, created=True)


@transaction.atomic
def sub_request_update(sub: SubRequest, **changes: Any) -> SubRequest:
    """Change the given fields of a sub-request (see SUB_CHANGES); others stay."""
    _only(changes, SUB_CHANGES)
    sub = SubRequest.objects.select_for_update().select_related("request_type").get(pk=sub.pk)
    request_type = sub.request_type
    errors: Errors = {}
    values = _plain(errors, SubRequest, changes)
    _sub_values(errors, request_type, values, changes)
    fields = values.get("fields", sub.fields)
    if fields is not None and ("fields" in changes or "approvals" in changes):
        values["approvals"] = _steps(
            errors,
            changes.get("approvals", sub.approvals),
            fields=_all_fields(request_type.fields, fields),
            after=request_type.approvals,
        )
    if errors:
        raise CatalogInvalid(errors)
    name = values.get("name", sub.name)
    if request_type.sub_requests.filter(name=name).exclude(pk=sub.pk).exists():
        raise CatalogInvalid(
            {"name": ["This request type already has a sub-request by this name."]}
        )
    for key, value in values.items():
        setattr(sub, key, value)
    sub.save(update_fields=list(values) or None)
    return sub
