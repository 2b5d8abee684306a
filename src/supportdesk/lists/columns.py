"""The columns a case list can show and sort by: every case column, plus request-type answers.

A column knows its label, the expression it sorts by (keyset pagination pages on it), the
relations it needs loaded (joined, so a page costs the same queries whatever the columns),
how to show a case's value in a cell, and its value in the API. Answers of request-type
fields are columns named `answer:<field name>`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case as CaseWhen
from django.db.models import (
    Expression,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from supportdesk.cases.display.formatting import day_label, format_answer, person
from supportdesk.cases.models import Case, SlaStage, Status
from supportdesk.catalog.models import RequestType, SubRequest
from supportdesk.lists.models import RecentView
from supportdesk.records.models import Kind, Record
from supportdesk.sla.display import stage_badge

ANSWER = "answer:"
MAX_COLUMNS = 24
MAX_SORT_KEYS = 3
DEFAULT_COLUMNS = ("number", "subject", "status", "priority", "team", "owner", "created_at")
DEFAULT_SORT = "-created_at"
SEARCH_SORT = "-relevance"  # while searching (`q`), unless a sort is asked for


@dataclass(frozen=True)
class Cell:
    """A value as the table shows it: text, and a link, a badge class or a time."""

    text: str = ""
    url: str = ""
    badge: str = ""
    time: dt.datetime | dt.date | None = None


Expr = Callable[[AbstractBaseUser], Expression]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    expression: Expr  # what the list sorts by (and what a cursor holds)
    cell: Callable[[Case], Cell]
    value: Callable[[Case], Any]  # in the API
    kind: str = "text"  # how a cursor value reads back: text, int, datetime, date
    nullable: bool = False
    related: tuple[str, ...] = ()
    loads: tuple[str, ...] = ()  # the fields its cell reads (`only()` of a list page's rows)
    annotated: bool = False  # the value comes from the expression, annotated as `key`
    sortable: bool = True
    choosable: bool = True
    descending_first: bool = False  # a header click sorts newest / most urgent first


def _rank(field_name: str, values: Iterable[str]) -> Expr:
    whens = [When(**{field_name: v}, then=Value(i)) for i, v in enumerate(values)]
    return lambda user: CaseWhen(*whens, default=Value(len(whens)), output_field=IntegerField())


def _field(path: str) -> Expr:
    return lambda user: F(path)


def _when(value: dt.datetime | dt.date | None) -> Cell:
    """`date_format(…, "j M Y, H:i")` (or "j M Y" for a date), written directly: a list page
    shows a hundred of these."""
    if value is None:
        return Cell()
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value)
        return Cell(f"{day_label(local)}, {local.hour:02d}:{local.minute:02d}", time=value)
    return Cell(day_label(value), time=value)


def _text(value: Any) -> Cell:
    return Cell(str(value) if value not in (None, "") else "")


def _sla_class(case: Case) -> str:
    badge = stage_badge(case.sla_stage)
    return f"sla-badge--{badge[1]}" if badge else "sla-badge--on-track"


def case_url(case: Case) -> str:
    """The case's page, worked out once per case of a list (a row links to it twice)."""
    url = case.__dict__.get("_list_url")
    if url is None:
        url = case.__dict__["_list_url"] = case.get_absolute_url()
    return url


def _record_url(record: Record) -> str:
    url = record.__dict__.get("_list_url")
    if url is None:
        url = record.__dict__["_list_url"] = record.get_absolute_url()
    return url


def _around(url_name: str, sample: str) -> tuple[str, str]:
    """What comes before and after the sample argument in the URL `url_name` reverses to."""
    before, _, after = reverse(url_name, args=[sample]).rpartition(sample)
    return before, after


