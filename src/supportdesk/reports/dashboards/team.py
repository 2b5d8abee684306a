"""Team (leads of the team, admins): is the new workflow fixing what it was built to fix?

The backlog is read from the open cases (few, and indexed); everything over the period comes
from the daily rollups (supportdesk.reports.rollups), never from scanning cases: cases in and
out, first-response and resolution times (median and 90th percentile in business hours), SLA
compliance, moves to another team, requests that needed more information, urgent and
downgraded requests, duplicates and satisfaction — by request type too. The rollups count a
case under its current team, request type and priority; "in" by the day it was raised, "out"
(and SLA, duplicates, ratings) by the day it closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from supportdesk.cases.models import OPEN_STATUSES, Case
from supportdesk.catalog.models import RequestType
from supportdesk.people.models import Membership, Team
from supportdesk.people.queries import team_roles_of
from supportdesk.reports import rollups
from supportdesk.reports.blocks import Chart, Dashboard, Figure, Series
from supportdesk.reports.dashboards.my_work import AGE_BUCKETS, status_by_age
from supportdesk.reports.filters import ReportFilters
from supportdesk.reports.measures import average_rating, percent, ratings, time_figures
from supportdesk.reports.queries import narrowed

TOP_RECORDS = 10


def teams_led_by(user: AbstractBaseUser) -> list[Team]:
    if user.is_staff:
        return list(Team.objects.order_by("name"))
    led = [pk for pk, role in team_roles_of(user).items() if role == Membership.Role.LEAD]
    return list(Team.objects.filter(pk__in=led).order_by("name"))


def may_open(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and user.is_active and bool(teams_led_by(user))


def build(user: AbstractBaseUser, filters: ReportFilters) -> Dashboard:
    led = teams_led_by(user)
    team = _chosen_team(led, filters)
    scoped = replace(filters, teams=(team,))
    by_type = _totals(scoped, group_by=("request_type",))
    totals = rollups.add_up(by_type)  # the same rows, added up: no second scan
    backlog = _backlog(scoped)
    figures = [
        Figure(
            "backlog",
            "Open now",
            sum(sum(row.values()) for row in backlog.values()),
            url=scoped.cases_url(("status", "open"), dated=None),
        ),
        Figure("in", "Cases in", totals["opened"], url=scoped.cases_url()),
        Figure("out", "Cases out", totals["closed"], url=scoped.cases_url(dated="closed")),
        *time_figures(totals, scoped),
        Figure(
            "sla_compliance",
            "SLA met",
            percent(totals["sla_met"], totals["sla_met"] + totals["sla_breached"]),
            unit="%",
            url=scoped.cases_url(dated="closed"),
            note=f"{totals['sla_breached']} closed cases breached their SLA.",
        ),
        Figure(
            "moved_rate",
            "Moved to another team",
            percent(totals["moved"], totals["opened"]),
            unit="%",
            note="Of the cases raised: sent to the wrong team first.",
        ),
        Figure(
            "info_rate",
            "Needed more information",
            percent(totals["info_needed"], totals["opened"]),
            unit="%",
            note="Of the cases raised: the team had to ask the requester.",
        ),
        Figure(
            "urgent_rate",
            "Marked urgent",
            percent(totals["urgent_requested"], totals["opened"]),
            unit="%",
            url=scoped.cases_url(("priority", "urgent")),
        ),
        Figure(
            "downgrade_rate",
            "Urgent requests downgraded",
            percent(totals["downgraded"], totals["urgent_requested"]),
            unit="%",
        ),
        Figure(
            "duplicate_rate",
            "Closed as duplicates",
            percent(totals["duplicates"], totals["closed"]),
            unit="%",
        ),
        Figure(
            "satisfaction",
            "Satisfaction",
            average_rating(totals),
            note=f"Average of {ratings(totals)} ratings (1–5).",
        ),
    ]
    charts = [
        status_by_age(backlog, scoped, "backlog", "Backlog by status and age"),
        _in_out_per_week(scoped),
        _by_request_type(scoped, by_type),
        _satisfaction(totals),
        _top_records(scoped),
    ]
    names = ", ".join(t.name for t in led) if len(led) > 1 else ""
    return Dashboard(
        "team",
        f"Team: {team.name}",
        figures,
        charts,
        subtitle=f"Switch with the Team filter: you lead {names}." if names else "",
    )


def _chosen_team(led: list[Team], filters: ReportFilters) -> Team:
    """The first team asked for, which must be one the user leads (404 otherwise)."""
    if not filters.teams:
        return led[0]
    team = filters.teams[0]
    if team not in led:
        raise Http404("No such team.")
    return team


def _totals(
    filters: ReportFilters, *, group_by: tuple[str, ...], counts: tuple[str, ...] | None = None
) -> list[dict]:
    return rollups.totals(
        filters.start,
        filters.end,
        team_ids=filters.team_ids,
        request_type_ids=filters.request_type_ids or None,
        priorities=filters.priorities or None,
        group_by=group_by,
        counts=counts,
    )


def _backlog(filters: ReportFilters) -> dict[str, dict[str, int]]:
    """Open cases of the team by status and age bucket (an indexed read of the open cases)."""
    today = timezone.localdate()
    counts = {b.key: Count("pk", filter=b.condition(today)) for b in AGE_BUCKETS}
    found = (
        narrowed(Case.objects.filter(status__in=OPEN_STATUSES), filters)
        .order_by()
        .values("status")
        .annotate(**counts)
    )
    return {row.pop("status"): row for row in found}


def _in_out_per_week(filters: ReportFilters) -> Chart:
    weeks: dict[dt.date, dict[str, int]] = {}
    for row in _totals(filters, group_by=("day",), counts=("opened", "closed")):
        monday = row["day"] - dt.timedelta(days=row["day"].weekday())
        week = weeks.setdefault(monday, {"opened": 0, "closed": 0})
        week["opened"] += row["opened"]
        week["closed"] += row["closed"]
    first = filters.start - dt.timedelta(days=filters.start.weekday())
    mondays = []
    while first <= filters.end:
        mondays.append(first)
        first += dt.timedelta(days=7)

    def url(monday: dt.date, dated: str) -> str:
        start, end = max(monday, filters.start), min(monday + dt.timedelta(6), filters.end)
        pairs = [(f"{dated}_from", start.isoformat()), (f"{dated}_to", end.isoformat())]
        return filters.cases_url(*pairs, dated=None)

    return Chart(
        "in_out_per_week",
        "Cases in and out per week",
        "bar",
        [f"Week of {m:%d %b}" for m in mondays],
        [
            Series(
                "in",
                "In",
                [weeks.get(m, {}).get("opened", 0) for m in mondays],
                [url(m, "created") for m in mondays],
            ),
            Series(
                "out",
                "Out",
                [weeks.get(m, {}).get("closed", 0) for m in mondays],
                [url(m, "closed") for m in mondays],
            ),
        ],
    )


def _by_request_type(filters: ReportFilters, rows: list[dict]) -> Chart:
    rows = list(rows)
    names = dict(
        RequestType.objects.filter(pk__in=[r["request_type"] for r in rows]).values_list(
            "pk", "name"
        )
    )
    rows.sort(key=lambda r: -r["opened"])

    def values(measure) -> list:
        return [measure(r) for r in rows]

    def frt(r: dict) -> float | None:
        minutes = rollups.percentile(r["frt_buckets"], 50)
        return round(minutes / 60, 1) if minutes is not None else None

    links = [filters.cases_url(("request_type", names.get(r["request_type"], ""))) for r in rows]
    return Chart(
        "by_request_type",
        "By request type",
        "bar",
        [names.get(r["request_type"], "?") for r in rows],
        [
            Series("in", "In", values(lambda r: r["opened"]), links),
            Series("out", "Out", values(lambda r: r["closed"])),
            Series("frt_median", "First response, median (h)", values(frt)),
            Series(
                "sla_met",
                "SLA met (%)",
                values(lambda r: percent(r["sla_met"], r["sla_met"] + r["sla_breached"])),
            ),
            Series(
                "info_rate",
                "Needed more information (%)",
                values(lambda r: percent(r["info_needed"], r["opened"])),
            ),
            Series(
                "moved_rate",
                "Moved to another team (%)",
                values(lambda r: percent(r["moved"], r["opened"])),
            ),
        ],
    )


def _satisfaction(totals: dict) -> Chart:
    return Chart(
        "satisfaction",
        "Satisfaction ratings",
        "bar",
        [f"{score} / 5" for score in range(1, 6)],
        [Series("ratings", "Ratings", [totals[f"rating_{s}"] for s in range(1, 6)])],
        note="Ratings of the cases closed in the period.",
    )


def _top_records(filters: ReportFilters) -> Chart:
    """The records with most cases raised in the period (an indexed range of the team's
    cases)."""
    rows = list(
        narrowed(
            Case.objects.filter(
                created_at__gte=filters.start_at,
                created_at__lt=filters.end_before,
                record__isnull=False,
            ),
            filters,
        )
        .order_by()
        .values("record__external_id", "record__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "record__name")[:TOP_RECORDS]
    )
    return Chart(
        "top_records",
        "Records with the most cases",
        "bar",
        [r["record__name"] for r in rows],
        [
            Series(
                "cases",
                "Cases",
                [r["n"] for r in rows],
                [filters.cases_url(("record", r["record__external_id"])) for r in rows],
            )
        ],
    )
