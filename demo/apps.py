from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Fictional demo data (`seed_demo`) on the top floor: it builds on every other app."""

    name = "demo"
    verbose_name = "Demo data"