def fill_urls(cases: Iterable[Case]) -> None:
    """Give a page's cases (and their loaded records) their URLs with one reverse() per kind
    of page, not one per link: each URL is a prefix, the case number or record id, a suffix."""
    case_before, case_after = _around("cases:detail", "0")
    record_before, record_after = _around("records:detail", "0")
    for case in cases:
        case.__dict__["_list_url"] = f"{case_before}{case.number}{case_after}"
        if Case.record.is_cached(case) and case.record is not None:
            url = f"{record_before}{case.record_id}{record_after}"
            case.record.__dict__["_list_url"] = url


def _record(case: Case) -> Cell:
    if case.record_id is None:
        return Cell()
    return Cell(case.record.name, url=_record_url(case.record))


def _account(case: Case) -> Any:
    return case.record.account if case.record_id and case.record.account_id else None


def _viewed_at(user: AbstractBaseUser) -> Expression:
    mine = RecentView.objects.filter(case=OuterRef("pk"), user=user)
    return Subquery(mine.values("viewed_at")[:1])


def _column(key: str, label: str, expression: Expr, cell: Callable[[Case], Cell], **kw) -> Column:
    value = kw.pop("value", None) or (lambda case: cell(case).text or None)
    return Column(key, label, expression, cell, value, **kw)


def _dated(key: str, label: str, *, nullable: bool = False) -> Column:
    return _column(
        key,
        label,
        _field(key),
        lambda c: _when(getattr(c, key)),
        value=lambda c: getattr(c, key),
        kind="datetime",
        loads=(key,),
        nullable=nullable,
        descending_first=True,
    )


COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        _column(
            "number",
            "Number",
            _field("pk"),
            lambda c: Cell(c.number, url=case_url(c)),
            kind="int",
        ),
        _column(
            "subject",
            "Subject",
            _field("subject"),
            lambda c: Cell(c.subject, case_url(c)),
            loads=("subject",),
        ),
        _column(
            "status",
            "Status",
            _rank("status", Status.values),
            lambda c: Cell(c.get_status_display(), badge=f"status status--{c.status}"),
            kind="int",
            loads=("status",),
        ),
        _column(
            "priority",
            "Priority",
            _field("priority_rank"),  # a stored column, indexed for the queues (0 = low)
            lambda c: Cell(c.get_priority_display(), badge=f"badge badge--{c.priority}"),
            kind="int",
            loads=("priority",),
            descending_first=True,
        ),
        _column(
            "team",
            "Team",
            _field("team__name"),
            lambda c: _text(c.team.name),
            related=("team",),
            loads=("team__name",),
        ),
        _column(
            "request_type",
            "Request type",
            _field("request_type__name"),
            lambda c: _text(c.request_type.label),
            value=lambda c: c.request_type.name,
            related=("request_type",),
            loads=("request_type__name", "request_type__display_name"),
        ),
        _column(
            "sub_request",
            "Sub-request",
            _field("sub_request__name"),
            lambda c: _text(c.sub_request.label if c.sub_request_id else ""),
            value=lambda c: c.sub_request.name if c.sub_request_id else None,
            nullable=True,
            related=("sub_request",),
            loads=("sub_request__name", "sub_request__display_name"),
        ),
        _column(
            "owner",
            "Owner",
            _field("owner__username"),
            lambda c: Cell(c.owner_display),
            value=lambda c: c.owner.get_username() if c.owner_id else None,
            nullable=True,
            related=("owner", "team"),
            loads=("owner__first_name", "owner__last_name", "owner__username", "team__name"),
        ),
        _column(
            "requester",
            "Requester",
            _field("requester__username"),
            lambda c: _text(person(c.requester)),
            value=lambda c: c.requester.get_username(),
            related=("requester",),
            loads=("requester__first_name", "requester__last_name", "requester__username"),
        ),
        _column(
            "record",
            "Record",
            _field("record__name"),
            _record,
            value=lambda c: c.record.external_id if c.record_id else None,
            nullable=True,
            related=("record",),
            loads=("record__name",),
        ),
        _column(
            "record_kind",
            "Record kind",
            _field("record__kind"),
            lambda c: _text(Kind(c.record.kind).label if c.record_id else ""),
            value=lambda c: c.record.kind if c.record_id else None,
            nullable=True,
            related=("record",),
            loads=("record__kind",),
        ),
        _column(
            "account",
            "Account",
            _field("record__account__name"),
            lambda c: _text(_account(c).name if _account(c) else ""),
            value=lambda c: _account(c).external_id if _account(c) else None,
            nullable=True,
            related=("record__account",),
            loads=("record__account__name",),
        ),
        _dated("created_at", "Created"),
        _dated("updated_at", "Last modified"),
        _dated("first_response_at", "First response", nullable=True),
        _dated("closed_at", "Closed", nullable=True),
        _column(
            "needed_by",
            "Needed by",
            _field("needed_by"),
            lambda c: _when(c.needed_by),
            value=lambda c: c.needed_by,
            kind="date",
            nullable=True,
            loads=("needed_by",),
        ),
        _column(
            "sla",
            "SLA",
            _field("sla_stage"),  # kept by the SLA sweep: 0 on track, 1 at risk, 2 breached
            lambda c: Cell(SlaStage(c.sla_stage).label, badge=f"badge sla-badge {_sla_class(c)}"),
            value=lambda c: SlaStage(c.sla_stage).label,
            kind="int",
            loads=("sla_stage",),
            descending_first=True,
        ),
        _column(
            "sla_due",
            "Due",
            _field("sla_due"),  # the next SLA due time: first response, then resolution
            lambda c: _when(c.sla_due),
            value=lambda c: c.sla_due,
            kind="datetime",
            nullable=True,
            loads=("sla_due",),
        ),
        _column(
            "resolution",
            "Resolution",
            _field("resolution"),
            lambda c: _text(c.get_resolution_display() if c.resolution else ""),
            value=lambda c: c.resolution or None,
            loads=("resolution",),
        ),
        _column(
            "viewed_at",
            "Last viewed by me",
            _viewed_at,
            lambda c: _when(c.viewed_at),
            value=lambda c: c.viewed_at,
            kind="datetime",
            nullable=True,
            annotated=True,
            descending_first=True,
        ),
        # The search box's ranking (filter `q`, supportdesk.search): best match first.
        _column(
            "relevance",
            "Relevance",
            _field("search_rank"),
            lambda c: _text(""),
            value=lambda c: getattr(c, "search_rank", None),
            kind="int",
            choosable=False,
            descending_first=True,
        ),
        # "Waiting on me" first: My Requests pins Pending Response cases at the top.
        _column(
            "waiting",
            "Waiting on me",
            _field("waiting_rank"),  # a stored column, indexed with the requester
            lambda c: _text("Yes" if c.status == Status.PENDING_RESPONSE else ""),
            kind="int",
            loads=("status",),
            choosable=False,
        ),
    )
}


# ---- answers to request-type fields ------------------------------------------------------------


def _answer_cell(definition: dict[str, Any]) -> Callable[[Case], Cell]:
    name = definition["name"]

    def cell(case: Case) -> Cell:
        value = (case.details or {}).get(name)
        if value in (None, "", []):
            return Cell()
        if definition.get("type") == "file":
            count = len(value) if isinstance(value, list) else 1
            return Cell(f"{count} file" + ("s" if count != 1 else ""))
        return Cell(format_answer(definition, value))

    return cell


def answer_column(definition: dict[str, Any]) -> Column:
    name = definition["name"]
    return Column(
        key=f"{ANSWER}{name}",
        label=str(definition.get("label") or name),
        # Cast: compared as text, not as JSON (the cursor holds the text).
        expression=lambda user: Cast(KeyTextTransform(name, "details"), TextField()),
        cell=_answer_cell(definition),
        value=lambda case: (case.details or {}).get(name),
        nullable=True,
        loads=("details",),
    )


# ---- parsing `columns` and `sort` ------------------------------------------------------------


