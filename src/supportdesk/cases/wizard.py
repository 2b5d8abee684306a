"""The Request Support wizard's state: team → request type → details → review → submit.

Everything typed is kept on the server in the `RequestDraft` (raw, as submitted, so nothing is
lost on Previous, on an error or on a refresh):

    draft.team, draft.request_type, draft.sub_request   the choices so far
    draft.data = {"common": {description, priority, urgent_reason, needed_by},
                  "answers": {field name: raw value; a file field holds upload ids}}
    draft.uploads                                       the general attachments (Upload rows)
    draft.notices                                       messages for the details step

Views call the functions here and only translate HTTP; every rule lives in services/schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.safestring import SafeString

from supportdesk.cases.display.formatting import (
    AnswerRow,
    FieldView,
    FileLink,
    answer_rows,
    field_view,
    format_date,
)
from supportdesk.cases.duplicate_actions import draft_candidates
from supportdesk.cases.duplicates import Candidate, PossibleDuplicates, duplicate_check
from supportdesk.cases.forms import CommonForm, LinkedCommonForm
from supportdesk.cases.models import Case, Priority, RequestDraft, Upload
from supportdesk.cases.priority_rules import Suggestion, suggest_priority
from supportdesk.cases.queries import can_see_case
from supportdesk.cases.services import (
    LinkNotAllowed,
    RecordNotEditable,
    SubmissionInvalid,
    case_subject,
    create_upload,
    keep_uploads,
    submit_case,
    validate_catalog_choice,
)
from supportdesk.catalog.models import NO_RECORD, RequestType, SubRequest, effective_fields
from supportdesk.catalog.queries import (
    active_request_types,
    redirect_rows,  # noqa: F401 (the team step shows them)
)
from supportdesk.catalog.schema import (
    AnswersForm,
    AnswersInvalid,
    answers_form_class,
    clean_answers,
    describe_condition,
)
from supportdesk.markup import render_markdown
from supportdesk.people.models import Team
from supportdesk.records.models import Record
from supportdesk.records.queries import can_edit_record

Errors = dict[str, list[str]]

STEPS = ("team", "type", "details", "review")
STEP_TITLES = {"team": "Team", "type": "Request type", "details": "Details", "review": "Review"}
COMMON_NAMES = ("description", "priority", "urgent_reason", "needed_by")
LABELS = {
    "team": "Team",
    "request_type": "Request type",
    "sub_request": "Sub-request",
    "description": "Description",
    "priority": "Priority",
    "urgent_reason": "Urgent justification",
    "needed_by": "Needed by",
    "attachments": "Attachments",
    "subject": "Subject",
    "parent": "Linked case",
    "duplicates": "Possible duplicates",
    "not_duplicate_reason": "Why this is not a duplicate",
}
ANCHORS = {
    "team": "id_team_0",
    "request_type": "id_choice_0",
    "sub_request": "id_choice_0",
    "priority": "id_priority_0",
    "duplicates": "possible-duplicates",
    "not_duplicate_reason": "id_not_duplicate_reason",
}
STEP_OF = {
    "team": "team",
    "request_type": "type",
    "sub_request": "type",
    "duplicates": "review",
    "not_duplicate_reason": "review",
}
CHOOSE_DUPLICATE = (
    "Open cases look like this request: add your details to one of them, or choose "
    "“Submit anyway” and say why this is not a duplicate."
)
PREFIX = "details"


# ---- the draft ---------------------------------------------------------------------------


def start_draft(user: AbstractBaseUser, record: Record) -> RequestDraft:
    """The user's unsubmitted draft for this record, or a new one; 404 without edit access."""
    if not can_edit_record(user, record):
        raise Http404("No such record.")
    draft = (
        RequestDraft.objects.filter(user=user, record=record, parent=None, case__isnull=True)
        .order_by("-updated_at")
        .first()
    )
    if draft is None:
        suggested = suggest_priority(record, today=timezone.localdate())
        priority = suggested.priority if suggested else Priority.MEDIUM  # theirs to change
        draft = RequestDraft.objects.create(
            user=user, record=record, data={"common": {"priority": priority}, "answers": {}}
        )
    return draft


