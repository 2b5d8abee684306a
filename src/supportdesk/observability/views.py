"""GET /metrics: Prometheus text format, for staff, a bearer token or allow-listed addresses."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from supportdesk.observability import metrics
from supportdesk.observability.proxies import IPAddress, client_address

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def may_scrape(request: HttpRequest) -> bool:
    """A staff session, `Authorization: Bearer <METRICS_TOKEN>`, or a client address inside
    METRICS_ALLOWED_IPS (addresses or networks): the socket's, or behind a proxy listed in
    TRUSTED_PROXIES the one X-Forwarded-For gives for the client (observability.proxies)."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:], token):
        return True
    if _address_allowed(client_address(request)):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff)


def _address_allowed(client: IPAddress | None) -> bool:
    if not settings.METRICS_ALLOWED_IPS or client is None:
        return False
    return any(
        client in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_IPS
    )


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics page; 404 (not 403) for anyone else, so it does not advertise itself."""
    if not may_scrape(request):
        raise Http404
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE)
