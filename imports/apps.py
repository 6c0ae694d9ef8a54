from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Spreadsheet imports"

    def ready(self):
        # The two kinds this app owns; an app higher up registers its own kinds the same way.
        from . import kinds
        from .kinds.completions import COMPLETION_FILE
        from .kinds.staff import STAFF_LIST

        kinds.register(STAFF_LIST)
        kinds.register(COMPLETION_FILE)

        # The "your staff list is out of date" reminder, planned and sent by the reminder engine.
        from notifications import sources

        from .reminders import StaffListReviews

        sources.register(StaffListReviews())
