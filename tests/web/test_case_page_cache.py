"""The case page caches each feed item's HTML under a digest of what the item shows
(supportdesk.fragments), so no change is ever hidden by the cache: each test here loads the
page (warming the cache), changes something through the app, and loads the page again.
Also: the page's queries stay few and do not grow with the feed, the other cases on the
record, or a cold cache; and access is the same one rule."""

from __future__ import annotations

import dataclasses
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.safestring import mark_safe

from supportdesk import fragments
from supportdesk.cases.actions import add_attachments, add_comment, close_case, move_case, take_case
from supportdesk.cases.display.feed import FEED_ITEM_TEMPLATE, FeedItem, feed_html
from supportdesk.cases.models import Case, Resolution
from supportdesk.cases.queries import case_for, cases_visible_to
from supportdesk.catalog.queries import resolve_choice
from tests.web.casework import act, flashed, quote_question_case, text, url
from tests.web.conftest import make_case, pdf, request_type, upload_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rep, opportunity):
    return quote_question_case(rep, opportunity)


@pytest.fixture
def taken(case, deal_desk_agent):
    return take_case(case, agent=deal_desk_agent)


def feed(client, case: Case, **params) -> str:
    """The feed's list of items, as the page shows it."""
    response = client.get(case.get_absolute_url(), params)
    assert response.status_code == 200
    return text(response).split('<ol class="feed">', 1)[1].split("</ol>", 1)[0]


def cached_fragments() -> int:
    return len([k for k in cache._cache if ":fragment:" in k])  # locmem, as in the tests


# ---- every change shows on the next load ---------------------------------------------------


def test_the_feed_items_are_cached_and_served_from_the_cache(login, case, rep):
    add_comment(case, author=rep, body="First **words**")
    client = login(rep)
    first = feed(client, case)
    assert cached_fragments() == 2  # "created" and the comment
    assert feed(client, case) == first
    assert "First <strong>words</strong>" in first


def test_a_new_comment_shows_at_once(login, case, rep):
    client = login(rep)
    feed(client, case)
    client.post(url(case, "comment"), {"body": "Any news?"})
    assert "<p>Any news?</p>" in feed(client, case)


def test_a_renamed_person_shows_under_the_new_name_in_items_already_cached(
    login, taken, rep, deal_desk_agent
):
    add_comment(taken, author=deal_desk_agent, body="Thanks @rita, on it")
    client = login(rep)
    before = feed(client, taken)
    assert "<strong>Dan Desk</strong> took ownership" in before
    assert '<span class="mention" title="Rita Rep">@rita</span>' in before
    deal_desk_agent.last_name = "Deskford"
    deal_desk_agent.save()
    rep.first_name = "Rita-Maria"
    rep.save()
    after = feed(client, taken)
    assert "<strong>Dan Deskford</strong> took ownership" in after
    assert "Dan Desk<" not in after
    assert '<span class="mention" title="Rita-Maria Rep">@rita</span>' in after


def test_removing_a_file_updates_the_items_that_showed_it(login, case, rep):
    client = login(rep)
    client.post(url(case, "comment"), {"body": "The PO", "files": [pdf("po.pdf")]})
    added = add_attachments(case, actor=rep, upload_ids=[upload_for(rep, "quote.pdf")])[0]
    po = case.attachments.get(name="po.pdf")
    before = feed(client, case)
    assert f'href="{po.get_absolute_url()}">po.pdf</a>' in before
    assert f'href="{added.get_absolute_url()}">quote.pdf</a>' in before
    for file in (po, added):
        response = client.post(url(case, "attachment_remove", file.pk))
        assert response.status_code == 302
    after = feed(client, case)
    assert "po.pdf" not in after.split("The PO", 1)[1].split("</li>", 1)[0]
    assert "quote.pdf (since removed)" in after
    assert po.get_absolute_url() not in after and added.get_absolute_url() not in after


