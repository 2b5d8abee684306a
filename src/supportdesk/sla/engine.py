"""The SLA clock wired to cases: pause history, due times, stages, warnings and escalations.

A case carries its clock in columns (`first_response_due`, `resolution_due`, `sla_due`,
`sla_stage`, `sla_check_at`) so lists can sort and badge on them. `refresh_case_sla` recomputes
them whenever something the clock reads changes (submit, priority, team, status, first
response). Stages only move *back* there (a lower priority can take a case off "at risk");
moving forward is the sweep's job, because a stage that moves forward owes someone a message:

- **at risk** (75 % of a target used): the owner, or the team's queue when nobody owns it;
- **breached** (a due time passed): the team's leads, and the owner.

`sla_check_at` is the next instant the stage can move forward; the periodic `sweep` (a task
chain in supportdesk.notify.periodic, no cron) picks up every case whose instant has come.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from supportdesk.cases.models import Case, CaseEvent, SlaStage, Status
from supportdesk.notify.services import notify
from supportdesk.people.models import Membership
from supportdesk.sla import defaults
from supportdesk.sla.business_time import BusinessCalendar
from supportdesk.sla.clock import AT_RISK_PERCENT, SlaState, SlaTargets, sla_state
from supportdesk.sla.models import BusinessHours, CasePause, SlaPolicy

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
TEAM_SLA_SECONDS = 300
# Fields whose change moves the clock (cases.actions._save calls `sync_case_sla` for them).
CLOCK_FIELDS = frozenset({"status", "priority", "team", "first_response_at", "closed_at"})


@dataclass(frozen=True)
class TeamSla:
    """What one team's clock needs: its calendar, pause statuses and targets by priority."""

    calendar: BusinessCalendar
    pause_statuses: tuple[str, ...]
    targets: dict[str, SlaTargets]


@dataclass(frozen=True)
class CaseClock:
    """A case's SLA at one instant, with what the case page shows."""

    state: SlaState
    targets: SlaTargets
    first_response_warn: dt.datetime
    resolution_warn: dt.datetime | None
    stage: int
    next_check: dt.datetime | None


def team_sla(team_id: int) -> TeamSla:
    """The team's settings, cached: admins change them rarely, and `forget_team_sla` (on every
    save or delete of hours, holidays and policies) drops this process's copy at once; other
    processes re-read within TEAM_SLA_SECONDS."""
    key = f"sla:team:{team_id}"
    cached = cache.get(key)
    if cached is None:
        cached = _read_team_sla(team_id)
        cache.set(key, cached, TEAM_SLA_SECONDS)
    return cached


def forget_team_sla(team_id: int) -> None:
    cache.delete(f"sla:team:{team_id}")


def _read_team_sla(team_id: int) -> TeamSla:
    """Two or three queries: the team's business hours (with holidays) and its policies."""
    hours = BusinessHours.objects.filter(team_id=team_id).prefetch_related("holidays").first()
    calendar = hours.calendar() if hours else defaults.default_calendar()
    pause = hours.pause_statuses if hours else defaults.default_pause_statuses()
    targets = {
        priority: defaults.default_targets(priority=priority, calendar=calendar)
        for priority in defaults.DEFAULT_TARGETS
    }
    for policy in SlaPolicy.objects.filter(team_id=team_id):
        targets[policy.priority] = SlaTargets(
            first_response=dt.timedelta(minutes=policy.first_response_minutes),
            resolution=dt.timedelta(minutes=policy.resolution_minutes),
        )
    return TeamSla(calendar=calendar, pause_statuses=tuple(pause), targets=targets)


def pauses_of(case: Case) -> list[tuple[dt.datetime, dt.datetime | None]]:
    return list(CasePause.objects.filter(case=case).values_list("started_at", "ended_at"))


