"""Reads the dashboards share: the report filters applied to a set of cases."""

from __future__ import annotations

from django.db.models import QuerySet

from supportdesk.cases.models import Case
from supportdesk.reports.filters import ReportFilters


def narrowed(cases: QuerySet[Case], filters: ReportFilters) -> QuerySet[Case]:
    """`cases` of the filters' teams, request types and priorities (no date condition)."""
    if filters.team_ids:
        cases = cases.filter(team_id__in=filters.team_ids)
    if filters.request_types:
        cases = cases.filter(request_type_id__in=filters.request_type_ids)
    if filters.priorities:
        cases = cases.filter(priority__in=filters.priorities)
    return cases
