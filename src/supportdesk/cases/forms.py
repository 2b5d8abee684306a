"""Forms of the Request Support wizard (those not built from the catalog's field schemas)
and of the case page's actions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import QueryDict
from django.urls import reverse

from supportdesk.cases.actions import COMMENT_MAX
from supportdesk.cases.blockers import close_blockers
from supportdesk.cases.display.formatting import FieldView, field_view, person
from supportdesk.cases.info_requests import ask_field_choices
from supportdesk.cases.models import Case, CaseEvent, Priority, Resolution
from supportdesk.cases.policy import Action, allowed_actions
from supportdesk.cases.services import validate_common
from supportdesk.catalog.models import NO_RECORD, RequestType, SubRequest, effective_fields
from supportdesk.catalog.queries import active_request_types
from supportdesk.catalog.schema import answers_form_class, describe_condition, to_json
from supportdesk.people.models import Membership


class CommonForm(forms.Form):
    """The fields every request has. The rules themselves live in `validate_common`."""

    # Checked on the server: the browser must not block "Previous" on an empty field.
    use_required_attribute = False

    description = forms.CharField(
        label="Description",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Describe what you need."},
        help_text=(
            "What you need, with links to related records, dates, user counts and anything "
            "else the team should know. Markdown is supported."
        ),
    )
    priority = forms.ChoiceField(
        label="Priority",
        choices=Priority.choices,
        initial=Priority.MEDIUM,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a priority."},
        help_text="Urgent is for customer-impacting or business-critical requests only.",
    )
    urgent_reason = forms.CharField(
        label="Urgent justification",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The business impact, and the deadline that makes it urgent.",
    )
    needed_by = forms.DateField(
        label="Needed by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The date you need the outcome by, if there is one.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        errors = validate_common(
            priority=cleaned.get("priority") or "",
            urgent_reason=cleaned.get("urgent_reason") or "",
            description=cleaned.get("description") or "",
            needed_by=cleaned.get("needed_by"),
        )
        for name, messages in errors.items():
            if name not in self.errors:
                self.add_error(name, messages)
        return cleaned


class LinkedCommonForm(CommonForm):
    """A request linked to a case (another team's help, a follow-up) also has a subject,
    filled in from the case it is linked to."""

    field_order = ["subject"]

    subject = forms.CharField(
        label="Subject",
        max_length=300,
        error_messages={"required": "Give the request a subject."},
        help_text="Filled in from the case this request is linked to; change it as you like.",
    )


def attachment_hint() -> str:
    """What files are accepted, for the help text under every file input."""
    limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
    kinds = ", ".join(settings.ATTACHMENT_EXTENSIONS)
    return f"Up to {limit} MB per file. Accepted: {kinds}."


def accept_attribute() -> str:
    return ",".join(f".{ext}" for ext in settings.ATTACHMENT_EXTENSIONS)


# ---- forms of the case page ----------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ActionForm(forms.Form):
    """A form that changes a case. It carries the case version the user saw (a stale one
    answers "this case changed since you opened it") and the newest feed event they saw
    (`seen`, so that answer can list exactly what changed)."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    seen = forms.IntegerField(required=False, widget=forms.HiddenInput)

    submit_label: ClassVar[str] = "Save"
    intro: ClassVar[str] = ""
    # The action's error keys (ActionInvalid.errors) → this form's fields.
    error_fields: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        *,
        case: Case,
        user: AbstractBaseUser,
        seen: int | None = None,
        **kwargs: Any,
    ):
        self.case, self.user = case, user
        initial = {"version": case.version, "seen": seen, **kwargs.pop("initial", {})}
        super().__init__(data, files, initial=initial, **kwargs)

    @property
    def expected_version(self) -> int | None:
        return getattr(self, "cleaned_data", {}).get("version")

    @property
    def seen_event(self) -> int | None:
        return getattr(self, "cleaned_data", {}).get("seen")

    def add_action_errors(self, errors: Mapping[str, list[str]]) -> None:
        """Put an action's field errors on the fields that hold them (the rest on the form)."""
        for key, problems in errors.items():
            name = self.error_fields.get(key, key)
            self.add_error(name if name in self.fields else None, list(problems))

    def field_views(self) -> list[FieldView]:
        return [field_view(bf) for bf in self.visible_fields()]

    def has_errors(self) -> bool:
        return self.is_bound and bool(self.errors)

    def general_errors(self) -> list[str]:
        return list(self.non_field_errors()) if self.is_bound else []

    def error_summary(self) -> list[dict[str, str]]:
        """Every error with its field's label and a link to the field, in page order."""
        if not self.has_errors():
            return []
        items = [
            {"anchor": "action-form", "label": "This form", "message": message}
            for message in self.general_errors()
        ]
        return items + [
            {"anchor": fv.anchor, "label": fv.bf.label, "message": " ".join(fv.bf.errors)}
            for fv in self.field_views()
            if fv.bf.errors
        ]


