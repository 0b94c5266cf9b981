from django.urls import path

from . import views

app_name = "entities"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("switch-entity/", views.switch_entity, name="switch_entity"),
    path("language/", views.set_language, name="set_language"),
    path("api-keys/new/", views.create_api_key, name="create_api_key"),
    path("api-keys/<int:pk>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path("mail/", views.smtp_settings, name="smtp"),
    path("mail/test/", views.smtp_test, name="smtp_test"),
    path("peppol/", views.access_point_settings, name="access_point"),
]
