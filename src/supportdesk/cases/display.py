"""Turning stored values (answers, record attributes, the feed) into what people read."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.forms import BoundField
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from supportdesk.cases.actions import MENTION
from supportdesk.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseRating,
    Priority,
    Resolution,
    Status,
    Upload,
)
from supportdesk.cases.policy import ACTION_LABELS, Action, allowed_actions
from supportdesk.cases.queries import (
    attachments_visible_to,
    cases_visible_to,
    feed_for,
    is_case_team_member,
)
from supportdesk.cases.services import record_snapshot
from supportdesk.catalog.models import effective_fields
from supportdesk.markup import render_markdown
from supportdesk.records.models import Kind, Record


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


def user_names(usernames: Iterable[str]) -> dict[str, str]:
    """Display names of the given usernames, in one query (none when there are none)."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    users = get_user_model().objects.filter(username__in=wanted)
    return {u.get_username(): person(u) for u in users.only("username", "first_name", "last_name")}


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

IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}


def image_type(file_name: str) -> str | None:
    """The content type of a picture that may be shown inline (never SVG), by its extension."""
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    return IMAGE_TYPES.get(extension)


def attachment_link(attachment: Attachment, number: str) -> FileLink:
    url = reverse("cases:attachment", args=[number, attachment.pk])
    preview = f"{url}?inline=1" if image_type(attachment.file.name) else ""
    return FileLink(attachment.name, url, preview)


@dataclass(frozen=True)
class AttachmentRow:
    pk: int
    link: FileLink
    size: int
    added_by: str
    at: dt.datetime
    event_id: int | None
    can_remove: bool


# ---- the feed ------------------------------------------------------------------------------

FEED_PAGE_SIZE = 30


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str

    @property
    def long(self) -> bool:
        return max(len(self.before), len(self.after)) > 120


@dataclass
class FeedItem:
    """One feed event as people read it: who, what, and the details of what."""

    pk: int
    kind: str  # created, status, owner, move, field, comment, file, watcher, rating, other
    actor: str
    text: str
    detail: str
    at: dt.datetime
    internal: bool = False
    body: str = ""  # rendered, sanitised Markdown (comments)
    statuses: tuple[tuple[str, str], tuple[str, str]] | None = None  # (code, label) from, to
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # plain text lines: reasons, resolutions
    files: list[FileLink] = field(default_factory=list)
    link: str = ""  # an anchor in the feed (the question a status change waits on…)
    link_text: str = ""


@dataclass(frozen=True)
class FeedContext:
    """What rendering a page of the feed needs besides the events (fetched once per page)."""

    case: Case
    names: Mapping[str, str] = field(default_factory=dict)  # username → display name
    files: Mapping[int, FileLink] = field(default_factory=dict)  # visible files by id
    event_files: Mapping[int, list[FileLink]] = field(default_factory=dict)  # by comment

    def name(self, username: str | None) -> str:
        return self.names.get(username, username) if username else "the queue"


def feed_item(event: CaseEvent, context: FeedContext | Case) -> FeedItem:
    if isinstance(context, Case):
        context = FeedContext(context)
    item = FeedItem(event.pk, "other", person(event.actor), "", "", event.created_at)
    item.internal = event.internal
    _BUILDERS.get(event.kind, _other_item)(event, context, item)
    return item


def _status_label(value: Any) -> str:
    return Status(value).label if value in Status.values else str(value or "—")


def _created_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    priority = event.data.get("priority", "")
    label = Priority(priority).label if priority in Priority.values else priority
    item.kind, item.text = "created", "created the case"
    if label and event.data.get("team") == context.case.team_id:
        item.detail = f"Priority {label}, sent to the {context.case.team.queue_name}."
    elif label:
        item.detail = f"Priority {label}."


def _status_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    data = event.data
    before, after = data.get("from"), data.get("to")
    item.kind = "status"
    item.statuses = ((str(before), _status_label(before)), (str(after), _status_label(after)))
    item.detail = f"{_status_label(before)} → {_status_label(after)}"
    item.text = "changed the status"
    if after == Status.CLOSED:
        resolution = data.get("resolution", "")
        withdrawn = resolution == Resolution.WITHDRAWN
        item.text = "withdrew the request" if withdrawn else "closed the case"
        if resolution in Resolution.values:
            item.notes.append(f"Resolution: {Resolution(resolution).label}")
        if data.get("note"):
            item.notes.append(data["note"])
    elif before == Status.CLOSED:
        item.text = "reopened the case"
    elif data.get("reply") == "details":
        item.text = "added the missing details"
    elif data.get("reply"):
        item.text, item.link, item.link_text = "replied", f"event-{data['reply']}", "The reply"
    elif after == Status.PENDING_RESPONSE and data.get("comment"):
        item.link, item.link_text = f"event-{data['comment']}", "The question"
    elif after == Status.ON_HOLD:
        item.text = "put the case on hold"
    elif after == Status.WORK_IN_PROGRESS and before in (Status.ON_HOLD, Status.PENDING_RESPONSE):
        item.text = "resumed work"
    if data.get("reason"):
        item.notes.append(f"Reason: {data['reason']}")


