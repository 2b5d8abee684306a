"""Writes of notifications. Called inside the transaction of the change that causes them."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from supportdesk.cases.models import Case
from supportdesk.notify.models import Notification


def notify(
    users: Iterable[AbstractBaseUser | None],
    *,
    kind: str,
    case: Case,
    title: str,
    body: str = "",
    actor: AbstractBaseUser | None = None,
    anchor: str = "",
) -> list[Notification]:
    """One in-app notification per distinct user, never to the actor, in one insert.

    `anchor` points into the case page (e.g. "rate" for the rating form).
    """
    url = case.get_absolute_url() + (f"#{anchor}" if anchor else "")
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or (actor is not None and user.pk == actor.pk):
            continue
        if not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                user=user,
                kind=kind,
                case=case,
                title=title,
                body=body,
                url=url,
            )
        )
    return Notification.objects.bulk_create(rows)


def mark_read(user: AbstractBaseUser, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
