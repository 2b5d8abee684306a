"""Admins' writes and reads of webhook endpoints; every function refuses non-admins with
Http404 (the pages and the API answer 404 to anyone else)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from supportdesk.webhooks.addresses import AddressRefused, check_url
from supportdesk.webhooks.events import KINDS
from supportdesk.webhooks.models import WebhookDelivery, WebhookEndpoint, new_secret
from supportdesk.webhooks.outbox import redeliver


class EndpointInvalid(ValueError):
    """Field-level errors: {field: [messages]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(" ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


def require_admin(user: AbstractBaseUser) -> None:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise Http404("Not found.")


def endpoints_for(user: AbstractBaseUser) -> QuerySet[WebhookEndpoint]:
    require_admin(user)
    return WebhookEndpoint.objects.select_related("created_by")


def endpoint_for(user: AbstractBaseUser, endpoint_id: int) -> WebhookEndpoint:
    endpoint = endpoints_for(user).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such webhook.")
    return endpoint


def deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.order_by("-created_at", "-id")


def clean(url: Any = None, event_kinds: Any = None, description: Any = None) -> dict[str, Any]:
    """The given fields, checked (None = not given); EndpointInvalid names each wrong one."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if url is not None:
        url = str(url).strip()
        try:
            if len(url) > 500:
                raise AddressRefused("Keep the URL under 500 characters.")
            check_url(url)
        except AddressRefused as refused:
            errors["url"] = [str(refused)]
        cleaned["url"] = url
    if event_kinds is not None:
        kinds = [str(k) for k in event_kinds] if isinstance(event_kinds, list | tuple) else []
        if unknown := [k for k in kinds if k not in KINDS]:
            errors["event_kinds"] = [
                f"“{k}” is not an event kind; choose from {', '.join(KINDS)}." for k in unknown
            ]
        elif not kinds:
            errors["event_kinds"] = ["Choose at least one event kind."]
        cleaned["event_kinds"] = list(dict.fromkeys(kinds))
    if description is not None:
        cleaned["description"] = str(description).strip()[:200]
    if errors:
        raise EndpointInvalid(errors)
    return cleaned


@transaction.atomic
def create_endpoint(
    actor: AbstractBaseUser, *, url: str, event_kinds: Sequence[str], description: str = ""
) -> WebhookEndpoint:
    """Register an endpoint; its secret is generated (show it to the admin once)."""
    require_admin(actor)
    fields = clean(url=url, event_kinds=list(event_kinds), description=description)
    return WebhookEndpoint.objects.create(created_by=actor, **fields)


@transaction.atomic
def update_endpoint(
    endpoint: WebhookEndpoint,
    *,
    actor: AbstractBaseUser,
    rotate_secret: bool = False,
    active: bool | None = None,
    **changes: Any,
) -> WebhookEndpoint:
    """Change the URL, kinds or description, (de)activate it, or give it a new secret."""
    require_admin(actor)
    fields = clean(**changes)
    if active is not None:
        fields["active"] = bool(active)
    if rotate_secret:
        fields["secret"] = new_secret()
    for name, value in fields.items():
        setattr(endpoint, name, value)
    if fields:
        endpoint.save(update_fields=list(fields))
    return endpoint


@transaction.atomic
def delete_endpoint(endpoint: WebhookEndpoint, *, actor: AbstractBaseUser) -> None:
    """Remove the endpoint and its delivery log."""
    require_admin(actor)
    endpoint.delete()


def redeliver_delivery(
    endpoint: WebhookEndpoint, delivery_id: int, *, actor: AbstractBaseUser
) -> WebhookDelivery:
    """Send one of the endpoint's deliveries again (a fresh set of attempts, from now)."""
    require_admin(actor)
    delivery = endpoint.deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404("No such delivery.")
    return redeliver(delivery)
