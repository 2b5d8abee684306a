""" "Report a problem": a break/fix case for IT, raised from any page."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportdesk.cases.models import Case, Priority, Status, Upload
from supportdesk.cases.problems import catalog_version, problem_report_type
from tests.web.conftest import walk_to_details

URL = reverse("report_problem")
APP = "Supportdesk (request forms and cases)"


def png(name: str = "error.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n demo", content_type="image/png")


def report(token: str | None = None, **overrides):
    data = {
        "token": token or str(uuid.uuid4()),
        "details-application": APP,
        "details-short_description": "Submit button does nothing",
        "priority": Priority.HIGH,
        "description": "Clicking Submit on the review step shows a spinner forever.",
        "watchers": "olga",
        "details-error_screenshot": png(),
    }
    return {k: v for k, v in (data | overrides).items() if v is not None}


def test_the_form_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_every_page_links_to_it_with_the_current_page(login, rep):
    response = login(rep).get(reverse("cases:mine") + "?q=a b")
    assert f'href="{URL}?from=/cases/%3Fq%3Da%2520b"' in response.content.decode()


def test_the_form_is_prefilled_with_supportdesk(login, rep):
    response = login(rep).get(URL, {"from": "/cases/"})
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{APP}" selected>' in page
    assert 'type="file"' in page and 'name="token"' in page
    assert '<input type="hidden" name="from" value="/cases/">' in page


def test_a_report_becomes_a_case_in_the_it_queue(login, rep, outsider):
    response = login(rep).post(URL, report(**{"from": "/cases/"}))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("cases:submitted", args=[case.number])
    assert case.record is None and case.requester == rep
    assert case.team.name == "IT / Enterprise Applications"
    assert case.request_type == problem_report_type()
    assert case.status == Status.NEW and case.priority == Priority.HIGH
    assert case.subject == "Problem: Submit button does nothing"
    assert case.details["application"] == APP
    assert case.details["short_description"] == "Submit button does nothing"
    (shot,) = case.attachments.all()
    assert shot.name == "error.png" and case.details["error_screenshot"] == [shot.pk]
    assert set(case.watchers.values_list("username", flat=True)) == {"rita", "olga"}
    assert case.description.startswith("Clicking Submit")
    assert "Reported from:\n- Page: /cases/" in case.description


def test_urgent_needs_a_justification(login, rep, outsider):
    response = login(rep).post(URL, report(priority=Priority.URGENT))
    assert response.status_code == 200 and not Case.objects.exists()
    assert "Say why this is urgent" in response.content.decode()


def test_errors_keep_the_input_and_the_uploaded_screenshot(login, rep, outsider):
    client = login(rep)
    response = client.post(
        URL, report(**{"details-short_description": ""}, watchers="olga, nobody")
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Case.objects.exists()
    assert "There are 2 problems" in page
    assert "There is no active user called “nobody”." in page
    assert 'id="id_details-short_description_error"' in page
    assert "Clicking Submit on the review step shows a spinner forever." in page
    assert 'value="olga, nobody"' in page
    (kept,) = Upload.objects.filter(owner=rep)
    assert f'name="details-error_screenshot" value="{kept.id}"' in page
    assert "error.png" in page
    token = response.context["token"]
    fixed = report(token, **{"details-error_screenshot": str(kept.id)}, watchers="olga")
    response = client.post(URL, fixed)
    case = Case.objects.get()
    assert response.status_code == 302
    assert [a.name for a in case.attachments.all()] == ["error.png"]


def test_the_screenshot_is_required(login, rep):
    response = login(rep).post(URL, report(**{"details-error_screenshot": None}))
    assert response.status_code == 200 and not Case.objects.exists()
    assert 'id="id_details-error_screenshot_error"' in response.content.decode()


def test_a_file_of_the_wrong_type_is_refused_and_nothing_else_lost(login, rep, outsider):
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = login(rep).post(URL, report(**{"details-error_screenshot": bad}))
    page = response.content.decode()
    assert response.status_code == 200 and not Case.objects.exists()
    assert "files of this type are not accepted" in page
    assert "Submit button does nothing" in page


def test_a_double_submit_makes_one_case(login, rep, outsider):
    client = login(rep)
    token = str(uuid.uuid4())
    first = client.post(URL, report(token))
    second = client.post(URL, report(token))
    case = Case.objects.get()
    assert first.url == second.url == reverse("cases:submitted", args=[case.number])


@pytest.mark.parametrize("where", ["https://evil.example", "//evil.example/x", "javascript:x"])
def test_only_local_pages_are_accepted_as_where_it_happened(login, rep, outsider, where):
    client = login(rep)
    page = client.get(URL, {"from": where}).content.decode()
    assert "evil.example" not in page and 'name="from"' not in page
    client.post(URL, report(**{"from": where}))
    description = Case.objects.get().description
    assert "evil" not in description and "Reported from" not in description


def test_from_the_wizard_the_request_and_catalog_version_are_named(
    login, rep, outsider, opportunity, private_offer
):
    client = login(rep)
    draft = walk_to_details(client, opportunity, *private_offer)
    where = reverse("cases:wizard_details", args=[draft.pk])
    page = client.get(URL, {"from": where}).content.decode()
    assert "Quote Help / Private Offer" in page
    client.post(URL, report(**{"from": where}))
    description = Case.objects.get().description
    assert f"- Page: {where}" in description
    assert "- Request type: Quote Help / Private Offer" in description
    assert f"- Catalog version: {catalog_version()}" in description


def test_someone_elses_draft_is_not_named(
    login, rep, other_rep, outsider, opportunity, private_offer
):
    draft = walk_to_details(login(rep), opportunity, *private_offer)
    where = reverse("cases:wizard_details", args=[draft.pk])
    login(other_rep).post(URL, report(**{"from": where}))
    description = Case.objects.get().description
    assert f"- Page: {where}" in description and "Quote Help" not in description
