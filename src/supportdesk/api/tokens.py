"""Personal API tokens: GET/POST /tokens (your own, in cursor pages; admins `?all=true` for
everyone's) and DELETE /tokens/{id} (revoke). The raw token is in the answer to the POST
only, never again.

A token cannot create a token with a broader scope than its own (a `read` token may not POST
at all). The same services back the web page and `supportdesk token create`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from supportdesk.api import examples
from supportdesk.api.errors import ApiProblem, FieldErrors, problems
from supportdesk.api.idempotency import idempotent
from supportdesk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from supportdesk.api.schemas import BodyIn
from supportdesk.people.models import ApiToken
from supportdesk.people.queries import TOKEN_STATES, token_state, tokens_in_state
from supportdesk.people.services import PeopleError, token_create, token_revoke

router = Router(tags=["tokens"])

SCOPE_RANK = {ApiToken.Scope.READ: 0, ApiToken.Scope.READ_WRITE: 1}


class TokenOut(Schema):
    model_config = examples.documented(examples.TOKEN_OUT)

    id: int
    user: str = Field(description="Username of the token's owner.")
    name: str
    scope: str = Field(description="`read` or `read+write`.")
    hint: str = Field(description="The token's first characters, to recognise it.")
    state: str = Field(description="active, expired or revoked.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="Within a minute.")
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    model_config = examples.documented(examples.TOKEN_CREATED_OUT)

    token: str = Field(description="The token itself. Shown only now: keep it safe.")


class TokenIn(BodyIn):
    model_config = examples.documented(examples.TOKEN_IN)

    name: str = Field(max_length=100, description="A label to recognise it.")
    scope: str = Field(ApiToken.Scope.READ, description="`read` (default) or `read+write`.")
    expires_in_days: int | None = Field(
        None, ge=1, le=3650, description="Expire after N days; omit (and `expires_at`): never."
    )
    expires_at: dt.datetime | None = Field(None, description="Or expire at this time.")


class TokenPage(Schema):
    items: list[TokenOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page.")
    next: str | None = Field(description="The next page's URL; null on the last page.")


class TokenFilters(Schema):
    all: bool = Field(False, description="Admins: everyone's tokens, not only yours.")
    user: str | None = Field(None, description="With `all`: only this username's.")
    state: str | None = Field(None, description="active, expired or revoked.")


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "user": token.user.get_username(),
        "name": token.name,
        "scope": token.scope,
        "hint": token.hint,
        "state": token_state(token),
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


def _expiry(payload: TokenIn) -> dt.datetime | None:
    """When the new token expires; every wrong field is reported together in one 422."""
    errors: dict[str, list[str]] = {}
    if not payload.name.strip():
        errors["name"] = ["Give the token a name."]
    if payload.scope not in ApiToken.Scope.values:
        errors["scope"] = [f"Use one of: {', '.join(ApiToken.Scope.values)}."]
    expires_at = payload.expires_at
    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)
    if payload.expires_in_days is not None:
        if expires_at is not None:
            errors["expires_at"] = ["Give `expires_in_days` or `expires_at`, not both."]
        expires_at = timezone.now() + dt.timedelta(days=payload.expires_in_days)
    elif expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["A token cannot expire in the past."]
    if errors:
        raise FieldErrors(errors)
    return expires_at


def _check_scope(request: HttpRequest, scope: str) -> None:
    caller = getattr(request, "api_token", None)
    if caller is not None and SCOPE_RANK.get(scope, 0) > SCOPE_RANK[caller.scope]:
        raise ApiProblem(403, "A token may not create a token with a broader scope than its own.")


def _visible_tokens(user: AbstractBaseUser, everyone: bool) -> Any:
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
    return tokens if everyone and user.is_staff else tokens.filter(user=user)


@router.get("/tokens", response={200: TokenPage, **problems(401, 403, 422)})
def token_list(
    request: HttpRequest,
    filters: Query[TokenFilters],
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Your tokens, newest first, a page at a time; revoked and expired ones too (see
    `state`)."""
    user = request.auth
    if filters.all and not user.is_staff:
        raise ApiProblem(403, "Only admins may list everyone's tokens.")
    if filters.state is not None and filters.state not in TOKEN_STATES:
        raise FieldErrors({"state": [f"Use one of: {', '.join(TOKEN_STATES)}."]})
    tokens = _visible_tokens(user, filters.all)
    if filters.all and filters.user:
        tokens = tokens.filter(user__username__iexact=filters.user.strip())
    tokens = tokens_in_state(tokens, filters.state or "")
    page = keyset_page(tokens, order_by="-created_at", cursor=cursor, limit=limit)
    return {
        "items": [token_out(token) for token in page.items],
        "next_cursor": page.next_cursor,
        "next": page.next_url(request),
    }


@router.post("/tokens", response={201: TokenCreatedOut, **problems(401, 403, 422)})
@idempotent(shown_once="the token")
def token_create_api(request: HttpRequest, payload: TokenIn) -> Status:
    """Create a token for yourself; the answer holds the token, which is never shown again."""
    expires_at = _expiry(payload)
    _check_scope(request, payload.scope)
    try:
        token, raw = token_create(
            user=request.auth, name=payload.name, scope=payload.scope, expires_at=expires_at
        )
    except PeopleError as err:
        raise ApiProblem(422, str(err)) from None
    return Status(201, token_out(token) | {"token": raw})


@router.delete("/tokens/{token_id}", response={204: None, **problems(401, 404)})
def token_delete(request: HttpRequest, token_id: int) -> Status:
    """Revoke a token of yours (admins: anyone's); revoking it again changes nothing."""
    token = get_object_or_404(_visible_tokens(request.auth, everyone=True), pk=token_id)
    token_revoke(token)
    return Status(204, None)
