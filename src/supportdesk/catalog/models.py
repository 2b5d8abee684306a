"""The request catalog: which team handles what, per record kind, and the fields each needs.

Canonical names are spelled exactly as in the source routing tables (typos included);
`display_name` may carry a corrected label for people.
"""

from __future__ import annotations

from django.db import models

from supportdesk.records.models import Kind

NO_RECORD = ""  # a request type raised without a record (problem reports)
FROM_CATALOG_FILE_HELP = (
    "Loaded from the catalog file: loadcatalog keeps it in line with the file and retires it "
    "when the file drops it. Rows added by admins are left alone."
)


class RequestType(models.Model):
    kind = models.CharField(
        max_length=30, choices=Kind.choices, blank=True, help_text="Empty: not raised on a record."
    )
    team = models.ForeignKey("people.Team", on_delete=models.PROTECT, related_name="request_types")
    name = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=500, blank=True)
    fields = models.JSONField(default=list, blank=True, help_text="Field schema (see schema.py).")
    approvals = models.JSONField(
        default=list, blank=True, help_text="Approval steps a case of this type needs to close."
    )
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    from_catalog_file = models.BooleanField(default=False, help_text=FROM_CATALOG_FILE_HELP)

    class Meta:
        ordering = ["team__position", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "team", "name"], name="requesttype_unique_kind_team_name"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.display_name or self.name


class SubRequest(models.Model):
    request_type = models.ForeignKey(
        RequestType, on_delete=models.CASCADE, related_name="sub_requests"
    )
    name = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    fields = models.JSONField(default=list, blank=True)
    approvals = models.JSONField(
        default=list, blank=True, help_text="Approval steps, after the request type's own."
    )
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    from_catalog_file = models.BooleanField(default=False, help_text=FROM_CATALOG_FILE_HELP)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["request_type", "name"], name="subrequest_unique_type_name"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.display_name or self.name


class Redirect(models.Model):
    """A department that handles its requests elsewhere, with how to reach it."""

    name = models.CharField(max_length=100, unique=True)
    instructions = models.TextField(help_text="Markdown.")
    url = models.URLField(blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    from_catalog_file = models.BooleanField(default=False, help_text=FROM_CATALOG_FILE_HELP)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


def effective_fields(request_type: RequestType, sub_request: SubRequest | None) -> list[dict]:
    """The request type's fields followed by the sub-request's; a sub-request field wins."""
    fields = {f["name"]: f for f in request_type.fields}
    if sub_request is not None:
        for field in sub_request.fields:
            fields[field["name"]] = field
    return list(fields.values())
