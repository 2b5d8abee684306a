"""Who may do what to a case, in every status: role × action × status, through the services.

The table below is the rule written from issue 3 ("Ownership and routing", "Status
lifecycle", "The feed") and DESIGN.md ("Who sees a case", "Status machine"). Each cell is
checked by calling the real action function (not only `policy.allowed_actions`):

* allowed (Y):   the call succeeds, writes the event that action is about, bumps `version`
                 once and, for status changes, lands in the status the lifecycle names;
* forbidden (.): the call raises ActionNotAllowed (or, for an agent of the team taking a
                 case someone owns, CaseConflict "already taken by …", as a lost race
                 does) and the case row, its events, watchers, attachments and
                 notifications are exactly as before.

Every cell runs in its own savepoint that is rolled back, so all cells of a row start from
the same case. A failing row lists every wrong cell at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from supportdesk.cases.actions import (
    ActionNotAllowed,
    CaseConflict,
    add_attachments,
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
from supportdesk.cases.merge import merge_case
from supportdesk.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseWatcher,
    Resolution,
    Status,
)
from supportdesk.cases.policy import Action
from supportdesk.cases.priority import change_priority
from supportdesk.cases.queries import can_see_case
from supportdesk.cases.services import create_upload
from supportdesk.catalog.queries import resolve_choice
from supportdesk.notify.models import Notification
from tests.factories import UserFactory, quote_question

pytestmark = pytest.mark.django_db

# Columns: one per `Action` member.
COLUMNS = {
    "tk": Action.TAKE,
    "as": Action.ASSIGN,  # to the team lead (a member of the team who is not the owner)
    "ak": Action.ASK,
    "hd": Action.HOLD,
    "rs": Action.RESUME,
    "cl": Action.CLOSE,  # close_case(resolution="resolved")
    "wd": Action.WITHDRAW,  # close_case(resolution="withdrawn"): the team may close so too
    "ro": Action.REOPEN,
    "mv": Action.MOVE,  # to Billing / Invoice Copy Requests (lacks "Invoice number")
    "aw": Action.ADD_WATCHER,
    "ed": Action.EDIT,  # a new description
    "cm": Action.COMMENT,
    "in": Action.INTERNAL_NOTE,
    "ra": Action.RATE,  # rate_case(score=4)
    "mg": Action.MERGE,  # into another open Deal Desk case of the requester (cases.merge)
    "pr": Action.CHANGE_PRIORITY,  # to High, with a reason (cases.priority)
}

# Roles: requester   submitted the case (and owns the record)
#        watcher     watches the case, nothing more
#        agent       agent of the owning team; the owner once the case is taken
#        colleague   another agent of the owning team
#        lead        lead of the owning team
#        other_team  agent of another team (Billing): cannot see the case
#        admin       ops admin (staff), not a member of the team
#        stranger    an ordinary user with no link to the case: cannot see it
#        editor      has edit access to the record (an edit share): sees the case
# Statuses: new, wip (taken), pending (asked), on_hold, closed (just now), closed_old (closed
# more than CASE_REOPEN_DAYS ago: the requester may no longer reopen).
#
# Decisions where the issue is silent: anyone of the team assigns a queued case, but only the
# owner, a lead or an admin reassigns an owned one (DESIGN: leads reassign); after closing,
# the requester reopens within the window, and leads and admins may reopen at any age as an
# override; the team may Resume from Pending Response (e.g. the answer came by phone); an
# admin may not Take (not a member) but may Assign.
MATRIX = """
role        status      tk as ak hd rs cl wd ro mv aw ed cm in ra mg pr
requester   new         .  .  .  .  .  .  Y  .  .  Y  Y  Y  .  .  .  .
requester   wip         .  .  .  .  .  .  Y  .  .  Y  .  Y  .  .  .  .
requester   pending     .  .  .  .  .  .  Y  .  .  Y  Y  Y  .  .  .  .
requester   on_hold     .  .  .  .  .  .  Y  .  .  Y  .  Y  .  .  .  .
requester   closed      .  .  .  .  .  .  .  Y  .  Y  .  Y  .  Y  .  .
requester   closed_old  .  .  .  .  .  .  .  .  .  Y  .  Y  .  Y  .  .
watcher     new         .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
watcher     wip         .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
watcher     pending     .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
watcher     on_hold     .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
watcher     closed      .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
watcher     closed_old  .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
agent       new         Y  Y  .  .  .  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
agent       wip         .  Y  Y  Y  .  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
agent       pending     .  Y  .  .  Y  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
agent       on_hold     .  Y  Y  .  Y  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
agent       closed      .  .  .  .  .  .  .  .  .  Y  .  Y  Y  .  .  .
agent       closed_old  .  .  .  .  .  .  .  .  .  Y  .  Y  Y  .  .  .
colleague   new         Y  Y  .  .  .  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
colleague   wip         .  .  Y  Y  .  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
colleague   pending     .  .  .  .  Y  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
colleague   on_hold     .  .  Y  .  Y  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
colleague   closed      .  .  .  .  .  .  .  .  .  Y  .  Y  Y  .  .  .
colleague   closed_old  .  .  .  .  .  .  .  .  .  Y  .  Y  Y  .  .  .
lead        new         Y  Y  .  .  .  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
lead        wip         .  Y  Y  Y  .  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
lead        pending     .  Y  .  .  Y  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
lead        on_hold     .  Y  Y  .  Y  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
lead        closed      .  .  .  .  .  .  .  Y  .  Y  .  Y  Y  .  .  .
lead        closed_old  .  .  .  .  .  .  .  Y  .  Y  .  Y  Y  .  .  .
other_team  new         .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
other_team  wip         .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
other_team  pending     .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
other_team  on_hold     .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
other_team  closed      .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
other_team  closed_old  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
admin       new         .  Y  .  .  .  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
admin       wip         .  Y  Y  Y  .  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
admin       pending     .  Y  .  .  Y  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
admin       on_hold     .  Y  Y  .  Y  Y  Y  .  Y  Y  Y  Y  Y  .  Y  Y
admin       closed      .  .  .  .  .  .  .  Y  .  Y  .  Y  Y  .  .  .
admin       closed_old  .  .  .  .  .  .  .  Y  .  Y  .  Y  Y  .  .  .
stranger    new         .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
stranger    wip         .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
stranger    pending     .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
stranger    on_hold     .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
stranger    closed      .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
stranger    closed_old  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
editor      new         .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
editor      wip         .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
editor      pending     .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
editor      on_hold     .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
editor      closed      .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
editor      closed_old  .  .  .  .  .  .  .  .  .  .  .  Y  .  .  .  .
"""

ROLES = {
    "requester": "rep",
    "watcher": "watcher",
    "agent": "deal_desk_agent",
    "colleague": "deal_desk_colleague",
    "lead": "deal_desk_lead",
    "other_team": "billing_agent",
    "admin": "admin_user",
    "stranger": "outsider",
    "editor": "other_rep",
}
STATUSES = {
    "new": Status.NEW,
    "wip": Status.WORK_IN_PROGRESS,
    "pending": Status.PENDING_RESPONSE,
    "on_hold": Status.ON_HOLD,
    "closed": Status.CLOSED,
    "closed_old": Status.CLOSED,
}


def parse_matrix(text: str) -> tuple[list[str], dict[tuple[str, str], dict[Action, bool]]]:
    header, *lines = [line.split() for line in text.strip().splitlines()]
    columns = header[2:]
    rows: dict[tuple[str, str], dict[Action, bool]] = {}
    for role, status, *cells in lines:
        assert len(cells) == len(columns), f"{role}/{status}: {len(cells)} cells"
        assert set(cells) <= {"Y", "."}, f"{role}/{status}: cells are Y or ."
        assert (role, status) not in rows, f"{role}/{status} twice"
        rows[role, status] = {
            COLUMNS[c]: cell == "Y" for c, cell in zip(columns, cells, strict=True)
        }
    return columns, rows


HEADER, EXPECTED = parse_matrix(MATRIX)


def test_the_matrix_has_a_column_for_every_action():
    assert list(COLUMNS) == HEADER
    assert sorted(COLUMNS.values()) == sorted(Action), "a new Action needs a column here"


def test_the_matrix_has_one_row_per_role_and_status():
    assert set(EXPECTED) == {(r, s) for r in ROLES for s in STATUSES}
    assert set(STATUSES.values()) == set(Status), "a new Status needs rows here"


# ---- building the case in each status --------------------------------------------------------


def put_case_in(status: str, case: Case, agent) -> Case:
    """The case in `status`; from Work in Progress on it is owned by `agent`."""
    if status != "new":
        case = take_case(case, agent=agent)
    if status == "pending":
        ask_requester(case, agent=agent, question="Which quote version?")
    elif status == "on_hold":
        hold_case(case, agent=agent, reason="Waiting on Legal")
    elif status in ("closed", "closed_old"):
        close_case(case, actor=agent, resolution=Resolution.ANSWERED, note="Answered by email")
    if status == "closed_old":
        long_ago = timezone.now() - dt.timedelta(days=settings.CASE_REOPEN_DAYS, hours=1)
        Case.objects.filter(pk=case.pk).update(closed_at=long_ago)
    return Case.objects.get(pk=case.pk)


def snapshot(case: Case) -> dict[str, Any]:
    """Everything an action may touch, as plain values."""
    return {
        "row": Case.objects.filter(pk=case.pk).values().get(),
        "events": list(case.events.order_by("id").values_list("id", flat=True)),
        "watchers": sorted(CaseWatcher.objects.filter(case=case).values_list("user_id", flat=True)),
        "attachments": list(Attachment.objects.filter(case=case).values("id", "removed_at")),
        "notifications": Notification.objects.count(),
    }


# ---- calling each action -----------------------------------------------------------------


def invoice_copy():
    choice = resolve_choice(
        "opportunity", team="Billing", request_type="Invoice Copy Requests", sub_request=None
    )
    return choice.request_type


CALLS: dict[Action, Callable[[Case, Any, dict], Any]] = {
    Action.TAKE: lambda c, u, ctx: take_case(c, agent=u),
    Action.ASSIGN: lambda c, u, ctx: assign_case(c, actor=u, assignee=ctx["assignee"]),
    Action.ASK: lambda c, u, ctx: ask_requester(c, agent=u, question="Which quote version?"),
    Action.HOLD: lambda c, u, ctx: hold_case(c, agent=u, reason="Waiting on Legal"),
    Action.RESUME: lambda c, u, ctx: resume_case(c, agent=u),
    Action.CLOSE: lambda c, u, ctx: close_case(
        c, actor=u, resolution=Resolution.RESOLVED, note="Quote fixed"
    ),
    Action.WITHDRAW: lambda c, u, ctx: close_case(
        c, actor=u, resolution=Resolution.WITHDRAWN, note="No longer needed"
    ),
    Action.REOPEN: lambda c, u, ctx: reopen_case(c, actor=u, reason="The approval is missing"),
    Action.MOVE: lambda c, u, ctx: move_case(
        c, agent=u, request_type=ctx["invoice_copy"], reason="This is about an invoice"
    ),
    Action.ADD_WATCHER: lambda c, u, ctx: add_watcher(c, actor=u, username=ctx["new_watcher"]),
    Action.EDIT: lambda c, u, ctx: edit_case(c, actor=u, changes={"description": "Ramp, v3"}),
    Action.COMMENT: lambda c, u, ctx: add_comment(c, author=u, body="Any news?"),
    Action.INTERNAL_NOTE: lambda c, u, ctx: add_comment(
        c, author=u, body="Discount looks off", internal=True
    ),
    Action.RATE: lambda c, u, ctx: rate_case(c, requester=u, score=4, comment="Quick, thanks"),
    Action.MERGE: lambda c, u, ctx: merge_case(
        c, into=ctx["master"], agent=u, reason="Same quote as the master"
    ),
    Action.CHANGE_PRIORITY: lambda c, u, ctx: change_priority(
        c, agent=u, priority="high", reason="Customer escalated"
    ),
}

# What a successful call must have written (at least these event kinds).
WRITES = {
    Action.TAKE: {CaseEvent.OWNER_CHANGED},
    Action.ASSIGN: {CaseEvent.OWNER_CHANGED},
    Action.ASK: {CaseEvent.COMMENTED, CaseEvent.STATUS_CHANGED},
    Action.HOLD: {CaseEvent.STATUS_CHANGED},
    Action.RESUME: {CaseEvent.STATUS_CHANGED},
    Action.CLOSE: {CaseEvent.STATUS_CHANGED},
    Action.WITHDRAW: {CaseEvent.STATUS_CHANGED},
    Action.REOPEN: {CaseEvent.STATUS_CHANGED},
    Action.MOVE: {CaseEvent.TEAM_MOVED},
    Action.ADD_WATCHER: {CaseEvent.WATCHER_ADDED},
    Action.EDIT: {CaseEvent.FIELD_CHANGED},
    Action.COMMENT: {CaseEvent.COMMENTED},
    Action.INTERNAL_NOTE: {CaseEvent.COMMENTED},
    Action.RATE: {CaseEvent.RATED},
    Action.MERGE: {CaseEvent.MERGED, CaseEvent.STATUS_CHANGED},
    Action.CHANGE_PRIORITY: {CaseEvent.PRIORITY_CHANGED},
}


def status_after(action: Action, before: str, by_requester: bool) -> str:
    """The status the lifecycle (issue 3, DESIGN.md) says a successful call leaves."""
    if action in (Action.TAKE, Action.ASSIGN):
        return Status.WORK_IN_PROGRESS if before == Status.NEW else before
    if action in (Action.COMMENT, Action.EDIT) and by_requester:
        # The requester's answer (a reply, or the missing details) ends Pending Response.
        return Status.WORK_IN_PROGRESS if before == Status.PENDING_RESPONSE else before
    return {
        Action.ASK: Status.PENDING_RESPONSE,
        Action.HOLD: Status.ON_HOLD,
        Action.RESUME: Status.WORK_IN_PROGRESS,
        Action.CLOSE: Status.CLOSED,
        Action.WITHDRAW: Status.CLOSED,
        Action.REOPEN: Status.WORK_IN_PROGRESS,
        Action.MERGE: Status.CLOSED,
        Action.MOVE: Status.PENDING_RESPONSE,  # Invoice Copy Requests needs "Invoice number"
    }.get(action, before)


def check_cell(case: Case, user, action: Action, allowed: bool, ctx: dict) -> str | None:
    """None when the service behaves as the cell says; otherwise what went wrong."""
    before = snapshot(case)
    fresh = Case.objects.get(pk=case.pk)
    try:
        CALLS[action](fresh, user, ctx)
    except (ActionNotAllowed, CaseConflict) as refused:
        lost_race = action == Action.TAKE and "already taken by" in str(refused)
        if isinstance(refused, CaseConflict) and not lost_race:
            return f"unexpected conflict: {refused}"
        if allowed:
            return f"expected allowed, refused: {refused}"
        after = snapshot(case)
        if after != before:
            return "refused but changed " + ", ".join(k for k in before if before[k] != after[k])
        return None
    if not allowed:
        return "expected ActionNotAllowed, but it succeeded"
    after = snapshot(case)
    new_events = CaseEvent.objects.filter(case=case, id__gt=max(before["events"]))
    problems = []
    if missing := WRITES[action] - {e.kind for e in new_events}:
        problems.append(f"no {sorted(missing)} event")
    if action in (Action.COMMENT, Action.INTERNAL_NOTE):
        note = new_events.get(kind=CaseEvent.COMMENTED)
        if note.internal != (action == Action.INTERNAL_NOTE):
            problems.append(f"comment written with internal={note.internal}")
    expected_status = status_after(action, before["row"]["status"], user.pk == case.requester_id)
    if after["row"]["status"] != expected_status:
        problems.append(f"status {after['row']['status']}, expected {expected_status}")
    if after["row"]["version"] != before["row"]["version"] + 1:
        problems.append(f"version {before['row']['version']} -> {after['row']['version']}")
    return "; ".join(problems) or None


@pytest.mark.parametrize(("role", "status"), list(EXPECTED), ids=lambda v: v)
def test_role_may_do_exactly_what_the_matrix_says(
    request, role, status, quote_case, deal_desk_agent, deal_desk_lead, watcher, shared_edit
):
    user = request.getfixturevalue(ROLES[role])
    CaseWatcher.objects.create(case=quote_case, user=watcher, added_by=quote_case.requester)
    case = put_case_in(status, quote_case, deal_desk_agent)
    assert case.status == STATUSES[status]
    ctx = {
        "assignee": deal_desk_lead.username,
        "new_watcher": UserFactory(username="wendy").username,
        "invoice_copy": invoice_copy(),
        "master": quote_question(quote_case.requester, quote_case.record),
    }
    wrong = []
    for action, allowed in EXPECTED[role, status].items():
        with transaction.atomic():
            if problem := check_cell(case, user, action, allowed, ctx):
                wrong.append(f"{role}/{status}/{action.value}: {problem}")
            transaction.set_rollback(True)
    assert not wrong, "\n".join(wrong)


# ---- around the matrix -------------------------------------------------------------------


def test_matrix_roles_see_the_case_exactly_as_design_says(
    request, quote_case, watcher, shared_edit, deal_desk_lead, deal_desk_colleague
):
    """The matrix's Y-for-comment roles are exactly those DESIGN.md lets see the case."""
    CaseWatcher.objects.create(case=quote_case, user=watcher)
    for role, fixture in ROLES.items():
        user = request.getfixturevalue(fixture)
        may_comment = EXPECTED[role, "new"][Action.COMMENT]
        assert can_see_case(user, quote_case) == may_comment, role


