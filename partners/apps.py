from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self):
        from . import checks  # noqa: F401  (connects its signal receivers)
