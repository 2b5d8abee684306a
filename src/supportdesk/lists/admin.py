from django.contrib import admin

from supportdesk.lists.models import ListView, RecentView


@admin.register(ListView)
class ListViewAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "visibility", "sort", "updated_at"]
    list_filter = ["visibility"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["teams"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(RecentView)
class RecentViewAdmin(admin.ModelAdmin):
    list_display = ["user", "case", "viewed_at"]
    list_select_related = ["user", "case"]
    raw_id_fields = ["user", "case"]
    search_fields = ["user__username"]
