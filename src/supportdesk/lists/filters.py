"""The filter language of case lists: query parameters → validated filters → a queryset.

Every filter is a query parameter, the same on the Cases tab, in saved views and in the API,
so any list is bookmarkable and shareable:

    owner=me|queue|any|<username>     created_by=me|<username>     requester=me|<username>
    status=<status>|open (several)    team=<slug>|mine (several)   priority=<priority> (several)
    sla=on_track|at_risk|breached (several)
    resolution=<resolution> (several)     requested_priority=<priority> (several: as raised)
    info_requested=yes|no  (the team asked the requester for information at least once)
    request_type=<name> (several)     sub_request=<name> (several) kind=<record kind> (several)
    record=<external id>              account=<external id of an account>
    created=last_7_days|this_quarter|…   created_from=YYYY-MM-DD   created_to=YYYY-MM-DD
    (likewise updated…, closed…)      attachments=yes|no   watching=me   viewed=me   text=<words>
    q=<words>  the search box: ranked full-text search (supportdesk.search), best match first

Several values: repeat the parameter or separate them with commas. `parse_filters` never
raises for bad input: it returns the errors by parameter, with the valid choices named.
`created_by` is the requester: `submit_case` makes whoever submits the requester, so the two
are the same person today; the parameter is kept apart so that a future "on behalf of"
submission only changes its mapping here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import BooleanField, Exists, Expression, F, OuterRef, Q, QuerySet
from django.utils import timezone

from supportdesk.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseWatcher,
    Priority,
    Resolution,
    SlaStage,
    Status,
)
from supportdesk.cases.queries import visible_attachments
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.lists.models import RecentView
from supportdesk.people.models import Team
from supportdesk.people.queries import team_ids_of
from supportdesk.records.models import Kind, Record
from supportdesk.search.queries import search_cases

ME, QUEUE, ANY, OPEN, MINE = "me", "queue", "any", "open", "mine"
SLA_STAGES = {
    "on_track": SlaStage.ON_TRACK,
    "at_risk": SlaStage.AT_RISK,
    "breached": SlaStage.BREACHED,
}
PERSON = "person"  # CaseFilters.owner when an owner is named (then owner_id)
DATE_FIELDS = {"created": "created_at", "updated": "updated_at", "closed": "closed_at"}
PEOPLE = ("owner", "created_by", "requester")
MULTI = (
    "status",
    "team",
    "request_type",
    "sub_request",
    "priority",
    "requested_priority",
    "kind",
    "sla",
    "resolution",
)
SINGLE = (
    *PEOPLE,
    "record",
    "account",
    *(f"{name}{suffix}" for name in DATE_FIELDS for suffix in ("", "_from", "_to")),
    "attachments",
    "info_requested",
    "watching",
    "viewed",
    "text",
    "q",
)
FILTER_NAMES = frozenset((*MULTI, *SINGLE))
TEXT_MAX = 200
YES, NO = ("yes", "true", "1", "on"), ("no", "false", "0", "off")

RELATIVE_RANGES = {
    "today": "Today",
    "yesterday": "Yesterday",
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "this_week": "This week",
    "last_week": "Last week",
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "this_year": "This year",
    "last_year": "Last year",
}
LAST_N_DAYS = re.compile(r"last_(\d{1,4})_days")

Params = dict[str, Any]  # canonical: {name: str} or {name: [str, …]} for the MULTI ones


@dataclass(frozen=True)
class DateRange:
    start: dt.datetime  # inclusive
    end: dt.datetime  # exclusive


@dataclass(frozen=True)
class CaseFilters:
    """Validated filters, resolved for one viewer ("me", "mine" → their ids)."""

    owner: str = ANY  # ANY, QUEUE or PERSON (then owner_id)
    owner_id: int | None = None
    requester_ids: tuple[int, ...] = ()  # requester and created_by: every one must match
    statuses: tuple[str, ...] = ()
    team_ids: tuple[int, ...] | None = None  # None: any team
    request_type_ids: tuple[int, ...] | None = None
    sub_request_ids: tuple[int, ...] | None = None
    priorities: tuple[str, ...] = ()
    requested_priorities: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    sla_stages: tuple[int, ...] = ()
    record: str = ""
    account: str = ""
    dates: tuple[tuple[str, DateRange], ...] = ()  # (model field, range)
    attachments: bool | None = None
    info_requested: bool | None = None
    watching: bool = False
    viewed: bool = False
    text: str = ""  # "text contains": a substring of the subject or description
    q: str = ""  # the search box: ranked full-text search


@dataclass(frozen=True)
class ParsedFilters:
    params: Params  # what a saved view stores and links carry ("me" stays "me")
    filters: CaseFilters
    errors: dict[str, list[str]] = field(default_factory=dict)


def raw_params(data: Any, *, names: Iterable[str] = FILTER_NAMES) -> dict[str, list[str]]:
    """{name: [values]} for the filter parameters in a QueryDict or a stored/JSON dict.

    Commas separate several values of the multi-valued parameters; empty values are dropped.
    """
    raw: dict[str, list[str]] = {}
    for name in names:
        if name not in data:
            continue
        values = data.getlist(name) if hasattr(data, "getlist") else data[name]
        if not isinstance(values, list | tuple):
            values = [values]
        items = [str(v).strip() for v in values if v is not None and not isinstance(v, dict)]
        if name in MULTI:
            items = [part.strip() for item in items for part in item.split(",")]
        if items := [i for i in items if i]:
            raw[name] = items
    return raw


def unknown_filter_names(data: Mapping[str, Any]) -> list[str]:
    return sorted(set(data) - FILTER_NAMES)


# ---- parsing ---------------------------------------------------------------------------------


def _choices(values: Iterable[str]) -> str:
    return ", ".join(values)


class _Parser:
    """Validates the raw parameters of one list, collecting every error by parameter."""

    def __init__(self, raw: dict[str, list[str]], user: AbstractBaseUser) -> None:
        self.raw, self.user = raw, user
        self.params: Params = {}
        self.found: dict[str, Any] = {}
        self.errors: dict[str, list[str]] = {}

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def single(self, name: str) -> str | None:
        values = self.raw.get(name)
        if not values:
            return None
        if len(values) > 1:
            self.error(name, "Give one value.")
            return None
        return values[0]

    def many(self, name: str, valid: Callable[[str], bool], what: str, choices: str) -> list[str]:
        values = list(dict.fromkeys(self.raw.get(name, [])))
        wrong = [v for v in values if not valid(v)]
        for value in wrong:
            self.error(name, f"“{value}” is not {what}; choose from {choices}.")
        if values and not wrong:
            self.params[name] = values
        return [] if wrong else values

    # -- the filters --

    def people(self) -> None:
        given = {name: self.single(name) for name in PEOPLE}
        usernames = {v for k, v in given.items() if v and v.lower() not in (ME, QUEUE, ANY)}
        users = dict(
            get_user_model()
            .objects.filter(username__in=usernames)
            .values_list("username", "pk")
            .order_by()
        )
        for name, value in given.items():
            if value is None:
                continue
            lowered = value.lower()
            if name == "owner" and lowered in (QUEUE, ANY):
                self.found["owner"] = lowered
                if lowered == QUEUE:
                    self.params[name] = QUEUE
            elif lowered == ME:
                self.found[name] = self.user.pk
                self.params[name] = ME
            elif value in users:
                self.found[name] = users[value]
                self.params[name] = value
            else:
                self.error(name, f"There is no user “{value}”; give a username or “me”.")

    def statuses(self) -> None:
        valid = (*Status.values, OPEN)
        chosen = self.many("status", lambda v: v in valid, "a status", _choices(valid))
        statuses = [s for v in chosen for s in (OPEN_STATUSES if v == OPEN else (v,))]
        self.found["statuses"] = tuple(dict.fromkeys(statuses))

    def teams(self) -> None:
        values = list(dict.fromkeys(self.raw.get("team", [])))
        if not values:
            return
        named = [v for v in values if v != MINE]
        teams = Team.objects.filter(slug__in=named).values_list("slug", "pk").order_by()
        slugs = dict(teams) if named else {}
        wrong = [v for v in values if v != MINE and v not in slugs]
        for value in wrong:
            self.error("team", f"There is no team “{value}”; give a team's slug or “mine”.")
        if wrong:
            return
        ids = [pk for v in values for pk in (team_ids_of(self.user) if v == MINE else [slugs[v]])]
        self.params["team"] = values
        self.found["team_ids"] = tuple(dict.fromkeys(ids))

    def catalog(self, name: str, model: type[RequestType | SubRequest], what: str) -> None:
        values = list(dict.fromkeys(self.raw.get(name, [])))
        if not values:
            return
        rows = model.objects.filter(name__in=values).values_list("name", "pk").order_by()
        ids: dict[str, list[int]] = {}
        for row_name, pk in rows:
            ids.setdefault(row_name, []).append(pk)
        wrong = [v for v in values if v not in ids]
        for value in wrong:
            self.error(name, f"There is no {what} called “{value}”.")
        if not wrong:
            self.params[name] = values
            self.found[f"{name}_ids"] = tuple(pk for v in values for pk in ids[v])

    def choices(self) -> None:
        self.found["priorities"] = tuple(
            self.many(
                "priority", lambda v: v in Priority.values, "a priority", _choices(Priority.values)
            )
        )
        self.found["requested_priorities"] = tuple(
            self.many(
                "requested_priority",
                lambda v: v in Priority.values,
                "a priority",
                _choices(Priority.values),
            )
        )
        self.found["resolutions"] = tuple(
            self.many(
                "resolution",
                lambda v: v in Resolution.values,
                "a resolution",
                _choices(Resolution.values),
            )
        )
        self.found["kinds"] = tuple(
            self.many("kind", lambda v: v in Kind.values, "a record kind", _choices(Kind.values))
        )
        stages = self.many("sla", lambda v: v in SLA_STAGES, "an SLA state", _choices(SLA_STAGES))
        self.found["sla_stages"] = tuple(SLA_STAGES[v] for v in stages)

    def records(self) -> None:
        for name in ("record", "account"):
            if value := self.single(name):
                self.params[name] = self.found[name] = value

    def dates(self) -> None:
        self.found["dates"] = tuple(
            (model_field, date_range)
            for name, model_field in DATE_FIELDS.items()
            for date_range in self._date_ranges(name)
        )

    def _date_ranges(self, name: str) -> list[DateRange]:
        ranges = []
        if (relative := self.single(name)) is not None:
            if (span := relative_range(relative, timezone.localdate())) is None:
                self.error(
                    name,
                    f"“{relative}” is not a date range; choose from "
                    f"{_choices(RELATIVE_RANGES)} or last_N_days.",
                )
            else:
                self.params[name] = relative
                ranges.append(_aware_range(*span))
        start, end = self._date(f"{name}_from"), self._date(f"{name}_to")
        if start and end and start > end:
            self.error(f"{name}_to", "The end date is before the start date.")
        elif start or end:
            ranges.append(
                _aware_range(start or dt.date.min, (end or dt.date.max - dt.timedelta(1)) + ONE_DAY)
            )
        return ranges

    def _date(self, name: str) -> dt.date | None:
        if (value := self.single(name)) is None:
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.error(name, f"“{value}” is not a date; write it as YYYY-MM-DD.")
            return None
        self.params[name] = day.isoformat()
        return day

    def flags(self) -> None:
        for name in ("attachments", "info_requested"):
            if (value := self.single(name)) is None:
                continue
            if value.lower() in (*YES, *NO):
                self.found[name] = value.lower() in YES
                self.params[name] = "yes" if self.found[name] else "no"
            else:
                self.error(name, "Give “yes” or “no”.")
        for name in ("watching", "viewed"):
            if (value := self.single(name)) is None:
                continue
            if value.lower() in (ME, *YES):
                self.found[name] = True
                self.params[name] = ME
            elif value.lower() not in NO:
                self.error(name, "Give “me” (or leave it out).")
        for name in ("text", "q"):
            if (text := self.single(name)) is None:
                continue
            if len(text) > TEXT_MAX:
                self.error(name, f"Give at most {TEXT_MAX} characters.")
            else:
                self.params[name] = self.found[name] = text

    def result(self) -> ParsedFilters:
        found = self.found
        owner, owner_id = found.get("owner", ANY), None
        if isinstance(owner, int):
            owner, owner_id = PERSON, owner
        requesters = tuple(found[k] for k in ("created_by", "requester") if k in found)
        filters = CaseFilters(
            owner=owner,
            owner_id=owner_id,
            requester_ids=requesters,
            statuses=found.get("statuses", ()),
            team_ids=found.get("team_ids"),
            request_type_ids=found.get("request_type_ids"),
            sub_request_ids=found.get("sub_request_ids"),
            priorities=found.get("priorities", ()),
            requested_priorities=found.get("requested_priorities", ()),
            resolutions=found.get("resolutions", ()),
            kinds=found.get("kinds", ()),
            sla_stages=found.get("sla_stages", ()),
            record=found.get("record", ""),
            account=found.get("account", ""),
            dates=found.get("dates", ()),
            attachments=found.get("attachments"),
            info_requested=found.get("info_requested"),
            watching=found.get("watching", False),
            viewed=found.get("viewed", False),
            text=found.get("text", ""),
            q=found.get("q", ""),
        )
        ordered = {name: self.params[name] for name in (*SINGLE, *MULTI) if name in self.params}
        return ParsedFilters(ordered, filters, self.errors)


def parse_filters(data: Any, *, user: AbstractBaseUser, strict: bool = False) -> ParsedFilters:
    """Validate the filter parameters in `data` (a QueryDict or a dict) for this viewer.

    `strict` also refuses names that are not filters (for a view's stored filters).
    """
    parser = _Parser(raw_params(data), user)
    if strict:
        for name in unknown_filter_names(data):
            parser.error(name, f"“{name}” is not a filter.")
    parser.people()
    parser.statuses()
    parser.teams()
    parser.catalog("request_type", RequestType, "request type")
    parser.catalog("sub_request", SubRequest, "sub-request")
    parser.choices()
    parser.records()
    parser.dates()
    parser.flags()
    return parser.result()


# ---- dates -----------------------------------------------------------------------------------

ONE_DAY = dt.timedelta(days=1)


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _months_later(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def relative_range(name: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """[start, end) in days for a relative range name, or None when it is not one."""
    if match := LAST_N_DAYS.fullmatch(name):
        days = int(match.group(1))
        return (today - dt.timedelta(days - 1), today + ONE_DAY) if 1 <= days <= 3660 else None
    week = today - dt.timedelta(today.weekday())
    month = today.replace(day=1)
    quarter = _quarter_start(today)
    year = today.replace(month=1, day=1)
    spans = {
        "today": (today, today + ONE_DAY),
        "yesterday": (today - ONE_DAY, today),
        "this_week": (week, week + 7 * ONE_DAY),
        "last_week": (week - 7 * ONE_DAY, week),
        "this_month": (month, _months_later(month, 1)),
        "last_month": (_months_later(month, -1), month),
        "this_quarter": (quarter, _months_later(quarter, 3)),
        "last_quarter": (_months_later(quarter, -3), quarter),
        "this_year": (year, year.replace(year=year.year + 1)),
        "last_year": (year.replace(year=year.year - 1), year),
    }
    return spans.get(name)


def _aware_range(start: dt.date, end: dt.date) -> DateRange:
    """Midnight to midnight in the current time zone (clamped to what datetimes can hold)."""
    start = max(start, dt.date(1900, 1, 1))
    end = min(end, dt.date(9999, 1, 1))
    return DateRange(
        timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
        timezone.make_aware(dt.datetime.combine(end, dt.time.min)),
    )


# ---- applying them ---------------------------------------------------------------------------


class OpenCase(Expression):
    """`status IN ('new', …)`, the open statuses written out as the partial indexes on open
    cases say it (cases.models). SQLite uses a partial index only when the query states its
    condition in the same words, never through parameters; PostgreSQL needs no help.
    The statuses are the model's constants, never user input."""

    conditional = True

    def __init__(self) -> None:
        super().__init__(output_field=BooleanField())
        self.status = F("status")

    def get_source_expressions(self) -> list[Any]:
        return [self.status]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.status,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.status)
        statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
        return f"{column} IN ({statuses})", params

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        # Not needed there (it sees the status filter's values), and said twice it would
        # square the planner's estimate of how many cases are open.
        return "TRUE", []


