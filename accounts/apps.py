from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Sign-in: single sign-on and the second factor"

    def ready(self):
        from . import receivers  # noqa: F401 - connects the audit log to allauth's signals
