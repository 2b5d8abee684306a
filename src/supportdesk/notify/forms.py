"""The notification preferences form: a channel per kind, and the daily digest."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms

from supportdesk.notify.kinds import KINDS, channel_choices
from supportdesk.notify.models import Channel, NotificationSettings


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [("", "The site's time zone"), *((z, z.replace("_", " ")) for z in zones)]


HOURS = [(h, f"{h:02d}:00") for h in range(24)]


def field_name(kind_key: str) -> str:
    return "kind__" + kind_key.replace(".", "__")


class PreferencesForm(forms.Form):
    digest_enabled = forms.BooleanField(
        required=False,
        label="Send me a daily digest",
        help_text="One email a day: your open requests, what waits on you, and new activity.",
    )
    digest_hour = forms.TypedChoiceField(
        choices=HOURS, coerce=int, initial=8, label="At", help_text="In your time zone."
    )
    time_zone = forms.ChoiceField(choices=(), required=False, label="Your time zone")

    def __init__(
        self, *args: Any, chosen: dict[str, str], settings_row: NotificationSettings, **kw: Any
    ):
        kw.setdefault(
            "initial",
            {
                "digest_enabled": settings_row.digest_enabled,
                "digest_hour": settings_row.digest_hour,
                "time_zone": settings_row.time_zone,
            },
        )
        super().__init__(*args, **kw)
        self.fields["time_zone"].choices = time_zone_choices()
        for kind in KINDS:
            self.fields[field_name(kind.key)] = forms.ChoiceField(
                choices=channel_choices(kind),
                initial=chosen.get(kind.key, kind.default),
                label=kind.label,
                help_text="Always reaches you; only the channel is yours to pick."
                if kind.always
                else "",
            )

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[field_name(kind.key)] for kind in KINDS]

    def channels(self) -> dict[str, str]:
        return {kind.key: self.cleaned_data[field_name(kind.key)] for kind in KINDS}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        digested = [k.label for k in KINDS if data.get(field_name(k.key)) == Channel.DIGEST]
        if digested and not data.get("digest_enabled"):
            raise forms.ValidationError(
                "Turn on the daily digest to receive these in it: " + ", ".join(digested) + "."
            )
        return data


class EmailSettingForm(forms.Form):
    """The one-click page behind an email's footer link: this kind's emails, on or off."""

    channel = forms.ChoiceField(choices=Channel.choices)
