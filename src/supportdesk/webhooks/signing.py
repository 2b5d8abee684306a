"""Signing webhook requests, and how a receiver checks them.

Every request carries two headers:

    Supportdesk-Timestamp: 1767225600
    Supportdesk-Signature: v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

The signature is the hex HMAC-SHA256 of `f"{timestamp}.{body}"` (the raw request body, as
bytes, exactly as received), keyed with the endpoint's secret. `verify_signature` below is the
whole check; a receiver in another language does the same three steps: recompute the HMAC,
compare it in constant time, and refuse a timestamp older than a few minutes (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "Supportdesk-Timestamp"
SIGNATURE_HEADER = "Supportdesk-Signature"
VERSION = "v1"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of `timestamp.body` with `secret`."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The two signature headers for a request with this body, signed now."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: f"{VERSION}={sign(secret, timestamp, body)}",
    }


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes | str,
    signature: str,
    tolerance: int = 300,
    *,
    now: float | None = None,
) -> bool:
    """True when a webhook request is genuine and fresh. A receiver calls it like this:

        from supportdesk.webhooks.signing import verify_signature

        ok = verify_signature(
            secret,                                      # shown when the endpoint was made
            request.headers["Supportdesk-Timestamp"],
            request.body,                                # the raw bytes, before any parsing
            request.headers["Supportdesk-Signature"],
        )
        if not ok:
            return HttpResponse(status=400)

    `signature` is the header's value, `v1=<hex>`; several comma-separated `v1=` values are
    accepted (any one matching is enough). The timestamp must be within `tolerance` seconds of
    now, either way, so a captured request cannot be replayed later. The comparison takes
    constant time.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    raw = body.encode() if isinstance(body, str) else body
    expected = sign(secret, timestamp.strip(), raw)
    candidates = [part.strip() for part in (signature or "").split(",")]
    return any(
        hmac.compare_digest(value.encode(), expected.encode())
        for scheme, _, value in (c.partition("=") for c in candidates)
        if scheme == VERSION
    )