def test_a_stranger_cannot_make_themselves_a_watcher_by_mentioning_themselves(quote_case, outsider):
    """A user who cannot see a case must not get in through the comment service."""
    assert not can_see_case(outsider, quote_case)
    with pytest.raises(ActionNotAllowed):
        add_comment(quote_case, author=outsider, body="@olga let me in")
    assert not can_see_case(outsider, quote_case)


def test_a_stranger_cannot_attach_files_to_a_case_they_cannot_see(quote_case, outsider):
    upload = create_upload(outsider, file=SimpleUploadedFile("x.txt", b"not yours"))
    with pytest.raises(ActionNotAllowed):
        add_attachments(quote_case, actor=outsider, upload_ids=[str(upload.pk)])
    assert not quote_case.attachments.exists()


def test_a_deactivated_agent_may_do_nothing(quote_case, deal_desk_agent):
    deal_desk_agent.is_active = False
    deal_desk_agent.save()
    with pytest.raises(ActionNotAllowed):
        take_case(quote_case, agent=deal_desk_agent)
    with pytest.raises(ActionNotAllowed):
        add_comment(quote_case, author=deal_desk_agent, body="still here?")


@pytest.mark.parametrize(("days_ago", "may_reopen"), [(2, True), (4, False)])
def test_the_requesters_reopen_window_follows_the_setting(
    settings, quote_case, deal_desk_agent, rep, days_ago, may_reopen
):
    settings.CASE_REOPEN_DAYS = 3
    close_case(quote_case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    Case.objects.filter(pk=quote_case.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    if may_reopen:
        case = reopen_case(quote_case, actor=rep, reason="Not done")
        assert case.status == Status.WORK_IN_PROGRESS
    else:
        with pytest.raises(ActionNotAllowed):
            reopen_case(quote_case, actor=rep, reason="Not done")
