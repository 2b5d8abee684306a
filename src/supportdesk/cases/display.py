"""Turning stored values (answers, record attributes, the feed) into what people read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.forms import BoundField
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import capfirst

from supportdesk.cases.models import Case, CaseEvent, Priority, Status, Upload
from supportdesk.catalog.models import effective_fields
from supportdesk.markup import render_markdown
from supportdesk.records.models import Kind


@dataclass
class FieldView:
    """One field as the template draws it: label, asterisk, help, note, errors, input."""

    bf: BoundField
    kind: str  # "input", "group", "checkbox" or "file"
    required: bool
    note: str = ""
    uploads: list[Upload] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"{self.bf.auto_id}_0" if self.kind == "group" else self.bf.auto_id

    @property
    def describedby(self) -> str:
        ids = [f"{self.bf.auto_id}_helptext"] if self.bf.help_text else []
        ids += [f"{self.bf.auto_id}_note"] if self.note else []
        ids += [f"{self.bf.auto_id}_error"] if self.bf.errors else []
        return " ".join(ids)


GROUP_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


def field_view(bf: BoundField, *, note: str = "") -> FieldView:
    widget = bf.field.widget
    if isinstance(widget, forms.MultipleHiddenInput):
        kind = "file"
    elif isinstance(widget, GROUP_WIDGETS):
        kind = "group"
    elif isinstance(widget, forms.CheckboxInput):
        kind = "checkbox"
    else:
        kind = "input"
    view = FieldView(bf, kind, required=bf.field.required, note=note)
    if view.describedby and kind not in ("group", "file"):
        widget.attrs["aria-describedby"] = view.describedby
    if bf.errors:
        widget.attrs["aria-invalid"] = "true"
    return view


@dataclass(frozen=True)
class FileLink:
    name: str
    url: str = ""


@dataclass(frozen=True)
class AnswerRow:
    """One answered field, ready to show: a label and either text or files."""

    name: str
    label: str
    text: str = ""
    files: list[FileLink] = field(default_factory=list)
    long: bool = False
    link: str = ""


def humanize_key(key: str) -> str:
    """`close_date` → `Close date`."""
    return capfirst(key.replace("_", " ").strip()) or key


def format_date(value: Any) -> str:
    if isinstance(value, dt.date):
        return date_format(value, "j M Y")
    try:
        return date_format(dt.date.fromisoformat(str(value)), "j M Y")
    except ValueError:
        return str(value)


def _format_decimal(value: Any, *, places: int | None = None) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if places is not None:
        return f"{number:,.{places}f}"
    return f"{number:,}" if number == number.to_integral() else f"{number:,.2f}"


def format_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value in (None, ""):
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(format_scalar(v) for v in value) or "—"
    return str(value)


def format_attribute(key: str, value: Any) -> str:
    """A record attribute, formatted by what its key suggests (dates, amounts, counts)."""
    lowered = key.lower()
    if lowered.endswith(("date", "_at", "_on")) and isinstance(value, str):
        return format_date(value)
    numeric = isinstance(value, int | float | str) and not isinstance(value, bool)
    if numeric and any(w in lowered for w in ("amount", "arr", "price", "count", "employees")):
        return _format_decimal(value)
    return format_scalar(value)


def format_answer(definition: Mapping[str, Any], value: Any) -> str:
    kind = definition.get("type")
    if kind == "checkbox":
        return "Yes" if value else "No"
    if kind == "date" and value:
        return format_date(value)
    if kind == "money" and value not in (None, ""):
        return _format_decimal(value, places=2)
    if kind == "percent" and value not in (None, ""):
        return f"{value} %"
    return format_scalar(value)


def answer_rows(
    definitions: Iterable[Mapping[str, Any]],
    answers: Mapping[str, Any],
    files: Mapping[str, FileLink],
) -> list[AnswerRow]:
    """Rows for every answered field, schema order first; `files` maps stored file ids."""
    by_name = {d["name"]: d for d in definitions}
    names = [n for n in by_name if n in answers] + [n for n in answers if n not in by_name]
    rows = []
    for name in names:
        definition = by_name.get(name, {"name": name, "label": humanize_key(name), "type": ""})
        value = answers[name]
        if definition["type"] == "file":
            ids = value if isinstance(value, list) else [value]
            links = [files.get(str(i), FileLink(f"File {i} (no longer available)")) for i in ids]
            rows.append(AnswerRow(name, definition["label"], files=links))
            continue
        text, kind = format_answer(definition, value), definition["type"]
        link = text if kind == "url" and text.startswith(("https://", "http://")) else ""
        rows.append(AnswerRow(name, definition["label"], text, long=kind == "long_text", link=link))
    return rows


def person(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "supportdesk"
    return user.get_full_name() or user.get_username()


def attribute_rows(attributes: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    return [(humanize_key(k), format_attribute(k, v)) for k, v in (attributes or {}).items()]


def snapshot_rows(snapshot: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The record as it was when the case was submitted."""
    if not snapshot:
        return []
    kind = snapshot.get("kind", "")
    rows = [
        ("Kind", Kind(kind).label if kind in Kind.values else kind),
        ("Name", snapshot.get("name") or "—"),
        ("External id", snapshot.get("external_id") or "—"),
        ("Owner", snapshot.get("owner") or "—"),
    ]
    if snapshot.get("account"):
        rows.append(("Account", snapshot["account"]))
    return rows + attribute_rows(snapshot.get("attributes"))


@dataclass(frozen=True)
class FeedItem:
    actor: str
    text: str
    detail: str
    at: dt.datetime


def feed_item(event: CaseEvent, case: Case) -> FeedItem:
    if event.kind == CaseEvent.CREATED:
        priority = event.data.get("priority", "")
        label = Priority(priority).label if priority in Priority.values else priority
        detail = f"Priority {label}, sent to the {case.team.queue_name}." if label else ""
        return FeedItem(person(event.actor), "created the case", detail, event.created_at)
    if event.kind == "case.status_changed":
        before, after = (_status_label(event.data.get(k)) for k in ("from", "to"))
        return FeedItem(
            person(event.actor), "changed the status", f"{before} → {after}", event.created_at
        )
    if event.kind == "case.owner_changed":
        taken = event.actor is not None and event.data.get("to") == event.actor.get_username()
        text = "took ownership" if taken else f"assigned the case to {event.data.get('to')}"
        return FeedItem(person(event.actor), text, "", event.created_at)
    text = humanize_key(event.kind.replace(".", " ")).lower()
    return FeedItem(person(event.actor), text, "", event.created_at)


def _status_label(value: Any) -> str:
    return Status(value).label if value in Status.values else str(value or "—")


def case_page(case: Case) -> dict[str, Any]:
    """Everything the case page shows, in a fixed number of queries."""
    attachments = list(case.attachments.select_related("uploaded_by"))
    files = {
        str(a.pk): FileLink(a.name, reverse("cases:attachment", args=[case.number, a.pk]))
        for a in attachments
    }
    definitions = effective_fields(case.request_type, case.sub_request)
    watchers = case.watcher_links.select_related("user").order_by("created_at", "id")
    return {
        "case": case,
        "description_html": render_markdown(case.description),
        "answers": answer_rows(definitions, case.details or {}, files),
        "attachments": attachments,
        "feed": [feed_item(e, case) for e in case.events.select_related("actor")],
        "watchers": [person(w.user) for w in watchers],
        "snapshot": snapshot_rows(case.record_snapshot),
        "requester": person(case.requester),
    }
