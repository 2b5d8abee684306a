"""The case page's Details card and answers are kept under a digest of what they show
(`page._details_key`, `{% cached_html %}`): each test loads the page (warming the cache),
changes something the card shows without touching the case row, and loads it again."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from supportdesk import fragments
from supportdesk.cases.actions import add_watcher, close_case, take_case
from supportdesk.cases.models import CaseRating, Resolution
from tests.web.casework import quote_question_case, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rep, opportunity):
    return quote_question_case(rep, opportunity)


def details(client, case) -> str:
    """The Details card and the answers, as the page shows them."""
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    page = text(response)
    return page.split('<div class="case-details">', 1)[1].split('<div class="case-side">', 1)[0]


def cached_details() -> int:
    return len([k for k in cache._cache if ":case-details:" in k])  # locmem, as in the tests


def test_the_card_is_cached_and_a_renamed_owner_or_record_shows_at_once(
    login, case, rep, deal_desk_agent, opportunity
):
    take_case(case, agent=deal_desk_agent)
    client = login(rep)
    before = details(client, case)
    assert details(client, case) == before and cached_details() == 1
    assert "<dd>Dan Desk</dd>" in before and f">{opportunity.name}</a>" in before
    deal_desk_agent.last_name = "Deskford"
    deal_desk_agent.save()
    opportunity.name = "Renamed deal"
    opportunity.save()
    after = details(client, case)
    assert "<dd>Dan Deskford</dd>" in after and ">Renamed deal</a>" in after
    assert "Dan Desk<" not in after


def test_each_viewer_sees_their_own_card(login, case, rep, deal_desk_agent, outsider):
    take_case(case, agent=deal_desk_agent)
    add_watcher(case, actor=rep, username=outsider.username)
    requester, agent, watcher = login(rep), login(deal_desk_agent), login(outsider)
    assert "<dt>SLA time</dt>" in details(agent, case)  # the team's view, cached first
    assert "<dt>SLA time</dt>" not in details(watcher, case)
    assert "<dt>SLA time</dt>" not in details(requester, case)
    close_case(case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done.")
    details(agent, case)
    CaseRating.objects.create(case=case, score=4, comment="Quick")  # no change to the case row
    assert "Rated <strong>4/5</strong> by the requester: “Quick”" in details(agent, case)
    assert "Rated <strong>4/5</strong>" not in details(requester, case)  # the form instead


class _DownCache:
    def get(self, *args):
        raise ConnectionError("cache is down")

    set = get_many = set_many = get


def test_a_cache_that_is_down_costs_speed_not_the_page(login, case, rep, monkeypatch):
    cached = details(login(rep), case)
    monkeypatch.setattr(fragments, "cache", _DownCache())
    assert details(login(rep), case) == cached
