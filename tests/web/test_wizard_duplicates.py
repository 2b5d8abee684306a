"""The wizard's review step shows possible duplicates and asks the requester to choose."""

from __future__ import annotations

from supportdesk.cases.models import Case, CaseEvent, RequestDraft
from tests.web.conftest import COMMON, PRIVATE_OFFER_ANSWERS, pdf, step, walk_to_details
from tests.web.test_wizard import text


def _first_case(client, opportunity, private_offer) -> Case:
    draft = walk_to_details(client, opportunity, *private_offer)
    data = {**PRIVATE_OFFER_ANSWERS, **COMMON, "action": "next"}
    assert client.post(step(draft, "details"), data).status_code == 302
    assert client.post(step(draft, "review"), {"action": "submit"}).status_code == 302
    return Case.objects.get()


def _second_draft(client, opportunity, private_offer) -> RequestDraft:
    draft = walk_to_details(client, opportunity, *private_offer)
    data = {
        **PRIVATE_OFFER_ANSWERS,
        **COMMON,
        "description": "Customer wants to buy through AWS marketplace.",
        "attachments": [pdf("po.pdf")],
        "action": "next",
    }
    assert client.post(step(draft, "details"), data).status_code == 302
    return draft


def test_review_lists_the_open_duplicate_with_status_owner_and_why(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    first = _first_case(client, opportunity, private_offer)
    draft = _second_draft(client, opportunity, private_offer)
    page = text(client.get(step(draft, "review")))
    assert "This may already be requested" in page
    assert first.number in page and "New" in page and "Deal Desk queue" in page
    assert "Same record, team and request type" in page
    assert "Add my details to this case instead" in page and "Submit anyway" in page


def test_submitting_without_choosing_is_refused_and_anyway_needs_a_reason(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    first = _first_case(client, opportunity, private_offer)
    draft = _second_draft(client, opportunity, private_offer)
    refused = text(client.post(step(draft, "review"), {"action": "submit"}))
    assert "add your details to one of them, or choose “Submit anyway”" in refused
    no_reason = {"action": "submit_anyway", "not_duplicate_reason": ""}
    assert "Say why this is not a duplicate" in text(client.post(step(draft, "review"), no_reason))
    assert Case.objects.count() == 1
    anyway = {"action": "submit_anyway", "not_duplicate_reason": "This one is for GCP."}
    response = client.post(step(draft, "review"), anyway)
    second = Case.objects.exclude(pk=first.pk).get()
    assert response.status_code == 302 and second.number in response.url
    created = second.events.get(kind=CaseEvent.CREATED)
    assert created.data["not_duplicate"]["reason"] == "This one is for GCP."
    feed = text(client.get(second.get_absolute_url()))
    assert f"Submitted despite possible duplicates ({first.number}): This one is for GCP." in feed


def test_adding_my_details_comments_on_the_case_and_drops_the_draft(
    login, rep, other_rep, shared_edit, opportunity, private_offer
):
    first = _first_case(login(rep), opportunity, private_offer)
    client = login(other_rep)
    draft = _second_draft(client, opportunity, private_offer)
    response = client.post(step(draft, "review"), {"add_to": first.number})
    assert response.status_code == 302 and response.url == first.get_absolute_url()
    assert Case.objects.count() == 1
    assert not RequestDraft.objects.filter(pk=draft.pk).exists()
    comment = first.events.get(kind=CaseEvent.COMMENTED)
    assert "Customer wants to buy through AWS marketplace." in comment.data["body"]
    assert "**Marketplace:** AWS" in comment.data["body"]
    assert [a.name for a in first.attachments.all()] == ["po.pdf"]
    assert first.watcher_links.filter(user=other_rep).exists()
    added = first.events.get(kind=CaseEvent.DETAILS_ADDED, actor=other_rep)
    assert [f["name"] for f in added.data["fields"]] == [
        "quote_url",
        "marketplace",
        "customer_billing_id",
        "offer_contact_name",
        "offer_contact_email",
    ]
    assert {"name": "marketplace", "label": "Marketplace"} in added.data["fields"]
    page = text(client.get(first.get_absolute_url()))
    assert "instead of opening a duplicate case" in page
    assert "Details given: Approved quote, Marketplace, Customer&#x27;s AWS/GCP" in page


def test_only_a_listed_candidate_can_take_the_details(login, rep, opportunity, private_offer):
    client = login(rep)
    _first_case(client, opportunity, private_offer)
    draft = _second_draft(client, opportunity, private_offer)
    page = text(client.post(step(draft, "review"), {"add_to": "99999999"}))
    assert "Case 99999999 is not one of this request" in page
    assert RequestDraft.objects.filter(pk=draft.pk).exists()
