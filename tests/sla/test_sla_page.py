"""The SLA on the case page: due times for everyone, time used and left for the team."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from supportdesk.cases import actions
from supportdesk.cases.models import Case
from supportdesk.sla.display import business_duration
from supportdesk.sla.engine import refresh_case_sla, sweep
from supportdesk.sla.models import BusinessHours
from tests.conftest import team
from tests.factories import quote_question

pytestmark = pytest.mark.django_db


def page(user, case: Case) -> str:
    client = Client()
    client.force_login(user)
    html = client.get(case.get_absolute_url()).content.decode()
    return re.sub(r"\s+", " ", html)


@pytest.fixture
def round_the_clock(db):
    return BusinessHours.objects.create(
        team=team("Deal Desk"),
        tz="UTC",
        weekdays=list(range(7)),
        day_start=dt.time(0, 0),
        day_end=dt.time(0, 0),
    )


def backdate(case: Case, hours: float) -> Case:
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours))
    case.refresh_from_db()
    refresh_case_sla(case)
    case.refresh_from_db()
    return case


def test_the_team_sees_time_used_and_left(rep, opportunity, deal_desk_agent, round_the_clock):
    case = backdate(quote_question(rep, opportunity, priority="high"), hours=1)

    html = page(deal_desk_agent, case)

    assert "<dt>First response due</dt>" in html and "<dt>Resolution due</dt>" in html
    assert re.search(r"1 h 0\d min used \((4) %\) · 22 h 5\d min left", html), html
    assert '<meter class="sla-meter"' in html


def test_the_requester_sees_the_due_times_only(rep, opportunity, round_the_clock):
    case = backdate(quote_question(rep, opportunity, priority="high"), hours=1)

    html = page(rep, case)

    assert "<dt>First response due</dt>" in html
    assert "<dt>SLA time</dt>" not in html


def test_a_waiting_case_shows_its_clock_paused(rep, opportunity, deal_desk_agent):
    case = quote_question(rep, opportunity)
    actions.take_case(case, agent=deal_desk_agent)
    actions.ask_requester(case, agent=deal_desk_agent, question="Which quote?")
    case.refresh_from_db()

    html = page(deal_desk_agent, case)

    assert "Clock paused while the case is Pending Response" in html


def test_a_breached_case_is_badged_on_its_page_and_says_so(
    rep, opportunity, deal_desk_agent, round_the_clock
):
    case = backdate(
        quote_question(rep, opportunity, priority="urgent", urgent_reason="Signing today"), 2
    )
    sweep()
    case.refresh_from_db()

    html = page(deal_desk_agent, case)

    assert 'sla-badge--breached">SLA breached</span>' in html
    assert '<span class="sla-late">overdue</span>' in html
    assert (
        re.search(r'<span class="sla-late">\d h \d\d min over</span>', html) is None
    )  # 4 h target
    assert "2 h 0" in html  # used


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (45, "45 min"), (125, "2 h 05 min"), (60 * 24 * 3 + 60, "3 d 1 h")],
)
def test_durations_read_in_hours_and_minutes(minutes, text):
    assert business_duration(dt.timedelta(minutes=minutes)) == text


def test_other_cases_on_the_record_are_badged(rep, opportunity, deal_desk_agent):
    late = quote_question(rep, opportunity)
    Case.objects.filter(pk=late.pk).update(sla_stage=2)
    case = quote_question(rep, opportunity)

    html = page(deal_desk_agent, case)

    assert f">{late.number}</a>" in html
    assert 'sla-badge--breached">Breached</span>' in html
