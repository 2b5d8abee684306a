"""The dashboards' numbers, kept exact in the transactions that change cases.

Every case **contributes** to at most three rollup rows (`reports.models.DailyRollup`), keyed
by a day in the site's time zone (settings.TIME_ZONE), a team, request type, sub-request (0 for
none) and its *current* priority:

- its **created** day, under the key it was **first raised** with (its team, request type and
  sub-request before its first move; see `OriginResolver`): `raised` 1, and `moved_out` 1 when
  its team is not that team any more;
- its **created** day, under its *current* team, request type and sub-request: `opened` 1;
  `info_needed` 1 when the team asked its requester for information at least once
  (`info_requests` > 0); `urgent_requested` 1 when the requester chose Urgent; `downgraded` 1
  when they chose Urgent and the priority is now lower; `moved` 1 when it was ever moved (it
  arrived by a `case.team_moved` event); once it has a first response, `responded` 1,
  `frt_seconds` its first-response time and 1 in that time's `frt_*` bucket;
- its **closed** day, under its current key, while it is closed: `closed` 1; `res_seconds` its
  resolution time and 1 in its `res_*` bucket; `sla_breached` 1 when its SLA stage is Breached
  (a target was missed: sla.clock decides, at the close) or else `sla_met` 1 — neither for
  cases without SLA due times; `duplicates` 1 when resolved as a duplicate; `rating_<score>` 1
  when rated.

Times are **business time** on the case's team's calendar (sla.engine.team_sla): first
response = created → first response; resolution = created → closed, pauses (Pending Response,
On Hold) included — the time the requester waited, not the SLA clock. Whole seconds, rounded down.

The rollups hold the sum of all cases' contributions; `MonthlyRollup` holds the same per
calendar month (its `day` is the month's first day), written in the same transactions, so that
`totals` over a long range reads a row a month for the whole months in it.

`apply(case_id)`, called at the end of every write to a case (cases.actions._save,
cases.services._create_case), computes the case's facts now, retracts the contribution of the
facts it stored last (`CaseRollupState`) and adds the new one, in the caller's transaction: the
rollups are never stale. `rebuild()` recomputes everything from the cases; `verify()` lists
where the rollups differ from that recomputation. Both are `supportdesk reports rebuild|verify`.

What a recomputation sees that `apply` does not: a team's business hours changed after its
cases were applied, the site's time zone changed, or cases written by raw SQL (bench/dataset.py)
or deleted. `verify` reports those and `rebuild` fixes them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum

from supportdesk.cases.models import Case, CaseEvent, Priority, Resolution, SlaStage, Status
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.people.models import Team
from supportdesk.reports.models import (
    BUCKETS,
    COUNTS,
    FRT_BUCKETS,
    MEASURES,
    RES_BUCKETS,
    CaseRollupState,
    DailyRollup,
    MonthlyRollup,
    Rollup,
)
from supportdesk.sla.business_time import BusinessCalendar

ZERO = dt.timedelta(0)
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)
# Lower bounds, in business seconds, of buckets 1…49: one minute × 2**(i/3) up to 2**16 minutes.
BUCKET_BOUNDS = tuple(round(60 * 2 ** (i / 3)) for i in range(BUCKETS - 1))
# percentile() answers within this relative error for values from one minute to 2**16 minutes
# (the half-width of a bucket, geometrically; integer-second bounds add a hair).
PERCENTILE_MAX_ERROR = max(
    math.sqrt(high / low) - 1 for low, high in zip(BUCKET_BOUNDS, BUCKET_BOUNDS[1:], strict=False)
)

INFO_NEEDED, URGENT_REQUESTED, DOWNGRADED, MOVED, SLA_MET, SLA_BREACHED, DUPLICATE = (
    1 << bit for bit in range(7)
)
FLAG_MEASURES = (
    (INFO_NEEDED, "info_needed"),
    (URGENT_REQUESTED, "urgent_requested"),
    (DOWNGRADED, "downgraded"),
    (MOVED, "moved"),
)
CLOSED_FLAG_MEASURES = (
    (SLA_MET, "sla_met"),
    (SLA_BREACHED, "sla_breached"),
    (DUPLICATE, "duplicates"),
)
CASE_FIELDS = (
    "pk",
    "team_id",
    "request_type_id",
    "sub_request_id",
    "priority",
    "requested_priority",
    "status",
    "created_at",
    "first_response_at",
    "closed_at",
    "resolution",
    "info_requests",
    "first_response_due",
    "sla_stage",
    "rating__score",
)
KEY_FIELDS = ("day", "team_id", "request_type_id", "sub_request_id", "priority")
# Case fields a case's facts read: a save that writes none of them leaves its rollups alone
# (cases.actions._save). A rating is applied by cases.actions.rate_case itself.
FACT_FIELDS = frozenset(
    {
        "status",
        "closed_at",
        "priority",
        "team",
        "request_type",
        "sub_request",
        "info_requests",
        "first_response_at",
        "resolution",
        "requested_priority",
    }
)
GROUPS = {
    "day": "day",
    "month": "day",  # a month's first day
    "team": "team_id",
    "request_type": "request_type_id",
    "sub_request": "sub_request_id",
    "priority": "priority",
}

Key = tuple[dt.date, int, int, int, str]  # day, team, request type, sub-request (ids), priority
Origin = tuple[int, int, int]  # team, request type, sub-request (0: none) first raised with
Contribution = dict[Key, Counter]
Between = Callable[[dt.datetime, dt.datetime], dt.timedelta]


@dataclass(frozen=True)
class Facts:
    """What a case's contribution depends on (stored per case as `CaseRollupState`)."""

    team_pk: int
    request_type_pk: int
    sub_request_pk: int
    priority: str
    created_day: dt.date
    closed_day: dt.date | None
    flags: int
    frt_seconds: int | None
    res_seconds: int | None
    rating: int | None
    origin_team_pk: int | None = None  # the origin, when the case was moved since
    origin_request_type_pk: int | None = None
    origin_sub_request_pk: int | None = None


