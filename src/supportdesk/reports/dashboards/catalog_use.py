"""Catalog analytics from the rollups: request types nobody raised in the period, and those
whose cases most often were moved between teams or needed more information — candidates
to fix in the catalog.

A moved case counts as raised, and moved out, under the request type it was first raised with
(the rollups' `raised` and `moved_out`): the types requesters chose wrongly. Request types are
grouped by team and name (a name may exist for several record kinds), so that each link (team +
request type) lists exactly its cases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from supportdesk.catalog.models import RequestType
from supportdesk.people.models import Team
from supportdesk.records.models import Kind
from supportdesk.reports.blocks import Cell, Chart, Series, Table
from supportdesk.reports.filters import ReportFilters
from supportdesk.reports.measures import percent

MIN_CASES = 5  # fewer cases raised: a rate says too little to rank a type
TOP = 10
MEASURES = ("opened", "raised", "moved_out", "info_needed")
BASE = {"moved_out": "raised", "info_needed": "opened"}  # the rate's denominator
Ranked = tuple[Team, str, Counter]  # team, request type name, its MEASURES


def catalog_blocks(
    filters: ReportFilters, teams: Sequence[Team], rows: Sequence[dict[str, Any]]
) -> tuple[list[Chart], list[Table]]:
    """The moved and needed-information rankings and the never-used list, from `totals` rows
    grouped by team and request type."""
    catalog = RequestType.objects.order_by().only(
        "name", "display_name", "team_id", "kind", "is_active"
    )
    types = {t.pk: t for t in catalog}
    by_pk = {t.pk: t for t in teams}
    groups: dict[tuple[int, str], Counter] = {}
    raised = set()
    for row in rows:
        request_type = types.get(row["request_type"])
        if request_type is None or row["team"] not in by_pk:
            continue
        groups.setdefault((row["team"], request_type.name), Counter()).update(
            {m: row[m] for m in MEASURES}
        )
        if row["raised"]:
            raised.add(row["request_type"])
    ranked = [
        (by_pk[team], name, sums)
        for (team, name), sums in groups.items()
        if max(sums["opened"], sums["raised"]) >= MIN_CASES
    ]
    charts = [
        _ranking(
            filters,
            ranked,
            "moved_out",
            "most_moved",
            "Request types most often moved to another team",
            "Moved to another team (%)",
            "A case counts under the request type it was first raised with.",
        ),
        _ranking(
            filters,
            ranked,
            "info_needed",
            "most_info_needed",
            "Request types that most often needed more information",
            "Needed more information (%)",
            "The team had to ask the requester at least once.",
        ),
    ]
    return charts, [_never_used(filters, teams, types.values(), raised)]


def _ranking(
    filters: ReportFilters,
    ranked: list[Ranked],
    measure: str,
    key: str,
    title: str,
    label: str,
    note: str,
) -> Chart:
    base = BASE[measure]
    top = sorted(
        (r for r in ranked if r[2][measure] and r[2][base]),
        key=lambda r: (-r[2][measure] / r[2][base], -r[2][measure], r[0].name, r[1]),
    )[:TOP]
    # The list of a team + request type holds the cases that have it now: it matches "raised"
    # only where cases count under their current type.
    links = [_type_url(filters, team, name) if base == "opened" else "" for team, name, _ in top]
    return Chart(
        key,
        title,
        "bar",
        [f"{team.name} · {name}" for team, name, _ in top],
        [
            Series("rate", label, [percent(s[measure], s[base]) for _, _, s in top]),
            Series("count", "Cases", [s[measure] for _, _, s in top]),
            Series("in", "Raised", [s[base] for _, _, s in top], links),
        ],
        note=(
            f"The {TOP} highest rates among request types with at least {MIN_CASES} cases "
            f"raised in the period. {note}"
        ),
    )


def _never_used(
    filters: ReportFilters,
    teams: Sequence[Team],
    types: Iterable[RequestType],
    raised: set[int],
) -> Table:
    names = {t.pk: t.name for t in teams}
    chosen = set(filters.request_type_ids)
    unused = [
        t
        for t in types
        if t.is_active
        and t.team_id in names
        and t.pk not in raised
        and (not chosen or t.pk in chosen)
    ]
    unused.sort(key=lambda t: (names[t.team_id], t.label, t.kind))
    kinds = dict(Kind.choices)
    return Table(
        "never_used",
        "Request types never used",
        ["Team", "Request type", "Raised on"],
        [
            [Cell(names[t.team_id]), Cell(t.label), Cell(kinds.get(t.kind, "No record"))]
            for t in unused
        ],
        note="Active request types with no case raised in the period (under the filters).",
    )


def _type_url(filters: ReportFilters, team: Team, name: str) -> str:
    return replace(filters, teams=(team,), request_types=(name,)).cases_url()
