"""One error format for the whole API: RFC 9457 problem details (`application/problem+json`).

Every error body is `{"type", "title", "status", "detail"}`; validation errors (422) add
`"errors": [{"field": "details.po_number", "message": "…"}]`, one entry per message, each
naming the field as a dotted path into the request (no `body.` prefix). The handlers here turn
ninja's own exceptions, Django's Http404/PermissionDenied and the domain errors of the services
into that shape, so routers only raise. A conflict (409: a stale `version` or a lost race) adds
`"version"`, the case's current version.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.log import log_response
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError

from supportdesk import unavailable
from supportdesk.cases.actions import ActionInvalid, ActionNotAllowed, CaseConflict
from supportdesk.cases.services import RecordNotEditable, SubmissionInvalid
from supportdesk.records.services import RecordActionForbidden, RecordInvalid

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
BLANK = "about:blank"
# Name of the JSON body parameter of every operation: ninja puts it second in error locations.
BODY_PARAM = "payload"


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    """An RFC 9457 problem detail."""

    type: str = BLANK
    title: str
    status: int
    detail: str


class ValidationProblem(Problem):
    """A 422: the request was understood but some fields are wrong; `errors` says which."""

    errors: list[FieldError]


class ConflictProblem(Problem):
    """A 409: the case changed since the caller read it (or another agent won a race).

    `version` is the case's current version: read the case again, then retry with it.
    """

    version: int | None


class ApiProblem(Exception):
    """Raise from a router to answer with a problem (status, detail)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class FieldErrors(ApiProblem):
    """A 422 naming each wrong field: {field: [messages]}."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        super().__init__(422, "The request has errors; see `errors`.")
        self.errors = {field: list(messages) for field, messages in errors.items()}


def problems(*statuses: int) -> dict[int, type[Problem]]:
    """Response declarations for OpenAPI: `response={201: Out, **problems(401, 422)}`."""
    special: dict[int, type[Problem]] = {409: ConflictProblem, 422: ValidationProblem}
    return {s: special.get(s, Problem) for s in statuses}


def problem_response(
    status: int,
    detail: str,
    *,
    errors: Mapping[str, Sequence[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": BLANK,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **(extra or {}),
    }
    if errors is not None:
        body["errors"] = [
            {"field": field, "message": message}
            for field, messages in errors.items()
            for message in messages
        ]
    return HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def field_name(loc: Iterable[Any]) -> str:
    """Ninja's error location ("body", "payload", "details", "x") as a dotted field name."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "form"} and parts[1:2] == [BODY_PARAM]:
        parts = parts[2:]
    elif parts and parts[0] in {"body", "query", "path", "header", "cookie", "file", "form"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "missing":
        return "This field is required."
    return str(error.get("msg", "Invalid value."))


def validation_errors(exc: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        if "loc" in error:
            name = field_name(error["loc"])
            errors.setdefault(name, []).append(_message(error))
        else:  # ninja's cursor pagination style: {"cursor": "Invalid Cursor"}
            for name, message in error.items():
                errors.setdefault(str(name), []).append(str(message))
    return errors


def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = "The request has errors; see `errors`."
    return problem_response(422, detail, errors=validation_errors(exc))


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.status_code == 401 else None
    detail = str(exc)
    if exc.status_code == 401:
        detail = "Log in, or send `Authorization: Bearer <token>` with a valid API token."
    return problem_response(exc.status_code, detail, headers=headers)


def _on_api_problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    errors = exc.errors if isinstance(exc, FieldErrors) else None
    return problem_response(exc.status, exc.detail, errors=errors)


def _on_unreadable_body(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return problem_response(400, f"The multipart body cannot be read: {exc}")


def _on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(404, str(exc) or "Not found.")


def _on_forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(403, str(exc) or "You may not do this.")


def _on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem_response(413, str(exc) or "The request is too large.")


def _on_conflict(request: HttpRequest, exc: CaseConflict) -> HttpResponse:
    version = exc.case.version if exc.case is not None else None
    return problem_response(409, str(exc), extra={"version": version})


def _on_invalid(
    request: HttpRequest, exc: SubmissionInvalid | RecordInvalid | ActionInvalid
) -> HttpResponse:
    return problem_response(422, "The request has errors; see `errors`.", errors=exc.errors)


def _on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """503 with Retry-After; retrying (with the same Idempotency-Key) is safe."""
    unavailable.log_unavailable(request, exc)
    return unavailable.add_retry_after(problem_response(503, unavailable.MESSAGE))


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A 500 in the same format; logged and signalled like Django's own 500 handling."""
    response = problem_response(500, "Something went wrong on our side; it has been logged.")
    got_request_exception.send(sender=None, request=request)
    log_response(
        "%s: %s",
        response.reason_phrase,
        request.path,
        response=response,
        request=request,
        exception=exc,
    )
    return response


def install_error_handlers(api: NinjaAPI) -> None:
    api.add_exception_handler(ValidationError, _on_validation_error)
    api.add_exception_handler(HttpError, _on_http_error)  # also 401, 403 (CSRF, scope), 429
    api.add_exception_handler(ApiProblem, _on_api_problem)
    api.add_exception_handler(MultiPartParserError, _on_unreadable_body)
    api.add_exception_handler(Http404, _on_not_found)
    api.add_exception_handler(PermissionDenied, _on_forbidden)
    api.add_exception_handler(RecordNotEditable, _on_forbidden)
    api.add_exception_handler(RecordActionForbidden, _on_forbidden)
    api.add_exception_handler(SubmissionInvalid, _on_invalid)
    api.add_exception_handler(RecordInvalid, _on_invalid)
    api.add_exception_handler(ActionNotAllowed, _on_forbidden)  # visible, but not allowed now
    api.add_exception_handler(ActionInvalid, _on_invalid)
    api.add_exception_handler(CaseConflict, _on_conflict)
    api.add_exception_handler(RequestDataTooBig, _on_too_large)  # a body over the limits
    for database_error in unavailable.DATABASE_UNAVAILABLE:
        api.add_exception_handler(database_error, _on_database_unavailable)
    api.add_exception_handler(Exception, _on_unexpected)
