from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("reset/", views.reset_request, name="reset"),
    path("set-password/<uidb64>/<token>/", views.set_password, name="set_password"),
    path("", views.dashboard, name="dashboard"),
    path("leads/", views.leads, name="leads"),
    path("leads.csv", views.leads_csv, name="leads_csv"),
    path("invoices/", views.invoices, name="invoices"),
    path("returns/", views.returns, name="returns"),
    path("invoices/<int:pk>/pdf/", views.invoice_document, {"kind": "pdf"}, name="invoice_pdf"),
    path("invoices/<int:pk>/xml/", views.invoice_document, {"kind": "xml"}, name="invoice_xml"),
    path("profile/", views.profile, name="profile"),
    path("self-billing-terms/", views.accept_terms, name="accept_terms"),
]
