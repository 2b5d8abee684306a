"""Who may do what to a case, now. One place for the rules that pages, API and services share.

`allowed_actions(user, case)` is what the case page shows; every service checks the same
function before it changes anything, so a forbidden action cannot slip in through any door.
Seeing the case at all is `cases.queries.cases_visible_to`; this module assumes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from supportdesk.cases.models import Case, Resolution, Status
from supportdesk.people.models import Membership
from supportdesk.people.queries import team_roles_of


class Action(StrEnum):
    TAKE = "take"
    ASSIGN = "assign"
    ASK = "ask"  # ask the requester for information: Pending Response
    HOLD = "hold"
    RESUME = "resume"  # back to Work in Progress from On Hold or Pending Response
    CLOSE = "close"
    WITHDRAW = "withdraw"  # the requester closes their own request
    REOPEN = "reopen"
    MOVE = "move"
    ADD_WATCHER = "add_watcher"
    EDIT = "edit"
    COMMENT = "comment"
    INTERNAL_NOTE = "internal_note"
    RATE = "rate"  # the requester rates a closed case
    MERGE = "merge"  # close as a duplicate of another open case (cases.merge)
    CHANGE_PRIORITY = "change_priority"  # the team's call, with a reason (cases.priority)


ACTION_LABELS = {
    Action.TAKE: "Take ownership",
    Action.ASSIGN: "Assign to…",
    Action.ASK: "Ask requester for information",
    Action.HOLD: "Put on hold",
    Action.RESUME: "Resume work",
    Action.CLOSE: "Close",
    Action.WITHDRAW: "Withdraw request",
    Action.REOPEN: "Reopen",
    Action.MOVE: "Move to another team",
    Action.ADD_WATCHER: "Add watcher",
    Action.EDIT: "Edit details",
    Action.RATE: "Rate this case",
    Action.MERGE: "Merge into another case…",
    Action.CHANGE_PRIORITY: "Change priority",
}


def reopen_window() -> dt.timedelta:
    return dt.timedelta(days=settings.CASE_REOPEN_DAYS)


def role_in_team(user: AbstractBaseUser, case: Case) -> str | None:
    """'agent' or 'lead' when the user belongs to the case's team (cached per case object).

    The user's roles come with their team ids (people.queries), which the access rule loads
    anyway: no query of its own.
    """
    cache = case.__dict__.setdefault("_roles", {})
    if user.pk not in cache:
        cache[user.pk] = team_roles_of(user).get(case.team_id)
    return cache[user.pk]


def prime_roles(user: AbstractBaseUser, cases: Iterable[Case]) -> None:
    """Fill `role_in_team`'s cache for many cases in one query (lists of cases)."""
    roles = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
    for case in cases:
        case.__dict__.setdefault("_roles", {})[user.pk] = roles.get(case.team_id)


def _sees(user: AbstractBaseUser, case: Case, *, agent: bool) -> bool:
    """The case access rule (cases.queries), answered cheaply for one case in hand."""
    if agent or case.requester_id == user.pk:
        return True
    from supportdesk.cases.queries import may_see_case  # answered once per case (case_for)

    return may_see_case(user, case)


def allowed_actions(user: AbstractBaseUser, case: Case) -> set[Action]:
    """Everything this user may do to this case right now; nothing if they may not see it."""
    if not user.is_authenticated or not user.is_active:
        return set()
    staff = user.is_staff
    agent = staff or role_in_team(user, case) is not None
    if not _sees(user, case, agent=agent):
        return set()
    requester = case.requester_id == user.pk
    status = case.status
    closed = status == Status.CLOSED
    allowed = {Action.COMMENT}
    if agent:
        allowed |= {Action.INTERNAL_NOTE, Action.ADD_WATCHER}
    if requester:
        allowed.add(Action.ADD_WATCHER)
    if closed:
        recent = case.closed_at is not None and timezone.now() - case.closed_at <= reopen_window()
        # The requester within the window; after it a new case is the way, unless a lead or
        # an admin reopens it as an override.
        if (requester and recent) or staff or role_in_team(user, case) == "lead":
            allowed.add(Action.REOPEN)
        if requester and case.resolution != Resolution.WITHDRAWN:
            allowed.add(Action.RATE)
        return allowed
    if agent:
        allowed |= {Action.MOVE, Action.EDIT, Action.CLOSE, Action.MERGE, Action.CHANGE_PRIORITY}
        # Anyone of the team assigns a queued case; reassigning someone else's is for leads.
        mine = case.owner_id in (None, user.pk)
        if mine or staff or role_in_team(user, case) == "lead":
            allowed.add(Action.ASSIGN)
        if case.owner_id is None and role_in_team(user, case) is not None:
            allowed.add(Action.TAKE)
        if status in (Status.WORK_IN_PROGRESS, Status.ON_HOLD):
            allowed.add(Action.ASK)
        if status == Status.WORK_IN_PROGRESS:
            allowed.add(Action.HOLD)
        if status in (Status.ON_HOLD, Status.PENDING_RESPONSE):
            allowed.add(Action.RESUME)
    if requester:
        allowed.add(Action.WITHDRAW)
        if status in (Status.NEW, Status.PENDING_RESPONSE):
            allowed.add(Action.EDIT)
    return allowed


