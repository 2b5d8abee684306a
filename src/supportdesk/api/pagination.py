"""Keyset (cursor) pagination: stable under inserts, one query per page, no COUNT."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime

from supportdesk.api.errors import FieldErrors

T = TypeVar("T", bound=models.Model)

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None

    def next_url(self, request: HttpRequest) -> str | None:
        if self.next_cursor is None:
            return None
        query = request.GET.copy()
        query["cursor"] = self.next_cursor
        return request.build_absolute_uri(f"{request.path}?{urlencode(sorted(query.items()))}")


def _encode(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, field: models.Field) -> tuple[Any, int]:
    invalid = FieldErrors({"cursor": ["This cursor is not valid; start again without one."]})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        first, pk = json.loads(raw)
    except (ValueError, binascii.Error, TypeError):
        raise invalid from None
    if not isinstance(pk, int) or not isinstance(first, str):
        raise invalid
    if isinstance(field, models.DateTimeField):
        first = parse_datetime(first)
        if first is None:
            raise invalid
    return first, pk


def _key(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def keyset_page(queryset: QuerySet[T], *, order_by: str, cursor: str | None, limit: int) -> Page[T]:
    """One page of `queryset` ordered by `order_by` (e.g. "name" or "-created_at"), then pk."""
    descending = order_by.startswith("-")
    name = order_by.lstrip("-")
    pk_order = "-pk" if descending else "pk"
    queryset = queryset.order_by(order_by, pk_order)
    if cursor:
        value, pk = _decode(cursor, queryset.model._meta.get_field(name))
        after = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{name}__{after}": value}) | Q(**{name: value, f"pk__{after}": pk})
        )
    rows = list(queryset[: limit + 1])
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode([_key(getattr(last, name)), last.pk])
    return Page(items, next_cursor)
