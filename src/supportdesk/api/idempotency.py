"""`Idempotency-Key` for POSTs that create something: a retry replays the first answer.

`@idempotent` goes under `@router.post(...)`. With the header, the first request claims
(user, key) in its own transaction; when its answer is a success the answer is stored, on an
error (4xx/5xx) the claim is dropped so the client may retry with the same key. A later request
with the key gets the stored answer again (`Idempotent-Replayed: true`), a 422 if it is not the
same request (method, path and body), or a 409 with `Retry-After` while the first still runs.
With `shown_once` (answers holding a secret: tokens, webhook secrets) nothing of the answer is
stored and a retry is a 409 instead. Keys expire after `IDEMPOTENCY_KEY_TTL_HOURS`.

Routes with their own mechanism (POST /cases and the others importing `cases.IDEMPOTENCY_KEY`)
do not use this one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, RawPostDataException
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import Header
from ninja.decorators import decorate_view
from ninja.signature.utils import get_typed_signature

from supportdesk.api.errors import problem_response
from supportdesk.api.models import IdempotentRequest

HEADER = "Idempotency-Key"
KEY_PARAM = "idempotency_key"
MAX_KEY_LENGTH = 255
_CLAIM_ATTR = "_idempotent_claim"

IDEMPOTENCY_HEADER = Header(
    None,
    alias=HEADER,
    description=(
        "Any 1–255 visible ASCII characters, unique per request you mean. A retry with the "
        "same key and body replays the first answer (header `Idempotent-Replayed: true`) and "
        "creates nothing; the same key with another body is a 422. Keys expire after a day."
    ),
)


def ttl() -> dt.timedelta:
    return dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def purge_expired_keys(*, now: dt.datetime | None = None) -> int:
    """Delete stored answers older than the TTL; returns how many (housekeeping)."""
    cutoff = (now or timezone.now()) - ttl()
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def key_error(key: str) -> str | None:
    """Why `key` is not a valid Idempotency-Key, or None."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        return f"Use 1 to {MAX_KEY_LENGTH} characters."
    if not all("!" <= char <= "~" for char in key):
        return "Use visible ASCII characters only (no spaces)."
    return None


def _body_sha256(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    try:
        digest.update(request.body)
    except RawPostDataException:  # multipart, already parsed: hash its fields and files
        for name, values in sorted(request.POST.lists()):
            digest.update(repr((name, values)).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(repr((name, upload.name, upload.size)).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    return digest.hexdigest()


def _retry_answer(
    request: HttpRequest, key: str, fingerprint: str, shown_once: str | None
) -> HttpResponse:
    earlier = IdempotentRequest.objects.filter(user=request.auth, key=key).first()
    if earlier is None or earlier.status is None:  # still running (or just failed)
        detail = "A request with this Idempotency-Key is still in progress; retry shortly."
        return problem_response(409, detail, headers={"Retry-After": "1"})
    if (earlier.method, earlier.path, earlier.body_sha256) != (
        request.method,
        request.path,
        fingerprint,
    ):
        return problem_response(
            422,
            "This Idempotency-Key was used for another request.",
            errors={HEADER: ["This key was used for another request."]},
        )
    if shown_once:
        detail = f"Already created with this key; {shown_once} was shown once."
        return problem_response(409, detail)
    return HttpResponse(
        earlier.body,
        status=earlier.status,
        content_type=earlier.content_type,
        headers={"Idempotent-Replayed": "true"},
    )


def _claim(request: HttpRequest, key: str, fingerprint: str) -> IdempotentRequest | None:
    """Claim (user, key) for this request; None if an unexpired claim exists."""
    user = request.auth
    IdempotentRequest.objects.filter(
        user=user, key=key, created_at__lt=timezone.now() - ttl()
    ).delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                user=user,
                key=key,
                method=request.method or "",
                path=request.path,
                body_sha256=fingerprint,
            )
    except IntegrityError:
        return None


def _store(claim: IdempotentRequest, response: HttpResponseBase, shown_once: str | None) -> None:
    if response.status_code >= 400 or not isinstance(response, HttpResponse):
        claim.delete()
        return
    claim.status = response.status_code
    claim.body = "" if shown_once else response.content.decode(response.charset or "utf-8")
    claim.content_type = response.get("Content-Type", "")
    claim.save(update_fields=["status", "body", "content_type"])


def _storing(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wraps the operation's run: by then the view's result is the final response."""

    @wraps(run)
    def run_and_store(request: HttpRequest, **kw: Any) -> HttpResponseBase:
        response = run(request, **kw)
        claim: tuple[IdempotentRequest, str | None] | None = getattr(request, _CLAIM_ATTR, None)
        if claim is not None:
            delattr(request, _CLAIM_ATTR)
            _store(claim[0], response, claim[1])
        return response

    return run_and_store


def idempotent(view: Callable[..., Any] | None = None, *, shown_once: str | None = None) -> Any:
    """Make a creating POST honour `Idempotency-Key` (documented in OpenAPI).

    `shown_once` names the secret in the answer ("the token"): then a retry is a 409."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            key: str | None = kwargs.pop(KEY_PARAM, None)
            if key is None:
                return func(request, *args, **kwargs)
            if error := key_error(key):
                return problem_response(422, f"Invalid {HEADER}.", errors={HEADER: [error]})
            fingerprint = _body_sha256(request)
            claim = _claim(request, key, fingerprint)
            if claim is None:
                return _retry_answer(request, key, fingerprint, shown_once)
            setattr(request, _CLAIM_ATTR, (claim, shown_once))
            return func(request, *args, **kwargs)

        # ninja reads the signature: the view's own (annotations resolved in its module)
        # plus the header, so OpenAPI documents it.
        signature = get_typed_signature(func)
        header = inspect.Parameter(
            KEY_PARAM,
            inspect.Parameter.KEYWORD_ONLY,
            default=IDEMPOTENCY_HEADER,
            annotation=str | None,
        )
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), header]
        )
        return decorate_view(_storing)(wrapper)

    return decorate(view) if view is not None else decorate
