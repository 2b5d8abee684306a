"""The admins' Webhooks pages: register, edit, deactivate and delete endpoints, rotate their
secret (shown once), read the delivery log and redeliver. Anyone else gets 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

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
from supportdesk.webhooks.forms import EndpointForm
from supportdesk.webhooks.models import WebhookEndpoint

PAGE_SIZE = 50


def _saved(
    form: EndpointForm, write: Callable[..., WebhookEndpoint], *args: Any, **kwargs: Any
) -> WebhookEndpoint | None:
    """Run `write` with the form's data; its field errors go on the form."""
    if not form.is_valid():
        return None
    try:
        return write(*args, **kwargs, **form.cleaned_data)
    except EndpointInvalid as invalid:
        for field, errors in invalid.errors.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return None


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    endpoints = list(endpoints_for(request.user))
    form = EndpointForm(request.POST or None)
    if request.method == "POST":
        endpoint = _saved(form, create_endpoint, request.user)
        if endpoint is not None:
            messages.success(request, "Webhook registered. Copy its secret now.")
            return _detail(request, endpoint, new_secret=True)
    return render(request, "webhooks/list.html", {"endpoints": endpoints, "form": form})


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for(request.user, pk)
    if request.method == "POST":
        form = EndpointForm(request.POST)
        if _saved(form, update_endpoint, endpoint, actor=request.user) is not None:
            messages.success(request, "Webhook saved.")
            return redirect("webhooks:detail", pk=endpoint.pk)
        return _detail(request, endpoint, form=form)
    return _detail(request, endpoint)


def _detail(
    request: HttpRequest,
    endpoint: WebhookEndpoint,
    *,
    form: EndpointForm | None = None,
    new_secret: bool = False,
) -> HttpResponse:
    initial = {k: getattr(endpoint, k) for k in ("url", "event_kinds", "description")}
    page = Paginator(deliveries_of(endpoint), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "endpoint": endpoint,
        "form": form or EndpointForm(initial=initial),
        "page": page,
        "new_secret": endpoint.secret if new_secret else "",
    }
    return render(request, "webhooks/detail.html", context)


@require_POST
@login_required
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for(request.user, pk)
    endpoint = update_endpoint(endpoint, actor=request.user, rotate_secret=True)
    messages.success(request, "New secret made; the old one no longer signs. Copy it now.")
    return _detail(request, endpoint, new_secret=True)


@require_POST
@login_required
def webhook_active(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for(request.user, pk)
    active = request.POST.get("active") == "1"
    update_endpoint(endpoint, actor=request.user, active=active)
    messages.success(request, "Webhook activated." if active else "Webhook deactivated.")
    return redirect("webhooks:detail", pk=endpoint.pk)


@require_POST
@login_required
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for(request.user, pk)
    delete_endpoint(endpoint, actor=request.user)
    messages.success(request, f"Deleted the webhook to {endpoint.url}.")
    return redirect("webhooks:list")


@require_POST
@login_required
def redeliver(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    endpoint = endpoint_for(request.user, pk)
    delivery = redeliver_delivery(endpoint, delivery_id, actor=request.user)
    messages.success(request, f"Queued {delivery.event_id} to be sent again.")
    return redirect("webhooks:detail", pk=endpoint.pk)
