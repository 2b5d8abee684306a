"""Operations (admins): every team side by side on the same measures, trends over time and
catalog analytics.

Everything over the period comes from one rollup query grouped by team and request type
(supportdesk.reports.rollups, added up in Python) and one grouped by day and team (trends);
only the open backlog is read from the cases (few, and indexed), in one grouped query. The
measures are the Team dashboard's (supportdesk.reports.measures).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count

from supportdesk.cases.models import OPEN_STATUSES, Case
from supportdesk.lists.filters import OpenCase
from supportdesk.people.models import Team
from supportdesk.reports import rollups
from supportdesk.reports.blocks import Chart, Dashboard, Figure, Series
from supportdesk.reports.dashboards.catalog_use import catalog_blocks
from supportdesk.reports.dashboards.trends import trend_charts
from supportdesk.reports.filters import ReportFilters
from supportdesk.reports.measures import (
    average_rating,
    hours,
    moved_rate,
    percent,
    shared_figures,
    sla_met,
    time_figures,
)
from supportdesk.reports.queries import narrowed

OPEN = ("status", "open")


def may_open(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff


def build(user: AbstractBaseUser, filters: ReportFilters) -> Dashboard:
    rows = rollups.totals(
        filters.start,
        filters.end,
        team_ids=filters.team_ids or None,
        request_type_ids=filters.request_type_ids or None,
        priorities=filters.priorities or None,
        group_by=("team", "request_type"),
    )
    open_now = _open_by_team(filters)
    teams = _teams(filters, rows, open_now)
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["team"], []).append(row)
    by_team = {t.pk: rollups.add_up(grouped.get(t.pk, [])) for t in teams}
    totals = rollups.add_up(rows)
    catalog_charts, tables = catalog_blocks(filters, teams, rows)
    return Dashboard(
        "operations",
        "Operations",
        _figures(filters, totals, sum(open_now.values())),
        [
            _teams_side_by_side(filters, teams, by_team, open_now),
            *trend_charts(filters, teams),
            *catalog_charts,
        ],
        tables=tables,
        subtitle="All teams" if not filters.teams else ", ".join(t.name for t in teams),
    )


def _teams(
    filters: ReportFilters, rows: Sequence[dict[str, Any]], open_now: dict[int, int]
) -> list[Team]:
    """The teams asked for, or the active teams and any other with cases."""
    if filters.teams:
        return list(filters.teams)
    busy = {r["team"] for r in rows} | set(open_now)
    return [t for t in Team.objects.all() if t.is_active or t.pk in busy]


def _open_by_team(filters: ReportFilters) -> dict[int, int]:
    """Open cases per team now (an indexed read of the open cases)."""
    found = (
        narrowed(Case.objects.filter(status__in=OPEN_STATUSES).filter(OpenCase()), filters)
        .order_by()
        .values("team_id")
        .annotate(n=Count("*"))  # the open cases' (team, status, created_at) index alone
    )
    return {row["team_id"]: row["n"] for row in found}


def _figures(filters: ReportFilters, totals: dict[str, Any], open_now: int) -> list[Figure]:
    shared = shared_figures(totals, filters)
    return [
        shared["in"],
        shared["out"],
        Figure("backlog", "Open now", open_now, url=filters.cases_url(OPEN, dated=None)),
        *time_figures(totals, filters),
        shared["sla_compliance"],
        Figure(
            "moved_rate",
            "Moved to another team",
            moved_rate(totals),
            unit="%",
            note="Of the cases first raised with these teams: sent on to another team.",
        ),
        shared["info_rate"],
        shared["duplicate_rate"],
        Figure(
            "satisfaction",
            "Satisfaction",
            average_rating(totals),
            note="Average rating (1–5) of the cases closed in the period.",
        ),
    ]


Measure = Callable[[dict[str, Any]], Any]
SIDE_BY_SIDE: tuple[tuple[str, str, Measure], ...] = (
    ("frt_p50", "First response, median (h)", lambda t: hours(t["frt_buckets"], 50)),
    ("frt_p90", "First response, 90th percentile (h)", lambda t: hours(t["frt_buckets"], 90)),
    ("resolution_p50", "Resolution, median (h)", lambda t: hours(t["res_buckets"], 50)),
    ("resolution_p90", "Resolution, 90th percentile (h)", lambda t: hours(t["res_buckets"], 90)),
    ("sla_met", "SLA met (%)", sla_met),
    ("moved_rate", "Moved to another team (%)", moved_rate),
    ("info_rate", "Needed more information (%)", lambda t: percent(t["info_needed"], t["opened"])),
    ("urgent_rate", "Marked urgent (%)", lambda t: percent(t["urgent_requested"], t["opened"])),
    (
        "downgrade_rate",
        "Urgent requests downgraded (%)",
        lambda t: percent(t["downgraded"], t["urgent_requested"]),
    ),
    ("duplicate_rate", "Closed as duplicates (%)", lambda t: percent(t["duplicates"], t["closed"])),
    ("satisfaction", "Satisfaction (1–5)", average_rating),
)


def _teams_side_by_side(
    filters: ReportFilters,
    teams: Sequence[Team],
    by_team: dict[int, dict[str, Any]],
    open_now: dict[int, int],
) -> Chart:
    scopes = [replace(filters, teams=(t,)) for t in teams]
    totals = [by_team[t.pk] for t in teams]
    return Chart(
        "teams",
        "Teams side by side",
        "bar",
        [t.name for t in teams],
        [
            Series("in", "In", [t["opened"] for t in totals], [s.cases_url() for s in scopes]),
            Series(
                "out",
                "Out",
                [t["closed"] for t in totals],
                [s.cases_url(dated="closed") for s in scopes],
            ),
            Series(
                "backlog",
                "Open now",
                [open_now.get(t.pk, 0) for t in teams],
                [s.cases_url(OPEN, dated=None) for s in scopes],
            ),
            *(
                Series(key, label, [measure(t) for t in totals])
                for key, label, measure in SIDE_BY_SIDE
            ),
        ],
        note="Times in business hours; rates of the cases raised (moved, information, urgent) "
        "or closed (SLA, duplicates, satisfaction) in the period.",
    )