def draft_for(user: AbstractBaseUser, draft_id: Any) -> RequestDraft:
    """The user's own draft (404 for anyone else's), with what every step shows."""
    return get_object_or_404(
        RequestDraft.objects.select_related(
            "record__owner", "team", "request_type__team", "sub_request", "case", "parent__team"
        ),
        pk=draft_id,
        user=user,
    )


def check_editable(user: AbstractBaseUser, draft: RequestDraft) -> None:
    """Edit access is checked again on every step: losing it mid-wizard answers 404. A linked
    request needs the case it is linked to instead (submit checks it may still be linked)."""
    if draft.parent_id is not None:
        if not can_see_case(user, draft.parent):
            raise Http404("No such case.")
    elif not can_edit_record(user, draft.record):
        raise Http404("No such record.")


def draft_kind(draft: RequestDraft) -> str:
    """The kind of record the request is for (NO_RECORD for a linked one without a record)."""
    return draft.record.kind if draft.record_id is not None else NO_RECORD


def common_form_class(draft: RequestDraft) -> type[CommonForm]:
    return LinkedCommonForm if draft.parent_id is not None else CommonForm


def common_names(draft: RequestDraft) -> tuple[str, ...]:
    return tuple(common_form_class(draft).base_fields)


def step_url(draft: RequestDraft, step: str) -> str:
    return reverse(f"cases:wizard_{step}", args=[draft.pk])


def common_of(draft: RequestDraft) -> dict[str, Any]:
    return dict((draft.data or {}).get("common") or {})


def answers_of(draft: RequestDraft) -> dict[str, Any]:
    return dict((draft.data or {}).get("answers") or {})


def _save_data(draft: RequestDraft, common: Mapping[str, Any], answers: Mapping[str, Any]) -> None:
    draft.data = {"common": dict(common), "answers": dict(answers)}
    draft.save(update_fields=["data", "updated_at"])


def choice_is_complete(draft: RequestDraft) -> bool:
    """Team and request type chosen, and they still fit together and the record."""
    rt = draft.request_type
    if draft.team_id is None or rt is None or rt.team_id != draft.team_id:
        return False
    key = (rt.pk, draft.sub_request_id)
    cached = getattr(draft, "_choice_checked", None)
    if cached is None or cached[0] != key:
        cached = (key, not validate_catalog_choice(draft.record, rt, draft.sub_request))
        draft._choice_checked = cached
    return cached[1]


def missing_step(draft: RequestDraft, step: str) -> str | None:
    """The earlier step that must be done before `step` can be shown, if any."""
    if step in ("type", "details", "review") and draft.team_id is None:
        return "team"
    if step in ("details", "review") and not choice_is_complete(draft):
        return "type"
    return None


def steps_nav(draft: RequestDraft, current: str) -> list[dict[str, Any]]:
    done = {"team": draft.team_id is not None, "type": choice_is_complete(draft)}
    return [
        {
            "key": step,
            "number": i,
            "title": STEP_TITLES[step],
            "current": step == current,
            "done": done.get(step, False) and step != current,
            "url": step_url(draft, step),
        }
        for i, step in enumerate(STEPS, start=1)
    ]


def choice_label(draft: RequestDraft) -> str:
    if draft.request_type is None:
        return ""
    label = draft.request_type.label
    return f"{label} / {draft.sub_request.label}" if draft.sub_request else label


def inline_errors(errors: Errors) -> list[dict[str, str]]:
    """Errors of the team and type steps for the summary at the top of the step."""
    return [
        {
            "anchor": ANCHORS.get(key, f"id_{key}"),
            "label": LABELS.get(key, key),
            "message": " ".join(m),
        }
        for key, m in errors.items()
    ]


# ---- step 1: team ------------------------------------------------------------------------


