"""Fast benchmark data: many cases over teams, requesters and records, and one long-feed case.

    SUPPORTDESK_VAR_DIR=/tmp/sd-seed python bench/seed_data.py --cases 100000 --events 500
    DATABASE_URL=postgres://postgres@127.0.0.1/bench python bench/seed_data.py

From a benchmark (bench/ is on sys.path; Django set up on a migrated, throw-away database):

    import seed_data
    seed_data.setup_django(env)   # env as the server gets it (SUPPORTDESK_VAR_DIR, DATABASE_URL)
    seed_data.migrate()           # the catalog loads on migrate
    seeded = seed_data.seed(cases=100_000, feed_events=500)

It uses the real catalog's request types, writes rows with `bulk_create` in batches inside one
transaction (each case with its `case.created` event and its requester as watcher), then gives
the last case — an opportunity's Deal Desk request, owned by `bench-agent`, requested by
`bench-requester` — a feed of `feed_events` events: comments (some internal notes), status,
owner and field changes, watchers added and a few attachments stored through Django's default
storage. Logins (password BENCH_PASSWORD): bench-requester, bench-agent, bench-admin (staff).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

BENCH_PASSWORD = "bench-password-1"  # noqa: S105 -- a throw-away database's logins
TARGET_TEAM = "Deal Desk"
REQUESTERS = 200
AGENTS_PER_TEAM = 3
CASES_PER_RECORD = 20
MIN_FEED = 10
MIN_CASES = 100  # so that the team surely has another case
NO_RECORD = ""  # a request type's kind when it is raised without a record (problem reports)
BATCH = 5000
HISTORY_DAYS = 730
FEED_DAYS = 30
STATUS_WEIGHTS = {
    "new": 10,
    "work_in_progress": 20,
    "pending_response": 8,
    "on_hold": 7,
    "closed": 55,
}
FEED_WEIGHTS = {
    "comment.added": 58,
    "case.status_changed": 14,
    "case.owner_changed": 8,
    "case.field_changed": 13,
    "watcher.added": 6,
}
FEED_ATTACHMENTS = 4  # `attachment.added` events; 3 more files come with comments
COMMENT_FILES = 3


def setup_django(env: dict[str, str]) -> None:
    """Set Django up in this process with the server's environment (var dir, database)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # an access-log line per timed request
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@dataclass
class People:
    requester: Any
    agent: Any
    admin: Any
    team: Any
    requesters: list[Any]
    agents: dict[int, list[Any]]  # team id → agents


@dataclass(frozen=True)
class Choice:
    """A request type (and sub-request) a case can be for, with answers to its fields."""

    request_type: Any
    sub_request: Any
    details: dict[str, Any]
    fields: list[dict[str, Any]]


@dataclass(frozen=True)
class Seeded:
    cases: int
    target: str  # the long-feed case's number
    small: str  # a case of the same team with only its `case.created` event
    feed: Counter  # its events by kind
    internal: int  # how many of them are internal notes
    attachments: int
    seconds: float

    @property
    def feed_events(self) -> int:
        return sum(self.feed.values())

    def describe_feed(self) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.feed.most_common())
        return f"{self.feed_events} feed events ({kinds}; {self.internal} internal notes)"


