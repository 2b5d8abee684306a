"""Saved list views of cases, and which cases each user opened lately ("Recently Viewed").

A list view never grants access: it only filters what the viewer may already see
(`cases.queries.cases_visible_to`). Its filters are stored as the same query parameters the
Cases tab and the API take, so a saved view, a bookmark and an API call mean the same thing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Visibility(models.TextChoices):
    PRIVATE = "private", "Only I can see this view"
    TEAMS = "teams", "Members of my team(s) can see this view"
    EVERYONE = "everyone", "Everyone can see this view"


class ListView(models.Model):
    """A saved list of cases: filters, columns and sort, private / team(s) / everyone."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="list_views",
        db_index=False,  # led by the (owner, name) constraint
    )
    name = models.CharField(max_length=100)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    teams = models.ManyToManyField(
        "people.Team",
        blank=True,
        related_name="list_views",
        help_text="Whose members see the view when it is shared with teams.",
    )
    filters = models.JSONField(
        default=dict, blank=True, help_text='Query parameters, e.g. {"status": ["new"]}.'
    )
    columns = models.JSONField(default=list, blank=True, help_text="Column keys, in order.")
    sort = models.CharField(max_length=200, default="-created_at")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="listview_unique_owner_name")
        ]
        indexes = [models.Index(fields=["visibility"], name="listview_visibility")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('cases:mine')}?view={self.pk}"


class RecentView(models.Model):
    """The last time a user opened a case (one row per user and case, upserted)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recent_views",
        db_index=False,  # led by the unique (user, case) constraint and the index below
    )
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="recent_views")
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "case"], name="recentview_unique_user_case")
        ]
        indexes = [models.Index(fields=["user", "-viewed_at"], name="recentview_user_viewed")]

    def __str__(self) -> str:
        return f"{self.user_id} viewed {self.case_id} at {self.viewed_at:%Y-%m-%d %H:%M}"
