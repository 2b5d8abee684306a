"""How a case's SLA reads on its page and in lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from supportdesk.cases.models import Case, SlaStage, Status
from supportdesk.sla.engine import clock_of

STAGE_CLASSES = {SlaStage.AT_RISK: "at-risk", SlaStage.BREACHED: "breached"}


@dataclass(frozen=True)
class SlaPanel:
    first_response_due: dt.datetime
    first_response_at: dt.datetime | None
    first_response_breached: bool
    resolution_due: dt.datetime | None  # None while paused
    used: str
    left: str
    overdue: bool
    percent: int
    paused: bool
    closed: bool
    stage: int
    stage_label: str
    stage_class: str


def sla_panel(case: Case, *, now: dt.datetime | None = None) -> SlaPanel | None:
    """The case's clock now (three small queries), or None for cases from before SLAs."""
    if case.first_response_due is None:
        return None
    clock = clock_of(case, now=now or timezone.now())
    state = clock.state
    closed = case.status == Status.CLOSED
    stage = clock.stage
    return SlaPanel(
        first_response_due=state.first_response_due,
        first_response_at=case.first_response_at,
        first_response_breached=state.first_response_breached,
        resolution_due=None if state.paused else state.resolution_due,
        used=business_duration(state.used),
        left=business_duration(abs(state.left)),
        overdue=state.left < dt.timedelta(0),
        percent=min(state.percent, 999),
        paused=state.paused,
        closed=closed,
        stage=stage,
        stage_label=SlaStage(stage).label,
        stage_class=STAGE_CLASSES.get(stage, "on-track"),
    )


def business_duration(value: dt.timedelta) -> str:
    """`45 min`, `2 h 05 min`, or `3 d 1 h` past 24 hours (days of 24 hours, not work days)."""
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def stage_badge(stage: int) -> tuple[str, str] | None:
    """(label, css class) of the badge lists show, or None when the case is on track."""
    if stage in STAGE_CLASSES:
        return SlaStage(stage).label, STAGE_CLASSES[stage]
    return None
