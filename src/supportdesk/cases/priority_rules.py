"""The priority the wizard suggests from a record's facts, with the reason shown to the requester.

Pure functions over a record's `kind` and `attributes` (no queries). The attribute names are
the CRM sync's conventions:

- opportunities: `close_date` (ISO date), `stage` (a stage starting with "Closed" ends the
  deal: no suggestion), and optionally `renewal_date`;
- customer and partner accounts: `renewal_date` (ISO date).

The rules, in the order they are tried (all suggest High; the highest suggestion wins, the
first rule among equals):

- `close_soon`: the opportunity closes today or within `close_business_days` business days;
- `quarter_end`: it closes in the last `quarter_end_days` days of the current fiscal quarter
  (fiscal years start in `fiscal_year_start_month`);
- `renewal_soon`: the renewal date is today or within `renewal_days` days.

Dates in the past, missing or unreadable dates suggest nothing. Which rules run and their
thresholds come from settings (`config_from_settings`), read when called.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from supportdesk.cases.models import Priority
from supportdesk.records.models import ACCOUNT_KINDS, Kind
from supportdesk.sla.business_time import BusinessCalendar

RANK = {value: rank for rank, value in enumerate(Priority.values)}
RENEWAL_KINDS = (Kind.OPPORTUNITY, *ACCOUNT_KINDS)


class HasAttributes(Protocol):
    kind: str
    attributes: Any


@dataclass(frozen=True)
class Suggestion:
    priority: str  # a Priority value
    reason: str
    rule: str

    @property
    def label(self) -> str:
        return Priority(self.priority).label


@dataclass(frozen=True)
class RuleConfig:
    rules: tuple[str, ...] = ("close_soon", "quarter_end", "renewal_soon")
    close_business_days: int = 5
    quarter_end_days: int = 7
    renewal_days: int = 14
    fiscal_year_start_month: int = 1
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)

    def __post_init__(self) -> None:
        if unknown := [r for r in self.rules if r not in RULES]:
            known = ", ".join(RULES)
            raise ValueError(f"Unknown priority rules {unknown}; known rules: {known}.")
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise ValueError("The fiscal year's first month must be 1 (January) to 12.")
        limits = (self.close_business_days, self.quarter_end_days, self.renewal_days)
        if any(limit < 0 for limit in limits):
            raise ValueError("Priority rule thresholds cannot be negative.")


def config_from_settings() -> RuleConfig:
    """The rules and thresholds of settings.PRIORITY_* and FISCAL_YEAR_START_MONTH, on the
    site's business calendar (so holidays and working days are the SLA's own)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from supportdesk.sla.defaults import default_calendar

    try:
        return RuleConfig(
            rules=tuple(settings.PRIORITY_RULES),
            close_business_days=settings.PRIORITY_CLOSE_BUSINESS_DAYS,
            quarter_end_days=settings.PRIORITY_QUARTER_END_DAYS,
            renewal_days=settings.PRIORITY_RENEWAL_DAYS,
            fiscal_year_start_month=settings.FISCAL_YEAR_START_MONTH,
            calendar=default_calendar(),
        )
    except ValueError as err:
        raise ImproperlyConfigured(str(err)) from None


def suggest_priority(
    record: HasAttributes | None, *, today: dt.date, config: RuleConfig | None = None
) -> Suggestion | None:
    """The priority the record's facts call for, or None when no rule applies."""
    if record is None:
        return None
    return suggest_for(record.kind, record.attributes, today=today, config=config)


def suggest_for(
    kind: str, attributes: Any, *, today: dt.date, config: RuleConfig | None = None
) -> Suggestion | None:
    config = config or config_from_settings()
    if not isinstance(attributes, Mapping):
        return None
    if kind == Kind.OPPORTUNITY and _closed(attributes.get("stage")):
        return None
    best: Suggestion | None = None
    for name in config.rules:
        found = RULES[name](kind, attributes, today, config)
        if found and (best is None or RANK[found.priority] > RANK[best.priority]):
            best = found
    return best


# ---- the rules -----------------------------------------------------------------------------

Rule = Callable[[str, Mapping[str, Any], dt.date, RuleConfig], Suggestion | None]


def close_soon(
    kind: str, attributes: Mapping[str, Any], today: dt.date, config: RuleConfig
) -> Suggestion | None:
    close = parse_date(attributes.get("close_date")) if kind == Kind.OPPORTUNITY else None
    if close is None or close < today:
        return None
    limit = config.close_business_days
    if business_days_between(config.calendar, today, close, stop_after=limit) > limit:
        return None
    reason = (
        f"Opportunity closes on {format_day(close, today)} (within {_n(limit, 'business day')})"
    )
    return Suggestion(Priority.HIGH, reason, "close_soon")


def quarter_end(
    kind: str, attributes: Mapping[str, Any], today: dt.date, config: RuleConfig
) -> Suggestion | None:
    close = parse_date(attributes.get("close_date")) if kind == Kind.OPPORTUNITY else None
    if close is None or close < today or config.quarter_end_days == 0:
        return None
    number, _, last = fiscal_quarter(today, config.fiscal_year_start_month)
    if not last - dt.timedelta(days=config.quarter_end_days - 1) <= close <= last:
        return None
    days = config.quarter_end_days
    window = "week" if days == 7 else _n(days, "day")
    reason = (
        f"Opportunity closes on {format_day(close, today)}, in the last {window} of fiscal "
        f"Q{number} (ends {format_day(last, today)})"
    )
    return Suggestion(Priority.HIGH, reason, "quarter_end")


def renewal_soon(
    kind: str, attributes: Mapping[str, Any], today: dt.date, config: RuleConfig
) -> Suggestion | None:
    renewal = parse_date(attributes.get("renewal_date")) if kind in RENEWAL_KINDS else None
    if renewal is None or not today <= renewal <= today + dt.timedelta(days=config.renewal_days):
        return None
    reason = f"Renewal on {format_day(renewal, today)} (within {_n(config.renewal_days, 'day')})"
    return Suggestion(Priority.HIGH, reason, "renewal_soon")


RULES: dict[str, Rule] = {
    "close_soon": close_soon,
    "quarter_end": quarter_end,
    "renewal_soon": renewal_soon,
}


# ---- dates ---------------------------------------------------------------------------------


def parse_date(value: Any) -> dt.date | None:
    """An ISO date (or the date of an ISO datetime); None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None


def business_days_between(
    calendar: BusinessCalendar, start: dt.date, end: dt.date, *, stop_after: int | None = None
) -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not later).
    Counting stops once it passes `stop_after`, so a far date costs little."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() in calendar.weekdays and day not in calendar.holidays:
            count += 1
            if stop_after is not None and count > stop_after:
                break
    return count


def fiscal_quarter(day: dt.date, start_month: int) -> tuple[int, dt.date, dt.date]:
    """The fiscal quarter holding `day`: its number (1–4), first and last dates."""
    offset = (day.month - start_month) % 12
    number = offset // 3 + 1
    first_index = day.year * 12 + day.month - 1 - offset % 3  # months since year 0
    first = dt.date(first_index // 12, first_index % 12 + 1, 1)
    after_index = first_index + 3
    last = dt.date(after_index // 12, after_index % 12 + 1, 1) - dt.timedelta(days=1)
    return number, first, last


def format_day(day: dt.date, today: dt.date) -> str:
    """ "12 Dec", with the year when it is not this year's."""
    text = f"{day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def _closed(stage: Any) -> bool:
    return isinstance(stage, str) and stage.strip().lower().startswith("closed")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
