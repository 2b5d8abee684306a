"""Writes of notifications. `notify` is the one entry point every case action calls, inside the
transaction of the change that causes it: in-app rows and queued emails commit with the change
or not at all."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from supportdesk.cases.models import Case, CaseEvent
from supportdesk.notify.kinds import effective_channel, kind_for
from supportdesk.notify.models import (
    Channel,
    Delivery,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from supportdesk.notify.outbox import queue_deliveries, retry_now
from supportdesk.people.models import Membership

IN_APP = {Channel.BOTH, Channel.IN_APP, Channel.DIGEST}
EMAIL = {Channel.BOTH, Channel.EMAIL}


@dataclass(frozen=True)
class Message:
    """One notification to some users; see `notify` for the fields."""

    users: Iterable[AbstractBaseUser | None]
    kind: str
    title: str
    body: str = ""
    actor: AbstractBaseUser | None = None
    anchor: str = ""
    internal: bool = False
    always: bool = False


def notify(
    users: Iterable[AbstractBaseUser | None],
    *,
    kind: str,
    case: Case,
    title: str,
    body: str = "",
    actor: AbstractBaseUser | None = None,
    anchor: str = "",
    event: CaseEvent | None = None,
    internal: bool = False,
    always: bool = False,
) -> list[Notification]:
    """Tell each distinct active user (never the actor) through the channels they chose.

    `anchor` points into the case page (e.g. "rate" for the rating form); otherwise the link
    goes to `event` in the feed, or to the case's latest event. `internal` keeps it to the
    case's team and admins; `always` (mentions, "waiting on you") ignores "off" and digests.
    """
    message = Message(users, kind, title, body, actor, anchor, internal, always)
    return notify_all(case, [message], event=event)


def notify_all(
    case: Case, messages: Iterable[Message], *, event: CaseEvent | None = None
) -> list[Notification]:
    """Several notifications about one change with the queries of one: one look-up of the
    preferences, one insert of in-app rows, one of email tasks, one of deliveries."""
    planned = [(m, _recipients(m.users, m.actor, case, m.internal)) for m in messages]
    planned = [(m, users) for m, users in planned if users]
    if not planned:
        return []
    chosen = _chosen({u.pk for _, users in planned for u in users}, {m.kind for m, _ in planned})
    latest = None if event or all(m.anchor for m, _ in planned) else _latest_event_id(case)
    rows, emails = [], []
    for message, users in planned:
        url = _url(case, message.anchor, event.pk if event else latest)
        kind = kind_for(message.kind)
        for user in users:
            channel = effective_channel(
                kind, chosen.get((user.pk, kind.key)), always=message.always
            )
            fields = {"kind": kind.key, "case": case, "title": message.title, "url": url}
            if channel in IN_APP:
                rows.append(Notification(user=user, body=message.body, **fields))
            if channel in EMAIL and user.email:
                emails.append(Delivery(user=user, body=message.body, **fields))
    created = Notification.objects.bulk_create(rows)
    queue_deliveries(emails)
    return created


def _recipients(
    users: Iterable[AbstractBaseUser | None],
    actor: AbstractBaseUser | None,
    case: Case,
    internal: bool,
) -> list[AbstractBaseUser]:
    seen: set[int] = set()
    found = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        if actor is not None and user.pk == actor.pk:
            continue
        seen.add(user.pk)
        found.append(user)
    if internal and found:
        members = set(
            Membership.objects.filter(team_id=case.team_id, user__in=seen).values_list(
                "user_id", flat=True
            )
        )
        found = [u for u in found if u.is_staff or u.pk in members]
    return found


def _url(case: Case, anchor: str, event_id: int | None) -> str:
    url = case.get_absolute_url()
    if anchor:
        return f"{url}#{anchor}"
    return f"{url}?event={event_id}#event-{event_id}" if event_id else url


def _latest_event_id(case: Case) -> int | None:
    return (
        CaseEvent.objects.filter(case=case)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )


def _chosen(user_ids: set[int], kinds: set[str]) -> dict[tuple[int, str], str]:
    """The channels these users chose for these kinds (no entry: the kind's default)."""
    rows = NotificationPreference.objects.filter(user__in=user_ids, kind__in=kinds)
    return {(u, k): c for u, k, c in rows.values_list("user_id", "kind", "channel")}


def mark_read(user: AbstractBaseUser, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def set_preferences(
    user: AbstractBaseUser,
    *,
    channels: Mapping[str, str],
    digest_enabled: bool | None = None,
    digest_hour: int | None = None,
    time_zone: str | None = None,
) -> NotificationSettings:
    """Save the user's channel per kind (a default choice stores no row) and their digest."""
    for key, channel in channels.items():
        kind = kind_for(key)
        if channel == kind.default:
            NotificationPreference.objects.filter(user=user, kind=key).delete()
        else:
            NotificationPreference.objects.update_or_create(
                user=user, kind=key, defaults={"channel": channel}
            )
    settings_row, _ = NotificationSettings.objects.get_or_create(user=user)
    changes = {"digest_enabled": digest_enabled, "digest_hour": digest_hour, "time_zone": time_zone}
    for name, value in changes.items():
        if value is not None:
            setattr(settings_row, name, value)
    settings_row.save()
    return settings_row


def preferences_of(user: AbstractBaseUser) -> tuple[dict[str, str], NotificationSettings]:
    """The user's chosen channel per kind (defaults filled in) and their digest settings."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    settings_row = NotificationSettings.objects.filter(user=user).first()
    return chosen, settings_row or NotificationSettings(user=user)


@transaction.atomic
def retry_deliveries(delivery_ids: Iterable[int]) -> int:
    """An admin sends failed emails again: a fresh set of attempts for each."""
    failed = Delivery.objects.select_for_update().filter(
        pk__in=list(delivery_ids), state=Delivery.State.FAILED
    )
    count = 0
    for delivery in failed:
        retry_now(delivery)
        count += 1
    return count
