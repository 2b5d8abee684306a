"""Trends over time from one rollup query grouped by day (by month over long ranges) and team:
cases in and out, SLA compliance and first-response median per week (per month over long
ranges), for all the teams together and team by team. Each value links to the cases of its
period (and team)."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from supportdesk.people.models import Team
from supportdesk.reports import rollups
from supportdesk.reports.blocks import Chart, Series
from supportdesk.reports.filters import ReportFilters
from supportdesk.reports.measures import hours, sla_met
from supportdesk.reports.models import FRT_BUCKETS

MONTHLY_AFTER_DAYS = 120  # longer ranges are shown per month
MEASURES = ("opened", "closed", "sla_met", "sla_breached", *FRT_BUCKETS)
EMPTY = dict.fromkeys(MEASURES, 0)
Measure = Callable[[dict[str, int]], Any]


@dataclass(frozen=True)
class Period:
    start: dt.date  # within the filters' range, both included
    end: dt.date
    label: str


def periods(filters: ReportFilters) -> list[Period]:
    """The weeks (from Monday) or, over MONTHLY_AFTER_DAYS days, the months of the range."""
    monthly = filters.days > MONTHLY_AFTER_DAYS
    years = filters.start.year != filters.end.year
    out, day = [], filters.start
    while day <= filters.end:
        if monthly:
            first = day.replace(day=1)
            following = (first + dt.timedelta(days=32)).replace(day=1)
            label = f"{first:%b %Y}"
        else:
            first = day - dt.timedelta(days=day.weekday())
            following = first + dt.timedelta(days=7)
            label = f"Week of {first:%d %b %Y}" if years else f"Week of {first:%d %b}"
        last = min(following - dt.timedelta(days=1), filters.end)
        out.append(Period(max(first, filters.start), last, label))
        day = following
    return out


def _sums_by_period_and_team(
    filters: ReportFilters, starts: list[dt.date]
) -> dict[tuple[int, int | None], dict[str, int]]:
    """MEASURES summed by (period index, team id), and by (period index, None) for all teams:
    one rollup query by week or month and team, added up as plain lists."""
    grain = "month" if filters.days > MONTHLY_AFTER_DAYS else "day"
    lists: dict[tuple[int, int], list[int]] = {}
    for row in rollups.totals(
        filters.start,
        filters.end,
        team_ids=filters.team_ids or None,
        request_type_ids=filters.request_type_ids or None,
        priorities=filters.priorities or None,
        group_by=(grain, "team"),
        counts=MEASURES,
    ):
        key = (bisect.bisect_right(starts, max(row[grain], filters.start)) - 1, row["team"])
        lists[key] = _plus(lists.get(key), [row[m] for m in MEASURES])
    everyone: dict[int, list[int]] = {}
    for (index, _), values in lists.items():
        everyone[index] = _plus(everyone.get(index), values)
    out = {key: dict(zip(MEASURES, values, strict=True)) for key, values in lists.items()}
    out.update({(i, None): dict(zip(MEASURES, v, strict=True)) for i, v in everyone.items()})
    return out


def _plus(sums: list[int] | None, values: list[int]) -> list[int]:
    return values if sums is None else [a + b for a, b in zip(sums, values, strict=True)]


def trend_charts(filters: ReportFilters, teams: Sequence[Team]) -> list[Chart]:
    """In and out, SLA met per team and first response per team, period by period."""
    spans = periods(filters)
    sums = _sums_by_period_and_team(filters, [p.start for p in spans])

    def values(team: Team | None, measure: Measure) -> list:
        key = team.pk if team else None
        return [measure(sums.get((i, key), EMPTY)) for i in range(len(spans))]

    def urls(team: Team | None, dated: str) -> list[str]:
        scope = replace(filters, teams=(team,)) if team else filters
        return [
            scope.cases_url(
                (f"{dated}_from", p.start.isoformat()),
                (f"{dated}_to", p.end.isoformat()),
                dated=None,
            )
            for p in spans
        ]

    unit = "month" if filters.days > MONTHLY_AFTER_DAYS else "week"
    labels = [p.label for p in spans]

    def per_team(key: str, title: str, measure: Measure, dated: str, **more: str) -> Chart:
        series = [Series("all", "All teams", values(None, measure), urls(None, dated))]
        series += [Series(t.slug, t.name, values(t, measure), urls(t, dated)) for t in teams]
        return Chart(key, title, "line", labels, series, **more)

    return [
        Chart(
            "flow_trend",
            f"Cases in and out per {unit}",
            "bar",
            labels,
            [
                Series("in", "In", values(None, lambda s: s["opened"]), urls(None, "created")),
                Series("out", "Out", values(None, lambda s: s["closed"]), urls(None, "closed")),
            ],
        ),
        per_team(
            "sla_trend",
            f"SLA met per {unit}, by team",
            sla_met,
            "closed",
            unit="%",
            note="Of the cases closed in the period that had an SLA.",
        ),
        per_team(
            "frt_trend",
            f"First response median per {unit}, by team",
            lambda s: hours([s[b] for b in FRT_BUCKETS], 50),
            "created",
            unit="h",
            note="Business hours, of the cases raised in the period.",
        ),
    ]