def test_moving_the_case_updates_what_the_created_item_says(login, taken, rep, deal_desk_agent):
    client = login(rep)
    assert "sent to the Deal Desk queue." in feed(client, taken)
    choice = resolve_choice(
        "opportunity", team="Billing", request_type="Invoice Copy Requests", sub_request=None
    )
    move_case(taken, agent=deal_desk_agent, request_type=choice.request_type, reason="Invoices")
    after = feed(client, taken)
    assert "sent to the Deal Desk queue." not in after
    assert "moved the case to Billing" in after


def test_status_watchers_edits_and_ratings_show_at_once(
    login, taken, rep, deal_desk_agent, outsider
):
    agent, requester = login(deal_desk_agent), login(rep)
    feed(agent, taken)
    feed(requester, taken)
    act(agent, taken, "hold", {"reason": "Waiting on Legal"})
    assert "put the case on hold" in feed(requester, taken)
    act(agent, taken, "resume")
    assert "resumed work" in feed(requester, taken)
    act(requester, taken, "watch", {"username": "olga"})
    assert "added Olga Outsider as a watcher" in feed(agent, taken)
    close_case(taken, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done.")
    assert "closed the case" in feed(requester, taken)
    response = requester.post(url(taken, "rate"), {"score": "4", "comment": "Quick, thanks"})
    assert response.status_code == 302
    page = feed(agent, taken)
    assert "rated the case 4/5" in page and "Quick, thanks" in page


def test_an_edit_shows_in_the_feed_and_the_details(login, case, rep):
    client = login(rep)
    feed(client, case)
    data = {"subject": "Ramp approval", "description": "Now **bold**"}
    data["details-quote_url"] = "https://crm.example.com/q/2"
    assert flashed(act(client, case, "edit", data)) == ["Your changes are saved."]
    page = text(client.get(case.get_absolute_url()))
    assert "changed Subject" in page and "Ramp approval" in page
    assert '<div class="markdown description"><p>Now <strong>bold</strong></p>' in page


def test_internal_notes_cached_for_the_team_never_reach_the_requester(
    login, taken, rep, deal_desk_agent
):
    agent = login(deal_desk_agent)
    agent.post(
        url(taken, "comment"),
        {"body": "Margin is thin", "internal": "on", "files": [pdf("costs.pdf")]},
    )
    assert "Margin is thin" in feed(agent, taken) and "costs.pdf" in feed(agent, taken)
    page = text(login(rep).get(taken.get_absolute_url()))
    assert "Margin is thin" not in page and "costs.pdf" not in page
    assert "Internal note" not in page


def test_dates_follow_the_time_zone_even_for_cached_items(login, case, rep, settings):
    client = login(rep)
    created = case.events.get().created_at
    utc = feed(client, case)
    settings.TIME_ZONE = "Asia/Tokyo"
    tokyo = feed(client, case)
    local = timezone.localtime(created, timezone.get_fixed_timezone(9 * 60))
    assert local.strftime("%H:%M") in tokyo and tokyo != utc


def test_the_feed_is_the_same_without_a_cache(login, case, rep, deal_desk_agent, settings):
    take_case(case, agent=deal_desk_agent)
    add_comment(case, author=rep, body="Version 3, see @dan")
    cached = feed(login(rep), case)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert feed(login(rep), case) == cached


class _DownCache:
    def get_many(self, keys):
        raise ConnectionError("cache is down")

    set_many = get_many


def test_a_cache_that_is_down_costs_speed_not_the_page(login, case, rep, monkeypatch):
    add_comment(case, author=rep, body="Still **here**")
    cached = feed(login(rep), case)
    monkeypatch.setattr(fragments, "cache", _DownCache())
    assert feed(login(rep), case) == cached


# ---- what may be cached, and under which key -----------------------------------------------


def _item(**changes) -> FeedItem:
    item = FeedItem(1, "comment", "Rita Rep", "commented", "", timezone.now())
    return dataclasses.replace(item, **changes)


def test_anything_an_item_shows_changes_its_key():
    salt = "salt|"
    item = _item()
    key = fragments.fragment_key(salt, item)
    assert fragments.fragment_key(salt, dataclasses.replace(item)) == key
    for changed in (
        _item(actor="Rita Roe"),
        _item(internal=True),
        _item(notes=["Reason: x"]),
        _item(body="<b>x</b>"),
        _item(body=mark_safe("<b>x</b>")),  # a SafeString renders unescaped
    ):
        assert fragments.fragment_key(salt, changed) not in (key, None)
    assert fragments.fragment_key("other template|", item) != key


def test_an_item_holding_a_model_is_rendered_but_never_cached(case):
    item = _item(detail=case)  # a model's repr says nothing of its fields
    assert fragments.fragment_key("salt|", item) is None
    html = feed_html([item])
    assert 'id="event-1"' in html and cached_fragments() == 0


def test_the_anchor_prefix_is_part_of_the_key():
    item = _item()
    assert 'id="event-1"' in feed_html([item])
    assert 'id="changed-1"' in feed_html([item], anchor_prefix="changed-")


def test_a_changed_template_changes_every_key(settings, tmp_path):
    item = _item()
    feed_html([item])
    override = tmp_path / "templates" / FEED_ITEM_TEMPLATE
    override.parent.mkdir(parents=True)
    override.write_text('<li id="event-{{ item.pk }}">new look: {{ item.text }}</li>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]}]
    assert feed_html([item]) == '<li id="event-1">new look: commented</li>'


# ---- queries: few, and the same however much there is --------------------------------------


def _queries(client, case: Case) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(case.get_absolute_url()).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["rep", "deal_desk_agent", "admin_user"])
def test_a_cold_cache_and_other_cases_on_the_record_cost_no_query(
    login, case, rep, opportunity, persona, request
):
    client = login(request.getfixturevalue(persona))
    add_comment(case, author=rep, body="@dan have a look")
    cold = _queries(client, case)
    warm = _queries(client, case)
    assert cold == warm
    for _ in range(12):
        make_case(rep, opportunity)
    assert _queries(client, case) == warm


def test_the_feeds_later_pages_cost_what_the_first_does(login, case, rep):
    for i in range(35):
        add_comment(case, author=rep, body=f"Comment {i}")
    client = login(rep)
    first = _queries(client, case)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(case.get_absolute_url(), {"feed": "2"}).status_code == 200
    assert len(queries) == first


# ---- access: the same one rule -------------------------------------------------------------


def test_a_deactivated_requester_or_agent_sees_nothing(taken, rep, deal_desk_agent):
    for user in (rep, deal_desk_agent):
        assert case_for(user, taken.number) == taken
        user.is_active = False
        with pytest.raises(Http404):
            case_for(user, taken.number)


def test_a_watcher_and_a_record_editor_see_it_and_an_outsider_does_not(
    login, case, rep, other_rep, shared_edit, outsider, billing_agent
):
    assert login(other_rep).get(case.get_absolute_url()).status_code == 200
    assert login(outsider).get(case.get_absolute_url()).status_code == 404
    assert login(billing_agent).get(case.get_absolute_url()).status_code == 404
    case.watcher_links.create(user=outsider)
    page = text(login(outsider).get(case.get_absolute_url()))
    assert re.search(r'<h1><span class="case-number">\d+</span>', page)


def test_the_rule_built_once_per_user_follows_their_admin_and_active_flags(case, outsider):
    assert case not in cases_visible_to(outsider)
    outsider.is_staff = True
    assert case in cases_visible_to(outsider)
    outsider.is_active = False
    assert case not in cases_visible_to(outsider)


def test_other_cases_on_the_record_are_all_for_its_owner_and_admins_only(
    login, case, rep, outsider, admin_user, deal_desk_agent
):
    billing = make_case(rep, case.record, request_type=request_type("Billing", "Internal Support"))
    case.watcher_links.create(user=outsider)
    for persona, sees_billing in (
        (rep, True),  # the record's owner
        (admin_user, True),
        (outsider, False),  # a watcher of this case only
        (deal_desk_agent, False),  # Billing's case is not Deal Desk's
    ):
        page = text(login(persona).get(case.get_absolute_url()))
        assert (f'href="{billing.get_absolute_url()}"' in page) is sees_billing, persona
