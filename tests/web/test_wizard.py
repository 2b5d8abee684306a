"""The Request Support wizard, step by step, through the web interface."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from supportdesk.cases.models import Case, CaseEvent, RequestDraft, Status, Upload
from supportdesk.catalog.models import Redirect
from supportdesk.notify.models import Notification
from supportdesk.records.models import RecordShare
from tests.conftest import team
from tests.web.conftest import (
    COMMON,
    PRIVATE_OFFER_ANSWERS,
    choice,
    pdf,
    request_type,
    start_wizard,
    step,
    walk_to_details,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


# ---- starting -----------------------------------------------------------------------------


def test_request_support_creates_a_draft_and_opens_the_team_step(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    assert draft.user == rep and draft.record == opportunity and draft.case is None
    assert client.get(step(draft, "team")).status_code == 200


def test_request_support_again_resumes_the_same_unsubmitted_draft(login, rep, opportunity):
    client = login(rep)
    assert start_wizard(client, opportunity) == start_wizard(client, opportunity)
    assert RequestDraft.objects.count() == 1


def test_request_support_needs_edit_access(login, other_rep, opportunity, shared_read):
    response = login(other_rep).post(reverse("records:request_support", args=[opportunity.pk]))
    assert response.status_code == 404
    assert not RequestDraft.objects.exists()


def test_request_support_with_an_edit_share_works(login, other_rep, opportunity, shared_edit):
    draft = start_wizard(login(other_rep), opportunity)
    assert draft.user == other_rep


def test_request_support_is_a_post(login, rep, opportunity):
    response = login(rep).get(reverse("records:request_support", args=[opportunity.pk]))
    assert response.status_code == 405


def test_wizard_needs_login(client, rep, opportunity):
    draft = start_wizard(_logged_in(client, rep), opportunity)
    client.logout()
    response = client.get(step(draft, "team"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def _logged_in(client, user):
    client.force_login(user)
    return client


# ---- step 1: team -------------------------------------------------------------------------


def test_team_step_lists_the_teams_serving_the_record_kind_with_descriptions(
    login, rep, opportunity
):
    client = login(rep)
    page = text(client.get(step(start_wizard(client, opportunity), "team")))
    for name in ("Deal Desk", "Billing", "Sales Operations", "Renewal Operations"):
        assert f'<span class="choice-label">{name}</span>' in page
    assert team("Deal Desk").description in page
    # Sales Development & Marketing takes leads and contacts, not opportunities.
    assert '<span class="choice-label">Sales Development &amp; Marketing</span>' not in page


def test_team_step_shows_departments_handled_elsewhere_with_safe_instructions(
    login, rep, opportunity
):
    Redirect.objects.create(
        name="Test Dept",
        url="https://example.com/dept",
        instructions="Email **dept** <script>x</script>",
    )
    client = login(rep)
    page = text(client.get(step(start_wizard(client, opportunity), "team")))
    assert "Handled elsewhere" in page
    assert "Legal Request" in page  # from the catalog's Legal redirect
    assert '<a href="https://example.com/dept"' in page
    assert "Email <strong>dept</strong>" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page


def test_team_step_without_a_choice_names_the_field(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    response = client.post(step(draft, "team"), {"action": "next"})
    assert response.status_code == 200
    page = text(response)
    assert 'role="alert"' in page
    assert '<a href="#id_team_0">Team: Choose the team that should handle your request.</a>' in page


def test_team_step_rejects_a_team_that_does_not_serve_the_kind(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    sdm = team("Sales Development & Marketing")
    response = client.post(step(draft, "team"), {"team": sdm.pk})
    assert response.status_code == 200 and "Team: Choose the team" in text(response)
    draft.refresh_from_db()
    assert draft.team is None


def test_team_step_saves_the_team_and_goes_to_the_type_step(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    response = client.post(step(draft, "team"), {"team": team("Deal Desk").pk})
    assert response.status_code == 302 and response.url == step(draft, "type")
    draft.refresh_from_db()
    assert draft.team == team("Deal Desk")


def test_later_steps_send_you_back_to_the_first_missing_one(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    assert client.get(step(draft, "type")).url == step(draft, "team")
    assert client.get(step(draft, "review")).url == step(draft, "team")
    client.post(step(draft, "team"), {"team": team("Deal Desk").pk})
    assert client.get(step(draft, "details")).url == step(draft, "type")


# ---- step 2: request type -----------------------------------------------------------------


def test_type_step_groups_sub_requests_under_their_request_type(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    client.post(step(draft, "team"), {"team": team("Deal Desk").pk})
    page = text(client.get(step(draft, "type")))
    quote_help = request_type("Deal Desk", "Quote Help")
    assert "<legend>Quote Help</legend>" in page
    private_offer = quote_help.sub_requests.get(name="Private Offer")
    assert f'value="{choice(quote_help, private_offer)}"' in page
    assert '<span class="choice-label">Private Offer</span>' in page
    other = request_type("Deal Desk", "Other")
    assert f'value="{choice(other)}"' in page  # a type without sub-requests is one choice
    assert "Payment Portals" not in page  # Billing's types are not offered for Deal Desk


def test_type_step_shows_the_display_name(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    client.post(step(draft, "team"), {"team": team("Sales Operations").pk})
    page = text(client.get(step(draft, "type")))
    assert "Opportunity Reassignment (xDR/SA/CSM)" in page
    assert "Opportunity Reassigment (xDR/SA/CSM)" not in page  # the seed's typo is not shown


def test_type_step_without_a_choice_names_the_field(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    client.post(step(draft, "team"), {"team": team("Deal Desk").pk})
    response = client.post(step(draft, "type"), {"action": "next"})
    assert response.status_code == 200
    assert "Request type: Choose the request type that fits your request." in text(response)


def test_type_step_rejects_another_teams_request_type(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    client.post(step(draft, "team"), {"team": team("Deal Desk").pk})
    billing_type = request_type("Billing", "Invoice Copy Requests")
    response = client.post(step(draft, "type"), {"choice": choice(billing_type)})
    assert response.status_code == 200 and "Request type: Choose" in text(response)


def test_type_step_needs_the_sub_request_when_the_type_has_them(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    client.post(step(draft, "team"), {"team": team("Deal Desk").pk})
    quote_help = request_type("Deal Desk", "Quote Help")
    response = client.post(step(draft, "type"), {"choice": choice(quote_help)})
    assert response.status_code == 200 and "Request type: Choose" in text(response)


def test_previous_on_the_type_step_keeps_the_choice(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    client.post(step(draft, "team"), {"team": team("Deal Desk").pk})
    value = choice(*private_offer)
    response = client.post(step(draft, "type"), {"choice": value, "action": "previous"})
    assert response.url == step(draft, "team")
    assert f'value="{value}" checked' in text(client.get(step(draft, "type")))
    assert f'value="{team("Deal Desk").pk}" checked' in text(client.get(step(draft, "team")))


# ---- step 3: details ----------------------------------------------------------------------


def test_details_step_renders_the_schema_with_labels_help_and_asterisks(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    page = text(client.get(step(draft, "details")))
    required = '<span class="required" aria-hidden="true">*</span>'
    assert f'<label for="id_details-quote_url">Approved quote{required}' in page
    assert "The quote the offer is built from." in page
    assert 'aria-describedby="id_details-quote_url_helptext"' in page
    assert '<label for="id_details-gcp_payment_method">GCP payment method</label>' in page
    assert "Required when Marketplace is “GCP”." in page
    assert f'<label for="id_description">Description{required}' in page
    assert 'value="medium" id="id_priority_1" checked' in page  # Medium by default
    assert "Required when Priority is “Urgent”." in page
    assert 'type="date"' in page
    assert '<input type="file" id="id_attachments" name="attachments" multiple' in page
    assert "Up to 25 MB per file. Accepted: pdf, txt" in page


def test_details_errors_name_each_field_and_keep_the_values(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    data = {
        "details-quote_url": "https://crm.example.com/q/9",
        "details-marketplace": "GCP",
        "priority": "urgent",
        "needed_by": "2001-01-01",
        "action": "next",
    }
    response = client.post(step(draft, "details"), data)
    assert response.status_code == 200
    page = text(response)
    for error in (
        '<a href="#id_details-customer_billing_id">Customer&#x27;s AWS/GCP billing account ID: '
        "This field is required.</a>",
        '<a href="#id_details-gcp_payment_method">GCP payment method: This field is required '
        "when Marketplace is “GCP”.</a>",
        '<a href="#id_description">Description: Describe what you need.</a>',
        '<a href="#id_urgent_reason">Urgent justification: Say why this is urgent',
        '<a href="#id_needed_by">Needed by: The needed-by date cannot be in the past.</a>',
    ):
        assert error in page
    assert 'id="id_details-customer_billing_id_error"' in page
    assert 'aria-describedby="id_details-customer_billing_id_error" aria-invalid="true"' in page
    assert 'value="https://crm.example.com/q/9"' in page
    assert '<option value="GCP" selected>' in page
    assert 'value="urgent" id="id_priority_3" checked' in page
    # …and a refresh (GET) shows them again, without the errors.
    again = text(client.get(step(draft, "details")))
    assert 'value="https://crm.example.com/q/9"' in again and 'role="alert"' not in again
    assert 'value="2001-01-01"' in again


def test_details_accepts_valid_answers_and_goes_to_review(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    data = {**PRIVATE_OFFER_ANSWERS, **COMMON, "action": "next"}
    response = client.post(step(draft, "details"), data)
    assert response.status_code == 302 and response.url == step(draft, "review")


def test_urgent_needs_a_justification_and_gets_one(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    data = {**PRIVATE_OFFER_ANSWERS, **COMMON, "priority": "urgent", "action": "next"}
    assert "Urgent justification: Say why" in text(client.post(step(draft, "details"), data))
    data["urgent_reason"] = "Customer signs on Friday, quarter end."
    assert client.post(step(draft, "details"), data).status_code == 302


def test_uploaded_files_are_kept_across_errors_previous_and_refresh(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    files = [pdf("order-form.pdf"), pdf("po.pdf")]
    response = client.post(step(draft, "details"), {"attachments": files, "action": "next"})
    assert response.status_code == 200  # errors (nothing else filled in)…
    assert "order-form.pdf" in text(response) and "po.pdf" in text(response)
    assert sorted(u.name for u in draft.uploads.all()) == ["order-form.pdf", "po.pdf"]
    client.post(step(draft, "details"), {"action": "previous"})
    page = text(client.get(step(draft, "details")))
    assert "order-form.pdf" in page and "po.pdf" in page
    assert 'name="remove_upload"' in page


def test_remove_takes_a_file_off_the_request(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    client.post(step(draft, "details"), {"attachments": [pdf("a.pdf"), pdf("b.pdf")]})
    a = draft.uploads.get(name="a.pdf")
    client.post(step(draft, "details"), {"remove_upload": [str(a.id)], "action": "previous"})
    assert [u.name for u in draft.uploads.all()] == ["b.pdf"]


def test_a_file_of_the_wrong_type_is_refused_with_the_reason(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    evil = pdf("tool.exe", b"MZ")
    data = {**PRIVATE_OFFER_ANSWERS, **COMMON, "attachments": [evil, pdf()], "action": "next"}
    response = client.post(step(draft, "details"), data)
    assert response.status_code == 200
    assert '<a href="#id_attachments">Attachments: “tool.exe”: files of this type are not' in text(
        response
    )
    assert [u.name for u in draft.uploads.all()] == ["order-form.pdf"]


def test_a_file_field_of_the_schema_takes_uploads(login, rep, opportunity, po_exception):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *po_exception)
    page = text(client.get(step(draft, "details")))
    assert 'name="details-customer_confirmation" multiple' in page
    data = {
        "details-po_exception_type": "PO not required for this transaction",
        **COMMON,
        "action": "next",
    }
    response = client.post(step(draft, "details"), data)
    assert "Customer&#x27;s written confirmation: This field is required." in text(response)
    data["details-customer_confirmation"] = pdf("customer-email.pdf")
    assert client.post(step(draft, "details"), data).url == step(draft, "review")
    draft.refresh_from_db()
    [upload_id] = draft.data["answers"]["customer_confirmation"]
    assert Upload.objects.get(pk=upload_id).name == "customer-email.pdf"
    assert not draft.uploads.exists()  # a field's file is not a general attachment
    assert "customer-email.pdf" in text(client.get(step(draft, "details")))


def test_previous_on_details_keeps_every_value_without_validating(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    data = {
        "details-quote_url": "not a url",
        "details-partner_margin": "12.5",
        "description": "Half-written",
        "priority": "high",
        "needed_by": "2099-01-31",
        "attachments": [pdf("draft.pdf")],
        "action": "previous",
    }
    response = client.post(step(draft, "details"), data)
    assert response.status_code == 302 and response.url == step(draft, "type")
    page = text(client.get(step(draft, "details")))
    assert 'value="not a url"' in page and 'value="12.5"' in page
    assert ">\nHalf-written</textarea>" in page
    assert 'value="high" id="id_priority_2" checked' in page
    assert 'value="2099-01-31"' in page
    assert "draft.pdf" in page
    assert 'role="alert"' not in page


# ---- changing the team or the request type ------------------------------------------------


def _fill_private_offer(client, draft, **extra):
    data = {**PRIVATE_OFFER_ANSWERS, **COMMON, "needed_by": "2099-03-01", **extra}
    data["attachments"] = [pdf("brief.pdf")]
    assert client.post(step(draft, "details"), {**data, "action": "next"}).status_code == 302


def test_changing_the_request_type_drops_only_answers_that_no_longer_apply(
    login, rep, opportunity, private_offer, quote_question
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    client.post(step(draft, "type"), {"choice": choice(*quote_question), "action": "next"})
    draft.refresh_from_db()
    assert draft.data["answers"] == {"quote_url": "https://crm.example.com/quotes/Q-1"}
    page = text(client.get(step(draft, "details")))
    assert (
        "These answers no longer apply to Quote Help / Quote Question and were removed: "
        "Marketplace, Customer&#x27;s AWS/GCP billing account ID, Offer recipient name, "
        "Offer recipient email." in page
    )
    assert 'value="https://crm.example.com/quotes/Q-1"' in page  # in both schemas: kept
    assert "Please build the **AWS** private offer." in page
    assert 'value="2099-03-01"' in page and "brief.pdf" in page
    # Once the details are accepted the notice has done its job.
    client.post(step(draft, "details"), {"details-quote_url": "https://q.example/1", **COMMON})
    assert "no longer apply" not in text(client.get(step(draft, "details")))


def test_choosing_the_same_request_type_again_drops_nothing(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    client.post(step(draft, "type"), {"choice": choice(*private_offer), "action": "next"})
    draft.refresh_from_db()
    assert len(draft.data["answers"]) == 7 and draft.notices == []


def test_changing_the_team_keeps_common_fields_and_names_the_dropped_answers(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    client.post(step(draft, "team"), {"team": team("Billing").pk})
    assert "checked" not in text(client.get(step(draft, "type"))).split("<legend>Request type")[1]
    billing = request_type("Billing", "Invoice Copy Requests")
    client.post(step(draft, "type"), {"choice": choice(billing), "action": "next"})
    page = text(client.get(step(draft, "details")))
    assert (
        "These answers no longer apply to Invoice Copy Requests and were removed: Approved quote"
        in page
    )
    assert "Please build the **AWS** private offer." in page and "brief.pdf" in page


# ---- step 4: review and submit ------------------------------------------------------------


def test_review_shows_everything_entered(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft, priority="urgent", urgent_reason="Quarter end **now**")
    page = text(client.get(step(draft, "review")))
    for expected in (
        "<dd>Deal Desk</dd>",
        "<dd>Quote Help ",
        "<dd>Private Offer</dd>",
        "<dt>Approved quote</dt>",
        'href="https://crm.example.com/quotes/Q-1"',
        "<dt>Offer recipient email</dt><dd>carla@customer.example</dd>",
        "Please build the <strong>AWS</strong> private offer.",
        "Urgent</span>",
        "Quarter end **now**",
        "1 Mar 2099",
        "brief.pdf",
    ):
        assert expected in page


def test_submit_creates_the_case_with_everything(login, rep, opportunity, po_exception):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *po_exception)
    data = {
        "details-po_exception_type": "PO number given, no PO document",
        "details-po_number": "PO-77",
        "details-customer_confirmation": pdf("customer-email.pdf", b"%PDF confirmation"),
        "attachments": [pdf("brief.pdf", b"%PDF brief")],
        "description": "PO exception please.",
        "priority": "high",
        "needed_by": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        "action": "next",
    }
    assert client.post(step(draft, "details"), data).url == step(draft, "review")
    response = client.post(step(draft, "review"), {"action": "submit"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("cases:submitted", args=[case.number])
    assert case.status == Status.NEW and case.owner is None
    assert case.team == team("Deal Desk") and case.requester == rep
    assert case.request_type == po_exception[0] and case.sub_request == po_exception[1]
    assert case.priority == "high" and case.description == "PO exception please."
    assert case.record_snapshot["external_id"] == "006ACME0001"
    assert case.details["po_number"] == "PO-77"
    names = {a.name: a for a in case.attachments.all()}
    assert set(names) == {"customer-email.pdf", "brief.pdf"}
    assert case.details["customer_confirmation"] == [names["customer-email.pdf"].pk]
    assert names["customer-email.pdf"].field_name == "customer_confirmation"
    assert case.events.get().kind == CaseEvent.CREATED
    assert list(case.watchers.all()) == [rep]
    assert Notification.objects.get(user=rep).case == case
    draft.refresh_from_db()
    assert draft.case == case


def test_submitted_page_confirms_the_case(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    response = client.post(step(draft, "review"), {"action": "submit"}, follow=True)
    case = Case.objects.get()
    page = text(response)
    assert f"Case {case.number} created" in page
    assert f'href="/cases/{case.number}/"' in page
    assert "<dd>Deal Desk queue</dd>" in page
    assert "New</span>" in page
    assert "What happens next" in page


def test_double_submit_creates_one_case_and_both_land_on_it(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    first = client.post(step(draft, "review"), {"action": "submit"})
    second = client.post(step(draft, "review"), {"action": "submit"})
    case = Case.objects.get()
    assert first.url == second.url == reverse("cases:submitted", args=[case.number])


def test_a_retried_submit_that_raced_the_first_lands_on_the_same_case(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    first = client.post(step(draft, "review"), {"action": "submit"})
    # The second request read the draft before the first one marked it submitted.
    RequestDraft.objects.filter(pk=draft.pk).update(case=None)
    second = client.post(step(draft, "review"), {"action": "submit"})
    assert Case.objects.count() == 1
    assert first.url == second.url


def test_a_submitted_drafts_steps_lead_to_its_case(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    client.post(step(draft, "review"), {"action": "submit"})
    case = Case.objects.get()
    for name in ("team", "type", "details", "review"):
        assert client.get(step(draft, name)).url == case.get_absolute_url()
    # The record's button now starts a new request.
    assert start_wizard(client, opportunity) != draft


def test_submit_errors_show_on_review_with_links_to_their_step(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    draft.uploads.update(expires_at=timezone.now() - dt.timedelta(hours=1))
    response = client.post(step(draft, "review"), {"action": "submit"})
    assert response.status_code == 200 and not Case.objects.exists()
    page = text(response)
    assert 'role="alert"' in page
    assert f'href="{step(draft, "details")}#id_attachments">Attachments: Upload ' in page
    assert "has expired" in page and "(Details step)" in page


def test_review_shows_problems_of_a_draft_changed_behind_its_back(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    draft.refresh_from_db()
    draft.data["answers"]["offer_contact_email"] = "nope"
    draft.save()
    page = text(client.get(step(draft, "review")))
    url = step(draft, "details")
    assert (
        f'href="{url}#id_details-offer_contact_email">Offer recipient email: Enter a valid' in page
    )


def test_previous_on_review_goes_back_to_details(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    response = client.post(step(draft, "review"), {"action": "previous"})
    assert response.url == step(draft, "details") and not Case.objects.exists()


# ---- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["team", "type", "details", "review"])
def test_another_users_draft_is_not_found(login, rep, other_rep, opportunity, shared_edit, name):
    draft = start_wizard(login(rep), opportunity)
    client = login(other_rep)  # may edit the record, but the draft is not theirs
    assert client.get(step(draft, name)).status_code == 404
    assert client.post(step(draft, name), {"team": team("Deal Desk").pk}).status_code == 404


def test_losing_edit_access_mid_wizard_answers_404(
    login, other_rep, opportunity, shared_edit, private_offer
):
    client = login(other_rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    RecordShare.objects.filter(pk=shared_edit.pk).update(level=RecordShare.Level.READ)
    for name in ("team", "type", "details", "review"):
        assert client.get(step(draft, name)).status_code == 404
    data = {**PRIVATE_OFFER_ANSWERS, **COMMON, "action": "next"}
    assert client.post(step(draft, "details"), data).status_code == 404
    assert client.post(step(draft, "review"), {"action": "submit"}).status_code == 404
    assert not Case.objects.exists()


def test_an_unknown_draft_is_not_found(login, rep):
    url = reverse("cases:wizard_team", args=["00000000-0000-0000-0000-000000000000"])
    assert login(rep).get(url).status_code == 404


# ---- htmx ---------------------------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_with_htmx_a_step_answers_with_the_wizard_fragment_only(
    login, rep, opportunity, private_offer
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    full = text(client.get(step(draft, "details")))
    assert full.startswith("<!doctype html>") and 'hx-boost="true"' in full
    fragment = text(client.get(step(draft, "details"), **HTMX))
    assert "<html" not in fragment and '<header class="topbar">' not in fragment
    assert '<div id="wizard"' in fragment and "<title>Details · Request Support" in fragment


def test_with_htmx_errors_come_back_in_the_fragment(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    response = client.post(step(draft, "details"), {"action": "next"}, **HTMX)
    assert response.status_code == 200
    fragment = text(response)
    assert "<html" not in fragment and "Description: Describe what you need." in fragment


def test_with_htmx_a_valid_step_redirects_to_the_next_one(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    response = client.post(step(draft, "team"), {"team": team("Deal Desk").pk}, **HTMX)
    assert response.status_code == 302 and response.url == step(draft, "type")


def test_with_htmx_uploads_and_submit_work(login, rep, opportunity, private_offer):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    data = {**PRIVATE_OFFER_ANSWERS, **COMMON, "attachments": [pdf()], "action": "next"}
    assert client.post(step(draft, "details"), data, **HTMX).status_code == 302
    assert draft.uploads.count() == 1
    response = client.post(step(draft, "review"), {"action": "submit"}, **HTMX)
    case = Case.objects.get()
    # Leaving the wizard is a full page load (HX-Redirect), not a swap.
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("cases:submitted", args=[case.number])
    assert case.attachments.count() == 1


def test_a_history_restore_gets_the_full_page(login, rep, opportunity):
    client = login(rep)
    draft = start_wizard(client, opportunity)
    headers = {**HTMX, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
    assert text(client.get(step(draft, "team"), **headers)).startswith("<!doctype html>")


# ---- query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["team", "type", "details", "review"])
def test_each_step_uses_a_fixed_number_of_queries(
    login, rep, opportunity, private_offer, django_assert_max_num_queries, name
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    _fill_private_offer(client, draft)
    client.post(step(draft, "details"), {"attachments": [pdf(f"f{i}.pdf") for i in range(5)]})
    _fill_private_offer(client, draft)
    # measured: 6-7 (session, user, draft, …); review also looks for possible duplicates (2)
    with django_assert_max_num_queries(10 if name == "review" else 8):
        assert client.get(step(draft, name)).status_code == 200
