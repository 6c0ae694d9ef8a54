from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        # The engine's own reminder sources; an app higher up registers its own the same way.
        from . import sources
        from .sources.compliance import ComplianceReminders
        from .sources.digests import Digests
        from .sources.now import RemindersNow
        from .sources.verification import VerificationReviews

        sources.register(ComplianceReminders())
        sources.register(Digests())
        sources.register(VerificationReviews())
        sources.register(RemindersNow())
