"""Parts of pages drawn in Python instead of by templates (cases/display/html.py, layout.py)
write what the templates wrote, byte for byte: each is checked against the template markup
it replaced (kept here as the reference), with values that need escaping, and the top bar,
the bell and the composer through the pages that show them."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils.safestring import mark_safe

from supportdesk import fragments
from supportdesk.cases.display import html
from supportdesk.cases.display.feed import FeedItem, feed_html
from supportdesk.cases.display.formatting import AttachmentRow, FileLink, SnapshotRow
from supportdesk.cases.display.page import ActionLink, OtherCase
from supportdesk.notify.models import Notification
from supportdesk.people.models import Membership
from tests.web.casework import quote_question_case, text, url

WEIRD = "a<b>&\"c'd"
CSRF = '<input type="hidden" name="csrfmiddlewaretoken" value="T">'


def reference(source: str, **context) -> str:
    return Template(source).render(Context({"csrf_token": "T", **context}))


ATTACHMENTS = """{% for a in attachments %}
        <li>
          <div class="attachment">
            {% if a.link.preview %}<a href="{{ a.link.url }}" tabindex="-1" aria-hidden="true"><img class="thumb" src="{{ a.link.preview }}" alt="" loading="lazy" width="48" height="48"></a>{% endif %}
            <div>
              <a href="{{ a.link.url }}">{{ a.link.name }}</a>
              <span class="muted small">{{ a.size|filesizeformat }} · {{ a.added_by }} · {{ a.day }}{% if a.event_id %} · <a href="#event-{{ a.event_id }}">with a comment</a>{% endif %}</span>
            </div>
          </div>
          {% if a.can_remove %}
          <form method="post" action="{{ a.remove_url }}">
            {% csrf_token %}
            <button class="button button--small button--link" type="submit">Remove<span class="visually-hidden"> {{ a.link.name }}</span></button>
          </form>
          {% endif %}
        </li>
        {% endfor %}"""  # noqa: E501

OTHER_CASES = """{% for other in other_cases %}
        <li><span><a href="{{ other.url }}">{{ other.number }}</a> {{ other.subject }} <span class="muted small">· {{ other.team }}</span></span>
          <span>{% if other.sla %}<span class="badge sla-badge sla-badge--{{ other.sla.1 }}">{{ other.sla.0 }}</span> {% endif %}<span class="status status--{{ other.status }}">{{ other.status_label }}</span></span></li>
        {% endfor %}"""  # noqa: E501

SNAPSHOT = """{% for row in snapshot %}<div{% if row.now %} class="fact--changed"{% endif %}><dt>{{ row.label }}</dt><dd>{{ row.then }}{% if row.now %} <span class="now">now: {{ row.now }}</span>{% endif %}</dd></div>{% endfor %}"""  # noqa: E501

ACTIONS = """{% for a in primary_actions %}
  {% if a.post %}
  <form method="post" action="{{ a.url }}" hx-post="{{ a.url }}" hx-target="#action-panel">
    {% csrf_token %}
    <input type="hidden" name="version" value="{{ case.version }}">
    <input type="hidden" name="seen" value="{{ seen|default_if_none:'' }}">
    <button class="button button--primary" type="submit">{{ a.label }}</button>
  </form>
  {% elif a.anchor %}
  <a class="button{% if forloop.first %} button--primary{% endif %}" href="{{ a.url }}">{{ a.label }}</a>
  {% else %}
  <a class="button{% if forloop.first %} button--primary{% endif %}" href="{{ a.url }}" hx-get="{{ a.url }}" hx-target="#action-panel">{{ a.label }}</a>
  {% endif %}
  {% endfor %}|{% for a in menu_actions %}
      <li><a href="{{ a.url }}" hx-get="{{ a.url }}" hx-target="#action-panel">{{ a.label }}</a></li>
      {% endfor %}"""  # noqa: E501


def test_attachments_as_the_template_drew_them():
    at = dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)
    rows = [
        AttachmentRow(
            1, FileLink(WEIRD, "/f/1?a&b", "/f/1?inline=1"), 0, WEIRD, at, "4", None, False
        ),
        AttachmentRow(
            2, FileLink("b.png", "/f/2"), 123456789, "Bob", at, "4", 77, True, "/rm/2?a&b"
        ),
        AttachmentRow(3, FileLink(mark_safe("<i>c</i>")), 1023, "C", at, "1", 0, True, "/rm/3"),
    ]
    assert html.attachment_items(rows, CSRF) == reference(ATTACHMENTS, attachments=rows)


def test_other_cases_and_the_record_snapshot_as_the_template_drew_them():
    others = [
        OtherCase("00000012", "/cases/12/", WEIRD, WEIRD, "new", "New", ("At risk", "at-risk")),
        OtherCase("00000013", "/cases/13/?a&b", "s", "t", "closed", WEIRD, None),
    ]
    assert html.other_case_items(others) == reference(OTHER_CASES, other_cases=others)
    rows = [SnapshotRow(WEIRD, WEIRD, WEIRD), SnapshotRow("Kind", "x"), SnapshotRow("N", "<i>")]
    assert html.snapshot_items(rows) == reference(SNAPSHOT, snapshot=rows)


@pytest.mark.parametrize("seen", [None, 0, 42])
def test_the_action_bar_as_the_template_drew_it(seen):
    primary = [
        ActionLink("take", "Take <it>", "/t?a&b", True),
        ActionLink("rate", "Rate this case", "#rate", False, True),
        ActionLink("assign", WEIRD, "/a", False),
    ]
    menu = [ActionLink("x", WEIRD, "/x?a&b", False), ActionLink("y", "Edit details…", "/y", False)]
    case = type("Case", (), {"version": 1234})()
    for buttons in (primary, primary[1:], primary[2:], []):
        drawn = html.primary_action_items(buttons, case.version, seen, CSRF)
        drawn += "|" + html.menu_action_items(menu)
        context = {"primary_actions": buttons, "menu_actions": menu, "case": case, "seen": seen}
        assert drawn == reference(ACTIONS, **context)


# ---- through the pages -----------------------------------------------------------------------


@pytest.fixture
def case(rep, opportunity):
    return quote_question_case(rep, opportunity)


def topbar(page: str) -> str:
    return page.split('<header class="topbar">', 1)[1].split("</header>", 1)[0]


def test_the_top_bar_marks_the_section_and_offers_what_the_user_may_open(
    login, case, rep, admin_user, deal_desk_agent
):
    response = login(rep).get(case.get_absolute_url() + "?x=%3C1%3E&y=%C3%A9")
    bar = topbar(text(response))
    assert f'<a href="{reverse("cases:mine")}" aria-current="page">Cases</a>' in bar
    assert "Urgent use" not in bar and "Delivery problems" not in bar
    asked = quote(response.wsgi_request.get_full_path())
    assert asked == f"{case.get_absolute_url()}%3Fx%3D%253C1%253E%26y%3D%25C3%25A9"
    assert f'?from={asked}">Report a problem' in bar
    assert '<span class="avatar" aria-hidden="true">R</span>' in bar
    assert '<span class="usermenu-name">Rita Rep</span>' in bar
    admin = topbar(text(login(admin_user).get(reverse("notify:list"))))
    assert "Urgent use" in admin and "Delivery problems" in admin and "Webhooks" in admin
    assert re.search(r'<a id="bell" class="bell" href="[^"]+" aria-current="page"', admin)
    # A lead of a team sees the urgent-use report, marked on its page.
    Membership.objects.filter(user=deal_desk_agent).update(role=Membership.Role.LEAD)
    lead = topbar(text(login(deal_desk_agent).get(reverse("cases:urgent_usage"))))
    assert re.search(r'href="[^"]+" aria-current="page">Urgent use</a>', lead)
    assert 'aria-current="page">Cases' not in lead


def test_the_bell_counts_unread_notifications(login, case, rep):
    client = login(rep)
    Notification.objects.filter(user=rep).delete()
    bell = text(client.get(reverse("notify:bell")))
    assert 'class="bell"' in bell and "none unread" in bell and "aria-current" not in bell
    Notification.objects.bulk_create(
        Notification(user=rep, kind="comment", title="t") for _ in range(120)
    )
    bell = text(client.get(reverse("notify:bell") + "?current=1"))
    assert 'class="bell bell--unread"' in bell and 'aria-current="page"' in bell
    assert "Notifications, 120 unread" in bell and ">99+</span>" in bell
    assert 'hx-get="/notifications/bell/?current=1"' in bell


def test_the_composer_keeps_what_was_typed_and_says_what_is_wrong(
    login, case, rep, deal_desk_agent
):
    page = text(login(rep).get(case.get_absolute_url()))
    assert 'id="id_internal"' not in page  # internal notes are the team's
    assert 'id="id_internal"' in text(login(deal_desk_agent).get(case.get_absolute_url()))
    client = login(deal_desk_agent)
    response = client.post(url(case, "comment"), {"body": "", "internal": "on", "version": "x"})
    form = text(response)
    assert 'class="field field--error"' in form and "Write a comment." in form
    assert 'aria-describedby="id_body_error" aria-invalid="true"' in form
    assert 'id="id_internal" checked>' in form and 'name="version" value="x"' in form
    long = "<b>" + "x" * 20000
    form = text(client.post(url(case, "comment"), {"body": long}))
    assert f"\n&lt;b&gt;{'x' * 20000}</textarea>" in form


# ---- the feed's page, kept whole -------------------------------------------------------------


class _Counting:
    """The cache, counting what is asked of it."""

    def __init__(self, cache):
        self.cache, self.calls = cache, []

    def __getattr__(self, name):
        self.calls.append(name)
        return getattr(self.cache, name)


def _items(*texts: str) -> list[FeedItem]:
    at = dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)
    return [FeedItem(i, "comment", "Rita Rep", text, "", at) for i, text in enumerate(texts, 1)]


def test_a_page_of_the_feed_read_again_is_one_cache_lookup(monkeypatch):
    counting = _Counting(fragments.cache)
    monkeypatch.setattr(fragments, "cache", counting)
    first = feed_html(_items("one", "two", "three"))
    assert counting.calls == ["get", "get_many", "set_many", "set"]
    counting.calls.clear()
    assert feed_html(_items("one", "two", "three")) == first
    assert counting.calls == ["get"]
    changed = feed_html(_items("one", "two", "3"))  # a new page key; two items from the cache
    assert changed.replace("> 3<", "> three<") == first
    assert counting.calls == ["get", "get", "get_many", "set_many", "set"]


def test_keys_tell_apart_what_renders_differently():
    salt = "salt|"
    values = (1, True, 1.0, "1", mark_safe("1"), (1,), (1, 2), None, "", dt.date(2026, 1, 1))
    assert len({fragments.fragment_key(salt, value) for value in values}) == len(values)
    assert fragments.fragment_key(salt, [1, 2]) == fragments.fragment_key(salt, (1, 2))  # alike
