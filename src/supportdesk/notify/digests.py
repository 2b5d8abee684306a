"""The daily digest: one email at the hour each user chose, in their time zone, listing their
open requests, what waits on them and the day's new activity.

A digest is due once per local day. The settings row's `last_digest_on` is moved on with a
conditional update and the email's key names the user and the day, so two workers running the
job at once send one digest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from supportdesk.cases.models import OPEN_STATUSES, Approval, ApprovalState, Case, Status
from supportdesk.notify.models import Notification, NotificationSettings
from supportdesk.notify.outbox import queue_emails
from supportdesk.notify.reminders import zone

LIMIT = 25


def send_due_digests(*, now: dt.datetime | None = None) -> int:
    """Queue the digests that are due now; how many."""
    now = now or timezone.now()
    rows = NotificationSettings.objects.filter(digest_enabled=True).select_related("user")
    rows = rows.filter(Q(last_digest_on__isnull=True) | Q(last_digest_on__lte=now.date()))
    sent = 0
    for row in rows:
        local = now.astimezone(zone(row.time_zone))
        due = local.hour >= row.digest_hour
        if due and row.user.is_active and (row.last_digest_on or dt.date.min) < local.date():
            sent += send_digest(row, now=now, day=local.date())
    return sent


@transaction.atomic
def send_digest(row: NotificationSettings, *, now: dt.datetime, day: dt.date) -> int:
    claimed = (
        NotificationSettings.objects.filter(pk=row.pk)
        .filter(Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=day))
        .update(last_digest_on=day)
    )
    if not claimed:
        return 0  # another worker sent today's
    content = digest_content(row.user, since=now - dt.timedelta(days=1))
    if not any(content.values()) or not row.user.email:
        return 0
    queue_emails(
        [row.user],
        kind="digest",
        case=None,
        title=f"Your supportdesk digest for {day:%A} {day.day} {day:%B}",
        context=content,
        keys=[f"digest-{row.user.pk}-{day.isoformat()}"],
    )
    return 1


def _case_row(case: Case) -> dict[str, str]:
    return {
        "number": case.number,
        "subject": case.subject,
        "status": Status(case.status).label,
        "url": case.get_absolute_url(),
    }


def digest_content(user: AbstractBaseUser, *, since: dt.datetime) -> dict[str, Any]:
    mine = Case.objects.filter(requester=user, status__in=OPEN_STATUSES).order_by("-updated_at")
    approvals = (
        Approval.objects.filter(approver=user, state=ApprovalState.PENDING)
        .exclude(case__status=Status.CLOSED)
        .select_related("case")
        .order_by("requested_at")
    )
    waiting = [
        {**_case_row(c), "why": "Your answer is needed"}
        for c in mine.filter(status=Status.PENDING_RESPONSE)[:LIMIT]
    ] + [{**_case_row(a.case), "why": f"Your approval: {a.step_name}"} for a in approvals[:LIMIT]]
    activity = (
        Notification.objects.filter(user=user, created_at__gte=since)
        .select_related("case")
        .order_by("-created_at", "-id")[: LIMIT * 2]
    )
    return {
        "open_requests": [_case_row(c) for c in mine[:LIMIT]],
        "waiting": waiting,
        "activity": [
            {
                "title": n.title,
                "body": n.body[:200],
                "url": n.url,
                "number": n.case.number if n.case_id else "",
            }
            for n in activity
        ],
    }
