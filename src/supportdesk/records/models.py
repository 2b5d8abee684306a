"""CRM records (every object kind the seed names) and who may read or edit them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from supportdesk.url_builder import url_for


class Kind(models.TextChoices):
    OPPORTUNITY = "opportunity", "Opportunity"
    CONTACT = "contact", "Contact"
    LEAD = "lead", "Lead"
    CUSTOMER_ACCOUNT = "customer_account", "Customer Account"
    PARTNER_ACCOUNT = "partner_account", "Partner Account"
    DEAL_REGISTRATION = "deal_registration", "Deal Registration"
    LABRA_LEAD = "labra_lead", "Labra Lead"
    LABRA_REFERRAL = "labra_referral", "Labra Referral"
    INFLUENCE_OBJECT = "influence_object", "Influence Object"


ACCOUNT_KINDS = (Kind.CUSTOMER_ACCOUNT, Kind.PARTNER_ACCOUNT)


class Record(models.Model):
    kind = models.CharField(max_length=30, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=64, unique=True, help_text="The CRM's own id.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_records",
        null=True,
        blank=True,
    )
    account = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text="Parent account, for opportunities, contacts, deal registrations…",
    )
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "name"], name="record_kind_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return url_for("records:detail", self.pk)


class RecordShare(models.Model):
    """Read or edit access to a record for one user or every member of a team."""

    class Level(models.TextChoices):
        READ = "read", "Read"
        EDIT = "edit", "Edit"

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="record_shares",
    )
    team = models.ForeignKey(
        "people.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="record_shares"
    )
    level = models.CharField(max_length=4, choices=Level.choices, default=Level.READ)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, team__isnull=True)
                    | models.Q(user__isnull=True, team__isnull=False)
                ),
                name="recordshare_user_xor_team",
            ),
            models.UniqueConstraint(fields=["record", "user"], name="recordshare_unique_user"),
            models.UniqueConstraint(fields=["record", "team"], name="recordshare_unique_team"),
        ]

    def __str__(self) -> str:
        return f"{self.level} on {self.record} for {self.user or self.team}"
