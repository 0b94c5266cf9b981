from django.urls import path

from . import views

app_name = "partners"
urlpatterns = [
    path("", views.partner_list, name="list"),
    path("new/", views.partner_create, name="create"),
    path("own-vat-id/check/", views.check_own_vat_id, name="check_own_vat_id"),
    path("<int:pk>/", views.partner_detail, name="detail"),
    path("<int:pk>/edit/", views.partner_edit, name="edit"),
    path("<int:pk>/check-vat-id/", views.check_vat_id_now, name="check_vat_id"),
    path("<int:pk>/agreements/", views.record_agreement, name="record_agreement"),
    path("changes/<int:pk>/approve/", views.approve_change, name="approve_change"),
    path("changes/<int:pk>/reject/", views.reject_change, name="reject_change"),
    path("<int:pk>/portal/invite/", views.invite_portal_user, name="invite"),
    path("portal-users/<int:pk>/toggle/", views.toggle_portal_user, name="toggle_portal_user"),
]