VERBS = {
    Action.TAKE: "take",
    Action.ASSIGN: "assign",
    Action.ASK: "ask the requester about",
    Action.HOLD: "put on hold",
    Action.RESUME: "resume",
    Action.CLOSE: "close",
    Action.WITHDRAW: "withdraw",
    Action.REOPEN: "reopen",
    Action.MOVE: "move",
    Action.ADD_WATCHER: "add watchers to",
    Action.EDIT: "edit",
    Action.RATE: "rate",
    Action.MERGE: "merge",
    Action.CHANGE_PRIORITY: "change the priority of",
}


def refusal(user: AbstractBaseUser, case: Case, action: Action) -> str:
    """Why the action is not open to the user now: the one wording for pages and the API."""
    if action == Action.RATE:
        if user.pk != case.requester_id:
            return f"Only the requester can rate case {case.number}."
        return f"You can rate case {case.number} once it is closed."
    if action == Action.TAKE and case.owner_id is not None:
        return f"Case {case.number} was already taken by {case.owner_display}."
    if action == Action.REOPEN and case.status == Status.CLOSED and user.pk == case.requester_id:
        days = settings.CASE_REOPEN_DAYS
        return (
            f"Case {case.number} was closed more than {days} days ago, so it cannot be "
            "reopened; use “Request a follow-up” on the case instead: a new request linked to it."
        )
    if action != Action.REOPEN and case.status == Status.CLOSED:
        return f"Case {case.number} is closed; reopen it first."
    return f"You cannot {VERBS.get(action, action.value)} case {case.number} now."


def may(user: AbstractBaseUser, case: Case, action: Action) -> bool:
    return action in allowed_actions(user, case)


# ---- linked cases (cases.links) ------------------------------------------------------------


def closed_long_ago(case: Case) -> bool:
    """Closed, and longer ago than the requester's reopen window."""
    if case.status != Status.CLOSED:
        return False
    return case.closed_at is None or timezone.now() - case.closed_at > reopen_window()


def may_ask_for_help(
    user: AbstractBaseUser, case: Case, allowed: set[Action] | None = None
) -> bool:
    """Ask another team for help with a linked child case: whoever may comment on the case
    (requester, the team, watchers, editors of the record, admins), while it is open.
    `allowed` is `allowed_actions(user, case)` when the caller has it already."""
    if case.status == Status.CLOSED:
        return False
    return Action.COMMENT in (allowed_actions(user, case) if allowed is None else allowed)


def may_follow_up(user: AbstractBaseUser, case: Case) -> bool:
    """Request a follow-up (a new case linked to this one): the requester, once the case has
    been closed longer than the reopen window (within it, they reopen it instead)."""
    active = user.is_authenticated and user.is_active
    return active and case.requester_id == user.pk and closed_long_ago(case)


def may_link_from(user: AbstractBaseUser, case: Case) -> bool:
    """Raise a case linked to `case`: asking for help while open, a follow-up once closed."""
    return may_ask_for_help(user, case) or may_follow_up(user, case)


def link_refusal(user: AbstractBaseUser, case: Case) -> str:
    """Why the user may not raise a case linked to `case` now."""
    if case.status != Status.CLOSED:
        return f"You cannot ask another team for help on case {case.number}."
    if case.requester_id != user.pk:
        return f"Case {case.number} is closed; only its requester can request a follow-up."
    days = settings.CASE_REOPEN_DAYS
    return (
        f"Case {case.number} is closed: reopen it instead (you can within {days} days of "
        "closing); a follow-up is for cases closed longer ago."
    )


# ---- approvals (cases.approvals) -----------------------------------------------------------


def may_request_approval(user: AbstractBaseUser, case: Case, *, chosen_by: str = "agent") -> bool:
    """Agents and leads of the team and admins ask for an approval step while the case is open;
    so does the requester, for steps whose approvers the catalog lets the requester choose."""
    if not user.is_authenticated or not user.is_active or case.status == Status.CLOSED:
        return False
    if user.is_staff or role_in_team(user, case) is not None:
        return True
    return chosen_by == "requester" and case.requester_id == user.pk
