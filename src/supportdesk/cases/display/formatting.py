"""Stored values (answers, record attributes, files, people) as people read them."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.forms import BoundField
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeData
from django.utils.text import capfirst
from django.utils.translation import get_language

from supportdesk.cases.models import (
    Attachment,
    Upload,
)
from supportdesk.cases.uploads import inline_content_type
from supportdesk.records.models import Kind
from supportdesk.url_builder import url_for, url_maker


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
    preview: str = ""  # an inline picture's URL (png, jpg, gif, webp only)


@dataclass(frozen=True)
class AnswerRow:
    """One answered field, ready to show: a label and either text or files."""

    name: str
    label: str
    text: str = ""
    files: list[FileLink] = field(default_factory=list)
    long: bool = False
    link: str = ""


def esc(value: Any) -> str:
    """What `{{ value }}` writes with autoescaping: escaped unless already marked safe (for
    the HTML that the case page and the lists write in Python)."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


def humanize_key(key: str) -> str:
    """`close_date` → `Close date`."""
    return capfirst(key.replace("_", " ").strip()) or key


def format_date(value: Any) -> str:
    """`date_format(value, "j M Y")` (a datetime's own date: no time zone conversion)."""
    if isinstance(value, dt.date):
        return _day_month_year(value)
    try:
        return _day_month_year(dt.date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def day_label(value: dt.datetime | dt.date) -> str:
    """`value|date:"j M Y"` (in the current time zone), written directly: the template filter
    costs ~50 µs a date, and pages list many (attachments, list cells)."""
    aware = isinstance(value, dt.datetime) and timezone.is_aware(value)
    return _day_month_year(timezone.localtime(value) if aware else value)


def minute_label(value: dt.datetime) -> str:
    """`value|date:"j M Y, H:i"` (in the current time zone), written directly (day_label)."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{_day_month_year(local)}, {local.hour:02d}:{local.minute:02d}"


def _day_month_year(value: dt.date) -> str:
    """The date format "j M Y" of the value's own fields (~50 µs less than date_format)."""
    return f"{value.day} {_month_abbreviations()[value.month]} {value.year:04d}"


def _month_abbreviations() -> tuple[str, ...]:
    """The months as the `M` of a date format writes them ("Jan"…), in the active language."""
    language = get_language()
    names = _MONTHS.get(language)
    if names is None:
        names = _MONTHS[language] = ("", *(str(MONTHS_3[m]).title() for m in range(1, 13)))
    return names


_MONTHS: dict[str | None, tuple[str, ...]] = {}


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


def person_name(first: str, last: str, username: str) -> str:
    """`person(user)` from a row's first name, last name and username (no User object)."""
    return f"{first} {last}".strip() or username


def attribute_rows(attributes: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    return [(humanize_key(k), format_attribute(k, v)) for k, v in (attributes or {}).items()]


def user_names(usernames: Iterable[str]) -> dict[str, str]:
    """Display names of the given usernames, in one query (none when there are none)."""
    wanted = sorted({str(u) for u in usernames if u})
    if not wanted:
        return {}
    # `person(user)` from plain rows, in plain SQL: the ORM took longer to build the query
    # than the database to answer it, and User instances would cost twice the time.
    meta, quote = get_user_model()._meta, connection.ops.quote_name
    username, first, last = (quote(meta.get_field(f).column) for f in _NAME_FIELDS)
    sql = (
        f"SELECT {username}, {first}, {last} FROM {quote(meta.db_table)}"  # noqa: S608
        f" WHERE {username} IN ({', '.join(['%s'] * len(wanted))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, wanted)
        rows = cursor.fetchall()
    return {name: person_name(first, last, name) for name, first, last in rows}


_NAME_FIELDS = ("username", "first_name", "last_name")


# ---- the record: as it was at submission, and what changed since --------------------------


@dataclass(frozen=True)
class SnapshotRow:
    label: str
    then: str
    now: str = ""  # the record's current value, only where it differs from `then`


def _record_facts(facts: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, str]:
    """Label → shown value, for a dict shaped like `services.record_snapshot`."""
    kind, owner = facts.get("kind", ""), facts.get("owner")
    shown = {
        "Kind": Kind(kind).label if kind in Kind.values else str(kind or "—"),
        "Name": facts.get("name") or "—",
        "External id": facts.get("external_id") or "—",
        "Owner": names.get(owner, owner) if owner else "—",
    }
    if facts.get("account"):
        shown["Account"] = facts["account"]
    shown.update(attribute_rows(facts.get("attributes")))
    return shown


def snapshot_rows(
    snapshot: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[SnapshotRow]:
    """The record as it was when the case was submitted, each fact with the record's current
    value beside it where that differs (`current` has the snapshot's shape)."""
    if not snapshot:
        return []
    then = _record_facts(snapshot, names or {})
    if current is None:
        return [SnapshotRow(label, value) for label, value in then.items()]
    now = _record_facts(current, names or {})
    rows = []
    for label in [*then, *(label for label in now if label not in then)]:
        before, after = then.get(label, "—"), now.get(label, "—")
        rows.append(SnapshotRow(label, before, after if after != before else ""))
    return rows


# ---- files ---------------------------------------------------------------------------------


def attachment_link(attachment: Attachment, number: str) -> FileLink:
    return _file_link(attachment, url_for("cases:attachment", number, attachment.pk))


def attachment_links(attachments: Iterable[Attachment], number: str) -> dict[int, FileLink]:
    """`attachment_link` of each attachment of the case numbered `number`, by id."""
    url = url_maker("cases:attachment", 2)
    return {a.pk: _file_link(a, url(number, a.pk)) for a in attachments}


def _file_link(attachment: Attachment, url: str) -> FileLink:
    preview = f"{url}?inline=1" if inline_content_type(attachment) else ""
    return FileLink(attachment.name, url, preview)


@dataclass(frozen=True)
class AttachmentRow:
    pk: int
    link: FileLink
    size: int
    added_by: str
    at: dt.datetime
    day: str  # `at` as "j M Y" (day_label)
    event_id: int | None
    can_remove: bool
    remove_url: str = ""  # where the Remove button posts, when it may
