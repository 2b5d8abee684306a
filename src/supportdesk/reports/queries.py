"""Reads the dashboards share: the report filters applied to a set of cases."""

from __future__ import annotations

from typing import Any

from django.db.models import F, FloatField, Func, QuerySet

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


class SecondsBetween(Func):
    """`end - start` in seconds, as a float, in SQL the database runs natively (Django's own
    datetime subtraction calls back into Python for every row on SQLite)."""

    output_field = FloatField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(end), F(start))  # joined as end − start below

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self.as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s)) * 86400",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM %(expressions)s)",
            arg_joiner=" - ",
            **extra,
        )
