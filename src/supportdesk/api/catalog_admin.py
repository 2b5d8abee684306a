"""Catalog writes, for admins (anyone else: 404, as for the other admin routes).

GET/POST /catalog/request-types, PATCH /catalog/request-types/{id},
POST /catalog/request-types/{id}/sub-requests and PATCH /catalog/sub-requests/{id}.
Values are checked as `loadcatalog` checks the file (`catalog.editing`); a wrong field
definition is a 422 naming it, e.g. `fields[2].type`. Nothing is deleted: `is_active: false`
retires a request type or sub-request. The request wizard and GET /catalog see a change at once.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from supportdesk.api.cases import IDEMPOTENCY_KEY
from supportdesk.api.errors import FieldErrors, problems
from supportdesk.api.schemas import BodyIn
from supportdesk.catalog.editing import (
    CatalogInvalid,
    kind_label,
    request_type_create,
    request_type_update,
    sub_request_create,
    sub_request_update,
)
from supportdesk.catalog.loader import NO_RECORD_KIND
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.records.models import Kind

router = Router(tags=["catalog"])

KIND_HELP = f"One of {', '.join(Kind.values)}, or `{NO_RECORD_KIND}` (raised without a record)."
FIELDS_HELP = "Field definitions {name, label, type, required, required_if, options, help}."
APPROVALS_HELP = "Approval steps {name, role | team_lead, approvers, chosen_by, when}."
POSITION = Field(None, ge=0, description="Order in the catalog; by default after the others.")


class SubRequestAdminOut(Schema):
    id: int
    request_type: int = Field(description="Id of its request type.")
    name: str
    display_name: str
    fields: list[dict[str, Any]]
    approvals: list[dict[str, Any]]
    position: int
    is_active: bool


class RequestTypeAdminOut(Schema):
    id: int
    team: str
    kind: str = Field(description=KIND_HELP)
    name: str
    display_name: str
    description: str
    fields: list[dict[str, Any]]
    approvals: list[dict[str, Any]]
    position: int
    is_active: bool
    sub_requests: list[SubRequestAdminOut] = Field(description="Retired ones too.")


class RequestTypeIn(BodyIn):
    team: str = Field(description="Team name or alias.")
    kind: str = Field(description=KIND_HELP)
    name: str = Field(description="Canonical name, as the CRM's routing tables spell it.")
    display_name: str = ""
    description: str = ""
    fields: list[Any] = Field([], description=FIELDS_HELP)
    approvals: list[Any] = Field([], description=APPROVALS_HELP)
    position: int | None = POSITION


class RequestTypePatch(BodyIn):
    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    fields: list[Any] | None = Field(None, description=FIELDS_HELP)
    approvals: list[Any] | None = Field(None, description=APPROVALS_HELP)
    position: int | None = Field(None, ge=0)
    is_active: bool | None = Field(None, description="false: retire it (cases keep it).")


class SubRequestIn(BodyIn):
    name: str
    display_name: str = ""
    fields: list[Any] = Field([], description=FIELDS_HELP + " Shown after the type's.")
    approvals: list[Any] = Field([], description=APPROVALS_HELP + " After the type's.")
    position: int | None = POSITION


class SubRequestPatch(BodyIn):
    name: str | None = None
    display_name: str | None = None
    fields: list[Any] | None = Field(None, description=FIELDS_HELP)
    approvals: list[Any] | None = Field(None, description=APPROVALS_HELP)
    position: int | None = Field(None, ge=0)
    is_active: bool | None = Field(None, description="false: retire it (cases keep it).")


class RequestTypeFilters(Schema):
    kind: str | None = Field(None, description=KIND_HELP)
    team: str | None = Field(None, description="Team name.")


def _admin(user: AbstractBaseUser) -> None:
    if not user.is_staff:
        raise Http404("Not found.")


def sub_request_out(sub: SubRequest) -> dict[str, Any]:
    return {
        "id": sub.pk,
        "request_type": sub.request_type_id,
        "name": sub.name,
        "display_name": sub.display_name,
        "fields": sub.fields,
        "approvals": sub.approvals,
        "position": sub.position,
        "is_active": sub.is_active,
    }


def request_type_out(request_type: RequestType) -> dict[str, Any]:
    return {
        "id": request_type.pk,
        "team": request_type.team.name,
        "kind": kind_label(request_type.kind),
        "name": request_type.name,
        "display_name": request_type.display_name,
        "description": request_type.description,
        "fields": request_type.fields,
        "approvals": request_type.approvals,
        "position": request_type.position,
        "is_active": request_type.is_active,
        "sub_requests": [sub_request_out(s) for s in request_type.sub_requests.all()],
    }


def _request_type(type_id: int) -> RequestType:
    request_types = RequestType.objects.select_related("team").prefetch_related("sub_requests")
    return get_object_or_404(request_types, pk=type_id)


def _changes(payload: Schema) -> dict[str, Any]:
    return payload.model_dump(exclude_unset=True, exclude_none=True)


@router.get(
    "/catalog/request-types", response={200: list[RequestTypeAdminOut], **problems(401, 404)}
)
def request_type_list(
    request: HttpRequest, filters: Query[RequestTypeFilters]
) -> list[dict[str, Any]]:
    """Every request type with its sub-requests and ids, retired ones too (admins)."""
    _admin(request.auth)
    request_types = RequestType.objects.select_related("team").prefetch_related("sub_requests")
    if filters.kind is not None:
        kind = "" if filters.kind == NO_RECORD_KIND else filters.kind
        request_types = request_types.filter(kind=kind)
    if filters.team:
        request_types = request_types.filter(team__name=filters.team.strip())
    return [request_type_out(rt) for rt in request_types]


@router.post(
    "/catalog/request-types",
    response={200: RequestTypeAdminOut, 201: RequestTypeAdminOut, **problems(401, 404, 422)},
)
def request_type_add(
    request: HttpRequest, payload: RequestTypeIn, idempotency_key: str | None = IDEMPOTENCY_KEY
) -> Status:
    """Add a request type (admins); 201. With an `Idempotency-Key`, a retry that finds the
    very request type it asked for answers 200 with it."""
    _admin(request.auth)
    try:
        saved = request_type_create(**payload.model_dump(), retry=bool(idempotency_key))
    except CatalogInvalid as err:
        raise FieldErrors(err.errors) from None
    return Status(201 if saved.created else 200, request_type_out(_request_type(saved.row.pk)))


@router.patch(
    "/catalog/request-types/{type_id}",
    response={200: RequestTypeAdminOut, **problems(401, 404, 422)},
)
def request_type_change(
    request: HttpRequest, type_id: int, payload: RequestTypePatch
) -> dict[str, Any]:
    """Change a request type (admins); only the fields sent change. `is_active: false`
    retires it: it leaves the catalog, its cases keep it."""
    _admin(request.auth)
    try:
        request_type_update(_request_type(type_id), **_changes(payload))
    except CatalogInvalid as err:
        raise FieldErrors(err.errors) from None
    return request_type_out(_request_type(type_id))


@router.post(
    "/catalog/request-types/{type_id}/sub-requests",
    response={200: SubRequestAdminOut, 201: SubRequestAdminOut, **problems(401, 404, 422)},
)
def sub_request_add(
    request: HttpRequest,
    type_id: int,
    payload: SubRequestIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status:
    """Add a sub-request to a request type (admins); 201, or 200 for a retry (as above)."""
    _admin(request.auth)
    request_type = _request_type(type_id)
    try:
        saved = sub_request_create(
            request_type, **payload.model_dump(), retry=bool(idempotency_key)
        )
    except CatalogInvalid as err:
        raise FieldErrors(err.errors) from None
    return Status(201 if saved.created else 200, sub_request_out(saved.row))


@router.patch(
    "/catalog/sub-requests/{sub_id}", response={200: SubRequestAdminOut, **problems(401, 404, 422)}
)
def sub_request_change(
    request: HttpRequest, sub_id: int, payload: SubRequestPatch
) -> dict[str, Any]:
    """Change a sub-request (admins); only the fields sent change."""
    _admin(request.auth)
    sub = get_object_or_404(SubRequest, pk=sub_id)
    try:
        sub = sub_request_update(sub, **_changes(payload))
    except CatalogInvalid as err:
        raise FieldErrors(err.errors) from None
    return sub_request_out(sub)
