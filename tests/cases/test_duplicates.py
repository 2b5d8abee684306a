"""Possible duplicates before submit (cases.duplicates) and "add my details instead"."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supportdesk.cases.actions import take_case
from supportdesk.cases.duplicate_actions import Details, add_details_to_case
from supportdesk.cases.duplicates import (
    SAME_REQUEST,
    PossibleDuplicates,
    duplicate_check,
    possible_duplicates,
)
from supportdesk.cases.models import Case, CaseEvent, Status
from supportdesk.cases.queries import can_see_case
from supportdesk.cases.services import SubmissionInvalid, create_upload, submit_case
from supportdesk.cases.similarity import similarity, terms
from supportdesk.catalog.queries import resolve_choice
from supportdesk.notify.models import Notification
from supportdesk.records.models import Kind
from tests.factories import RecordFactory, quote_question

QUESTION = "Which approval does this ramp need? The customer wants 15% off Data Vault."
REWORDED = "Customer asks for a 15 percent discount on Data Vault: what approval do we need?"
UNRELATED = "Please reissue invoice INV-778812 to the new billing address in Denver."


def quote_help(sub: str = "Quote Question"):
    choice = resolve_choice(
        "opportunity", team="Deal Desk", request_type="Quote Help", sub_request=sub
    )
    return choice.request_type, choice.sub_request


def check(user, record, description, sub="Quote Question"):
    rt, sub_request = quote_help(sub)
    return possible_duplicates(user, record, rt, sub_request, "", description)


@pytest.fixture
def account(rep):
    return RecordFactory(kind=Kind.CUSTOMER_ACCOUNT, owner=rep, name="Acme Corp", attributes={})


@pytest.fixture
def sibling(rep, account, opportunity):
    opportunity.account = account
    opportunity.save()
    return RecordFactory(owner=rep, account=account, name="Acme Corp — Expansion")


def test_rewordings_are_alike_and_other_asks_are_not():
    assert similarity(terms(QUESTION), terms(REWORDED)) >= 0.25
    assert similarity(terms(QUESTION), terms(UNRELATED)) < 0.1


def test_an_open_case_of_the_same_request_on_the_record_is_a_candidate(rep, opportunity):
    first = quote_question(rep, opportunity, description=QUESTION)
    [candidate] = check(rep, opportunity, "Something worded quite differently.")
    assert candidate.case == first
    assert candidate.reasons == (SAME_REQUEST,)
    assert candidate.as_json()["status"] == "New"


def test_closed_cases_and_other_sub_requests_are_not_the_same_request(
    rep, opportunity, deal_desk_agent
):
    closed = quote_question(rep, opportunity, description=QUESTION)
    Case.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    assert check(rep, opportunity, "Another thing.") == []
    quote_question(rep, opportunity, description=UNRELATED)
    assert check(rep, opportunity, "Another thing.", sub="Error Message") == []


def test_similar_text_on_another_record_of_the_account_is_a_candidate(rep, sibling, opportunity):
    first = quote_question(rep, opportunity, description=QUESTION)
    quote_question(rep, opportunity, description=UNRELATED)
    [candidate] = check(rep, sibling, REWORDED, sub="Error Message")
    assert candidate.case == first
    assert candidate.reasons[0].startswith("Similar subject and description")
    assert check(rep, sibling, "Create a new contact for the CFO.", sub="Error Message") == []


def test_a_case_on_a_record_the_requester_cannot_see_is_never_shown(
    rep, other_rep, account, opportunity
):
    opportunity.account = account
    opportunity.save()
    hidden_record = RecordFactory(owner=other_rep, account=account)
    hidden = quote_question(other_rep, hidden_record, description=QUESTION)
    assert not can_see_case(rep, hidden)
    assert check(rep, opportunity, REWORDED, sub="Error Message") == []
    theirs = RecordFactory(owner=other_rep, account=account)
    assert [c.case for c in check(other_rep, theirs, REWORDED, sub="Error Message")] == [hidden]


def test_submit_with_the_check_refuses_then_keeps_the_reason(rep, opportunity):
    first = quote_question(rep, opportunity, description=QUESTION)
    rt, sub = quote_help()

    def submit(confirmed, reason):
        guard = duplicate_check(
            rep,
            record=opportunity,
            request_type=rt,
            sub_request=sub,
            subject="",
            description=REWORDED,
            confirmed=confirmed,
            reason=reason,
        )
        return submit_case(
            rep,
            record=opportunity,
            request_type=rt,
            sub_request=sub,
            description=REWORDED,
            answers={"quote_url": "https://crm.example.com/q/2"},
            before_create=guard,
        )

    with pytest.raises(PossibleDuplicates) as refused:
        submit(False, "")
    assert [c.case for c in refused.value.candidates] == [first]
    with pytest.raises(SubmissionInvalid) as invalid:
        submit(True, "  ")
    assert invalid.value.errors == {"not_duplicate_reason": ["Say why this is not a duplicate."]}
    assert Case.objects.count() == 1
    case = submit(True, "A second quote for the other region.").case
    created = case.events.get(kind=CaseEvent.CREATED)
    assert created.data["not_duplicate"] == {
        "reason": "A second quote for the other region.",
        "candidates": [first.number],
    }


def test_adding_details_comments_attaches_watches_and_notifies(
    rep, other_rep, opportunity, deal_desk_agent
):
    target = quote_question(rep, opportunity, description=QUESTION)
    take_case(target, agent=deal_desk_agent)
    pdf = SimpleUploadedFile("terms.pdf", b"%PDF-1.4", "application/pdf")
    upload = create_upload(other_rep, file=pdf)
    assert not can_see_case(other_rep, target)  # the watcher link is what lets them in
    details = Details(
        "Quote Help / Quote Question", REWORDED, [("Quote URL", "https://q")], [str(upload.id)]
    )
    event = add_details_to_case(target, user=other_rep, details=details)
    assert event.kind == CaseEvent.DETAILS_ADDED
    assert can_see_case(other_rep, target)
    comment = target.events.get(kind=CaseEvent.COMMENTED)
    assert REWORDED in comment.data["body"] and "**Quote URL:** https://q" in comment.data["body"]
    assert [a.name for a in comment.attachments.all()] == ["terms.pdf"]
    assert target.watcher_links.filter(user=other_rep).exists()
    assert Notification.objects.filter(user=deal_desk_agent, case=target, kind="comment.added")
    assert Notification.objects.filter(user=rep, case=target, kind="comment.added")
