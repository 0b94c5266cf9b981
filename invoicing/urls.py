from django.urls import path

from . import views

app_name = "invoicing"
urlpatterns = [
    path("", views.invoice_list, name="index"),
    path("export.csv", views.export_csv, name="export"),
    path("preview/", views.preview, name="preview"),
    path("generate/", views.generate, name="generate"),
    path("send/", views.send_period, name="send_period"),
    path("selected/", views.selected, name="selected"),
    path("template/", views.invoice_template, name="template"),
    path("template/preview/", views.invoice_template_preview, name="template_preview"),
    path("runs/", views.start_run, name="start_run"),
    path("runs/<int:pk>/", views.run_status, name="run_status"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/credits/", views.add_credit, name="add_credit"),
    path("<int:pk>/payout-lines/", views.add_payout, name="add_payout_line"),
    path("<int:pk>/credits/<int:line_pk>/remove/", views.remove_credit, name="remove_credit"),
    path("<int:pk>/notes/", views.update_notes, name="update_notes"),
    path("<int:pk>/exchange-rate/", views.exchange_rate, name="exchange_rate"),
    path("<int:pk>/delete/", views.delete_draft, name="delete"),
    path("<int:pk>/finalize/", views.finalize, name="finalize"),
    path("<int:pk>/pdf/", views.download_pdf, name="pdf"),
    path("<int:pk>/preview.pdf", views.draft_pdf, name="draft_pdf"),
    path("<int:pk>/xml/", views.download_xml, name="xml"),
    path("<int:pk>/documents/", views.render_documents, name="render_documents"),
    path("<int:pk>/paid/", views.mark_paid, name="mark_paid"),
    path("<int:pk>/unpaid/", views.mark_unpaid, name="mark_unpaid"),
    path("<int:pk>/payments/", views.record_payment, name="record_payment"),
    path("<int:pk>/set-off/", views.set_off, name="set_off"),
    path("<int:pk>/void/", views.void, name="void"),
    path("<int:pk>/reduce/", views.reduce_price, name="reduce_price"),
    path("<int:pk>/send/", views.send, name="send"),
    path("<int:pk>/events.csv", views.events_export, name="events"),
    path("<int:pk>/leads.csv", views.lead_list, name="lead_list"),
    path("deliveries/<int:pk>/cancel/", views.cancel_delivery, name="cancel_delivery"),
]