def _owner_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    before, after = event.data.get("from"), event.data.get("to")
    actor = event.actor.get_username() if event.actor is not None else None
    item.kind = "owner"
    if after == actor:
        item.text = "took ownership" + (f" from {context.name(before)}" if before else "")
    elif before:
        item.text = f"reassigned the case from {context.name(before)} to {context.name(after)}"
    else:
        item.text = f"assigned the case to {context.name(after)}"


def _moved_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    before, after = event.data.get("from") or {}, event.data.get("to") or {}
    item.kind = "move"
    item.text = f"moved the case to {after.get('team') or 'another team'}"
    for key, label in (
        ("team", "Team"),
        ("request_type", "Request type"),
        ("sub_request", "Sub-request"),
    ):
        if before.get(key) != after.get(key):
            item.changes.append(Change(label, before.get(key) or "—", after.get(key) or "—"))
    if event.data.get("reason"):
        item.notes.append(f"Reason: {event.data['reason']}")
    if missing := event.data.get("missing"):
        item.notes.append("The requester was asked for: " + ", ".join(missing) + ".")


def _field_value(name: str, value: Any) -> str:
    if name == "needed_by" and value:
        return format_date(value)
    return format_scalar(value)


def _field_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    name = str(event.data.get("field", ""))
    label = event.data.get("label") or humanize_key(name.removeprefix("details."))
    item.kind, item.text = "field", f"changed {label}"
    before, after = (_field_value(name, event.data.get(k)) for k in ("from", "to"))
    item.changes.append(Change("", before, after))  # the text already names the field


def _comment_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    data = event.data
    item.kind = "comment"
    if data.get("question"):
        item.text = "asked the requester for information"
    else:
        item.text = "added an internal note" if event.internal else "commented"
    people = {u: context.name(u) for u in data.get("mentions") or []}
    item.body = highlight_mentions(
        render_markdown(data.get("body", "")), people, data.get("team_handles") or []
    )
    item.files = list(context.event_files.get(event.pk, []))
    if handles := data.get("team_handles"):
        listed = ", ".join(f"@{h}" for h in handles)
        item.notes.append(f"{listed}: teams are not notified; messages go to individuals.")


def _file_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    name = event.data.get("name") or "a file"
    item.kind = "file"
    if event.kind == CaseEvent.ATTACHMENT_REMOVED:
        item.text = f"removed the file “{name}”"
        return
    item.text = "added a file"
    link = context.files.get(event.data.get("attachment"))
    item.files.append(link or FileLink(f"{name} (since removed)"))


def _watcher_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    username = event.data.get("user")
    actor = event.actor.get_username() if event.actor is not None else None
    item.kind = "watcher"
    if event.data.get("reason") == "mention":
        item.text = f"mentioned {context.name(username)}, who can now see and follow the case"
    elif username == actor:
        item.text = "started watching the case"
    else:
        item.text = f"added {context.name(username)} as a watcher"


def _mention_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    item.kind, item.text = "watcher", f"mentioned {context.name(event.data.get('user'))}"


def _rating_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    item.kind, item.text = "rating", f"rated the case {event.data.get('score', '?')}/5"
    if event.data.get("comment"):
        item.notes.append(event.data["comment"])


def _other_item(event: CaseEvent, context: FeedContext, item: FeedItem) -> None:
    item.text = humanize_key(event.kind.replace(".", " ")).lower()


_BUILDERS = {
    CaseEvent.CREATED: _created_item,
    CaseEvent.STATUS_CHANGED: _status_item,
    CaseEvent.OWNER_CHANGED: _owner_item,
    CaseEvent.TEAM_MOVED: _moved_item,
    CaseEvent.FIELD_CHANGED: _field_item,
    CaseEvent.COMMENTED: _comment_item,
    CaseEvent.ATTACHMENT_ADDED: _file_item,
    CaseEvent.ATTACHMENT_REMOVED: _file_item,
    CaseEvent.WATCHER_ADDED: _watcher_item,
    CaseEvent.MENTIONED: _mention_item,
    "case.rated": _rating_item,
}


