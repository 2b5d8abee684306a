"""Uploads as they arrive: size limits while the body streams in, and safe names and types.

`AttachmentLimitHandler` runs first among `FILE_UPLOAD_HANDLERS`: a multipart request over
`ATTACHMENT_MAX_REQUEST_BYTES` is refused before its body is read, and a file is cut off as
soon as it passes `ATTACHMENT_MAX_BYTES` (the handlers after it, which hold the data in memory
or a temporary file, never get more than the limit). The cut-off file reaches the view as an
empty `OversizedUpload` with its real size, so `create_upload` names it in its usual error.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse

from supportdesk.cases.sniffing import CONTENT_TYPES, UNCHECKED_CONTENT_TYPE

if TYPE_CHECKING:
    from supportdesk.cases.models import Attachment

MAX_NAME_LENGTH = 120
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
SERVED_TYPES = frozenset(CONTENT_TYPES.values()) | {UNCHECKED_CONTENT_TYPE}


def megabytes(size: int) -> int:
    return size // (1024 * 1024)


class RequestTooLarge(RequestDataTooBig):
    """A multipart request whose declared length is over ATTACHMENT_MAX_REQUEST_BYTES."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The files sent together are larger than the {megabytes(limit)} MB limit."
        )


class OversizedUpload(UploadedFile):
    """A file that passed the size limit while it streamed in: its name and real size, no data."""

    exceeded_limit = True

    def __init__(self, *, name: str, size: int, content_type: str, field_name: str) -> None:
        super().__init__(io.BytesIO(), name=name, content_type=content_type, size=size)
        self.field_name = field_name


class AttachmentLimitHandler(FileUploadHandler):
    """Cuts a file off at ATTACHMENT_MAX_BYTES and refuses requests over the request limit."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.max_file_bytes = settings.ATTACHMENT_MAX_BYTES
        self.received = 0
        self.exceeded = False
        self.most_held = 0  # the most bytes of one file passed on to the handlers after this one
        self.earlier_files: set[int] = set()

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # noqa: N803 (Django's signature)
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> None:
        limit = settings.ATTACHMENT_MAX_REQUEST_BYTES
        if content_length > limit:
            raise RequestTooLarge(limit)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.exceeded = False
        # Files the storing handlers still hold from earlier fields are complete: keep them.
        self.earlier_files = {id(getattr(h, "file", None)) for h in self._storing_handlers()}

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received = start + len(raw_data)
        if self.exceeded:
            return None
        if self.received > self.max_file_bytes:
            self.exceeded = True
            self._drop_partial_files()
            return None  # the handlers after this one get nothing more
        self.most_held = max(self.most_held, self.received)
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.exceeded:
            return None  # the next handler returns the stored file
        return OversizedUpload(
            name=self.file_name or "file",
            size=self.received,
            content_type=self.content_type or "",
            field_name=self.field_name or "",
        )

    def _storing_handlers(self) -> list[FileUploadHandler]:
        handlers = list(getattr(self.request, "upload_handlers", []))
        return handlers[handlers.index(self) + 1 :] if self in handlers else []

    def _drop_partial_files(self) -> None:
        """Free what the storing handlers hold of this file (memory, or a temporary file)."""
        for handler in self._storing_handlers():
            partial = getattr(handler, "file", None)
            if partial is not None and id(partial) not in self.earlier_files:
                partial.close()


class UploadLimitMiddleware:
    """Answers 413 to a multipart request declared longer than ATTACHMENT_MAX_REQUEST_BYTES,
    before anything reads its body (the CSRF check would, to find its token)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.ATTACHMENT_MAX_REQUEST_BYTES
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        if multipart and _declared_length(request) > limit:
            return _too_large(request, str(RequestTooLarge(limit)))
        return self.get_response(request)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_large(request: HttpRequest, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        from supportdesk.api.errors import problem_response  # the API's one error format

        return problem_response(413, detail)
    message = f"{detail} Go back and send fewer or smaller files."
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


def clean_file_name(raw: str) -> str:
    """A file name safe to store and show: no folders (either slash), no control, format or
    direction-override characters, no leading dots, at most MAX_NAME_LENGTH characters (the
    extension kept). The storage key never comes from it (see models.attachment_path)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if unicodedata.category(ch) == "Zs" else ch
        for ch in name
        if unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in {"Zl", "Zp"}
    )
    name = " ".join(name.split()).lstrip(". ").rstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        stem, extension = name, ""
    room = MAX_NAME_LENGTH - (len(extension) + 1 if extension else 0)
    stem = stem[:room].rstrip(". ") or "file"
    return f"{stem}.{extension}" if extension else stem


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def served_content_type(attachment: Attachment) -> str:
    """The type a download is served with: the sniffed type stored at upload, never anything
    else (older rows kept the client's claim: those are served as opaque data)."""
    stored = (attachment.content_type or "").split(";", 1)[0].strip().lower()
    return stored if stored in SERVED_TYPES else UNCHECKED_CONTENT_TYPE


def inline_content_type(attachment: Attachment) -> str | None:
    """A picture's type if it may be shown in the page: sniffed as an image, and named as one."""
    content_type = served_content_type(attachment)
    if content_type not in INLINE_TYPES:
        return None
    named = CONTENT_TYPES.get(extension_of(attachment.file.name))
    return content_type if named == content_type else None
