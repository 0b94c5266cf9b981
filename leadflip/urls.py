from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from entities import views as entity_views
from invoicing import dashboard_views
from invoicing import views as invoicing_views

urlpatterns = [
    path("", dashboard_views.dashboard, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", entity_views.two_factor_verify, name="two_factor_verify"),
    path("password-reset/", entity_views.password_reset, name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        entity_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitation/<str:token>/", entity_views.accept_invitation, name="accept_invitation"),
    path("signup/", entity_views.signup, name="signup"),
    path("signup/confirm/<str:token>/", entity_views.verify_email, name="verify_email"),
    path("signup/confirm-again/", entity_views.resend_verification, name="resend_verification"),
    path("distribution/invoices/", include("invoicing.urls")),
    path("distribution/returns/", include("invoicing.return_urls")),
    path("distribution/", include("distribution.urls")),
    path("partners/", include("partners.urls")),
    path("settings/webhooks/", include("webhooks.urls")),
    path("settings/", include("entities.urls")),
    path("api/v1/", include("leadflip.api_urls", namespace="api")),
    path("partner/", include("portal.urls")),
    path("peppol/webhook/<str:token>/", invoicing_views.peppol_webhook, name="peppol_webhook"),
    path("admin/", admin.site.urls),
]
