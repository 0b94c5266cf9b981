from django.urls import path

from . import api, openapi

app_name = "api"
urlpatterns = [
    path("openapi.json", openapi.document_view, name="openapi"),
    path("docs", openapi.reference, name="docs"),
    path("deliveries", api.deliveries_endpoint, name="deliveries"),
    path("deliveries/batch", api.deliveries_batch, name="deliveries_batch"),
    path("invoices", api.list_invoices, name="invoices"),
    path("leads", api.lead_source, name="lead_source"),
    path("deliveries/<int:pk>/cancel", api.cancel, name="cancel_delivery"),
    path("returns", api.returns, name="returns"),
]
urlpatterns += [
    path("invoices/<int:pk>/pdf", api.invoice_document, {"kind": "pdf"}, name="invoice_pdf"),
    path("invoices/<int:pk>/xml", api.invoice_document, {"kind": "xml"}, name="invoice_xml"),
]
