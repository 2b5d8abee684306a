"""The form that creates a personal API token (Settings › API tokens)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from supportdesk.people.models import ApiToken

NEVER, ON_DATE = "never", "date"
EXPIRY_CHOICES = [
    (NEVER, "Never"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    (ON_DATE, "On a date…"),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="To recognise it later, e.g. the script or machine that uses it.",
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        help_text="A read token may only read (GET); read and write may also file requests.",
    )
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", label="Expires")
    expires_on = forms.DateField(
        required=False,
        label="Expiry date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="With “On a date…”: the token works until the end of this day.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("expires") == ON_DATE:
            day = data.get("expires_on")
            if day is None:
                self.add_error("expires_on", "Choose the day the token expires.")
            elif day < timezone.localdate():
                self.add_error("expires_on", "Choose today or a later day.")
        return data

    def expires_at(self) -> dt.datetime | None:
        """When the token stops working, from the validated choice (None: never)."""
        choice = self.cleaned_data["expires"]
        if choice == NEVER:
            return None
        if choice == ON_DATE:
            next_day = self.cleaned_data["expires_on"] + dt.timedelta(days=1)
            return timezone.make_aware(dt.datetime.combine(next_day, dt.time.min))
        return timezone.now() + dt.timedelta(days=int(choice))
