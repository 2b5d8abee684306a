"""The Pending Response loop with fields: Dan (Deal Desk) asks Rita for chosen fields of her
case, Rita fills exactly those in on the case page, the case goes back to Work in Progress,
and every ask is counted as a round trip for the reports."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from supportdesk.cases.actions import (
    ActionInvalid,
    ActionNotAllowed,
    add_comment,
    ask_requester,
    move_case,
    take_case,
)
from supportdesk.cases.info_requests import (
    answer_info_request,
    info_request_rate_by_request_type,
    open_info_request,
)
from supportdesk.cases.models import Case, CaseEvent, Status
from supportdesk.cases.services import submit_case
from supportdesk.catalog.queries import resolve_choice
from supportdesk.notify.models import Notification
from supportdesk.records.models import Kind
from tests.conftest import team
from tests.factories import RequestTypeFactory, quote_question

pytestmark = pytest.mark.django_db

OFFER_ANSWERS = {
    "quote_url": "https://crm.example.com/q/9",
    "marketplace": "AWS",
    "customer_billing_id": "1234-5678",
    "offer_contact_name": "Cara Customer",
    "offer_contact_email": "cara@acme.example",
}


def private_offer(requester: Any, record: Any) -> Case:
    choice = resolve_choice(
        "opportunity", team="Deal Desk", request_type="Quote Help", sub_request="Private Offer"
    )
    return submit_case(
        requester,
        record=record,
        request_type=choice.request_type,
        sub_request=choice.sub_request,
        description="A private offer for Acme.",
        answers=OFFER_ANSWERS,
    ).case


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(case: Case, name: str) -> str:
    return reverse(f"cases:{name}", args=[case.number])


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def page(client: Client, case: Case) -> str:
    return client.get(case.get_absolute_url()).content.decode()


@pytest.fixture
def offer(rep, opportunity, deal_desk_agent) -> Case:
    """Rita's Private Offer case, owned by Dan and in Work in Progress."""
    return take_case(private_offer(rep, opportunity), agent=deal_desk_agent)


# ---- the whole loop through the case page ---------------------------------------------------


def test_agent_asks_for_fields_and_the_requester_fills_exactly_those_in(
    offer, rep, deal_desk_agent
):
    dan, rita = client_for(deal_desk_agent), client_for(rep)
    form = dan.get(url(offer, "ask")).content.decode()
    assert 'name="ask_fields" value="partner_margin"' in form
    response = dan.post(
        url(offer, "ask"),
        {"version": offer.version, "ask_fields": ["offer_contact_email", "partner_margin"]},
    )
    assert response.status_code == 302
    case = fresh(offer)
    assert case.status == Status.PENDING_RESPONSE and case.info_requests == 1
    question = case.events.get(kind=CaseEvent.COMMENTED)
    assert question.data["question"] and question.data["fields"] == [
        "offer_contact_email",
        "partner_margin",
    ]
    assert question.data["field_labels"] == ["Offer recipient email", "Partner margin"]
    notice = Notification.objects.get(user=rep, kind="case.pending_response")
    assert "Please fill in: Offer recipient email, Partner margin." in notice.body
    assert notice.url.endswith("#answer")

    shown = page(rita, case)
    assert "Answer the team's request" in shown
    assert 'name="answers-offer_contact_email"' in shown and 'value="cara@acme.example"' in shown
    assert 'name="answers-partner_margin"' in shown
    assert 'name="answers-marketplace"' not in shown  # only what was asked

    response = rita.post(
        url(case, "answer"),
        {
            "answers-offer_contact_email": "buyer@acme.example",
            "answers-partner_margin": "12.5",
            "comment": "The buyer changed.",
        },
    )
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == Status.WORK_IN_PROGRESS
    assert case.details == OFFER_ANSWERS | {
        "offer_contact_email": "buyer@acme.example",
        "partner_margin": "12.5",
    }
    changed = case.events.filter(kind=CaseEvent.FIELD_CHANGED).values_list("data", flat=True)
    fields = {d["field"] for d in changed}
    assert fields == {"details.offer_contact_email", "details.partner_margin"}
    answered = case.events.get(kind=CaseEvent.INFO_ANSWERED)
    assert answered.actor == rep and answered.data["request"] == question.pk
    assert answered.data["changed"] == ["Offer recipient email", "Partner margin"]
    comment = case.events.filter(kind=CaseEvent.COMMENTED).latest("pk")
    assert comment.data["body"] == "The buyer changed." and answered.data["comment"] == comment.pk
    assert Notification.objects.filter(user=deal_desk_agent, kind="case.info_answered").exists()

    agent_page = page(dan, case)
    assert "filled in the details the team asked for" in agent_page
    assert "Fields to fill in: Offer recipient email, Partner margin." in agent_page
    assert "Answer the team's request" not in page(rita, case)


