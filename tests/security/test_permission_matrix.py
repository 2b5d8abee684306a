"""Every route, as every role, about objects of their own and of others (tests/security/matrix.py).

A hidden object answers exactly like a missing one: the same 404, the same body, to a GET and
to the route's writing methods (an empty form, or the API's smallest valid body), so nobody
learns from the answer that a case, file, view or token exists.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from tests.security.matrix import (
    ADMIN_LOGIN,
    ADMIN_SITE,
    LOGIN,
    MATRIX,
    PUBLIC,
    REDIRECT,
    STAFF_PAGE,
    Check,
    Outcome,
)
from tests.security.routes import Route, discover_routes
from tests.security.targets import TARGETS
from tests.security.world import ADMIN, ANONYMOUS, ROLES, World, build_world

pytestmark = pytest.mark.django_db

ROUTES = discover_routes()  # pytest-django has set Django up before it collects tests
ADMIN_SITE_ARGS = {"app_label": "auth", "content_type_id": "1"}  # any other parameter: "1"


def checks_of(route: Route) -> tuple[Check, ...]:
    entry = MATRIX[route.name]
    return entry if isinstance(entry, tuple) else (entry,)


def test_every_route_has_an_entry_in_the_matrix():
    names = {route.name for route in ROUTES if not route.is_admin_site}
    missing = sorted(names - MATRIX.keys())
    assert not missing, f"Routes without an entry in tests/security/matrix.py: {missing}"
    stale = sorted(MATRIX.keys() - names)
    assert not stale, f"Entries in tests/security/matrix.py for no route: {stale}"


def test_every_check_gives_an_answer_for_every_role():
    for name, entry in MATRIX.items():
        for check in entry if isinstance(entry, tuple) else (entry,):
            assert set(check.get) == set(ROLES), f"{name}: answers only for {set(check.get)}"
            assert check.target in TARGETS, f"{name}: no target called {check.target}"


# ---- calling and judging -------------------------------------------------------------------


@dataclass
class Answer:
    url: str
    status: int
    location: str
    body: str

    def summary(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        return f"{self.status}{where}"


def _ask(client: Client, method: str, url: str, check: Check, *, api: bool) -> Answer:
    if method == "GET":
        response = client.get(url, dict(check.query))
    elif api:
        body = json.dumps(dict(check.body or {}))
        response = client.generic(method, url, body, content_type="application/json")
    else:
        response = client.post(url, {})
    body = "" if response.streaming else response.content.decode(errors="replace")
    answer = Answer(url, response.status_code, response.get("Location", ""), body)
    if answer.status == 302 and not api:
        client.get(answer.location)  # shows (and so clears) the message a refusal leaves
    return answer


def matches(answer: Answer, expected: Outcome) -> bool:
    login = answer.status == 302 and answer.location.startswith(resolve_url(settings.LOGIN_URL))
    if expected == LOGIN:
        return login
    if expected == ADMIN_LOGIN:
        return answer.status == 302 and answer.location.startswith("/admin/login/")
    if expected == REDIRECT:
        return answer.status in (302, 303) and not login
    if expected == STAFF_PAGE:
        return answer.status < 500 and not answer.location.startswith("/admin/login/")
    if expected == PUBLIC:
        return answer.status not in (401, 403, 404) and not login
    return answer.status == expected


_VOLATILE = re.compile(r'(name="csrfmiddlewaretoken" value=|nonce=|"X-CSRFToken": )"[^"]*"')


def normalised(body: str, url: str, args: tuple) -> str:
    """The body with the asked-for path and ids (and per-request tokens) blanked out. Short
    ids are left: a page that echoed one would differ, and "2" is in too many other places."""
    body = _VOLATILE.sub(r"\1-", body).replace(url, "<path>")
    for arg in sorted((str(a) for a in args if len(str(a)) > 3), key=len, reverse=True):
        body = re.sub(rf"(?<![\w.-]){re.escape(arg)}(?![\w-])", "<id>", body)
    return body


@dataclass
class Asker:
    world: World
    role: str
    client: Client
    failures: list[str]
    count: int = 0

    def ask(self, route: Route, method: str, args: tuple, check: Check) -> Answer:
        self.count += 1
        url = reverse(route.name, args=args)
        return _ask(self.client, method, url, check, api=route.is_api)

    def expect(self, route: Route, method: str, args: tuple, check: Check, expected: Outcome):
        answer = self.ask(route, method, args, check)
        if not matches(answer, expected):
            self.failures.append(
                f"{route.name} {method} {args} as {self.role}: "
                f"{answer.summary()}, expected {expected}"
            )
        return answer

    def expect_hidden(
        self, route: Route, method: str, args: tuple, check: Check, *, foreign: bool
    ) -> None:
        """A hidden object answers as a missing one: 404 (or 405 for both), the same body."""
        target = TARGETS[check.target]
        label = "someone else's" if foreign else "their own target"
        missing = (foreign and target.foreign_missing) or target.missing
        missing_args = missing(self.world, self.role) if missing else None
        hidden = self.ask(route, method, args, check)
        if missing_args is None:
            if hidden.status not in (404, 405):
                self.failures.append(f"{route.name} {method} {label} as {self.role}: {hidden}")
            return
        missing_answer = self.ask(route, method, missing_args, check)
        hidden_body = normalised(hidden.body, hidden.url, args)
        missing_body = normalised(missing_answer.body, missing_answer.url, missing_args)
        if hidden.status not in (404, 405) or (hidden.status, hidden_body) != (
            missing_answer.status,
            missing_body,
        ):
            diff = difflib.unified_diff(
                missing_body.splitlines(), hidden_body.splitlines(), "missing", label, n=0
            )
            self.failures.append(
                f"{route.name} {method} {label} {args} as {self.role}: {hidden.summary()}, "
                f"a missing one: {missing_answer.summary()}\n" + "\n".join(list(diff)[:12])
            )


def _write_methods(route: Route) -> list[str]:
    if route.is_api:
        return sorted(route.methods - {"GET"})
    return ["POST"]


def check_route(asker: Asker, route: Route) -> None:
    role, world = asker.role, asker.world
    for check in checks_of(route):
        target = TARGETS[check.target]
        expected = check.get[role]
        own = target.own(world, role)
        # The path's GET: an API write answers GET with its sibling operation's GET, or 405.
        asker.expect(route, "GET", own, check, expected)
        if check.target == "none" or role == ANONYMOUS:
            continue
        if expected == 404:  # the role may not see it: as if it did not exist, for any method
            for method in ["GET", *_write_methods(route)]:
                asker.expect_hidden(route, method, own, check, foreign=False)
        if target.foreign is None:
            continue
        foreign = target.foreign(world, role)
        if role in foreign_seers(check):
            asker.expect(route, "GET", foreign, check, expected)
        else:
            for method in ["GET", *_write_methods(route)]:
                asker.expect_hidden(route, method, foreign, check, foreign=True)


def foreign_seers(check: Check) -> frozenset[str]:
    if check.foreign is not None:
        return check.foreign
    return frozenset({ADMIN}) if TARGETS[check.target].admin_sees_foreign else frozenset()


def _admin_site_args(route: Route) -> dict[str, str]:
    return {name: ADMIN_SITE_ARGS.get(name, "1") for name in route.params}


def check_admin_site(asker: Asker, route: Route) -> None:
    if route.name == "admin:":
        return  # the site's catch-all (unnamed): every other admin route is asked
    if route.params and asker.role == ADMIN:
        return  # staff pages about one object: Django's own, and the object may not exist
    if route.name in ("admin:login", "admin:logout") or route.name.endswith("password_change"):
        return  # the admin's own sign-in pages: open to all, or POST only
    url = reverse(route.name, kwargs=_admin_site_args(route))
    asker.count += 1
    response = asker.client.get(url)
    answer = Answer(url, response.status_code, response.get("Location", ""), "")
    expected = ADMIN_SITE[asker.role]
    if not matches(answer, expected):
        asker.failures.append(f"{route.name} {url} as {asker.role}: {answer.summary()}")


@pytest.mark.parametrize("role", ROLES)
def test_the_role_gets_what_the_matrix_says_on_every_route(role):
    world = build_world()
    asker = Asker(world, role, world.client(role), [])
    for route in ROUTES:
        if route.is_admin_site:
            check_admin_site(asker, route)
        else:
            check_route(asker, route)
    assert not asker.failures, "\n".join(asker.failures)
