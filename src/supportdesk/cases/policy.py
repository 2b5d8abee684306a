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
from django.db import connection
from django.utils import timezone

from supportdesk.cases.models import Case, Resolution, Status
from supportdesk.people.models import Membership


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
}


def reopen_window() -> dt.timedelta:
    return dt.timedelta(days=settings.CASE_REOPEN_DAYS)


def role_in_team(user: AbstractBaseUser, case: Case) -> str | None:
    """'agent' or 'lead' when the user belongs to the case's team (cached per case object)."""
    cache = case.__dict__.setdefault("_roles", {})
    if user.pk not in cache:
        cache[user.pk] = _role(user.pk, case.team_id)
    return cache[user.pk]


def _role(user_id: int, team_id: int) -> str | None:
    # Asked on every case page and API answer: plain SQL spares the ORM's query building,
    # which costs ten times the lookup itself.
    with connection.cursor() as cursor:
        cursor.execute(_ROLE_SQL, [user_id, team_id])
        row = cursor.fetchone()
    return row[0] if row else None


_ROLE_SQL = f"SELECT role FROM {Membership._meta.db_table} WHERE user_id = %s AND team_id = %s"  # noqa: S608


def prime_roles(user: AbstractBaseUser, cases: Iterable[Case]) -> None:
    """Fill `role_in_team`'s cache for many cases in one query (lists of cases)."""
    roles = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
    for case in cases:
        case.__dict__.setdefault("_roles", {})[user.pk] = roles.get(case.team_id)


def _sees(user: AbstractBaseUser, case: Case, *, agent: bool) -> bool:
    """The case access rule (cases.queries), answered cheaply for one case in hand."""
    if agent or case.requester_id == user.pk:
        return True
    from supportdesk.cases.queries import can_see_case

    return can_see_case(user, case)


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
        allowed |= {Action.MOVE, Action.EDIT, Action.CLOSE}
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


def may(user: AbstractBaseUser, case: Case, action: Action) -> bool:
    return action in allowed_actions(user, case)
