"""Linked cases in the web UI: "Ask another team for help" from a case (team handles, the
actions menu, the guided request linked to the case), the linked cases list, follow-ups to
cases closed too long ago, and closing a parent with open children."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportdesk.cases.actions import close_case, take_case
from supportdesk.cases.models import (
    Case,
    CaseEvent,
    CaseWatcher,
    RequestDraft,
    Resolution,
    Status,
)
from supportdesk.cases.services import submit_case
from supportdesk.notify.models import Notification
from tests.cases.test_child_cases import broken
from tests.factories import MembershipFactory, UserFactory
from tests.web.casework import HTMX, act, flashed, quote_question_case, text, url
from tests.web.conftest import request_type, step

pytestmark = pytest.mark.django_db

ASK = "cases:ask_for_help"


@pytest.fixture
def case(rep, opportunity):
    return quote_question_case(rep, opportunity)


@pytest.fixture
def invoice_copy():
    return request_type("Billing", "Invoice Copy Requests")


def ask_url(case: Case, team: str = "") -> str:
    return reverse(ASK, args=[case.number]) + (f"?team={team}" if team else "")


def start_asking(client, case: Case, team: str = "billing") -> RequestDraft:
    """Ask `team` for help from the case page; lands on the wizard's type step."""
    response = client.post(reverse(ASK, args=[case.number]), {"team": team})
    assert response.status_code == 302
    draft = RequestDraft.objects.get(parent=case, case__isnull=True)
    assert response.url == step(draft, "type")
    return draft


def ask_through_the_wizard(client, case: Case, rt) -> RequestDraft:
    draft = start_asking(client, case)
    assert client.post(step(draft, "type"), {"choice": str(rt.pk)}).status_code == 302
    details = {
        "subject": "Invoice copy for the Acme quote",
        "details-invoice_number": "INV-77",
        "description": "The quote must match last year's invoice.",
        "priority": "medium",
    }
    response = client.post(step(draft, "details"), details)
    assert response.status_code == 302 and response.url == step(draft, "review")
    return draft


def make_child(asker, parent: Case, rt) -> Case:
    return submit_case(
        asker,
        record=parent.record,
        parent=parent,
        request_type=rt,
        description="Invoice please",
        answers={"invoice_number": "INV-1"},
    ).case


def closed_long_ago(case: Case, agent) -> Case:
    take_case(case, agent=agent)
    close_case(case, actor=agent, resolution=Resolution.ANSWERED, note="Answered by email")
    long_ago = timezone.now() - dt.timedelta(days=settings.CASE_REOPEN_DAYS, hours=1)
    Case.objects.filter(pk=case.pk).update(closed_at=long_ago)
    return Case.objects.get(pk=case.pk)


# ---- asking another team for help through the guided request -------------------------------


def test_an_agent_without_record_access_asks_billing_through_the_wizard(
    login, case, deal_desk_agent, invoice_copy, rep
):
    client = login(deal_desk_agent)
    draft = start_asking(client, case)
    assert draft.record == case.record and draft.team.name == "Billing"

    type_page = text(client.get(step(draft, "type")))
    assert f'Linked to case <a href="{case.get_absolute_url()}"' in type_page
    assert "What do you need from Billing?" in type_page
    client.post(step(draft, "type"), {"choice": str(invoice_copy.pk)})
    details = text(client.get(step(draft, "details")))
    assert f'value="Help with case {case.number}: {case.subject}"' in details  # prefilled

    draft = ask_through_the_wizard(client, case, invoice_copy)
    review = text(client.get(step(draft, "review")))
    assert "Invoice copy for the Acme quote" in review and f"Case {case.number}" in review
    response = client.post(step(draft, "review"), {"action": "submit"})
    child = Case.objects.get(parent=case)
    assert response.status_code == 302
    assert response.url == reverse("cases:submitted", args=[child.number])
    assert child.subject == "Invoice copy for the Acme quote"
    assert child.record == case.record and child.requester == deal_desk_agent
    assert child.details == {"invoice_number": "INV-77"}
    assert Notification.objects.filter(kind="case.linked", user=rep, case=case).exists()

    again = client.post(step(draft, "review"), {"action": "submit"})  # a retried submit
    assert again.url == response.url and Case.objects.filter(parent=case).count() == 1


def test_details_errors_and_previous_keep_what_was_typed(
    login, case, deal_desk_agent, invoice_copy
):
    client = login(deal_desk_agent)
    draft = start_asking(client, case)
    client.post(step(draft, "type"), {"choice": str(invoice_copy.pk)})
    page = text(client.post(step(draft, "details"), {"subject": "", "description": "Hi"}))
    assert "Give the request a subject." in page and "Invoice number" in page
    client.post(step(draft, "details"), {"subject": "Keep me", "action": "previous"})
    assert 'value="Keep me"' in text(client.get(step(draft, "details")))