def _record_id(external_id: str) -> int | None:
    return Record.objects.filter(external_id=external_id).values_list("pk", flat=True).first()


def filter_cases(
    cases: QuerySet[Case], filters: CaseFilters, *, user: AbstractBaseUser
) -> QuerySet[Case]:
    """`cases` narrowed by `filters`: start from `cases_visible_to(user)`, never widen it.

    Every condition is on an indexed column of the case or an EXISTS on an indexed table,
    so the result is cheap to order and page by keyset.
    """
    f = filters
    if f.owner == QUEUE:
        cases = cases.filter(owner__isnull=True)
    elif f.owner_id is not None:
        cases = cases.filter(owner_id=f.owner_id)
    for requester_id in f.requester_ids:
        cases = cases.filter(requester_id=requester_id)
    lookups = {
        "status__in": f.statuses,
        "priority__in": f.priorities,
        "requested_priority__in": f.requested_priorities,
        "resolution__in": f.resolutions,
        "record__kind__in": f.kinds,
        "sla_stage__in": f.sla_stages,
        "team_id__in": f.team_ids,
        "request_type_id__in": f.request_type_ids,
        "sub_request_id__in": f.sub_request_ids,
    }
    for lookup, values in lookups.items():
        if values or (values is not None and lookup.endswith("_id__in")):
            cases = cases.filter(**{lookup: values})
    if f.statuses and set(f.statuses) <= set(OPEN_STATUSES):
        cases = cases.filter(OpenCase())  # redundant, for the open cases' partial indexes
    if f.record:
        record_id = _record_id(f.record)  # unknown: nothing matches (and nothing is revealed)
        cases = cases.filter(record_id=record_id) if record_id else cases.none()
    if f.account:
        account_id = _record_id(f.account)
        account = Q(record_id=account_id) | Q(record__account_id=account_id)
        cases = cases.filter(account) if account_id else cases.none()
    if f.info_requested is not None:
        cases = (
            cases.filter(info_requests__gt=0) if f.info_requested else cases.filter(info_requests=0)
        )
    for model_field, span in f.dates:
        cases = cases.filter(**{f"{model_field}__gte": span.start, f"{model_field}__lt": span.end})
    if f.attachments is not None:
        files = Exists(visible_attachments(user).filter(case=OuterRef("pk")))
        cases = cases.filter(files if f.attachments else ~files)
    # The user's own few rows lead: a set of ids, not a subquery per case.
    if f.watching:
        cases = cases.filter(pk__in=CaseWatcher.objects.filter(user=user).values("case_id"))
    if f.viewed:
        cases = cases.filter(pk__in=RecentView.objects.filter(user=user).values("case_id"))
    if f.text:
        cases = cases.filter(_text_condition(f.text))
    if f.q:
        cases = search_cases(cases, f.q, user=user)  # annotates `search_rank`
    return cases


def _text_condition(text: str) -> Q:
    condition = Q(subject__icontains=text) | Q(description__icontains=text)
    if text.isascii() and text.isdigit() and len(text) <= 18:
        condition |= Q(pk=int(text))
    return condition
