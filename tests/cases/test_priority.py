"""Priority: agents change it with a reason (service, case page, API), the requester's choice is
kept, and the wizard suggests one from the record's facts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from supportdesk.cases.actions import ActionInvalid, ActionNotAllowed, CaseConflict, close_case
from supportdesk.cases.models import Case, CaseEvent, Priority, Resolution
from supportdesk.cases.priority import change_priority
from supportdesk.notify.models import Notification
from tests.api.conftest import TokenClient, make_token
from tests.factories import RecordFactory, quote_question
from tests.web.conftest import (
    COMMON,
    PRIVATE_OFFER_ANSWERS,
    request_type,
    start_wizard,
    step,
    sub_request,
    walk_to_details,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(rep, opportunity, watcher):
    case = quote_question(rep, opportunity)
    case.watcher_links.create(user=watcher, added_by=rep)
    return case


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> TokenClient:
    return TokenClient(make_token(user))


def priority_events(case: Case) -> list[dict]:
    return list(
        case.events.filter(kind=CaseEvent.PRIORITY_CHANGED)
        .order_by("id")
        .values_list("data", flat=True)
    )


# ---- the service ---------------------------------------------------------------------------


def test_an_agent_raises_the_priority_with_a_reason_and_the_feed_says_so(case, deal_desk_agent):
    changed = change_priority(
        case, agent=deal_desk_agent, priority="high", reason="Customer escalated"
    )
    changed.refresh_from_db()
    assert changed.priority == Priority.HIGH and changed.version == case.version + 1
    assert changed.requested_priority == Priority.MEDIUM  # what the requester chose stays
    assert priority_events(case) == [
        {"from": "medium", "to": "high", "reason": "Customer escalated"}
    ]


def test_the_requester_and_watchers_are_told_but_not_the_agent(case, deal_desk_agent, rep, watcher):
    change_priority(case, agent=deal_desk_agent, priority="low", reason="No deadline after all")
    told = Notification.objects.filter(kind="case.priority_changed")
    assert set(told.values_list("user__username", flat=True)) == {"rita", "walt"}
    note = told.get(user=rep)
    assert note.title == f"Dan Desk changed the priority of case {case.number} to Low"
    assert note.body == "Medium → Low. Reason: No deadline after all"


def test_the_sla_clock_follows_the_new_priority(case, deal_desk_agent):
    before = Case.objects.get(pk=case.pk)
    assert before.first_response_due is not None
    change_priority(
        case, agent=deal_desk_agent, priority="urgent", reason="Go-live", urgent_reason="Outage"
    )
    after = Case.objects.get(pk=case.pk)
    assert after.first_response_due < before.first_response_due
    assert after.resolution_due < before.resolution_due


def test_urgent_needs_a_justification_which_the_case_keeps(case, deal_desk_agent):
    with pytest.raises(ActionInvalid) as caught:
        change_priority(case, agent=deal_desk_agent, priority="urgent", reason="Exec ask")
    assert set(caught.value.errors) == {"urgent_reason"}
    change_priority(
        case,
        agent=deal_desk_agent,
        priority="urgent",
        reason="Exec ask",
        urgent_reason=" Board on Monday ",
    )
    case.refresh_from_db()
    assert case.priority == Priority.URGENT and case.urgent_reason == "Board on Monday"
    assert priority_events(case)[-1]["urgent_reason"] == "Board on Monday"


def test_lowering_an_urgent_case_clears_its_justification_and_the_feed_keeps_it(
    rep, opportunity, deal_desk_agent
):
    case = quote_question(rep, opportunity, priority="urgent", urgent_reason="Quarter end")
    change_priority(case, agent=deal_desk_agent, priority="high", reason="Not customer-impacting")
    case.refresh_from_db()
    assert case.priority == Priority.HIGH and case.urgent_reason == ""
    assert case.requested_priority == Priority.URGENT
    assert priority_events(case)[-1]["urgent_reason_was"] == "Quarter end"


@pytest.mark.parametrize(
    ("priority", "reason", "fields"),
    [
        ("high", "  ", {"reason"}),
        ("medium", "Because", {"priority"}),  # already Medium
        ("critical", "Because", {"priority"}),
        ("urgent", "", {"reason", "urgent_reason"}),
    ],
)
def test_bad_changes_name_every_field_and_change_nothing(
    case, deal_desk_agent, priority, reason, fields
):
    with pytest.raises(ActionInvalid) as caught:
        change_priority(case, agent=deal_desk_agent, priority=priority, reason=reason)
    assert set(caught.value.errors) == fields
    assert Case.objects.get(pk=case.pk).priority == Priority.MEDIUM and not priority_events(case)


def test_the_same_priority_is_refused_by_name(case, deal_desk_agent):
    with pytest.raises(ActionInvalid, match="priority is Medium already"):
        change_priority(case, agent=deal_desk_agent, priority="medium", reason="Why not")


def test_leads_and_admins_may_change_it_too(case, deal_desk_lead, admin_user):
    change_priority(case, agent=deal_desk_lead, priority="high", reason="Lead's call")
    change_priority(case, agent=admin_user, priority="low", reason="Admin's call")
    assert [e["to"] for e in priority_events(case)] == ["high", "low"]


def test_the_requester_and_other_teams_may_not(case, rep, billing_agent, outsider):
    for user in (rep, billing_agent, outsider):
        with pytest.raises(ActionNotAllowed):
            change_priority(case, agent=user, priority="high", reason="Please")
    assert not priority_events(case)


def test_a_closed_case_keeps_its_priority(case, deal_desk_agent):
    close_case(case, actor=deal_desk_agent, resolution=Resolution.ANSWERED, note="Done")
    with pytest.raises(ActionNotAllowed, match="closed"):
        change_priority(case, agent=deal_desk_agent, priority="high", reason="Late")


def test_a_stale_version_changes_nothing(case, deal_desk_agent):
    with pytest.raises(CaseConflict):
        change_priority(
            case, agent=deal_desk_agent, priority="high", reason="x", version=case.version + 1
        )
    assert not priority_events(case)


def test_submit_keeps_the_requesters_choice_apart(rep, opportunity):
    case = quote_question(rep, opportunity, priority="high")
    assert case.requested_priority == case.priority == Priority.HIGH


# ---- the case page -------------------------------------------------------------------------


def test_agents_find_change_priority_in_the_menu_and_requesters_do_not(case, deal_desk_agent, rep):
    url = reverse("cases:priority", args=[case.number])
    assert f'href="{url}"' in login(deal_desk_agent).get(case.get_absolute_url()).content.decode()
    assert f'href="{url}"' not in login(rep).get(case.get_absolute_url()).content.decode()


def test_an_agent_changes_the_priority_on_the_case_page(case, deal_desk_agent):
    client = login(deal_desk_agent)
    url = reverse("cases:priority", args=[case.number])
    form = client.get(url).content.decode()
    assert 'value="medium" required id="id_priority_1" checked' in form  # the case's now
    data = {"priority": "high", "reason": "Signing **Friday**", "version": case.version}
    response = client.post(url, data)
    assert response.status_code == 302 and response.url == case.get_absolute_url()
    page = client.get(case.get_absolute_url()).content.decode()
    assert "changed the priority" in page and "Reason: Signing **Friday**" in page
    assert Case.objects.get(pk=case.pk).priority == Priority.HIGH


def test_the_form_shows_each_error_at_its_field(case, deal_desk_agent):
    url = reverse("cases:priority", args=[case.number])
    response = login(deal_desk_agent).post(url, {"priority": "urgent", "reason": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Say why the priority changes." in page
    assert "Say why this is urgent: urgent cases need a justification." in page
    assert Case.objects.get(pk=case.pk).priority == Priority.MEDIUM


def test_the_form_says_what_the_requester_asked_for(rep, opportunity, deal_desk_agent):
    case = quote_question(rep, opportunity, priority="urgent", urgent_reason="Now")
    change_priority(case, agent=deal_desk_agent, priority="high", reason="Not an outage")
    page = (
        login(deal_desk_agent).get(reverse("cases:priority", args=[case.number])).content.decode()
    )
    assert "The requester asked for Urgent." in page


def test_the_requester_is_refused_and_outsiders_get_404(case, rep, outsider):
    url = reverse("cases:priority", args=[case.number])
    refused = login(rep).post(url, {"priority": "urgent", "reason": "Me", "urgent_reason": "Me"})
    assert refused.status_code == 302 and Case.objects.get(pk=case.pk).priority == Priority.MEDIUM
    assert login(outsider).get(url).status_code == 404


# ---- the API -------------------------------------------------------------------------------


def api_url(case: Case) -> str:
    return f"/api/v1/cases/{case.number}/priority"


def test_an_agent_changes_the_priority_over_the_api(case, deal_desk_agent):
    body = {"priority": "High", "reason": "Customer escalated", "version": case.version}
    response = api(deal_desk_agent).post_json(api_url(case), body)
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["priority"] == "High" and out["version"] == case.version + 1
    assert "change_priority" in out["actions"]


def test_the_api_names_every_wrong_field(case, deal_desk_agent):
    response = api(deal_desk_agent).post_json(api_url(case), {"priority": "Urgent", "reason": ""})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"reason", "urgent_reason"}


def test_the_api_refuses_the_requester_hides_the_case_from_outsiders_and_spots_stale_versions(
    case, rep, outsider, deal_desk_agent
):
    body = {"priority": "High", "reason": "Please"}
    assert api(rep).post_json(api_url(case), body).status_code == 403
    assert api(outsider).post_json(api_url(case), body).status_code == 404
    stale = api(deal_desk_agent).post_json(api_url(case), body | {"version": case.version + 5})
    assert stale.status_code == 409 and stale.json()["version"] == case.version


def test_the_api_suggests_a_priority_for_a_record(rep):
    soon = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    record = RecordFactory(owner=rep, attributes={"stage": "4-Proposal", "close_date": soon})
    body = api(rep).get(f"/api/v1/records/{record.external_id}/priority-suggestion").json()
    assert body["priority"] == "High" and body["rule"] in ("close_soon", "quarter_end")
    assert body["reason"].startswith("Opportunity closes on")


def test_the_api_suggests_nothing_without_facts_and_hides_unreadable_records(
    rep, outsider, opportunity
):
    url = f"/api/v1/records/{opportunity.external_id}/priority-suggestion"
    assert api(rep).get(url).json() == {"priority": None, "reason": None, "rule": None}
    assert api(outsider).get(url).status_code == 404


# ---- the wizard's suggestion ---------------------------------------------------------------


@pytest.fixture
def closing_soon(rep):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return RecordFactory(
        owner=rep, attributes={"stage": "5-Negotiating", "close_date": tomorrow.isoformat()}
    )


def private_offer():
    rt = request_type("Deal Desk", "Quote Help")
    return rt, sub_request(rt, "Private Offer")


def test_the_wizard_preselects_the_suggested_priority_and_says_why(rep, closing_soon):
    client = login(rep)
    draft = walk_to_details(client, closing_soon, *private_offer())
    page = client.get(step(draft, "details")).content.decode()
    assert 'value="high" id="id_priority_2" checked' in page
    assert "Suggested: High — Opportunity closes on" in page
    assert 'id="id_priority_note"' in page


def test_the_requester_can_choose_another_priority_and_it_is_kept(rep, closing_soon):
    client = login(rep)
    draft = walk_to_details(client, closing_soon, *private_offer())
    data = {**PRIVATE_OFFER_ANSWERS, **COMMON, "priority": "low", "action": "next"}
    assert client.post(step(draft, "details"), data).status_code == 302
    assert start_wizard(client, closing_soon) == draft  # resumed, not started afresh
    page = client.get(step(draft, "details")).content.decode()
    assert 'value="low" id="id_priority_0" checked' in page
    assert "Suggested: High" in page  # still shown; the choice is theirs
    client.post(step(draft, "review"), {"action": "submit"})
    case = Case.objects.get()
    assert case.priority == case.requested_priority == Priority.LOW


def test_no_facts_no_suggestion(rep, opportunity):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer())
    page = client.get(step(draft, "details")).content.decode()
    assert 'value="medium" id="id_priority_1" checked' in page and "Suggested:" not in page
