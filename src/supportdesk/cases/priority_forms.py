"""The case page's "Change priority" action: its form and what it runs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from supportdesk.cases.actions import COMMENT_MAX
from supportdesk.cases.display.formatting import FieldView, field_view
from supportdesk.cases.forms import ActionForm
from supportdesk.cases.models import Case, Priority
from supportdesk.cases.priority import URGENT_REASON_MAX, URGENT_REASON_REQUIRED, change_priority


class PriorityForm(ActionForm):
    priority = forms.ChoiceField(
        label="Priority",
        choices=Priority.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a priority."},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The requester and watchers read it in the feed.",
        error_messages={"required": "Say why the priority changes."},
    )
    urgent_reason = forms.CharField(
        label="Urgent justification",
        required=False,
        max_length=URGENT_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The business impact, and the deadline that makes it urgent.",
    )
    submit_label = "Change priority"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["priority"].initial = self.case.priority
        self.fields["urgent_reason"].initial = self.case.urgent_reason
        requested = self.case.requested_priority
        if requested and requested != self.case.priority:
            self.intro = f"The requester asked for {Priority(requested).label}."

    def clean(self) -> dict[str, Any]:
        """Urgent's justification is checked with the other fields, so every error shows at
        once (the service checks it again)."""
        cleaned = super().clean()
        urgent = cleaned.get("priority") == Priority.URGENT
        if urgent and not (cleaned.get("urgent_reason") or "").strip():
            self.add_error("urgent_reason", URGENT_REASON_REQUIRED)
        return cleaned

    def field_views(self) -> list[FieldView]:
        urgent = "Required when Priority is “Urgent”."
        return [
            field_view(bf, note=urgent if bf.name == "urgent_reason" else "")
            for bf in self.visible_fields()
        ]


def run_change_priority(case: Case, user: AbstractBaseUser, form: PriorityForm) -> str:
    data = form.cleaned_data
    case = change_priority(
        case,
        agent=user,
        priority=data["priority"],
        reason=data["reason"],
        urgent_reason=data["urgent_reason"],
        version=form.expected_version,
    )
    return f"Case {case.number} is now {case.get_priority_display()} priority."
