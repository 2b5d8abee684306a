"""The case feed: each event as a readable item, and @mentions highlighted."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from supportdesk.cases.actions import MENTION
from supportdesk.cases.display.formatting import (
    FileLink,
    attachment_link,
    format_date,
    format_scalar,
    humanize_key,
    person,
)
from supportdesk.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Priority,
    Resolution,
    Status,
)
from supportdesk.markup import render_markdown

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