def clock_of(
    case: Case,
    *,
    now: dt.datetime | None = None,
    team: TeamSla | None = None,
    pauses: list[tuple[dt.datetime, dt.datetime | None]] | None = None,
) -> CaseClock:
    """The case's clock at `now` from its timestamps, its pauses and its team's settings."""
    now = now or timezone.now()
    team = team or team_sla(case.team_id)
    pauses = pauses_of(case) if pauses is None else pauses
    targets = team.targets[case.priority]
    # A closed case's clock stopped when it closed; a reopened one counts its closed
    # stretch as a pause (recorded by sync_pauses), so closed_at is only the final stop.
    closed_at = case.closed_at if case.status == Status.CLOSED else None
    state = sla_state(
        created_at=case.created_at,
        targets=targets,
        calendar=team.calendar,
        pauses=pauses,
        first_response_at=case.first_response_at,
        closed_at=closed_at,
        now=now,
    )
    calendar = team.calendar
    first_response_warn = calendar.add(case.created_at, targets.first_response * 0.75)
    resolution_warn = None
    if not state.paused:
        holes = [(begin, end or now) for begin, end in pauses]
        resolution_warn = calendar.add(case.created_at, targets.resolution * 0.75, pauses=holes)
    responded = case.first_response_at is not None
    stage = _stage(state, now, responded=responded, first_response_warn=first_response_warn)
    instants = []
    if closed_at is None:
        if not responded:
            instants += [first_response_warn, state.first_response_due]
        if resolution_warn is not None:
            instants += [resolution_warn, state.resolution_due]
    upcoming = [instant for instant in instants if instant > now]
    return CaseClock(
        state=state,
        targets=targets,
        first_response_warn=first_response_warn,
        resolution_warn=resolution_warn,
        stage=stage,
        next_check=min(upcoming) if upcoming and stage < SlaStage.BREACHED else None,
    )


def _stage(
    state: SlaState, now: dt.datetime, *, responded: bool, first_response_warn: dt.datetime
) -> int:
    if state.breached:
        return SlaStage.BREACHED
    first_response_at_risk = not responded and now >= first_response_warn
    if state.at_risk or (first_response_at_risk and not state.first_response_breached):
        return SlaStage.AT_RISK
    return SlaStage.ON_TRACK


def sync_pauses(case: Case, team: TeamSla, *, now: dt.datetime) -> list:
    """Open a pause when the case enters one of its team's pause statuses (or closes), end it
    when the case leaves; returns the case's pauses afterwards."""
    should_pause = case.status == Status.CLOSED or case.status in team.pause_statuses
    open_pause = CasePause.objects.filter(case=case, ended_at__isnull=True).first()
    if open_pause and (not should_pause or open_pause.status != case.status):
        open_pause.ended_at = now
        open_pause.save(update_fields=["ended_at"])
        open_pause = None
    if should_pause and open_pause is None:
        CasePause.objects.create(case=case, started_at=now, status=case.status)
    return pauses_of(case)


def refresh_case_sla(
    case: Case, *, now: dt.datetime | None = None, team: TeamSla | None = None
) -> CaseClock:
    """Recompute and save the case's clock columns (pauses reconciled with its status)."""
    now = now or timezone.now()
    team = team or team_sla(case.team_id)
    pauses = sync_pauses(case, team, now=now)
    clock = clock_of(case, now=now, team=team, pauses=pauses)
    _store(case, clock, now=now)
    return clock


def start_clock(case: Case, *, now: dt.datetime) -> None:
    """Set the clock columns of a case about to be inserted (no pauses yet: no query but the
    team's cached settings)."""
    clock = clock_of(case, now=now, pauses=[])
    case.sla_stage = clock.stage
    _set_clock(case, clock, check_at=clock.next_check)


def _store(case: Case, clock: CaseClock, *, now: dt.datetime) -> None:
    if clock.stage <= case.sla_stage or case.status == Status.CLOSED:
        case.sla_stage = clock.stage
        _save_clock(case, clock, check_at=clock.next_check)
    else:
        _save_clock(case, clock, check_at=now)  # the sweep moves it and tells whom it concerns


def _set_clock(case: Case, clock: CaseClock, *, check_at: dt.datetime | None) -> None:
    state = clock.state
    case.first_response_due = state.first_response_due
    case.resolution_due = None if state.paused else state.resolution_due
    case.sla_due = case.resolution_due if case.first_response_at else state.first_response_due
    case.sla_check_at = check_at


