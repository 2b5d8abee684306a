"""A sales rep walks the whole Request Support wizard in a real browser, goes back, submits."""

from __future__ import annotations

import re

import pytest

from supportdesk.cases.models import Case, Status
from tests.browser.flows import log_in
from tests.factories import RecordFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rep_with_opportunity():
    rep = UserFactory(username="rita", first_name="Rita", last_name="Rep")
    record = RecordFactory(owner=rep, name="Acme Corp — FY27 Renewal", external_id="006E2E")
    return rep, record


def test_rep_requests_support_goes_back_without_losing_input_and_submits(
    page, live_server, rep_with_opportunity, tmp_path
):
    _rep, record = rep_with_opportunity
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/records/{record.pk}/")
    page.get_by_role("button", name="Request Support").click()

    # 1. Team — with the departments handled elsewhere shown below.
    page.get_by_role("heading", name="Handled elsewhere").wait_for()
    page.get_by_role("radio", name=re.compile("^Deal Desk")).check()
    page.get_by_role("button", name="Next").click()

    # 2. Request type and sub-request.
    page.wait_for_url(re.compile(r"/type/$"))
    page.get_by_role("radio", name="Private Offer").check()
    assert page.get_by_role("radio", name="Private Offer").is_checked()
    page.get_by_role("button", name="Next").click()

    # 3. Details: required marks, a server-side error naming the field, then values.
    page.wait_for_url(re.compile(r"/details/$"))
    page.get_by_label(re.compile("Marketplace")).wait_for()
    assert page.locator(".required, abbr[title='required']").count() >= 5
    page.get_by_label(re.compile("Description")).fill("Customer buys through **AWS**.")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("alert").first.wait_for()
    assert "Approved quote" in page.locator("body").inner_text()
    page.get_by_label(re.compile("Approved quote")).fill("https://crm.example.com/quote/42")
    page.get_by_label(re.compile("Marketplace")).select_option("AWS")
    page.get_by_label(re.compile("Customer's AWS/GCP billing")).fill("1234-5678-9012")
    page.get_by_label(re.compile("Offer recipient name")).fill("Casey Buyer")
    page.get_by_label(re.compile("Offer recipient email")).fill("casey@acme.example")
    page.get_by_role("radio", name="High").check()
    attachment = tmp_path / "order-form.pdf"
    attachment.write_bytes(b"%PDF-1.4 signed order form")
    page.locator("input[type=file][name=attachments]").set_input_files(str(attachment))

    # Previous keeps everything, including the file; Next brings it all back.
    page.get_by_role("button", name="Previous").click()
    page.wait_for_url(re.compile(r"/type/$"))
    assert page.get_by_role("radio", name="Private Offer").is_checked()
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(r"/details/$"))
    assert page.get_by_label(re.compile("Approved quote")).input_value().endswith("/quote/42")
    assert page.get_by_label(re.compile("Description")).input_value().startswith("Customer")
    assert page.get_by_role("radio", name="High").is_checked()
    assert "order-form.pdf" in page.locator("body").inner_text()
    page.get_by_role("button", name="Next").click()

    # 4. Review, then Submit.
    page.wait_for_url(re.compile(r"/review/$"))
    body = page.locator("body").inner_text()
    for expected in ("Deal Desk", "Private Offer", "casey@acme.example", "order-form.pdf"):
        assert expected in body
    page.get_by_role("button", name="Submit").click()

    page.wait_for_url(re.compile(r"/cases/\d{8}/submitted/$"))
    case = Case.objects.get()
    assert case.number in page.locator("body").inner_text()
    assert case.status == Status.NEW and case.owner is None
    assert case.details["marketplace"] == "AWS"
    assert [a.name for a in case.attachments.all()] == ["order-form.pdf"]
    page.get_by_role("link", name=re.compile(case.number)).first.click()
    page.wait_for_url(re.compile(rf"/cases/{case.number}/$"))
    assert "Deal Desk queue" in page.locator("body").inner_text()
