"""The caller's notifications and notification preferences over the API."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from supportdesk.notify.models import Notification, NotificationPreference, NotificationSettings


def notify(user, title: str, *, minutes_ago: int = 0, read: bool = False) -> Notification:
    when = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        user=user,
        kind="comment.added",
        title=title,
        url="/cases/00000001/",
        created_at=when,
        read_at=when if read else None,
    )


def titles(response) -> list[str]:
    return [n["title"] for n in response.json()["items"]]


def test_the_list_has_mine_only_newest_first_by_cursor(rep_api, rep, other_rep):
    notify(rep, "old", minutes_ago=30)
    notify(rep, "middle", minutes_ago=20, read=True)
    notify(rep, "new", minutes_ago=10)
    notify(other_rep, "not mine")
    first = rep_api.get("/api/v1/notifications?limit=2")
    assert first.status_code == 200
    assert titles(first) == ["new", "middle"]
    item = first.json()["items"][0]
    assert item["url"].endswith("/cases/00000001/") and item["read_at"] is None
    second = rep_api.get(first.json()["next"])
    assert titles(second) == ["old"] and second.json()["next_cursor"] is None
    assert titles(rep_api.get("/api/v1/notifications?unread=true")) == ["new", "old"]


def test_a_bad_cursor_is_a_422_naming_it(rep_api):
    response = rep_api.get("/api/v1/notifications?cursor=nonsense")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


def test_unread_count_and_marking_read(rep_api, rep):
    one, two = notify(rep, "one"), notify(rep, "two")
    assert rep_api.get("/api/v1/notifications/unread-count").json() == {"unread": 2}
    response = rep_api.post(f"/api/v1/notifications/{one.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    one.refresh_from_db()
    assert one.read_at is not None
    assert rep_api.get("/api/v1/notifications/unread-count").json() == {"unread": 1}
    assert rep_api.post("/api/v1/notifications/read-all").json() == {"marked": 1}
    two.refresh_from_db()
    assert two.read_at is not None


def test_another_users_notification_is_a_404(rep_api, other_rep):
    theirs = notify(other_rep, "theirs")
    response = rep_api.post(f"/api/v1/notifications/{theirs.pk}/read")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    rep_api.post("/api/v1/notifications/read-all")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_show_defaults_and_save_changes(rep_api, rep):
    before = rep_api.get("/api/v1/notification-preferences").json()
    kinds = {k["kind"]: k for k in before["kinds"]}
    assert kinds["comment.added"]["channel"] == "both"
    assert kinds["case.mentioned"]["always"] and "off" not in kinds["case.mentioned"]["choices"]
    body = {
        "channels": {"comment.added": "digest", "case.closed": "off"},
        "digest_enabled": True,
        "digest_hour": 7,
        "time_zone": "Europe/Berlin",
    }
    response = rep_api.put("/api/v1/notification-preferences", body, "application/json")
    assert response.status_code == 200
    after = {k["kind"]: k["channel"] for k in response.json()["kinds"]}
    assert after["comment.added"] == "digest" and after["case.closed"] == "off"
    stored = dict(NotificationPreference.objects.filter(user=rep).values_list("kind", "channel"))
    assert stored == {"comment.added": "digest", "case.closed": "off"}
    settings_row = NotificationSettings.objects.get(user=rep)
    assert (settings_row.digest_enabled, settings_row.digest_hour) == (True, 7)
    assert settings_row.time_zone == "Europe/Berlin"
    # What is left out stays as it was.
    partial = {"channels": {"case.closed": "both"}}
    rep_api.put("/api/v1/notification-preferences", partial, "application/json")
    stored = dict(NotificationPreference.objects.filter(user=rep).values_list("kind", "channel"))
    assert stored == {"comment.added": "digest"}
    assert NotificationSettings.objects.get(user=rep).digest_hour == 7


def test_preferences_are_checked_as_on_the_page(rep_api, rep):
    body = {
        "channels": {"case.mentioned": "off", "nonsense.kind": "both"},
        "digest_hour": 25,
    }
    response = rep_api.put("/api/v1/notification-preferences", body, "application/json")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"channels.nonsense.kind"}
    del body["channels"]["nonsense.kind"]
    response = rep_api.put("/api/v1/notification-preferences", body, "application/json")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "channels.case.mentioned",
        "digest_hour",
    }
    digest_off = {"channels": {"comment.added": "digest"}, "digest_enabled": False}
    response = rep_api.put("/api/v1/notification-preferences", digest_off, "application/json")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "digest_enabled" and "daily digest" in error["message"]
    assert not NotificationPreference.objects.filter(user=rep).exists()
