"""A private case's words reach nobody who may not see it (issue 10, "the canary").

Rita's case holds `CANARY` in its subject, description, field answer, comment and file name;
its internal note and the note's file hold `NOTE_CANARY` (world.py). Every page and API GET
the permission matrix knows, every list, built-in view, search (web and API), CSV export,
notification list and dashboard (page, CSV and API) is asked as each role that may not see the
case, and the emails the case's events sent are read: the canary is in none of them. The
requester, watchers and the mentioned user see the case but never its internal note.

A search is also an oracle: searching for the canary must answer exactly as searching for a
word nobody wrote (or the answer would tell that such a case exists).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from supportdesk.lists.builtins import BUILTIN_VIEWS
from supportdesk.reports.registry import DASHBOARDS
from tests.notify.conftest import run_tasks
from tests.security.matrix import MATRIX, Check
from tests.security.routes import discover_routes
from tests.security.targets import TARGETS
from tests.security.test_permission_matrix import normalised
from tests.security.world import (
    AGENT,
    ANONYMOUS,
    CANARY,
    LEAD,
    MENTIONED,
    NOTE_CANARY,
    OTHER_AGENT,
    OTHER_LEAD,
    REQUESTER,
    STRANGER,
    WATCHER,
    World,
    build_world,
)

pytestmark = pytest.mark.django_db

CASE_BLIND = (ANONYMOUS, STRANGER, OTHER_AGENT, OTHER_LEAD)  # may not see the case at all
NOTE_BLIND = (REQUESTER, WATCHER, MENTIONED)  # see the case, never its internal notes
NOBODY_WROTE = "zq7nobodyx43"

SEARCHES = (  # {q}: the search words
    "/?q={q}",
    "/cases/?q={q}",
    "/cases/export.csv?q={q}",
    "/api/v1/cases?q={q}",
    "/api/v1/cases/export.csv?q={q}",
    *(f"/?view={slug}&q={{q}}" for slug in BUILTIN_VIEWS),
    *(f"/cases/export.csv?view={slug}&q={{q}}" for slug in BUILTIN_VIEWS),
    *(f"/api/v1/views/{slug}/cases?q={{q}}" for slug in BUILTIN_VIEWS),
)
LISTS = (
    "/notifications/",
    "/notifications/bell/",
    "/api/v1/notifications",
    "/api/v1/notifications/unread-count",
    *(f"/reports/{name}/" for name in DASHBOARDS),
    *(f"/reports/{name}/?format=csv" for name in DASHBOARDS),
    *(f"/api/v1/reports/{name}" for name in DASHBOARDS),
    *(f"/?view={slug}" for slug in BUILTIN_VIEWS),
    *(f"/cases/export.csv?view={slug}" for slug in BUILTIN_VIEWS),
    *(f"/api/v1/views/{slug}/cases" for slug in BUILTIN_VIEWS),
)


def _checks(entry: Check | tuple[Check, ...]) -> tuple[Check, ...]:
    return entry if isinstance(entry, tuple) else (entry,)


def every_get(world: World, role: str) -> Iterator[str]:
    """Every route's GET about the role's own objects and about others' (matrix targets)."""
    for route in discover_routes():
        if route.is_admin_site:
            continue
        for check in _checks(MATRIX[route.name]):
            target = TARGETS[check.target]
            query = "&".join(f"{key}={value}" for key, value in check.query.items())
            for make in (target.own, target.foreign):
                if make is not None:
                    url = reverse(route.name, args=make(world, role))
                    yield f"{url}?{query}" if query else url
    yield from LISTS


def body_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def fetch(client: Client, url: str) -> str:
    """Body and headers (a download's file name is in Content-Disposition)."""
    response = client.get(url)
    headers = " ".join(f"{key}: {value}" for key, value in response.items())
    return f"{headers}\n{body_of(response)}"


