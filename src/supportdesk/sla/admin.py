from django.contrib import admin

from supportdesk.sla.models import BusinessHours, Holiday, SlaPolicy


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ["team", "tz", "weekdays", "day_start", "day_end", "pause_statuses"]
    list_select_related = ["team"]
    search_fields = ["team__name"]
    inlines = [HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Targets are business minutes; 1 business day = the team's working day (480 for 9–17)."""

    list_display = ["team", "priority", "first_response_minutes", "resolution_minutes"]
    list_editable = ["first_response_minutes", "resolution_minutes"]
    list_filter = ["team", "priority"]
    list_select_related = ["team"]
