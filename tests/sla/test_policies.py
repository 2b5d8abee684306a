"""Team SLA settings: the issue's defaults, admin-edited rows, validation and the admin."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from supportdesk.sla.models import BusinessHours, Holiday, SlaPolicy
from supportdesk.sla.queries import calendar_for, pause_statuses_for, targets_for
from tests.conftest import team

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("priority", "first_response", "resolution"),
    [
        ("urgent", 30, 4 * 60),
        ("high", 2 * 60, 8 * 60),
        ("medium", 8 * 60, 3 * 8 * 60),
        ("low", 8 * 60, 5 * 8 * 60),
    ],
)
def test_a_team_without_policies_gets_the_issue_defaults(priority, first_response, resolution):
    targets = targets_for(team("Billing"), priority)
    assert targets.first_response == first_response * MINUTE
    assert targets.resolution == resolution * MINUTE


def test_default_business_days_follow_the_length_of_the_teams_working_day():
    BusinessHours.objects.create(team=team("Billing"), day_start=time(8), day_end=time(18))
    low = targets_for(team("Billing"), "low")
    assert (low.first_response, low.resolution) == (10 * 60 * MINUTE, 50 * 60 * MINUTE)


def test_an_admin_policy_overrides_the_defaults_for_that_team_only():
    SlaPolicy.objects.create(
        team=team("Billing"), priority="urgent", first_response_minutes=15, resolution_minutes=120
    )
    assert targets_for(team("Billing"), "urgent").first_response == 15 * MINUTE
    assert targets_for(team("Deal Desk"), "urgent").first_response == 30 * MINUTE


def test_a_team_has_one_policy_per_priority():
    SlaPolicy.objects.create(
        team=team("Billing"), priority="high", first_response_minutes=60, resolution_minutes=480
    )
    with pytest.raises(IntegrityError):
        SlaPolicy.objects.create(
            team=team("Billing"), priority="high", first_response_minutes=5, resolution_minutes=9
        )


def test_a_team_without_hours_works_weekdays_nine_to_five_in_the_site_time_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    calendar = calendar_for(team("Billing"))
    assert (calendar.tz, calendar.start, calendar.end) == ("Europe/Berlin", time(9), time(17))
    assert calendar.weekdays == frozenset(range(5))
    assert pause_statuses_for(team("Billing")) == ["pending_response", "on_hold"]


def test_a_teams_calendar_carries_its_hours_and_holidays():
    hours = BusinessHours.objects.create(
        team=team("Deal Desk"), tz="America/New_York", weekdays=[0, 1, 2, 3], pause_statuses=[]
    )
    Holiday.objects.create(business_hours=hours, date=date(2026, 7, 3), name="Independence Day")
    calendar = calendar_for(team("Deal Desk"))
    assert calendar.tz == "America/New_York"
    assert calendar.weekdays == frozenset({0, 1, 2, 3})
    assert calendar.holidays == frozenset({date(2026, 7, 3)})
    assert pause_statuses_for(team("Deal Desk")) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"tz": "Mars/Olympus_Mons"},
        {"weekdays": []},
        {"weekdays": [0, 0]},
        {"weekdays": [7]},
        {"weekdays": ["monday"]},
        {"day_start": time(17), "day_end": time(9)},
        {"pause_statuses": ["closed"]},
        {"pause_statuses": ["lunch"]},
    ],
)
def test_impossible_business_hours_are_refused_with_a_reason(bad):
    hours = BusinessHours(team=team("Billing"), **bad)
    with pytest.raises(ValidationError):
        hours.full_clean()


def test_business_hours_ending_at_midnight_are_a_whole_evening():
    hours = BusinessHours(team=team("Billing"), day_start=time(12), day_end=time(0))
    hours.full_clean()
    assert hours.calendar().business_day == timedelta(hours=12)


def test_admins_edit_policies_hours_and_holidays(client, admin_user):
    client.force_login(admin_user)
    for model in ("slapolicy", "businesshours"):
        assert client.get(reverse(f"admin:sla_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:sla_{model}_add")).status_code == 200


def test_agents_cannot_open_the_sla_admin(client, billing_agent):
    client.force_login(billing_agent)
    response = client.get(reverse("admin:sla_slapolicy_changelist"))
    assert response.status_code == 302
