"""Browser hardening (issue 10): the CSP and other security headers on every main page, pages
with no inline code for the CSP to forbid, CSRF on state changes (htmx too), and login
throttling (django-axes) that holds against twenty guessers at once."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import requests
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.urls import reverse

from supportdesk.cases.models import CaseEvent
from supportdesk.people.services import token_create
from tests.factories import PASSWORD, UserFactory, quote_question

LOGIN_URL = "/accounts/login/"
LOCKED_OUT = "Too many failed logins"


class InlineCodeFinder(HTMLParser):
    """Everything in a page that a CSP without 'unsafe-inline' would block (or that hides code
    from it): inline scripts, on* handler attributes, javascript: URLs, hx-on attributes, and
    style attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("inline <script>")
        for name, value in names.items():
            if name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.found.append(f"{tag} {name}=")
            if name == "style":
                self.found.append(f"{tag} style=")
            if name in {"href", "src", "action", "formaction"} and re.match(
                r"\s*javascript:", value, re.I
            ):
                self.found.append(f"{tag} {name}=javascript:")


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.found


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.fixture
def main_pages(rep, deal_desk_agent, admin_user, opportunity) -> list[tuple[Client, str]]:
    """(logged-in client, url) for the pages people use: lists, record, wizard, case, reports,
    notifications, settings; the agent's dashboard; the login page for a stranger; the admin."""
    case = quote_question(rep, opportunity)
    as_rep, as_agent, as_admin = Client(), Client(), Client()
    as_rep.force_login(rep)
    as_agent.force_login(deal_desk_agent)
    as_admin.force_login(admin_user)
    wizard = as_rep.post(reverse("records:request_support", args=[opportunity.pk]))
    rep_urls = [
        reverse("cases:home"),
        reverse("records:list"),
        opportunity.get_absolute_url(),
        wizard["Location"],
        case.get_absolute_url(),
        reverse("reports:index"),
        reverse("notify:list"),
        reverse("notify:preferences"),
        reverse("people:tokens"),
        reverse("password_change"),
        reverse("report_problem"),
    ]
    agent_urls = [case.get_absolute_url(), reverse("reports:dashboard", args=["my-work"])]
    return [
        *((as_rep, url) for url in rep_urls),
        *((as_agent, url) for url in agent_urls),
        (Client(), LOGIN_URL),
        (as_admin, "/admin/"),
        (as_admin, f"/admin/cases/case/{case.pk}/change/"),
    ]


def test_main_pages_send_the_security_headers(main_pages):
    for client, url in main_pages:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        directives = csp_directives(response)
        assert directives["script-src"] == ["'self'"], url
        assert directives["style-src"] == ["'self'"], url
        assert directives["object-src"] == ["'none'"], url
        assert directives["frame-ancestors"] == ["'none'"], url
        assert directives["form-action"] == ["'self'"], url
        assert directives["base-uri"] == ["'self'"], url
        assert "unsafe" not in response["Content-Security-Policy"], url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Content-Type-Options"] == "nosniff", url


def test_main_pages_hold_no_inline_code(main_pages):
    for client, url in main_pages:
        html = client.get(url, follow=True).content.decode()
        assert "<script" in html, url  # the parser saw the page's (external) scripts
        assert inline_code(html) == [], url


def test_the_finder_sees_what_the_csp_would_block():
    html = (
        '<script>alert(1)</script><a href=" JavaScript:x()">a</a><b onclick="x()">b</b>'
        '<i hx-on:click="x()" style="color:red">i</i><script src="/s.js"></script>'
        '<script type="application/json">{}</script>'
    )
    assert inline_code(html) == [
        "inline <script>",
        "a href=javascript:",
        "b onclick=",
        "i hx-on:click=",
        "i style=",
    ]


def test_htmx_runs_without_eval_or_injected_styles(login, rep):
    html = login(rep).get(reverse("cases:home")).content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert config and '"includeIndicatorStyles": false' in config[1]
    assert '"allowEval": false' in config[1]
    assert not re.search(r'hx-trigger="[^"]*\[', html)  # a trigger filter is eval'd code


def test_login_sets_httponly_cookies(client, rep):
    client.get(LOGIN_URL)
    response = client.post(LOGIN_URL, {"username": "rita", "password": PASSWORD, "next": "/"})
    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]
    assert client.cookies["csrftoken"]["httponly"]


