from django.contrib import admin

from supportdesk.cases.models import Approval, Attachment, Case, CaseEvent


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "actor", "data", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["name", "size", "content_type", "field_name", "uploaded_by", "created_at"]
    exclude = ["file"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "team", "status", "priority", "owner", "created_at"]
    list_filter = ["status", "priority", "team"]
    list_select_related = ["team", "owner"]
    search_fields = ["subject"]
    raw_id_fields = ["record", "owner", "requester", "request_type", "sub_request"]
    readonly_fields = ["submission_key", "record_snapshot", "version", "created_at"]
    inlines = [AttachmentInline, CaseEventInline]


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    """Read only: approvals are asked for and decided on the case page (a feed event each)."""

    list_display = ["case", "step", "step_name", "approver", "state", "requested_at", "decided_at"]
    list_filter = ["state", "step_name"]
    list_select_related = ["case", "approver"]
    search_fields = ["step_name", "approver__username"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
