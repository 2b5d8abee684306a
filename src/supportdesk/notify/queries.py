"""Reads for the notification pages, each limited to what the viewer may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from supportdesk.cases.models import Case
from supportdesk.notify.models import Delivery, Notification


def notifications_of(user: AbstractBaseUser) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def unread_count(user: AbstractBaseUser) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@dataclass
class CaseGroup:
    case: Case | None
    items: list[Notification] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return sum(1 for n in self.items if n.read_at is None)


def group_by_case(notifications: Iterable[Notification]) -> list[CaseGroup]:
    """A page of notifications (newest first) as groups per case, in order of the newest."""
    groups: dict[int | None, CaseGroup] = {}
    for notification in notifications:
        group = groups.setdefault(notification.case_id, CaseGroup(notification.case))
        group.items.append(notification)
    return list(groups.values())


def delivery_problems() -> QuerySet[Delivery]:
    """Emails that failed for good, and those being retried after an error (admins only)."""
    return (
        Delivery.objects.filter(
            Q(state=Delivery.State.FAILED)
            | Q(state=Delivery.State.PENDING, attempts__gt=0) & ~Q(last_error="")
        )
        .select_related("user", "case")
        .order_by("state", "-created_at")
    )
