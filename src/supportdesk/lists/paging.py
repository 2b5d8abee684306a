"""Keyset (cursor) pages of a case list, and its count capped at 10,000.

A page is `ORDER BY <sort keys>, id LIMIT n+1` after `WHERE (keys) > (cursor's keys)`: no
OFFSET, so page 1,000 costs what page 1 costs, and rows added meanwhile never shift a page.
Ties on the sort keys are broken by the case id. NULLs (a case never closed, an unanswered
field) sort last in both directions. A cursor holds the keys of the row it continues from,
the direction and the sort it belongs to; a cursor from another sort is refused.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connections
from django.db.models import F, OrderBy, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_date, parse_datetime

from supportdesk.cases.models import Case
from supportdesk.lists.columns import COLUMNS, SortKey, sort_param
from supportdesk.search.queries import count_cap, is_broad

COUNT_CAP = 10_000
NEXT, PREVIOUS = "n", "p"


class CursorInvalid(ValueError):
    def __init__(self) -> None:
        super().__init__("This page link is no longer valid; start again from the first page.")


@dataclass(frozen=True)
class CasePage:
    items: list[Case]
    next_cursor: str | None
    previous_cursor: str | None


@dataclass(frozen=True)
class _Key:
    name: str  # the annotation (or field) the queryset orders by
    kind: str
    nullable: bool
    descending: bool


def _keys(sort: list[SortKey], cases: QuerySet[Case] | None = None) -> list[_Key]:
    keys = [
        _Key(f"_sort{i}", k.column.kind, k.column.nullable, k.descending)
        for i, k in enumerate(sort)
    ]
    if not sort or not _unique(sort[-1], cases):
        keys.append(_Key("pk", "int", False, sort[0].descending if sort else True))
    return keys


def _unique(key: SortKey, cases: QuerySet[Case] | None) -> bool:
    """Whether the key alone orders the cases (no tie to break by id): the number, and a broad
    search's relevance (the case id; SQLite's full-text index lists it in order only if it is
    the whole ORDER BY)."""
    return key.column is COLUMNS["number"] or (
        key.column is COLUMNS["relevance"] and cases is not None and is_broad(cases)
    )


def _order(key: _Key, *, backwards: bool) -> OrderBy:
    descending = key.descending != backwards
    expression = F(key.name)
    if not key.nullable:
        return expression.desc() if descending else expression.asc()
    # NULLs last in the list's order, so first when walking it backwards.
    nulls = {"nulls_first": True} if backwards else {"nulls_last": True}
    return expression.desc(**nulls) if descending else expression.asc(**nulls)


def _beyond(key: _Key, value: Any, *, backwards: bool) -> Q | None:
    """Rows strictly past `value` on this key, walking forwards or backwards (None: none)."""
    if value is None:  # NULLs are last: nothing follows them; every non-NULL precedes them
        return Q(**{f"{key.name}__isnull": False}) if backwards else None
    greater = key.descending == backwards
    past = Q(**{f"{key.name}__{'gt' if greater else 'lt'}": value})
    if key.nullable and not backwards:
        past |= Q(**{f"{key.name}__isnull": True})
    return past


def _tie(key: _Key, value: Any) -> Q:
    return Q(**{f"{key.name}__isnull": True}) if value is None else Q(**{key.name: value})


def _after(keys: list[_Key], values: list[Any], *, backwards: bool) -> Q | None:
    """(k1, k2, …) past (v1, v2, …) in the list's order: k1 past v1, or k1 = v1 and k2 past…"""
    condition: Q | None = None
    ties = Q()
    for key, value in zip(keys, values, strict=True):
        if (past := _beyond(key, value, backwards=backwards)) is not None:
            term = ties & past
            condition = term if condition is None else condition | term
        ties &= _tie(key, value)
    first, value = keys[0], values[0]
    if condition is not None and not first.nullable:
        # Redundant, but lets the database start an index range scan on the first key.
        greater = first.descending == backwards
        condition &= Q(**{f"{first.name}__{'gte' if greater else 'lte'}": value})
    return condition


