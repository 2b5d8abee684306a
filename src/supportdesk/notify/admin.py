from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from supportdesk.notify.models import Delivery, Schedule, TeamReminderPolicy
from supportdesk.notify.services import retry_deliveries


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "kind", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("key", "user__username", "user__email", "title")
    list_select_related = ("user",)
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send the selected failed emails again")
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = retry_deliveries(queryset.values_list("pk", flat=True))
        messages.success(request, f"Queued {count} email(s) to be sent again.")


@admin.register(TeamReminderPolicy)
class TeamReminderPolicyAdmin(admin.ModelAdmin):
    list_display = ("team", "remind_after_days", "close_after_days")


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "next_run_at", "last_run_at")
    readonly_fields = ("name", "next_run_at", "last_run_at")
