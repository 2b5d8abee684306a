"""The case feed: each event as a readable item, and @mentions highlighted.

Rendering a page of the feed is most of the case page's cost, so each item's HTML is cached
(`feed_html`) under a digest of the item itself: a `FeedItem` holds everything its HTML shows
(names, file links, the comment's source), so any change that shows — a new name, a removed
file, an edited template — gives a new key, and nothing needs invalidating.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from supportdesk import markup
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
from supportdesk.fragments import render_joined
from supportdesk.markup import render_markdown

if TYPE_CHECKING:
    from supportdesk.cases.queries import FeedEvent

    Event = CaseEvent | FeedEvent  # the case page reads its feed as plain rows (FeedEvent)

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
    """One feed event as people read it: who, what, and the details of what.

    Plain values only (strings, numbers, dates, and dataclasses of those): its HTML is cached
    under a digest of them (`feed_html`); an item holding a model instance is never cached.
    """

    pk: int
    kind: str  # created, status, owner, move, field, comment, file, watcher, rating, other
    actor: str
    text: str
    detail: str
    at: dt.datetime
    internal: bool = False
    body: str | Markdown = ""  # sanitised HTML, or Markdown rendered when shown (comments)
    statuses: tuple[tuple[str, str], tuple[str, str]] | None = None  # (code, label) from, to
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # plain text lines: reasons, resolutions
    files: list[FileLink] = field(default_factory=list)
    link: str = ""  # an anchor in the feed (the question a status change waits on…)
    link_text: str = ""


@dataclass(frozen=True)
class Markdown:
    """A comment's Markdown, rendered (with its @mentions marked) only when a template shows it.

    It holds the source and the names, not the HTML: a cached item is found without rendering.
    """

    source: str
    people: tuple[tuple[str, str], ...] = ()  # username → name of those really mentioned
    teams: tuple[str, ...] = ()  # team handles named

    def __bool__(self) -> bool:
        return bool(self.source)

    def __html__(self) -> SafeString:
        return highlight_mentions(render_markdown(self.source), dict(self.people), self.teams)

    __str__ = __html__


@dataclass(frozen=True)
class FeedContext:
    """What rendering a page of the feed needs besides the events (fetched once per page)."""

    case: Case
    names: Mapping[str, str] = field(default_factory=dict)  # username → display name
    files: Mapping[int, FileLink] = field(default_factory=dict)  # visible files by id
    event_files: Mapping[int, list[FileLink]] = field(default_factory=dict)  # by comment

    def name(self, username: str | None) -> str:
        return self.names.get(username, username) if username else "the queue"


def feed_item(event: Event, context: FeedContext | Case) -> FeedItem:
    if isinstance(context, Case):
        context = FeedContext(context)
    item = FeedItem(event.pk, "other", person(event.actor), "", "", event.created_at)
    item.internal = event.internal
    _BUILDERS.get(event.kind, _other_item)(event, context, item)
    return item


# Each choice's label by value: `Status(value).label if value in Status.values` built the
# list of values and looked the member up for every event.
_STATUSES, _PRIORITIES = dict(Status.choices), dict(Priority.choices)
_RESOLUTIONS = dict(Resolution.choices)


def _label(labels: dict[str, str], value: Any) -> str | None:
    """The label of a choice's value (from event data: maybe not a choice, maybe not a str)."""
    return labels.get(value) if isinstance(value, str) else None


def _status_label(value: Any) -> str:
    return _label(_STATUSES, value) or str(value or "—")


def _created_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    priority = event.data.get("priority", "")
    label = _label(_PRIORITIES, priority) or priority
    item.kind, item.text = "created", "created the case"
    if label and event.data.get("team") == context.case.team_id:
        item.detail = f"Priority {label}, sent to the {context.case.team.queue_name}."
    elif label:
        item.detail = f"Priority {label}."
    if not_duplicate := event.data.get("not_duplicate"):  # cases.duplicates
        numbers = ", ".join(not_duplicate.get("candidates") or [])
        reason = not_duplicate.get("reason", "")
        item.notes.append(f"Submitted despite possible duplicates ({numbers}): {reason}")


def _status_item(event: Event, context: FeedContext, item: FeedItem) -> None:
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
        if label := _label(_RESOLUTIONS, resolution):
            item.notes.append(f"Resolution: {label}")
        if data.get("note"):
            item.notes.append(data["note"])
    elif before == Status.CLOSED:
        item.text = "reopened the case"
        if data.get("unmerged_from"):
            item.notes.append(f"It is no longer a duplicate of case {data['unmerged_from']}.")
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


