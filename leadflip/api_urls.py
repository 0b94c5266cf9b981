from django.urls import path

from . import api

app_name = "api"
urlpatterns = [
    path("deliveries", api.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/cancel", api.cancel, name="cancel_delivery"),
]
