from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("new/", views.create_endpoint, name="create"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/edit/", views.edit_endpoint, name="edit"),
    path("<int:pk>/delete/", views.delete_endpoint, name="delete"),
    path("<int:pk>/test/", views.test_endpoint, name="test"),
    path("deliveries/<int:pk>/resend/", views.resend, name="resend"),
]
