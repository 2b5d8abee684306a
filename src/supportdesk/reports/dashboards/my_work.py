"""My work (agents and admins): the open cases I own by status and age, which of them are at
risk of or past their SLA, and what I closed this week and in the period.

Ages are counted in local calendar days since the case was raised, so that each bucket is a
range of creation dates and its link (created_from/created_to) lists exactly its cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from supportdesk.cases.models import OPEN_STATUSES, Case, SlaStage, Status
from supportdesk.cases.queries import cases_visible_to
from supportdesk.people.queries import team_ids_of
from supportdesk.reports.blocks import Chart, Dashboard, Figure, Series
from supportdesk.reports.filters import ReportFilters, preset_range
from supportdesk.reports.queries import narrowed

MINE = ("owner", "me")
OPEN = ("status", "open")


@dataclass(frozen=True)
class AgeBucket:
    key: str
    label: str
    oldest: int | None  # days ago the bucket's first creation date is (None: no limit)
    newest: int  # days ago its last creation date is

    def days(self, today: dt.date) -> tuple[dt.date | None, dt.date]:
        first = today - dt.timedelta(days=self.oldest) if self.oldest is not None else None
        return first, today - dt.timedelta(days=self.newest)

    def condition(self, today: dt.date) -> Q:
        first, last = self.days(today)
        condition = Q(created_at__lt=_midnight(last + dt.timedelta(days=1)))
        return condition & Q(created_at__gte=_midnight(first)) if first else condition

    def params(self, today: dt.date) -> list[tuple[str, str]]:
        first, last = self.days(today)
        pairs = [("created_from", first.isoformat())] if first else []
        return [*pairs, ("created_to", last.isoformat())]


AGE_BUCKETS = (
    AgeBucket("today", "Raised today", 0, 0),
    AgeBucket("1_3_days", "1–3 days old", 3, 1),
    AgeBucket("4_7_days", "4–7 days old", 7, 4),
    AgeBucket("over_7_days", "Over 7 days old", None, 8),
)


def may_open(user: AbstractBaseUser) -> bool:
    """Agents (members of any team) and admins."""
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_staff or team_ids_of(user))


def build(user: AbstractBaseUser, filters: ReportFilters) -> Dashboard:
    today = timezone.localdate()
    mine = narrowed(cases_visible_to(user).filter(owner=user), filters)
    rows = _open_by_status(mine, today)
    week_start, _ = preset_range("this_week", today)
    closed = mine.aggregate(
        week=Count("pk", filter=_closed_between(_midnight(week_start), _midnight(today, 1))),
        period=Count("pk", filter=_closed_between(filters.start_at, filters.end_before)),
    )
    figures = [
        Figure(
            "open",
            "My open cases",
            sum(r["total"] for r in rows.values()),
            url=filters.cases_url(MINE, OPEN, dated=None),
        ),
        Figure(
            "at_risk",
            "At risk",
            sum(r["at_risk"] for r in rows.values()),
            url=filters.cases_url(MINE, OPEN, ("sla", "at_risk"), dated=None),
            note="Open cases near their SLA due time.",
        ),
        Figure(
            "breached",
            "Breached",
            sum(r["breached"] for r in rows.values()),
            url=filters.cases_url(MINE, OPEN, ("sla", "breached"), dated=None),
            note="Open cases past their SLA due time.",
        ),
        Figure(
            "closed_this_week",
            "Closed this week",
            closed["week"],
            url=filters.cases_url(
                MINE,
                ("closed_from", week_start.isoformat()),
                ("closed_to", today.isoformat()),
                dated=None,
            ),
            note=f"Since Monday {week_start.day} {week_start:%B}.",
        ),
        Figure(
            "closed_in_period",
            "Closed in the period",
            closed["period"],
            url=filters.cases_url(MINE, dated="closed"),
        ),
    ]
    charts = [
        status_by_age(
            rows, filters, "open_by_status_and_age", "My open cases by status and age", MINE
        ),
        _closed_per_day(mine, filters),
    ]
    return Dashboard("my-work", "My work", figures, charts, subtitle="The cases you own.")


def _open_by_status(mine: QuerySet[Case], today: dt.date) -> dict[str, dict[str, int]]:
    """Status → counts of its open cases: in total, per age bucket, at risk, breached."""
    counts = {
        "total": Count("pk"),
        "at_risk": Count("pk", filter=Q(sla_stage=SlaStage.AT_RISK)),
        "breached": Count("pk", filter=Q(sla_stage=SlaStage.BREACHED)),
        **{b.key: Count("pk", filter=b.condition(today)) for b in AGE_BUCKETS},
    }
    found = mine.filter(status__in=OPEN_STATUSES).order_by().values("status").annotate(**counts)
    return {row.pop("status"): row for row in found}


def status_by_age(
    rows: dict[str, dict[str, int]], filters: ReportFilters, key: str, title: str, *mine: tuple
) -> Chart:
    """Open cases by status (categories) and age bucket (series), from `rows` of status →
    bucket → count; `mine` narrows the segments' links (e.g. to the user's own cases)."""
    today = timezone.localdate()
    statuses = [s for s in Status if s.value in OPEN_STATUSES]
    return Chart(
        key,
        title,
        "stacked",
        [s.label for s in statuses],
        [
            Series(
                bucket.key,
                bucket.label,
                [rows.get(s.value, {}).get(bucket.key, 0) for s in statuses],
                [
                    filters.cases_url(*mine, ("status", s.value), *bucket.params(today), dated=None)
                    for s in statuses
                ],
            )
            for bucket in AGE_BUCKETS
        ],
        note="Age in calendar days since the case was raised.",
    )


def _closed_per_day(mine: QuerySet[Case], filters: ReportFilters) -> Chart:
    per_day = dict(
        mine.filter(_closed_between(filters.start_at, filters.end_before))
        .annotate(day=TruncDate("closed_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    days = [filters.start + dt.timedelta(days=i) for i in range(filters.days)]
    return Chart(
        "closed_per_day",
        "Closed per day",
        "line",
        [day.isoformat() for day in days],
        [
            Series(
                "closed",
                "Closed",
                [per_day.get(day, 0) for day in days],
                [
                    filters.cases_url(
                        MINE,
                        ("closed_from", day.isoformat()),
                        ("closed_to", day.isoformat()),
                        dated=None,
                    )
                    for day in days
                ],
            )
        ],
    )


def _closed_between(start: dt.datetime, end: dt.datetime) -> Q:
    return Q(closed_at__gte=start, closed_at__lt=end)


def _midnight(day: dt.date, days_later: int = 0) -> dt.datetime:
    later = day + dt.timedelta(days=days_later)
    return timezone.make_aware(dt.datetime.combine(later, dt.time()))
