"""Webhooks in the API, for admins (anyone else: 404).

GET/POST /webhooks, GET/PATCH/DELETE /webhooks/{id}, GET /webhooks/{id}/deliveries and
POST /webhooks/{id}/deliveries/{delivery_id}/redeliver. The secret is in the answer only when
it is made: on create, and on PATCH with `rotate_secret: true`. A bad URL, a private address
or an unknown event kind → 422 naming `url` or `event_kinds`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from supportdesk.api import examples
from supportdesk.api.errors import FieldErrors, problems
from supportdesk.api.idempotency import idempotent
from supportdesk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from supportdesk.api.schemas import BodyIn
from supportdesk.webhooks.endpoints import (
    EndpointInvalid,
    create_endpoint,
    delete_endpoint,
    deliveries_of,
    endpoint_for,
    endpoints_for,
    redeliver_delivery,
    update_endpoint,
)
from supportdesk.webhooks.events import KINDS
from supportdesk.webhooks.models import WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])
T = TypeVar("T")
KIND_HELP = f"Event kinds: {', '.join(KINDS)}."


class WebhookIn(BodyIn):
    model_config = examples.documented(examples.WEBHOOK_IN)

    url: str = Field(description="http(s) URL; must resolve to public addresses.")
    event_kinds: list[str] = Field(description=KIND_HELP)
    description: str = ""


class WebhookPatch(BodyIn):
    url: str | None = None
    event_kinds: list[str] | None = Field(None, description=KIND_HELP)
    description: str | None = None
    active: bool | None = None
    rotate_secret: bool = Field(False, description="Make a new secret (in the answer, once).")


class WebhookOut(Schema):
    model_config = examples.documented(examples.WEBHOOK_OUT)

    id: int
    url: str
    description: str
    event_kinds: list[str]
    active: bool
    created_by: str | None
    created_at: dt.datetime
    secret: str | None = Field(None, description="Only when it was just made.")


class DeliveryOut(Schema):
    id: int
    event_id: str
    event_kind: str
    state: str
    attempts: int
    response_code: int | None
    duration_ms: int | None
    last_error: str
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    created_at: dt.datetime
    payload: dict[str, Any]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next: str | None


def webhook_out(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    creator = endpoint.created_by
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_kinds": endpoint.event_kinds,
        "active": endpoint.active,
        "created_by": creator.get_username() if creator else None,
        "created_at": endpoint.created_at,
        "secret": endpoint.secret if with_secret else None,
    }


def delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    out = {name: getattr(delivery, name) for name in DeliveryOut.model_fields}
    if delivery.state != WebhookDelivery.State.PENDING:
        out["next_attempt_at"] = None
    return out


def _checked(write: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return write(*args, **kwargs)
    except EndpointInvalid as invalid:
        raise FieldErrors(invalid.errors) from None


@router.get("/webhooks", response={200: list[WebhookOut], **problems(401, 404)})
def webhook_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every registered endpoint, newest first (secrets are never listed)."""
    return [webhook_out(e) for e in endpoints_for(request.auth)]


@router.post("/webhooks", response={201: WebhookOut, **problems(401, 404, 422)})
@idempotent(shown_once="the signing secret")
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Status:
    """Register an endpoint; the answer carries its signing secret, shown this once."""
    endpoint = _checked(create_endpoint, request.auth, **payload.dict())
    return Status(201, webhook_out(endpoint, with_secret=True))


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **problems(401, 404)})
def webhook_get(request: HttpRequest, webhook_id: int) -> dict[str, Any]:
    return webhook_out(endpoint_for(request.auth, webhook_id))


@router.patch("/webhooks/{webhook_id}", response={200: WebhookOut, **problems(401, 404, 422)})
def webhook_update(request: HttpRequest, webhook_id: int, payload: WebhookPatch) -> dict[str, Any]:
    """Change the URL, kinds, description or `active`; `rotate_secret` makes a new secret."""
    endpoint = endpoint_for(request.auth, webhook_id)
    changes = payload.dict(exclude_unset=True)
    rotate = bool(changes.pop("rotate_secret", False))
    changes = {k: v for k, v in changes.items() if v is not None}
    endpoint = _checked(
        update_endpoint, endpoint, actor=request.auth, rotate_secret=rotate, **changes
    )
    return webhook_out(endpoint, with_secret=rotate)


@router.delete("/webhooks/{webhook_id}", response={204: None, **problems(401, 404)})
def webhook_delete(request: HttpRequest, webhook_id: int) -> Status:
    """Remove the endpoint and its delivery log (PATCH `active: false` keeps the log)."""
    delete_endpoint(endpoint_for(request.auth, webhook_id), actor=request.auth)
    return Status(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries", response={200: DeliveryPage, **problems(401, 404, 422)}
)
def webhook_deliveries(
    request: HttpRequest,
    webhook_id: int,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> dict[str, Any]:
    """The delivery log, newest first: state, attempts, last response code and duration."""
    endpoint = endpoint_for(request.auth, webhook_id)
    page = keyset_page(deliveries_of(endpoint), order_by="-created_at", cursor=cursor, limit=limit)
    return {"items": [delivery_out(d) for d in page.items], "next": page.next_url(request)}


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut, **problems(401, 404)},
)
def webhook_redeliver(request: HttpRequest, webhook_id: int, delivery_id: int) -> Status:
    """Send a delivery again (same payload and id, a fresh set of attempts, from now)."""
    endpoint = endpoint_for(request.auth, webhook_id)
    delivery = redeliver_delivery(endpoint, delivery_id, actor=request.auth)
    return Status(202, delivery_out(delivery))