def test_the_ask_page_presets_the_team_and_works_inline(login, case, deal_desk_agent):
    client = login(deal_desk_agent)
    page = text(client.get(ask_url(case, "billing")))
    assert "Ask another team for help" in page
    assert 'value="billing" required id="id_team_0" checked>' in page
    assert 'value="deal-desk" required id="id_team_1">' in page
    fragment = text(client.get(ask_url(case), headers=HTMX))
    assert "<html" not in fragment and 'hx-post="' in fragment
    response = client.post(reverse(ASK, args=[case.number]), {"team": "billing"}, headers=HTMX)
    draft = RequestDraft.objects.get(parent=case)
    assert response["HX-Redirect"] == step(draft, "type")


def test_the_ask_page_needs_a_team_it_lists(login, case, deal_desk_agent):
    page = text(login(deal_desk_agent).post(reverse(ASK, args=[case.number]), {"team": "nope"}))
    assert "Choose one of the teams listed." in page
    assert not RequestDraft.objects.filter(parent=case).exists()


def test_strangers_get_404_everywhere(login, case, outsider, billing_agent):
    for user in (outsider, billing_agent):
        client = login(user)
        assert client.get(ask_url(case)).status_code == 404
        assert client.post(reverse(ASK, args=[case.number]), {"team": "billing"}).status_code == 404
        assert client.get(reverse("cases:follow_up", args=[case.number])).status_code == 404


def test_someone_elses_linked_draft_is_404(login, case, deal_desk_agent, rep):
    draft = start_asking(login(deal_desk_agent), case)
    assert login(rep).get(step(draft, "type")).status_code == 404


def test_the_actions_menu_offers_asking_for_help_to_whoever_may_comment(
    login, case, deal_desk_agent, rep, watcher_user
):
    CaseWatcher.objects.create(case=case, user=watcher_user)
    for user in (deal_desk_agent, rep, watcher_user):
        page = text(login(user).get(case.get_absolute_url()))
        assert f'href="{ask_url(case)}"' in page and "Ask another team for help…" in page
    draft = start_asking(login(watcher_user), case)
    assert draft.user == watcher_user


@pytest.fixture
def watcher_user(db):
    return UserFactory(username="walt")


# ---- team handles --------------------------------------------------------------------------


def test_a_team_handle_notifies_nobody_and_offers_to_ask_the_team(
    login, case, deal_desk_agent, billing_agent
):
    response = login(deal_desk_agent).post(url(case, "comment"), {"body": "@billing can you?"})
    assert not Notification.objects.filter(user=billing_agent).exists()
    notices = " ".join(flashed(response))
    assert "nobody was notified" in notices
    assert f'<a href="{ask_url(case, "billing")}">Ask Billing for help</a>' in notices


def test_autocomplete_offers_ask_team_entries_beside_people(login, case, deal_desk_agent):
    client = login(deal_desk_agent)
    page = text(client.get(url(case, "mention_suggest"), {"q": "@bil"}))
    assert f'data-href="{ask_url(case, "billing")}"' in page and "Ask Billing for help" in page
    page = text(client.get(url(case, "mention_suggest"), {"q": "deal"}))
    assert "Ask Deal Desk for help" in page
    page = text(client.get(url(case, "mention_suggest"), {"q": "billing-t"}))  # an alias
    assert "Ask Billing for help" in page and "@billing-team" in page
    watcher_field = text(client.get(url(case, "mention_suggest"), {"q": "bil", "teams": "0"}))
    assert "Ask Billing" not in watcher_field
    assert "Ask " not in text(client.get(url(case, "mention_suggest"), {"q": "dan"}))