def feed_usernames(events: Iterable[CaseEvent]) -> set[str]:
    """The people the events name by username (owners, watchers, mentions)."""
    found: set[str] = set()
    for event in events:
        data = event.data or {}
        if event.kind == CaseEvent.OWNER_CHANGED:
            found.update(str(data[k]) for k in ("from", "to") if data.get(k))
        elif event.kind in (CaseEvent.WATCHER_ADDED, CaseEvent.MENTIONED) and data.get("user"):
            found.add(str(data["user"]))
        elif event.kind == CaseEvent.COMMENTED:
            found.update(str(u) for u in data.get("mentions") or [])
    return found


def feed_items(
    events: list[CaseEvent], case: Case, attachments: Iterable[Attachment], names: Mapping[str, str]
) -> list[FeedItem]:
    files: dict[int, FileLink] = {}
    event_files: dict[int, list[FileLink]] = {}
    for attachment in attachments:
        files[attachment.pk] = link = attachment_link(attachment, case.number)
        if attachment.event_id is not None:
            event_files.setdefault(attachment.event_id, []).append(link)
    context = FeedContext(case, names, files, event_files)
    return [feed_item(event, context) for event in events]


_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"</?([A-Za-z0-9]+)")
_NO_MENTIONS_INSIDE = {"a", "code", "pre"}


def highlight_mentions(html: str, people: Mapping[str, str], teams: Iterable[str]) -> SafeString:
    """Mark the @mentions a comment made (and the team handles it named) in its rendered HTML.

    Only text between tags is touched, never inside links or code; `people` maps the
    usernames that were really mentioned to their names.
    """
    people = {k.lower(): v for k, v in people.items()}
    teams = {t.lower() for t in teams}
    if not people and not teams:
        return mark_safe(html)  # noqa: S308 -- already sanitised Markdown
    out, inside = [], 0
    for part in _TAG.split(html):
        if part.startswith("<"):
            name = _TAG_NAME.match(part)
            if name and name.group(1).lower() in _NO_MENTIONS_INSIDE:
                inside += -1 if part.startswith("</") else 1
            out.append(part)
        elif inside > 0 or "@" not in part:
            out.append(part)
        else:
            out.append(MENTION.sub(lambda m: _mention_html(m, people, teams), part))
    return mark_safe("".join(out))  # noqa: S308 -- sanitised HTML; new markup via format_html


def _mention_html(match: re.Match, people: Mapping[str, str], teams: set[str]) -> str:
    handle = match.group(1)
    if handle.lower() in people:
        return format_html(
            '<span class="mention" title="{}">@{}</span>', people[handle.lower()], handle
        )
    if handle.lower() in teams:
        title = "A team: messages go to individuals, so nobody was notified"
        return format_html(
            '<span class="mention mention--team" title="{}">@{}</span>', title, handle
        )
    return match.group(0)


# ---- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionLink:
    action: str
    label: str
    url: str
    post: bool  # a button that acts at once; otherwise a link to the action's form
    anchor: bool = False  # a plain link to a part of the case page (the rating form)


ACTION_URLS = {
    Action.TAKE: "cases:take",
    Action.RESUME: "cases:resume",
    Action.CLOSE: "cases:close",
    Action.REOPEN: "cases:reopen",
    Action.ASSIGN: "cases:assign",
    Action.ASK: "cases:ask",
    Action.HOLD: "cases:hold",
    Action.MOVE: "cases:move",
    Action.EDIT: "cases:edit",
    Action.ADD_WATCHER: "cases:watch",
    Action.WITHDRAW: "cases:withdraw",
}  # in the order the page offers them
PRIMARY_ACTIONS = (Action.TAKE, Action.RESUME, Action.CLOSE, Action.REOPEN)
IMMEDIATE_ACTIONS = (Action.TAKE, Action.RESUME)