class TakeForm(ActionForm):
    submit_label = "Take ownership"
    intro = "You become the case's owner and it moves to Work in Progress."


class ResumeForm(ActionForm):
    submit_label = "Resume work"
    intro = "The case goes back to Work in Progress."


class AssignForm(ActionForm):
    assignee = forms.ChoiceField(label="Assign to", help_text="A member of the case's team.")
    submit_label = "Assign"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        members = (
            Membership.objects.filter(team_id=self.case.team_id, user__is_active=True)
            .exclude(user_id=self.case.owner_id)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "user__username")
        )
        self.fields["assignee"].choices = [("", "— choose a team member —")] + [
            (m.user.username, f"{person(m.user)} ({m.get_role_display().lower()})") for m in members
        ]


class AskForm(ActionForm):
    question = forms.CharField(
        label="Your question",
        required=False,  # unless no fields are chosen: the action says so (info_requests)
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The requester is notified and the case waits in Pending Response until "
        "they answer. Markdown is supported.",
    )
    ask_fields = forms.MultipleChoiceField(
        label="Fields for the requester to fill in",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="They get a form with exactly these fields, filled with the current answers. "
        "Required fields not answered yet are ticked. Optional when you ask a question.",
    )
    submit_label = "Ask the requester"
    error_fields = {"fields": "ask_fields"}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices, missing = ask_field_choices(self.case)
        if not choices:
            del self.fields["ask_fields"]
            return
        self.fields["ask_fields"].choices = choices
        self.initial.setdefault("ask_fields", missing)


class HoldForm(ActionForm):
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: what the case is waiting for. The requester sees it.",
    )
    submit_label = "Put on hold"


class CloseForm(ActionForm):
    resolution = forms.ChoiceField(
        label="Resolution",
        choices=Resolution.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the case was resolved."},
    )
    note = forms.CharField(
        label="Resolution note",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was done. The requester reads this.",
        error_messages={"required": "Say what was done: the requester reads this."},
    )
    override = forms.CharField(
        label="Close it anyway because…",
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to close over open approvals or open linked cases; it goes in the feed.",
    )
    submit_label = "Close the case"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        blockers = close_blockers(self.case)
        if blockers:
            self.intro = " ".join(b.message for b in blockers)
        else:
            del self.fields["override"]


class WithdrawForm(ActionForm):
    note = forms.CharField(
        label="Why are you withdrawing it?",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why, so the team knows."},
    )
    submit_label = "Withdraw request"
    intro = "The case closes as withdrawn. You can reopen it for a while if you change your mind."


class ReopenForm(ActionForm):
    reason = forms.CharField(
        label="Why does it need more work?",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the case needs more work."},
    )
    submit_label = "Reopen"
    intro = "The case goes back to Work in Progress with its owner."


class MoveForm(ActionForm):
    choice = forms.ChoiceField(
        label="Team — request type — sub-request",
        help_text="Where the case belongs. It keeps its number and feed; the new team's queue "
        "owns it, and the requester is asked for anything the new type needs.",
        error_messages={"required": "Choose where the case belongs."},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the case belongs elsewhere."},
    )
    submit_label = "Move the case"
    error_fields = {"request_type": "choice", "sub_request": "choice", "team": "choice"}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.targets = move_targets(self.case)
        groups: dict[str, list[tuple[str, str]]] = {}
        for value, (rt, sub) in self.targets.items():
            label = f"{rt.team.name} — {rt.label}" + (f" — {sub.label}" if sub else "")
            groups.setdefault(rt.team.name, []).append((value, label))
        self.fields["choice"].choices = [("", "— choose —"), *groups.items()]

    def clean_choice(self) -> tuple[RequestType, SubRequest | None]:
        return self.targets[self.cleaned_data["choice"]]


def move_targets(case: Case) -> dict[str, tuple[RequestType, SubRequest | None]]:
    """Every (request type, sub-request) the case could move to, for its record's kind."""
    kind = case.record.kind if case.record_id is not None else NO_RECORD
    types = (
        active_request_types(kind=kind, team__is_active=True)
        .select_related("team")
        .order_by("team__position", "team__name", "position", "name")
    )
    targets: dict[str, tuple[RequestType, SubRequest | None]] = {}
    for rt in types:
        for sub in rt.active_subs or [None]:
            if (rt.pk, getattr(sub, "pk", None)) != (case.request_type_id, case.sub_request_id):
                targets[f"{rt.pk}:{sub.pk}" if sub else str(rt.pk)] = (rt, sub)
    return targets


