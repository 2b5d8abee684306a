"""The bell (polled by htmx) and the notifications page grouped by case."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportdesk.cases.actions import add_comment
from supportdesk.notify.models import Notification
from tests.factories import quote_question

pytestmark = pytest.mark.django_db


def test_every_page_polls_the_bell_and_the_bell_alone_answers_with_the_count(
    login, case, deal_desk_agent, rep
):
    client = login(rep)
    page = client.get(reverse("records:list")).content.decode()
    assert f'hx-get="{reverse("notify:bell")}"' in page and 'hx-trigger="every 30s' in page
    add_comment(case, author=deal_desk_agent, body="New")
    bell = client.get(reverse("notify:bell")).content.decode()
    unread = Notification.objects.filter(user=rep, read_at__isnull=True).count()
    assert f'aria-label="Notifications, {unread} unread"' in bell
    assert bell.strip().startswith('<a id="bell"') and "<html" not in bell


def test_a_logged_out_bell_stops_polling_instead_of_showing_a_login_page(client):
    response = client.get(reverse("notify:bell"))
    assert response.status_code == 286 and response.content == b""


def test_the_bell_costs_few_queries(login, rep, django_assert_max_num_queries):
    client = login(rep)
    client.get(reverse("notify:bell"))
    with django_assert_max_num_queries(3):  # session, user, count
        client.get(reverse("notify:bell"))


def test_the_list_groups_notifications_by_case_and_links_to_the_feed_event(
    login, rep, opportunity, deal_desk_agent
):
    first = quote_question(rep, opportunity, subject="First case")
    second = quote_question(rep, opportunity, subject="Second case")
    event = add_comment(first, author=deal_desk_agent, body="On the first")
    add_comment(second, author=deal_desk_agent, body="On the second")
    page = login(rep).get(reverse("notify:list")).content.decode()
    assert page.count('class="card notification-group"') == 2
    assert page.index("Second case") < page.index("First case")  # newest activity first
    notice = Notification.objects.get(case=first, kind="comment.added")
    assert notice.url == f"/cases/{first.number}/?event={event.pk}#event-{event.pk}"
    response = login(rep).get(reverse("notify:open", args=[notice.pk]))
    assert response.url == notice.url


def test_the_notifications_page_links_to_the_preferences(login, rep):
    page = login(rep).get(reverse("notify:list")).content.decode()
    assert f'href="{reverse("notify:preferences")}"' in page