def case_actions(allowed: set[Action], number: str) -> tuple[list[ActionLink], list[ActionLink]]:
    """The buttons (primary) and the menu entries for what the user may do now."""
    primary, menu = [], []
    for action, url_name in ACTION_URLS.items():
        if action not in allowed:
            continue
        post = action in IMMEDIATE_ACTIONS
        label = ACTION_LABELS[action]
        label = label if post or label.endswith("…") else f"{label}…"
        link = ActionLink(action.value, label, reverse(url_name, args=[number]), post)
        (primary if action in PRIMARY_ACTIONS else menu).append(link)
    if Action.RATE in allowed:  # the form is on the page itself: the button only goes there
        rate = ActionLink(Action.RATE.value, ACTION_LABELS[Action.RATE], "#rate", False, True)
        primary.insert(0, rate)
    return primary, menu


# ---- satisfaction --------------------------------------------------------------------------

SCORE_LABELS = {1: "Very poor", 2: "Poor", 3: "OK", 4: "Good", 5: "Excellent"}


def rating_of(case: Case) -> CaseRating | None:
    """The requester's rating of the closed case, if they gave one.

    A reopened case keeps its rating (for the reports) but shows none until it closes again,
    when the requester is asked again. So open cases cost no query.
    """
    if case.status != Status.CLOSED:
        return None
    if Case.rating.is_cached(case):  # loaded with select_related("rating")
        return getattr(case, "rating", None)
    return CaseRating.objects.filter(case_id=case.pk).first()


# ---- the case page -------------------------------------------------------------------------

RELATED_CASES = 10


def case_page(
    case: Case, user: AbstractBaseUser | None = None, *, feed_page: int = 1
) -> dict[str, Any]:
    """Everything the case page shows to `user` (default: the requester), in a fixed number of
    queries however long the feed is: the feed comes a page at a time."""
    user = user or case.requester
    start = (feed_page - 1) * FEED_PAGE_SIZE
    events = list(feed_for(user, case)[start : start + FEED_PAGE_SIZE + 1])
    has_older, events = len(events) > FEED_PAGE_SIZE, events[:FEED_PAGE_SIZE]
    attachments = list(attachments_visible_to(user, case).select_related("uploaded_by"))
    record = (
        Record.objects.select_related("owner", "account").get(pk=case.record_id)
        if case.record_id is not None
        else None
    )
    watchers = case.watcher_links.select_related("user").order_by("created_at", "id")
    snapshot = case.record_snapshot or {}
    names = user_names(feed_usernames(events) | {snapshot.get("owner") or ""})
    if record is not None and record.owner is not None:
        names[record.owner.get_username()] = person(record.owner)
    others = _other_cases(user, case)
    allowed = allowed_actions(user, case)
    primary, menu = case_actions(allowed, case.number)
    member = is_case_team_member(user, case)
    files = {str(a.pk): attachment_link(a, case.number) for a in attachments}
    return {
        "case": case,
        "record": record,
        "requester": person(case.requester),
        "description_html": render_markdown(case.description),
        "answers": answer_rows(
            effective_fields(case.request_type, case.sub_request), case.details or {}, files
        ),
        "snapshot": snapshot_rows(snapshot, record_snapshot(record), names) if record else [],
        "attachments": [_attachment_row(a, case, user, member) for a in attachments],
        "feed": feed_items(events, case, attachments, names),
        "feed_page": feed_page,
        "has_older": has_older,
        "seen": max((e.pk for e in events), default=None) if feed_page == 1 else None,
        "watchers": [person(w.user) for w in watchers],
        "other_cases": others[:RELATED_CASES],
        "more_other_cases": len(others) > RELATED_CASES,
        "primary_actions": primary,
        "menu_actions": menu,
        "team_member": member,
        "awaiting_requester": case.status == Status.PENDING_RESPONSE
        and user.pk == case.requester_id,
        "can_edit": Action.EDIT in allowed,
        "can_rate": Action.RATE in allowed,
        "rating": rating_of(case),
    }


def _other_cases(user: AbstractBaseUser, case: Case) -> list[Case]:
    """Other cases on the case's record that the user may see (one more than are shown)."""
    if case.record_id is None:
        return []
    return list(
        cases_visible_to(user)
        .filter(record_id=case.record_id)
        .exclude(pk=case.pk)
        .select_related("team")
        .order_by("-created_at", "-id")[: RELATED_CASES + 1]
    )


def _attachment_row(
    attachment: Attachment, case: Case, user: AbstractBaseUser, member: bool
) -> AttachmentRow:
    return AttachmentRow(
        attachment.pk,
        attachment_link(attachment, case.number),
        attachment.size,
        person(attachment.uploaded_by),
        attachment.created_at,
        attachment.event_id,
        member or attachment.uploaded_by_id == user.pk,
    )
