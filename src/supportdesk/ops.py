"""Operational endpoints for load balancers and monitoring."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and serving requests (no database access)."""
    return HttpResponse("ok\n", content_type="text/plain")
