from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"

    def ready(self):
        from distribution import invoice_labels
        from entities import settings_warnings

        from .deadlines import billing_day_warning
        from .models import Invoice

        def label_invoices(ids: set[int]) -> dict[int, str]:
            return {invoice.pk: str(invoice) for invoice in Invoice.objects.filter(pk__in=ids)}

        invoice_labels.register(label_invoices)
        settings_warnings.register(billing_day_warning)