class Catalog:
    """Request-type and sub-request names and the fields they ask, read at most once per list
    (two queries), and only when something needs them."""

    def __init__(self) -> None:
        self._loaded: tuple[list[str], list[str], dict[str, dict[str, Any]]] | None = None

    def _load(self) -> tuple[list[str], list[str], dict[str, dict[str, Any]]]:
        if self._loaded is None:
            fields: dict[str, dict[str, Any]] = {}
            names: list[set[str]] = []
            for model in (RequestType, SubRequest):
                rows = model.objects.order_by("pk").values_list("name", "fields")
                names.append(set())
                for name, definitions in rows:
                    names[-1].add(name)
                    for definition in definitions or []:
                        fields.setdefault(definition["name"], definition)
            by_label = sorted(fields.items(), key=lambda i: str(i[1].get("label", "")).lower())
            self._loaded = sorted(names[0]), sorted(names[1]), dict(by_label)
        return self._loaded

    def load(self) -> Catalog:
        self._load()
        return self

    @property
    def request_type_names(self) -> list[str]:
        return self._load()[0]

    @property
    def sub_request_names(self) -> list[str]:
        return self._load()[1]

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        """Every field a request type or sub-request asks, by name (the first one wins)."""
        return self._load()[2]

    def column(self, key: str) -> Column | None:
        if key.startswith(ANSWER):
            definition = self.fields.get(key.removeprefix(ANSWER))
            return answer_column(definition) if definition else None
        return COLUMNS.get(key)


def split_keys(data: Any) -> list[str]:
    """`a,b` or repeated parameters (or a JSON list) → ["a", "b"], without blanks."""
    values = data if isinstance(data, list | tuple) else [data]
    return [part.strip() for v in values for part in str(v).split(",") if part.strip()]


def parse_columns(data: Any, catalog: Catalog) -> tuple[list[Column], list[str]]:
    """The columns named in order (duplicates dropped) and the errors."""
    keys = list(dict.fromkeys(split_keys(data)))
    columns, errors = [], []
    for key in keys:
        column = catalog.column(key)
        if column is None or not column.choosable:
            errors.append(f"“{key}” is not a column.")
        else:
            columns.append(column)
    if not keys:
        errors.append("Choose at least one column.")
    if len(keys) > MAX_COLUMNS:
        errors.append(f"Choose at most {MAX_COLUMNS} columns.")
    return columns, errors


@dataclass(frozen=True)
class SortKey:
    column: Column
    descending: bool

    @property
    def token(self) -> str:
        return ("-" if self.descending else "") + self.column.key


def sort_param(keys: Iterable[SortKey]) -> str:
    return ",".join(key.token for key in keys)


def parse_sort(data: Any, catalog: Catalog) -> tuple[list[SortKey], list[str]]:
    """`-priority,created_at` → sort keys, and the errors."""
    tokens = split_keys(data)
    keys, errors = [], []
    for token in tokens:
        column = catalog.column(token.lstrip("-"))
        if column is None or not column.sortable:
            errors.append(f"“{token.lstrip('-')}” is not a column to sort by.")
        elif any(k.column.key == column.key for k in keys):
            errors.append(f"“{column.key}” is given twice.")
        else:
            keys.append(SortKey(column, token.startswith("-")))
    if not tokens:
        errors.append("Give a column to sort by.")
    if len(tokens) > MAX_SORT_KEYS:
        errors.append(f"Sort by at most {MAX_SORT_KEYS} columns.")
    return keys, errors


def related_of(columns: Iterable[Column]) -> list[str]:
    return sorted({path for column in columns for path in column.related})


def loads_of(columns: Iterable[Column]) -> list[str]:
    """The fields a list page reads of its cases: its cells', and the SLA stage of each row's
    badge (the case number is its id, always loaded)."""
    return sorted({"sla_stage", *(path for column in columns for path in column.loads)})