def _encode(sort: str, direction: str, values: list[Any]) -> str:
    shown = [v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for v in values]
    raw = json.dumps({"s": sort, "d": direction, "k": shown}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read(kind: str, value: Any) -> Any:
    if value is None:
        return None
    readers = {
        "int": lambda v: v if isinstance(v, int) and not isinstance(v, bool) else None,
        "text": lambda v: v if isinstance(v, str) else None,
        "datetime": lambda v: parse_datetime(v) if isinstance(v, str) else None,
        "date": lambda v: parse_date(v) if isinstance(v, str) else None,
    }
    try:
        read = readers[kind](value)
    except ValueError:
        read = None
    if read is None:
        raise CursorInvalid
    return read


def _decode(cursor: str, sort: str, keys: list[_Key]) -> tuple[str, list[Any]]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        direction, values = raw["d"], raw["k"]
        valid = raw["s"] == sort and direction in (NEXT, PREVIOUS)
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise CursorInvalid from None
    if not valid or not isinstance(values, list) or len(values) != len(keys):
        raise CursorInvalid
    return direction, [_read(key.kind, value) for key, value in zip(keys, values, strict=True)]


def keyset_page(
    cases: QuerySet[Case],
    *,
    sort: list[SortKey],
    user: AbstractBaseUser,
    cursor: str | None,
    size: int,
    teams: tuple[int, ...] | None = None,
) -> CasePage:
    """One page of `cases` in `sort` order, after (or before) `cursor`; one query.

    `teams`: the team ids `cases` is limited to, if any. For two or more, SQLite takes the
    page from each team's first rows (see `_per_team`)."""
    keys, signature = _keys(sort, cases), sort_param(sort)
    cases = cases.annotate(
        **{key.name: k.column.expression(user) for key, k in zip(keys, sort, strict=False)}
    )
    direction, values = _decode(cursor, signature, keys) if cursor else (NEXT, [])
    backwards = direction == PREVIOUS
    if values:
        condition = _after(keys, values, backwards=backwards)
        cases = cases.filter(condition) if condition is not None else cases.none()
    order = [_order(key, backwards=backwards) for key in keys]
    if (
        teams
        and len(teams) > 1
        and connections[cases.db].vendor == "sqlite"
        and not is_broad(cases)
    ):
        cases = cases.filter(pk__in=_per_team(cases, order, teams, size + 1))
    rows = list(cases.order_by(*order)[: size + 1])
    more, items = len(rows) > size, rows[:size]
    if backwards:
        items.reverse()

    def at(case: Case, where: str) -> str:
        return _encode(signature, where, [getattr(case, key.name) for key in keys])

    has_next = more if not backwards else bool(values)
    has_previous = bool(values) if not backwards else more
    return CasePage(
        items,
        at(items[-1], NEXT) if items and has_next else None,
        at(items[0], PREVIOUS) if items and has_previous else None,
    )


def _per_team(
    cases: QuerySet[Case], order: list[OrderBy], teams: tuple[int, ...], limit: int
) -> RawSQL:
    """The ids of each team's first `limit` cases in `order`, together (UNION ALL).

    SQLite does not read an index in order across several of its ranges: `team_id IN (a, b)`
    sorts every matching row of both teams, where per team the walk stops after `limit` rows
    (a two-team lead's queue at page 50, 1M cases: 14 ms of queries to 9). PostgreSQL plans
    the plain query as well or better (its bitmap scans), so it keeps it.
    """
    parts, params = [], []
    for i, team in enumerate(teams):
        sql, part_params = (
            cases.filter(team_id=team).order_by(*order).values("pk")[:limit].query.sql_with_params()
        )
        parts.append(f"SELECT t{i}.pk FROM ({sql}) t{i}")  # noqa: S608 (compiled, params apart)
        params.extend(part_params)
    return RawSQL(" UNION ALL ".join(parts), params)  # noqa: S611


def in_order(
    cases: QuerySet[Case], *, sort: list[SortKey], user: AbstractBaseUser
) -> QuerySet[Case]:
    """All of `cases` in the list's order, as its pages show them (for the CSV export)."""
    keys = _keys(sort, cases)
    cases = cases.annotate(
        **{key.name: k.column.expression(user) for key, k in zip(keys, sort, strict=False)}
    )
    return cases.order_by(*(_order(key, backwards=False) for key in keys))


def capped_count(cases: QuerySet[Case], cap: int | None = None) -> tuple[int, bool]:
    """(count, exact): counts at most cap + 1 rows, so a huge list costs what 10,001 cost
    (a broad search: what 501 cost, `search.queries.count_cap`)."""
    cap = cap if cap is not None else count_cap(cases) or COUNT_CAP
    counted = cases.order_by().values("pk")[: cap + 1].count()
    return min(counted, cap), counted <= cap
