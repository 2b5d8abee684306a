"""Every routing row of the source document is in the loaded catalog, spelled exactly — and the
catalog has no request type for the seed's teams that the seed does not list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportdesk.catalog.loader import load_catalog
from supportdesk.catalog.models import Redirect, RequestType, SubRequest
from supportdesk.people.models import Team
from supportdesk.records.models import Kind

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "000_29be646938c6d2f6.txt"
BREAK_FIX = ("IT / Enterprise Applications", "Break/Fix Request")

pytestmark = pytest.mark.skipif(
    not SEED.exists(), reason=f"the seed document is not beside the repository ({SEED})"
)


@dataclass(frozen=True)
class SeedRow:
    kind: str
    team: str  # as written in the seed
    request: str
    sub_request: str | None


def kinds_named(heading: str) -> list[str]:
    """'Object: OPPORTUNITY' → [opportunity]; 'Objects: Labra Leads, …' → one kind per name."""
    names = heading.split(":", 1)[1].split(",")
    return [kind_named(name.strip()) for name in names]


def kind_named(name: str) -> str:
    for kind in Kind:
        if name.casefold() in (kind.label.casefold(), kind.label.casefold() + "s"):
            return kind.value
    raise AssertionError(f"the seed names an object the app does not know: {name!r}")


def table_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def parse_routing(text: str) -> list[SeedRow]:
    """The rows of the tables under "Request Routing": an empty TEAM cell repeats the team."""
    section = text.split("#### Request Routing", 1)[1]
    rows: list[SeedRow] = []
    kinds: list[str] = []
    team = ""
    for line in section.splitlines():
        line = line.strip()
        if re.match(r"^Objects?:", line):
            kinds, team = kinds_named(line), ""
        elif line.startswith("|") and "TEAM:" not in line and not re.match(r"^\|\s*-", line):
            cells = table_cells(line)
            team = cells[0] or team
            sub = cells[2] if len(cells) > 2 and cells[2] else None
            rows.extend(SeedRow(kind, team, cells[1], sub) for kind in kinds)
    return rows


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def seed_rows() -> list[SeedRow]:
    return parse_routing(seed_text())


def resolve(team_as_written: str) -> Team:
    for team in Team.objects.filter(is_active=True):
        if team_as_written in (team.name, *team.aliases):
            return team
    raise AssertionError(f"no catalog team is called {team_as_written!r}")


@pytest.fixture
def catalog(db):
    load_catalog()


def test_the_parser_reads_every_table_of_the_seed():
    rows = seed_rows()
    assert {row.kind for row in rows} == set(Kind.values)
    assert len([r for r in rows if r.kind == Kind.OPPORTUNITY]) == 55
    assert SeedRow(Kind.OPPORTUNITY, "Deal Desk", "Finance Use", "Internal Only Correction") in rows
    assert SeedRow(Kind.OPPORTUNITY, "Deal Desk", "Other", None) in rows
    assert SeedRow(Kind.OPPORTUNITY, "Sales Operations", "System Error", None) in rows
    assert (
        SeedRow(
            Kind.PARTNER_ACCOUNT, "Billing Team", "Request Reseller Account Creation in Zuora", None
        )
        in rows
    )
    assert SeedRow(Kind.INFLUENCE_OBJECT, "Ecosystem Operations", "General Question", None) in rows


def in_catalog(row: SeedRow) -> bool:
    types = RequestType.objects.filter(
        kind=row.kind, team=resolve(row.team), name=row.request, is_active=True
    )
    if row.sub_request is None:
        return types.exists()
    subs = SubRequest.objects.filter(request_type__in=types, name=row.sub_request, is_active=True)
    return subs.exists()


@pytest.mark.usefixtures("catalog")
def test_every_seed_row_is_in_the_catalog_spelled_exactly():
    rows = seed_rows()
    assert len(rows) == 96  # 55 + 2 + 12 + 10 + 7 + 7 + 1 row × 3 kinds
    assert [row for row in rows if not in_catalog(row)] == []


@pytest.mark.usefixtures("catalog")
def test_the_catalog_has_nothing_for_the_seed_teams_that_the_seed_does_not_list():
    rows = seed_rows()
    seed_types = {(r.kind, resolve(r.team).name, r.request) for r in rows}
    seed_subs = {
        (r.kind, resolve(r.team).name, r.request, r.sub_request) for r in rows if r.sub_request
    }
    seed_teams = {resolve(r.team).name for r in rows}
    catalog_types = set(
        RequestType.objects.filter(is_active=True, team__name__in=seed_teams).values_list(
            "kind", "team__name", "name"
        )
    )
    catalog_subs = set(
        SubRequest.objects.filter(
            is_active=True, request_type__team__name__in=seed_teams
        ).values_list(
            "request_type__kind", "request_type__team__name", "request_type__name", "name"
        )
    )
    assert catalog_types == seed_types
    assert catalog_subs == seed_subs


@pytest.mark.usefixtures("catalog")
def test_the_only_other_request_type_is_break_fix_on_every_kind_and_without_a_record():
    seed_teams = {resolve(r.team).name for r in seed_rows()}
    others = RequestType.objects.filter(is_active=True).exclude(team__name__in=seed_teams)
    assert sorted(others.values_list("team__name", "name", "kind")) == sorted(
        (*BREAK_FIX, kind) for kind in [*Kind.values, ""]
    )


@pytest.mark.usefixtures("catalog")
def test_the_teams_the_seed_lists_are_the_catalog_teams_plus_it():
    section = seed_text().split("The following teams are available", 1)[1].split("**Who", 1)[0]
    listed = re.findall(r"^- (.+)$", section, flags=re.MULTILINE)
    assert len(listed) == 6
    assert list(Team.objects.filter(is_active=True).values_list("name", flat=True)) == [
        *listed,
        BREAK_FIX[0],
    ]


@pytest.mark.usefixtures("catalog")
def test_every_department_handled_elsewhere_is_a_redirect():
    section = seed_text().split("from Other Departments", 1)[1].split("####", 1)[0]
    linked = re.findall(r"\[([^\]]+)\]\(", section)
    expected = {name.removeprefix("Request ") for name in linked} - {"HelpLab application"}
    redirects = set(Redirect.objects.filter(is_active=True).values_list("name", flat=True))
    assert redirects == expected
    for redirect in Redirect.objects.all():
        assert redirect.instructions.strip()
        assert redirect.url.startswith("https://")
