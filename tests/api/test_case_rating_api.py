"""Satisfaction through the API: POST /cases/{number}/rate, and `rating` in the case output.

Personas (tests/conftest.py): Rita the requester, Dan of Deal Desk (the case's team), Oscar a
watcher, Olga an outsider, Ada an admin.
"""

from __future__ import annotations

import datetime as dt

import pytest

from supportdesk.cases.actions import close_case, rate_case, reopen_case, take_case
from supportdesk.cases.models import Case, CaseEvent, CaseRating, Resolution
from supportdesk.notify.models import Notification
from supportdesk.people.models import ApiToken
from tests.api.test_case_actions_api import field_errors, ok, post, problem, url
from tests.web.casework import quote_question_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rep, opportunity) -> Case:
    return quote_question_case(rep, opportunity)


@pytest.fixture
def closed(case, deal_desk_agent) -> Case:
    take_case(case, agent=deal_desk_agent)
    return close_case(
        case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Ramp approved."
    )


@pytest.fixture
def watcher(closed, other_rep):
    closed.watcher_links.create(user=other_rep)
    return other_rep


@pytest.fixture
def rita(api_client, rep):
    return api_client(rep)


def version(case: Case) -> int:
    return Case.objects.values_list("version", flat=True).get(pk=case.pk)


def test_the_requester_rates_a_closed_case_and_gets_the_case_back(
    rita, closed, rep, deal_desk_agent
):
    before = version(closed)
    body = ok(post(rita, closed, "rate", {"score": 4, "comment": "Quick and clear."}))
    rating = CaseRating.objects.get(case=closed)
    assert body["rating"] | {"updated_at": None} == {
        "score": 4,
        "comment": "Quick and clear.",
        "updated_at": None,
    }
    updated_at = dt.datetime.fromisoformat(body["rating"]["updated_at"])
    assert abs(updated_at - rating.updated_at) < dt.timedelta(milliseconds=1)
    assert body["number"] == closed.number and body["version"] == before + 1 == version(closed)
    assert "rate" in body["actions"]  # rating again replaces the rating
    assert body == ok(rita.get(url(closed)))  # the answer is the case as GET shows it
    event = closed.events.get(kind=CaseEvent.RATED)
    assert event.data == {"score": 4, "comment": "Quick and clear."}
    assert Notification.objects.filter(user=deal_desk_agent, kind="case.rated").exists()


def test_the_comment_is_optional_and_rating_again_replaces_it(rita, closed):
    ok(post(rita, closed, "rate", {"score": 2, "comment": "Slow."}))
    body = ok(post(rita, closed, "rate", {"score": 5}))
    assert (body["rating"]["score"], body["rating"]["comment"]) == (5, "")
    assert CaseRating.objects.filter(case=closed).count() == 1
    assert closed.events.filter(kind=CaseEvent.RATED).count() == 2


@pytest.mark.parametrize("persona", ["deal_desk_agent", "admin_user", "watcher", "rep"])
def test_whoever_sees_the_case_sees_its_rating(api_client, closed, rep, persona, request):
    client = api_client(request.getfixturevalue(persona))
    assert ok(client.get(url(closed)))["rating"] is None
    rate_case(closed, requester=rep, score=3, comment="Fine.")
    rating = ok(client.get(url(closed)))["rating"]
    assert (rating["score"], rating["comment"]) == (3, "Fine.")
    listed = ok(client.get("/api/v1/cases"))["items"]
    assert [c["rating"]["score"] for c in listed if c["number"] == closed.number] == [3]


def test_an_open_case_has_no_rating_and_a_reopened_one_shows_none_until_closed_again(
    rita, case, closed, rep, deal_desk_agent
):
    rate_case(closed, requester=rep, score=2)
    reopen_case(closed, actor=rep, reason="Still blocked.")
    assert ok(rita.get(url(closed)))["rating"] is None
    assert CaseRating.objects.filter(case=closed).exists()  # kept for the reports
    close_case(closed, actor=deal_desk_agent, resolution=Resolution.RESOLVED, note="Unblocked.")
    assert ok(rita.get(url(closed)))["rating"]["score"] == 2


# ---- refusals and mistakes -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["deal_desk_agent", "admin_user", "watcher"])
def test_only_the_requester_may_rate(api_client, closed, persona, request):
    before = version(closed)
    response = post(api_client(request.getfixturevalue(persona)), closed, "rate", {"score": 5})
    problem(response, 403)
    assert not CaseRating.objects.exists() and version(closed) == before


def test_an_open_case_cannot_be_rated(rita, case):
    problem(post(rita, case, "rate", {"score": 5}), 403)
    assert not CaseRating.objects.exists()


def test_a_stranger_gets_404(api_client, closed, outsider):
    assert problem(post(api_client(outsider), closed, "rate", {"score": 5}), 404)
    assert not CaseRating.objects.exists()


def test_a_read_token_may_not_rate(api_client, closed, rep):
    client = api_client(rep, scope=ApiToken.Scope.READ)
    assert "read" in problem(post(client, closed, "rate", {"score": 5}), 403)["detail"]


@pytest.mark.parametrize(
    "body", [{}, {"score": None}, {"score": 0}, {"score": 6}, {"score": -1}, {"comment": "x"}]
)
def test_a_missing_or_out_of_range_score_is_a_422_on_score(rita, closed, body):
    assert field_errors(post(rita, closed, "rate", body)) == {
        "score": "Choose a rating from 1 to 5."
    }
    assert not CaseRating.objects.exists()


@pytest.mark.parametrize("score", ["5", 4.5, True, "five", [5]])
def test_a_score_that_is_not_an_integer_is_a_422_on_score(rita, closed, score):
    assert set(field_errors(post(rita, closed, "rate", {"score": score}))) == {"score"}
    assert not CaseRating.objects.exists()


def test_a_stale_version_is_a_409_and_the_current_one_is_accepted(rita, closed):
    current = version(closed)
    conflict = problem(post(rita, closed, "rate", {"score": 5, "version": current - 1}), 409)
    assert conflict["version"] == current and "changed since you opened it" in conflict["detail"]
    assert not CaseRating.objects.exists()
    body = ok(post(rita, closed, "rate", {"score": 5, "version": current}))
    assert body["version"] == current + 1 and body["rating"]["score"] == 5


def test_the_document_describes_the_rating(client, rep):
    client.force_login(rep)
    components = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert components["RateIn"]["required"] == ["score"]
    assert "rating" in components["CaseOut"]["required"]
    assert set(components["RatingOut"]["properties"]) == {"score", "comment", "updated_at"}
