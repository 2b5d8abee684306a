"""Business hours, holidays and SLA policies per team, edited by ops admins in the admin."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from supportdesk.cases.models import Priority, Status
from supportdesk.people.models import Team
from supportdesk.sla import defaults
from supportdesk.sla.business_time import MIDNIGHT, BusinessCalendar

WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise ValidationError(f"Unknown time zone {value!r} (use an IANA name).") from err


def validate_weekdays(value: object) -> None:
    ok = isinstance(value, list) and value and all(_is_weekday(d) for d in value)
    if not ok or len(set(value)) != len(value):
        raise ValidationError("Working days: a list of distinct numbers 0 (Mon) to 6 (Sun).")


def _is_weekday(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6


def validate_pause_statuses(value: object) -> None:
    if not isinstance(value, list) or not set(value) <= {s.value for s in Status}:
        raise ValidationError(f"Pause statuses: a list of {', '.join(Status.values)}.")
    if Status.CLOSED in value:
        raise ValidationError("A closed case has no clock to pause.")


class BusinessHours(models.Model):
    """When a team works. Teams without a row use the defaults (Mon–Fri 09:00–17:00)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="business_hours")
    tz = models.CharField(
        "time zone",
        max_length=64,
        default=defaults.default_time_zone,
        validators=[validate_time_zone],
    )
    weekdays = models.JSONField(
        default=defaults.default_weekdays,
        validators=[validate_weekdays],
        help_text="Working days as numbers: 0 = Monday … 6 = Sunday.",
    )
    day_start = models.TimeField(default=defaults.DEFAULT_DAY_START)
    day_end = models.TimeField(
        default=defaults.DEFAULT_DAY_END, help_text="00:00 means midnight at the end of the day."
    )
    pause_statuses = models.JSONField(
        default=defaults.default_pause_statuses,
        blank=True,
        validators=[validate_pause_statuses],
        help_text="Statuses in which the resolution clock pauses.",
    )

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        days = ", ".join(WEEKDAY_NAMES[d] for d in sorted(self.weekdays or []))
        return f"{self.team}: {days} {self.day_start:%H:%M}–{self.day_end:%H:%M} {self.tz}"

    def clean(self) -> None:
        if self.day_end != MIDNIGHT and self.day_end <= self.day_start:
            raise ValidationError({"day_end": "The working day must end after it starts."})

    def calendar(self) -> BusinessCalendar:
        holidays = self.holidays.all() if self.pk else []
        return BusinessCalendar(
            tz=self.tz,
            weekdays=frozenset(self.weekdays),
            start=self.day_start,
            end=self.day_end,
            holidays=frozenset(holiday.date for holiday in holidays),
        )


class Holiday(models.Model):
    business_hours = models.ForeignKey(
        BusinessHours, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(help_text="A local date in the team's time zone.")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_hours", "date"], name="sla_holiday_once_per_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class SlaPolicy(models.Model):
    """Targets of one team × priority in business minutes (1 business day = the length of
    the team's working day, 480 minutes for 09:00–17:00)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="sla_policies")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    resolution_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        ordering = ["team", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["team", "priority"], name="sla_policy_per_priority"),
            models.CheckConstraint(
                condition=models.Q(first_response_minutes__gte=1, resolution_minutes__gte=1),
                name="sla_policy_targets_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.get_priority_display()}"


class CasePause(models.Model):
    """A stretch during which a case's resolution clock stood still: a pause status of its
    team (Pending Response, On Hold by default) or the time it was closed before a reopen.
    `ended_at` is empty while the pause lasts."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="sla_pauses", db_index=False
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["case", "started_at"], name="sla_pause_case")]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(ended_at__isnull=True),
                name="sla_one_open_pause_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} paused {self.started_at:%Y-%m-%d %H:%M} ({self.status})"
