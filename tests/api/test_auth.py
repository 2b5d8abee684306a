"""Who may call the API: tokens (scoped, revocable, expiring) and the browser session."""

from __future__ import annotations

import datetime as dt

import pytest
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone

from supportdesk.people.models import ApiToken
from tests.api.conftest import TokenClient, make_token

pytestmark = pytest.mark.django_db

ROUTES = [
    ("get", "/api/v1/catalog?kind=opportunity"),
    ("get", "/api/v1/records"),
    ("get", "/api/v1/records/006ACME0001"),
    ("post", "/api/v1/records"),
    ("post", "/api/v1/records/006ACME0001/shares"),
    ("post", "/api/v1/uploads"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/cases/00000001"),
]
SHARE = {"user": "oscar", "level": "read"}


def csrf_client(user) -> tuple[Client, str]:
    """A logged-in browser: CSRF enforced, with the token a page would have given it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = get_token(RequestFactory().get("/"))
    client.cookies["csrftoken"] = token
    return client, token


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_answers_401_without_credentials(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_an_unknown_token_answers_401(method, path):
    response = getattr(TokenClient("sd_not-a-real-token"), method)(path)
    assert response.status_code == 401


def test_a_valid_token_authenticates_and_is_looked_up_by_its_hash(rep, rep_api):
    assert rep_api.get("/api/v1/records").status_code == 200
    assert not ApiToken.objects.filter(key_hash=rep_api.raw).exists()


def test_another_scheme_than_bearer_answers_401(rep):
    raw = make_token(rep)
    client = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/records").status_code == 401


def test_a_revoked_token_answers_401(rep):
    raw = make_token(rep, revoked_at=timezone.now())
    assert TokenClient(raw).get("/api/v1/records").status_code == 401


def test_an_expired_token_answers_401(rep, expired):
    raw = make_token(rep, **expired)
    assert TokenClient(raw).get("/api/v1/records").status_code == 401


def test_a_token_that_has_not_expired_yet_works(rep):
    raw = make_token(rep, expires_at=timezone.now() + dt.timedelta(days=1))
    assert TokenClient(raw).get("/api/v1/records").status_code == 200


def test_the_token_of_a_deactivated_user_answers_401(rep):
    raw = make_token(rep)
    rep.is_active = False
    rep.save()
    assert TokenClient(raw).get("/api/v1/records").status_code == 401


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/cases", {"record": "006ACME0001"}),
        ("/api/v1/records", {"kind": "opportunity", "name": "X", "external_id": "X1"}),
        ("/api/v1/records/006ACME0001/shares", SHARE),
    ],
)
def test_a_read_token_may_not_write(api_client, rep, opportunity, path, body):
    client = api_client(rep, scope=ApiToken.Scope.READ)
    response = client.post_json(path, body)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "read" in response.json()["detail"]


def test_a_read_token_may_read(api_client, rep, opportunity):
    client = api_client(rep, scope=ApiToken.Scope.READ)
    assert client.get("/api/v1/records/006ACME0001").status_code == 200


def test_last_used_at_is_written_at_most_once_a_minute(rep, rep_api, django_assert_num_queries):
    token = ApiToken.objects.get(user=rep)
    assert token.last_used_at is None
    rep_api.get("/api/v1/catalog?kind=lead")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    with django_assert_num_queries(4):  # token + catalog (3 queries); no UPDATE
        rep_api.get("/api/v1/catalog?kind=lead")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    rep_api.get("/api/v1/catalog?kind=lead")
    token.refresh_from_db()
    assert token.last_used_at > first


def test_session_auth_works_for_reads(client, rep, opportunity):
    client.force_login(rep)  # client.login() has no request, which django-axes needs
    response = client.get("/api/v1/records/006ACME0001")
    assert response.status_code == 200
    assert response.json()["external_id"] == "006ACME0001"


def test_session_auth_needs_the_csrf_token_for_writes(rep, opportunity):
    browser, _ = csrf_client(rep)
    response = browser.post("/api/v1/records/006ACME0001/shares", SHARE, "application/json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "CSRF" in response.json()["detail"]


def test_session_auth_writes_with_the_csrf_token(rep, other_rep, opportunity):
    browser, token = csrf_client(rep)
    response = browser.post(
        "/api/v1/records/006ACME0001/shares", SHARE, "application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


def test_a_bearer_token_needs_no_csrf_token(rep, other_rep, opportunity):
    client = TokenClient(make_token(rep), enforce_csrf_checks=True)
    assert client.post_json("/api/v1/records/006ACME0001/shares", SHARE).status_code == 201


def test_anonymous_writes_answer_401_not_a_csrf_error():
    response = Client(enforce_csrf_checks=True).post("/api/v1/cases", {}, "application/json")
    assert response.status_code == 401
