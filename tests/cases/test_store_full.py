"""The attachment store running out of room: a clear message, and nothing created.

A real full disk needs a small filesystem of its own (root, to mount it); here the store is the
real filesystem storage with its write failing part-way through the file as a full disk's
does (ENOSPC after the first chunk), so everything above the write runs for real.
"""

from __future__ import annotations

import errno
import os

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from supportdesk.cases.models import Case, CaseEvent, Upload
from tests.api.conftest import TokenClient, make_token
from tests.web.casework import quote_question_case, text, url
from tests.web.conftest import (
    COMMON,
    PRIVATE_OFFER_ANSWERS,
    request_type,
    step,
    sub_request,
    walk_to_details,
)

pytestmark = pytest.mark.django_db

FULL = "could not be stored: the file store is full. Nothing was saved"


class FullDiskStorage(FileSystemStorage):
    """Creates the file, writes its first chunk, then fails as a full disk does."""

    def _save(self, name, content):
        full_path = self.path(name)
        os.makedirs(os.path.dirname(full_path), exist_ok=True)
        with open(full_path, "wb") as out:
            out.write(next(iter(content.chunks()))[:512])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), full_path)


@pytest.fixture(autouse=True)
def full_disk(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.FullDiskStorage"},
    }


def pdf(name: str = "quote.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7\n" + b"x" * 4096, "application/pdf")


def test_an_api_upload_to_a_full_store_is_a_422_naming_the_file_and_keeps_no_row(rep):
    response = TokenClient(make_token(rep)).post("/api/v1/uploads", {"file": pdf()})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "file" and error["message"].startswith("“quote.pdf” " + FULL)
    assert not Upload.objects.exists()


def test_a_wizard_attachment_to_a_full_store_is_reported_and_the_answers_are_kept(rep, opportunity):
    client = Client()
    client.force_login(rep)
    rt = request_type("Deal Desk", "Quote Help")
    draft = walk_to_details(client, opportunity, rt, sub_request(rt, "Private Offer"))
    data = {"attachments": [pdf()], **PRIVATE_OFFER_ANSWERS, **COMMON, "action": "next"}
    page = text(client.post(step(draft, "details"), data))
    assert f"“quote.pdf” {FULL}" in page
    assert "Please build the **AWS** private offer." in page  # nothing typed is lost
    assert not draft.uploads.exists() and not Case.objects.exists()


def test_a_comment_with_a_file_to_a_full_store_adds_no_comment(rep, opportunity):
    case = quote_question_case(rep, opportunity)
    client = Client()
    client.force_login(rep)
    page = text(client.post(url(case, "comment"), {"body": "The PO", "files": [pdf("po.pdf")]}))
    assert f"“po.pdf” {FULL}" in page
    assert "The PO</textarea>" in page
    assert not case.events.filter(kind=CaseEvent.COMMENTED).exists()
    assert not case.attachments.exists()
