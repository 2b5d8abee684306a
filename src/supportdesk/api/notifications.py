"""The caller's in-app notifications (the bell and the Notifications page) and their
notification preferences (the Preferences page), over the API.

Only the caller's own notifications exist here: another user's is a 404. The preferences go
through the page's own form, so the API refuses exactly what the page refuses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from supportdesk.api import examples
from supportdesk.api.errors import FieldErrors, problems
from supportdesk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from supportdesk.api.schemas import BodyIn
from supportdesk.cases.models import format_number
from supportdesk.notify.forms import PreferencesForm, field_name
from supportdesk.notify.kinds import BY_KEY, KINDS, channel_choices, effective_channel
from supportdesk.notify.models import Notification
from supportdesk.notify.queries import notifications_of, unread_count
from supportdesk.notify.services import mark_read, preferences_of, set_preferences

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    model_config = examples.documented(examples.NOTIFICATION_OUT)

    id: int
    kind: str
    title: str
    body: str
    case: str | None = Field(description="The case's number, if it is about a case.")
    url: str = Field(description="Where the notification leads (empty: nowhere).")
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    model_config = examples.documented(examples.NOTIFICATION_PAGE)

    items: list[NotificationOut]
    next_cursor: str | None
    next: str | None


class UnreadCountOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int = Field(description="How many notifications were unread and are read now.")


class KindPreferenceOut(Schema):
    kind: str
    label: str
    channel: str = Field(description="The channel that applies now.")
    choices: list[str] = Field(description="The channels this kind may use.")
    always: bool = Field(description="Mentions and the like: never off, never in the digest.")


class PreferencesOut(Schema):
    kinds: list[KindPreferenceOut]
    digest_enabled: bool
    digest_hour: int = Field(description="0–23, in `time_zone`.")
    time_zone: str = Field(description="Empty: the site's.")


class PreferencesIn(BodyIn):
    """Fields left out keep their current value."""

    channels: dict[str, str] = Field(
        {}, description="Kind → channel (both, in_app, email, digest, off)."
    )
    digest_enabled: bool | None = None
    digest_hour: int | None = None
    time_zone: str | None = None


def notification_out(notification: Notification) -> dict[str, Any]:
    url = notification.url
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "case": format_number(notification.case_id) if notification.case_id else None,
        "url": settings.SITE_URL + url if url.startswith("/") else url,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


@router.get("/notifications", response={200: NotificationPage, **problems(401, 422)})
def notification_list(
    request: HttpRequest,
    unread: bool = Query(False, description="Only those not read yet."),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Your notifications, newest first."""
    notifications = notifications_of(request.auth)
    if unread:
        notifications = notifications.filter(read_at__isnull=True)
    page = keyset_page(notifications, order_by="-created_at", cursor=cursor, limit=limit)
    return {
        "items": [notification_out(n) for n in page.items],
        "next_cursor": page.next_cursor,
        "next": page.next_url(request),
    }


@router.get("/notifications/unread-count", response={200: UnreadCountOut, **problems(401)})
def notification_unread_count(request: HttpRequest) -> dict[str, int]:
    """How many of your notifications are unread (the bell's number)."""
    return {"unread": unread_count(request.auth)}


@router.post("/notifications/read-all", response={200: MarkedOut, **problems(401)})
def notification_read_all(request: HttpRequest) -> dict[str, int]:
    """Mark all your notifications read."""
    return {"marked": mark_read(request.auth)}


@router.post(
    "/notifications/{notification_id}/read", response={200: NotificationOut, **problems(401, 404)}
)
def notification_read(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    """Mark one of your notifications read (reading it again changes nothing)."""
    notification = get_object_or_404(notifications_of(request.auth), pk=notification_id)
    mark_read(request.auth, [notification.pk])
    notification.refresh_from_db(fields=["read_at"])
    return notification_out(notification)


# ---- preferences -------------------------------------------------------------------------


def preferences_out(user: AbstractBaseUser) -> dict[str, Any]:
    chosen, settings_row = preferences_of(user)
    return {
        "kinds": [
            {
                "kind": kind.key,
                "label": kind.label,
                "channel": effective_channel(kind, chosen.get(kind.key)),
                "choices": [value for value, _ in channel_choices(kind)],
                "always": kind.always,
            }
            for kind in KINDS
        ],
        "digest_enabled": settings_row.digest_enabled,
        "digest_hour": settings_row.digest_hour,
        "time_zone": settings_row.time_zone,
    }


def _form_data(current: dict[str, Any], payload: PreferencesIn) -> dict[str, Any]:
    """The page's form data: the current preferences with the payload's changes on top."""
    given = payload.model_dump(exclude_unset=True)
    digest = {k: given.get(k, current[k]) for k in ("digest_enabled", "digest_hour", "time_zone")}
    data = {
        "digest_hour": "" if digest["digest_hour"] is None else str(digest["digest_hour"]),
        "time_zone": digest["time_zone"] or "",
    }
    if digest["digest_enabled"]:
        data["digest_enabled"] = "on"
    channels = {k["kind"]: k["channel"] for k in current["kinds"]} | payload.channels
    return data | {field_name(key): channel for key, channel in channels.items()}


def _form_errors(form: PreferencesForm) -> dict[str, list[str]]:
    """The form's errors under the API's field names (a kind's field is `channels.<kind>`)."""
    names = {field_name(kind.key): f"channels.{kind.key}" for kind in KINDS}
    names["__all__"] = "digest_enabled"  # the one form-wide rule: digest kinds need the digest
    return {names.get(name, name): list(messages) for name, messages in form.errors.items()}


@router.get("/notification-preferences", response={200: PreferencesOut, **problems(401)})
def preferences_get(request: HttpRequest) -> dict[str, Any]:
    """Your channel for each kind of notification, and your daily digest."""
    return preferences_out(request.auth)


@router.put("/notification-preferences", response={200: PreferencesOut, **problems(401, 422)})
def preferences_put(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    """Change your preferences, checked as on the Preferences page; what you leave out stays."""
    user = request.auth
    unknown = [key for key in payload.channels if key not in BY_KEY]
    if unknown:
        raise FieldErrors({f"channels.{key}": ["No such kind of notification."] for key in unknown})
    chosen, settings_row = preferences_of(user)
    form = PreferencesForm(
        _form_data(preferences_out(user), payload),
        chosen=chosen,
        settings_row=settings_row,
        prefix=None,
    )
    if not form.is_valid():
        raise FieldErrors(_form_errors(form))
    set_preferences(
        user,
        channels=form.channels(),
        digest_enabled=form.cleaned_data["digest_enabled"],
        digest_hour=form.cleaned_data["digest_hour"],
        time_zone=form.cleaned_data["time_zone"],
    )
    return preferences_out(user)
