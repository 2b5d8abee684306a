"""API_RATE_LIMIT: per token (per session user), 429 problem+json with Retry-After."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from supportdesk.api import ratelimit
from supportdesk.api.ratelimit import Rate, hit, parse_rate
from tests.api.conftest import TokenClient, make_token

pytestmark = pytest.mark.django_db

START = 1_800_000_000.0  # the start of a minute (a multiple of 60)


@pytest.fixture
def now(monkeypatch):
    """The limiter's clock, set by the test: `now[0] = …`."""
    current = [START + 10]
    monkeypatch.setattr(ratelimit, "clock", lambda: current[0])
    return current


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("600/minute", Rate(600, 60)),
        ("5/s", Rate(5, 1)),
        (" 100 / hour ", Rate(100, 3600)),
        ("10000/day", Rate(10000, 86400)),
        ("off", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_rate(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["600", "0/minute", "10/fortnight", "ten/minute"])
def test_a_bad_rate_is_a_configuration_error(text):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(text)


def test_hit_counts_per_key_and_window():
    rate = Rate(2, 60)
    assert hit("a", rate, now=START) is None
    assert hit("a", rate, now=START + 1) is None
    assert hit("a", rate, now=START + 45.5) == 14.5
    assert hit("b", rate, now=START + 46) is None
    assert hit("a", rate, now=START + 60) is None  # a new window


@override_settings(API_RATE_LIMIT="3/minute")
def test_over_the_limit_answers_429_with_retry_after(rep, now):
    client = TokenClient(make_token(rep))
    paths = ["/api/v1/tokens", "/api/v1/records", "/api/v1/tokens"]  # one budget for all routes
    assert [client.get(path).status_code for path in paths] == [200, 200, 200]
    response = client.get("/api/v1/records")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429
    assert response["Retry-After"] == "50"
    now[0] = START + 59.2
    assert client.get("/api/v1/tokens")["Retry-After"] == "1"  # rounded up, never 0


@override_settings(API_RATE_LIMIT="2/minute")
def test_another_token_has_its_own_budget(rep, now):
    first, second = TokenClient(make_token(rep)), TokenClient(make_token(rep))
    assert [first.get("/api/v1/tokens").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/tokens").status_code == 200


@override_settings(API_RATE_LIMIT="2/minute")
def test_the_window_resets(rep, now):
    client = TokenClient(make_token(rep))
    assert [client.get("/api/v1/tokens").status_code for _ in range(3)] == [200, 200, 429]
    now[0] = START + 60
    assert client.get("/api/v1/tokens").status_code == 200


@override_settings(API_RATE_LIMIT="2/minute")
def test_session_users_are_limited_too(client, rep, other_rep, now):
    client.force_login(rep)
    assert [client.get("/api/v1/tokens").status_code for _ in range(3)] == [200, 200, 429]
    client.force_login(other_rep)
    assert client.get("/api/v1/tokens").status_code == 200


@override_settings(API_RATE_LIMIT="1/minute")
def test_unauthenticated_calls_answer_401_not_429(client, now):
    assert [client.get("/api/v1/tokens").status_code for _ in range(3)] == [401, 401, 401]


@override_settings(API_RATE_LIMIT="off")
def test_off_turns_limiting_off(rep, now):
    client = TokenClient(make_token(rep))
    assert {client.get("/api/v1/tokens").status_code for _ in range(5)} == {200}
