"""The HTTP API, mounted at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from supportdesk.api import (
    case_actions,
    case_add_details,
    case_approvals,
    case_info,
    case_links,
    case_lists,
    case_merge,
    case_priority,
    cases,
    catalog,
    catalog_admin,
    notifications,
    record_shares,
    records,
    reports,
    teams,
    tokens,
    uploads,
    views_api,
)
from supportdesk.api.auth import API_AUTH, SAFE_METHODS, signed_in
from supportdesk.api.errors import PROBLEM_CONTENT_TYPE, install_error_handlers
from supportdesk.api.ratelimit import ApiRateLimit
from supportdesk.api.text_guard import refuse_nul_characters
from supportdesk.webhooks import api as webhooks_api

DESCRIPTION = """\
Request support on CRM records and follow the cases.

**Authentication**: the browser's session (unsafe methods need the `X-CSRFToken` header), or
`Authorization: Bearer <token>` with a personal API token; `read` tokens may only GET.

**Errors** are RFC 9457 problem details (`application/problem+json`); a 422 lists every wrong
field in `errors` as `{"field": "details.po_number", "message": "…"}`.

**Files** are uploaded first (`POST /uploads`) and referenced by id when creating a case,
commenting or attaching files to a case.

**Changes** to a case accept its `version` as last read: if the case changed since, nothing is
changed and the answer is 409 with the current `version`. Taking a case someone else took first
is also a 409. Each case lists the `actions` the caller may take now.

**Rate limit**: each token (or signed-in user) may send so many requests per period (setting
`API_RATE_LIMIT`, by default 600 a minute); beyond it the answer is 429 with `Retry-After`.

**Retries**: POSTs that create something accept an `Idempotency-Key` header: a retry with
the same key and body answers as the first time (`Idempotent-Replayed: true`) and creates
nothing more; the same key on another request is a 422.

**Tokens** are created and revoked on the Settings › API tokens page or with `/tokens`.
"""


COMMON_PROBLEMS = {
    "400": ("The body is not valid JSON (or not the form it should be).", "Problem"),
    "403": ("A `read` token, or a browser session without the CSRF header.", "Problem"),
    "422": ("Some parameters or fields are wrong; `errors` says which.", "ValidationProblem"),
    "429": ("Too many requests; retry after `Retry-After` seconds.", "Problem"),
}


def _document_common_problems(method: str, operation: dict[str, Any]) -> None:
    has_input = bool(operation.get("parameters") or operation.get("requestBody"))
    unsafe = method.upper() not in SAFE_METHODS
    needed = (
        {"429"}
        | ({"422"} if has_input else set())
        | ({"400"} if "requestBody" in operation else set())
        | ({"403"} if unsafe else set())
    )
    responses = operation.setdefault("responses", {})
    for status in sorted(needed - set(responses)):
        description, component = COMMON_PROBLEMS[status]
        responses[status] = {
            "description": description,
            "content": {
                PROBLEM_CONTENT_TYPE: {"schema": {"$ref": f"#/components/schemas/{component}"}}
            },
        }
        if status == "429":
            responses[status]["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
            }


class SupportdeskAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Error responses are documented with the media type they are sent with, and the
        ones every operation may give (unparsable body, invalid parameters, rate limit)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for path_item in schema["paths"].values():
            for method, operation in path_item.items():
                _document_common_problems(method, operation)
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content")
                    if int(status) >= 400 and content:
                        response["content"] = {PROBLEM_CONTENT_TYPE: next(iter(content.values()))}
        return schema


api = SupportdeskAPI(
    title="supportdesk API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=API_AUTH,
    docs_decorator=signed_in,
    throttle=[ApiRateLimit()],  # after authentication, on every operation
)
install_error_handlers(api)
api.add_decorator(refuse_nul_characters, mode="view")  # before PostgreSQL sees them
api.add_router("", catalog.router)
api.add_router("", catalog_admin.router)
api.add_router("", record_shares.router)  # before `records`: /records/shares is no id
api.add_router("", records.router)
api.add_router("", uploads.router)
api.add_router("", case_lists.router)  # before `cases`: /cases/export.csv is not a number
api.add_router("", cases.router)
api.add_router("", case_actions.router)
api.add_router("", case_approvals.router)
api.add_router("", case_links.router)
api.add_router("", case_priority.router)
api.add_router("", case_info.router)
api.add_router("", case_merge.router)
api.add_router("", views_api.router)
api.add_router("", reports.router)
api.add_router("", webhooks_api.router)
api.add_router("", tokens.router)
api.add_router("", notifications.router)
api.add_router("", teams.router)
api.add_router("", case_add_details.router)