def search_answer(client: Client, template: str, words: str) -> tuple[int, str]:
    """A search's status and body with the search words (echoed in the box and in links)
    taken out."""
    url = template.format(q=words)
    response = client.get(url)
    body = body_of(response).replace(words, "<q>").replace(quote(words), "<q>")
    return response.status_code, normalised(body, url, ())


@pytest.fixture
def world() -> World:
    world = build_world()
    run_tasks()  # the case's notifications and their emails
    return world


def test_nobody_who_may_not_see_the_case_reads_its_words(world):
    leaks = []
    for role in CASE_BLIND:
        client = world.client(role)
        for url in every_get(world, role):
            text = fetch(client, url)
            leaks += [f"{w} on {url} as {role}" for w in (CANARY, NOTE_CANARY) if w in text]
    assert not leaks, "\n".join(leaks)


def test_who_sees_the_case_never_reads_its_internal_note(world):
    leaks, seen = [], set()
    for role in NOTE_BLIND:
        client = world.client(role)
        for url in every_get(world, role):
            text = fetch(client, url)
            if NOTE_CANARY in text:
                leaks.append(f"{url} as {role}")
            if CANARY in text:
                seen.add(role)
    assert not leaks, "the internal note on: " + ", ".join(leaks)
    assert seen == set(NOTE_BLIND)  # they do read the case itself: the test reads real pages


def test_the_team_reads_the_internal_note(world):
    text = fetch(world.client(AGENT), reverse("cases:detail", args=[world.case.number]))
    assert NOTE_CANARY in text and CANARY in text


def test_searching_for_the_canary_answers_as_searching_for_nothing(world):
    secrets = dict.fromkeys(CASE_BLIND, (CANARY, NOTE_CANARY))
    secrets |= dict.fromkeys(NOTE_BLIND, (NOTE_CANARY,))
    oracles = []
    for role, words in secrets.items():
        client = world.client(role)
        for template in SEARCHES:
            nothing = search_answer(client, template, NOBODY_WROTE)
            oracles += [
                f"{template} for {word} as {role}"
                for word in words
                if search_answer(client, template, word) != nothing
            ]
    assert not oracles, "\n".join(oracles)


def test_searches_do_find_the_case_for_those_who_may_see_it(world):
    """The control for the test above: the same searches find it when they should."""
    requester, agent = world.client(REQUESTER), world.client(AGENT)
    for template in ("/cases/?q={q}", "/api/v1/cases?q={q}", "/cases/export.csv?q={q}"):
        nothing = search_answer(requester, template, NOBODY_WROTE)
        assert search_answer(requester, template, CANARY) != nothing, template
        nothing = search_answer(agent, template, NOBODY_WROTE)
        assert search_answer(agent, template, NOTE_CANARY) != nothing, template


def _recipients(message) -> set[str]:
    return set(message.to) | set(message.cc) | set(message.bcc)


def _mail_text(message) -> str:
    parts = [message.subject, message.body]
    parts += [content for content, _type in getattr(message, "alternatives", [])]
    return "\n".join(parts)


def test_emails_carry_the_words_only_to_those_who_may_read_them(world):
    sent = list(mail.outbox)
    told = {world.users[LEAD].email}  # named in the internal note: the one who gets it
    assert any(CANARY in _mail_text(m) for m in sent)
    assert any(NOTE_CANARY in _mail_text(m) and _recipients(m) == told for m in sent)
    address = {role: world.users[role].email for role in world.users}
    blind = {address[role] for role in CASE_BLIND if role != ANONYMOUS}
    note_blind = {address[role] for role in NOTE_BLIND}
    leaks = []
    for message in sent:
        text, to = _mail_text(message), _recipients(message)
        if to & blind and (CANARY in text or world.case.number in text):
            leaks.append(f"{message.subject!r} to {sorted(to & blind)}")
        if to & note_blind and NOTE_CANARY in text:
            leaks.append(f"the internal note in {message.subject!r} to {sorted(to & note_blind)}")
    assert not leaks, "\n".join(leaks)
