"""The case page: what a user sees of a case, and the actions offered to them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from supportdesk import fragments
from supportdesk.cases.approvals import approvals_panel
from supportdesk.cases.display.feed import FEED_PAGE_SIZE, feed_html, feed_items, feed_usernames
from supportdesk.cases.display.formatting import (
    AttachmentRow,
    FileLink,
    answer_rows,
    attachment_links,
    day_label,
    minute_label,
    person,
    person_name,
    snapshot_rows,
    user_names,
)
from supportdesk.cases.links import link_panel
from supportdesk.cases.merge import merge_panel
from supportdesk.cases.models import (
    Attachment,
    Case,
    CaseRating,
    Status,
    format_number,
)
from supportdesk.cases.policy import ACTION_LABELS, Action, allowed_actions
from supportdesk.cases.queries import (
    attachments_with_uploaders,
    feed_slice,
    is_case_team_member,
    other_cases_on_record,
    watcher_names,
)
from supportdesk.cases.services import record_snapshot
from supportdesk.catalog.models import effective_fields
from supportdesk.markup import render_markdown
from supportdesk.sla.display import sla_panel, stage_badge
from supportdesk.url_builder import url_for, url_maker

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
    Action.CHANGE_PRIORITY: "cases:priority",
    Action.MOVE: "cases:move",
    Action.MERGE: "cases:merge",
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
        link = ActionLink(action.value, label, url_for(url_name, number), post)
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
    events = feed_slice(user, case, start, start + FEED_PAGE_SIZE + 1)
    has_older, events = len(events) > FEED_PAGE_SIZE, events[:FEED_PAGE_SIZE]
    attachments = attachments_with_uploaders(user, case)
    links = attachment_links(attachments, case.number)
    record = case.record  # with its owner and account (queries.case_for)
    watchers = watcher_names(case)  # plain rows: a third of the time of watcher and user objects
    snapshot = case.record_snapshot or {}
    names = user_names(feed_usernames(events) | {snapshot.get("owner") or ""})
    if record is not None and record.owner is not None:
        names[record.owner.get_username()] = person(record.owner)
    others = _other_cases(user, case)
    allowed = allowed_actions(user, case)
    primary, menu = case_actions(allowed, case.number)
    linked = link_panel(user, case, allowed)  # one query: the parent and children
    member = is_case_team_member(user, case)
    files = {str(pk): link for pk, link in links.items()}
    remove_url = url_maker("cases:attachment_remove", 2)
    context = {
        "case": case,
        "record": record,
        "requester": person(case.requester),
        "description_html": render_markdown(case.description),
        "answers": answer_rows(
            effective_fields(case.request_type, case.sub_request), case.details or {}, files
        ),
        "snapshot": snapshot_rows(snapshot, record_snapshot(record), names) if record else [],
        "snapshot_at": minute_label(case.created_at),  # |date:"j M Y, H:i" costs ~50 µs
        "attachments": [
            _attachment_row(a, links[a.pk], user, member, case.number, remove_url)
            for a in attachments
        ],
        "feed": (feed := feed_items(events, case, attachments, names, links=links)),
        "feed_html": feed_html(feed),
        "feed_page": feed_page,
        "has_older": has_older,
        "seen": max((e.pk for e in events), default=None) if feed_page == 1 else None,
        "watchers": [person_name(first, last, name) for name, first, last in watchers],
        "other_cases": others[:RELATED_CASES],
        "more_other_cases": len(others) > RELATED_CASES,
        "primary_actions": primary + linked.primary,
        "menu_actions": menu + linked.menu,
        "linked": linked,
        "team_member": member,
        "awaiting_requester": case.status == Status.PENDING_RESPONSE
        and user.pk == case.requester_id,
        "can_edit": Action.EDIT in allowed,
        "can_rate": Action.RATE in allowed,
        "rating": rating_of(case),
        "approvals": approvals_panel(case, user),
        "sla": sla_panel(case),
        "merged": merge_panel(user, case),  # one query: the master and merged duplicates
    }
    context["details_key"] = _details_key(case, user, context)
    return context


DETAILS_TEMPLATES = ("cases/case_detail.html", "sla/_case_sla.html")


def _details_key(case: Case, user: AbstractBaseUser, context: dict[str, Any]) -> str | None:
    """The key of the Details card's and the answers' HTML (`{% cached_html %}` in
    case_detail.html): a digest of every value they show, so an edit to any of them is a
    new key. What depends on the viewer is in it too (are they the requester, on the team,
    may they rate). Add here whatever the cached part of the template comes to show."""
    record, rating = context["record"], context["rating"]
    material = (
        tuple(fragments.template_digest(name) for name in DETAILS_TEMPLATES),
        (case.number, case.subject, case.status, case.get_status_display()),
        (case.resolution, case.get_resolution_display(), case.resolution_note),
        (rating.score, rating.comment) if rating else None,
        (context["can_rate"], user.pk == case.requester_id, context["team_member"]),
        (case.owner_display, case.team.name, case.team.queue_name, context["requester"]),
        (case.request_type.label, case.sub_request.label if case.sub_request else None),
        (case.priority, case.get_priority_display(), case.urgent_reason),
        (record.get_absolute_url(), record.name, record.get_kind_display()) if record else None,
        (case.needed_by, case.created_at, case.first_response_at, case.closed_at),
        context["sla"],
        context["watchers"],
        context["description_html"],
        context["answers"],
    )
    return fragments.digest_key("case-details", material)


@dataclass(frozen=True)
class OtherCase:
    """Another case on the record, as the list beside the case shows it."""

    number: str
    url: str
    subject: str
    team: str
    status: str
    status_label: str
    sla: tuple[str, str] | None  # the at-risk / breached badge: (label, css class)


_STATUS_LABELS = dict(Status.choices)


def _other_cases(user: AbstractBaseUser, case: Case) -> list[OtherCase]:
    """Other cases on the case's record that the user may see (one more than are shown)."""
    rows = other_cases_on_record(user, case, RELATED_CASES + 1)  # the rule, in plain SQL
    detail_url = url_maker("cases:detail", 1)
    return [
        OtherCase(
            number := format_number(pk),
            detail_url(number),
            subject,
            team,
            status,
            _STATUS_LABELS.get(status, status),
            stage_badge(stage),
        )
        for pk, subject, status, team, stage in rows
    ]


def _attachment_row(
    attachment: Attachment,
    link: FileLink,
    user: AbstractBaseUser,
    member: bool,
    number: str,
    remove_url: Callable[..., str],  # url_maker("cases:attachment_remove", 2)
) -> AttachmentRow:
    can_remove = member or attachment.uploaded_by_id == user.pk
    return AttachmentRow(
        attachment.pk,
        link,
        attachment.size,
        person(attachment.uploaded_by),
        attachment.created_at,
        day_label(attachment.created_at),
        attachment.event_id,
        can_remove,
        remove_url(number, attachment.pk) if can_remove else "",
    )
