"""The kinds of notification a user can tune, with their defaults, and how a title reads in an
email subject."""

from __future__ import annotations

import re
from dataclasses import dataclass

from supportdesk.notify.models import Channel


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    always: bool = False  # mentions and "waiting on you": never off, never held for a digest
    default: str = Channel.BOTH


KINDS: tuple[Kind, ...] = (
    Kind("case.created", "Your request was received"),
    Kind("queue.new_case", "New case in your team's queue"),
    Kind("case.owner_changed", "A case gets an owner"),
    Kind("case.status_changed", "Status changes"),
    Kind("case.pending_response", "A case waits on your answer", always=True),
    Kind("case.reminder", "Reminders of a case waiting on your answer", always=True),
    Kind("comment.added", "Comments and internal notes"),
    Kind("case.mentioned", "Mentions", always=True),
    Kind("case.closed", "Your request was closed"),
    Kind("case.reopened", "A case you own was reopened"),
    Kind("case.team_moved", "A case moves to another team"),
    Kind("case.field_changed", "Case details edited"),
    Kind("case.priority_changed", "A case's priority changes"),
    Kind("case.info_answered", "Requesters' answers to the team's requests for details"),
    Kind("watcher.added", "You are added as a watcher"),
    Kind("case.linked", "A case is linked to yours"),
    Kind("approval.requested", "Approvals asked of you", always=True),
    Kind("approval.decided", "Approval decisions"),
    Kind("case.rated", "Ratings of your cases"),
    Kind("case.merged", "A case is merged into another"),
    Kind("sla.warning", "A case nears its SLA target (75 %)"),
    Kind("sla.breached", "A case breached its SLA (leads)", always=True),
)
BY_KEY = {kind.key: kind for kind in KINDS}
ALWAYS_CHANNELS = (Channel.BOTH, Channel.IN_APP, Channel.EMAIL)


def kind_for(key: str) -> Kind:
    """The kind; one nobody registered yet behaves like a plain kind (both channels)."""
    return BY_KEY.get(key) or Kind(key, key.replace(".", " ").replace("_", " ").capitalize())


def channel_choices(kind: Kind) -> list[tuple[str, str]]:
    allowed = ALWAYS_CHANNELS if kind.always else Channel.values
    return [(value, Channel(value).label) for value in allowed]


def effective_channel(kind: Kind, chosen: str | None, *, always: bool = False) -> str:
    """The channel that applies: mentions and "waiting on you" are never off or digested."""
    channel = chosen or kind.default
    if (always or kind.always) and channel not in ALWAYS_CHANNELS:
        return Channel.BOTH
    return channel


_ON_CASE = re.compile(r"\s+(?:on|of|to|for)\s+case\s+\d+", re.IGNORECASE)
_CASE = re.compile(r"\b([Cc])ase\s+\d+\b")


def what_happened(title: str) -> str:
    """A notification title without its case number (the subject names the case already):
    "Dan commented on case 00000012" → "Dan commented"."""
    text = _CASE.sub(lambda m: f"{m.group(1)}ase", _ON_CASE.sub("", title))
    return text.strip() or title