def _save_clock(case: Case, clock: CaseClock, *, check_at: dt.datetime | None) -> None:
    """Write the clock's columns (without touching `version`: nobody edited the case)."""
    _set_clock(case, clock, check_at=check_at)
    Case.objects.filter(pk=case.pk).update(
        first_response_due=case.first_response_due,
        resolution_due=case.resolution_due,
        sla_due=case.sla_due,
        sla_stage=case.sla_stage,
        sla_check_at=case.sla_check_at,
    )


# ---- the sweep ----------------------------------------------------------------------------


def sweep(*, now: dt.datetime | None = None) -> int:
    """Move forward every case whose check time has come; returns how many moved."""
    now = now or timezone.now()
    moved = 0
    teams: dict[int, TeamSla] = {}
    people: dict[tuple[int, bool], list[AbstractBaseUser]] = {}  # (team, leads only): users
    due = list(
        Case.objects.filter(sla_check_at__lte=now)
        .order_by("sla_check_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in due:
        try:
            moved += _advance(pk, now=now, teams=teams, people=people)
        except Exception:  # one bad case must not hold up the others
            logger.exception("SLA check of case %s failed", pk)
    return moved


@transaction.atomic
def _advance(
    pk: int,
    *,
    now: dt.datetime,
    teams: dict[int, TeamSla],
    people: dict[tuple[int, bool], list[AbstractBaseUser]],
) -> int:
    Case.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True).first()
    case = Case.objects.select_related("team", "owner").filter(pk=pk).first()
    if case is None or case.sla_check_at is None or case.sla_check_at > now:
        return 0  # another sweep got here first, or the case changed meanwhile
    team = teams.get(case.team_id) or teams.setdefault(case.team_id, team_sla(case.team_id))
    clock = clock_of(case, now=now, team=team)
    before = case.sla_stage
    case.sla_stage = max(before, clock.stage) if case.status != Status.CLOSED else clock.stage
    _save_clock(case, clock, check_at=clock.next_check)
    if case.sla_stage <= before or case.status == Status.CLOSED:
        return 0
    _tell(case, clock, stage=case.sla_stage, now=now, people=people)
    return 1


def _tell(
    case: Case,
    clock: CaseClock,
    *,
    stage: int,
    now: dt.datetime,
    people: dict[tuple[int, bool], list[AbstractBaseUser]],
) -> None:
    what, due = _which_target(case, clock, breached=stage == SlaStage.BREACHED, now=now)
    local_due = timezone.localtime(due).strftime("%d %b %H:%M")
    if stage == SlaStage.BREACHED:
        kind, event_kind = "sla.breached", CaseEvent.SLA_BREACHED
        title = f"SLA breached on case {case.number}: {what} was due {local_due}"
        users = [*_team_people(case.team_id, people, leads=True), case.owner]
    else:
        kind, event_kind = "sla.warning", CaseEvent.SLA_WARNING
        title = f"Case {case.number} is at risk: {what} due {local_due}"
        users = [case.owner] if case.owner_id else _team_people(case.team_id, people)
    event = CaseEvent.objects.create(
        case=case,
        kind=event_kind,
        actor=None,
        internal=True,
        data={"target": what, "due": due.isoformat(), "percent": AT_RISK_PERCENT},
    )
    notify(users, kind=kind, case=case, title=title, body=case.subject, event=event, internal=True)


def _which_target(
    case: Case, clock: CaseClock, *, breached: bool, now: dt.datetime
) -> tuple[str, dt.datetime]:
    """The target the message is about, and when it is (was) due."""
    state = clock.state
    if breached:
        first = state.first_response_breached
    else:
        first = case.first_response_at is None and clock.first_response_warn <= now
    if first:
        return "first response", state.first_response_due
    return "resolution", state.resolution_due


def _team_people(
    team_id: int, people: dict[tuple[int, bool], list[AbstractBaseUser]], *, leads: bool = False
) -> list[AbstractBaseUser]:
    """The team's active leads (or all its members), looked up once per sweep."""
    key = (team_id, leads)
    if key not in people:
        same_membership = {"memberships__role": Membership.Role.LEAD} if leads else {}
        users = get_user_model().objects.filter(
            memberships__team_id=team_id, is_active=True, **same_membership
        )
        people[key] = list(users.distinct())
    return people[key]
