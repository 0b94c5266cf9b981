from django.urls import path

from . import views

app_name = "distribution"
urlpatterns = [
    path("logs/", views.logs, name="logs"),
    path("logs/import/", views.import_deliveries, name="import_deliveries"),
    path("logs/imports/<int:pk>/", views.import_status, name="import_status"),
    path("profiles/", views.profiles, name="profiles"),
    path("profiles/new/", views.profile_create, name="profile_create"),
    path("profiles/<int:pk>/", views.profile_detail, name="profile_detail"),
    path("profiles/<int:pk>/edit/", views.profile_edit, name="profile_edit"),
    path("profiles/<int:pk>/assign/", views.assignment_create, name="assignment_create"),
    path("assignments/<int:pk>/edit/", views.assignment_edit, name="assignment_edit"),
    path("profiles/<int:pk>/returns/", views.profile_returns, name="profile_returns"),
    path("assignments/<int:pk>/returns/", views.assignment_returns, name="assignment_returns"),
]