def _owner_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    before, after = event.data.get("from"), event.data.get("to")
    actor = event.actor.get_username() if event.actor is not None else None
    item.kind = "owner"
    if after == actor:
        item.text = "took ownership" + (f" from {context.name(before)}" if before else "")
    elif before:
        item.text = f"reassigned the case from {context.name(before)} to {context.name(after)}"
    else:
        item.text = f"assigned the case to {context.name(after)}"


def _moved_item(event: Event, context: FeedContext, item: FeedItem) -> None:
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


def _field_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    name = str(event.data.get("field", ""))
    label = event.data.get("label") or humanize_key(name.removeprefix("details."))
    item.kind, item.text = "field", f"changed {label}"
    before, after = (_field_value(name, event.data.get(k)) for k in ("from", "to"))
    item.changes.append(Change("", before, after))  # the text already names the field


def _comment_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    data = event.data
    item.kind = "comment"
    if data.get("question"):
        item.text = "asked the requester for information"
    else:
        item.text = "added an internal note" if event.internal else "commented"
    people = tuple((u, context.name(u)) for u in data.get("mentions") or [])
    item.body = Markdown(data.get("body", ""), people, tuple(data.get("team_handles") or []))
    item.files = list(context.event_files.get(event.pk, []))
    if data.get("question") and data.get("field_labels"):
        item.notes.append("Fields to fill in: " + ", ".join(data["field_labels"]) + ".")
    if handles := data.get("team_handles"):
        listed = ", ".join(f"@{h}" for h in handles)
        item.notes.append(f"{listed}: teams are not notified; messages go to individuals.")


def _info_answered_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    data = event.data
    item.kind, item.text = "field", "filled in the details the team asked for"
    item.notes.append("Filled in: " + (", ".join(data.get("field_labels") or []) or "—") + ".")
    if not data.get("changed"):
        item.notes.append("The answers given before were confirmed; nothing changed.")
    if data.get("comment"):
        item.link, item.link_text = f"event-{data['comment']}", "The comment"


def _file_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    name = event.data.get("name") or "a file"
    item.kind = "file"
    if event.kind == CaseEvent.ATTACHMENT_REMOVED:
        item.text = f"removed the file “{name}”"
        return
    item.text = "added a file"
    link = context.files.get(event.data.get("attachment"))
    item.files.append(link or FileLink(f"{name} (since removed)"))


def _watcher_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    username = event.data.get("user")
    actor = event.actor.get_username() if event.actor is not None else None
    item.kind = "watcher"
    if event.data.get("reason") == "mention":
        item.text = f"mentioned {context.name(username)}, who can now see and follow the case"
    elif event.data.get("reason") == "approval":
        item.text = f"added {context.name(username)} as a watcher, to approve"
    elif event.data.get("reason") == "merged":
        item.text = f"added {context.name(username)} as a watcher, from a merged duplicate"
    elif username == actor:
        item.text = "started watching the case"
    else:
        item.text = f"added {context.name(username)} as a watcher"


def _mention_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    item.kind, item.text = "watcher", f"mentioned {context.name(event.data.get('user'))}"


def _rating_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    item.kind, item.text = "rating", f"rated the case {event.data.get('score', '?')}/5"
    if event.data.get("comment"):
        item.notes.append(event.data["comment"])


def _approval_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    data = event.data
    step = data.get("step_name") or "an approval"
    item.kind = "approval"
    if event.kind == CaseEvent.APPROVAL_REQUESTED:
        names = ", ".join(context.name(u) for u in data.get("approvers") or [])
        item.text = f"asked {names or 'someone'} for {step}"
        if withdrawn := data.get("withdrawn"):
            listed = ", ".join(context.name(u) for u in withdrawn)
            item.notes.append(f"Instead of {listed}, who rejected it.")
        return
    item.text = f"{'approved' if data.get('decision') == 'approved' else 'rejected'} {step}"
    if data.get("note"):
        item.notes.append(data["note"])


def _override_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    what = {"approvals": "missing approvals", "children": "open linked cases"}
    over = " and ".join(what.get(k, k) for k in event.data.get("blockers") or [])
    item.kind, item.text = "override", f"closed the case despite {over or 'what blocked it'}"
    item.notes.extend(event.data.get("messages") or [])
    if event.data.get("reason"):
        item.notes.append(f"Reason: {event.data['reason']}")


def _linked_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    data = event.data
    team, follow_up = data.get("team") or "another team", data.get("follow_up")
    item.kind = "link"
    if child := data.get("child"):
        what = "requested a follow-up" if follow_up else f"asked {team} for help"
        item.text, item.detail = f"{what}: linked case {child}", f"Team: {team}"
    else:
        why = "as a follow-up to" if follow_up else "to ask for help with"
        item.text = f"raised this case {why} linked case {data.get('parent', '?')}"
        item.detail = f"Team: {team}"


