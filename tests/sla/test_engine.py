"""The SLA clock on real cases: due times, pauses, stages, the sweep's warnings and escalations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from supportdesk.cases import actions
from supportdesk.cases.models import Case, CaseEvent, SlaStage, Status
from supportdesk.notify.models import Notification
from supportdesk.notify.periodic import JOBS
from supportdesk.people.models import Membership
from supportdesk.sla.engine import clock_of, refresh_case_sla, sweep
from supportdesk.sla.models import BusinessHours, CasePause, SlaPolicy
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory, quote_question

HOUR = dt.timedelta(hours=1)
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture
def round_the_clock(db):
    """Deal Desk works every hour of every day in UTC: business time is wall time."""
    return BusinessHours.objects.create(
        team=team("Deal Desk"),
        tz="UTC",
        weekdays=list(range(7)),
        day_start=dt.time(0, 0),
        day_end=dt.time(0, 0),
    )


@pytest.fixture
def desk_lead(db):
    user = UserFactory(username="lena", first_name="Lena", last_name="Lead")
    MembershipFactory(user=user, team=team("Deal Desk"), role=Membership.Role.LEAD)
    return user


def case_at(rep, opportunity, created_at: dt.datetime = T0, **overrides) -> Case:
    case = quote_question(rep, opportunity, **overrides)
    Case.objects.filter(pk=case.pk).update(created_at=created_at)
    case.refresh_from_db()
    refresh_case_sla(case, now=created_at)
    case.refresh_from_db()
    return case


def test_a_submitted_case_carries_due_times_from_its_teams_policy(rep, opportunity):
    case = quote_question(rep, opportunity, priority="urgent", urgent_reason="Signing today")

    assert case.first_response_due is not None and case.resolution_due is not None
    assert case.sla_due == case.first_response_due  # nobody answered yet
    assert case.sla_stage == SlaStage.ON_TRACK
    assert case.sla_check_at is not None and case.sla_check_at <= case.first_response_due


def test_due_times_follow_the_default_targets_in_business_time(rep, opportunity, round_the_clock):
    case = case_at(rep, opportunity, priority="high")

    assert case.first_response_due == T0 + 2 * HOUR
    assert case.resolution_due == T0 + 24 * HOUR  # 1 business day of a 24-hour team
    assert case.sla_check_at == T0 + 1.5 * HOUR  # 75 % of the first-response target


def test_a_teams_policy_overrides_the_defaults(rep, opportunity, round_the_clock):
    SlaPolicy.objects.create(
        team=team("Deal Desk"), priority="medium", first_response_minutes=15, resolution_minutes=90
    )
    case = case_at(rep, opportunity)

    assert case.first_response_due == T0 + dt.timedelta(minutes=15)
    assert case.resolution_due == T0 + dt.timedelta(minutes=90)


def test_the_first_response_stops_that_clock(rep, opportunity, round_the_clock, deal_desk_agent):
    case = case_at(rep, opportunity, priority="high")
    case.first_response_at = T0 + HOUR
    case.save(update_fields=["first_response_at"])

    refresh_case_sla(case, now=T0 + HOUR)
    case.refresh_from_db()

    assert case.sla_due == case.resolution_due == T0 + 24 * HOUR
    assert case.sla_check_at == T0 + 18 * HOUR  # 75 % of the resolution target


def test_pending_response_pauses_the_resolution_clock_and_pushes_it_out(
    rep, opportunity, round_the_clock
):
    case = case_at(rep, opportunity, priority="high")
    case.first_response_at = T0 + HOUR
    case.status = Status.PENDING_RESPONSE
    refresh_case_sla(case, now=T0 + HOUR)
    case.refresh_from_db()

    assert case.resolution_due is None  # paused: no due time while the requester has it
    assert CasePause.objects.get(case=case).ended_at is None
    paused = clock_of(case, now=T0 + 3 * HOUR)
    assert paused.state.paused and paused.state.used == HOUR

    case.status = Status.WORK_IN_PROGRESS
    refresh_case_sla(case, now=T0 + 3 * HOUR)
    case.refresh_from_db()

    assert case.resolution_due == T0 + 26 * HOUR  # the 2 paused hours don't count
    resumed = clock_of(case, now=T0 + 5 * HOUR)
    assert resumed.state.used == 3 * HOUR
    assert resumed.state.used + resumed.state.left == resumed.targets.resolution


def test_a_team_can_keep_the_clock_running_on_hold(rep, opportunity, round_the_clock):
    round_the_clock.pause_statuses = [Status.PENDING_RESPONSE]
    round_the_clock.save()
    case = case_at(rep, opportunity)
    case.status = Status.ON_HOLD
    refresh_case_sla(case, now=T0 + HOUR)

    assert not CasePause.objects.filter(case=case).exists()


def test_the_closed_stretch_of_a_reopened_case_does_not_count(rep, opportunity, round_the_clock):
    case = case_at(rep, opportunity, priority="high")
    case.first_response_at = T0 + HOUR
    case.status, case.closed_at = Status.CLOSED, T0 + 2 * HOUR
    refresh_case_sla(case, now=T0 + 2 * HOUR)
    case.refresh_from_db()
    assert case.sla_check_at is None  # nothing left to check on a closed case

    case.status, case.closed_at = Status.WORK_IN_PROGRESS, None
    refresh_case_sla(case, now=T0 + 50 * HOUR)
    case.refresh_from_db()

    assert case.resolution_due == T0 + 72 * HOUR  # 24 h target + the 48 h it was closed
    assert case.sla_stage == SlaStage.ON_TRACK


def test_the_sweep_warns_the_queue_then_escalates_to_the_leads(
    rep, opportunity, round_the_clock, deal_desk_agent, desk_lead
):
    # Dan leads another team: that makes him no lead of Deal Desk.
    MembershipFactory(user=deal_desk_agent, team=team("Billing"), role=Membership.Role.LEAD)
    case = case_at(rep, opportunity, priority="urgent", urgent_reason="Signing today")

    assert sweep(now=T0 + dt.timedelta(minutes=20)) == 0  # 67 % of 30 min: on track
    assert sweep(now=T0 + dt.timedelta(minutes=23)) == 1  # 75 %: at risk
    case.refresh_from_db()
    assert case.sla_stage == SlaStage.AT_RISK
    warned = Notification.objects.filter(case=case, kind="sla.warning")
    assert {n.user.username for n in warned} == {"dan", "lena"}  # unowned: the whole queue
    assert "first response" in warned.first().title
    assert sweep(now=T0 + dt.timedelta(minutes=25)) == 0  # told once

    assert sweep(now=T0 + dt.timedelta(minutes=31)) == 1
    case.refresh_from_db()
    assert case.sla_stage == SlaStage.BREACHED and case.sla_check_at is None
    escalated = Notification.objects.filter(case=case, kind="sla.breached")
    assert [n.user.username for n in escalated] == ["lena"]  # leads (the case has no owner)
    kinds = list(CaseEvent.objects.filter(case=case, kind__startswith="sla.").values_list("kind"))
    assert sorted(kinds) == [(CaseEvent.SLA_BREACHED,), (CaseEvent.SLA_WARNING,)]
    assert all(
        CaseEvent.objects.filter(case=case, kind__startswith="sla.").values_list(
            "internal", flat=True
        )
    )


def test_an_owned_case_warns_its_owner_only(
    rep, opportunity, round_the_clock, deal_desk_agent, desk_lead
):
    case = case_at(rep, opportunity, priority="high")
    actions.take_case(case, agent=deal_desk_agent)  # first response: now (real time)
    case.refresh_from_db()
    Case.objects.filter(pk=case.pk).update(first_response_at=T0 + HOUR)
    case.refresh_from_db()
    refresh_case_sla(case, now=T0 + HOUR)

    assert sweep(now=T0 + 19 * HOUR) == 1
    warned = Notification.objects.filter(case=case, kind="sla.warning")
    assert [n.user.username for n in warned] == ["dan"]
    assert "resolution" in warned.get().title


def test_a_lower_priority_takes_a_case_off_at_risk_without_a_message(
    rep, opportunity, round_the_clock, deal_desk_agent
):
    case = case_at(rep, opportunity, priority="urgent", urgent_reason="Signing today")
    sweep(now=T0 + dt.timedelta(minutes=25))
    case.refresh_from_db()
    assert case.sla_stage == SlaStage.AT_RISK

    case.priority = "low"
    case.save(update_fields=["priority"])
    refresh_case_sla(case, now=T0 + dt.timedelta(minutes=26))
    case.refresh_from_db()

    assert case.sla_stage == SlaStage.ON_TRACK
    assert case.first_response_due == T0 + 24 * HOUR  # Low: 1 business day


def test_a_higher_priority_that_is_already_late_is_escalated_by_the_next_sweep(
    rep, opportunity, round_the_clock, desk_lead
):
    case = case_at(rep, opportunity, priority="low")
    case.priority = "urgent"
    case.save(update_fields=["priority"])
    refresh_case_sla(case, now=T0 + 2 * HOUR)
    case.refresh_from_db()
    assert case.sla_stage == SlaStage.ON_TRACK  # not yet: the sweep owes the leads a message
    assert case.sla_check_at == T0 + 2 * HOUR

    assert sweep(now=T0 + 2 * HOUR) == 1
    case.refresh_from_db()
    assert case.sla_stage == SlaStage.BREACHED
    assert Notification.objects.filter(case=case, kind="sla.breached").count() == 1
    assert not Notification.objects.filter(case=case, kind="sla.warning").exists()


def test_status_changes_through_the_actions_keep_the_clock(rep, opportunity, deal_desk_agent):
    case = quote_question(rep, opportunity)
    actions.take_case(case, agent=deal_desk_agent)
    actions.ask_requester(case, agent=deal_desk_agent, question="Which quote?")
    case.refresh_from_db()
    assert case.status == Status.PENDING_RESPONSE and case.resolution_due is None
    assert CasePause.objects.filter(case=case, ended_at__isnull=True).exists()

    actions.add_comment(case, author=rep, body="Q-123")
    case.refresh_from_db()

    assert case.status == Status.WORK_IN_PROGRESS and case.resolution_due is not None
    assert not CasePause.objects.filter(case=case, ended_at__isnull=True).exists()
    assert case.sla_due == case.resolution_due  # answered: the resolution clock matters now


def test_the_sla_sweep_is_a_periodic_job(settings):
    assert JOBS["sla"].function == "supportdesk.sla.engine.sweep"
    settings.SLA_CHECK_SECONDS = 30
    assert JOBS["sla"].every == dt.timedelta(seconds=30)


def test_a_closed_case_is_never_warned(rep, opportunity, round_the_clock, deal_desk_agent):
    case = case_at(rep, opportunity, priority="urgent", urgent_reason="Signing today")
    actions.take_case(case, agent=deal_desk_agent)
    actions.close_case(case, actor=deal_desk_agent, resolution="answered", note="Done")
    case.refresh_from_db()

    assert case.sla_check_at is None
    assert sweep(now=timezone.now() + 10 * HOUR) == 0
