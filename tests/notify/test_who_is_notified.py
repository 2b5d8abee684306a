"""What notifies whom, with everyone on the default channels (in-app and email)."""

from __future__ import annotations

import pytest
from django.core import signing

from supportdesk.cases.actions import (
    add_comment,
    add_watcher,
    ask_requester,
    assign_case,
    close_case,
    hold_case,
    move_case,
    reopen_case,
    take_case,
)
from supportdesk.cases.models import Resolution
from supportdesk.catalog.queries import resolve_choice
from supportdesk.notify.emails import SIGNING_SALT
from supportdesk.notify.models import Delivery, Notification
from tests.factories import quote_question

pytestmark = pytest.mark.django_db


def told(kind: str) -> set[str]:
    """Who got an in-app notification of this kind."""
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def emailed(messages, kind: str | None = None) -> set[str]:
    return {
        m.to[0].split("@")[0]
        for m in messages
        if kind is None or m.extra_headers.get("X-Supportdesk-Kind") == kind
    }


def test_a_new_case_confirms_to_the_requester_and_reaches_the_team_queue(
    rep, opportunity, deal_desk_agent, deal_desk_colleague, billing_agent, deliver
):
    case = quote_question(rep, opportunity)
    sent = deliver()
    assert told("case.created") == {"rita"}
    assert told("queue.new_case") == {"dan", "carl"}
    assert emailed(sent) == {"rita", "dan", "carl"}  # never Billing
    confirmation = next(m for m in sent if m.to == ["rita@example.com"])
    assert confirmation.subject == f"[Case {case.number}] {case.subject}: Case created"
    assert f"http://127.0.0.1:8000/cases/{case.number}/?event=" in confirmation.body


def test_the_email_has_both_parts_the_link_the_reason_and_a_signed_preferences_link(
    case, deal_desk_agent, deliver
):
    event = add_comment(case, author=deal_desk_agent, body="Which **ramp** schedule?")
    [message] = deliver()
    link = f"http://127.0.0.1:8000/cases/{case.number}/?event={event.pk}#event-{event.pk}"
    assert message.to == ["rita@example.com"]
    assert message.subject == f"[Case {case.number}] {case.subject}: Dan Desk commented"
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert link in part and "Which **ramp** schedule?" in part
        assert "because you requested this case" in part
    token = message.extra_headers["List-Unsubscribe"].strip("<>").rsplit("/", 2)[-2]
    assert signing.loads(token, salt=SIGNING_SALT) == {"u": case.requester_id, "k": "comment.added"}
    key = Delivery.objects.get(kind="comment.added").key
    assert message.extra_headers["Message-ID"] == f"<{key}@localhost>"


def test_taking_tells_the_requester_not_the_taker(case, deal_desk_agent, deliver):
    take_case(case, agent=deal_desk_agent)
    assert told("case.owner_changed") == {"rita"}
    assert emailed(deliver()) == {"rita"}


def test_assigning_tells_the_requester_and_the_new_owner(
    case, deal_desk_agent, deal_desk_colleague
):
    assign_case(case, actor=deal_desk_agent, assignee=deal_desk_colleague)
    assert told("case.owner_changed") == {"rita", "carl"}


def test_status_changes_reach_the_requester_and_watchers(case, deal_desk_agent, outsider):
    add_watcher(case, actor=deal_desk_agent, username="olga")
    take_case(case, agent=deal_desk_agent)
    hold_case(case, agent=deal_desk_agent, reason="Waiting on finance")
    assert told("case.status_changed") == {"rita", "olga"}


def test_pending_response_asks_the_requester_with_the_question_and_a_link_to_answer(
    case, deal_desk_agent, deliver
):
    take_case(case, agent=deal_desk_agent)
    deliver()
    ask_requester(case, agent=deal_desk_agent, question="Which quote version?")
    notice = Notification.objects.get(kind="case.pending_response")
    assert notice.user.username == "rita" and notice.body == "Which quote version?"
    assert notice.url == f"/cases/{case.number}/#composer"
    [message] = deliver()
    assert "Action needed" in message.subject and "Which quote version?" in message.body


def test_comments_reach_requester_owner_and_watchers_never_the_author(
    case, deal_desk_agent, outsider, rep
):
    take_case(case, agent=deal_desk_agent)
    add_watcher(case, actor=deal_desk_agent, username="olga")
    add_comment(case, author=rep, body="Here is the quote.")
    assert told("comment.added") == {"dan", "olga"}


def test_internal_notes_reach_only_the_team(case, deal_desk_agent, deal_desk_colleague, outsider):
    assign_case(case, actor=deal_desk_agent, assignee=deal_desk_colleague)
    add_watcher(case, actor=deal_desk_agent, username="olga")
    Notification.objects.all().delete()
    add_comment(case, author=deal_desk_agent, body="Margin is thin, @olga", internal=True)
    assert told("comment.added") == {"carl"}
    assert told("case.mentioned") == set()  # an outsider is never told of an internal note


def test_a_mention_always_reaches_the_mentioned_user(case, deal_desk_agent, outsider, deliver):
    outsider.notification_preferences.create(kind="case.mentioned", channel="off")
    add_comment(case, author=deal_desk_agent, body="@olga can you confirm the discount?")
    assert told("case.mentioned") == {"olga"}
    assert "olga" in emailed(deliver(), "case.mentioned")


def test_closing_tells_the_requester_with_the_resolution_and_the_rating_link(
    case, deal_desk_agent, deliver
):
    take_case(case, agent=deal_desk_agent)
    deliver()
    close_case(case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Use v3.")
    notice = Notification.objects.get(kind="case.closed")
    assert notice.user.username == "rita" and notice.url.endswith("#rate")
    [message] = deliver()
    assert "Question answered" in message.subject and "Use v3." in message.body
    assert f"/cases/{case.number}/#rate" in message.body


def test_reopening_tells_the_owner(case, deal_desk_agent, rep, outsider):
    take_case(case, agent=deal_desk_agent)
    add_watcher(case, actor=deal_desk_agent, username="olga")
    close_case(case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done.")
    reopen_case(case, actor=rep, reason="Still wrong")
    assert told("case.reopened") == {"dan"}


def test_a_move_tells_the_requester_the_old_owner_and_the_new_team(
    case, deal_desk_agent, deal_desk_colleague, billing_agent
):
    take_case(case, agent=deal_desk_agent)
    billing = resolve_choice(
        "opportunity", team="Billing", request_type="Invoice Copy Requests", sub_request=None
    )
    move_case(
        case,
        agent=deal_desk_colleague,
        request_type=billing.request_type,
        sub_request=billing.sub_request,
        reason="It is about an invoice",
    )
    assert told("case.team_moved") == {"rita", "dan"}
    moved_in = Notification.objects.filter(kind="queue.new_case", title__contains="moved")
    assert set(moved_in.values_list("user__username", flat=True)) == {"bea"}
    assert Notification.objects.get(kind="case.team_moved", user__username="rita").title.startswith(
        "Action needed"  # Billing needs the invoice number: the requester must act
    )