def _merged_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    """On the master: what came with the duplicate; on the duplicate: where it went."""
    data = event.data
    item.kind = "merge"
    if data.get("into") != context.case.number:
        item.text = f"merged this case into case {data.get('into', '?')}"
    else:
        item.text = f"merged case {data.get('from', '?')} into this case"
        if names := [context.name(u) for u in data.get("watchers") or []]:
            item.notes.append("New watchers: " + ", ".join(names) + ".")
        if files := data.get("files"):
            item.notes.append("Files copied here: " + ", ".join(files) + ".")
    if data.get("reason"):
        item.notes.append(f"Reason: {data['reason']}")


def _priority_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    data = event.data
    before, after = (_priority_label(data.get(k)) for k in ("from", "to"))
    item.kind, item.text = "field", "changed the priority"
    item.changes.append(Change("Priority", before, after))
    if data.get("reason"):
        item.notes.append(f"Reason: {data['reason']}")
    if data.get("urgent_reason"):
        item.notes.append(f"Urgent justification: {data['urgent_reason']}")


def _priority_label(value: Any) -> str:
    return _label(_PRIORITIES, value) or str(value or "—")


def _details_added_item(event: Event, context: FeedContext, item: FeedItem) -> None:
    item.kind = "other"
    item.text = "added the details of a new request here instead of opening a duplicate case"
    if request := event.data.get("request"):
        item.detail = f"They had asked for {request}; the details are in their comment."
    if labels := [f.get("label") or f.get("name", "") for f in event.data.get("fields") or []]:
        item.notes.append("Details given: " + ", ".join(labels) + ".")


def _other_item(event: Event, context: FeedContext, item: FeedItem) -> None:
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
    CaseEvent.LINKED: _linked_item,
    CaseEvent.APPROVAL_REQUESTED: _approval_item,
    CaseEvent.APPROVAL_DECIDED: _approval_item,
    CaseEvent.CLOSE_OVERRIDE: _override_item,
    CaseEvent.INFO_ANSWERED: _info_answered_item,
    CaseEvent.MERGED: _merged_item,
    CaseEvent.DETAILS_ADDED: _details_added_item,
    CaseEvent.PRIORITY_CHANGED: _priority_item,
}


def feed_usernames(events: Iterable[Event]) -> set[str]:
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
        elif event.kind == CaseEvent.APPROVAL_REQUESTED:
            found.update(str(u) for k in ("approvers", "withdrawn") for u in data.get(k) or [])
        elif event.kind == CaseEvent.MERGED:
            found.update(str(u) for u in data.get("watchers") or [])
    return found


def feed_items(
    events: Sequence[Event],
    case: Case,
    attachments: Iterable[Attachment],
    names: Mapping[str, str],
    *,
    links: Mapping[int, FileLink] | None = None,  # the attachments' links, when made already
) -> list[FeedItem]:
    files: dict[int, FileLink] = {}
    event_files: dict[int, list[FileLink]] = {}
    for attachment in attachments:
        link = links[attachment.pk] if links else attachment_link(attachment, case.number)
        files[attachment.pk] = link
        if attachment.event_id is not None:
            event_files.setdefault(attachment.event_id, []).append(link)
    context = FeedContext(case, names, files, event_files)
    return [feed_item(event, context) for event in events]


# ---- the feed's HTML, cached item by item --------------------------------------------------

FEED_ITEM_TEMPLATE = "cases/_feed_item.html"


def feed_html(items: Sequence[FeedItem], *, anchor_prefix: str = "event-") -> SafeString:
    """The items' `<li>`s, each cached under a digest of the item, and all of them joined
    under a digest of them all: a page read again is one cache lookup (supportdesk.fragments).

    A FeedItem holds plain values only — the names, the file links, a comment's source — so
    a renamed person, a removed file or a moved case makes a new item, hence a new key. The
    template sees the item and nothing else: nothing about who is looking reaches the HTML
    beyond what the item says (an internal note is an item only the team is given).
    """
    return render_joined(
        FEED_ITEM_TEMPLATE, items, name="item", version=_code_version(), anchor_prefix=anchor_prefix
    )


@cache
def _code_version() -> str:
    """The code that renders HTML while the template runs (Markdown bodies and mentions, here
    and in markup.py): a deploy that changes it changes every key, even in a shared cache."""
    digest = hashlib.sha256(markup.RENDERER.encode())
    for module_file in (__file__, markup.__file__):
        digest.update(Path(module_file).read_bytes())
    return digest.hexdigest()[:16]


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
