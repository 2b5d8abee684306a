"""When the database cannot be reached (restarting, failing over, out of connections): answer
503 with `Retry-After` and a plain message instead of a bare 500.

Most requests that fail this way saved nothing (their transaction never committed). One whose
connection dropped just after its commit did save, so the message does not promise otherwise:
retrying is what is safe. A retried wizard submit finds its case by the draft's submission key,
and an API POST retried with the same `Idempotency-Key` answers with the case it made. The next
request reconnects by itself (`conn_health_checks`), so the app recovers as soon as the
database is back, without a restart.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

log = logging.getLogger("supportdesk.unavailable")

RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
MESSAGE = (
    "The service is briefly unavailable (its database could not be reached). Please try again "
    "in a moment; trying again never files the same request twice."
)


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_UNAVAILABLE)


def log_unavailable(request: HttpRequest, exc: BaseException | None) -> None:
    log.warning("database unavailable: %s %s: %s", request.method, request.path, exc)


def add_retry_after(response: HttpResponse) -> HttpResponse:
    """Set `Retry-After` on a 503 built elsewhere (the API's problem+json); returns it."""
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unavailable_page(request: HttpRequest) -> HttpResponse:
    # A standalone template: base.html's context processors would query the database.
    body = render_to_string("503.html", {"message": MESSAGE})
    return add_retry_after(HttpResponse(body, status=503))


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """`handler500`: a 503 page when the uncaught exception is the database being unreachable,
    Django's 500 page otherwise. Django calls it from inside its `except` block."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        log_unavailable(request, exc)
        return unavailable_page(request)
    return django_server_error(request, template_name)
