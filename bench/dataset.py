"""A realistic big dataset, built fast: 1,000,000 cases in a few minutes, SQLite or PostgreSQL.

    python bench/dataset.py --cases 1000000                   # a throw-away SQLite file
    python bench/dataset.py --cases 1000000 --db postgres     # a throw-away PostgreSQL DB
    python bench/dataset.py --cases 100000 --keep             # keep it, to reuse (prints where)

From a benchmark (bench/ is on sys.path):

    import dataset
    db = dataset.Database.create("sqlite")      # or "postgres"; .env for the server
    dataset.setup(db)                           # Django in this process, migrated
    built = dataset.build(cases=1_000_000)      # → Built: the personas, the figures
    ...
    db.drop()

Proportions (plausible for a sales-support desk two years in): 300 users — 3 admins, about
60 agents in the seven teams by the teams' share of the work (one lead each), the rest sales
reps of whom a few request much more than others; 5,000 CRM records (half opportunities,
accounts, contacts, leads, the partner kinds), with 5 % shared for editing; cases spread over
730 days, teams Deal Desk 30 % … IT 7 %, request types and sub-requests of the real catalog
with answers to their fields, priorities low 20 / medium 50 / high 22 / urgent 8 %; cases
older than a month are 96 % closed, newer ones mostly open. Each case has its feed: created,
taken (owner and status change) unless new, 0–3 comments from the team and the requester
(10 % of the team's are internal notes) and the closing; its requester watches it, 2 % have a
second watcher. The personas `bench-agent` (Deal Desk agent), `bench-lead` (lead of Deal Desk
and Billing), `bench-requester` (a busy rep) and `bench-admin` have opened 200 cases each.

Rows go in with the database's bulk path — COPY on PostgreSQL, executemany on SQLite — in
batches, secondary indexes dropped during the load and rebuilt after (as a restore does), then
the search index is built in one pass (search.documents), the reports' rollups recomputed
(reports.rollups.rebuild) and the planner's statistics taken.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed_data  # noqa: E402  (bench/ on the path: the catalog's answers, Django setup)

PASSWORD = seed_data.BENCH_PASSWORD
HISTORY_DAYS = 730
RECORDS = 5000
USERS = 300
ADMINS = 3
AGENTS = 60
BATCH = 20_000
VIEWED = 200  # cases each persona has opened (Recently Viewed)
TEAM_WEIGHTS = {
    "Deal Desk": 30,
    "Billing": 20,
    "Sales Operations": 15,
    "Renewal Operations": 12,
    "Ecosystem Operations": 8,
    "Sales Development & Marketing": 8,
    "IT / Enterprise Applications": 7,
}
PRIORITIES = {"low": 20, "medium": 50, "high": 22, "urgent": 8}
RECENT_STATUSES = {"new": 15, "work_in_progress": 35, "pending_response": 12, "on_hold": 8}
RECENT_CLOSED = 30  # % of cases younger than a month that are closed already
OLD_CLOSED = 96
# SLA targets in wall-clock hours: first response, resolution (the defaults, roughly).
SLA_HOURS = {"urgent": (0.5, 4), "high": (2, 24), "medium": (8, 72), "low": (24, 120)}
RESOLUTIONS = {"resolved": 70, "answered": 20, "not_possible": 4, "no_response": 3, "duplicate": 3}
KIND_WEIGHTS = {
    "opportunity": 50,
    "customer_account": 14,
    "partner_account": 6,
    "contact": 10,
    "lead": 8,
    "deal_registration": 5,
    "labra_lead": 2,
    "labra_referral": 2,
    "influence_object": 3,
}

# ---- words ------------------------------------------------------------------------------

STEMS = [
    "nor",
    "ast",
    "bel",
    "cor",
    "dyn",
    "ever",
    "fal",
    "gan",
    "hal",
    "ion",
    "jun",
    "kel",
    "lum",
    "mar",
    "nex",
    "orb",
    "pal",
    "quin",
    "rav",
    "sol",
    "tan",
    "ul",
    "ver",
    "wex",
    "xan",
    "yor",
    "zen",
    "brio",
    "cal",
    "del",
    "fen",
    "gor",
    "hex",
]
ENDS = [
    "vex",
    "ora",
    "ium",
    "ant",
    "ics",
    "ify",
    "eon",
    "ara",
    "ix",
    "iq",
    "ent",
    "ova",
    "tron",
    "ly",
    "io",
    "ite",
]
INDUSTRIES = [
    "Analytics",
    "Systems",
    "Health",
    "Logistics",
    "Foods",
    "Energy",
    "Capital",
    "Robotics",
    "Labs",
    "Media",
    "Networks",
    "Pharma",
    "Retail",
    "Mobility",
    "Security",
    "Cloud",
    "Materials",
    "Insurance",
    "Travel",
    "Learning",
]
VOCABULARY = [
    "quote",
    "discount",
    "approval",
    "renewal",
    "invoice",
    "billing",
    "contract",
    "order",
    "form",
    "signature",
    "customer",
    "procurement",
    "legal",
    "terms",
    "pricing",
    "ramp",
    "co-term",
    "subscription",
    "seats",
    "license",
    "upgrade",
    "downgrade",
    "credit",
    "refund",
    "tax",
    "exemption",
    "certificate",
    "vendor",
    "registration",
    "portal",
    "onboarding",
    "partner",
    "referral",
    "deal",
    "registration",
    "margin",
    "multi-year",
    "prepay",
    "payment",
    "net",
    "terms",
    "purchase",
    "order",
    "amendment",
    "true-up",
    "overage",
    "usage",
    "quarter",
    "forecast",
    "territory",
    "account",
    "hierarchy",
    "duplicate",
    "merge",
    "contact",
    "lead",
    "routing",
    "campaign",
    "attribution",
    "marketing",
    "webinar",
    "event",
    "sponsorship",
    "opportunity",
    "stage",
    "close",
    "date",
    "amount",
    "currency",
    "conversion",
    "exchange",
    "rate",
    "region",
    "EMEA",
    "APAC",
    "AMER",
    "segment",
    "enterprise",
    "commercial",
    "public",
    "sector",
    "reseller",
    "distributor",
    "marketplace",
    "AWS",
    "GCP",
    "Azure",
    "private",
    "offer",
    "entitlement",
    "provisioning",
    "SSO",
    "SAML",
    "integration",
    "error",
    "sync",
    "failure",
    "report",
    "dashboard",
    "field",
    "validation",
    "rule",
    "permission",
    "access",
    "request",
    "escalation",
    "deadline",
    "urgent",
    "blocker",
    "risk",
    "churn",
    "exception",
    "compensation",
    "commission",
    "split",
    "quota",
    "bookings",
]
OPENINGS = [
    "Customer procurement asked for this before the end of the quarter.",
    "Please review and confirm what we can offer.",
    "The account team needs an answer by Friday.",
    "Renewal is at risk without this.",
    "Following up on the call with their finance team.",
    "The partner asked for this on the last QBR.",
    "This blocks the signature.",
    "Legal flagged this during the redlines.",
]


def _sentence(rng: random.Random, words: int) -> str:
    chosen = rng.sample(VOCABULARY, words)
    return " ".join(chosen).capitalize() + "."


def description_pool(rng: random.Random, size: int) -> list[str]:
    return [
        f"{rng.choice(OPENINGS)} {_sentence(rng, rng.randint(6, 14))} "
        f"{_sentence(rng, rng.randint(5, 12))}"
        for _ in range(size)
    ]


def comment_pool(rng: random.Random, size: int) -> list[str]:
    return [_sentence(rng, rng.randint(4, 16)) for _ in range(size)]


def company(rng: random.Random) -> str:
    stem = rng.choice(STEMS).capitalize() + rng.choice(ENDS)
    return f"{stem} {rng.choice(INDUSTRIES)}"


# ---- databases --------------------------------------------------------------------------


@dataclass
class Database:
    """A throw-away database: a SQLite file in a temp dir, or a PostgreSQL database."""

    vendor: str
    env: dict[str, str]
    tmp: str
    pg_name: str = ""
    pg_base: str = ""

    @classmethod
    def create(cls, vendor: str, *, base: str = "postgres://postgres@127.0.0.1:5432") -> Database:
        tmp = tempfile.mkdtemp(prefix="sd-dataset-")
        env = os.environ | {"SUPPORTDESK_VAR_DIR": tmp, "DEBUG": "false"}
        env.pop("DATABASE_URL", None)
        if vendor == "sqlite":
            return cls("sqlite", env, tmp)
        name = f"sd_bench_{uuid.uuid4().hex[:8]}"
        _psql(base, f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"{base}/{name}"
        return cls("postgresql", env, tmp, name, base)

    @classmethod
    def reuse(cls, where: str) -> Database:
        """An existing one (kept by --keep): a var dir (SQLite) or a postgres:// URL."""
        if where.startswith("postgres"):
            tmp = tempfile.mkdtemp(prefix="sd-dataset-")
            env = os.environ | {"SUPPORTDESK_VAR_DIR": tmp, "DATABASE_URL": where}
            return cls("postgresql", env | {"DEBUG": "false"}, tmp)
        env = os.environ | {"SUPPORTDESK_VAR_DIR": where, "DEBUG": "false"}
        env.pop("DATABASE_URL", None)
        return cls("sqlite", env, "")

    @property
    def where(self) -> str:
        return self.env.get("DATABASE_URL") or self.env["SUPPORTDESK_VAR_DIR"]

    def drop(self) -> None:
        from django.db import connections

        connections.close_all()
        if self.pg_name:
            _psql(self.pg_base, f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _psql(base: str, sql: str) -> None:
    command = ["psql", f"{base}/postgres", "-qc", sql]  # the client on PATH, as a developer's
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603, S607


def setup(db: Database, *, migrate: bool = True) -> None:
    """Django in this process on `db` (migrated: the catalog loads on migrate)."""
    seed_data.setup_django(db.env)
    if migrate:
        seed_data.migrate()


# ---- bulk writes ------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    return value


def insert(table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Insert plain rows with the database's bulk path; the number of rows."""
    from django.db import connection

    names = ", ".join(columns)
    count = 0
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    raw = connection.connection.cursor()
    placeholders = ", ".join("?" * len(columns))

    def plain() -> Iterator[tuple]:
        nonlocal count
        for row in rows:
            count += 1
            yield tuple(_sqlite_value(v) for v in row)

    insert_sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
    raw.executemany(insert_sql, plain())
    return count


def _aware(vendor: str) -> Any:
    """Datetimes as the database takes them: aware for PostgreSQL, naive UTC for SQLite."""
    if vendor == "postgresql":
        return lambda d: d.replace(tzinfo=dt.UTC) if d is not None else None
    return lambda d: d


SECONDARY_TABLES = (
    "cases_case",
    "cases_caseevent",
    "cases_casewatcher",
    "lists_recentview",
)


def drop_indexes(tables: Iterable[str]) -> list[str]:
    """Drop the plain (non-constraint) indexes of `tables`; their CREATE statements."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [list(tables)],
            )
        else:
            marks = ", ".join("%s" for _ in tables)
            query = (
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                f"AND tbl_name IN ({marks}) AND sql NOT LIKE 'CREATE UNIQUE%%'"
            )
            cursor.execute(query, list(tables))
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def create_indexes(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


# ---- the build ----------------------------------------------------------------------------


@dataclass
class Built:
    cases: int
    events: int
    seconds: dict[str, float] = field(default_factory=dict)
    personas: dict[str, int] = field(default_factory=dict)  # username → user id

    def describe(self) -> str:
        steps = ", ".join(f"{k} {v:.0f} s" for k, v in self.seconds.items())
        total = sum(self.seconds.values())
        return f"{self.cases:,} cases, {self.events:,} feed events in {total:.0f} s ({steps})"


@dataclass
class People:
    admins: list[Any]
    agents: dict[int, list[Any]]  # team id → agents (the lead first)
    reps: list[Any]
    rep_weights: list[float]
    personas: dict[str, Any]


def create_people(rng: random.Random, teams: dict[str, Any]) -> People:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from supportdesk.people.models import Membership

    User = get_user_model()
    usable, unusable = make_password(PASSWORD), make_password(None)
    first = [
        "Alex",
        "Jordan",
        "Chris",
        "Taylor",
        "Morgan",
        "Sky",
        "Robin",
        "Sam",
        "Lee",
        "Kai",
        "Noor",
        "Ines",
        "Omar",
        "Priya",
    ]
    last = [
        "Kim",
        "Blake",
        "Novak",
        "Ng",
        "Hale",
        "Park",
        "Reyes",
        "Ito",
        "Berg",
        "Okafor",
        "Silva",
        "Haddad",
        "Moreau",
    ]

    def user(username: str, **extra: Any) -> Any:
        return User(
            username=username,
            first_name=rng.choice(first),
            last_name=rng.choice(last),
            email=f"{username}@example.com",
            password=usable if username.startswith("bench-") else unusable,
            **extra,
        )

    total = sum(TEAM_WEIGHTS.values())
    per_team = {name: max(2, round(AGENTS * w / total)) for name, w in TEAM_WEIGHTS.items()}
    rows = [user(f"admin{i}", is_staff=True, is_superuser=True) for i in range(ADMINS - 1)]
    rows += [user("bench-admin", is_staff=True, is_superuser=True)]
    rows += [user(f"agent-{teams[n].slug}-{i}") for n, c in per_team.items() for i in range(c)]
    rows += [user("bench-agent"), user("bench-lead"), user("bench-requester")]
    reps = USERS - len(rows) + 1
    rows += [user(f"rep{i:03d}") for i in range(reps - 1)]
    made = {u.username: u for u in User.objects.bulk_create(rows)}
    agents: dict[int, list[Any]] = {}
    memberships = []
    for name, count in per_team.items():
        team = teams[name]
        members = [made[f"agent-{team.slug}-{i}"] for i in range(count)]
        agents[team.pk] = members
        memberships += [
            Membership(user=u, team=team, role="lead" if i == 0 else "agent")
            for i, u in enumerate(members)
        ]
    deal_desk, billing = teams["Deal Desk"], teams["Billing"]
    memberships += [
        Membership(user=made["bench-agent"], team=deal_desk, role="agent"),
        Membership(user=made["bench-lead"], team=deal_desk, role="lead"),
        Membership(user=made["bench-lead"], team=billing, role="lead"),
    ]
    Membership.objects.bulk_create(memberships)
    agents[deal_desk.pk] += [made["bench-agent"], made["bench-lead"]]
    agents[billing.pk].append(made["bench-lead"])
    rep_list = [made["bench-requester"], *(made[f"rep{i:03d}"] for i in range(reps - 1))]
    # A few reps request much more than the others (Zipf-like); bench-requester is busy.
    weights = [1 / (1 + i) ** 0.8 for i in range(len(rep_list))]
    weights[0] = weights[3]
    personas = {n: made[n] for n in ("bench-agent", "bench-lead", "bench-requester", "bench-admin")}
    admins = [u for u in made.values() if u.is_staff]
    return People(admins, agents, rep_list, weights, personas)


def create_records(rng: random.Random, people: People, kinds: set[str]) -> dict[str, list[Any]]:
    from supportdesk.records.models import Record, RecordShare

    weights = {k: w for k, w in KIND_WEIGHTS.items() if k in kinds}
    rows = []
    for i in range(RECORDS):
        kind = rng.choices(list(weights), weights=list(weights.values()))[0]
        label = {"opportunity": rng.choice(["FY27 Renewal", "Expansion", "New Logo", "Upsell"])}
        name = f"{company(rng)} — {label.get(kind, kind.replace('_', ' ').title())}"
        rows.append(
            Record(
                kind=kind,
                name=name,
                external_id=f"BENCH{i:011d}",
                owner=rng.choices(people.reps, weights=people.rep_weights)[0],
                attributes=seed_data.record_attributes(rng, kind),
            )
        )
    by_kind: dict[str, list[Any]] = {}
    made = Record.objects.bulk_create(rows, batch_size=1000)
    for record in made:
        by_kind.setdefault(record.kind, []).append(record)
    shares = [
        RecordShare(record=r, user=rng.choice(people.reps), level="edit")
        for r in rng.sample(made, len(made) // 20)
    ]
    RecordShare.objects.bulk_create(shares, ignore_conflicts=True)
    return by_kind


CASE_COLUMNS = (
    "id",
    "record_id",
    "team_id",
    "request_type_id",
    "sub_request_id",
    "parent_id",
    "child_count",
    "subject",
    "description",
    "details",
    "record_snapshot",
    "priority",
    "urgent_reason",
    "needed_by",
    "status",
    "owner_id",
    "requester_id",
    "submission_key",
    "version",
    "created_at",
    "updated_at",
    "first_response_at",
    "closed_at",
    "resolution",
    "resolution_note",
    "requested_priority",
    "info_requests",
    "first_response_due",
    "resolution_due",
    "sla_due",
    "sla_stage",
    "sla_check_at",
)
EVENT_COLUMNS = ("case_id", "kind", "actor_id", "data", "internal", "created_at")
WATCHER_COLUMNS = ("case_id", "user_id", "added_by_id", "created_at")


class CaseMaker:
    """Cases, their feeds and watchers, batch by batch (plain tuples, no model instances)."""

    def __init__(self, rng: random.Random, count: int, people: People, records, teams) -> None:
        from django.db import connection
        from django.utils import timezone

        self.rng, self.count, self.people, self.records = rng, count, people, records
        self.when = _aware(connection.vendor)
        self.now = timezone.now().replace(tzinfo=None)
        self.start = self.now - dt.timedelta(days=HISTORY_DAYS)
        self.step = dt.timedelta(days=HISTORY_DAYS) / max(count, 1)
        choices = seed_data.catalog_choices()
        by_team: dict[int, list[Any]] = {}
        for choice in choices:
            kind = choice.request_type.kind
            if kind and kind not in records:
                continue
            by_team.setdefault(choice.request_type.team_id, []).append(choice)
        self.teams = [teams[n].pk for n in TEAM_WEIGHTS if teams[n].pk in by_team]
        self.team_weights = [TEAM_WEIGHTS[n] for n in TEAM_WEIGHTS if teams[n].pk in by_team]
        self.choices = by_team
        self.details = {id(c): json.dumps(c.details) for c in choices}
        self.snapshots = {
            r.pk: json.dumps(
                {"kind": r.kind, "name": r.name, "external_id": r.external_id, "account": None}
            )
            for rs in records.values()
            for r in rs
        }
        self.descriptions = description_pool(rng, 20_000)
        self.comments = comment_pool(rng, 10_000)
        self.names = {u.pk: u.username for us in people.agents.values() for u in us}
        self.events = 0

    def batches(self) -> Iterator[tuple[list[tuple], list[tuple], list[tuple]]]:
        for first in range(1, self.count + 1, BATCH):
            cases, events, watchers = [], [], []
            for pk in range(first, min(first + BATCH, self.count + 1)):
                self.one(pk, cases, events, watchers)
            self.events += len(events)
            yield cases, events, watchers

    def sla(
        self,
        priority: str,
        created: dt.datetime,
        responded: dt.datetime | None,
        closed: dt.datetime | None,
    ) -> tuple:
        """The clock columns, in wall-clock hours (the engine counts business hours)."""
        first_hours, resolution_hours = SLA_HOURS[priority]
        first_due = created + dt.timedelta(hours=first_hours)
        resolution_due = created + dt.timedelta(hours=resolution_hours)
        stopped = closed or self.now
        late_reply = (responded or stopped) > first_due
        breached = late_reply or stopped > resolution_due
        due = resolution_due if responded else first_due
        warn = created + (due - created) * 0.75
        if breached:
            stage, check = 2, None
        elif closed is None and self.now >= warn:
            stage, check = 1, due
        else:
            stage, check = 0, (warn if closed is None else None)
        when = self.when
        return when(first_due), when(resolution_due), when(due), stage, when(check)

    def one(self, pk: int, cases: list, events: list, watchers: list) -> None:
        rng, people, when = self.rng, self.people, self.when
        team_id = rng.choices(self.teams, weights=self.team_weights)[0]
        choice = rng.choice(self.choices[team_id])
        rt, sub = choice.request_type, choice.sub_request
        record = rng.choice(self.records[rt.kind]) if rt.kind else None
        requester = rng.choices(people.reps, weights=people.rep_weights)[0]
        created = self.start + self.step * (pk - 1) + dt.timedelta(seconds=rng.randrange(600))
        created = min(created, self.now)
        age = (self.now - created).days
        if rng.randrange(100) < (OLD_CLOSED if age > 30 else RECENT_CLOSED):
            status = "closed"
        else:
            status = rng.choices(list(RECENT_STATUSES), weights=list(RECENT_STATUSES.values()))[0]
        priority = rng.choices(list(PRIORITIES), weights=list(PRIORITIES.values()))[0]
        agent = rng.choice(people.agents[team_id]) if status != "new" else None
        responded = created + dt.timedelta(minutes=rng.randrange(20, 2 * 24 * 60))
        closed = (
            responded + dt.timedelta(hours=rng.randrange(1, 20 * 24))
            if status == "closed"
            else None
        )
        if closed is not None and closed > self.now:
            closed = self.now
        what = rt.label + (f" / {sub.label}" if sub else "")
        subject = f"{what} — {record.name}"[:300] if record else what[:300]
        description = rng.choice(self.descriptions)
        if rng.random() < 0.3:
            description += f" PO-{rng.randrange(100000, 999999)}"
        # The feed: created, taken, comments, closed.
        feed = [
            (
                "case.created",
                requester.pk,
                f'{{"priority": "{priority}", "team": {team_id}}}',
                False,
                created,
            )
        ]
        last = created
        if agent is not None:
            name = self.names[agent.pk]
            feed.append(
                (
                    "case.owner_changed",
                    agent.pk,
                    f'{{"from": null, "to": "{name}"}}',
                    False,
                    responded,
                )
            )
            feed.append(
                (
                    "case.status_changed",
                    agent.pk,
                    '{"from": "new", "to": "work_in_progress"}',
                    False,
                    responded,
                )
            )
            last = responded
        for i in range(rng.choices((0, 1, 2, 3), weights=(30, 35, 20, 15))[0] if agent else 0):
            by_team = i % 2 == 0
            actor = agent if by_team else requester
            internal = by_team and rng.random() < 0.1
            at = last + dt.timedelta(minutes=rng.randrange(5, 3 * 24 * 60))
            if closed is not None and at > closed:
                at = closed
            at = min(at, self.now)
            body = json.dumps(
                {"body": rng.choice(self.comments), "mentions": [], "team_handles": []}
            )
            feed.append(("comment.added", actor.pk, body, internal, at))
            last = at
        resolution = ""
        if closed is not None:
            resolution = rng.choices(list(RESOLUTIONS), weights=list(RESOLUTIONS.values()))[0]
            data = json.dumps(
                {
                    "from": "work_in_progress",
                    "to": "closed",
                    "resolution": resolution,
                    "note": "Done.",
                }
            )
            feed.append(("case.status_changed", agent.pk, data, False, closed))
            last = closed
        cases.append(
            (
                pk,
                record.pk if record else None,
                team_id,
                rt.pk,
                sub.pk if sub else None,
                None,
                0,
                subject,
                description,
                self.details[id(choice)],
                self.snapshots[record.pk] if record else "{}",
                priority,
                "Quarter closes this week." if priority == "urgent" else "",
                None,
                status,
                agent.pk if agent else None,
                requester.pk,
                None,
                len(feed),
                when(created),
                when(last),
                when(responded) if agent else None,
                when(closed),
                resolution,
                "Done." if closed else "",
                priority,
                0,
                *self.sla(priority, created, responded if agent else None, closed),
            )
        )
        events += [(pk, k, a, d, i, when(t)) for k, a, d, i, t in feed]
        watchers.append((pk, requester.pk, requester.pk, when(created)))
        if rng.random() < 0.02:
            other = rng.choice(people.reps)
            if other.pk != requester.pk:
                watchers.append((pk, other.pk, requester.pk, when(created)))


def create_recent_views(rng: random.Random, people: People, count: int) -> None:
    from django.contrib.auth.models import AnonymousUser  # noqa: F401  (Django is set up)
    from django.utils import timezone

    from supportdesk.cases.queries import cases_visible_to
    from supportdesk.lists.models import RecentView

    now = timezone.now()
    for user in people.personas.values():
        ids = list(cases_visible_to(user).order_by("-id").values_list("pk", flat=True)[:5000])
        chosen = rng.sample(ids, min(count, len(ids)))
        RecentView.objects.bulk_create(
            RecentView(user=user, case_id=pk, viewed_at=now - dt.timedelta(minutes=i * 7))
            for i, pk in enumerate(chosen)
        )


def build(*, cases: int = 1_000_000, seed: int = 1, log: Any = print) -> Built:
    """Fill the migrated, empty database; the figures and the personas' ids."""
    from django.db import connection, transaction

    from supportdesk.cases.models import Case
    from supportdesk.people.models import Team
    from supportdesk.reports.rollups import rebuild as rebuild_rollups
    from supportdesk.search.documents import index_cases

    rng = random.Random(seed)
    built = Built(cases=cases, events=0)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        built.seconds[name] = now - clock
        clock = now
        log(f"  {name}: {built.seconds[name]:.1f} s")

    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        teams = {t.name: t for t in Team.objects.all()}
        people = create_people(rng, teams)
        kinds = {c.request_type.kind for c in seed_data.catalog_choices()} - {""}
        records = create_records(rng, people, kinds)
    lap("people and records")
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET session_replication_role = replica")  # no FK triggers: a load
        else:
            cursor.execute("PRAGMA cache_size = -400000")
    deferred = drop_indexes(SECONDARY_TABLES)
    deferred_search = drop_indexes(["search_case_index"])  # PostgreSQL's GIN index
    maker = CaseMaker(rng, cases, people, records, teams)
    with transaction.atomic():
        for case_rows, event_rows, watcher_rows in maker.batches():
            insert("cases_case", CASE_COLUMNS, case_rows)
            insert("cases_caseevent", EVENT_COLUMNS, event_rows)
            insert("cases_casewatcher", WATCHER_COLUMNS, watcher_rows)
    built.events = maker.events
    lap("cases, feeds, watchers")
    with transaction.atomic():
        create_indexes(deferred)
    lap("indexes")
    with transaction.atomic():
        index_cases(Case.objects.all())
        create_indexes(deferred_search)
    lap("search index")
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [cases])
    create_recent_views(rng, people, VIEWED)
    rebuild_rollups()  # the rows went in by raw SQL, past the services that keep them
    lap("report rollups")
    with connection.cursor() as cursor:
        # As autovacuum would soon after a load: statistics, and (PostgreSQL) the visibility
        # map that lets index-only scans skip the table.
        cursor.execute("VACUUM ANALYZE" if postgres else "ANALYZE")
    lap("statistics")
    built.personas = {name: user.pk for name, user in people.personas.items()}
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the database; print where")
    args = parser.parse_args()
    db = Database.create(args.db)
    try:
        setup(db)
        print(f"dataset: {args.cases:,} cases on {db.vendor} ({db.where})")
        built = build(cases=args.cases)
        print(f"built:   {built.describe()}")
    finally:
        if args.keep:
            print(f"kept:    reuse with --reuse {db.where}")
        else:
            db.drop()


if __name__ == "__main__":
    main()
