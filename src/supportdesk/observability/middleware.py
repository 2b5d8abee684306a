"""The outermost middleware: a request id, one access-log line and the HTTP metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from supportdesk.observability.logs import request_id_var
from supportdesk.observability.metrics import http_metrics

access_log = logging.getLogger("supportdesk.access")

HEADER = "X-Request-ID"
# Ids from a proxy are kept only when short and made of characters safe in logs and headers.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Load balancer probes and scrapes: neither logged nor counted (they would drown the rest).
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def request_id_from(request: HttpRequest) -> str:
    """The proxy's X-Request-ID when it is safe, else a new random id."""
    given = request.headers.get(HEADER, "")
    return given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex


def _user_id(request: HttpRequest) -> int | None:
    """The user's id when the request already looked the user up (never a query of its own)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class ObservabilityMiddleware:
    """Gives each request an id (in the logs and the X-Request-ID response header), writes
    one `supportdesk.access` line per request and counts it for /metrics."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            if request.path not in QUIET_PATHS:
                self._record(request, response, time.perf_counter() - started, request_id)
            return response
        finally:
            request_id_var.reset(token)

    def _record(
        self, request: HttpRequest, response: HttpResponse, seconds: float, request_id: str
    ) -> None:
        http_metrics.observe(request.method or "", response.status_code, seconds)
        duration_ms = round(seconds * 1000, 1)
        user_id = _user_id(request)
        access_log.info(
            "%s %s %s %.1fms user=%s",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            user_id if user_id is not None else "-",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user_id,
                "request_id": request_id,
            },
        )