def teams_for(record: Record | None) -> list[Team]:
    """Active teams with at least one active request type for this kind of record."""
    kind = record.kind if record is not None else NO_RECORD
    return list(
        Team.objects.filter(is_active=True, request_types__kind=kind, request_types__is_active=True)
        .distinct()
        .order_by("position", "name")
    )


def save_team(draft: RequestDraft, raw: str | None, teams: list[Team]) -> Errors:
    """Choose the team. The old request type stays until a new one is chosen, so the answers
    that also apply to the new one survive and the ones that do not can be named."""
    team = next((t for t in teams if str(t.pk) == (raw or "").strip()), None)
    if team is None:
        return {"team": ["Choose the team that should handle your request."]}
    if draft.team_id != team.pk:
        draft.team = team
        draft.save(update_fields=["team", "updated_at"])
    return {}


# ---- step 2: request type ----------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    help: str
    request_type: RequestType
    sub_request: SubRequest | None
    html_id: str = ""


@dataclass(frozen=True)
class ChoiceGroup:
    """A request type with sub-requests (grouped) or a lone request type (not grouped)."""

    heading: str
    help: str
    choices: list[Choice]
    grouped: bool


def type_groups(draft: RequestDraft) -> list[ChoiceGroup]:
    """The team's request types for this kind of record; a type with sub-requests is a group
    whose choices are its sub-requests (value "type:sub"), a type without is one choice."""
    types = active_request_types(team_id=draft.team_id, kind=draft_kind(draft))
    groups, count = [], 0
    for rt in types:
        options = [(f"{rt.pk}:{s.pk}", s.label, "", s) for s in rt.active_subs]
        options = options or [(str(rt.pk), rt.label, rt.description, None)]
        choices = []
        for value, label, help_text, sub in options:
            choices.append(Choice(value, label, help_text, rt, sub, f"id_choice_{count}"))
            count += 1
        if rt.active_subs:
            groups.append(ChoiceGroup(rt.label, rt.description, choices, grouped=True))
        else:
            groups.append(ChoiceGroup("", "", choices, grouped=False))
    return groups


def current_choice(draft: RequestDraft) -> str:
    if draft.request_type_id is None or draft.request_type.team_id != draft.team_id:
        return ""
    if draft.sub_request_id:
        return f"{draft.request_type_id}:{draft.sub_request_id}"
    return str(draft.request_type_id)


def save_type(draft: RequestDraft, raw: str | None, groups: list[ChoiceGroup]) -> Errors:
    choices = {c.value: c for g in groups for c in g.choices}
    choice = choices.get((raw or "").strip())
    if choice is None:
        return {"request_type": ["Choose the request type that fits your request."]}
    rt, sub = choice.request_type, choice.sub_request
    if draft.request_type_id == rt.pk and draft.sub_request_id == (sub.pk if sub else None):
        return {}
    old = effective_fields(draft.request_type, draft.sub_request) if draft.request_type else []
    new_names = {d["name"] for d in effective_fields(rt, sub)}
    labels = {d["name"]: d["label"] for d in old}
    answers = answers_of(draft)
    # In the old form's order: JSON columns (PostgreSQL's jsonb) do not keep key order.
    order = {name: i for i, name in enumerate(labels)}
    gone = sorted(
        (n for n in answers if n not in new_names and _has_value(answers[n])),
        key=lambda n: order.get(n, len(order)),
    )
    new_label = rt.label + (f" / {sub.label}" if sub else "")
    draft.notices = (
        [
            f"These answers no longer apply to {new_label} and were removed: "
            + ", ".join(labels.get(n, n) for n in gone)
            + "."
        ]
        if gone
        else []
    )
    draft.request_type, draft.sub_request = rt, sub
    draft.data = {
        "common": common_of(draft),
        "answers": {n: v for n, v in answers.items() if n in new_names},
    }
    draft.save(update_fields=["request_type", "sub_request", "data", "notices", "updated_at"])
    return {}


