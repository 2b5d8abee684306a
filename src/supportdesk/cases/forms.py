"""Forms of the Request Support wizard that are not built from the catalog's field schemas."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from supportdesk.cases.models import Priority
from supportdesk.cases.services import validate_common


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


def attachment_hint() -> str:
    """What files are accepted, for the help text under every file input."""
    limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
    kinds = ", ".join(settings.ATTACHMENT_EXTENSIONS)
    return f"Up to {limit} MB per file. Accepted: {kinds}."


def accept_attribute() -> str:
    return ",".join(f".{ext}" for ext in settings.ATTACHMENT_EXTENSIONS)
