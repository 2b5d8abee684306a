"""Dashboard pages and their CSV exports. The API serves the same data (api/reports.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from supportdesk.cases.models import Priority
from supportdesk.people.models import Team
from supportdesk.reports.blocks import Chart, chart_csv, dashboard_csv, table_csv
from supportdesk.reports.filters import PRESETS, parse_report_filters
from supportdesk.reports.registry import dashboard_for, dashboards_for


@require_safe
@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", {"dashboards": dashboards_for(request.user)})


@require_safe
@login_required
def dashboard(request: HttpRequest, name: str) -> HttpResponse:
    entry = dashboard_for(request.user, name)
    if entry is None:
        raise Http404("No such dashboard.")
    filters = parse_report_filters(request.GET)
    board = entry.build(request.user, filters)
    if request.GET.get("format") == "csv":
        key = request.GET.get("chart")
        part = (board.chart(key) or board.table(key)) if key else None
        if key and part is None:
            raise Http404("No such chart.")
        if part is None:
            text = dashboard_csv(board)
        else:
            text = chart_csv(part) if isinstance(part, Chart) else table_csv(part)
        filename = f"{name}-{part.key}.csv" if part else f"{name}.csv"
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(
        request,
        "reports/dashboard.html",
        {
            "entry": entry,
            "board": board,
            "filters": filters,
            "presets": PRESETS.items(),
            "teams": Team.objects.order_by("name"),
            "priorities": Priority.choices,
            "query": filters.params(),
        },
    )
