"""Records: upsert from the CRM (ops admins), share, search what the caller may read."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.http import HttpRequest
from ninja import Query, Router, Status

from supportdesk.api.errors import problems
from supportdesk.api.idempotency import idempotent
from supportdesk.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from supportdesk.api.schemas import RecordIn, RecordOut, RecordPage, ShareIn, ShareOut
from supportdesk.records.models import Kind, Record, RecordShare
from supportdesk.records.queries import (
    can_edit_record,
    record_by_external_id,
    records_editable_by,
    records_readable_by,
)
from supportdesk.records.services import record_upsert, share_set

router = Router(tags=["records"])


def record_out(record: Record, *, can_request_support: bool) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "name": record.name,
        "external_id": record.external_id,
        "owner": record.owner.get_username() if record.owner_id else None,
        "account": record.account.external_id if record.account_id else None,
        "attributes": record.attributes,
        "url": settings.SITE_URL + record.get_absolute_url(),
        "can_request_support": can_request_support,
    }


def share_out(share: RecordShare) -> dict[str, Any]:
    return {
        "record": share.record.external_id,
        "user": share.user.get_username() if share.user_id else None,
        "team": share.team.name if share.team_id else None,
        "level": share.level,
    }


def with_support_flag(records: QuerySet[Record], user: AbstractBaseUser) -> QuerySet[Record]:
    """Annotate `can_request_support` (edit access) in the same query, by the one access rule."""
    if user.is_staff:
        return records.annotate(can_request_support=Value(True))
    editable = records_editable_by(user).filter(pk=OuterRef("pk"))
    return records.annotate(can_request_support=Exists(editable))


@router.post("/records", response={200: RecordOut, 201: RecordOut, **problems(401, 403, 422)})
@idempotent
def record_put(request: HttpRequest, payload: RecordIn) -> Status:
    """Create or update the record with this `external_id` (ops admins only)."""
    result = record_upsert(request.auth, **payload.model_dump())
    body = record_out(result.record, can_request_support=True)
    return Status(201 if result.created else 200, body)


@router.post(
    "/records/{external_id}/shares",
    response={200: ShareOut, 201: ShareOut, **problems(401, 403, 404, 422)},
)
@idempotent
def record_share(request: HttpRequest, external_id: str, payload: ShareIn) -> Status:
    """Give a user or a team read or edit access (the record's owner or ops admins)."""
    record = record_by_external_id(request.auth, external_id)
    result = share_set(request.auth, record=record, **payload.model_dump())
    return Status(201 if result.created else 200, share_out(result.share))


@router.get("/records", response={200: RecordPage, **problems(401, 422)})
def record_list(
    request: HttpRequest,
    search: str | None = None,
    kind: Kind | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Records the caller may read, by name; `search` matches the name or the exact id."""
    user = request.auth
    records = records_readable_by(user).select_related("owner", "account")
    if kind:
        records = records.filter(kind=kind)
    if search and search.strip():
        term = search.strip()
        records = records.filter(Q(name__icontains=term) | Q(external_id__iexact=term))
    page = keyset_page(
        with_support_flag(records, user), order_by="name", cursor=cursor, limit=limit
    )
    return {
        "items": [record_out(r, can_request_support=r.can_request_support) for r in page.items],
        "next_cursor": page.next_cursor,
        "next": page.next_url(request),
    }


@router.get("/records/{external_id}", response={200: RecordOut, **problems(401, 404)})
def record_get(request: HttpRequest, external_id: str) -> dict[str, Any]:
    record = record_by_external_id(request.auth, external_id)
    return record_out(record, can_request_support=can_edit_record(request.auth, record))
