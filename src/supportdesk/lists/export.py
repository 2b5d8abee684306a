"""Export a list to CSV: its columns, filters and sort, every row the viewer may see.

Streamed: one query read in chunks (`iterator`) of plain values — no model instances — and
written out a few hundred rows at a time, so 100,000 rows never sit in memory. Cells that a
spreadsheet would read as a formula (starting with = + - @, a tab or a carriage return) get
a leading apostrophe (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from supportdesk.cases.display.formatting import person_name
from supportdesk.cases.models import Priority, Resolution, Status, format_number
from supportdesk.lists.columns import Column
from supportdesk.lists.paging import in_order
from supportdesk.lists.queries import Listing, cases_matching
from supportdesk.records.models import Kind

CHUNK = 2000  # rows per database fetch
FLUSH = 500  # rows per piece of the response
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    """The cell as text a spreadsheet shows as text, never runs as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def _label(choices: list[tuple[str, str]]) -> Callable[[Any], str]:
    labels = dict(choices)
    return lambda value: str(labels.get(value, value or ""))


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _labelled(display_name: str | None, name: str | None) -> str:
    return display_name or name or ""


def _owner(first: str | None, last: str | None, username: str | None, team: str) -> str:
    return person_name(first or "", last or "", username) if username else f"{team} queue"


# key → (the values it reads, how they become the cell). Others: the column's own expression.
SPECS: dict[str, tuple[tuple[str, ...], Callable[..., str]]] = {
    "number": (("pk",), format_number),
    "subject": (("subject",), _plain),
    "status": (("status",), _label(Status.choices)),
    "priority": (("priority",), _label(Priority.choices)),
    "team": (("team__name",), _plain),
    "request_type": (("request_type__display_name", "request_type__name"), _labelled),
    "sub_request": (("sub_request__display_name", "sub_request__name"), _labelled),
    "owner": (("owner__first_name", "owner__last_name", "owner__username", "team__name"), _owner),
    "requester": (
        ("requester__first_name", "requester__last_name", "requester__username"),
        person_name,
    ),
    "record": (("record__name",), _plain),
    "record_kind": (("record__kind",), _label(Kind.choices)),
    "account": (("record__account__name",), _plain),
    "created_at": (("created_at",), _when),
    "updated_at": (("updated_at",), _when),
    "first_response_at": (("first_response_at",), _when),
    "closed_at": (("closed_at",), _when),
    "needed_by": (("needed_by",), _day),
    "resolution": (("resolution",), _label(Resolution.choices)),
}


@dataclass(frozen=True)
class _Cell:
    start: int
    end: int
    format: Callable[..., str]


def _plan(columns: list[Column], user: AbstractBaseUser) -> tuple[dict[str, Any], list[_Cell]]:
    """The annotations to read (in order) and where each column's values are in a row."""
    reads: dict[str, Any] = {}
    cells = []
    for i, column in enumerate(columns):
        paths, fmt = SPECS.get(column.key, ((), _when if column.kind == "datetime" else _plain))
        expressions = [F(p) for p in paths] or [column.expression(user)]
        start = len(reads)
        for j, expression in enumerate(expressions):
            reads[f"_x{i}_{j}"] = expression
        cells.append(_Cell(start, len(reads), fmt))
    return reads, cells


def export_rows(listing: Listing, user: AbstractBaseUser) -> QuerySet:
    """The list's rows as tuples of plain values, in its order (one query, read lazily)."""
    reads, _ = _plan(listing.columns, user)
    cases = in_order(cases_matching(user, listing.filters), sort=listing.sort, user=user)
    return cases.annotate(**reads).values_list(*reads)


def csv_lines(listing: Listing, user: AbstractBaseUser) -> Iterator[str]:
    """The CSV text of the list, header first, in pieces of FLUSH rows."""
    _, cells = _plan(listing.columns, user)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralised(str(c.label)) for c in listing.columns])
    rows: Any = export_rows(listing, user).iterator(chunk_size=CHUNK)
    for n, row in enumerate(rows, 1):
        writer.writerow([neutralised(c.format(*row[c.start : c.end])) for c in cells])
        if n % FLUSH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_filename(name: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    slug = "-".join(part for part in slug.split("-") if part) or "cases"
    return f"{slug}-{timezone.localdate().isoformat()}.csv"


def csv_response(listing: Listing, user: AbstractBaseUser, name: str) -> StreamingHttpResponse:
    """The list as a streamed CSV download."""
    return StreamingHttpResponse(
        csv_lines(listing, user),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export_filename(name)}"'},
    )
