"""submit_case: one transaction that creates everything or nothing, once per submission key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from supportdesk.cases.models import Attachment, Case, CaseEvent, Priority, Status, Upload
from supportdesk.cases.services import (
    RecordNotEditable,
    SubmissionInvalid,
    create_upload,
    keep_uploads,
    purge_expired_uploads,
    submit_case,
)
from supportdesk.catalog.models import NO_RECORD, RequestType
from supportdesk.notify.models import Notification
from tests.conftest import team
from tests.factories import RequestTypeFactory, SubRequestFactory

pytestmark = pytest.mark.django_db

FIELDS = [
    {"name": "quote_url", "label": "Quote", "type": "url", "required": True,
     "required_if": None, "options": [], "help": ""},
    {"name": "marketplace", "label": "Marketplace", "type": "picklist", "required": True,
     "required_if": None, "options": ["AWS", "GCP"], "help": ""},
    {"name": "screenshot", "label": "Screenshot", "type": "file", "required": False,
     "required_if": {"field": "marketplace", "equals": "GCP"}, "options": [], "help": ""},
]  # fmt: skip


@pytest.fixture
def quote_help():
    request_type = RequestTypeFactory(team=team("Deal Desk"), name="Quote Help (test)")
    sub = SubRequestFactory(request_type=request_type, name="Private Offer (test)", fields=FIELDS)
    return request_type, sub


def upload(user, name="order-form.pdf", content=b"%PDF-1.4 demo"):
    return create_upload(user, file=SimpleUploadedFile(name, content, "application/pdf"))


def submit(user, record, quote_help, **overrides):
    request_type, sub = quote_help
    arguments = {
        "record": record,
        "request_type": request_type,
        "sub_request": sub,
        "priority": Priority.HIGH,
        "description": "Customer buys through **AWS** this quarter.",
        "answers": {"quote_url": "https://crm.example.com/q/1", "marketplace": "AWS"},
    }
    return submit_case(user, **(arguments | overrides))


def test_submit_creates_the_case_and_everything_with_it(rep, opportunity, quote_help):
    file = upload(rep)
    case = submit(rep, opportunity, quote_help, attachment_ids=[str(file.id)]).case

    assert len(case.number) == 8 and case.number == f"{case.pk:08d}"
    assert case.status == Status.NEW
    assert case.owner is None and case.owner_display == "Deal Desk queue"
    assert case.team == team("Deal Desk") and case.requester == rep
    assert case.details == {"quote_url": "https://crm.example.com/q/1", "marketplace": "AWS"}
    assert case.record_snapshot["name"] == opportunity.name
    assert case.record_snapshot["attributes"]["stage"] == "4-Proposal"
    assert list(case.watchers.all()) == [rep]
    assert [e.kind for e in case.events.all()] == [CaseEvent.CREATED]
    assert [a.name for a in case.attachments.all()] == ["order-form.pdf"]
    assert not Upload.objects.exists()
    note = Notification.objects.get(user=rep)
    created = case.events.get()
    assert case.number in note.title and note.url == (
        f"/cases/{case.number}/?event={created.pk}#event-{created.pk}"
    )


def test_file_answers_become_attachments_of_the_field(rep, opportunity, quote_help):
    shot = upload(rep, "error.png", b"\x89PNG\r\n\x1a\n")
    answers = {
        "quote_url": "https://x.example/q",
        "marketplace": "GCP",
        "screenshot": [str(shot.id)],
    }
    case = submit(rep, opportunity, quote_help, answers=answers).case
    attachment = Attachment.objects.get(case=case)
    assert attachment.field_name == "screenshot"
    assert case.details["screenshot"] == [attachment.pk]
    case.refresh_from_db()
    assert case.details["screenshot"] == [attachment.pk]


def test_all_errors_come_back_at_once_naming_each_field(rep, opportunity, quote_help):
    with pytest.raises(SubmissionInvalid) as caught:
        submit(
            rep,
            opportunity,
            quote_help,
            priority=Priority.URGENT,
            description=" ",
            needed_by=timezone.localdate() - dt.timedelta(days=1),
            answers={"marketplace": "GCP"},
        )
    assert set(caught.value.errors) == {
        "description",
        "urgent_reason",
        "needed_by",
        "details.quote_url",
        "details.screenshot",
    }
    assert not Case.objects.exists()


def test_urgent_needs_a_justification_and_keeps_it(rep, opportunity, quote_help):
    case = submit(
        rep, opportunity, quote_help, priority=Priority.URGENT, urgent_reason="Closes Friday"
    ).case
    assert case.urgent_reason == "Closes Friday"


def test_sub_request_is_required_when_the_type_has_them(rep, opportunity, quote_help):
    with pytest.raises(SubmissionInvalid) as caught:
        submit(rep, opportunity, quote_help, sub_request=None)
    assert "sub_request" in caught.value.errors


def test_a_type_for_another_kind_of_record_is_refused(rep, opportunity):
    lead_type = RequestTypeFactory(kind="lead", team=team("Sales Development & Marketing"))
    with pytest.raises(SubmissionInvalid) as caught:
        submit(rep, opportunity, (lead_type, None))
    assert "request_type" in caught.value.errors


def test_someone_elses_upload_is_refused(rep, other_rep, opportunity, quote_help):
    theirs = upload(other_rep)
    with pytest.raises(SubmissionInvalid) as caught:
        submit(rep, opportunity, quote_help, attachment_ids=[str(theirs.id)])
    assert "attachments" in caught.value.errors
    assert Upload.objects.filter(pk=theirs.pk).exists()


def test_same_submission_key_gives_the_same_case(rep, opportunity, quote_help):
    first = submit(rep, opportunity, quote_help, submission_key="k1")
    again = submit(rep, opportunity, quote_help, submission_key="k1")
    assert first.created and not again.created
    assert first.case.pk == again.case.pk
    assert Case.objects.count() == 1


def test_same_key_from_two_people_makes_two_cases(
    rep, other_rep, opportunity, quote_help, shared_edit
):
    submit(rep, opportunity, quote_help, submission_key="k1")
    submit(other_rep, opportunity, quote_help, submission_key="k1")
    assert Case.objects.count() == 2


def test_read_access_is_not_enough(other_rep, opportunity, quote_help, shared_read):
    with pytest.raises(RecordNotEditable):
        submit(other_rep, opportunity, quote_help)
    assert not Case.objects.exists()


def test_a_failure_midway_leaves_nothing_behind(rep, opportunity, quote_help, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("notification store is down")

    monkeypatch.setattr(Notification.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        submit(rep, opportunity, quote_help)
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [("evil.exe", b"MZ", "not accepted"), ("empty.pdf", b"", "empty")],
)
def test_uploads_check_type_and_content(rep, name, content, problem):
    with pytest.raises(SubmissionInvalid) as caught:
        upload(rep, name, content)
    assert problem in caught.value.errors["file"][0]


def test_uploads_check_size(rep, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(SubmissionInvalid) as caught:
        upload(rep, "big.pdf", b"x" * 11)
    assert "larger than" in caught.value.errors["file"][0]


def test_expired_uploads_are_purged_with_their_files_and_kept_ones_survive(rep):
    stale, kept = upload(rep, "stale.pdf"), upload(rep, "kept.pdf")
    Upload.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    keep_uploads(rep, [str(kept.id)])
    storage, path = stale.file.storage, stale.file.name
    assert purge_expired_uploads() == 1
    assert list(Upload.objects.all()) == [kept]
    assert not storage.exists(path)


def test_requests_of_no_kind_are_raised_without_a_record_and_can_name_watchers(rep, outsider):
    break_fix = RequestType.objects.get(kind=NO_RECORD, name="Break/Fix Request")
    shot = upload(rep, "error.png", b"\x89PNG\r\n\x1a\n")
    answers = {
        "application": "Supportdesk (request forms and cases)",
        "short_description": "Submit button does nothing",
        "error_screenshot": [str(shot.id)],
    }
    case = submit_case(
        rep,
        record=None,
        request_type=break_fix,
        description="Clicking Submit on the review step shows a spinner forever.",
        answers=answers,
        watchers=["olga"],
        subject="Problem: Submit button does nothing",
    ).case
    assert case.record is None and case.record_snapshot == {}
    assert case.team.name == "IT / Enterprise Applications"
    assert case.subject == "Problem: Submit button does nothing"
    assert set(case.watchers.values_list("username", flat=True)) == {"rita", "olga"}
    assert Notification.objects.filter(user=outsider, kind="watcher.added").exists()


def test_a_record_type_needs_a_record_and_unknown_watchers_are_named(rep, opportunity, quote_help):
    with pytest.raises(SubmissionInvalid) as caught:
        submit(rep, None, quote_help, watchers=["nobody"])
    assert set(caught.value.errors) == {"request_type", "watchers"}
