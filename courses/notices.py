"""Plan the booking emails at once (courses.reminders), rather than at the next morning's run."""

from django.utils import timezone


def notices_plan_now(*, now=None):
    from notifications import services

    from .reminders import SOURCE

    now = now or timezone.now()
    return services.reminders_plan(day=timezone.localdate(now), now=now, only=[SOURCE])
