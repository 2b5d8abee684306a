"""Attachments in an S3-compatible bucket (ATTACHMENTS_S3_BUCKET): a real S3 HTTP server
(moto's, on loopback) behind django-storages, driven through the web pages, the API, the
housekeeping and `supportdesk backup`/`restore`.

Personas (tests/conftest.py): Rita the requester, Dan of Deal Desk (the case's team), Olga
an outsider.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from moto.server import ThreadedMotoServer

from supportdesk.attachment_storage import (
    FILESYSTEM_BACKEND,
    S3_BACKEND,
    attachment_storage,
    open_for_download,
)
from supportdesk.cases.models import Attachment, Case, Upload
from supportdesk.cases.services import create_upload, purge_expired_uploads
from tests.api.conftest import TokenClient, make_token
from tests.factories import quote_question

KEYS = {"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret"}
PREFIX = "supportdesk"
PDF = b"%PDF-1.4 the signed order form"
PNG = (  # a 1×1 picture's header: enough for the upload's content check
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    + bytes(16)
)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any) -> Any:
    """A new bucket on the S3 server, made the attachments' storage the way settings.py
    configures it from ATTACHMENTS_S3_*."""
    s3 = boto3.resource(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    name = f"attachments-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": attachment_storage(
            bucket=name,
            endpoint_url=s3_endpoint,
            region="us-east-1",
            prefix=f"/{PREFIX}/",
            access_key=KEYS["AWS_ACCESS_KEY_ID"],
            secret_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        ),
    }
    return s3.Bucket(name)


def objects(bucket: Any) -> dict[str, bytes]:
    return {o.key: o.get()["Body"].read() for o in bucket.objects.all()}


def key_of(file_name: str) -> str:
    return f"{PREFIX}/{file_name}"


def nothing_on_disk(media_root: Path) -> bool:
    return not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def api(user: Any) -> TokenClient:
    return TokenClient(make_token(user))


def web(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def api_download(case: Case, attachment: Attachment) -> str:
    return f"/api/v1/cases/{case.number}/attachments/{attachment.pk}/download"


# ---- settings -------------------------------------------------------------------------------


def test_without_a_bucket_attachments_stay_on_the_filesystem():
    assert attachment_storage(bucket="") == {"BACKEND": FILESYSTEM_BACKEND}


def test_a_bucket_makes_private_objects_and_an_endpoint_uses_path_style():
    config = attachment_storage(bucket="files", endpoint_url="http://minio:9000", prefix="/sd/")
    assert config["BACKEND"] == S3_BACKEND
    assert (
        config["OPTIONS"] | {"default_acl": "private", "addressing_style": "path"}
        == (config["OPTIONS"])
    )
    assert config["OPTIONS"]["location"] == "sd"
    assert config["OPTIONS"]["access_key"] is None  # boto3's own credential chain
    aws = attachment_storage(bucket="files", region="eu-west-1", acl="")
    assert aws["OPTIONS"]["addressing_style"] is None and aws["OPTIONS"]["default_acl"] is None


@pytest.mark.parametrize(
    "wrong",
    [{"access_key": "only-the-key"}, {"secret_key": "only-the-secret"}, {"addressing_style": "x"}],
)
def test_half_a_key_pair_or_an_unknown_addressing_style_stops_startup(wrong):
    with pytest.raises(ImproperlyConfigured):
        attachment_storage(bucket="files", **wrong)


# ---- the flows ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_case_submitted_through_the_api_keeps_its_file_as_a_private_object(
    bucket, rep, opportunity, deal_desk_agent, outsider, settings
):
    rita = api(rep)
    uploaded = rita.post(
        "/api/v1/uploads", {"file": SimpleUploadedFile("order.pdf", PDF, "application/pdf")}
    )
    assert uploaded.status_code == 201, uploaded.content
    created = rita.post_json(
        "/api/v1/cases",
        {
            "record": opportunity.external_id,
            "team": "Deal Desk",
            "request_type": "Quote Help",
            "sub_request": "Quote Question",
            "description": "Which approval does this ramp need?",
            "details": {"quote_url": "https://crm.example.com/q/1"},
            "attachments": [uploaded.json()["id"]],
        },
    )
    assert created.status_code == 201, created.content
    case = Case.objects.get(pk=int(created.json()["number"]))
    attachment = case.attachments.get()

    assert objects(bucket) == {key_of(attachment.file.name): PDF}
    with closing(open_for_download(attachment.file)) as stream:
        assert isinstance(stream, StreamingBody)  # downloads stream it, not buffer it first
    grants = bucket.Object(key_of(attachment.file.name)).Acl().grants
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner's, nobody else's
    assert nothing_on_disk(Path(settings.MEDIA_ROOT))

    download = rita.get(api_download(case, attachment))
    assert download.status_code == 200
    assert body(download) == PDF
    assert download["Content-Length"] == str(len(PDF))
    assert download["Content-Disposition"] == 'attachment; filename="order.pdf"'
    page_download = web(deal_desk_agent).get(attachment.get_absolute_url())
    assert page_download.status_code == 200 and body(page_download) == PDF

    assert web(outsider).get(attachment.get_absolute_url()).status_code == 404
    assert api(outsider).get(api_download(case, attachment)).status_code == 404


@pytest.mark.django_db
def test_files_added_on_the_case_page_go_to_the_bucket_and_pictures_show_inline(
    bucket, rep, opportunity, settings
):
    case = quote_question(rep, opportunity)
    rita = web(rep)
    rita.post(
        f"/cases/{case.number}/attachments/",
        {
            "files": [
                SimpleUploadedFile("po.pdf", PDF, "application/pdf"),
                SimpleUploadedFile("screen.png", PNG, "image/png"),
            ]
        },
    )
    shot = case.attachments.get(name="screen.png")
    po = case.attachments.get(name="po.pdf")
    assert objects(bucket) == {key_of(po.file.name): PDF, key_of(shot.file.name): PNG}
    assert nothing_on_disk(Path(settings.MEDIA_ROOT))

    inline = rita.get(f"{shot.get_absolute_url()}?inline=1")
    assert inline.status_code == 200 and body(inline) == PNG
    assert inline["Content-Type"] == "image/png"
    assert inline["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert not inline["Content-Disposition"].startswith("attachment")


@pytest.mark.django_db
def test_a_removed_file_is_hidden_but_its_object_is_kept_for_the_audit_trail(
    bucket, rep, opportunity
):
    upload = create_upload(rep, file=SimpleUploadedFile("terms.pdf", PDF, "application/pdf"))
    case = quote_question(rep, opportunity, attachment_ids=[str(upload.id)])
    attachment = case.attachments.get()
    rita = web(rep)

    rita.post(f"/cases/{case.number}/attachments/{attachment.pk}/remove/")
    attachment.refresh_from_db()
    assert attachment.removed_at is not None
    assert rita.get(attachment.get_absolute_url()).status_code == 404
    assert objects(bucket) == {key_of(attachment.file.name): PDF}


@pytest.mark.django_db
def test_an_object_gone_from_the_bucket_answers_404(bucket, rep, opportunity):
    upload = create_upload(rep, file=SimpleUploadedFile("terms.pdf", PDF, "application/pdf"))
    case = quote_question(rep, opportunity, attachment_ids=[str(upload.id)])
    attachment = case.attachments.get()
    bucket.Object(key_of(attachment.file.name)).delete()

    assert web(rep).get(attachment.get_absolute_url()).status_code == 404
    assert api(rep).get(api_download(case, attachment)).status_code == 404


@pytest.mark.django_db
def test_expired_uploads_are_deleted_from_the_bucket(bucket, rep):
    kept = create_upload(rep, file=SimpleUploadedFile("kept.pdf", PDF, "application/pdf"))
    expired = create_upload(
        rep, file=SimpleUploadedFile("old.pdf", b"%PDF-1.4 an old draft", "application/pdf")
    )
    Upload.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))

    assert purge_expired_uploads() == 1
    assert objects(bucket) == {key_of(kept.file.name): PDF}
    with pytest.raises(ClientError):
        bucket.Object(key_of(expired.file.name)).load()


# ---- backup and restore ---------------------------------------------------------------------


def supportdesk(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "supportdesk.cli", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_backup_copies_the_objects_out_of_the_bucket_and_restore_puts_them_back(
    bucket, s3_endpoint, rep, opportunity, tmp_path
):
    if connection.vendor != "sqlite":
        pytest.skip("backup/restore copy SQLite files; PostgreSQL uses pg_dump (README)")
    upload = create_upload(rep, file=SimpleUploadedFile("terms.pdf", PDF, "application/pdf"))
    case = quote_question(rep, opportunity, attachment_ids=[str(upload.id)])
    name = case.attachments.get().file.name
    pending = create_upload(rep, file=SimpleUploadedFile("draft.png", PNG, "image/png")).file.name
    s3 = {
        "ATTACHMENTS_S3_BUCKET": bucket.name,
        "ATTACHMENTS_S3_ENDPOINT_URL": s3_endpoint,
        "ATTACHMENTS_S3_REGION": "us-east-1",
        "ATTACHMENTS_S3_PREFIX": PREFIX,
        **KEYS,
    }

    made = supportdesk(
        "backup",
        "--to",
        str(tmp_path / "backups"),
        DATABASE_URL=f"sqlite:///{connection.settings_dict['NAME']}",
        **s3,
    )
    assert made.returncode == 0, made.stderr
    assert "2 files" in made.stdout
    (folder,) = (tmp_path / "backups").iterdir()
    assert (folder / "media" / name).read_bytes() == PDF
    assert (folder / "media" / pending).read_bytes() == PNG

    bucket.Object(key_of(name)).delete()
    fresh = tmp_path / "fresh"
    restored = supportdesk(
        "restore",
        str(folder),
        DATABASE_URL=f"sqlite:///{fresh / 'restored.sqlite3'}",
        SUPPORTDESK_VAR_DIR=str(fresh),
        **s3,
    )
    assert restored.returncode == 0, restored.stderr
    assert objects(bucket) == {key_of(name): PDF, key_of(pending): PNG}
