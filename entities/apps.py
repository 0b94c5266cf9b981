from django.apps import AppConfig


class EntitiesConfig(AppConfig):
    name = "entities"

    def ready(self):
        from . import login_sessions  # noqa: F401  (connects its signal receivers)