def test_wrong_answers_save_nothing_and_keep_what_was_typed(offer, rep, deal_desk_agent):
    ask_requester(
        offer, agent=deal_desk_agent, question="", fields=["offer_contact_email", "partner_margin"]
    )
    before = fresh(offer)
    events = before.events.count()
    response = client_for(rep).post(
        url(offer, "answer"),
        {
            "answers-offer_contact_email": "not an email",
            "answers-partner_margin": "",
            "comment": "Here you go.",
        },
    )
    assert response.status_code == 200
    shown = response.content.decode()
    assert "Enter a valid email address." in shown and "This field is required." in shown
    assert 'value="not an email"' in shown and "Here you go." in shown
    after = fresh(offer)
    assert after.status == Status.PENDING_RESPONSE and after.details == before.details
    assert after.version == before.version and after.events.count() == events

    inline = client_for(rep).post(
        url(offer, "answer"), {"answers-partner_margin": "101"}, headers={"HX-Request": "true"}
    )
    shown = inline.content.decode()
    assert inline.status_code == 200 and shown.lstrip().startswith("<section")
    assert 'id="answer"' in shown and "less than or equal to 100" in shown


def test_a_field_whose_condition_depends_on_an_asked_one_comes_along(offer, rep, deal_desk_agent):
    ask_requester(
        offer, agent=deal_desk_agent, question="Which marketplace?", fields=["marketplace"]
    )
    request = open_info_request(fresh(offer))
    assert request.names == ["marketplace", "gcp_payment_method"]  # its condition comes along
    response = client_for(rep).post(url(offer, "answer"), {"answers-marketplace": "GCP"})
    assert response.status_code == 200
    assert "This field is required when Marketplace is “GCP”." in response.content.decode()
    assert fresh(offer).details["marketplace"] == "AWS"
    client_for(rep).post(
        url(offer, "answer"),
        {"answers-marketplace": "GCP", "answers-gcp_payment_method": "Prepay"},
    )
    case = fresh(offer)
    assert case.status == Status.WORK_IN_PROGRESS
    assert case.details["marketplace"] == "GCP" and case.details["gcp_payment_method"] == "Prepay"


def test_the_ask_form_ticks_the_required_fields_not_answered_yet(rep, opportunity, deal_desk_agent):
    case = take_case(quote_question(rep, opportunity), agent=deal_desk_agent)
    Case.objects.filter(pk=case.pk).update(details={})
    form = client_for(deal_desk_agent).get(url(case, "ask")).content.decode()
    assert re.search(r'<input[^>]*value="quote_url"[^>]*checked', form)
    assert "Quote — required, not answered yet" in form


def test_a_question_or_fields_are_needed_and_only_fields_of_the_schema(offer, deal_desk_agent):
    with pytest.raises(ActionInvalid) as caught:
        ask_requester(offer, agent=deal_desk_agent, question="  ", fields=[])
    assert caught.value.errors == {
        "question": ["Say what you need from the requester, or choose fields for them to fill in."]
    }
    with pytest.raises(ActionInvalid) as caught:
        ask_requester(offer, agent=deal_desk_agent, question="?", fields=["po_number"])
    assert set(caught.value.errors) == {"fields"}
    case = fresh(offer)
    assert case.status == Status.WORK_IN_PROGRESS and case.info_requests == 0


def test_file_fields_are_asked_for_in_the_question(rep, opportunity, deal_desk_agent):
    request_type = RequestTypeFactory(
        team=team("Deal Desk"),
        kind=Kind.OPPORTUNITY,
        fields=[
            {"name": "shot", "label": "Screenshot", "type": "file", "required": False},
            {"name": "note", "label": "Note", "type": "text", "required": False},
        ],
    )
    case = submit_case(
        rep, record=opportunity, request_type=request_type, description="Broken."
    ).case
    case = take_case(case, agent=deal_desk_agent)
    with pytest.raises(ActionInvalid) as caught:
        ask_requester(case, agent=deal_desk_agent, question="", fields=["shot"])
    assert "Screenshot" in caught.value.errors["fields"][0]