@dataclass(frozen=True)
class Difference:
    key: Key
    measure: str
    expected: int
    stored: int
    grain: str = "day"  # or "month": a MonthlyRollup row

    def __str__(self) -> str:
        day, team, request_type, sub_request, priority = self.key
        when = f"{day:%Y-%m}" if self.grain == "month" else f"{day}"
        return (
            f"{when} team {team} request type {request_type} sub-request {sub_request} "
            f"{priority}: {self.measure} is {self.stored}, recomputed {self.expected}"
        )


# ---- the definitions ----------------------------------------------------------------------


def bucket_of(seconds: int) -> int:
    """The histogram bucket of a business time: 0 under a minute, then a third of an octave."""
    return bisect.bisect_right(BUCKET_BOUNDS, seconds)


def facts_of(
    row: dict[str, Any],
    *,
    moved: bool,
    between: Between,
    zone: ZoneInfo,
    origin: Origin | None = None,
) -> Facts:
    """A case's facts from its row (CASE_FIELDS), whether it was ever moved, and the key it
    was first raised with when that is known and not its current one (`OriginResolver`)."""
    created = row["created_at"]
    closed = row["closed_at"] if row["status"] == Status.CLOSED else None
    flags = (INFO_NEEDED if row["info_requests"] > 0 else 0) | (MOVED if moved else 0)
    if row["requested_priority"] == Priority.URGENT:
        flags |= URGENT_REQUESTED | (DOWNGRADED if row["priority"] != Priority.URGENT else 0)
    if closed is not None:
        if row["sla_stage"] == SlaStage.BREACHED:
            flags |= SLA_BREACHED
        elif row["first_response_due"] is not None:
            flags |= SLA_MET
        if row["resolution"] == Resolution.DUPLICATE:
            flags |= DUPLICATE
    responded = row["first_response_at"]
    current = (row["team_id"], row["request_type_id"], row["sub_request_id"] or 0)
    origin = origin if moved and origin != current else None
    return Facts(
        team_pk=row["team_id"],
        request_type_pk=row["request_type_id"],
        sub_request_pk=row["sub_request_id"] or 0,
        priority=row["priority"],
        created_day=created.astimezone(zone).date(),
        closed_day=closed.astimezone(zone).date() if closed else None,
        flags=flags,
        frt_seconds=between(created, responded) // SECOND if responded else None,
        res_seconds=between(created, closed) // SECOND if closed else None,
        rating=row["rating__score"] if closed else None,
        origin_team_pk=origin[0] if origin else None,
        origin_request_type_pk=origin[1] if origin else None,
        origin_sub_request_pk=origin[2] if origin else None,
    )


