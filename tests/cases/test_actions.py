"""Working a case: ownership, the status lifecycle, comments, mentions, moves and edits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from supportdesk.cases.actions import (
    ActionInvalid,
    ActionNotAllowed,
    CaseConflict,
    add_comment,
    add_watcher,
    ask_requester,
    assign_case,
    close_case,
    edit_case,
    hold_case,
    move_case,
    rate_case,
    reopen_case,
    resume_case,
    take_case,
)
from supportdesk.cases.models import Case, CaseEvent, Resolution, Status
from supportdesk.cases.queries import feed_for
from supportdesk.catalog.queries import resolve_choice
from supportdesk.notify.models import Notification
from tests.factories import MembershipFactory, UserFactory, quote_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rep, opportunity):
    return quote_question(rep, opportunity)


def kinds(case: Case) -> list[str]:
    return list(case.events.order_by("id").values_list("kind", flat=True))


def test_an_agent_takes_a_new_case_which_moves_to_work_in_progress(case, deal_desk_agent):
    case = take_case(case, agent=deal_desk_agent)
    assert case.owner == deal_desk_agent and case.status == Status.WORK_IN_PROGRESS
    assert case.first_response_at is not None and case.version == 2
    assert kinds(case)[-2:] == [CaseEvent.OWNER_CHANGED, CaseEvent.STATUS_CHANGED]
    assert Notification.objects.filter(user=case.requester, kind="case.owner_changed").exists()


def test_a_second_taker_is_told_who_has_it_and_nothing_changes(case, deal_desk_agent):
    other = UserFactory(username="otto")
    MembershipFactory(user=other, team=case.team)
    take_case(case, agent=deal_desk_agent)
    with pytest.raises(CaseConflict, match="already taken by Dan Desk"):
        take_case(case, agent=other)
    case.refresh_from_db()
    assert case.owner == deal_desk_agent and kinds(case).count(CaseEvent.OWNER_CHANGED) == 1


def test_agents_of_other_teams_and_requesters_cannot_take(case, billing_agent, rep):
    for user in (billing_agent, rep):
        with pytest.raises(ActionNotAllowed):
            take_case(case, agent=user)


def test_assign_only_to_members_of_the_team(case, deal_desk_agent, billing_agent):
    with pytest.raises(ActionInvalid):
        assign_case(case, actor=deal_desk_agent, assignee=billing_agent.username)
    case = assign_case(case, actor=deal_desk_agent, assignee=deal_desk_agent.username)
    assert case.owner == deal_desk_agent


def test_pending_response_round_trip(case, deal_desk_agent, rep):
    case = take_case(case, agent=deal_desk_agent)
    case = ask_requester(case, agent=deal_desk_agent, question="Which quote version?")
    assert case.status == Status.PENDING_RESPONSE
    note = Notification.objects.get(user=rep, kind="case.pending_response")
    assert "Action needed" in note.title and note.body == "Which quote version?"
    add_comment(case, author=rep, body="Version 3, sent yesterday.")
    case.refresh_from_db()
    assert case.status == Status.WORK_IN_PROGRESS


def test_hold_and_resume(case, deal_desk_agent):
    case = take_case(case, agent=deal_desk_agent)
    case = hold_case(case, agent=deal_desk_agent, reason="Waiting on Legal")
    assert case.status == Status.ON_HOLD
    with pytest.raises(ActionNotAllowed):
        hold_case(case, agent=deal_desk_agent)
    assert resume_case(case, agent=deal_desk_agent).status == Status.WORK_IN_PROGRESS


def test_close_needs_a_resolution_and_the_requester_may_only_withdraw(case, deal_desk_agent, rep):
    with pytest.raises(ActionInvalid) as caught:
        close_case(case, actor=deal_desk_agent, resolution="", note="")
    assert set(caught.value.errors) == {"resolution", "note"}
    with pytest.raises(ActionNotAllowed):
        close_case(case, actor=rep, resolution=Resolution.RESOLVED, note="done")
    case = close_case(case, actor=rep, resolution=Resolution.WITHDRAWN, note="Sorted it myself")
    assert case.status == Status.CLOSED and case.closed_at and case.resolution == "withdrawn"


def test_the_requester_reopens_within_the_window_but_not_after(case, deal_desk_agent, rep):
    case = close_case(case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    case = reopen_case(case, actor=rep, reason="The approval is still missing")
    assert case.status == Status.WORK_IN_PROGRESS and case.resolution == ""
    case = close_case(case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - dt.timedelta(days=15))
    with pytest.raises(ActionNotAllowed):
        reopen_case(case, actor=rep, reason="Again")


def test_a_stale_version_changes_nothing(case, deal_desk_agent):
    stale = case.version
    take_case(case, agent=deal_desk_agent)
    with pytest.raises(CaseConflict):
        hold_case(case, agent=deal_desk_agent, version=stale)


def test_mentions_reach_individuals_make_them_watchers_and_never_expand_teams(
    case, deal_desk_agent, outsider
):
    event = add_comment(case, author=deal_desk_agent, body="@olga can you confirm? cc @billing")
    assert event.data["mentions"] == ["olga"] and event.data["team_handles"] == ["billing"]
    assert case.watchers.filter(pk=outsider.pk).exists()
    assert Notification.objects.filter(user=outsider, kind="case.mentioned").exists()
    assert not Notification.objects.filter(user__memberships__team__slug="billing").exists()


def test_internal_notes_stay_inside_the_team(case, deal_desk_agent, rep, outsider):
    add_comment(case, author=deal_desk_agent, body="Discount looks off @olga", internal=True)
    assert not case.watchers.filter(pk=outsider.pk).exists()
    assert not Notification.objects.filter(kind="comment.added", user=rep).exists()
    assert [e.kind for e in feed_for(rep, case)] == [CaseEvent.CREATED]
    assert feed_for(deal_desk_agent, case).first().internal
    with pytest.raises(ActionNotAllowed):
        add_comment(case, author=rep, body="sneaky", internal=True)


def test_move_to_another_team_asks_for_what_the_new_type_lacks(case, deal_desk_agent):
    choice = resolve_choice(
        "opportunity", team="Billing", request_type="Invoice Copy Requests", sub_request=None
    )
    case = move_case(
        case,
        agent=deal_desk_agent,
        request_type=choice.request_type,
        reason="This is about an invoice",
    )
    assert case.team.name == "Billing" and case.owner is None and case.number
    assert case.status == Status.PENDING_RESPONSE
    moved = case.events.get(kind=CaseEvent.TEAM_MOVED)
    assert moved.data["missing"] == ["Invoice number"]


def test_edits_write_one_event_per_changed_field_and_answers_stay_valid(case, rep):
    case = edit_case(
        case,
        actor=rep,
        changes={"description": "New text", "needed_by": "2099-01-01"},
        answers={"quote_url": "https://crm.example.com/q/2"},
    )
    changes = case.events.filter(kind=CaseEvent.FIELD_CHANGED)
    assert sorted(e.data["field"] for e in changes) == [
        "description",
        "details.quote_url",
        "needed_by",
    ]
    with pytest.raises(ActionInvalid):
        edit_case(case, actor=rep, answers={"quote_url": "not a url"})


def test_watchers_are_added_once_with_an_event(case, rep, outsider):
    assert add_watcher(case, actor=rep, username="olga")
    assert not add_watcher(case, actor=rep, username="olga")
    assert kinds(case).count(CaseEvent.WATCHER_ADDED) == 1


def test_the_requester_rates_a_closed_case_once_and_may_change_it(case, deal_desk_agent, rep):
    with pytest.raises(ActionNotAllowed):
        rate_case(case, requester=rep, score=5)
    case = close_case(case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    assert Notification.objects.filter(user=rep, kind="case.closed").exists()
    with pytest.raises(ActionInvalid):
        rate_case(case, requester=rep, score=6)
    with pytest.raises(ActionNotAllowed):
        rate_case(case, requester=deal_desk_agent, score=1)
    rate_case(case, requester=rep, score=4, comment="Quick, thanks")
    rating = rate_case(case, requester=rep, score=5)
    assert rating.score == 5 and kinds(case).count(CaseEvent.RATED) == 2


def test_a_question_can_mention_someone_who_then_follows_the_case(case, deal_desk_agent, outsider):
    case = take_case(case, agent=deal_desk_agent)
    ask_requester(case, agent=deal_desk_agent, question="@olga do you have the signed PO?")
    question = case.events.get(kind=CaseEvent.COMMENTED)
    assert question.data["question"] and question.data["mentions"] == ["olga"]
    assert case.watchers.filter(pk=outsider.pk).exists()
    assert Notification.objects.filter(user=outsider, kind="case.mentioned").exists()
