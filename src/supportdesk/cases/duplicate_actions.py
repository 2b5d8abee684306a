""" "Add my details to this case instead": a would-be duplicate request becomes a comment on the
open case it duplicates, and its requester a watcher of that case.

`add_details_to_case` is the service (any caller); `add_draft_to_case` turns a wizard draft
into it, checking that the case is one of the draft's possible duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from supportdesk.cases.actions import ActionInvalid, ActionNotAllowed, add_comment
from supportdesk.cases.display.formatting import FileLink, answer_rows, format_date
from supportdesk.cases.duplicates import Candidate, possible_duplicates
from supportdesk.cases.models import (
    Case,
    CaseEvent,
    CaseWatcher,
    Priority,
    RequestDraft,
    Upload,
)
from supportdesk.cases.services import case_subject
from supportdesk.catalog.models import effective_fields
from supportdesk.catalog.schema import AnswersInvalid, clean_answers

Errors = dict[str, list[str]]
EMPTY_ANSWERS = (None, "", [], False)


@dataclass(frozen=True)
class Details:
    """What the new request said, as it goes onto the existing case."""

    request: str  # "Billing / Invoice correction"
    description: str
    facts: Sequence[tuple[str, str]]  # (label, text): answered fields, priority, needed by
    upload_ids: Sequence[str]  # the requester's uploads, attached to the comment
    fields: Sequence[tuple[str, str]] = ()  # (name, label) of each fact, for the event's data

    def body(self) -> str:
        lines = [
            f"**Details from a new request ({self.request})**, added to this case instead of "
            "opening a duplicate:",
            "",
            self.description.strip(),
        ]
        if self.facts:
            lines.append("")
            lines += [f"- **{label}:** {text}" for label, text in self.facts]
        return "\n".join(lines)


@transaction.atomic
def add_details_to_case(
    case: Case, *, user: AbstractBaseUser, details: Details, key: str | None = None
) -> CaseEvent:
    """The details become a comment on `case` (its files attached), the user a watcher (which
    lets them see the case if nothing else did), and a `case.details_added` event records it;
    the owner, requester and watchers are notified of the comment. All or nothing.

    With a `key` (an API idempotency key), the user's earlier event with that key is returned
    instead when there is one (see `details_added_with_key`)."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()
    if key and (earlier := details_added_with_key(case, user=user, key=key)) is not None:
        return earlier
    _, watching = CaseWatcher.objects.get_or_create(
        case=case, user=user, defaults={"added_by": user}
    )
    if watching:
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.WATCHER_ADDED,
            actor=user,
            data={"user": user.get_username(), "reason": "details_added"},
        )
    comment = add_comment(
        case, author=user, body=details.body(), attachment_ids=list(details.upload_ids)
    )
    return CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.DETAILS_ADDED,
        actor=user,
        data={
            "comment": comment.pk,
            "request": details.request,
            "files": len(details.upload_ids),
            "fields": [{"name": name, "label": label} for name, label in details.fields],
        }
        | ({"key": key} if key else {}),
    )


def details_added_with_key(case: Case, *, user: AbstractBaseUser, key: str) -> CaseEvent | None:
    """The user's `case.details_added` event on `case` made with idempotency key `key`."""
    return (
        case.events.filter(kind=CaseEvent.DETAILS_ADDED, actor=user, data__key=key)
        .order_by("pk")
        .first()
    )


def draft_candidates(draft: RequestDraft, user: AbstractBaseUser) -> list[Candidate]:
    """The draft's possible duplicates (none for a linked request: see `cases.duplicates`)."""
    if draft.parent_id is not None or draft.request_type is None or draft.record is None:
        return []
    common = (draft.data or {}).get("common") or {}
    return possible_duplicates(
        user,
        draft.record,
        draft.request_type,
        draft.sub_request,
        case_subject(draft.record, draft.request_type, draft.sub_request),
        common.get("description", ""),
    )