def test_only_the_requester_answers_and_only_an_open_request(offer, rep, deal_desk_agent, outsider):
    with pytest.raises(ActionNotAllowed):
        answer_info_request(offer, requester=rep, answers={}, comment="")  # nothing asked
    ask_requester(offer, agent=deal_desk_agent, question="", fields=["partner_margin"])
    with pytest.raises(ActionNotAllowed):
        answer_info_request(offer, requester=deal_desk_agent, answers={"partner_margin": "5"})
    response = client_for(deal_desk_agent).post(
        url(offer, "answer"), {"answers-partner_margin": "5"}
    )
    assert response.status_code == 302 and fresh(offer).status == Status.PENDING_RESPONSE
    assert client_for(outsider).post(url(offer, "answer"), {}).status_code == 404
    with pytest.raises(ActionInvalid) as caught:
        answer_info_request(offer, requester=rep, answers={"partner_margin": "5", "x": "1"})
    assert set(caught.value.errors) == {"answers.x"}


# ---- round trips ---------------------------------------------------------------------------


def test_every_ask_is_a_round_trip(offer, rep, deal_desk_agent):
    case = ask_requester(offer, agent=deal_desk_agent, question="Which quote version?")
    assert open_info_request(case) is None  # a plain question: the reply is a comment
    assert "Answer the team's request" not in page(client_for(rep), case)
    add_comment(case, author=rep, body="Version 3.")
    case = ask_requester(fresh(case), agent=deal_desk_agent, question="", fields=["partner_margin"])
    answer_info_request(case, requester=rep, answers={"partner_margin": "7"})
    case = fresh(case)
    assert case.status == Status.WORK_IN_PROGRESS and case.info_requests == 2


def test_a_move_that_needs_more_details_counts_and_asks_for_them_by_form(
    rep, opportunity, deal_desk_agent
):
    case = take_case(quote_question(rep, opportunity), agent=deal_desk_agent)
    offer_type = resolve_choice(
        "opportunity", team="Deal Desk", request_type="Quote Help", sub_request="Private Offer"
    )
    case = move_case(
        case,
        agent=deal_desk_agent,
        request_type=offer_type.request_type,
        sub_request=offer_type.sub_request,
        reason="It is a private offer.",
    )
    assert case.status == Status.PENDING_RESPONSE and case.info_requests == 1
    shown = page(client_for(rep), case)
    assert 'name="answers-marketplace"' in shown and 'name="answers-quote_url"' not in shown
    answers = {f"answers-{k}": v for k, v in OFFER_ANSWERS.items() if k != "quote_url"}
    response = client_for(rep).post(url(case, "answer"), answers)
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == Status.WORK_IN_PROGRESS and case.details["marketplace"] == "AWS"
    assert case.info_requests == 1
    # Nobody owns a moved case: the team's queue hears of the answer.
    assert Notification.objects.filter(user=deal_desk_agent, kind="case.info_answered").exists()


# ---- the reports' rate ---------------------------------------------------------------------


def test_the_rate_of_cases_that_needed_more_information_by_request_type(
    rep, opportunity, deal_desk_agent
):
    quick = RequestTypeFactory(team=team("Deal Desk"), kind=Kind.OPPORTUNITY, name="Quick one")
    asked_twice, asked_once, never = (quote_question(rep, opportunity) for _ in range(3))
    plain = submit_case(rep, record=opportunity, request_type=quick, description="Hi").case
    Case.objects.filter(pk=asked_twice.pk).update(info_requests=2)
    Case.objects.filter(pk=asked_once.pk).update(info_requests=1)

    rows = info_request_rate_by_request_type(Case.objects.filter(requester=rep))
    assert [(r.request_type, r.cases, r.cases_asked, r.round_trips) for r in rows] == [
        ("Quote Help", 3, 2, 3),
        ("Quick one", 1, 0, 0),
    ]
    assert rows[0].rate == pytest.approx(2 / 3) and rows[0].avg_round_trips == 1.0
    assert rows[1].rate == 0.0 and rows[0].team == "Deal Desk"
    only = info_request_rate_by_request_type(Case.objects.filter(pk__in=[never.pk, plain.pk]))
    assert [(r.request_type, r.cases_asked) for r in only] == [("Quick one", 0), ("Quote Help", 0)]
