"""Who a record is shared with, many shares at a time (the record's owner or ops admins).

GET/PUT /records/{external_id}/shares (read, or replace the whole list) and
POST /records/shares (upsert many, across records). Writes are all or nothing: a 422 lists
every wrong row by index, e.g. `items[3].user`. One share is added with
POST /records/{external_id}/shares (api/records.py).

GET/PUT /records/{external_id}/shares join that POST on the records router: operations on one
path must share a router (each router's paths are URL patterns of their own, and the first
pattern matching a path answers 405 for methods it lacks). POST /records/shares is on this
module's router, mounted before the records router's /records/{external_id}.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from supportdesk.api import examples
from supportdesk.api.errors import problems
from supportdesk.api.idempotency import idempotent
from supportdesk.api.records import router as records_router
from supportdesk.api.records import share_out
from supportdesk.api.schemas import BodyIn, ShareOut
from supportdesk.records.models import RecordShare
from supportdesk.records.queries import record_by_external_id
from supportdesk.records.sharing import shares_of, shares_replace, shares_upsert

router = Router(tags=["records"])

MAX_ITEMS = 1000
LEVEL = Field(RecordShare.Level.READ.value, description="`read` (default) or `edit`.")


class ShareItemIn(BodyIn):
    user: str | None = Field(None, description="Username; give a user or a team.")
    team: str | None = Field(None, description="Team name or alias; give a user or a team.")
    level: str = LEVEL


class SharesIn(BodyIn):
    items: list[ShareItemIn] = Field(max_length=MAX_ITEMS)


class RecordShareItemIn(ShareItemIn):
    record: str = Field(description="The record's external id.")


class BulkSharesIn(BodyIn):
    model_config = examples.documented(examples.RECORD_SHARES_IN)

    items: list[RecordShareItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class BulkSharesOut(Schema):
    model_config = examples.documented(examples.RECORD_SHARES_OUT)

    created: int
    updated: int = Field(description="Already there (their level set again).")
    items: list[ShareOut] = Field(description="In the order given.")


def _items(payload: SharesIn | BulkSharesIn) -> list[dict[str, Any]]:
    return [item.model_dump() for item in payload.items]


@records_router.get(
    "/records/{external_id}/shares", response={200: list[ShareOut], **problems(401, 403, 404)}
)
def record_shares(request: HttpRequest, external_id: str) -> list[dict[str, Any]]:
    """Who the record is shared with (its owner and ops admins may see)."""
    record = record_by_external_id(request.auth, external_id)
    return [share_out(share) for share in shares_of(request.auth, record)]


@records_router.put(
    "/records/{external_id}/shares",
    response={200: list[ShareOut], **problems(401, 403, 404, 422)},
)
def record_shares_replace(
    request: HttpRequest, external_id: str, payload: SharesIn
) -> list[dict[str, Any]]:
    """Make `items` the record's whole share list: shares not listed are removed."""
    record = record_by_external_id(request.auth, external_id)
    return [share_out(s) for s in shares_replace(request.auth, record, _items(payload))]


@router.post("/records/shares", response={200: BulkSharesOut, **problems(401, 403, 422)})
@idempotent
def record_shares_upsert(request: HttpRequest, payload: BulkSharesIn) -> dict[str, Any]:
    """Create or change many shares in one go (e.g. from the CRM); nothing is removed."""
    results = shares_upsert(request.auth, _items(payload))
    created = sum(r.created for r in results)
    return {
        "created": created,
        "updated": len(results) - created,
        "items": [share_out(r.share) for r in results],
    }
