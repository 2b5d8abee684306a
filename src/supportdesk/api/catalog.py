"""GET /catalog?kind=…: the teams serving a kind of record, their request types and fields."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router

from supportdesk.api.errors import problems
from supportdesk.api.schemas import CatalogOut
from supportdesk.catalog.models import Redirect, RequestType, SubRequest, effective_fields
from supportdesk.records.models import Kind

router = Router(tags=["catalog"])


def _request_type(request_type: RequestType) -> dict[str, Any]:
    return {
        "name": request_type.name,
        "label": request_type.label,
        "description": request_type.description,
        "fields": request_type.fields,
        "sub_requests": [
            {"name": sub.name, "label": sub.label, "fields": effective_fields(request_type, sub)}
            for sub in request_type.sub_requests.all()
        ],
    }


def catalog_for(kind: str) -> dict[str, Any]:
    """Active teams serving `kind`, in catalog order; three queries whatever the size."""
    request_types = (
        RequestType.objects.filter(kind=kind, is_active=True, team__is_active=True)
        .select_related("team")
        .prefetch_related(
            Prefetch("sub_requests", queryset=SubRequest.objects.filter(is_active=True))
        )
        .order_by("team__position", "team__name", "position", "name")
    )
    teams: dict[int, dict[str, Any]] = {}
    for request_type in request_types:
        team = request_type.team
        entry = teams.setdefault(
            team.pk, {"name": team.name, "description": team.description, "request_types": []}
        )
        entry["request_types"].append(_request_type(request_type))
    redirects = Redirect.objects.filter(is_active=True).values("name", "instructions", "url")
    return {"kind": kind, "teams": list(teams.values()), "redirects": list(redirects)}


@router.get("/catalog", response={200: CatalogOut, **problems(401, 422)})
def catalog_get(request: HttpRequest, kind: Kind) -> dict[str, Any]:
    """What can be requested for a kind of record, and which departments work elsewhere."""
    return catalog_for(kind)
