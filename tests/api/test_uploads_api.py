"""POST /uploads: multipart `file`, checked for type and size, kept until a case claims it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from supportdesk.cases.models import Upload

pytestmark = pytest.mark.django_db


def pdf(name="order-form.pdf", content=b"%PDF-1.4 demo"):
    return SimpleUploadedFile(name, content, "application/pdf")


def test_an_upload_answers_201_with_its_id(rep_api, rep, settings):
    settings.UPLOAD_TTL_HOURS = 24
    response = rep_api.post("/api/v1/uploads", {"file": pdf()})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "size", "content_type", "expires_at"}
    upload = Upload.objects.get(id=uuid.UUID(body["id"]))
    assert upload.owner == rep
    assert (body["name"], body["size"], body["content_type"]) == (
        "order-form.pdf",
        13,
        "application/pdf",
    )
    expires = parse_datetime(body["expires_at"])
    assert (
        timezone.now() + dt.timedelta(hours=23) < expires <= timezone.now() + dt.timedelta(hours=24)
    )


def test_a_file_type_not_allowed_is_a_422_naming_file(rep_api, settings):
    settings.ATTACHMENT_EXTENSIONS = ["pdf"]
    response = rep_api.post("/api/v1/uploads", {"file": pdf("tool.exe", b"MZ")})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "file"
    assert "tool.exe" in error["message"]
    assert not Upload.objects.exists()


def test_a_file_over_the_size_limit_is_a_422_naming_file(rep_api, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    response = rep_api.post("/api/v1/uploads", {"file": pdf(content=b"x" * 11)})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["file"]
    assert not Upload.objects.exists()


def test_an_empty_file_is_a_422(rep_api):
    response = rep_api.post("/api/v1/uploads", {"file": pdf(content=b"")})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["file"]


def test_no_file_is_a_422_naming_file(rep_api):
    response = rep_api.post("/api/v1/uploads", {})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "file", "message": "This field is required."}]
