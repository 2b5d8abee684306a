"""Reads of the catalog: resolving the names a person or script gives to catalog rows.

The catalog is read on every submit and changes rarely, so resolved names are cached in
Django's cache (per process by default, shared when a shared cache is configured) for
CHOICE_TTL seconds. Any catalog write bumps the version that cache keys carry, so this
process sees a change at once and other processes within CHOICE_TTL.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.safestring import SafeString

from supportdesk.catalog.models import Redirect, RequestType, SubRequest
from supportdesk.markup import render_markdown
from supportdesk.people.models import Team
from supportdesk.people.queries import teams_by_name
from supportdesk.records.models import Kind


@dataclass(frozen=True)
class Choice:
    """The catalog rows a request names, or why they could not be found."""

    request_type: RequestType | None
    sub_request: SubRequest | None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


def _serves(team: Team, name: str) -> bool:
    return team.name == name or name in (team.aliases or [])


CHOICE_TTL = 30
_VERSION_KEY = "catalog:version"


def bump_catalog_version() -> None:
    """Forget cached catalog lookups (called after every catalog write)."""
    cache.set(_VERSION_KEY, uuid.uuid4().hex, None)


def _catalog_version() -> str:
    return cache.get_or_set(_VERSION_KEY, lambda: uuid.uuid4().hex, None)


def resolve_choice(kind: str, *, team: str, request_type: str, sub_request: str | None) -> Choice:
    """The active request type (and sub-request) named for this kind of record.

    Found ones are cached; misses are not, so error messages always reflect the database.
    """
    names = f"{kind}\0{team.strip()}\0{request_type.strip()}\0{(sub_request or '').strip()}"
    digest = hashlib.sha256(names.encode()).hexdigest()
    key = f"catalog:choice:{_catalog_version()}:{digest}"
    if (cached := cache.get(key)) is not None:
        return Choice(*cached)
    choice = _resolve_choice(kind, team=team, request_type=request_type, sub_request=sub_request)
    if not choice.errors:
        cache.set(key, (choice.request_type, choice.sub_request), CHOICE_TTL)
    return choice


def _resolve_choice(kind: str, *, team: str, request_type: str, sub_request: str | None) -> Choice:
    """One query on the usual path; the error path spends more to name the valid choices."""
    team_name, type_name = team.strip(), request_type.strip()
    sub_name = (sub_request or "").strip()
    if not team_name:
        return Choice(None, None, {"team": ["Choose a team."]})
    if not type_name:
        return Choice(None, None, _no_request_type(kind, team_name, type_name))
    if sub_name:
        subs = SubRequest.objects.select_related("request_type__team").filter(
            name=sub_name,
            is_active=True,
            request_type__kind=kind,
            request_type__name=type_name,
            request_type__is_active=True,
            request_type__team__is_active=True,
        )
        if sub := next((s for s in subs if _serves(s.request_type.team, team_name)), None):
            return Choice(sub.request_type, sub)
    candidates = with_sub_request_flag(
        RequestType.objects.select_related("team").filter(
            kind=kind, name=type_name, is_active=True, team__is_active=True
        )
    )
    found = next((rt for rt in candidates if _serves(rt.team, team_name)), None)
    if found is None:
        return Choice(None, None, _no_request_type(kind, team_name, type_name))
    if not found.has_sub_requests and not sub_name:
        return Choice(found, None)
    return _sub_request_choice(found, sub_name)


def active_request_types(**filters: object) -> QuerySet[RequestType]:
    """Active request types matching `filters`, each with its active sub-requests loaded
    as `active_subs` (one query for them all)."""
    active = SubRequest.objects.filter(is_active=True)
    return RequestType.objects.filter(is_active=True, **filters).prefetch_related(
        Prefetch("sub_requests", queryset=active, to_attr="active_subs")
    )


def with_sub_request_flag(request_types: QuerySet[RequestType]) -> QuerySet[RequestType]:
    """Annotate `has_sub_requests` (active ones), which `submit_case` then need not query."""
    active_subs = SubRequest.objects.filter(request_type=OuterRef("pk"), is_active=True)
    return request_types.annotate(has_sub_requests=Exists(active_subs))


def _sub_request_choice(request_type: RequestType, sub_name: str) -> Choice:
    subs = list(request_type.sub_requests.filter(is_active=True).values_list("name", flat=True))
    if not subs and not sub_name:
        return Choice(request_type, None)
    if not subs:
        message = f"“{request_type.name}” has no sub-requests; leave sub_request empty."
    elif not sub_name:
        message = f"Choose a sub-request of “{request_type.name}”: {_quoted(subs)}."
    else:
        message = (
            f"“{request_type.name}” has no sub-request “{sub_name}”; choose one of {_quoted(subs)}."
        )
    return Choice(request_type, None, {"sub_request": [message]})


def _no_request_type(kind: str, team_name: str, type_name: str) -> dict[str, list[str]]:
    """Why (team, request type) matched nothing, listing the valid names."""
    team = teams_by_name(team_name)
    if team is None:
        valid = Team.objects.filter(is_active=True).values_list("name", flat=True)
        return {"team": [f"There is no team called “{team_name}”; choose one of {_quoted(valid)}."]}
    label = Kind(kind).label
    names = RequestType.objects.filter(kind=kind, team=team, is_active=True).values_list(
        "name", flat=True
    )
    if not names:
        return {"team": [f"{team.name} takes no requests on {label} records."]}
    what = (
        f"“{type_name}” is not a request type of {team.name} for {label} records"
        if type_name
        else "Choose a request type"
    )
    return {"request_type": [f"{what}; choose one of {_quoted(names)}."]}


def redirect_rows() -> list[tuple[Redirect, SafeString]]:
    """Departments that handle their requests elsewhere, with their instructions as HTML."""
    return [(r, render_markdown(r.instructions)) for r in Redirect.objects.filter(is_active=True)]
