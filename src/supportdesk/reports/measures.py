"""The measures dashboards share, computed from `rollups.totals` rows (or their `add_up`):
rates, satisfaction and business-time percentiles, with the same definitions everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from supportdesk.reports import rollups
from supportdesk.reports.blocks import Figure
from supportdesk.reports.filters import ReportFilters


def percent(part: int, whole: int) -> float | None:
    """part / whole in percent, one decimal; None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def ratings(totals: dict[str, Any]) -> int:
    """How many ratings the totals hold."""
    return sum(totals[f"rating_{s}"] for s in range(1, 6))


def average_rating(totals: dict[str, Any]) -> float | None:
    """The average rating (1–5), two decimals; None without ratings."""
    count = ratings(totals)
    if not count:
        return None
    return round(sum(s * totals[f"rating_{s}"] for s in range(1, 6)) / count, 2)


def sla_met(totals: dict[str, Any]) -> float | None:
    """Of the closed cases with an SLA, the share that met it."""
    return percent(totals["sla_met"], totals["sla_met"] + totals["sla_breached"])


def hours(buckets: Sequence[int], p: float) -> float | None:
    """The p-th percentile of a business-time histogram, in hours (one decimal)."""
    minutes = rollups.percentile(buckets, p)
    return round(minutes / 60, 1) if minutes is not None else None


def time_figures(totals: dict[str, Any], filters: ReportFilters) -> list[Figure]:
    """First response and resolution, median and 90th percentile, in business hours."""
    figures = []
    for key, label, buckets, dated in (
        ("frt", "First response", totals["frt_buckets"], "created"),
        ("resolution", "Resolution", totals["res_buckets"], "closed"),
    ):
        for p in (50, 90):
            name = "median" if p == 50 else "90th percentile"
            figures.append(
                Figure(
                    f"{key}_p{p}",
                    f"{label}, {name}",
                    hours(buckets, p),
                    unit="h",
                    url=filters.cases_url(dated=dated),
                    note="Business hours." if p == 50 else "",
                )
            )
    return figures


def moved_rate(totals: dict[str, Any]) -> float | None:
    """Of the cases first raised with a team (or request type), the share sent on to another
    team since."""
    return percent(totals["moved_out"], totals["raised"])


def shared_figures(totals: dict[str, Any], filters: ReportFilters) -> dict[str, Figure]:
    """The figures Team and Operations show alike, by key, each linked to its cases."""
    figures = [
        Figure("in", "Cases in", totals["opened"], url=filters.cases_url()),
        Figure("out", "Cases out", totals["closed"], url=filters.cases_url(dated="closed")),
        Figure(
            "sla_compliance",
            "SLA met",
            sla_met(totals),
            unit="%",
            url=filters.cases_url(dated="closed"),
            note=f"{totals['sla_breached']} closed cases breached their SLA.",
        ),
        Figure(
            "info_rate",
            "Needed more information",
            percent(totals["info_needed"], totals["opened"]),
            unit="%",
            url=filters.cases_url(("info_requested", "yes")),
            note="Of the cases raised: the team had to ask the requester.",
        ),
        Figure(
            "urgent_rate",
            "Marked urgent",
            percent(totals["urgent_requested"], totals["opened"]),
            unit="%",
            url=filters.cases_url(("requested_priority", "urgent")),
        ),
        Figure(
            "downgrade_rate",
            "Urgent requests downgraded",
            percent(totals["downgraded"], totals["urgent_requested"]),
            unit="%",
            url=filters.cases_url(
                ("requested_priority", "urgent"), ("priority", "low,medium,high")
            ),
        ),
        Figure(
            "duplicate_rate",
            "Closed as duplicates",
            percent(totals["duplicates"], totals["closed"]),
            unit="%",
            url=filters.cases_url(("resolution", "duplicate"), dated="closed"),
        ),
    ]
    return {figure.key: figure for figure in figures}
