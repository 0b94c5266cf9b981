"""Invoices in the admin are read-only, for support staff: a finalized invoice is a record
that no one edits (the database refuses it too), and drafts are worked on in the operator UI."""

from django.contrib import admin

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


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
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
