"""POST /uploads: files go up first, then a case references them by id (one JSON create)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Router, Status, UploadedFile

from supportdesk.api.errors import problems
from supportdesk.api.idempotency import idempotent
from supportdesk.api.schemas import UploadOut
from supportdesk.cases.services import create_upload

router = Router(tags=["uploads"])


@router.post("/uploads", response={201: UploadOut, **problems(401, 403, 422)})
@idempotent
def upload_create(request: HttpRequest, file: File[UploadedFile]) -> Status:
    """Keep a file (multipart field `file`) until a case claims it; size and type are checked."""
    return Status(201, create_upload(request.auth, file=file))
