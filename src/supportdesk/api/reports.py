"""GET /reports and /reports/{name}: each dashboard's data as JSON, the same numbers as its page.

Filters are the page's query parameters (supportdesk.reports.filters): range, from, to, team,
request_type, priority. A dashboard the caller may not open answers 404, like a missing one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from supportdesk.api.errors import FieldErrors, problems
from supportdesk.reports.filters import parse_report_filters
from supportdesk.reports.registry import dashboard_for, dashboards_for

router = Router(tags=["reports"])


class DashboardEntryOut(Schema):
    name: str
    title: str
    description: str


class FigureOut(Schema):
    key: str
    label: str
    value: float | int | None
    unit: str
    url: str = Field(description="The Cases tab listing exactly the cases behind the number.")
    note: str


class SeriesOut(Schema):
    key: str
    label: str
    values: list[float | int | None]
    urls: list[str] = Field(description="For each category, the list of its cases.")


class ChartOut(Schema):
    key: str
    title: str
    kind: str = Field(description="bar, stacked or line")
    categories: list[str]
    series: list[SeriesOut]
    unit: str
    note: str


class CellOut(Schema):
    value: str | float | int | None
    url: str = Field(description="The list of the cases behind the value, if any.")


class TableOut(Schema):
    key: str
    title: str
    columns: list[str]
    rows: list[list[CellOut]]
    note: str


class ActivityOut(Schema):
    at: dt.datetime
    case: str
    url: str
    text: str


class PeriodOut(Schema):
    range: str
    start: dt.date
    end: dt.date


class DashboardOut(Schema):
    name: str
    title: str
    subtitle: str
    period: PeriodOut
    figures: list[FigureOut]
    charts: list[ChartOut]
    tables: list[TableOut] = Field(default_factory=list, description="Plain lists.")
    activity: list[ActivityOut]


@router.get("/reports", response={200: list[DashboardEntryOut], **problems(401)})
def report_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The dashboards the caller may open."""
    return [
        {"name": e.name, "title": e.title, "description": e.description}
        for e in dashboards_for(request.auth)
    ]


@router.get("/reports/{name}", response={200: DashboardOut, **problems(401, 404, 422)})
def report_detail(request: HttpRequest, name: str) -> dict[str, Any]:
    """One dashboard's figures, charts, tables and activity for the filters in the query string."""
    entry = dashboard_for(request.auth, name)
    if entry is None:
        raise Http404("No such dashboard.")
    filters = parse_report_filters(request.GET)
    if filters.errors:
        raise FieldErrors(filters.errors)
    board = entry.build(request.auth, filters)
    period = {"range": filters.preset, "start": filters.start, "end": filters.end}
    return {**board.as_json(), "period": period}