def test_autocomplete_offers_no_team_on_a_closed_case(login, case, deal_desk_agent):
    take_case(case, agent=deal_desk_agent)
    close_case(case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    page = text(login(deal_desk_agent).get(url(case, "mention_suggest"), {"q": "bil"}))
    assert "Ask Billing" not in page


# ---- the linked cases on both pages --------------------------------------------------------


def test_parent_and_child_list_each_other_and_the_other_team_sees_both(
    login, case, deal_desk_agent, billing_agent, invoice_copy
):
    child = make_child(deal_desk_agent, case, invoice_copy)
    parent_page = text(login(deal_desk_agent).get(case.get_absolute_url()))
    assert "Linked cases (1)" in parent_page
    assert f'<a href="{child.get_absolute_url()}">{child.number}</a>' in parent_page
    assert "asked Billing for help: linked case" in parent_page  # the feed
    assert "closing this case before it is done needs a reason" in parent_page

    billing = login(billing_agent)
    child_page = text(billing.get(child.get_absolute_url()))
    assert f'<a href="{case.get_absolute_url()}">{case.number}</a>' in child_page
    assert "raised this case to ask for help with linked case" in child_page
    assert billing.get(case.get_absolute_url()).status_code == 200


def test_a_linked_case_the_viewer_cannot_open_shows_without_its_subject(login, rep):
    it = request_type("IT / Enterprise Applications", "Break/Fix Request", kind="")
    it_agent = UserFactory(username="ian")
    MembershipFactory(user=it_agent, team=it.team)
    parent = submit_case(rep, record=None, request_type=it, description="x", answers=broken(rep))
    parent = parent.case
    child = submit_case(  # IT asks IT (the only team taking requests without a record)
        it_agent,
        record=None,
        parent=parent,
        request_type=it,
        description="Secret",
        answers=broken(it_agent) | {"short_description": "Secret thing"},
        subject="Secret thing",
    ).case
    page = text(login(rep).get(parent.get_absolute_url()))
    assert f'{child.number} <span class="muted small">(you cannot open it)' in page
    assert child.subject not in page


def test_the_case_page_costs_the_same_queries_for_one_or_three_children(
    login, rep, opportunity, deal_desk_agent, invoice_copy
):
    few, many = quote_question_case(rep, opportunity), quote_question_case(rep, opportunity)
    make_child(deal_desk_agent, few, invoice_copy)
    for _ in range(3):
        make_child(deal_desk_agent, many, invoice_copy)
    for user in (rep, deal_desk_agent):
        client = login(user)
        client.get(few.get_absolute_url())  # warm the session
        counts = []
        for case in (few, many):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(case.get_absolute_url()).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1], user


# ---- follow-ups -----------------------------------------------------------------------------


def test_after_the_window_the_requester_is_offered_a_follow_up(login, case, rep, deal_desk_agent):
    closed = closed_long_ago(case, deal_desk_agent)
    client = login(rep)
    page = text(client.get(closed.get_absolute_url()))
    follow_up = reverse("cases:follow_up", args=[closed.number])
    assert f'href="{follow_up}"' in page and "Request a follow-up" in page
    assert "Ask another team for help" not in page
    refused = act(client, closed, "reopen", {"reason": "Still wrong"})
    assert "use “Request a follow-up” on the case instead" in " ".join(flashed(refused))

    response = client.post(follow_up)
    draft = RequestDraft.objects.get(parent=closed)
    assert response.url == step(draft, "type") and draft.team == closed.team
    assert "A follow-up to the closed case" in text(client.get(step(draft, "type")))
    assert draft.data["common"]["subject"].startswith(f"Follow-up to case {closed.number}")


def test_within_the_window_there_is_no_follow_up_but_a_reopen(login, case, rep, deal_desk_agent):
    take_case(case, agent=deal_desk_agent)
    close_case(case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    client = login(rep)
    page = text(client.get(case.get_absolute_url()))
    assert "Request a follow-up" not in page and "Reopen" in page
    response = client.get(reverse("cases:follow_up", args=[case.number]))
    assert response.status_code == 302
    assert "reopen it instead" in " ".join(flashed(response))


def test_only_the_requester_follows_up(login, case, deal_desk_agent):
    closed = closed_long_ago(case, deal_desk_agent)
    response = login(deal_desk_agent).post(reverse("cases:follow_up", args=[closed.number]))
    assert response.status_code == 302 and not RequestDraft.objects.filter(parent=closed)


# ---- closing a parent with open children ---------------------------------------------------


def test_closing_a_parent_with_an_open_child_needs_a_reason(
    login, case, deal_desk_agent, invoice_copy
):
    make_child(deal_desk_agent, case, invoice_copy)
    client = login(deal_desk_agent)
    form = text(client.get(url(case, "close")))
    assert "1 linked child case is still open." in form and 'name="override"' in form
    page = text(act(client, case, "close", {"resolution": "answered", "note": "Done"}))
    assert "Say why you close it anyway." in page
    assert Case.objects.get(pk=case.pk).status == Status.NEW

    data = {"resolution": "answered", "note": "Done", "override": "Billing carries on"}
    act(client, case, "close", data)
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    override = case.events.get(kind=CaseEvent.CLOSE_OVERRIDE)
    assert override.data["reason"] == "Billing carries on"
    assert "Billing carries on" in text(client.get(case.get_absolute_url()))
