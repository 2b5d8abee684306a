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
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.lists.filters import OpenCase
from supportdesk.people.models import Membership, Team
from supportdesk.people.queries import team_roles_of
from supportdesk.reports import rollups
from supportdesk.reports.blocks import Chart, Dashboard, Figure, Series
from supportdesk.reports.dashboards.my_work import AGE_BUCKETS, status_by_age
from supportdesk.reports.dashboards.top_records import top_charts
from supportdesk.reports.filters import ReportFilters
from supportdesk.reports.measures import (
    average_rating,
    hours,
    moved_rate,
    percent,
    ratings,
    shared_figures,
    sla_met,
    time_figures,
)
from supportdesk.reports.queries import narrowed


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
    by_sub = _totals(scoped, group_by=("request_type", "sub_request"))
    by_type = _by_type(by_sub)  # the same rows, added up: no second scan
    totals = rollups.add_up(by_type)
    backlog = _backlog(scoped)
    shared = shared_figures(totals, scoped)
    figures = [
        Figure(
            "backlog",
            "Open now",
            sum(sum(row.values()) for row in backlog.values()),
            url=scoped.cases_url(("status", "open"), dated=None),
        ),
        shared["in"],
        shared["out"],
        *time_figures(totals, scoped),
        shared["sla_compliance"],
        Figure(
            "moved_rate",
            "Moved to another team",
            moved_rate(totals),
            unit="%",
            note="Of the cases first raised with this team: sent on to another team.",
        ),
        shared["info_rate"],
        shared["urgent_rate"],
        shared["downgrade_rate"],
        shared["duplicate_rate"],
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
        _by_sub_request(scoped, by_sub),
        _satisfaction(totals),
        *top_charts(scoped),
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
    # Counting an indexed column, and the open statuses as the partial index says them: the
    # index alone serves.
    counts = {b.key: Count("created_at", filter=b.condition(today)) for b in AGE_BUCKETS}
    found = (
        narrowed(Case.objects.filter(status__in=OPEN_STATUSES).filter(OpenCase()), filters)
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


def _by_type(rows: list[dict]) -> list[dict]:
    """`totals` rows by request type and sub-request, added up by request type."""
    grouped: dict[int, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["request_type"], []).append(row)
    return [{"request_type": pk, **rollups.add_up(group)} for pk, group in sorted(grouped.items())]


def _catalog_series(rows: list[dict], links: list[str]) -> list[Series]:
    """The same measures for each row of a by-request-type or by-sub-request chart."""

    def values(measure) -> list:
        return [measure(r) for r in rows]

    return [
        Series("in", "In", values(lambda r: r["opened"]), links),
        Series("out", "Out", values(lambda r: r["closed"])),
        Series(
            "frt_median",
            "First response, median (h)",
            values(lambda r: hours(r["frt_buckets"], 50)),
        ),
        Series("sla_met", "SLA met (%)", values(sla_met)),
        Series(
            "info_rate",
            "Needed more information (%)",
            values(lambda r: percent(r["info_needed"], r["opened"])),
        ),
        Series("moved_rate", "Moved to another team (%)", values(moved_rate)),
    ]


def _by_request_type(filters: ReportFilters, rows: list[dict]) -> Chart:
    rows = sorted(rows, key=lambda r: (-r["opened"], -r["raised"], r["request_type"]))
    names = dict(
        RequestType.objects.filter(pk__in=[r["request_type"] for r in rows]).values_list(
            "pk", "name"
        )
    )
    links = [filters.cases_url(("request_type", names.get(r["request_type"], ""))) for r in rows]
    return Chart(
        "by_request_type",
        "By request type",
        "bar",
        [names.get(r["request_type"], "?") for r in rows],
        _catalog_series(rows, links),
        note="Moved to another team: of the cases first raised with the request type.",
    )


def _by_sub_request(filters: ReportFilters, rows: list[dict]) -> Chart:
    rows = sorted(
        (r for r in rows if r["sub_request"]),
        key=lambda r: (-r["opened"], -r["raised"], r["sub_request"]),
    )
    names = {
        pk: (type_name, name)
        for pk, type_name, name in SubRequest.objects.filter(
            pk__in=[r["sub_request"] for r in rows]
        ).values_list("pk", "request_type__name", "name")
    }
    links = [
        filters.cases_url(
            ("request_type", names[r["sub_request"]][0]),
            ("sub_request", names[r["sub_request"]][1]),
        )
        if r["sub_request"] in names
        else ""
        for r in rows
    ]
    return Chart(
        "by_sub_request",
        "By sub-request",
        "bar",
        [" › ".join(names.get(r["sub_request"], ("?", "?"))) for r in rows],
        _catalog_series(rows, links),
        note="Request types with sub-requests, one row per sub-request.",
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
