"""Whole lists of cases: GET /cases/export.csv (the list as CSV) and POST /cases/bulk (one
action on many cases, each case on its own). Search is the `q` filter of GET /cases.

Registered before the `cases` router, so `/cases/export.csv` and `/cases/bulk` are not
read as case numbers.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Router, Schema

from supportdesk.api.errors import FieldErrors, problems
from supportdesk.api.schemas import BodyIn
from supportdesk.api.views_api import ALL_CASES, CaseFilterQuery, api_listing
from supportdesk.lists.bulk import BULK_MAX, BulkAction, BulkInvalid, bulk_act, bulk_request
from supportdesk.lists.columns import Catalog
from supportdesk.lists.export import csv_response
from supportdesk.lists.queries import view_for

router = Router(tags=["case lists"])

CSV_RESPONSE = {
    "responses": {
        200: {
            "description": "The cases as CSV, one row per case, the columns' labels first.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


class ExportQuery(CaseFilterQuery):
    view: str | None = Field(
        None,
        description="A view's id (a number, or a built-in view's name) whose filters, columns "
        "and sort to start from; filters given here replace its filters. Default: all cases "
        "you can see.",
    )
    columns: str | None = Field(
        None, description="Column keys separated by commas (default: the view's columns)."
    )


@router.get(
    "/cases/export.csv",
    url_name="cases_export",
    response=problems(401, 404, 422),
    openapi_extra=CSV_RESPONSE,
)
def case_export(request: HttpRequest, query: Query[ExportQuery]) -> StreamingHttpResponse:
    """Every case you may see that the filters match, as CSV, streamed (any number of rows).

    Cells a spreadsheet would run as a formula (starting with = + - @, tab or CR) start with
    an apostrophe.
    """
    user = request.auth
    view = view_for(user, query.view) if query.view else ALL_CASES
    listing = api_listing(user, view, request.GET, catalog=Catalog())
    return csv_response(listing, user, view.name)


class BulkIn(BodyIn):
    cases: list[str] = Field(description=f"Case numbers, at most {BULK_MAX}.")
    action: BulkAction
    assignee: str = Field("", description="assign: the username to assign the cases to.")
    note: str = Field(
        "",
        description="hold, move: the reason; ask: the question; close: the note the "
        "requesters read. The same for every case.",
    )
    resolution: str = Field("", description="close: how the cases were resolved.")
    team: str = Field("", description="move: the team's name (or alias).")
    request_type: str = Field("", description="move: the request type's name.")
    sub_request: str = Field("", description="move: the sub-request's name, if it has them.")


class BulkResultOut(Schema):
    number: str
    done: bool
    message: str = Field(description="What was done, or why it was refused.")
    status: str | None = Field(description="The case's status afterwards, when done.")


class BulkOut(Schema):
    done: int
    refused: int
    results: list[BulkResultOut]


@router.post("/cases/bulk", response={200: BulkOut, **problems(401, 403, 422)})
def case_bulk(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Take, assign, hold, resume, ask, close or move many cases: each case goes through the
    same checks as on its own, in its own transaction; `results` says per case what was done
    or why it was refused (a case you cannot see is refused as missing)."""
    data = payload.dict()
    try:
        request_ = bulk_request(data)
        outcomes = bulk_act(request.auth, payload.cases, request_)
    except BulkInvalid as invalid:
        raise FieldErrors(invalid.errors) from None
    return {
        "done": sum(o.done for o in outcomes),
        "refused": sum(o.refused for o in outcomes),
        "results": [
            {"number": o.number, "done": o.done, "message": o.message, "status": o.status or None}
            for o in outcomes
        ],
    }
