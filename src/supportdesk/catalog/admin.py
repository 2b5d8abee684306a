from django import forms
from django.contrib import admin

from supportdesk.catalog.definitions import CatalogError, validate_field_definitions
from supportdesk.catalog.models import Redirect, RequestType, SubRequest


class FieldSchemaForm(forms.ModelForm):
    """Admins edit field schemas as JSON; the catalog's own rules check them."""

    def clean_fields(self) -> list[dict]:
        inherited = (
            self.instance.request_type.fields
            if isinstance(self.instance, SubRequest) and self.instance.request_type_id
            else ()
        )
        try:
            return validate_field_definitions(
                self.cleaned_data["fields"], where="Fields", inherited=inherited
            )
        except CatalogError as error:
            raise forms.ValidationError(str(error)) from None


class SubRequestInline(admin.TabularInline):
    model = SubRequest
    form = FieldSchemaForm
    extra = 0
    fields = ["name", "display_name", "fields", "position", "is_active"]


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    form = FieldSchemaForm
    list_display = ["name", "kind", "team", "display_name", "is_active", "from_catalog_file"]
    list_filter = ["kind", "team", "is_active", "from_catalog_file"]
    readonly_fields = ["from_catalog_file"]
    list_select_related = ["team"]
    search_fields = ["name", "display_name"]
    inlines = [SubRequestInline]


@admin.register(Redirect)
class RedirectAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "position", "is_active", "from_catalog_file"]
    readonly_fields = ["from_catalog_file"]