def seed(*, cases: int = 100_000, feed_events: int = 500, seed: int = 1) -> Seeded:
    """Fill the (migrated) database; the last case gets `feed_events` events."""
    from django.db import connection, transaction

    if feed_events < MIN_FEED or cases < MIN_CASES:
        raise ValueError(f"seed at least {MIN_CASES} cases and {MIN_FEED} feed events")
    started = time.perf_counter()
    rng = random.Random(seed)
    with transaction.atomic():
        people = create_people(rng)
        choices = catalog_choices()
        kinds = {c.request_type.kind for c in choices} - {NO_RECORD}
        records = create_records(rng, people, kinds, max(50, cases // CASES_PER_RECORD))
        create_cases(rng, cases - 1, choices, records, people)
        target, choice = create_target_case(rng, choices, records, people)
        events = create_feed(rng, target, choice, people, feed_events - 1)
        small = target.team.cases.exclude(pk=target.pk).order_by("-pk").first()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would, soon after a bulk load
    return Seeded(
        cases=cases,
        target=target.number,
        small=small.number,
        feed=Counter(["case.created", *(e.kind for e in events)]),
        internal=sum(e.internal for e in events),
        attachments=target.attachments.count(),
        seconds=time.perf_counter() - started,
    )


# ---- people, catalog, records ------------------------------------------------------------


def create_people(rng: random.Random) -> People:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from supportdesk.people.models import Membership, Team
    from supportdesk.people.services import user_upsert

    team = Team.objects.get(name=TARGET_TEAM)
    User = get_user_model()

    def login(username: str, **extra: Any) -> Any:
        return user_upsert(username=username, password=BENCH_PASSWORD, **extra)

    requester = login("bench-requester", full_name="Rae Quester")
    agent = login("bench-agent", full_name="Ada Gent", memberships=[(team.name, "agent")])
    admin = login("bench-admin", full_name="Ops Admin", is_admin=True)
    unusable = make_password(None)
    first = ["Alex", "Jordan", "Chris", "Taylor", "Morgan", "Sky", "Robin", "Sam", "Lee", "Kai"]
    last = ["Kim", "Blake", "Novak", "Ng", "Hale", "Park", "Reyes", "Ito", "Berg", "Okafor"]

    def user(username: str) -> Any:
        return User(
            username=username,
            first_name=rng.choice(first),
            last_name=rng.choice(last),
            email=f"{username}@example.com",
            password=unusable,
        )

    requesters = User.objects.bulk_create(user(f"rep{i:03d}") for i in range(REQUESTERS))
    teams = list(Team.objects.all())
    made = User.objects.bulk_create(
        user(f"agent-{t.slug}-{i}") for t in teams for i in range(AGENTS_PER_TEAM)
    )
    agents = {
        t.pk: made[n * AGENTS_PER_TEAM : (n + 1) * AGENTS_PER_TEAM] for n, t in enumerate(teams)
    }
    Membership.objects.bulk_create(
        Membership(user=u, team_id=team_id) for team_id, users in agents.items() for u in users
    )
    agents[team.pk] = [agent, *agents[team.pk]]
    return People(requester, agent, admin, team, [requester, *requesters], agents)


SAMPLES: dict[str, Any] = {
    "text": "See the description",
    "long_text": "Customer asked for this on the last call; the details are in the description.",
    "number": 250,
    "money": "48000.00",
    "percent": "10",
    "date": "2027-03-31",
    "user": "bench-agent",
    "url": "https://crm.example.com/quotes/Q-1001",
    "email": "ap@example.org",
    "checkbox": True,
    "record": "001BENCH00000001",
}


def sample_details(fields: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A plausible answer to every non-file field."""
    details: dict[str, Any] = {}
    for definition in fields:
        kind, options = definition["type"], definition.get("options") or []
        if kind == "file":
            continue
        if kind == "picklist":
            details[definition["name"]] = options[0] if options else "Other"
        elif kind == "multi_picklist":
            details[definition["name"]] = options[:2]
        else:
            details[definition["name"]] = SAMPLES.get(kind, "See the description")
    return details


def catalog_choices() -> list[Choice]:
    from supportdesk.catalog.models import RequestType, effective_fields

    choices = []
    types = RequestType.objects.filter(is_active=True).select_related("team")
    for rt in types.prefetch_related("sub_requests"):
        subs = [s for s in rt.sub_requests.all() if s.is_active] or [None]
        for sub in subs:
            fields = effective_fields(rt, sub)
            choices.append(Choice(rt, sub, sample_details(fields), fields))
    return choices


STAGES = ["1-Discovery", "2-Scoping", "3-Technical Evaluation", "4-Proposal", "5-Negotiating"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Soylent"]


def record_attributes(rng: random.Random, kind: str) -> dict[str, Any]:
    if kind == "opportunity":
        return {
            "stage": rng.choice(STAGES),
            "amount": str(rng.randrange(5, 500) * 1000),
            "close_date": f"2027-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "order_type": rng.choice(["Renewal", "Growth", "New Business"]),
        }
    return {"region": rng.choice(["AMER", "EMEA", "APAC"]), "segment": rng.choice(["SMB", "Large"])}


def create_records(
    rng: random.Random, people: People, kinds: set[str], count: int
) -> dict[str, list[Any]]:
    """`count` records over the kinds the catalog serves, owned by requesters; by kind."""
    from supportdesk.records.models import Record

    ordered = sorted(kinds)
    rows = []
    for i in range(count):
        kind = "opportunity" if i % 2 == 0 else ordered[(i // 2) % len(ordered)]
        rows.append(
            Record(
                kind=kind,
                name=f"{rng.choice(COMPANIES)} — {kind.replace('_', ' ').title()} {i}",
                external_id=f"BENCH{i:011d}",
                owner=rng.choice(people.requesters),
                attributes=record_attributes(rng, kind),
            )
        )
    rows[0].owner = people.requester  # the target case's record (an opportunity)
    by_kind: dict[str, list[Any]] = {}
    for record in Record.objects.bulk_create(rows, batch_size=BATCH):
        by_kind.setdefault(record.kind, []).append(record)
    return by_kind


def snapshot(record: Any) -> dict[str, Any]:
    """The record's facts kept with the case (as cases.services.record_snapshot writes them)."""
    return {
        "kind": record.kind,
        "name": record.name,
        "external_id": record.external_id,
        "owner": record.owner.get_username(),
        "account": None,
        "attributes": dict(record.attributes),
    }


# ---- cases -------------------------------------------------------------------------------

DESCRIPTIONS = [
    "Customer procurement asked for this **before the end of the quarter**.\n\n"
    "- Contract: see the linked opportunity\n- Contact: their AP team\n",
    "Please review the attached terms and confirm what we can offer. "
    "The account team is on the hook for an answer by Friday.",
    "Renewal is at risk: the customer wants a *co-termed* order and a single invoice.\n\n"
    "1. Align the dates\n2. Re-quote\n3. Send for signature\n",
]


def new_case(
    rng: random.Random,
    choice: Choice,
    record: Any,
    requester: Any,
    people: People,
    created_at: dt.datetime,
) -> Any:
    from supportdesk.cases.models import Case
    from supportdesk.cases.services import case_subject

    rt, status = choice.request_type, weighted(rng, STATUS_WEIGHTS)
    responded = created_at + dt.timedelta(hours=rng.randrange(1, 48))
    case = Case(
        record=record,
        team_id=rt.team_id,
        request_type=rt,
        sub_request=choice.sub_request,
        subject=case_subject(record, rt, choice.sub_request),
        description=rng.choice(DESCRIPTIONS),
        details=choice.details,
        record_snapshot=snapshot(record) if record is not None else {},
        priority=rng.choice(["low", "medium", "medium", "high", "urgent"]),
        status=status,
        requester=requester,
        created_at=created_at,
        updated_at=responded if status != "new" else created_at,
    )
    if case.priority == "urgent":
        case.urgent_reason = "Quarter closes this week."
    if status != "new":
        case.owner = rng.choice(people.agents[rt.team_id])
        case.first_response_at = responded
    if status == "closed":
        case.closed_at, case.resolution = responded, "resolved"
    return case


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def create_cases(
    rng: random.Random,
    count: int,
    choices: list[Choice],
    records: dict[str, list[Any]],
    people: People,
) -> None:
    """`count` cases, oldest first, with their `case.created` events and requester watchers."""
    from django.utils import timezone

    from supportdesk.cases.models import Case

    now = timezone.now()
    step = dt.timedelta(days=HISTORY_DAYS) / max(count, 1)
    start = now - dt.timedelta(days=HISTORY_DAYS)
    for first in range(0, count, BATCH):
        batch = []
        for i in range(first, min(first + BATCH, count)):
            choice = rng.choice(choices)
            kind = choice.request_type.kind
            record = rng.choice(records[kind]) if kind != NO_RECORD else None
            requester = rng.choice(people.requesters)
            batch.append(new_case(rng, choice, record, requester, people, start + step * i))
        write_opening(Case.objects.bulk_create(batch))


def write_opening(cases: Sequence[Any]) -> None:
    """Each new case's `case.created` event and its requester as watcher (as submit_case)."""
    from supportdesk.cases.models import CaseEvent, CaseWatcher

    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=c.pk,
            kind=CaseEvent.CREATED,
            actor_id=c.requester_id,
            data={"priority": c.priority, "team": c.team_id},
            created_at=c.created_at,
        )
        for c in cases
    )
    CaseWatcher.objects.bulk_create(
        CaseWatcher(
            case_id=c.pk,
            user_id=c.requester_id,
            added_by_id=c.requester_id,
            created_at=c.created_at,
        )
        for c in cases
    )


def create_target_case(
    rng: random.Random, choices: list[Choice], records: dict[str, list[Any]], people: People
) -> tuple[Any, Choice]:
    """The last case: the richest Deal Desk opportunity request, on bench-requester's record."""
    from django.utils import timezone

    from supportdesk.cases.models import Case

    ours = [
        c
        for c in choices
        if c.request_type.team_id == people.team.pk and c.request_type.kind == "opportunity"
    ]
    choice = max(ours, key=lambda c: len(c.details))
    record = next(r for r in records["opportunity"] if r.owner_id == people.requester.pk)
    created_at = timezone.now() - dt.timedelta(days=FEED_DAYS)
    case = new_case(rng, choice, record, people.requester, people, created_at)
    case.description = "\n\n".join(DESCRIPTIONS)
    case.status, case.owner, case.closed_at, case.resolution = "new", None, None, ""
    case.first_response_at = None
    (case,) = Case.objects.bulk_create([case])
    write_opening([case])
    return case, choice


# ---- the long feed -----------------------------------------------------------------------

PARAGRAPHS = [
    "Thanks — I checked the quote and the **discount** is within the approved band.",
    "Can you confirm the billing contact? The PO says *Accounts Payable* but the contract "
    "names the CFO.",
    "Spoke to the customer; they need the order form by **Thursday** to make the quarter.",
    "Notes from the call:\n\n- ramp over 3 years\n- net 45 payment terms\n- co-term with the "
    "existing subscription",
    "The [pricing guide](https://wiki.example.com/pricing) says this needs VP approval above 20 %.",
    "> Can we do annual billing instead of quarterly?\n\nYes, as long as the first invoice is "
    "issued at signature.",
    "Updated `Q-1001` with the new quantities; please re-check the totals before it goes out.",
    "I've attached the redlines from legal. Two clauses still need a decision.",
    "Following up: any news on this? The customer asked again this morning.",
    "Approved. Moving this forward.",
]
FILES = [
    ("order-form-Q-1001.pdf", "application/pdf"),
    ("redlines-v2.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml"),
    ("pricing-calculator.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml"),
    ("screenshot-portal.png", "image/png"),
    ("po-4471.pdf", "application/pdf"),
    ("call-notes.txt", "text/plain"),
    ("signed-quote.pdf", "application/pdf"),
]
OPEN_STATUSES = ["work_in_progress", "pending_response", "on_hold"]


@dataclass
class FeedState:
    """What the feed has done to the case so far."""

    status: str
    owner: str | None
    details: dict[str, Any]
    watching: set[int]
    last_owner_event: int
    last_status_event: int


def comment_body(rng: random.Random) -> str:
    return "\n\n".join(rng.sample(PARAGRAPHS, rng.choice([1, 1, 2, 2, 3])))


def feed_kinds(rng: random.Random, count: int) -> list[str]:
    kinds = [weighted(rng, FEED_WEIGHTS) for _ in range(count - FEED_ATTACHMENTS)]
    for _ in range(FEED_ATTACHMENTS):
        kinds.insert(rng.randrange(len(kinds) + 1), "attachment.added")
    kinds[0] = "case.owner_changed"  # an agent takes the case first
    if "case.status_changed" not in kinds:
        kinds[-1] = "case.status_changed"
    return kinds


def create_feed(
    rng: random.Random, case: Any, choice: Choice, people: People, count: int
) -> list[Any]:
    """`count` events after the case's creation, spread over FEED_DAYS days."""
    from supportdesk.cases.models import Case, CaseEvent

    kinds = feed_kinds(rng, count)
    state = FeedState(
        status="new",
        owner=None,
        details=dict(case.details),
        watching={case.requester_id},
        last_owner_event=max(i for i, k in enumerate(kinds) if k == "case.owner_changed"),
        last_status_event=max(i for i, k in enumerate(kinds) if k == "case.status_changed"),
    )
    files = store_files(rng, case, people)
    standalone = iter(files[COMMENT_FILES:])
    step = dt.timedelta(days=FEED_DAYS) / (count + 1)
    events = []
    for i, kind in enumerate(kinds):
        actor, data, internal = feed_event(rng, i, kind, case, choice, people, state, standalone)
        at = case.created_at + step * (i + 1)
        events.append(
            CaseEvent(
                case=case, kind=kind, actor=actor, data=data, internal=internal, created_at=at
            )
        )
    events = CaseEvent.objects.bulk_create(events)
    link_files(rng, files, events)
    Case.objects.filter(pk=case.pk).update(
        status=state.status,
        owner=people.agent,
        details=state.details,
        first_response_at=events[0].created_at,
        updated_at=events[-1].created_at,
        version=1 + count,
    )
    return events


def feed_event(
    rng: random.Random,
    i: int,
    kind: str,
    case: Any,
    choice: Choice,
    people: People,
    state: FeedState,
    standalone: Iterator[Any],
) -> tuple[Any, dict[str, Any], bool]:
    """(actor, data, internal) of the i-th feed event, updating `state`."""
    agents = people.agents[people.team.pk]
    agent = rng.choice(agents)
    if kind == "comment.added":
        author = rng.choice([people.requester, people.agent, agent])
        internal = author is not people.requester and rng.random() < 0.3
        return author, {"body": comment_body(rng), "mentions": []}, internal
    if kind == "case.status_changed":
        choices = [s for s in OPEN_STATUSES if s != state.status]
        after = "work_in_progress" if i == state.last_status_event else rng.choice(choices)
        data = {"from": state.status, "to": after}
        state.status = after
        return agent, data, False
    if kind == "case.owner_changed":
        to = people.agent if i == state.last_owner_event else agent
        data = {"from": state.owner, "to": to.get_username()}
        state.owner = to.get_username()
        return agent, data, False
    if kind == "case.field_changed":
        return agent, field_change(rng, choice.fields, state), False
    if kind == "watcher.added":
        return agent, add_watcher(rng, case, people, state, agent), False
    attachment = next(standalone)
    return attachment.uploaded_by, {"attachment": attachment.pk, "name": attachment.name}, False


def field_change(rng: random.Random, fields: list[dict], state: FeedState) -> dict[str, Any]:
    editable = [f for f in fields if f["type"] in ("text", "long_text", "url", "number", "date")]
    definition = rng.choice(editable or [{"name": "priority", "label": "Priority"}])
    name = definition["name"]
    before = state.details.get(name)
    after = f"{SAMPLES.get(definition.get('type', ''), 'Updated')} (rev {rng.randrange(2, 99)})"
    if name != "priority":
        state.details[name] = after
    return {"field": name, "label": definition["label"], "from": before, "to": after}


def add_watcher(
    rng: random.Random, case: Any, people: People, state: FeedState, by: Any
) -> dict[str, Any]:
    from supportdesk.cases.models import CaseWatcher

    user = rng.choice([u for u in people.requesters if u.pk not in state.watching])
    state.watching.add(user.pk)
    CaseWatcher.objects.create(case=case, user=user, added_by=by)
    return {"user": user.get_username(), "reason": "added"}


def store_files(rng: random.Random, case: Any, people: People) -> list[Any]:
    """A few small files written through the default storage, as the case's attachments."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from supportdesk.cases.models import Attachment, attachment_path

    made = []
    for name, content_type in FILES[: COMMENT_FILES + FEED_ATTACHMENTS]:
        content = f"{name}\n".encode() + rng.randbytes(rng.randrange(2_000, 40_000))
        stored = default_storage.save(attachment_path(None, name), ContentFile(content))
        uploader = rng.choice([people.requester, people.agent])
        made.append(
            Attachment(
                case=case,
                file=stored,
                name=name,
                size=len(content),
                content_type=content_type,
                uploaded_by=uploader,
            )
        )
    return Attachment.objects.bulk_create(made)


def link_files(rng: random.Random, files: list[Any], events: list[Any]) -> None:
    """Date the files by their events; the others came with comments (their uploader's)."""
    from supportdesk.cases.models import Attachment

    added = {e.data["attachment"]: e for e in events if e.kind == "attachment.added"}
    comments = [e for e in events if e.kind == "comment.added"]
    for attachment in files:
        event = added.get(attachment.pk)
        if event is None and comments:
            theirs = [e for e in comments if e.actor_id == attachment.uploaded_by_id]
            event = attachment.event = rng.choice(theirs or comments)
        attachment.created_at = (event or events[-1]).created_at
    Attachment.objects.bulk_update(files, ["event", "created_at"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=500, help="feed events of the target case")
    args = parser.parse_args()
    setup_django(dict(os.environ))
    migrate()
    seeded = seed(cases=args.cases, feed_events=args.events)
    print(f"seeded {seeded.cases} cases in {seeded.seconds:.1f} s")
    print(f"case {seeded.target}: {seeded.describe_feed()}, {seeded.attachments} attachments")


if __name__ == "__main__":
    main()
