"""Satisfaction on the case page: the requester rates their closed case (1–5, an optional
comment) without JavaScript and with htmx; everyone else who sees the case reads the rating."""

from __future__ import annotations

import re

import pytest

from supportdesk.cases.actions import close_case, rate_case, reopen_case, take_case
from supportdesk.cases.models import Case, CaseEvent, CaseRating, Resolution
from supportdesk.notify.models import Notification
from tests.web.casework import HTMX, flashed, fresh, quote_question_case, text, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rep, opportunity):
    return quote_question_case(rep, opportunity)


@pytest.fixture
def closed(case, deal_desk_agent):
    """The case, taken by Dan and closed as answered."""
    take_case(case, agent=deal_desk_agent)
    return close_case(
        case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Ramp approved."
    )


@pytest.fixture
def watcher(closed, other_rep):
    closed.watcher_links.create(user=other_rep)
    return other_rep


def rate(client, case: Case, data: dict, **kwargs):
    return client.post(url(case, "rate"), data, **kwargs)


def radios(page: str) -> list[str]:
    """The score radios' labels, in order."""
    return [
        re.sub(r"\s+", " ", label).strip()
        for label in re.findall(r'<label for="id_rating_score_\d">.*?>([^<]*)</label>', page, re.S)
    ]


# ---- what the page shows -------------------------------------------------------------------


def test_the_requester_of_a_closed_case_is_asked_how_it_went(login, closed, rep):
    page = text(login(rep).get(closed.get_absolute_url()))
    assert 'id="rate"' in page and "How did we do?" in page
    assert f'action="{url(closed, "rate")}"' in page and f'hx-post="{url(closed, "rate")}"' in page
    # One accessible group of labelled radios, and an optional comment.
    assert re.search(r"<fieldset[^>]*>\s*<legend>Your rating", page)
    assert radios(page) == ["1 Very poor", "2 Poor", "3 OK", "4 Good", "5 Excellent"]
    assert page.count('name="score"') == 5 and 'name="comment"' in page
    # The actions bar leads to the form on the page (an anchor, not an inline form).
    assert '<a class="button button--primary" href="#rate">Rate this case</a>' in page
    # The form comes before the details.
    assert page.index('id="rate"') < page.index('id="details-title"')


def test_the_form_is_only_for_the_requester_of_a_closed_case(
    login, case, closed, deal_desk_agent, admin_user, watcher
):
    for user in (deal_desk_agent, admin_user, watcher):
        page = text(login(user).get(closed.get_absolute_url()))
        assert 'id="rate"' not in page and 'href="#rate"' not in page
        assert "Satisfaction" not in page  # nothing rated yet


def test_an_open_case_asks_for_no_rating(login, case, rep):
    page = text(login(rep).get(case.get_absolute_url()))
    assert 'id="rate"' not in page and "How did we do?" not in page


# ---- rating --------------------------------------------------------------------------------


def test_the_requester_rates_without_javascript(login, closed, rep, deal_desk_agent):
    response = rate(login(rep), closed, {"score": "4", "comment": "Quick and clear."})
    assert response.status_code == 302
    assert response.url == f"{closed.get_absolute_url()}#rate"
    assert flashed(response) == [f"Thank you: you rated case {closed.number} 4/5."]
    rating = CaseRating.objects.get(case=closed)
    assert (rating.score, rating.comment) == (4, "Quick and clear.")
    event = closed.events.get(kind=CaseEvent.RATED)
    assert event.actor == rep and event.data == {"score": 4, "comment": "Quick and clear."}
    assert Notification.objects.filter(user=deal_desk_agent, kind="case.rated").exists()


def test_the_requester_rates_with_htmx_and_the_page_reloads_at_the_rating(login, closed, rep):
    page = f"http://testserver{closed.get_absolute_url()}"
    headers = {**HTMX, "HX-Current-URL": page}
    response = rate(login(rep), closed, {"score": "5"}, headers=headers)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{closed.get_absolute_url()}#rate"
    assert response["HX-Refresh"] == "true"  # only the #anchor changes: a reload is needed
    assert CaseRating.objects.get(case=closed).score == 5


def test_after_rating_the_requester_sees_it_and_may_change_it(login, closed, rep):
    client = login(rep)
    rate(client, closed, {"score": "4", "comment": "Quick & clear."})
    page = text(client.get(closed.get_absolute_url()))
    assert "You rated this <strong>4/5</strong> — change</summary>" in page
    assert "Your comment: “Quick &amp; clear.”" in page
    assert re.search(r'value="4"[^>]*checked', page)  # the form holds the current rating
    assert "Quick &amp; clear.</textarea>" in page

    rate(client, closed, {"score": "2", "comment": ""})  # rating again replaces it
    rating = CaseRating.objects.get(case=closed)
    assert (rating.score, rating.comment) == (2, "")
    assert closed.events.filter(kind=CaseEvent.RATED).count() == 2
    assert "You rated this <strong>2/5</strong>" in text(client.get(closed.get_absolute_url()))