def test_a_web_post_without_the_csrf_token_is_refused(rep, opportunity):
    case = quote_question(rep, opportunity)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rep)
    page = browser.get(case.get_absolute_url()).content.decode()
    comment_url = reverse("cases:comment", args=[case.number])
    comments = case.events.filter(kind=CaseEvent.COMMENTED)

    refused = browser.post(comment_url, {"body": "forged"}, headers={"HX-Request": "true"})
    assert refused.status_code == 403
    assert not comments.exists()

    # htmx sends the token the page put in <body hx-headers='{"X-CSRFToken": "…"}'>.
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page)[1]
    accepted = browser.post(
        comment_url, {"body": "real"}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert accepted.status_code in {200, 204, 302}
    assert [event.data["body"] for event in comments] == ["real"]


def wrong_login(client: Client, username: str = "rita", address: str = "10.0.0.1"):
    data = {"username": username, "password": "not the password"}
    return client.post(LOGIN_URL, data, REMOTE_ADDR=address)


def right_login(client: Client, username: str = "rita", address: str = "10.0.0.1"):
    data = {"username": username, "password": PASSWORD, "next": "/"}
    return client.post(LOGIN_URL, data, REMOTE_ADDR=address)


def test_wrong_passwords_lock_the_username_from_that_address(client, rep, other_rep):
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert wrong_login(client).status_code == 200  # "could not log you in", form again
    locked = wrong_login(client)
    assert locked.status_code == 429
    assert LOCKED_OUT in locked.content.decode()
    assert "15 minutes" in locked.content.decode()

    refused = right_login(client)  # the right password no longer helps
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    assert inline_code(refused.content.decode()) == []

    assert right_login(Client(), address="10.0.0.2").status_code == 302  # same user, elsewhere
    assert right_login(Client(), username="oscar").status_code == 302  # same address, other user


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(client, rep, settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/16"]
    via_proxy = {"REMOTE_ADDR": "10.9.0.2"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        data = {"username": "rita", "password": "wrong"}
        client.post(LOGIN_URL, data, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7", **via_proxy)
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"
    data = {"username": "rita", "password": PASSWORD, "next": "/"}
    locked = client.post(LOGIN_URL, data, HTTP_X_FORWARDED_FOR="203.0.113.7", **via_proxy)
    assert locked.status_code == 429
    elsewhere = Client().post(LOGIN_URL, data, HTTP_X_FORWARDED_FOR="198.51.100.4", **via_proxy)
    assert elsewhere.status_code == 302  # another client behind the same proxy


def test_the_admin_login_is_throttled_too(client, admin_user):
    data = {"username": "ada", "password": "wrong", "next": "/admin/"}
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", data, REMOTE_ADDR="10.0.0.9")
    right = {**data, "password": PASSWORD}
    assert client.post("/admin/login/", right, REMOTE_ADDR="10.0.0.9").status_code == 429
    assert Client().post("/admin/login/", right, REMOTE_ADDR="10.0.0.8").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, rep):
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        wrong_login(client)
    assert right_login(client).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert right_login(client).status_code == 302


def test_a_good_login_forgives_earlier_typos(client, rep):
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        wrong_login(client)
    assert right_login(client).status_code == 302
    client.logout()
    assert wrong_login(client).status_code == 200  # counting starts again


def test_api_tokens_are_not_throttled_logins(client, rep, opportunity):
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        wrong_login(client, address="127.0.0.1")
    assert right_login(client, address="127.0.0.1").status_code == 429
    _, raw = token_create(user=rep, name="script", scope="read")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get(f"/api/v1/records/{opportunity.external_id}").status_code == 200
    wrong = Client(headers={"Authorization": "Bearer not-a-token"})
    attempts = AccessAttempt.objects.count()
    for _ in range(10):
        assert wrong.get("/api/v1/catalog").status_code == 401
    assert AccessAttempt.objects.count() == attempts


GUESSERS = 20
# A real password hasher (PBKDF2) spends about this long per check; the tests' MD5 hasher
# would make the window between "is this pair locked?" and "record the failure" tiny.
HASHING_SECONDS = 0.2


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """The usernames whose password was actually checked (each takes HASHING_SECONDS)."""
    checked: list[str] = []
    original = ModelBackend.authenticate

    def counted(self, request, username=None, password=None, **kwargs):
        checked.append(username)
        time.sleep(HASHING_SECONDS)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counted)
    return checked


def post_login(url: str, username: str, password: str, barrier: threading.Barrier | None = None):
    with requests.Session() as session:
        session.get(url, timeout=30)
        data = {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        }
        if barrier:
            barrier.wait(timeout=30)
        return session.post(url, data=data, timeout=120, allow_redirects=False)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_lockout_holds_against_parallel_guessing(live_server, password_checks):
    """Twenty clients post wrong passwords for one user at the same moment: at most the limit
    of them get their password checked at all, and afterwards even the right one is refused."""
    UserFactory(username="victim")
    limit = django_settings.AXES_FAILURE_LIMIT
    url = f"{live_server.url}{LOGIN_URL}"
    barrier = threading.Barrier(GUESSERS)
    outcomes: list[int] = [0] * GUESSERS

    def guess(i: int) -> None:
        outcomes[i] = post_login(url, "victim", f"guess {i}", barrier).status_code

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(GUESSERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    counted = Counter(outcomes)
    assert set(counted) <= {200, 429}, counted  # 200: the form again; 429: locked out
    assert len(password_checks) <= limit, (len(password_checks), counted)
    assert counted[200] <= limit - 1, counted  # the limit-th wrong password answers 429

    response = post_login(url, "victim", PASSWORD)
    assert response.status_code == 429
    assert LOCKED_OUT in response.text
    assert len(password_checks) <= limit
