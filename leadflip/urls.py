from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="invoicing:index"), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("distribution/invoices/", include("invoicing.urls")),
    path("distribution/", include("distribution.urls")),
    path("partners/", include("partners.urls")),
    path("settings/", include("entities.urls")),
    path("api/v1/", include("leadflip.api_urls", namespace="api")),
    path("partner/", include("portal.urls")),
    path("admin/", admin.site.urls),
]