class OriginResolver:
    """The key a moved case was first raised with, from its first `case.team_moved` event's
    "from": ids since they are recorded there, else the names (events written before that),
    resolved once each; None when a name no longer resolves."""

    def __init__(self) -> None:
        self.cache: dict[tuple, Origin | None] = {}

    def __call__(self, data: dict[str, Any] | None) -> Origin | None:
        before = (data or {}).get("from") or {}
        if before.get("team_id") and before.get("request_type_id"):
            return (before["team_id"], before["request_type_id"], before["sub_request_id"] or 0)
        names = (before.get("team"), before.get("request_type"), before.get("sub_request"))
        if names not in self.cache:
            self.cache[names] = _origin_by_names(*names)
        return self.cache[names]


def _origin_by_names(team: str | None, request_type: str | None, sub: str | None) -> Origin | None:
    team_pk = Team.objects.filter(name=team).values_list("pk", flat=True).first()
    type_pk = (
        RequestType.objects.filter(team_id=team_pk, name=request_type)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if team_pk is None or type_pk is None:
        return None
    sub_pk = 0
    if sub:
        found = SubRequest.objects.filter(request_type_id=type_pk, name=sub).order_by("pk")
        sub_pk = found.values_list("pk", flat=True).first() or 0
    return team_pk, type_pk, sub_pk


def contributions(facts: Facts | None) -> Contribution:
    """What one case adds to the rollups: measures by rollup key (see the module's doc)."""
    if facts is None:
        return {}
    opened = Counter(opened=1)
    opened.update(name for flag, name in FLAG_MEASURES if facts.flags & flag)
    if facts.frt_seconds is not None:
        opened.update(
            {"responded": 1, "frt_seconds": facts.frt_seconds},
            **{FRT_BUCKETS[bucket_of(facts.frt_seconds)]: 1},
        )
    who = (facts.team_pk, facts.request_type_pk, facts.sub_request_pk, facts.priority)
    out = {(facts.created_day, *who): opened}
    if facts.origin_team_pk is None:
        opened["raised"] += 1
    else:
        origin = (facts.origin_team_pk, facts.origin_request_type_pk, facts.origin_sub_request_pk)
        raised = Counter(raised=1)
        if facts.origin_team_pk != facts.team_pk:
            raised["moved_out"] = 1
        out[(facts.created_day, *origin, facts.priority)] = raised
    if facts.closed_day is not None:
        closed = Counter(closed=1, res_seconds=facts.res_seconds or 0)
        closed[RES_BUCKETS[bucket_of(facts.res_seconds or 0)]] += 1
        closed.update(name for flag, name in CLOSED_FLAG_MEASURES if facts.flags & flag)
        if facts.rating:
            closed[f"rating_{facts.rating}"] += 1
        out.setdefault((facts.closed_day, *who), Counter()).update(closed)
    return out


def difference(new: Contribution, old: Contribution) -> Contribution:
    """new − old, without zero measures or empty keys."""
    out: Contribution = {}
    for key in new.keys() | old.keys():
        change = Counter(new.get(key, {}))
        change.subtract(old.get(key, {}))
        if change := Counter({m: d for m, d in change.items() if d}):
            out[key] = change
    return out


# ---- keeping them -------------------------------------------------------------------------


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def case_rows(cases: Iterable[int] | None = None) -> Any:
    rows = Case.objects.order_by()
    if cases is not None:
        rows = rows.filter(pk__in=cases)
    return rows.values(*CASE_FIELDS)


@transaction.atomic
def apply(case_id: int, *, new: bool = False) -> None:
    """Bring the rollups up to date with one case: retract what it contributed, add what it
    contributes now. Call it in the transaction that changed the case, after the change (the
    caller holds the case's row lock, so two applies of one case never interleave). `new`:
    the case was just created (it has no state and was never moved: two queries saved)."""
    from supportdesk.sla.engine import team_sla

    row = case_rows([case_id]).first()
    state = None if new else CaseRollupState.objects.filter(case_id=case_id).first()
    old = _facts_of_state(state) if state else None
    new_facts = None
    if row is not None:
        first_move = None
        if not new:
            moves = CaseEvent.objects.filter(case_id=case_id, kind=CaseEvent.TEAM_MOVED)
            first_move = moves.order_by("created_at", "id").values_list("data", flat=True)[:1]
            first_move = next(iter(first_move), None)
        between = team_sla(row["team_id"]).calendar.between
        new_facts = facts_of(
            row,
            moved=first_move is not None,
            origin=OriginResolver()(first_move) if first_move is not None else None,
            between=between,
            zone=site_zone(),
        )
    if new_facts == old:
        return
    _add(difference(contributions(new_facts), contributions(old)))
    if new_facts is None:
        CaseRollupState.objects.filter(case_id=case_id).delete()
    elif state is None:
        CaseRollupState.objects.create(case_id=case_id, **asdict(new_facts))
    else:
        CaseRollupState.objects.filter(case_id=case_id).update(**asdict(new_facts))


def _facts_of_state(state: CaseRollupState) -> Facts:
    return Facts(**{name: getattr(state, name) for name in Facts.__dataclass_fields__})


def _add(delta: Contribution) -> None:
    """Add to the daily rows, then to the monthly ones."""
    _add_to(DailyRollup, delta)
    _add_to(MonthlyRollup, by_month(delta))


def by_month(sums: Contribution) -> Contribution:
    """Day keys' measures added up under their month's first day (zeros left out)."""
    out: Contribution = {}
    for (day, *rest), measures in sums.items():
        out.setdefault((day.replace(day=1), *rest), Counter()).update(measures)
    nonzero = {key: Counter({m: v for m, v in c.items() if v}) for key, c in out.items()}
    return {key: c for key, c in nonzero.items() if c}


def _add_to(model: type[Rollup], delta: Contribution) -> None:
    """Add to the rows, creating missing ones. Keys in one order (daily rows before monthly
    ones), so that concurrent writers lock rows in the same order; a row created meanwhile by
    another transaction turns our insert into an IntegrityError (after that transaction
    commits), and we add to it."""
    for key in sorted(delta):
        changes = delta[key]
        where = dict(zip(KEY_FIELDS, key, strict=True))
        increments = {m: F(m) + d for m, d in changes.items()}
        if model.objects.filter(**where).update(**increments):
            continue
        try:
            with transaction.atomic():
                model.objects.create(**where, **changes)
        except IntegrityError:
            model.objects.filter(**where).update(**increments)


# ---- recomputing and checking --------------------------------------------------------------


class CumulativeTime:
    """`calendar.between(a, b)` as cum(b) − cum(a), where cum is the business time since some
    day: each local day's span is computed once, so a million cases take seconds, not minutes.

    Exact: a span of local date d lies within that date (or ends at the next midnight), so the
    spans before t's date end by t and those after it start after t.
    """

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar, self.zone = calendar, calendar.zone
        self.spans: dict[dt.date, tuple[dt.datetime, dt.datetime] | None] = {}
        self.before: dict[dt.date, dt.timedelta] = {}  # business time from `low` to the date
        self.low = self.high = None

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        return self.cum(b) - self.cum(a) if b > a else ZERO

    def cum(self, instant: dt.datetime) -> dt.timedelta:
        day = instant.astimezone(self.zone).date()
        total = self._before(day)
        if span := self._span(day):
            total += min(max(instant - span[0], ZERO), span[1] - span[0])
        return total

    def _span(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        if day not in self.spans:
            self.spans[day] = self.calendar.span_on(day)
        return self.spans[day]

    def _length(self, day: dt.date) -> dt.timedelta:
        span = self._span(day)
        return span[1] - span[0] if span else ZERO

    def _before(self, day: dt.date) -> dt.timedelta:
        if self.low is None:
            self.low = self.high = day
            self.before[day] = ZERO
        while day > self.high:
            self.before[self.high + DAY] = self.before[self.high] + self._length(self.high)
            self.high += DAY
        while day < self.low:
            self.before[self.low - DAY] = self.before[self.low] - self._length(self.low - DAY)
            self.low -= DAY
        return self.before[day]


def recompute() -> Iterator[tuple[int, Facts]]:
    """Every case's facts, from the cases alone (one pass; the calendars walked once a team)."""
    from supportdesk.sla.engine import team_sla

    zone = site_zone()
    resolve = OriginResolver()
    moves = CaseEvent.objects.filter(kind=CaseEvent.TEAM_MOVED).order_by("-created_at", "-id")
    first_moves = dict(moves.values_list("case_id", "data"))  # the earliest wins
    clocks: dict[int, CumulativeTime] = {}
    for row in _raw_case_rows():
        team = row["team_id"]
        if team not in clocks:
            clocks[team] = CumulativeTime(team_sla(team).calendar)
        between = clocks[team].between
        move = first_moves.get(row["pk"])
        yield (
            row["pk"],
            facts_of(
                row,
                moved=move is not None,
                origin=resolve(move) if move is not None else None,
                between=between,
                zone=zone,
            ),
        )


DATETIMES = ("created_at", "first_response_at", "closed_at", "first_response_due")


def _raw_case_rows(size: int = 5000) -> Iterator[dict[str, Any]]:
    """case_rows() without the ORM's per-value converters (a third of the time at 1M cases);
    a server-side cursor on PostgreSQL (call it inside a transaction)."""
    sql, params = case_rows().query.sql_with_params()
    connection.ensure_connection()
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        cursor = connection.connection.cursor()
        cursor.execute(sql.replace("%s", "?"), params)
    else:
        cursor = connection.connection.cursor(name="reports_recompute")
        cursor.execute(sql, params)
    try:
        while rows := cursor.fetchmany(size):
            for values in rows:
                row = dict(zip(CASE_FIELDS, values, strict=True))
                if sqlite:
                    for name in DATETIMES:  # naive UTC (Django's "datetime" converter)
                        if row[name] is not None:
                            row[name] = row[name].replace(tzinfo=dt.UTC)
                yield row
    finally:
        cursor.close()


def expected_totals(facts: Iterable[tuple[int, Facts]]) -> Contribution:
    sums: Contribution = {}
    for _, one in facts:
        for key, measures in contributions(one).items():
            sums.setdefault(key, Counter()).update(measures)
    return sums


def stored_totals(model: type[Rollup] = DailyRollup) -> Contribution:
    rows = model.objects.order_by().values_list(*KEY_FIELDS, *MEASURES)
    width = len(KEY_FIELDS)
    return {
        tuple(row[:width]): Counter({m: v for m, v in zip(MEASURES, row[width:], strict=True) if v})
        for row in rows.iterator(chunk_size=5000)
    }


def verify() -> list[Difference]:
    """Where the rollups differ from a full recomputation (empty: they are exact). Outside a
    transaction both are read from one snapshot, without holding up writers."""
    with _snapshot():
        expected = expected_totals(recompute())
        stored = stored_totals()
        stored_months = stored_totals(MonthlyRollup)
    return _differences(expected, stored) + _differences(
        by_month(expected), stored_months, grain="month"
    )


def _differences(
    expected: Contribution, stored: Contribution, *, grain: str = "day"
) -> list[Difference]:
    differences = []
    for key in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(key, Counter()), stored.get(key, Counter())
        differences += [
            Difference(key, m, want[m], have[m], grain) for m in MEASURES if want[m] != have[m]
        ]
    return differences


@contextmanager
def _snapshot() -> Iterator[None]:
    """A read-only transaction: REPEATABLE READ on PostgreSQL; on SQLite a deferred one (the
    site's atomic blocks BEGIN IMMEDIATE, which would take the write lock for the whole read)."""
    if connection.in_atomic_block:
        yield
    elif connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
    else:
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
            try:
                yield
            finally:
                cursor.execute("COMMIT")


def rebuild(*, batch: int = 5000) -> int:
    """Recompute the rollups and every case's state from the cases; the number of cases.
    On PostgreSQL the state table is locked meanwhile: writes to cases wait, then go on."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = CaseRollupState._meta.db_table
                cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        CaseRollupState.objects.all().delete()
        DailyRollup.objects.all().delete()
        MonthlyRollup.objects.all().delete()
        sums: Contribution = {}
        count = 0
        for chunk in _chunks(recompute(), batch):
            _insert(CaseRollupState, STATE_COLUMNS, [(pk, *_state_values(f)) for pk, f in chunk])
            for key, measures in expected_totals(chunk).items():
                sums.setdefault(key, Counter()).update(measures)
            count += len(chunk)
        for model, grain_sums in ((DailyRollup, sums), (MonthlyRollup, by_month(sums))):
            rows = (
                (_date(key[0]), *key[1:], *(measures[m] for m in MEASURES))
                for key, measures in grain_sums.items()
            )
            _insert(model, ROLLUP_COLUMNS, rows)
    return count


STATE_COLUMNS = ("case_id", *Facts.__dataclass_fields__)
ROLLUP_COLUMNS = (*KEY_FIELDS, *MEASURES)


def _date(day: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def _state_values(facts: Facts) -> tuple:
    values = asdict(facts)
    values["created_day"] = _date(facts.created_day)
    values["closed_day"] = facts.closed_day and _date(facts.closed_day)
    return tuple(values.values())


def _insert(model: type, columns: Sequence[str], rows: Iterable[tuple], size: int = 1000) -> None:
    """Plain rows in with executemany (the ORM's bulk_create spends minutes per million on
    preparing values that are plain already)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(name) for name in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 (names are ours)
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, size):
            cursor.executemany(sql, chunk)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---- reading them -------------------------------------------------------------------------


def totals(
    start_day: dt.date,
    end_day: dt.date,
    *,
    team_ids: Sequence[int] | None = None,
    request_type_ids: Sequence[int] | None = None,
    priorities: Sequence[str] | None = None,
    group_by: Sequence[str] = ("team",),
    counts: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Summed measures from `start_day` to `end_day` (both included), one row per group.

    `group_by` takes any of "day" or "month" (its first day), "team", "request_type",
    "sub_request", "priority" (rows ordered by them; () gives one row). A row holds its group
    values under those names (ids for team, request type and sub-request, 0 for none), every
    measure of `models.COUNTS`, and `frt_buckets` / `res_buckets`: the histogram counts to
    pass to `percentile`. With `counts`, only those measures are summed (no histograms): a
    chart of two measures per day need not sum a hundred. The whole months of the range are
    read from MonthlyRollup (unless grouped by day), the days at either end from DailyRollup.
    """
    chosen = tuple(counts) if counts is not None else COUNTS
    summed = (*chosen, *FRT_BUCKETS, *RES_BUCKETS) if counts is None else chosen
    sums = {f"sum_{m}": Sum(m) for m in summed}
    columns = [GROUPS[name] for name in group_by]
    month_at = group_by.index("month") if "month" in group_by else None
    merged: dict[tuple, dict[str, Any]] = {}
    for model, where, sign in _segments(start_day, end_day, by_day="day" in group_by):
        rows = model.objects.filter(where)
        if team_ids is not None:
            rows = rows.filter(team_id__in=team_ids)
        if request_type_ids is not None:
            rows = rows.filter(request_type_id__in=request_type_ids)
        if priorities is not None:
            rows = rows.filter(priority__in=priorities)
        found = (
            [rows.aggregate(**sums)]
            if not columns
            else rows.order_by().values(*columns).annotate(**sums)
        )
        for row in found:
            group = tuple(row[c] for c in columns)
            if month_at is not None and model is DailyRollup:
                group = (*group[:month_at], group[month_at].replace(day=1), *group[month_at + 1 :])
            into = merged.setdefault(group, dict.fromkeys(sums, 0))
            for name in sums:
                into[name] += sign * (row[name] or 0)
    out = [
        _total_row(dict(zip(group_by, group, strict=True)), row, chosen, histograms=counts is None)
        for group, row in sorted(merged.items(), key=lambda item: item[0])
    ]
    if not group_by:
        return out or [_total_row({}, dict.fromkeys(sums), chosen, histograms=counts is None)]
    # Rows whose cases all changed key since keep zeros: such groups are left out.
    return [row for row in out if any(row[m] for m in chosen)]


def _segments(start: dt.date, end: dt.date, *, by_day: bool) -> list[tuple[type[Rollup], Q, int]]:
    """Where to read the range, as (rows, condition, +1 to add or −1 to subtract): the months
    it covers from MonthlyRollup; of a month it covers only in part, the days it covers from
    DailyRollup — or, when that is most of the month, the month less the days it leaves out.
    Grouped by day, only DailyRollup."""
    if by_day:
        return [(DailyRollup, Q(day__range=(start, end)), 1)]
    segments: list[tuple[type[Rollup], Q, int]] = []
    month = start.replace(day=1)
    while month <= end:
        following = _next_month(month)
        low, high = max(start, month), min(end, following - DAY)
        if low == month and high == following - DAY:
            segments.append((MonthlyRollup, Q(day=month), 1))
        elif (high - low).days + 1 <= (following - month).days // 2:
            segments.append((DailyRollup, Q(day__range=(low, high)), 1))
        else:
            segments.append((MonthlyRollup, Q(day=month), 1))
            left_out = Q()
            if month < low:
                left_out |= Q(day__gte=month, day__lt=low)
            if high < following - DAY:
                left_out |= Q(day__gt=high, day__lt=following)
            segments.append((DailyRollup, left_out, -1))
        month = following
    return _merged(segments)


def _merged(segments: list[tuple[type[Rollup], Q, int]]) -> list[tuple[type[Rollup], Q, int]]:
    """One query per table and sign: the conditions of each joined with OR."""
    joined: dict[tuple[type[Rollup], int], Q] = {}
    for model, where, sign in segments:
        key = (model, sign)
        joined[key] = joined[key] | where if key in joined else where
    return [(model, where, sign) for (model, sign), where in joined.items()]


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def add_up(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The sum of `totals` rows (with histograms): e.g. a team's totals from its rows by
    request type, without a second query."""
    out: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    out["frt_buckets"] = [0] * len(FRT_BUCKETS)
    out["res_buckets"] = [0] * len(RES_BUCKETS)
    for row in rows:
        for m in COUNTS:
            out[m] += row[m]
        for name in ("frt_buckets", "res_buckets"):
            out[name] = [a + b for a, b in zip(out[name], row[name], strict=True)]
    return out


def _total_row(
    group: dict[str, Any], sums: dict[str, Any], counts: Sequence[str], *, histograms: bool
) -> dict[str, Any]:
    row = dict(group)
    row.update({m: sums[f"sum_{m}"] or 0 for m in counts})
    if histograms:
        row["frt_buckets"] = [sums[f"sum_{m}"] or 0 for m in FRT_BUCKETS]
        row["res_buckets"] = [sums[f"sum_{m}"] or 0 for m in RES_BUCKETS]
    return row


def percentile(buckets: Sequence[int], p: float) -> float | None:
    """The p-th percentile (0 < p ≤ 100, nearest rank) of a histogram, in business minutes;
    None when it is empty.

    Within PERCENTILE_MAX_ERROR (≈ 12.6 %) of the true value for values from 1 to 65,536
    minutes: the answer is the geometric middle of the value's bucket. Under a minute it
    answers 0.5 (off by at most half a minute); from 65,536 minutes on, 65,536 (a floor).
    """
    count = sum(buckets)
    if count <= 0:
        return None
    rank = max(1, math.ceil(p / 100 * count))
    index, seen = 0, buckets[0]
    while seen < rank:
        index += 1
        seen += buckets[index]
    if index == 0:
        return 0.5
    if index >= len(BUCKET_BOUNDS):
        return BUCKET_BOUNDS[-1] / 60
    return math.sqrt(BUCKET_BOUNDS[index - 1] * BUCKET_BOUNDS[index]) / 60
