"""The emails of bookings, planned through the reminder engine (courses.reminders)."""


def notices_plan_now():
    return None