def test_the_team_admins_and_watchers_read_the_rating(
    login, closed, rep, deal_desk_agent, admin_user, watcher
):
    rate_case(closed, requester=rep, score=4, comment="Quick <b>and</b> clear.")
    for user in (deal_desk_agent, admin_user, watcher):
        page = text(login(user).get(closed.get_absolute_url()))
        assert (
            "<dt>Satisfaction</dt><dd>Rated <strong>4/5</strong> by the requester: "
            "“Quick &lt;b&gt;and&lt;/b&gt; clear.”</dd>" in page
        )
        assert 'id="rate"' not in page
        assert "rated the case 4/5" in page  # and the feed says so


def test_a_reopened_case_asks_again_when_it_closes_again(login, closed, rep, deal_desk_agent):
    rate_case(closed, requester=rep, score=2)
    reopen_case(closed, actor=rep, reason="The ramp is still blocked.")
    page = text(login(rep).get(closed.get_absolute_url()))
    assert 'id="rate"' not in page and "Satisfaction" not in page
    assert CaseRating.objects.filter(case=closed).exists()  # kept for the reports
    close_case(closed, actor=deal_desk_agent, resolution=Resolution.RESOLVED, note="Unblocked.")
    assert "You rated this <strong>2/5</strong> — change" in text(
        login(rep).get(closed.get_absolute_url())
    )


# ---- mistakes and refusals -----------------------------------------------------------------


@pytest.mark.parametrize("score", ["", "0", "6", "five"])
def test_a_missing_or_bad_score_comes_back_with_the_comment_kept(login, closed, rep, score):
    client = login(rep)
    page = text(rate(client, closed, {"score": score, "comment": "Kept <this>"}))
    assert "<html" in page  # the whole page, without JS
    assert "Choose a rating from 1 to 5." in page and 'href="#id_rating_score_0"' in page
    assert "Kept &lt;this&gt;</textarea>" in page
    partial = text(rate(client, closed, {"score": score, "comment": "Kept"}, headers=HTMX))
    assert "<html" not in partial and partial.lstrip().startswith("<section")
    assert 'id="rate"' in partial and "Choose a rating from 1 to 5." in partial
    assert "Kept</textarea>" in partial
    assert not CaseRating.objects.filter(case=closed).exists()
    assert not closed.events.filter(kind=CaseEvent.RATED).exists()


def test_a_mistake_when_changing_keeps_the_change_form_open(login, closed, rep):
    rate_case(closed, requester=rep, score=3)
    partial = text(rate(login(rep), closed, {"score": "9"}, headers=HTMX))
    assert '<details class="rating-change" open>' in partial
    assert "You rated this <strong>3/5</strong>" in partial


@pytest.mark.parametrize("persona", ["deal_desk_agent", "admin_user", "watcher"])
def test_only_the_requester_may_rate(login, closed, persona, request):
    response = rate(login(request.getfixturevalue(persona)), closed, {"score": "1"})
    assert response.status_code == 302 and response.url == closed.get_absolute_url()
    assert flashed(response) == [f"Only the requester can rate case {closed.number}."]
    assert not CaseRating.objects.filter(case=closed).exists()
    assert fresh(closed).version == closed.version


def test_an_open_case_cannot_be_rated(login, case, rep):
    response = rate(login(rep), case, {"score": "5"})
    assert flashed(response) == [f"You can rate case {case.number} once it is closed."]
    htmx = rate(login(rep), case, {"score": "5"}, headers=HTMX)
    assert htmx.status_code == 409 and "once it is closed" in text(htmx)
    assert not CaseRating.objects.exists()


def test_strangers_get_404_and_anonymous_users_the_login_page(client, login, closed, outsider):
    assert rate(login(outsider), closed, {"score": "5"}).status_code == 404
    response = rate(client, closed, {"score": "5"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert login(closed.requester).get(url(closed, "rate")).status_code == 405  # POST only
    assert not CaseRating.objects.exists()


# ---- cost ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["rep", "deal_desk_agent"])
def test_a_rated_case_page_stays_within_the_query_budget(
    login, closed, rep, persona, request, django_assert_max_num_queries
):
    rate_case(closed, requester=rep, score=5, comment="Great")
    client = login(request.getfixturevalue(persona))
    client.get(closed.get_absolute_url())  # the session and the messages settle
    # The case page's budget (tests/web/test_cases.py) and, for a closed case, its rating.
    with django_assert_max_num_queries(12 + 1):
        assert client.get(closed.get_absolute_url()).status_code == 200
