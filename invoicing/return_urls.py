from django.urls import path

from . import return_views

app_name = "returns"
urlpatterns = [
    path("", return_views.queue, name="queue"),
    path("decide/", return_views.decide, name="decide"),
]
