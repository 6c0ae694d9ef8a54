from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Training sessions"

    def ready(self):
        # A staff member's own booking pages, and "Book a place" on their record's modules.
        from training import selfservice as record_actions
        from workforce import selfservice

        from .selectors import record_actions as actions

        selfservice.register_page(selfservice.SelfPage("sessions", "Book a place", "courses:my_sessions"))
        selfservice.register_page(selfservice.SelfPage("bookings", "Your bookings", "courses:my_bookings"))
        record_actions.register_module_actions(actions)

        # The booking emails, planned and sent by the reminder engine.
        from notifications import sources

        from .reminders import SOURCE

        sources.register(SOURCE)
        # Due, overdue and expired reminders list the module's next sessions with free places.
        from .selectors import next_sessions_context

        sources.register_context_extension(next_sessions_context)
        # A session's register uploaded as a spreadsheet: an import kind of the import engine.
        from imports import kinds

        from .register_kind import REGISTER

        kinds.register(REGISTER)