class WatcherForm(ActionForm):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="They are notified and can open the case from then on.",
        error_messages={"required": "Give the username of the person to add."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-mention-plain": ""}),
    )
    submit_label = "Add watcher"
    error_fields = {"user": "username"}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["data-mention-url"] = mention_url(self.case)


def mention_url(case: Case) -> str:
    return reverse("cases:mention_suggest", args=[case.number])


class EditForm(ActionForm):
    """Subject, description and needed-by, plus the answers (not files) of the request type."""

    subject = forms.CharField(label="Subject", max_length=300)
    description = forms.CharField(
        label="Description",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown is supported.",
        error_messages={"required": "Describe what you need."},
    )
    needed_by = forms.DateField(
        label="Needed by", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submit_label = "Save changes"

    def __init__(self, data: Mapping[str, Any] | None = None, *args: Any, **kwargs: Any):
        super().__init__(data, *args, **kwargs)
        case = self.case
        for name in ("subject", "description", "needed_by"):
            self.fields[name].initial = getattr(case, name)
        self.definitions = [
            d for d in effective_fields(case.request_type, case.sub_request) if d["type"] != "file"
        ]
        self.answers = answers_form_class(self.definitions)(
            data, prefix=ANSWERS_PREFIX, initial=dict(case.details or {})
        )

    def is_valid(self) -> bool:
        valid = super().is_valid()
        return self.answers.is_valid() and valid

    def answer_values(self) -> dict[str, Any]:
        """The answers as stored (empty ones clear the answer)."""
        return {
            d["name"]: to_json(self.answers.cleaned_data.get(d["name"])) for d in self.definitions
        }

    def add_action_errors(self, errors: Mapping[str, list[str]]) -> None:
        answers = {
            k.removeprefix("details."): v for k, v in errors.items() if k.startswith("details.")
        }
        for name, problems in answers.items():
            self.answers.add_error(name if name in self.answers.fields else None, list(problems))
        super().add_action_errors({k: v for k, v in errors.items() if not k.startswith("details.")})

    def field_views(self) -> list[FieldView]:
        labels = {d["name"]: d["label"] for d in self.definitions}
        views = super().field_views()
        for definition in self.definitions:
            condition = definition.get("required_if")
            note = f"Required when {describe_condition(condition, labels)}." if condition else ""
            views.append(field_view(self.answers[definition["name"]], note=note))
        return views

    def has_errors(self) -> bool:
        return self.is_bound and bool(self.errors or self.answers.errors)

    @staticmethod
    def take_changes_made_meanwhile(
        data: QueryDict, events: Iterable[CaseEvent], case: Case
    ) -> None:
        """After a conflict: a field someone else changed meanwhile, which the user left as it
        was, takes its new value, so that submitting again does not undo their change."""
        for event in sorted(events, key=lambda e: e.pk):
            name = str(event.data.get("field", "")) if event.kind == CaseEvent.FIELD_CHANGED else ""
            key = name.replace("details.", f"{ANSWERS_PREFIX}-", 1)
            before = event.data.get("from")
            if not key or isinstance(before, bool | list | dict) or key not in data:
                continue
            if _plain_text(data.get(key)) == _plain_text(before):
                if name.startswith("details."):
                    now = (case.details or {}).get(name.removeprefix("details."))
                else:
                    now = getattr(case, name, None)
                data[key] = "" if now is None else str(now)

    def general_errors(self) -> list[str]:
        answers = list(self.answers.non_field_errors()) if self.is_bound else []
        return super().general_errors() + answers


ANSWERS_PREFIX = "details"


def _plain_text(value: Any) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n").strip()


class CommentForm(ActionForm):
    """The composer: a comment (or a team member's internal note) with files. Its inputs,
    with their attributes, are written out in cases/_composer.html."""

    body = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX,
        widget=forms.Textarea,
        error_messages={"required": "Write a comment."},
    )
    internal = forms.BooleanField(
        label="Internal note — only the team sees this",
        required=False,
    )
    files = forms.Field(label="Files", required=False, widget=MultipleFileInput)
    submit_label = "Post"
    error_fields = {"attachments": "files"}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if Action.INTERNAL_NOTE not in allowed_actions(self.user, self.case):
            del self.fields["internal"]


class AttachmentsForm(ActionForm):
    files = forms.Field(label="Files", required=False, widget=MultipleFileInput)
    submit_label = "Upload"
    error_fields = {"attachments": "files"}
