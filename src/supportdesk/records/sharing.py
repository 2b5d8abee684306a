"""Many shares at once: a record's whole share list (replace) and a bulk upsert across records.

Every row is written by `services.share_set`, the one place that checks who may share and the
user or team and level named, inside one transaction: all rows are tried, the errors of every
wrong row are reported together by index (`items[3].user`), and if any row is wrong nothing is
kept. Access is computed from the shares on each read, so nothing else needs refreshing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F

from supportdesk.records.models import Record, RecordShare
from supportdesk.records.queries import records_readable_by
from supportdesk.records.services import (
    RecordActionForbidden,
    RecordInvalid,
    ShareResult,
    may_share,
    share_set,
)

FORBIDDEN = "Only the record's owner or an ops admin can share it."


def shares_of(actor: AbstractBaseUser, record: Record) -> list[RecordShare]:
    """Who the record is shared with, users then teams (its owner and ops admins may see)."""
    if not may_share(actor, record):
        raise RecordActionForbidden(FORBIDDEN)
    shares = record.shares.select_related("record", "user", "team")
    users_first = F("team__name").asc(nulls_first=True)
    return list(shares.order_by(users_first, "user__username", "pk"))


def _write_all(
    actor: AbstractBaseUser, rows: Sequence[tuple[Record | None, Mapping[str, Any]]]
) -> list[ShareResult]:
    """share_set for every row; RecordInvalid naming each wrong row's fields by index."""
    errors: dict[str, list[str]] = {}
    results: list[ShareResult] = []
    first_row: dict[int, int] = {}
    for index, (record, item) in enumerate(rows):
        if record is None:
            errors[f"items[{index}].record"] = ["No such record."]
            continue
        try:
            result = share_set(
                actor,
                record=record,
                level=item.get("level", RecordShare.Level.READ),
                user=item.get("user"),
                team=item.get("team"),
            )
        except RecordInvalid as invalid:
            for field, messages in invalid.errors.items():
                errors[f"items[{index}].{field}"] = messages
            continue
        if (earlier := first_row.setdefault(result.share.pk, index)) != index:
            errors[f"items[{index}]"] = [f"The same share as items[{earlier}]."]
        results.append(result)
    if errors:
        raise RecordInvalid(errors)
    return results


@transaction.atomic
def shares_replace(
    actor: AbstractBaseUser, record: Record, items: Sequence[Mapping[str, Any]]
) -> list[RecordShare]:
    """Make `items` ({user | team, level}) the record's whole share list; all or nothing."""
    if not may_share(actor, record):
        raise RecordActionForbidden(FORBIDDEN)
    results = _write_all(actor, [(record, item) for item in items])
    record.shares.exclude(pk__in=[r.share.pk for r in results]).delete()
    return shares_of(actor, record)


@transaction.atomic
def shares_upsert(actor: AbstractBaseUser, items: Sequence[Mapping[str, Any]]) -> list[ShareResult]:
    """Create or change many shares ({record, user | team, level}); all or nothing.

    A record the actor cannot see is a wrong row (as if missing); one they can see but may not
    share makes the whole request forbidden.
    """
    ids = {item.get("record") for item in items}
    records = {r.external_id: r for r in records_readable_by(actor).filter(external_id__in=ids)}
    refused = sorted(eid for eid, record in records.items() if not may_share(actor, record))
    if refused:
        raise RecordActionForbidden(f"{FORBIDDEN} Not yours to share: {', '.join(refused)}.")
    return _write_all(actor, [(records.get(item.get("record")), item) for item in items])