def _has_value(value: Any) -> bool:
    return value not in (None, "", [], False)


# ---- step 3: details ---------------------------------------------------------------------


@dataclass
class Details:
    """The details step's forms, bound (after a POST) or filled from the draft (on GET)."""

    definitions: list[dict]
    common_form: CommonForm
    answers_form: AnswersForm
    uploads: list[Upload]
    file_uploads: dict[str, Upload]
    upload_errors: Errors = field(default_factory=dict)  # also added to the fields' errors
    suggestion: Suggestion | None = None  # the priority the record's facts call for

    def is_valid(self) -> bool:
        valid_common = self.common_form.is_valid()
        return self.answers_form.is_valid() and valid_common and not self.upload_errors

    def answer_fields(self) -> list[FieldView]:
        labels = {d["name"]: d["label"] for d in self.definitions}
        views = []
        for definition in self.definitions:
            bf = self.answers_form[definition["name"]]
            condition = definition.get("required_if")
            note = f"Required when {describe_condition(condition, labels)}." if condition else ""
            views.append(field_view(bf, note=note))
            if definition["type"] == "file":
                ids = answers_value_list(bf.value())
                views[-1].uploads = [self.file_uploads[i] for i in ids if i in self.file_uploads]
        return views

    def common_fields(self) -> list[FieldView]:
        notes = {"urgent_reason": "Required when Priority is “Urgent”."}
        if self.suggestion:
            notes["priority"] = f"Suggested: {self.suggestion.label} — {self.suggestion.reason}."
        return [
            field_view(self.common_form[name], note=notes.get(name, ""))
            for name in self.common_form.fields
        ]

    def error_summary(self) -> list[dict[str, str]]:
        """Every error with the field's label and a link to it, in page order."""
        items = [
            {"anchor": fv.anchor, "label": fv.bf.label, "message": " ".join(fv.bf.errors)}
            for fv in [*self.answer_fields(), *self.common_fields()]
            if fv.bf.errors
        ]
        if problems := self.upload_errors.get("attachments"):
            label, message = LABELS["attachments"], " ".join(problems)
            items.append({"anchor": "id_attachments", "label": label, "message": message})
        return items


def answers_value_list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    return [str(v) for v in (value if isinstance(value, list | tuple) else [value])]


def current_definitions(draft: RequestDraft) -> list[dict]:
    if draft.request_type is None:
        return []
    return effective_fields(draft.request_type, draft.sub_request)


def _file_uploads(
    draft: RequestDraft, definitions: list[dict], answers: Mapping[str, Any]
) -> dict[str, Upload]:
    ids = [
        i
        for d in definitions
        if d["type"] == "file"
        for i in answers_value_list(answers.get(d["name"]))
    ]
    if not ids:
        return {}
    return {str(u.id): u for u in Upload.objects.filter(owner_id=draft.user_id, id__in=ids)}


def details_from_draft(draft: RequestDraft) -> Details:
    """The details step as last saved, without errors (GET)."""
    definitions = current_definitions(draft)
    common = {"priority": Priority.MEDIUM, **common_of(draft)}
    answers = answers_of(draft)
    return Details(
        definitions,
        common_form_class(draft)(initial=common),
        _answers_form(definitions, initial=answers),
        list(draft.uploads.order_by("created_at")),
        _file_uploads(draft, definitions, answers),
        suggestion=suggest_priority(draft.record, today=timezone.localdate()),
    )


