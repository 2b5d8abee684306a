"""The notifications page, the bell and marking notifications read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from supportdesk.notify.models import Notification

pytestmark = pytest.mark.django_db

LIST = reverse("notify:list")


def text(response) -> str:
    return response.content.decode()


def notify(user, title, *, url="/cases/", read=False, age_hours=0):
    return Notification.objects.create(
        user=user,
        kind="case.created",
        title=title,
        url=url,
        read_at=timezone.now() if read else None,
        created_at=timezone.now() - dt.timedelta(hours=age_hours),
    )


def test_list_shows_my_notifications_newest_first_with_unread_highlighted(login, rep, other_rep):
    old = notify(rep, "Old and read", read=True, age_hours=5)
    new = notify(rep, "New and unread")
    notify(other_rep, "Not for Rita")
    page = text(login(rep).get(LIST))
    assert page.index(new.title) < page.index(old.title)
    assert "Not for Rita" not in page
    assert page.count("notification--unread") == 1
    assert f'href="{reverse("notify:open", args=[new.pk])}"' in page


def test_the_bell_shows_the_unread_count_on_every_page(login, rep):
    notify(rep, "One")
    notify(rep, "Two")
    notify(rep, "Read", read=True)
    page = text(login(rep).get(reverse("records:list")))
    assert 'aria-label="Notifications, 2 unread"' in page
    assert '<span class="bell-count" aria-hidden="true">2</span>' in page


def test_the_bell_without_unread(login, rep):
    page = text(login(rep).get(reverse("cases:mine")))
    assert 'aria-label="Notifications, none unread"' in page and "bell-count" not in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(login, rep):
    n = notify(rep, "Case created", url="/cases/00000001/")
    response = login(rep).get(reverse("notify:open", args=[n.pk]))
    assert response.status_code == 302 and response.url == "/cases/00000001/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_opening_a_notification_never_leaves_the_site(login, rep):
    n = notify(rep, "Phish", url="https://evil.example/")
    response = login(rep).get(reverse("notify:open", args=[n.pk]))
    assert response.url == LIST


def test_mark_one_read(login, rep):
    n = notify(rep, "Unread")
    other = notify(rep, "Also unread")
    response = login(rep).post(reverse("notify:read", args=[n.pk]))
    assert response.status_code == 302 and response.url == LIST
    n.refresh_from_db()
    other.refresh_from_db()
    assert n.read_at is not None and other.read_at is None


def test_mark_all_read(login, rep, other_rep):
    notify(rep, "One")
    notify(rep, "Two")
    theirs = notify(other_rep, "Theirs")
    login(rep).post(reverse("notify:read_all"))
    assert not Notification.objects.filter(user=rep, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_someone_elses_notification_is_not_found(login, rep, other_rep):
    n = notify(other_rep, "Theirs")
    client = login(rep)
    assert client.get(reverse("notify:open", args=[n.pk])).status_code == 404
    assert client.post(reverse("notify:read", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_marking_read_is_a_post(login, rep):
    n = notify(rep, "Unread")
    assert login(rep).get(reverse("notify:read", args=[n.pk])).status_code == 405
    assert login(rep).get(reverse("notify:read_all")).status_code == 405
