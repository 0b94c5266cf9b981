"""Invoices in the admin are read-only, for support staff: a finalized invoice is a record
that no one edits (the database refuses it too), and drafts are worked on in the operator UI."""

from django.contrib import admin
from django_scopes import scopes_disabled

from .models import Invoice, InvoiceLine


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ["kind", "description", "quantity", "unit_price", "net_amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return InvoiceLine.objects.with_scopes_disabled().all()


class AcrossTenantsAdmin(admin.ModelAdmin):
    """An admin of tenant data for support staff, who work across tenants: its pages run
    with the tenant scopes off (django-scopes' advice for the admin), as a management
    command does; without it the change page failed on the scoped related managers."""

    def changelist_view(self, request, extra_context=None):
        return _unscoped(super().changelist_view, request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return _unscoped(super().changeform_view, request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        return _unscoped(super().history_view, request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return _unscoped(super().delete_view, request, object_id, extra_context)


def _unscoped(view, *args):
    """The view, and the rendering of its template, with the scopes off."""
    with scopes_disabled():
        response = view(*args)
        if getattr(response, "is_rendered", True) is False:
            response.render()
        return response


@admin.register(Invoice)
class InvoiceAdmin(AcrossTenantsAdmin):
    list_display = ["__str__", "kind", "status", "entity", "partner", "issue_date", "total"]
    list_filter = ["kind", "status"]
    search_fields = ["number"]
    inlines = [InvoiceLineInline]

    def get_queryset(self, request):
        return Invoice.objects.with_scopes_disabled().select_related("entity", "partner")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