def save_details(
    draft: RequestDraft, post: QueryDict, files: MultiValueDict, user: AbstractBaseUser
) -> Details:
    """Store everything that was sent, valid or not (new files become Uploads at once)."""
    definitions = current_definitions(draft)
    removed = set(post.getlist("remove_upload"))
    upload_errors: Errors = {}
    kept = [u for u in draft.uploads.order_by("created_at") if str(u.id) not in removed]
    uploads = kept + _store_files(user, files.getlist("attachments"), "attachments", upload_errors)
    draft.uploads.set(uploads)
    answers = answers_of(draft)
    for definition in definitions:
        name, key = definition["name"], f"{PREFIX}-{definition['name']}"
        if definition["type"] == "file":
            ids = [i for i in answers_value_list(answers.get(name)) if i not in removed]
            new = _store_files(user, files.getlist(key), name, upload_errors)
            answers[name] = ids + [str(u.id) for u in new]
        elif definition["type"] == "multi_picklist":
            answers[name] = post.getlist(key)
        else:
            answers[name] = post.get(key, "")
    common = {name: post.get(name, "") for name in common_names(draft)}
    _save_data(draft, common, answers)
    file_ids = [i for d in definitions if d["type"] == "file" for i in answers.get(d["name"], [])]
    keep_uploads(user, [str(u.id) for u in uploads] + file_ids)
    answers_form = _answers_form(definitions, data=_prefixed(answers))
    for name, problems in upload_errors.items():
        if name != "attachments" and answers_form.errors is not None:  # validate, then add
            answers_form.add_error(name, problems)
    return Details(
        definitions,
        common_form_class(draft)(data=common),
        answers_form,
        uploads,
        _file_uploads(draft, definitions, answers),
        upload_errors,
        suggestion=suggest_priority(draft.record, today=timezone.localdate()),
    )


def _answers_form(definitions: list[dict], **kwargs: Any) -> AnswersForm:
    # Required fields are checked on the server (and Previous must work with them empty).
    form_class = answers_form_class(definitions)
    return form_class(prefix=PREFIX, use_required_attribute=False, **kwargs)


def _prefixed(answers: Mapping[str, Any]) -> dict[str, Any]:
    return {f"{PREFIX}-{name}": value for name, value in answers.items()}


def _store_files(user: AbstractBaseUser, files: list, name: str, errors: Errors) -> list[Upload]:
    stored = []
    for file in files:
        try:
            stored.append(create_upload(user, file=file))
        except SubmissionInvalid as invalid:
            errors.setdefault(name, []).extend(invalid.errors.get("file", []))
    return stored


def finish_details(draft: RequestDraft) -> None:
    """The details were accepted: the notices about removed answers have been seen."""
    if draft.notices:
        draft.notices = []
        draft.save(update_fields=["notices", "updated_at"])


# ---- step 4: review and submit -----------------------------------------------------------


@dataclass
class Review:
    rows: list[AnswerRow]
    description_html: SafeString
    priority: str
    urgent_reason: str
    needed_by: str
    attachments: list[Upload]
    errors: list[dict[str, str]]
    duplicates: list[Candidate] = field(default_factory=list)  # cases.duplicates
    reason_error: str = ""  # "Submit anyway" without saying why


def _applicable_answers(draft: RequestDraft, definitions: list[dict]) -> dict[str, Any]:
    names = {d["name"] for d in definitions}
    return {n: v for n, v in answers_of(draft).items() if n in names}


def check_draft(draft: RequestDraft) -> Errors:
    """Everything submit_case would say about the draft, without submitting it."""
    errors = validate_catalog_choice(draft.record, draft.request_type, draft.sub_request)
    form = _common_form(draft)
    if not form.is_valid():
        errors.update({n: list(m) for n, m in form.errors.items()})
    if "request_type" not in errors and "sub_request" not in errors:
        definitions = current_definitions(draft)
        try:
            clean_answers(definitions, _applicable_answers(draft, definitions), strict=False)
        except AnswersInvalid as invalid:
            errors.update({f"details.{n}": m for n, m in invalid.errors.items()})
    return errors


def _common_form(draft: RequestDraft) -> CommonForm:
    """The draft's common fields as a bound form, to validate them."""
    common = common_of(draft)
    return common_form_class(draft)(data={n: common.get(n, "") for n in common_names(draft)})


