"""Each user chooses, per kind, in-app, email, both, the daily digest or nothing."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from supportdesk.cases.actions import add_comment, ask_requester, take_case
from supportdesk.cases.models import Approval
from supportdesk.notify.digests import send_due_digests
from supportdesk.notify.emails import settings_token
from supportdesk.notify.forms import field_name
from supportdesk.notify.kinds import KINDS
from supportdesk.notify.models import Delivery, Notification, NotificationSettings
from supportdesk.notify.services import set_preferences
from tests.factories import quote_question

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def comment_reaches_rita(case, agent, deliver) -> tuple[bool, bool]:
    """(in-app, email) for Rita when Dan comments on her case."""
    add_comment(case, author=agent, body="An update")
    in_app = Notification.objects.filter(user=case.requester, kind="comment.added").exists()
    return in_app, any(m.to == ["rita@example.com"] for m in deliver())


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("both", (True, True)),
        ("in_app", (True, False)),
        ("email", (False, True)),
        ("digest", (True, False)),
        ("off", (False, False)),
    ],
)
def test_a_comment_reaches_the_requester_through_the_channel_she_chose(
    case, rep, deal_desk_agent, deliver, channel, expected
):
    set_preferences(rep, channels={"comment.added": channel}, digest_enabled=True)
    assert comment_reaches_rita(case, deal_desk_agent, deliver) == expected


def test_the_default_is_in_app_and_email(case, deal_desk_agent, deliver):
    assert comment_reaches_rita(case, deal_desk_agent, deliver) == (True, True)


def test_a_question_waiting_on_you_is_never_muted(case, rep, deal_desk_agent, deliver):
    rep.notification_preferences.create(kind="case.pending_response", channel="off")
    take_case(case, agent=deal_desk_agent)
    ask_requester(case, agent=deal_desk_agent, question="Which version?")
    assert Notification.objects.filter(user=rep, kind="case.pending_response").exists()
    assert any("Action needed" in m.subject for m in deliver())


def test_a_user_without_an_email_address_gets_no_email(case, rep, deal_desk_agent, deliver):
    type(rep).objects.filter(pk=rep.pk).update(email="")
    add_comment(case, author=deal_desk_agent, body="Update")
    assert not Delivery.objects.filter(user=rep, kind="comment.added").exists()
    assert deliver() == []


# ---- the preferences page -------------------------------------------------------------------


def test_the_preferences_page_lists_every_kind_and_saves_choices(login, rep):
    client = login(rep)
    page = client.get(reverse("notify:preferences")).content.decode()
    for kind in KINDS:
        assert kind.label.replace("'", "&#x27;") in page
    form = {field_name(k.key): k.default for k in KINDS}
    form |= {field_name("comment.added"): "email", "digest_hour": "7", "time_zone": "Europe/Paris"}
    response = client.post(reverse("notify:preferences"), form)
    assert response.status_code == 302
    assert rep.notification_preferences.get().channel == "email"  # defaults store no row
    settings_row = NotificationSettings.objects.get(user=rep)
    assert (settings_row.digest_hour, settings_row.time_zone) == (7, "Europe/Paris")


def test_choosing_the_digest_needs_the_digest_turned_on(login, rep):
    form = {field_name(k.key): k.default for k in KINDS} | {"digest_hour": "8"}
    form[field_name("queue.new_case")] = "digest"
    page = login(rep).post(reverse("notify:preferences"), form).content.decode()
    assert "Turn on the daily digest" in page
    assert not rep.notification_preferences.exists()


def test_mentions_cannot_be_turned_off_on_the_page(login, rep):
    form = {field_name(k.key): k.default for k in KINDS} | {"digest_hour": "8"}
    form[field_name("case.mentioned")] = "off"
    page = login(rep).post(reverse("notify:preferences"), form).content.decode()
    assert "Select a valid choice" in page and not rep.notification_preferences.exists()


# ---- the one-click link in every email --------------------------------------------------------


def test_the_emailed_link_stops_that_kind_of_email_in_one_click_without_logging_in(
    client, case, rep, deal_desk_agent, deliver
):
    url = reverse("notify:email_settings", args=[settings_token(rep, "comment.added")])
    assert "Stop these emails" in client.get(url).content.decode()
    response = client.post(url)  # RFC 8058 one-click: a bare POST
    assert response.status_code == 200 and "no more emails about this" in response.content.decode()
    assert comment_reaches_rita(case, deal_desk_agent, deliver) == (True, False)


def test_a_forged_or_foreign_link_changes_nothing(client, rep):
    token = settings_token(rep, "comment.added")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.post(reverse("notify:email_settings", args=[forged]))
    assert response.status_code == 404 and not rep.notification_preferences.exists()


# ---- the daily digest (with a fixed clock) ----------------------------------------------------


def at(hour: int, minute: int = 0, day: int = 3) -> dt.datetime:
    """A moment on Tuesday 3 March 2026 (or another day), New York time."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def digest_rep(rep, opportunity, deal_desk_agent):
    set_preferences(
        rep,
        channels={"comment.added": "digest"},
        digest_enabled=True,
        digest_hour=8,
        time_zone="America/New_York",
    )
    waiting = quote_question(rep, opportunity, subject="Waiting one")
    take_case(waiting, agent=deal_desk_agent)
    ask_requester(waiting, agent=deal_desk_agent, question="Which version?")
    add_comment(waiting, author=deal_desk_agent, body="Also this")
    return rep


def test_the_digest_goes_once_a_day_at_the_chosen_hour_in_the_users_time_zone(digest_rep, deliver):
    deliver()
    assert send_due_digests(now=at(7, 59)) == 0
    assert send_due_digests(now=at(8, 5)) == 1
    assert send_due_digests(now=at(8, 15)) == 0  # once a day
    assert send_due_digests(now=at(23, 50)) == 0
    [digest] = deliver()
    assert digest.to == ["rita@example.com"]
    assert digest.subject == "Your supportdesk digest for Tuesday 3 March"
    html = digest.alternatives[0][0]
    for part in (digest.body, html):
        assert "Waiting on you" in part and "Your answer is needed" in part
        assert "Your open requests" in part and "Waiting one" in part
        assert "New activity" in part and "Dan Desk commented" in part
        assert "because you turned on the daily digest" in part
    assert send_due_digests(now=at(8, 1, day=4)) == 1  # the next morning


def test_a_digest_is_not_sent_when_it_is_turned_off(digest_rep, deliver):
    set_preferences(digest_rep, channels={"comment.added": "in_app"}, digest_enabled=False)
    assert send_due_digests(now=at(9)) == 0
    assert not Delivery.objects.filter(kind="digest").exists()


def test_the_digest_lists_approvals_waiting_on_the_user(digest_rep, deal_desk_agent, deliver):
    case = digest_rep.requested_cases.first()
    approver = deal_desk_agent
    set_preferences(approver, channels={}, digest_enabled=True, digest_hour=6, time_zone="UTC")
    Approval.objects.create(
        case=case, step=1, step_name="Leadership", approver=approver, requested_by=approver
    )
    deliver()
    send_due_digests(now=dt.datetime(2026, 3, 3, 6, 30, tzinfo=dt.UTC))
    [digest] = deliver()
    assert digest.to == ["dan@example.com"] and "Your approval: Leadership" in digest.body
