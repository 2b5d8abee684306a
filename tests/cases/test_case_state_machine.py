"""Random sequences of actions by random roles on one case keep the lifecycle's invariants.

Issue 3, "Status lifecycle": a property-based test drives random sequences of actions by
random roles and checks, after every step:

* a closed case has a resolution (category and note) and closed_at; an open case has none;
* an owned case's owner is a member of its team;
* a successful call wrote exactly one feed event per change (see `expected_events`) and
  bumped `version` by exactly one; a call that changed nothing bumped nothing;
* a refused call (ActionNotAllowed, ActionInvalid, CaseConflict) wrote nothing and changed
  nothing (row, events, watchers, notifications);
* only users who may see the case change it, and only through actions `allowed_actions`
  offered them;
* timestamps never go backwards; first_response_at, once set, never changes;
* the requester always sees the case, and never an internal note.

Each hypothesis example runs in a savepoint on the test's transaction and is rolled back.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from supportdesk.cases.actions import (
    ActionInvalid,
    ActionNotAllowed,
    CaseConflict,
    add_comment,
    add_watcher,
    ask_requester,
    assign_case,
    close_case,
    edit_case,
    hold_case,
    move_case,
    rate_case,
    reopen_case,
    resume_case,
    take_case,
)
from supportdesk.cases.models import Case, CaseEvent, CaseWatcher, Resolution, Status
from supportdesk.cases.policy import Action, allowed_actions
from supportdesk.cases.queries import can_see_case, case_for, feed_for
from supportdesk.catalog.models import effective_fields
from supportdesk.catalog.queries import resolve_choice
from supportdesk.notify.models import Notification
from supportdesk.people.models import Membership
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory, quote_question

pytestmark = pytest.mark.django_db

ROLES = [
    "requester",
    "watcher",
    "dd_agent",
    "dd_colleague",
    "dd_lead",
    "billing_agent",
    "billing_lead",
    "admin",
    "stranger",
    "editor",
]
AGENTS = ["dd_agent", "dd_colleague", "dd_lead", "billing_agent", "billing_lead", "admin"]
roles = st.sampled_from(ROLES)


def mostly(*favoured: str) -> st.SearchStrategy[str]:
    """Half the time someone who may plausibly act, half the time anyone at all."""
    return st.one_of(st.sampled_from(favoured), roles)


agents = mostly(*AGENTS)
requester_first = mostly("requester")

MOVE_TARGETS = [
    ("Billing", "Invoice Copy Requests", None),  # needs "Invoice number": Pending Response
    ("Deal Desk", "Quote Help", "Quote Question"),  # the submitted type (needs quote_url)
    ("Deal Desk", "Quote Help", "Process Related Question"),  # same team, nothing required
]
CHANGES = [
    {},
    {"subject": "Ramp quote: which approval?"},
    {"description": "The ramp is 3 years, 10% uplift."},
    {"needed_by": "2099-01-01"},
    {"needed_by": ""},
    {"subject": ""},  # invalid
    {"status": "closed"},  # not editable
]
ANSWERS = [
    None,
    {"invoice_number": "INV-42"},
    {"quote_url": "https://crm.example.com/q/2"},
    {"quote_url": "not a url"},
    {"handbook_link": "https://handbook.example.com/deal-desk"},
]
BODIES = [
    "Any news?",
    "@walt see this",
    "@olga can you confirm?",
    "@carl and @bea please look",
    "cc @billing",
    "   ",  # empty: invalid
]
RESOLUTIONS = [*Resolution.values, "bogus"]

EDITED_COLUMNS = ("subject", "description", "needed_by")
# Actions that accept `version=` (optimistic locking).
VERSIONED = [
    *("take", "assign", "ask", "hold", "resume", "close", "reopen", "move", "edit"),
    *("comment", "internal_note", "add_watcher"),
]


def snapshot(case_pk: int) -> dict[str, Any]:
    return {
        "row": Case.objects.filter(pk=case_pk).values().get(),
        "events": list(
            CaseEvent.objects.filter(case_id=case_pk)
            .order_by("id")
            .values("id", "kind", "data", "internal", "created_at")
        ),
        "watchers": sorted(
            CaseWatcher.objects.filter(case_id=case_pk).values_list("user_id", flat=True)
        ),
        "notifications": Notification.objects.filter(case_id=case_pk).count(),
    }


def required_missing(request_type, sub_request, details: dict) -> bool:
    """True when a required (non-file) answer of this type is empty in `details`."""
    return any(
        d["required"] and d["type"] != "file" and details.get(d["name"]) in (None, "", [])
        for d in effective_fields(request_type, sub_request)
    )


def expected_events(action: str, before: dict, after: dict, new_watchers: int) -> Counter:
    """Exactly one feed event per change the call made.

    take / assign   owner_changed, + status_changed when it left New
    ask             comment.added (the question) + status_changed
    hold, resume,
    close, reopen   status_changed
    move            team_moved, + owner_changed when it had an owner, + status_changed when
                    its status changed (to New, or Pending Response for missing answers)
    comment         comment.added, + watcher.added per newly mentioned user, + status_changed
                    when it is the requester's answer to Pending Response
    internal_note   comment.added (internal)
    add_watcher     watcher.added (nothing when already watching)
    edit            field_changed per changed field (subject, description, needed_by, each
                    answer), + status_changed when the requester completed Pending Response
    rate            case.rated
    """
    b, a = before["row"], after["row"]
    kinds: Counter = Counter()
    own = {
        "ask": CaseEvent.COMMENTED,
        "comment": CaseEvent.COMMENTED,
        "internal_note": CaseEvent.COMMENTED,
        "move": CaseEvent.TEAM_MOVED,
        "rate": CaseEvent.RATED,
    }
    if action in own:
        kinds[own[action]] += 1
    if b["status"] != a["status"]:
        kinds[CaseEvent.STATUS_CHANGED] += 1
    if b["owner_id"] != a["owner_id"]:
        kinds[CaseEvent.OWNER_CHANGED] += 1
    if new_watchers:
        kinds[CaseEvent.WATCHER_ADDED] += new_watchers
    changed = [c for c in EDITED_COLUMNS if b[c] != a[c]]
    keys = set(b["details"]) | set(a["details"])
    changed += [k for k in keys if b["details"].get(k) != a["details"].get(k)]
    if changed:
        kinds[CaseEvent.FIELD_CHANGED] += len(changed)
    return kinds


class CaseLifecycle(RuleBasedStateMachine):
    """One case, many hands. The class attributes are set by the test before it runs."""

    people: ClassVar[dict[str, Any]] = {}
    teams_of: ClassVar[dict[str, set[int]]] = {}
    record_editors: ClassVar[set[str]] = set()  # the record's owner and its edit shares
    record: ClassVar[Any] = None

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        case = quote_question(self.people["requester"], self.record)
        CaseWatcher.objects.create(case=case, user=self.people["watcher"])
        self.pk = case.pk
        self.last = snapshot(self.pk)  # as of the last invariant check: the state before a step
        self.now: dict[str, Any] | None = None  # taken right after the step, if it took one
        self.checked_visibility = False

    @initialize(start=st.sampled_from(["new", "wip", "pending", "on_hold", "closed"]))
    def start_in(self, start: str) -> None:
        """Begin each sequence in a random status, reached the ordinary way."""
        agent = self.people["dd_agent"]
        case = self.fresh()
        if start != "new":
            case = take_case(case, agent=agent)
        if start == "pending":
            ask_requester(case, agent=agent, question="Which quote version?")
        elif start == "on_hold":
            hold_case(case, agent=agent, reason="Waiting on Legal")
        elif start == "closed":
            close_case(case, actor=agent, resolution=Resolution.ANSWERED, note="Answered")
        self.last = snapshot(self.pk)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # ---- the one place every call goes through -------------------------------------------

    def sees(self, role: str, state: dict) -> bool:
        """DESIGN.md's "Who sees a case", restated from the snapshot (no query)."""
        user, row = self.people[role], state["row"]
        return (
            user.is_staff
            or user.pk == row["requester_id"]
            or user.pk in state["watchers"]
            or row["team_id"] in self.teams_of[role]
            or role in self.record_editors
        )

    def fresh(self) -> Case:
        return Case.objects.select_related("team", "request_type", "sub_request").get(pk=self.pk)

    def attempt(
        self,
        role: str,
        action: str,
        permits: set[Action],
        call: Callable[[Case, Any], Any],
        status_if_done: Callable[[Case, dict], str] | None = None,
    ) -> None:
        user = self.people[role]
        case = self.fresh()
        before = self.last
        offered = allowed_actions(user, case)
        visible = self.sees(role, before)
        try:
            call(case, user)
        except (ActionNotAllowed, ActionInvalid, CaseConflict) as refused:
            self.now = snapshot(self.pk)
            assert self.now == before, f"{role} {action}: refused but changed"
            may = bool(permits & offered)
            if isinstance(refused, ActionInvalid):
                assert may, f"{role} {action}: validated for someone who may not act"
            else:
                assert not may, f"{role} {action}: offered, then refused"
            if isinstance(refused, CaseConflict):  # without a version: only a lost take race
                assert action == "take" and "already taken by" in str(refused), refused
            return
        after = self.now = snapshot(self.pk)
        assert visible, f"{role} cannot see the case, yet their {action} succeeded"
        assert permits & offered, f"{role} {action}: succeeded without being offered"
        self.check_change(role, action, before, after)
        if status_if_done is not None:
            want = status_if_done(case, after["row"])
            assert after["row"]["status"] == want, f"{role} {action}: status"

    def check_change(self, role: str, action: str, before: dict, after: dict) -> None:
        b, a = before["row"], after["row"]
        new_events = after["events"][len(before["events"]) :]
        assert after["events"][: len(before["events"])] == before["events"], "feed rewritten"
        new_watchers = len(set(after["watchers"]) - set(before["watchers"]))
        want = expected_events(action, before, after, new_watchers)
        got = Counter(e["kind"] for e in new_events)
        assert got == want, f"{role} {action}: events {dict(got)}, expected {dict(want)}"
        if new_events:
            assert a["version"] == b["version"] + 1, f"{role} {action}: version jumped"
        else:
            assert a == b, f"{role} {action}: no event, yet the row changed"
        for event in new_events:
            if event["kind"] == CaseEvent.STATUS_CHANGED:
                assert (event["data"]["from"], event["data"]["to"]) == (b["status"], a["status"])
            if event["kind"] == CaseEvent.COMMENTED:
                assert event["internal"] == (action == "internal_note")
        if b["first_response_at"] is None and a["first_response_at"] is not None:
            user = self.people[role]
            team_member = Membership.objects.filter(user=user, team_id=b["team_id"]).exists()
            assert user.is_staff or team_member, f"{role} {action} set first_response_at"

    # ---- rules ---------------------------------------------------------------------------

    @rule(role=agents)
    def take(self, role: str) -> None:
        self.attempt(role, "take", {Action.TAKE}, lambda c, u: take_case(c, agent=u))

    @rule(role=agents, assignee=roles)
    def assign(self, role: str, assignee: str) -> None:
        who = self.people[assignee].username
        self.attempt(
            role, "assign", {Action.ASSIGN}, lambda c, u: assign_case(c, actor=u, assignee=who)
        )

    @rule(role=agents)
    def ask(self, role: str) -> None:
        self.attempt(
            role,
            "ask",
            {Action.ASK},
            lambda c, u: ask_requester(c, agent=u, question="Which quote version?"),
            lambda c, a: Status.PENDING_RESPONSE,
        )

    @rule(role=agents, reason=st.sampled_from(["", "Waiting on Legal"]))
    def hold(self, role: str, reason: str) -> None:
        self.attempt(
            role,
            "hold",
            {Action.HOLD},
            lambda c, u: hold_case(c, agent=u, reason=reason),
            lambda c, a: Status.ON_HOLD,
        )

    @rule(role=agents)
    def resume(self, role: str) -> None:
        self.attempt(
            role,
            "resume",
            {Action.RESUME},
            lambda c, u: resume_case(c, agent=u),
            lambda c, a: Status.WORK_IN_PROGRESS,
        )

    @rule(role=agents, resolution=st.sampled_from(RESOLUTIONS), note=st.sampled_from(["", "Done"]))
    def close(self, role: str, resolution: str, note: str) -> None:
        permits = {Action.CLOSE, Action.WITHDRAW} if resolution == "withdrawn" else {Action.CLOSE}
        self.attempt(
            role,
            "close",
            permits,
            lambda c, u: close_case(c, actor=u, resolution=resolution, note=note),
            lambda c, a: Status.CLOSED,
        )

    @rule(role=requester_first)
    def withdraw(self, role: str) -> None:
        self.attempt(
            role,
            "close",
            {Action.CLOSE, Action.WITHDRAW},
            lambda c, u: close_case(
                c, actor=u, resolution=Resolution.WITHDRAWN, note="Sorted it myself"
            ),
            lambda c, a: Status.CLOSED,
        )

    @rule(
        role=mostly("requester", *AGENTS),
        reason=st.sampled_from(["", "The approval is still missing"]),
    )
    def reopen(self, role: str, reason: str) -> None:
        self.attempt(
            role,
            "reopen",
            {Action.REOPEN},
            lambda c, u: reopen_case(c, actor=u, reason=reason),
            lambda c, a: Status.WORK_IN_PROGRESS,
        )

    @rule(role=agents, where=st.sampled_from(MOVE_TARGETS))
    def move(self, role: str, where: tuple[str, str, str | None]) -> None:
        choice = resolve_choice(
            "opportunity", team=where[0], request_type=where[1], sub_request=where[2]
        )
        request_type, sub_request = choice.request_type, choice.sub_request
        self.attempt(
            role,
            "move",
            {Action.MOVE},
            lambda c, u: move_case(
                c,
                agent=u,
                request_type=request_type,
                sub_request=sub_request,
                reason="Misrouted",
            ),
            lambda c, a: (
                Status.PENDING_RESPONSE
                if required_missing(request_type, sub_request, c.details)
                else Status.NEW
            ),
        )

    @rule(role=mostly("requester", "watcher", "dd_agent"), body=st.sampled_from(BODIES))
    def comment(self, role: str, body: str) -> None:
        requester = self.people["requester"]

        def status_after(c: Case, a: dict) -> str:
            answered = self.people[role] == requester and c.status == Status.PENDING_RESPONSE
            return Status.WORK_IN_PROGRESS if answered else c.status

        self.attempt(
            role,
            "comment",
            {Action.COMMENT},
            lambda c, u: add_comment(c, author=u, body=body),
            status_after,
        )

    @rule(role=agents, body=st.sampled_from(BODIES))
    def internal_note(self, role: str, body: str) -> None:
        self.attempt(
            role,
            "internal_note",
            {Action.INTERNAL_NOTE},
            lambda c, u: add_comment(c, author=u, body=body, internal=True),
            lambda c, a: c.status,
        )

    @rule(role=mostly("requester", "dd_agent"), name=st.sampled_from([*ROLES, "nobody"]))
    def watch(self, role: str, name: str) -> None:
        username = self.people[name].username if name in self.people else "nobody"
        self.attempt(
            role,
            "add_watcher",
            {Action.ADD_WATCHER},
            lambda c, u: add_watcher(c, actor=u, username=username),
            lambda c, a: c.status,
        )

    @rule(
        role=mostly("requester", "dd_agent", "billing_agent"),
        changes=st.sampled_from(CHANGES),
        answers=st.sampled_from(ANSWERS),
    )
    def edit(self, role: str, changes: dict, answers: dict | None) -> None:
        requester = self.people["requester"]

        def status_after(c: Case, a: dict) -> str:
            """The requester's edit that leaves nothing required empty ends Pending Response."""
            edited = any(getattr(c, f) != a[f] for f in EDITED_COLUMNS) or c.details != a["details"]
            complete = not required_missing(c.request_type, c.sub_request, a["details"])
            answered = self.people[role] == requester and c.status == Status.PENDING_RESPONSE
            return Status.WORK_IN_PROGRESS if answered and edited and complete else c.status

        self.attempt(
            role,
            "edit",
            {Action.EDIT},
            lambda c, u: edit_case(c, actor=u, changes=changes, answers=answers),
            status_after,
        )

    @rule(role=requester_first, score=st.sampled_from([0, 1, 4, 5, 6]))
    def rate(self, role: str, score: int) -> None:
        self.attempt(
            role,
            "rate",
            {Action.RATE},
            lambda c, u: rate_case(c, requester=u, score=score, comment="Thanks"),
            lambda c, a: c.status,
        )

    @rule(role=roles, action=st.sampled_from(VERSIONED), offset=st.sampled_from([-1, 1]))
    def stale(self, role: str, action: str, offset: int) -> None:
        """A call made from a page opened before (or after) the case's current version."""
        case = self.fresh()
        stale = case.version + offset
        user = self.people[role]
        lead = self.people["dd_lead"].username
        calls: dict[str, Callable[[], Any]] = {
            "take": lambda: take_case(case, agent=user, version=stale),
            "assign": lambda: assign_case(case, actor=user, assignee=lead, version=stale),
            "ask": lambda: ask_requester(case, agent=user, question="?", version=stale),
            "hold": lambda: hold_case(case, agent=user, version=stale),
            "resume": lambda: resume_case(case, agent=user, version=stale),
            "close": lambda: close_case(
                case, actor=user, resolution="resolved", note="x", version=stale
            ),
            "reopen": lambda: reopen_case(case, actor=user, reason="x", version=stale),
            "move": lambda: move_case(
                case, agent=user, request_type=case.request_type, reason="x", version=stale
            ),
            "edit": lambda: edit_case(case, actor=user, changes={"subject": "x"}, version=stale),
            "comment": lambda: add_comment(case, author=user, body="x", version=stale),
            "internal_note": lambda: add_comment(
                case, author=user, body="x", internal=True, version=stale
            ),
            "add_watcher": lambda: add_watcher(case, actor=user, username="rita", version=stale),
        }
        with pytest.raises(CaseConflict):
            calls[action]()
        self.now = snapshot(self.pk)
        assert self.now == self.last, f"stale {action} changed the case"

    @precondition(lambda self: self.last["row"]["status"] == Status.CLOSED)
    @rule()
    def time_passes_beyond_the_reopen_window(self) -> None:
        """Not an action: the case was closed longer ago than the requester may reopen."""
        days = django_settings.CASE_REOPEN_DAYS + 1
        Case.objects.filter(pk=self.pk).update(closed_at=timezone.now() - dt.timedelta(days=days))
        self.last["row"] = Case.objects.filter(pk=self.pk).values().get()

    # ---- invariants ----------------------------------------------------------------------

    @invariant()
    def invariants_hold(self) -> None:
        now = self.now or snapshot(self.pk)
        row, last = now["row"], self.last["row"]
        if row["status"] == Status.CLOSED:
            assert row["resolution"] in Resolution.values and row["resolution_note"]
            assert row["closed_at"] is not None
        else:
            assert row["status"] in Status.values
            assert (row["resolution"], row["resolution_note"], row["closed_at"]) == ("", "", None)
        if row["owner_id"] is not None:
            member = Membership.objects.filter(user_id=row["owner_id"], team_id=row["team_id"])
            assert member.exists(), "the owner is not a member of the case's team"
        assert row["version"] >= last["version"]
        assert (row["version"] > last["version"]) == (len(now["events"]) > len(self.last["events"]))
        assert row["created_at"] == last["created_at"]
        assert row["updated_at"] >= last["updated_at"], "updated_at went backwards"
        stamps = [e["created_at"] for e in now["events"]]
        assert stamps == sorted(stamps), "feed event times go backwards"
        assert stamps[0] >= row["created_at"]
        if last["first_response_at"] is not None:
            assert row["first_response_at"] == last["first_response_at"]
        if now != self.last or not self.checked_visibility:
            requester = self.people["requester"]
            case = case_for(requester, Case(pk=self.pk).number)  # raises Http404 if hidden
            assert not feed_for(requester, case).filter(internal=True).exists()
            assert not feed_for(self.people["watcher"], case).filter(internal=True).exists()
            for role in ("stranger", "billing_agent"):  # the oracle `sees` agrees with the rule
                assert can_see_case(self.people[role], case) == self.sees(role, now), role
            self.checked_visibility = True
        self.last, self.now = now, None


