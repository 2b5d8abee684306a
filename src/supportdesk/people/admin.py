from django.contrib import admin

from supportdesk.people.models import ApiToken, ApprovalRole, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "position", "is_active", "from_catalog_file"]
    list_filter = ["is_active", "from_catalog_file"]
    readonly_fields = ["from_catalog_file"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(ApprovalRole)
class ApprovalRoleAdmin(admin.ModelAdmin):
    """Roles come from the catalog (slug, name, description); who holds them is edited here."""

    list_display = ["name", "slug", "description"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug", "name", "description"]
    autocomplete_fields = ["members"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "scope", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "hint"]
    readonly_fields = ["key_hash", "hint", "created_at", "last_used_at"]
