from __future__ import annotations

from django import forms

from supportdesk.webhooks.events import KINDS


class EndpointForm(forms.Form):
    """An endpoint's URL, event kinds and description (checked by `endpoints.clean`)."""

    url = forms.CharField(
        label="URL", max_length=500, help_text="http:// or https://; it receives signed POSTs."
    )
    event_kinds = forms.MultipleChoiceField(
        label="Events",
        choices=[(key, f"{key} — {label}") for key, label in KINDS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(max_length=200, required=False)
