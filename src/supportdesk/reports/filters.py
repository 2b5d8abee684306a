"""The filters every dashboard takes: a date range (presets or custom), teams, request types
and priorities — and the same filters as the list view's query parameters, so every number
links to exactly its cases (supportdesk.lists.filters).

    range=this_week|last_30_days|this_quarter|custom   from=YYYY-MM-DD   to=YYYY-MM-DD
    team=<slug> (several)   request_type=<name> (several)   priority=<priority> (several)

The range is of local dates, both ends included. `parse_report_filters` never raises: it
returns the errors by parameter, and falls back to the default range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from supportdesk.cases.models import Priority
from supportdesk.catalog.models import RequestType
from supportdesk.people.models import Team

PRESETS = {
    "this_week": "This week",
    "last_30_days": "Last 30 days",
    "this_quarter": "This quarter",
    "custom": "Custom",
}
DEFAULT_PRESET = "last_30_days"
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class ReportFilters:
    preset: str
    start: dt.date  # local dates, both included
    end: dt.date
    teams: tuple[Team, ...] = ()
    request_types: tuple[str, ...] = ()  # names (a name may be used by several teams)
    request_type_ids: tuple[int, ...] = ()
    priorities: tuple[str, ...] = ()
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def team_ids(self) -> tuple[int, ...]:
        return tuple(t.pk for t in self.teams)

    @property
    def start_at(self) -> dt.datetime:
        return _midnight(self.start)

    @property
    def end_before(self) -> dt.datetime:
        return _midnight(self.end + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def params(self) -> list[tuple[str, str]]:
        """The filters as the dashboard's own query string (for links and exports)."""
        pairs = [("range", self.preset)]
        if self.preset == "custom":
            pairs += [("from", self.start.isoformat()), ("to", self.end.isoformat())]
        pairs += [("team", t.slug) for t in self.teams]
        pairs += [("request_type", name) for name in self.request_types]
        pairs += [("priority", p) for p in self.priorities]
        return pairs

    def case_params(self, *, dated: str | None = "created") -> list[tuple[str, str]]:
        """The same filters in the list view's language; `dated` names the date the range
        applies to there (created, closed, updated) or None for none (e.g. the backlog)."""
        pairs = []
        if dated:
            pairs += [(f"{dated}_from", self.start.isoformat())]
            pairs += [(f"{dated}_to", self.end.isoformat())]
        pairs += [("team", t.slug) for t in self.teams]
        pairs += [("request_type", name) for name in self.request_types]
        pairs += [("priority", p) for p in self.priorities]
        return pairs

    def cases_url(self, *extra: tuple[str, str], dated: str | None = "created") -> str:
        """The Cases tab listing exactly the cases a number counts."""
        return f"{reverse('cases:mine')}?{urlencode([*self.case_params(dated=dated), *extra])}"


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if preset == "this_week":
        return today - dt.timedelta(days=today.weekday()), today
    if preset == "this_quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return dt.date(today.year, first_month, 1), today
    return today - dt.timedelta(days=29), today


def parse_report_filters(data: Any, *, today: dt.date | None = None) -> ReportFilters:
    """Filters from a QueryDict (or a dict of lists); errors named by parameter."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    preset = _first(data, "range") or DEFAULT_PRESET
    if preset not in PRESETS:
        errors["range"] = [f"“{preset}” is not a range; choose from {', '.join(PRESETS)}."]
        preset = DEFAULT_PRESET
    start, end = preset_range(preset, today)
    if preset == "custom":
        start, end = _custom(data, errors, default=(start, end))
    teams = _many(data, "team")
    found = {t.slug: t for t in Team.objects.filter(slug__in=teams)} if teams else {}
    for slug in teams:
        if slug not in found:
            errors.setdefault("team", []).append(f"There is no team “{slug}”.")
    names = _many(data, "request_type")
    ids = []
    if names:
        rows = RequestType.objects.filter(name__in=names).values_list("name", "pk")
        known = {name for name, _ in rows}
        ids = [pk for _, pk in rows]
        for name in names:
            if name not in known:
                errors.setdefault("request_type", []).append(f"There is no request type “{name}”.")
    priorities = _many(data, "priority")
    for value in priorities:
        if value not in Priority.values:
            errors.setdefault("priority", []).append(
                f"“{value}” is not a priority; choose from {', '.join(Priority.values)}."
            )
    return ReportFilters(
        preset=preset,
        start=start,
        end=end,
        teams=tuple(found[s] for s in teams if s in found),
        request_types=tuple(n for n in names if n not in errors.get("request_type", ())),
        request_type_ids=tuple(ids),
        priorities=tuple(p for p in priorities if p in Priority.values),
        errors=errors,
    )


def _custom(
    data: Any, errors: dict[str, list[str]], *, default: tuple[dt.date, dt.date]
) -> tuple[dt.date, dt.date]:
    days = []
    for name in ("from", "to"):
        raw = _first(data, name)
        try:
            days.append(dt.date.fromisoformat(raw) if raw else None)
        except ValueError:
            errors[name] = [f"“{raw}” is not a date; write it as YYYY-MM-DD."]
            days.append(None)
    start, end = days
    if start is None or end is None:
        for name, day in zip(("from", "to"), days, strict=True):
            if day is None and name not in errors:
                errors[name] = ["Give both ends of a custom range."]
        return default
    if end < start:
        errors["to"] = ["The end date is before the start date."]
        return default
    if (end - start).days >= MAX_DAYS:
        errors["from"] = [f"Choose a range of at most {MAX_DAYS} days."]
        return default
    return start, end


def _first(data: Any, name: str) -> str:
    values = _many(data, name)
    return values[0] if values else ""


def _many(data: Any, name: str) -> list[str]:
    raw = data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])
    if isinstance(raw, str):
        raw = [raw]
    values = [v.strip() for item in raw for v in str(item).split(",")]
    return list(dict.fromkeys(v for v in values if v))


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))
