"""The case page's feed and related lists: every event kind as people read it, comments with
Markdown, @mentions and files, internal notes, attachments, pagination and query counts,
@mention suggestions, and the record as submitted beside the record now."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportdesk.cases.actions import (
    add_attachments,
    add_comment,
    add_watcher,
    ask_requester,
    assign_case,
    close_case,
    edit_case,
    hold_case,
    move_case,
    remove_attachment,
    reopen_case,
    resume_case,
    take_case,
)
from supportdesk.cases.display.feed import FEED_PAGE_SIZE
from supportdesk.cases.models import Attachment, CaseEvent, Resolution
from supportdesk.cases.services import create_upload
from supportdesk.catalog.queries import resolve_choice
from tests.factories import UserFactory
from tests.web.casework import (
    HTMX,
    flashed,
    quote_question_case,
    second_deal_desk_agent,
    text,
    url,
)
from tests.web.conftest import make_case, pdf, request_type, upload_for

pytestmark = pytest.mark.django_db

# A 1 × 1 picture header: the upload checks read its declared size.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    + bytes(16)
)


@pytest.fixture
def case(rep, opportunity):
    return quote_question_case(rep, opportunity)


@pytest.fixture
def dana(db):
    return second_deal_desk_agent()


def png(name: str = "screen.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


# ---- every kind of event, as the feed tells it ---------------------------------------------


def test_the_feed_tells_every_kind_of_event(login, case, rep, deal_desk_agent, dana, outsider):
    take_case(case, agent=deal_desk_agent)
    assign_case(case, actor=deal_desk_agent, assignee="dana")
    ask_requester(case, agent=dana, question="Which **quote** version?")
    add_comment(case, author=rep, body="Version 3, see @dana")
    hold_case(case, agent=dana, reason="Waiting on Legal")
    resume_case(case, agent=dana)
    edit_case(case, actor=dana, changes={"subject": "Ramp approval"})
    file = add_attachments(case, actor=rep, upload_ids=[upload_for(rep, "quote.pdf")])[0]
    remove_attachment(case, actor=rep, attachment_id=file.pk)
    add_watcher(case, actor=rep, username="olga")
    close_case(case, actor=dana, resolution=Resolution.ANSWERED, note="VP approval is needed.")
    reopen_case(case, actor=rep, reason="Which VP?")
    page = text(login(rep).get(case.get_absolute_url()))
    for expected in (
        "<strong>Rita Rep</strong> created the case",
        "<strong>Dan Desk</strong> took ownership",
        "<strong>Dan Desk</strong> reassigned the case from Dan Desk to Dana Diaz",
        '<span class="status status--new">New</span>',
        '<span class="status status--work_in_progress">Work in Progress</span>',
        "<strong>Dana Diaz</strong> asked the requester for information",
        "Which <strong>quote</strong> version?",
        ">The question</a>",
        "<strong>Rita Rep</strong> replied",
        '<span class="mention" title="Dana Diaz">@dana</span>',
        "put the case on hold",
        "Reason: Waiting on Legal",
        "resumed work",
        "changed Subject",
        "Ramp approval",
        "<strong>Rita Rep</strong> added a file",
        "quote.pdf (since removed)",
        "removed the file “quote.pdf”",
        "added Olga Outsider as a watcher",
        "closed the case",
        "Resolution: Question answered",
        "VP approval is needed.",
        "reopened the case",
        "Reason: Which VP?",
    ):
        assert expected in page, expected


def test_a_move_reads_from_to_with_reason_and_missing_fields(login, case, rep, deal_desk_agent):
    choice = resolve_choice(
        "opportunity", team="Billing", request_type="Invoice Copy Requests", sub_request=None
    )
    move_case(case, agent=deal_desk_agent, request_type=choice.request_type, reason="Invoices")
    page = text(login(rep).get(case.get_absolute_url()))
    assert "<strong>Dan Desk</strong> moved the case to Billing" in page
    assert (
        '<span class="was">Deal Desk</span>' in page and '<span class="is">Billing</span>' in page
    )
    assert '<span class="is">Invoice Copy Requests</span>' in page
    assert "The requester was asked for: Invoice number." in page


def test_a_mention_is_visible_in_the_feed_and_shares_the_case(login, case, rep, outsider):
    client = login(rep)
    response = client.post(url(case, "comment"), {"body": "@olga can you confirm?"})
    assert response.status_code == 302
    page = text(login(outsider).get(case.get_absolute_url()))
    assert "mentioned Olga Outsider, who can now see and follow the case" in page
    assert '<span class="mention" title="Olga Outsider">@olga</span> can you confirm?' in page


def test_mentions_are_not_marked_inside_code_or_links(login, case, rep, outsider):
    add_comment(case, author=rep, body="`@olga` and [@olga](https://x.example/@olga) but @olga")
    page = text(login(rep).get(case.get_absolute_url()))
    assert "<code>@olga</code>" in page
    assert 'rel="noopener noreferrer">@olga</a>' in page
    assert page.count('<span class="mention" title="Olga Outsider">@olga</span>') == 1


def test_comment_markdown_is_sanitised(login, case, rep):
    add_comment(case, author=rep, body="<script>alert(1)</script> [x](javascript:alert(1)) **ok**")
    page = text(login(rep).get(case.get_absolute_url()))
    assert "<script>alert(1)" not in page and 'href="javascript:' not in page
    assert "<strong>ok</strong>" in page


# ---- commenting ----------------------------------------------------------------------------


def test_commenting_without_javascript(login, case, rep):
    client = login(rep)
    response = client.post(url(case, "comment"), {"body": "Any **news**?"})
    event = case.events.get(kind=CaseEvent.COMMENTED)
    assert response.url == f"{case.get_absolute_url()}#event-{event.pk}"
    page = text(client.get(case.get_absolute_url()))
    assert "Comment added." in page and "Any <strong>news</strong>?" in page


def test_commenting_with_htmx_reloads_the_page_at_the_new_comment(login, case, rep):
    page = f"http://testserver{case.get_absolute_url()}"
    headers = {**HTMX, "HX-Current-URL": page}
    response = login(rep).post(url(case, "comment"), {"body": "Hi"}, headers=headers)
    event = case.events.get(kind=CaseEvent.COMMENTED)
    assert response["HX-Redirect"] == f"{case.get_absolute_url()}#event-{event.pk}"
    assert response["HX-Refresh"] == "true"  # only the #anchor changes: a reload is needed
    headers["HX-Current-URL"] = f"{page}?feed=2"
    response = login(rep).post(url(case, "comment"), {"body": "Again"}, headers=headers)
    assert "HX-Refresh" not in response  # another URL: going there loads it


def test_an_empty_comment_comes_back_with_an_error(login, case, rep):
    client = login(rep)
    page = text(client.post(url(case, "comment"), {"body": "   "}))
    assert "<html" in page and "Write a comment." in page  # the whole page, without JS
    partial = text(client.post(url(case, "comment"), {"body": ""}, headers=HTMX))
    assert "<html" not in partial and 'id="composer"' in partial and "Write a comment." in partial
    assert not case.events.filter(kind=CaseEvent.COMMENTED).exists()


def test_files_on_a_comment_are_listed_with_it(login, case, rep):
    client = login(rep)
    client.post(url(case, "comment"), {"body": "The PO", "files": [pdf("po.pdf"), png()]})
    event = case.events.get(kind=CaseEvent.COMMENTED)
    assert sorted(a.name for a in event.attachments.all()) == ["po.pdf", "screen.png"]
    page = text(client.get(case.get_absolute_url()))
    shot = event.attachments.get(name="screen.png")
    assert f'<img class="thumb thumb--large" src="{shot.get_absolute_url()}?inline=1"' in page


def test_a_bad_file_keeps_the_comment_and_the_good_files(login, case, rep):
    client = login(rep)
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    page = text(
        client.post(url(case, "comment"), {"body": "See attached", "files": [pdf("po.pdf"), bad]})
    )
    assert "files of this type are not accepted" in page
    assert "See attached</textarea>" in page and "po.pdf" in page
    kept = page.split('<input type="hidden" name="upload" value="')[1].split('"')[0]
    client.post(url(case, "comment"), {"body": "See attached", "upload": kept})
    event = case.events.get(kind=CaseEvent.COMMENTED)
    assert [a.name for a in event.attachments.all()] == ["po.pdf"]


def test_a_team_handle_is_not_broadcast_and_offers_to_ask_the_team(login, case, rep):
    response = login(rep).post(url(case, "comment"), {"body": "cc @billing please"})
    notices = flashed(response)
    assert "Comment added." in notices
    ask = reverse("cases:ask_for_help", args=[case.number]) + "?team=billing"
    assert (
        "@billing is a team — messages go to individuals, so nobody was notified. "
        f'<a href="{ask}">Ask Billing for help</a>: a request to them, linked to this case.'
    ) in notices


# ---- internal notes ------------------------------------------------------------------------


def test_internal_notes_and_their_files_stay_inside_the_team(login, case, rep, deal_desk_agent):
    agent = login(deal_desk_agent)
    assert "Internal note — only the team sees this" in text(agent.get(case.get_absolute_url()))
    agent.post(
        url(case, "comment"),
        {"body": "Discount looks **off**", "internal": "on", "files": [pdf("margin.pdf")]},
    )
    note = case.events.get(kind=CaseEvent.COMMENTED)
    assert note.internal
    file = note.attachments.get()
    agent_page = text(agent.get(case.get_absolute_url()))
    assert (
        "feed-item--internal" in agent_page and "Discount looks <strong>off</strong>" in agent_page
    )
    assert "added an internal note" in agent_page

    requester = login(rep)
    page = text(requester.get(case.get_absolute_url()))
    assert "Discount looks" not in page and "margin.pdf" not in page
    assert 'name="internal"' not in page  # no toggle for the requester
    assert requester.get(file.get_absolute_url()).status_code == 404
    assert agent.get(file.get_absolute_url()).status_code == 200


def test_a_requester_cannot_post_an_internal_note(login, case, rep):
    login(rep).post(url(case, "comment"), {"body": "secret?", "internal": "on"})
    assert not case.events.get(kind=CaseEvent.COMMENTED).internal


# ---- attachments ---------------------------------------------------------------------------


def test_uploading_several_files_to_the_case(login, case, rep):
    client = login(rep)
    bad = SimpleUploadedFile("run.exe", b"MZ")
    response = client.post(url(case, "attachments"), {"files": [pdf("a.pdf"), png("b.png"), bad]})
    assert response.status_code == 302
    notices = flashed(response)
    assert any("files of this type are not accepted" in n for n in notices)
    assert "Added a.pdf, b.png." in notices
    assert case.events.filter(kind=CaseEvent.ATTACHMENT_ADDED).count() == 2
    page = text(client.get(case.get_absolute_url()))
    assert "Attachments (2)" in page and "Up to 25 MB per file." in page


def test_uploading_nothing_says_so(login, case, rep):
    response = login(rep).post(url(case, "attachments"), {})
    assert flashed(response) == ["Choose one or more files to attach."]


def test_the_uploader_or_the_team_may_remove_a_file_but_nobody_else(
    login, case, rep, other_rep, shared_edit, deal_desk_agent
):
    first, second = add_attachments(
        case, actor=rep, upload_ids=[upload_for(rep, "a.pdf"), upload_for(rep, "b.pdf")]
    )
    page = text(login(rep).get(case.get_absolute_url()))
    assert f'action="{url(case, "attachment_remove", first.pk)}"' in page
    other = login(other_rep)  # a record editor sees the case but did not add the file
    assert f'action="{url(case, "attachment_remove", first.pk)}"' not in text(
        other.get(case.get_absolute_url())
    )
    response = other.post(url(case, "attachment_remove", first.pk))
    assert flashed(response) == ["Only whoever added a file, or the team, can remove it."]
    assert Attachment.objects.get(pk=first.pk).removed_at is None

    login(rep).post(url(case, "attachment_remove", first.pk))
    login(deal_desk_agent).post(url(case, "attachment_remove", second.pk))
    assert case.attachments.filter(removed_at__isnull=True).count() == 0
    assert login(rep).get(first.get_absolute_url()).status_code == 404


def test_a_stranger_cannot_remove_a_file(login, case, rep, outsider):
    file = add_attachments(case, actor=rep, upload_ids=[upload_for(rep)])[0]
    assert login(outsider).post(url(case, "attachment_remove", file.pk)).status_code == 404
    assert Attachment.objects.get(pk=file.pk).removed_at is None


def test_pictures_preview_inline_and_other_files_always_download(login, case, rep):
    picture, document = add_attachments(
        case,
        actor=rep,
        upload_ids=[str(create_upload(rep, file=png()).id), upload_for(rep, "brief.pdf")],
    )
    client = login(rep)
    inline = client.get(picture.get_absolute_url(), {"inline": "1"})
    assert inline["Content-Disposition"] == 'inline; filename="screen.png"'
    assert inline["Content-Type"] == "image/png"
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert inline["Content-Security-Policy"] == "default-src 'none'; sandbox"
    download = client.get(picture.get_absolute_url())
    assert download["Content-Disposition"] == 'attachment; filename="screen.png"'
    pdf_inline = client.get(document.get_absolute_url(), {"inline": "1"})
    assert pdf_inline["Content-Disposition"] == 'attachment; filename="brief.pdf"'


# ---- pagination and query counts -----------------------------------------------------------


def _comments(case, author, n, mention=""):
    for i in range(n):
        add_comment(case, author=author, body=f"Comment number {i} {mention}")


def test_the_feed_comes_a_page_at_a_time_newest_first(login, case, rep, deal_desk_agent):
    _comments(case, rep, 60)  # 61 events with "created"
    client = login(rep)
    first = text(client.get(case.get_absolute_url()))
    assert first.count('class="feed-item ') == FEED_PAGE_SIZE
    assert "Comment number 59<" in first and "Comment number 30<" in first
    assert "Comment number 29<" not in first
    assert 'href="?feed=2#feed" rel="next"' in first and "Older</a>" in first
    second = text(client.get(case.get_absolute_url(), {"feed": "2"}))
    assert "Comment number 29<" in second and "Comment number 0<" in second
    assert 'rel="prev"' in second and "Newer</a>" in second
    last = text(client.get(case.get_absolute_url(), {"feed": "3"}))
    assert last.count('class="feed-item ') == 1 and "created the case" in last
    assert "Older</a>" not in last
    assert client.get(case.get_absolute_url(), {"feed": "x"}).status_code == 200


def test_a_link_to_an_older_event_opens_the_feed_page_that_shows_it(
    login, case, rep, deal_desk_agent
):
    _comments(case, rep, 60)
    oldest_comment = case.events.get(data__body="Comment number 0")
    add_comment(case, author=deal_desk_agent, body="Team only", internal=True)
    client = login(rep)
    page = text(client.get(case.get_absolute_url(), {"event": oldest_comment.pk}))
    assert f'id="event-{oldest_comment.pk}"' in page and "Comment number 30<" not in page
    hidden = case.events.get(internal=True)  # a note the requester may not see: first page
    first = text(client.get(case.get_absolute_url(), {"event": hidden.pk}))
    assert "Comment number 59<" in first and "Team only" not in first


def _page_queries(client, case) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(case.get_absolute_url()).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["rep", "deal_desk_agent"])
def test_the_case_page_costs_the_same_queries_for_5_or_60_events(
    login, rep, opportunity, deal_desk_agent, persona, request, django_assert_max_num_queries
):
    short, long = quote_question_case(rep, opportunity), quote_question_case(rep, opportunity)
    for case in (short, long):
        take_case(case, agent=deal_desk_agent)  # an owner change and a status change
        add_attachments(case, actor=rep, upload_ids=[upload_for(rep)])
        add_comment(case, author=deal_desk_agent, body="note", internal=True)
    _comments(long, rep, 55, mention="for @dan")  # mentions, a watcher, names to look up
    assert short.events.count() == 5 and long.events.count() > 60
    client = login(request.getfixturevalue(persona))
    with django_assert_max_num_queries(11):  # with "Recently viewed", one upsert
        client.get(short.get_absolute_url())
    assert _page_queries(client, short) == _page_queries(client, long)


# ---- the record at submission beside the record now ----------------------------------------


def test_the_snapshot_shows_what_changed_on_the_record_since(login, case, rep, opportunity):
    new_owner = UserFactory(username="nora", first_name="Nora", last_name="New")
    opportunity.attributes = {**opportunity.attributes, "stage": "7-Closed Won", "amount": "99"}
    opportunity.owner = new_owner
    opportunity.save()
    page = text(login(rep).get(case.get_absolute_url()))
    assert '<dt>Stage</dt><dd>4-Proposal <span class="now">now: 7-Closed Won</span></dd>' in page
    assert '<dt>Amount</dt><dd>120,000 <span class="now">now: 99</span></dd>' in page
    assert '<dt>Owner</dt><dd>Rita Rep <span class="now">now: Nora New</span></dd>' in page
    assert "<dt>Close date</dt><dd>14 May 2031</dd>" in page  # unchanged: no "now"
    assert "<dt>External id</dt><dd>006ACME0001</dd>" in page


def test_other_cases_on_the_record_are_those_the_user_may_see(
    login, case, rep, other_rep, shared_edit, deal_desk_agent
):
    mine = make_case(rep, case.record)
    billing = make_case(
        other_rep, case.record, request_type=request_type("Billing", "Internal Support")
    )
    agent_page = text(login(deal_desk_agent).get(case.get_absolute_url()))
    assert f'href="{mine.get_absolute_url()}"' in agent_page  # a Deal Desk case
    assert f'href="{billing.get_absolute_url()}"' not in agent_page  # Billing's: hidden
    rep_page = text(login(rep).get(case.get_absolute_url()))
    assert f'href="{billing.get_absolute_url()}"' in rep_page  # the record owner sees all


# ---- @mention suggestions ------------------------------------------------------------------


def test_mention_suggestions_are_active_people_starting_with_the_text(login, case, rep):
    UserFactory(username="rick", first_name="Rick", last_name="Gone", is_active=False)
    UserFactory(username="zed", first_name="Ricarda", last_name="Zed")
    page = text(login(rep).get(url(case, "mention_suggest"), {"q": "@ri"}))
    assert 'data-username="rita"' in page and 'data-username="zed"' in page
    assert "rick" not in page
    assert "<html" not in page


def test_mention_suggestions_are_at_most_eight(login, case, rep):
    for i in range(10):
        UserFactory(username=f"sam{i}")
    page = text(login(rep).get(url(case, "mention_suggest"), {"q": "sam"}))
    assert page.count('role="option"') == 8


def test_mention_suggestions_need_login_and_the_case(client, login, case, outsider):
    response = client.get(url(case, "mention_suggest"), {"q": "ri"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert login(outsider).get(url(case, "mention_suggest"), {"q": "ri"}).status_code == 404


def test_the_composer_asks_for_suggestions(login, case, rep):
    page = text(login(rep).get(case.get_absolute_url()))
    assert f'data-mention-url="{reverse("cases:mention_suggest", args=[case.number])}"' in page