def test_random_sequences_of_actions_keep_the_case_invariants(
    rep, opportunity, deal_desk_agent, deal_desk_colleague, deal_desk_lead, billing_agent,
    admin_user, outsider, other_rep, shared_edit, watcher,
):  # fmt: skip
    billing_lead = UserFactory(username="bill", first_name="Bill", last_name="Lead")
    MembershipFactory(user=billing_lead, team=team("Billing"), role=Membership.Role.LEAD)
    CaseLifecycle.people = {
        "requester": rep,
        "watcher": watcher,
        "dd_agent": deal_desk_agent,
        "dd_colleague": deal_desk_colleague,
        "dd_lead": deal_desk_lead,
        "billing_agent": billing_agent,
        "billing_lead": billing_lead,
        "admin": admin_user,
        "stranger": outsider,
        "editor": other_rep,
    }
    CaseLifecycle.teams_of = {
        role: set(Membership.objects.filter(user=user).values_list("team_id", flat=True))
        for role, user in CaseLifecycle.people.items()
    }
    CaseLifecycle.record_editors = {"requester", "editor"}  # rep owns it; other_rep: edit share
    CaseLifecycle.record = opportunity
    run_state_machine_as_test(
        CaseLifecycle,
        settings=settings(
            max_examples=int(os.environ.get("CASE_MACHINE_EXAMPLES", "50")),
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_a_move_records_the_owner_and_status_it_changed(quote_case, deal_desk_agent):
    """Moving an owned Work in Progress case drops the owner and changes the status: the feed
    (the audit trail) must say so, one event per change, as a take does."""
    case = take_case(quote_case, agent=deal_desk_agent)
    seen = case.events.count()
    invoice = resolve_choice(
        "opportunity", team="Billing", request_type="Invoice Copy Requests", sub_request=None
    )
    case = move_case(
        case, agent=deal_desk_agent, request_type=invoice.request_type, reason="An invoice"
    )
    assert (case.owner, case.status) == (None, Status.PENDING_RESPONSE)
    new = list(case.events.order_by("id")[seen:])
    assert Counter(e.kind for e in new) == {
        CaseEvent.TEAM_MOVED: 1,
        CaseEvent.OWNER_CHANGED: 1,
        CaseEvent.STATUS_CHANGED: 1,
    }
    status = next(e for e in new if e.kind == CaseEvent.STATUS_CHANGED)
    assert (status.data["from"], status.data["to"]) == (
        Status.WORK_IN_PROGRESS,
        Status.PENDING_RESPONSE,
    )
