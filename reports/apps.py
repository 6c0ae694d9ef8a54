from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The board report: the partnership's (or one agency's) compliance, targets, trend, groups at
    risk, sessions and action plan on two dated A4 pages, as HTML and PDF. It reads every app below
    (training's engine and snapshots, strategy's action plan), so it lives on the top floor."""

    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        # The monthly board report email to the partnership leads, planned and sent by the
        # reminder engine (reports.reminders).
        from notifications import sources

        from .reminders import SOURCE

        sources.register(SOURCE)
