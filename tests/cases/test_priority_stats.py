"""The leads' urgent-use page: per requester, urgent requests and agents' downgrades."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from supportdesk.cases.models import Case
from supportdesk.cases.priority import change_priority
from supportdesk.cases.priority_stats import Usage, urgent_usage
from tests.conftest import team
from tests.factories import RecordFactory, quote_question
from tests.web.conftest import make_case, request_type

pytestmark = pytest.mark.django_db

URL = reverse("cases:urgent_usage")


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def row(page: str, name: str) -> str:
    """The cells after a requester's name in the table, up to the end of their row."""
    cells = page[page.index(name) :].split("</th>", 1)[1]
    return cells[: cells.index("</tr>")].strip()


def urgent(requester, record, why: str = "Quarter end") -> Case:
    return quote_question(requester, record, priority="urgent", urgent_reason=why)


def days_ago(case: Case, days: int) -> None:
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - dt.timedelta(days=days))


@pytest.fixture
def world(rep, other_rep, opportunity, deal_desk_agent):
    """Rita: three urgent requests to Deal Desk (one lowered, one old) and one High; Oscar: one
    Medium request; a Billing case of Rita's that Deal Desk's page must not count."""
    oscars = RecordFactory(owner=other_rep)
    first, second, old = (urgent(rep, opportunity) for _ in range(3))
    change_priority(second, agent=deal_desk_agent, priority="high", reason="Not an outage")
    days_ago(old, 60)
    quote_question(rep, opportunity, priority="high")
    quote_question(other_rep, oscars)
    billing = request_type("Billing", "Internal Support")
    make_case(rep, opportunity, request_type=billing, priority="urgent", urgent_reason="Due")
    return {"first": first, "second": second, "old": old}


def test_counts_per_requester_most_urgent_first(world):
    since = timezone.now() - dt.timedelta(days=90)
    report = urgent_usage(team("Deal Desk"), since=since)
    assert report.rows == [
        Usage("rita", "Rita Rep", requests=4, urgent=3, downgraded=1),
        Usage("oscar", "Oscar Other", requests=1, urgent=0, downgraded=0),
    ]
    assert report.totals == Usage("", "All requesters", requests=5, urgent=3, downgraded=1)
    assert report.rows[0].urgent_percent == 75 and report.rows[0].downgraded_percent == 33
    assert report.rows[1].downgraded_percent is None and not report.truncated


def test_the_period_leaves_older_requests_out(world):
    report = urgent_usage(team("Deal Desk"), since=timezone.now() - dt.timedelta(days=30))
    assert report.rows[0] == Usage("rita", "Rita Rep", requests=3, urgent=2, downgraded=1)


def test_two_queries_however_many_requesters(world, django_assert_num_queries):
    since, deal_desk = timezone.now() - dt.timedelta(days=90), team("Deal Desk")
    with django_assert_num_queries(2):
        urgent_usage(deal_desk, since=since)


def test_the_least_urgent_requesters_are_cut_beyond_the_limit(world):
    report = urgent_usage(team("Deal Desk"), since=timezone.now() - dt.timedelta(days=90), limit=1)
    assert [r.username for r in report.rows] == ["rita"] and report.truncated
    assert report.totals.requests == 5


def test_a_lead_sees_their_teams_page_linked_from_the_navigation(world, deal_desk_lead):
    client = login(deal_desk_lead)
    page = client.get(URL).content.decode()
    assert "Requests to Deal Desk since" in page
    assert "Rita Rep" in page and '3 <span class="muted">(75 %)</span>' in page
    assert '1 <span class="muted">(33 % of urgent)</span>' in page
    assert page.index("Rita Rep") < page.index("Oscar Other")
    home = client.get(reverse("cases:mine")).content.decode()
    assert f'href="{URL}"' in home


def test_the_period_is_selectable_and_a_bad_one_falls_back_to_90_days(world, deal_desk_lead):
    client = login(deal_desk_lead)
    month = client.get(URL, {"team": "deal-desk", "days": "30"}).content.decode()
    assert row(month, "Rita Rep").startswith("<td>3</td>")
    bad = client.get(URL, {"days": "7"})
    assert bad.status_code == 200 and "Choose one of the periods offered." in bad.content.decode()
    assert row(bad.content.decode(), "Rita Rep").startswith("<td>4</td>")


def test_agents_requesters_and_outsiders_get_404(world, deal_desk_agent, rep, outsider):
    for user in (deal_desk_agent, rep, outsider):
        client = login(user)
        assert client.get(URL).status_code == 404
        assert f'href="{URL}"' not in client.get(reverse("cases:mine")).content.decode()


def test_a_lead_may_not_see_another_teams_page(world, deal_desk_lead):
    assert login(deal_desk_lead).get(URL, {"team": "billing"}).status_code == 404


def test_admins_see_any_team(world, admin_user):
    page = login(admin_user).get(URL, {"team": "billing"}).content.decode()
    assert "Requests to Billing since" in page and "Rita Rep" in page
