"""The suggested priority from a record's facts (cases/priority_rules.py): pure rules."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from supportdesk.cases.priority_rules import (
    RuleConfig,
    business_days_between,
    config_from_settings,
    fiscal_quarter,
    parse_date,
    suggest_for,
    suggest_priority,
)
from supportdesk.sla.business_time import BusinessCalendar

FRIDAY = dt.date(2026, 12, 4)
CONFIG = RuleConfig()


def opportunity(**attributes):
    return SimpleNamespace(kind="opportunity", attributes={"stage": "4-Proposal", **attributes})


def suggest(record, today=FRIDAY, config=CONFIG):
    return suggest_priority(record, today=today, config=config)


# ---- closing within 5 business days ----------------------------------------------------------


def test_an_opportunity_closing_in_five_business_days_suggests_high_with_the_reason():
    found = suggest(opportunity(close_date="2026-12-11"))  # Mon…Fri next week: 5 days
    assert found.priority == "high" and found.label == "High" and found.rule == "close_soon"
    assert found.reason == "Opportunity closes on 11 Dec (within 5 business days)"


def test_six_business_days_away_suggests_nothing():
    assert suggest(opportunity(close_date="2026-12-14")) is None  # the Monday after


def test_closing_today_suggests_high():
    assert suggest(opportunity(close_date="2026-12-04")).rule == "close_soon"


def test_a_close_date_in_the_past_suggests_nothing():
    assert suggest(opportunity(close_date="2026-12-03")) is None


def test_a_weekend_close_counts_no_business_day():
    saturday_after_friday = opportunity(close_date="2026-12-05")
    assert suggest(saturday_after_friday).rule == "close_soon"
    assert business_days_between(CONFIG.calendar, FRIDAY, dt.date(2026, 12, 6)) == 0


def test_holidays_of_the_calendar_are_not_business_days():
    calendar = BusinessCalendar(holidays=frozenset({dt.date(2026, 12, 8)}))
    config = RuleConfig(calendar=calendar)
    assert suggest(opportunity(close_date="2026-12-14"), config=config).rule == "close_soon"


def test_the_threshold_is_configurable():
    config = RuleConfig(close_business_days=6)
    found = suggest(opportunity(close_date="2026-12-14"), config=config)
    assert found.reason == "Opportunity closes on 14 Dec (within 6 business days)"
    one_day = RuleConfig(close_business_days=1)
    assert suggest(opportunity(close_date="2026-12-07"), config=one_day).reason.endswith(
        "(within 1 business day)"
    )
    assert suggest(opportunity(close_date="2026-12-08"), config=one_day) is None


def test_a_closed_opportunity_suggests_nothing():
    won = opportunity(close_date="2026-12-07", stage="Closed Won")
    assert suggest(won) is None


# ---- the last week of the fiscal quarter -----------------------------------------------------


@pytest.mark.parametrize(
    ("close_date", "rule"),
    [
        ("2026-12-24", None),  # eight days before the quarter ends
        ("2026-12-25", "quarter_end"),  # the last seven days: 25–31 December
        ("2026-12-31", "quarter_end"),
        ("2027-01-01", None),  # next quarter
    ],
)
def test_closing_in_the_last_week_of_the_calendar_quarter(close_date, rule):
    found = suggest(opportunity(close_date=close_date))
    assert (found.rule if found else None) == rule


def test_the_quarter_end_reason_names_the_quarter_and_its_last_day():
    found = suggest(opportunity(close_date="2026-12-28"))
    assert found.priority == "high"
    assert found.reason == (
        "Opportunity closes on 28 Dec, in the last week of fiscal Q4 (ends 31 Dec)"
    )


def test_only_the_current_quarter_counts():
    last_week_of_next_quarter = opportunity(close_date="2027-03-28")
    assert suggest(last_week_of_next_quarter) is None
    assert suggest(last_week_of_next_quarter, today=dt.date(2027, 3, 1)).rule == "quarter_end"


def test_the_fiscal_year_start_month_moves_the_quarters():
    february = RuleConfig(fiscal_year_start_month=2)  # Q4 is November to January
    assert suggest(opportunity(close_date="2026-12-28"), config=february) is None
    found = suggest(opportunity(close_date="2027-01-27"), config=february)
    assert found.reason == (
        "Opportunity closes on 27 Jan 2027, in the last week of fiscal Q4 (ends 31 Jan 2027)"
    )


def test_the_quarter_end_window_is_configurable():
    ten_days = RuleConfig(quarter_end_days=10)
    found = suggest(opportunity(close_date="2026-12-22"), config=ten_days)
    assert "in the last 10 days of fiscal Q4" in found.reason
    assert suggest(opportunity(close_date="2026-12-22"), config=RuleConfig()) is None
    assert (
        suggest(opportunity(close_date="2026-12-31"), config=RuleConfig(quarter_end_days=0)) is None
    )


@pytest.mark.parametrize(
    ("day", "start_month", "expected"),
    [
        (dt.date(2026, 12, 4), 1, (4, dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
        (dt.date(2026, 1, 1), 1, (1, dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
        (dt.date(2026, 12, 4), 2, (4, dt.date(2026, 11, 1), dt.date(2027, 1, 31))),
        (dt.date(2027, 1, 31), 2, (4, dt.date(2026, 11, 1), dt.date(2027, 1, 31))),
        (dt.date(2027, 2, 1), 2, (1, dt.date(2027, 2, 1), dt.date(2027, 4, 30))),
        (dt.date(2028, 1, 15), 12, (1, dt.date(2027, 12, 1), dt.date(2028, 2, 29))),  # leap
        (dt.date(2026, 7, 1), 7, (1, dt.date(2026, 7, 1), dt.date(2026, 9, 30))),
    ],
)
def test_fiscal_quarters(day, start_month, expected):
    assert fiscal_quarter(day, start_month) == expected


@given(st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)), st.integers(1, 12))
def test_a_fiscal_quarter_holds_its_day_and_spans_three_whole_months(day, start_month):
    number, first, last = fiscal_quarter(day, start_month)
    assert first <= day <= last and 1 <= number <= 4
    assert first.day == 1 and (last + dt.timedelta(days=1)).day == 1
    assert (first.month - start_month) % 3 == 0 and 88 <= (last - first).days <= 91
    assert number == (first.month - start_month) % 12 // 3 + 1


# ---- renewals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("renewal_date", "suggested"),
    [("2026-12-04", True), ("2026-12-18", True), ("2026-12-19", False), ("2026-12-03", False)],
)
def test_a_renewal_within_fourteen_days_suggests_high(renewal_date, suggested):
    account = SimpleNamespace(kind="customer_account", attributes={"renewal_date": renewal_date})
    found = suggest(account)
    assert (found is not None) == suggested
    if found:
        assert found.rule == "renewal_soon" and found.priority == "high"


def test_the_renewal_reason_names_the_date():
    found = suggest(
        SimpleNamespace(kind="partner_account", attributes={"renewal_date": "2026-12-15"})
    )
    assert found.reason == "Renewal on 15 Dec (within 14 days)"


def test_an_opportunity_with_a_renewal_date_soon_suggests_high():
    found = suggest(opportunity(close_date="2027-05-20", renewal_date="2026-12-10"))
    assert found.rule == "renewal_soon"


def test_the_first_rule_wins_among_equal_suggestions():
    both = opportunity(close_date="2026-12-07", renewal_date="2026-12-10")
    assert suggest(both).rule == "close_soon"
    renewal_first = RuleConfig(rules=("renewal_soon", "close_soon"))
    assert suggest(both, config=renewal_first).rule == "renewal_soon"


# ---- kinds and bad data ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["contact", "lead", "deal_registration", "labra_lead"])
def test_other_kinds_suggest_nothing(kind):
    record = SimpleNamespace(
        kind=kind, attributes={"close_date": "2026-12-07", "renewal_date": "2026-12-07"}
    )
    assert suggest(record) is None


def test_a_close_date_on_an_account_is_not_an_opportunity_close():
    assert (
        suggest(SimpleNamespace(kind="customer_account", attributes={"close_date": "2026-12-07"}))
        is None
    )


@pytest.mark.parametrize(
    "value", [None, "", "  ", "next Friday", "2026-13-01", "2026-02-30", "12/07/2026", 20261207, []]
)
def test_missing_or_unreadable_dates_suggest_nothing(value):
    assert suggest(opportunity(close_date=value, renewal_date=value)) is None


def test_no_attributes_and_no_record_suggest_nothing():
    assert suggest(SimpleNamespace(kind="opportunity", attributes={})) is None
    assert suggest(SimpleNamespace(kind="opportunity", attributes=["close_date"])) is None
    assert suggest(None) is None


def test_an_iso_datetime_counts_by_its_date():
    assert parse_date("2026-12-08T17:00:00Z") == dt.date(2026, 12, 8)
    assert suggest(opportunity(close_date="2026-12-08T17:00:00+00:00")).rule == "close_soon"


# ---- configuration ---------------------------------------------------------------------------


def test_only_the_configured_rules_run():
    closing = opportunity(close_date="2026-12-07")
    assert suggest(closing, config=RuleConfig(rules=())) is None
    assert suggest(closing, config=RuleConfig(rules=("renewal_soon",))) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": ("close_soon", "full_moon")},
        {"fiscal_year_start_month": 0},
        {"fiscal_year_start_month": 13},
        {"renewal_days": -1},
    ],
)
def test_a_bad_configuration_fails_loudly(bad):
    with pytest.raises(ValueError):
        RuleConfig(**bad)


def test_the_settings_configure_the_rules(settings):
    settings.PRIORITY_CLOSE_BUSINESS_DAYS = 2
    settings.FISCAL_YEAR_START_MONTH = 2
    settings.PRIORITY_RULES = ["close_soon", "quarter_end"]
    config = config_from_settings()
    assert config.rules == ("close_soon", "quarter_end") and config.fiscal_year_start_month == 2
    assert suggest_for("opportunity", {"close_date": "2026-12-08"}, today=FRIDAY) is not None
    assert suggest_for("opportunity", {"close_date": "2026-12-09"}, today=FRIDAY) is None


def test_bad_settings_are_improperly_configured(settings):
    settings.FISCAL_YEAR_START_MONTH = 14
    with pytest.raises(ImproperlyConfigured, match="fiscal year"):
        config_from_settings()


def test_the_demo_shows_suggestions_on_its_renewals():
    from django.utils import timezone

    from supportdesk.demo import _opportunities

    today, renewals = timezone.localdate(), RuleConfig(rules=("renewal_soon",))
    facts = [attributes for *_, attributes in _opportunities()]
    assert any(suggest_for("opportunity", a, today=today, config=CONFIG) for a in facts)
    assert any(suggest_for("opportunity", a, today=today, config=renewals) for a in facts)
