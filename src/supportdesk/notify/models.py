"""Notifications: in-app rows, each user's preferences, the email outbox and periodic work."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    """Where one kind of notification reaches a user."""

    BOTH = "both", "In-app and email"
    IN_APP = "in_app", "In-app only"
    EMAIL = "email", "Email only"
    DIGEST = "digest", "In-app, and by email in the daily digest"
    OFF = "off", "Off"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # led by the (user, read_at) index
    )
    kind = models.CharField(max_length=40)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_read")]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """A user's channel for one kind of notification; no row = the kind's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        db_index=False,  # led by the unique (user, kind)
    )
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notificationpref_user_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.channel}"


class NotificationSettings(models.Model):
    """A user's daily digest: on or off, the hour and the time zone it is sent in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_settings",
    )
    digest_enabled = models.BooleanField(default=False)
    digest_hour = models.PositiveSmallIntegerField(default=8)
    time_zone = models.CharField(max_length=64, blank=True, help_text="Empty: the site's.")
    last_digest_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notification settings of {self.user_id}"


class Delivery(models.Model):
    """One email to one user: the outbox row, written in the transaction of its cause.

    `key` is its idempotency key: the email's Message-ID is derived from it, so a message sent
    again after a crash is recognisable as the same message.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=40)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    context = models.JSONField(default=dict, blank=True, help_text="What a digest lists.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sending_since = models.DateTimeField(
        null=True, blank=True, help_text="A worker began sending it then (its lease)."
    )
    task_id = models.UUIDField(null=True, blank=True, help_text="The task queued to send it.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.user_id} ({self.state})"


class Schedule(models.Model):
    """When a periodic job runs next. Its row lock lets exactly one task carry the chain on."""

    name = models.CharField(max_length=60, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.next_run_at:%Y-%m-%d %H:%M:%S}"


class CaseReminder(models.Model):
    """A reminder or automatic close done for one Pending Response spell; unique, so two
    workers never remind twice."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder"
        AUTO_CLOSE = "auto_close", "Automatic close"

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    pending_since = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "pending_since"], name="casereminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.case_id}"


class TeamReminderPolicy(models.Model):
    """A team's own Pending Response timing, in business days (0 = never)."""

    team = models.OneToOneField(
        "people.Team", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    remind_after_days = models.PositiveSmallIntegerField(default=2)
    close_after_days = models.PositiveSmallIntegerField(default=7)

    class Meta:
        verbose_name_plural = "team reminder policies"

    def __str__(self) -> str:
        days = (self.remind_after_days, self.close_after_days)
        return f"{self.team}: remind after {days[0]}, close after {days[1]} business days"
