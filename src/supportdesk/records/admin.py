from django.contrib import admin

from supportdesk.records.models import Record, RecordShare


class RecordShareInline(admin.TabularInline):
    model = RecordShare
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "external_id", "owner", "account"]
    list_filter = ["kind"]
    list_select_related = ["owner", "account"]
    search_fields = ["name", "external_id"]
    autocomplete_fields = ["owner", "account"]
    inlines = [RecordShareInline]