def review(draft: RequestDraft, errors: Errors | None = None) -> Review:
    definitions = current_definitions(draft)
    answers = _applicable_answers(draft, definitions)
    uploads = _file_uploads(draft, definitions, answers)
    files = {i: FileLink(u.name) for i, u in uploads.items()}
    shown = {n: v for n, v in answers.items() if _has_value(v)}
    common = common_of(draft)
    priority = common.get("priority") or Priority.MEDIUM
    return Review(
        rows=answer_rows(definitions, shown, files),
        description_html=render_markdown(common.get("description", "")),
        priority=Priority(priority).label if priority in Priority.values else priority,
        urgent_reason=common.get("urgent_reason", "") if priority == Priority.URGENT else "",
        needed_by=format_date(common["needed_by"]) if common.get("needed_by") else "",
        attachments=list(draft.uploads.order_by("created_at")),
        errors=error_links(draft, check_draft(draft) if errors is None else errors, definitions),
        duplicates=draft_candidates(draft, draft.user),
        reason_error=" ".join((errors or {}).get("not_duplicate_reason", [])),
    )


def error_links(
    draft: RequestDraft, errors: Errors, definitions: list[dict]
) -> list[dict[str, str]]:
    """Each error with its field's label and a link to the step (and field) that holds it."""
    labels = {d["name"]: d["label"] for d in definitions}
    kinds = {d["name"]: d["type"] for d in definitions}
    links = []
    for key, messages in errors.items():
        if key.startswith("details."):
            name = key.removeprefix("details.")
            suffix = "_0" if kinds.get(name) == "multi_picklist" else ""
            label, anchor = labels.get(name, name), f"id_{PREFIX}-{name}{suffix}"
        else:
            label, anchor = LABELS.get(key, key), ANCHORS.get(key, f"id_{key}")
        step = STEP_OF.get(key, "details")
        links.append(
            {
                "label": label,
                "message": " ".join(messages),
                "url": f"{step_url(draft, step)}#{anchor}",
                "step": STEP_TITLES[step],
            }
        )
    return links


def submit(
    draft: RequestDraft, user: AbstractBaseUser, *, not_duplicate_reason: str | None = None
) -> Case | Errors:
    """Create the case (once: the draft id is the one-time form token) or return the errors.

    While the request has possible duplicates (`cases.duplicates`) it is refused unless
    `not_duplicate_reason` ("Submit anyway") says why it is not one."""
    form = _common_form(draft)
    if not form.is_valid():
        return {n: list(m) for n, m in form.errors.items()}
    definitions = current_definitions(draft) if draft.request_type else []
    check = None
    if draft.parent_id is None and draft.record_id is not None:
        subject = case_subject(draft.record, draft.request_type, draft.sub_request)
        check = duplicate_check(
            user,
            record=draft.record,
            request_type=draft.request_type,
            sub_request=draft.sub_request,
            subject=subject,
            description=form.cleaned_data["description"],
            confirmed=not_duplicate_reason is not None,
            reason=not_duplicate_reason or "",
        )
    try:
        result = submit_case(
            user,
            record=draft.record,
            request_type=draft.request_type,
            sub_request=draft.sub_request,
            priority=form.cleaned_data["priority"],
            urgent_reason=form.cleaned_data["urgent_reason"],
            description=form.cleaned_data["description"],
            needed_by=form.cleaned_data["needed_by"],
            answers=_applicable_answers(draft, definitions),
            attachment_ids=[str(i) for i in draft.uploads.values_list("id", flat=True)],
            subject=form.cleaned_data.get("subject", ""),
            submission_key=str(draft.pk),
            parent=draft.parent,
            before_create=check,
        )
    except SubmissionInvalid as invalid:
        return invalid.errors
    except PossibleDuplicates:
        return {"duplicates": [CHOOSE_DUPLICATE]}
    except LinkNotAllowed as refused:
        return {"parent": [str(refused)]}
    except RecordNotEditable:
        raise Http404("No such record.") from None
    RequestDraft.objects.filter(pk=draft.pk).update(case=result.case)
    draft.case = result.case
    return result.case
