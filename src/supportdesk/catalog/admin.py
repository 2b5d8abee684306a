from django.contrib import admin

from supportdesk.catalog.models import Redirect, RequestType, SubRequest


class SubRequestInline(admin.TabularInline):
    model = SubRequest
    extra = 0
    fields = ["name", "display_name", "position", "is_active"]


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "team", "display_name", "is_active"]
    list_filter = ["kind", "team", "is_active"]
    list_select_related = ["team"]
    search_fields = ["name", "display_name"]
    inlines = [SubRequestInline]


@admin.register(Redirect)
class RedirectAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "position", "is_active"]
