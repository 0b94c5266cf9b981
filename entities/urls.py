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
    path("team/", views.team_page, name="team"),
    path("team/invite/", views.invite_member, name="invite_member"),
    path("team/<int:pk>/role/", views.change_role, name="change_role"),
    path("team/<int:pk>/remove/", views.remove_member, name="remove_member"),
    path("team/invitations/<int:pk>/revoke/", views.revoke_invitation, name="revoke_invitation"),
    path("security/", views.security_page, name="security"),
    path("security/setup/", views.security_setup, name="security_setup"),
    path("security/sessions/log-out/", views.log_out_session, name="log_out_session"),
    path("security/confirm/", views.security_confirm, name="security_confirm"),
    path("security/recovery-codes/", views.security_recovery_codes, name="recovery_codes"),
    path("security/off/", views.security_turn_off, name="two_factor_off"),
    path("security/require/", views.security_require, name="require_two_factor"),
    path("security/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("entities/", views.entities_page, name="entities"),
    path("entities/<int:pk>/archive/", views.archive_entity, name="archive_entity"),
    path("entities/<int:pk>/restore/", views.restore_entity, name="restore_entity"),
]
