from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "strategy"
    verbose_name = "Workforce strategy"

    def ready(self):
        # The action plan's review reminders, planned and sent by the reminder engine.
        from notifications import sources

        from .reminders import ActionPlanReviews

        sources.register(ActionPlanReviews())