def add_draft_to_case(draft: RequestDraft, user: AbstractBaseUser, number: str) -> Case | Errors:
    """Add the draft's details to the possible duplicate `number`, then delete the draft."""
    target = next((c for c in draft_candidates(draft, user) if c.number == number), None)
    if target is None:
        return {"duplicates": [f"Case {number} is not one of this request's possible duplicates."]}
    details = draft_details(draft)
    if not details.description.strip():
        return {"description": ["Describe what you need."]}
    try:
        with transaction.atomic():
            add_details_to_case(target.case, user=user, details=details)
            draft.delete()
    except (ActionInvalid, ActionNotAllowed) as refused:
        return {"duplicates": [str(refused)]}
    return target.case


def draft_details(draft: RequestDraft) -> Details:
    """The draft's description, answered fields (files by name), priority and needed-by date."""
    from supportdesk.cases.wizard import answers_of, answers_value_list, current_definitions

    definitions = current_definitions(draft)
    names = {d["name"] for d in definitions}
    answers = {n: v for n, v in answers_of(draft).items() if n in names and v not in EMPTY_ANSWERS}
    file_ids = [
        i
        for d in definitions
        if d["type"] == "file"
        for i in answers_value_list(answers.get(d["name"]))
    ]
    named, uploads = _answered(draft.user_id, definitions, answers, file_ids)
    common = (draft.data or {}).get("common") or {}
    if (priority := common.get("priority")) in Priority.values and priority != Priority.MEDIUM:
        named.append(("priority", "Priority asked for", Priority(priority).label))
    if common.get("needed_by"):
        named.append(("needed_by", "Needed by", format_date(common["needed_by"])))
    request = draft.request_type.label + (
        f" / {draft.sub_request.label}" if draft.sub_request else ""
    )
    general = [str(i) for i in draft.uploads.values_list("id", flat=True)]
    return _details(request, common.get("description", ""), named, [*general, *uploads])


def details_from_answers(
    case: Case,
    *,
    user: AbstractBaseUser,
    request: str,
    description: str,
    answers: Mapping[str, Any],
    upload_ids: Sequence[str],
) -> Details:
    """Details given over the API: answers to the case's own fields, checked as a new
    request's are (strictly: a misspelt name is an error), none of them required since they
    add to what the case has. Raises AnswersInvalid, keyed by field name."""
    definitions = [
        definition | {"required": False, "required_if": None}
        for definition in effective_fields(case.request_type, case.sub_request)
    ]
    cleaned = clean_answers(definitions, answers)
    file_fields = [d["name"] for d in definitions if d["type"] == "file"]
    file_ids = [i for name in file_fields for i in cleaned.get(name, [])]
    named, uploads = _answered(user.pk, definitions, cleaned, file_ids)
    missing = {
        name: [f"Upload {i} is not available." for i in cleaned[name] if i not in uploads]
        for name in file_fields
        if not set(cleaned.get(name, [])) <= set(uploads)
    }
    if missing:
        raise AnswersInvalid(missing)
    return _details(request, description, named, [*upload_ids, *uploads])


def _answered(
    owner_id: int, definitions: list[dict], answers: Mapping[str, Any], file_ids: list[str]
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(name, label, text) of each answer, files by name; and the owner's uploads they name."""
    found = Upload.objects.filter(owner_id=owner_id, id__in=file_ids) if file_ids else []
    uploads = {str(u.id): u for u in found}
    rows = answer_rows(definitions, answers, {i: FileLink(u.name) for i, u in uploads.items()})
    named = [
        (r.name, r.label, ", ".join(f.name for f in r.files) if r.files else r.text) for r in rows
    ]
    return named, list(uploads)


def _details(
    request: str, description: str, named: list[tuple[str, str, str]], upload_ids: list[str]
) -> Details:
    return Details(
        request,
        description,
        facts=[(label, text) for _, label, text in named],
        upload_ids=list(dict.fromkeys(upload_ids)),
        fields=[(name, label) for name, label, _ in named],
    )
