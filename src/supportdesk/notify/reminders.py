"""Pending Response follow-up: a reminder to the requester after N business days, and an
automatic close ("No response") after M; per team (`TeamReminderPolicy`) or the site default.

Each is done at most once per Pending Response spell: a unique `CaseReminder` row is written in
the same transaction, so two workers running the job at once cannot both act.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from supportdesk.cases.actions import close_unanswered
from supportdesk.cases.models import Case, CaseEvent, Status
from supportdesk.notify.models import CaseReminder, NotificationSettings, TeamReminderPolicy
from supportdesk.notify.services import notify


def add_business_days(start: dt.datetime, days: int, tz: dt.tzinfo) -> dt.datetime:
    """`start` moved on by `days` working days (Monday to Friday) in time zone `tz`."""
    moment = start.astimezone(tz)
    while days > 0:
        moment = (moment + dt.timedelta(days=1)).astimezone(tz)
        if moment.weekday() < 5:
            days -= 1
    return moment


def zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def pending_cases() -> QuerySet[Case]:
    """Open Pending Response cases with when they entered that status (`pending_since`)."""
    entered = (
        CaseEvent.objects.filter(case=OuterRef("pk"), kind=CaseEvent.STATUS_CHANGED)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return (
        Case.objects.filter(status=Status.PENDING_RESPONSE)
        .annotate(pending_since=Subquery(entered))
        .select_related("requester", "team")
    )


def policy(team_id: int, policies: dict[int, TeamReminderPolicy]) -> tuple[int, int]:
    """(remind after, close after) in business days; 0 = never."""
    own = policies.get(team_id)
    if own is not None:
        return own.remind_after_days, own.close_after_days
    return settings.PENDING_REMIND_AFTER_DAYS, settings.PENDING_CLOSE_AFTER_DAYS


def remind_and_close(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    policies = {p.team_id: p for p in TeamReminderPolicy.objects.all()}
    cases = list(pending_cases())
    zones = dict(
        NotificationSettings.objects.filter(user__in={c.requester_id for c in cases}).values_list(
            "user_id", "time_zone"
        )
    )
    done = {"reminded": 0, "closed": 0}
    for case in cases:
        since = case.pending_since or case.updated_at
        remind_after, close_after = policy(case.team_id, policies)
        tz = zone(zones.get(case.requester_id, ""))
        if close_after and now >= add_business_days(since, close_after, tz):
            done["closed"] += _close(case, since)
        elif remind_after and now >= add_business_days(since, remind_after, tz):
            done["reminded"] += _remind(case, since)
    return done


def _once(case: Case, kind: str, since: dt.datetime) -> bool:
    """Record that this is done for the spell; False when it was done already."""
    try:
        with transaction.atomic():
            CaseReminder.objects.create(case=case, kind=kind, pending_since=since)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def _remind(case: Case, since: dt.datetime) -> int:
    if not _once(case, CaseReminder.Kind.REMINDER, since):
        return 0
    question = (
        CaseEvent.objects.filter(case=case, kind=CaseEvent.COMMENTED, data__question=True)
        .order_by("-created_at", "-id")
        .first()
    )
    notify(
        [case.requester],
        kind="case.reminder",
        case=case,
        title=f"Reminder: case {case.number} is waiting on your answer",
        body=question.data.get("body", "") if question else "",
        anchor="composer",
        always=True,
    )
    return 1


@transaction.atomic
def _close(case: Case, since: dt.datetime) -> int:
    current = pending_cases().select_for_update(of=("self",)).filter(pk=case.pk).first()
    if current is None or (current.pending_since or current.updated_at) != since:
        return 0  # answered (or asked again) since the list was read
    if not _once(case, CaseReminder.Kind.AUTO_CLOSE, since):
        return 0
    return 1 if close_unanswered(current) else 0
