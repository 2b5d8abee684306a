"""The case page, attachment downloads, the confirmation page and My Cases."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from supportdesk.cases.models import Case, CaseEvent
from supportdesk.cases.services import create_upload
from tests.factories import RecordFactory
from tests.web.conftest import make_case, pdf, upload_for

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def case(rep, opportunity, po_exception):
    """A PO Exception case with a file answer and a general attachment."""
    rt, sub = po_exception
    confirmation = str(create_upload(rep, file=pdf("confirmation.pdf", b"%PDF yes")).id)
    return make_case(
        rep,
        opportunity,
        request_type=rt,
        sub_request=sub,
        priority="urgent",
        urgent_reason="Quarter closes Friday.",
        description="Needs a **PO exception**.",
        needed_by=timezone.localdate() + dt.timedelta(days=5),
        answers={
            "po_exception_type": "PO number given, no PO document",
            "po_number": "PO-42",
            "customer_confirmation": [confirmation],
        },
        attachment_ids=[upload_for(rep, "brief.pdf")],
    )


# ---- who sees the case page ---------------------------------------------------------------


@pytest.mark.parametrize("persona", ["rep", "deal_desk_agent", "admin_user"])
def test_case_page_is_visible_to_requester_team_agent_and_admin(login, case, persona, request):
    user = request.getfixturevalue(persona)
    assert login(user).get(case.get_absolute_url()).status_code == 200


def test_case_page_is_visible_to_a_record_editor(login, case, other_rep, shared_edit):
    assert login(other_rep).get(case.get_absolute_url()).status_code == 200


def test_record_reader_does_not_see_the_case(login, case, other_rep, shared_read):
    assert login(other_rep).get(case.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "billing_agent"])
def test_outsider_and_another_teams_agent_get_404(login, case, persona, request):
    user = request.getfixturevalue(persona)
    assert login(user).get(case.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("number", ["99999999", "abc", "0"])
def test_unknown_case_numbers_are_not_found(login, rep, number):
    assert login(rep).get(f"/cases/{number}/").status_code == 404


def test_case_page_needs_login(client, case):
    response = client.get(case.get_absolute_url())
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# ---- what the case page shows -------------------------------------------------------------


def test_case_page_shows_details_answers_feed_and_attachments(login, rep, case):
    page = text(login(rep).get(case.get_absolute_url()))
    attachment = {a.name: a for a in case.attachments.all()}
    for expected in (
        f'<span class="case-number">{case.number}</span>',
        "<dt>Owner</dt><dd>Deal Desk queue</dd>",
        "<dt>Status</dt><dd>New</dd>",
        "<dt>Team</dt><dd>Deal Desk</dd>",
        "<dt>Request type</dt><dd>Opportunity Help</dd>",
        "<dt>Sub-request</dt><dd>PO Exception</dd>",
        "<dt>Priority</dt><dd>Urgent</dd>",
        "Quarter closes Friday.",
        "<dt>Requester</dt><dd>Rita Rep</dd>",
        f'<a href="/records/{case.record_id}/">Acme Corp — FY27 Renewal</a>',
        "Needs a <strong>PO exception</strong>.",
        "<dt>Exception</dt><dd>PO number given, no PO document</dd>",
        "<dt>PO number</dt><dd>PO-42</dd>",
        f'<a href="{attachment["confirmation.pdf"].get_absolute_url()}">confirmation.pdf</a>',
        "<dt>Watchers</dt><dd>Rita Rep</dd>",
        "<strong>Rita Rep</strong> created the case",
        "Record at submission",
        "<dt>External id</dt><dd>006ACME0001</dd>",
        "Attachments (2)",
        f'<a href="{attachment["brief.pdf"].get_absolute_url()}">brief.pdf</a>',
    ):
        assert expected in page


def test_the_snapshot_is_what_the_record_was_at_submission(login, rep, case, opportunity):
    opportunity.attributes = {"stage": "7-Closed Won"}
    opportunity.save()
    page = text(login(rep).get(case.get_absolute_url()))
    assert '<dt>Stage</dt><dd>4-Proposal <span class="now">now: 7-Closed Won</span></dd>' in page


def test_feed_is_newest_first(login, rep, case):
    CaseEvent.objects.create(
        case=case, kind="comment.added", actor=rep, created_at=timezone.now() + dt.timedelta(1)
    )
    page = text(login(rep).get(case.get_absolute_url()))
    assert page.index("<strong>Rita Rep</strong> commented") < page.index("created the case")


def test_case_page_queries_are_fixed(login, rep, case, django_assert_max_num_queries):
    for i in range(10):
        CaseEvent.objects.create(case=case, kind="comment.added", actor=rep, data={"i": i})
    client = login(rep)
    # session, user, teams, case, feed page, files, record, names, other cases on the record,
    # role in the team, watchers, bell (tests/web/test_case_feed.py: the same for 5 or 60 events)
    # and the "Recently Viewed" upsert (lists.services.record_case_view)
    with django_assert_max_num_queries(13):
        assert client.get(case.get_absolute_url()).status_code == 200


# ---- attachments --------------------------------------------------------------------------


def test_attachment_download_for_someone_who_sees_the_case(login, deal_desk_agent, case):
    attachment = case.attachments.get(name="brief.pdf")
    response = login(deal_desk_agent).get(attachment.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 demo"
    assert response["Content-Disposition"] == 'attachment; filename="brief.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("persona", ["outsider", "billing_agent"])
def test_attachment_download_is_denied_to_who_cannot_see_the_case(login, case, persona, request):
    attachment = case.attachments.first()
    response = login(request.getfixturevalue(persona)).get(attachment.get_absolute_url())
    assert response.status_code == 404


def test_an_attachment_is_only_served_through_its_own_case(login, rep, case, opportunity):
    other = make_case(rep, opportunity)
    attachment = case.attachments.first()
    url = reverse("cases:attachment", args=[other.number, attachment.pk])
    assert login(rep).get(url).status_code == 404


# ---- confirmation page --------------------------------------------------------------------


def test_confirmation_page(login, rep, case):
    page = text(login(rep).get(reverse("cases:submitted", args=[case.number])))
    assert f"Case {case.number} created" in page and "What happens next" in page
    assert "<dd>Deal Desk queue</dd>" in page


def test_confirmation_page_of_someone_elses_case_is_not_found(login, outsider, case):
    assert login(outsider).get(reverse("cases:submitted", args=[case.number])).status_code == 404


# ---- the Cases tab: My Requests by default (more in tests/lists) ---------------------------


def test_my_cases_lists_only_mine_newest_first(login, rep, other_rep, opportunity, shared_edit):
    older = make_case(rep, opportunity)
    Case.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    newer = make_case(rep, opportunity)
    theirs = make_case(other_rep, opportunity)
    page = text(login(rep).get(reverse("cases:mine")))
    assert newer.number in page and older.number in page
    assert page.index(newer.number) < page.index(older.number)
    assert theirs.number not in page  # visible to rep (record owner), but not requested by rep
    assert "<td>Deal Desk</td>" in page and "New</span>" in page and "Medium</span>" in page


def test_home_is_my_cases(login, rep, opportunity):
    case = make_case(rep, opportunity)
    assert case.number in text(login(rep).get("/"))


def test_my_cases_empty_state(login, outsider):
    assert "No cases yet" in text(login(outsider).get(reverse("cases:mine")))


def test_my_cases_is_paginated_and_its_queries_are_fixed(login, rep, django_assert_max_num_queries):
    records = [RecordFactory(owner=rep) for _ in range(3)]
    for i in range(55):
        make_case(rep, records[i % 3])
    client = login(rep)
    # session, user, teams, saved views, page, count, teams, request types, sub-requests, bell
    with django_assert_max_num_queries(10):
        page = text(client.get(reverse("cases:mine")))
    assert page.count('<tr><td><a href="/cases/0') == 50 and "<strong>55</strong> cases" in page
    next_page = html.unescape(re.search(r'rel="next" href="([^"]+)"', page).group(1))
    second = text(client.get(reverse("cases:mine") + next_page))
    assert second.count('<tr><td><a href="/cases/0') == 5
