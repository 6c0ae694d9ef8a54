"""Celery tasks of sessions: ids in, one service call."""

from celery import shared_task


@shared_task
def booking_notices_task(*, event, booking_id=None, session_id=None):
    """Plan the emails a booking or session change calls for, now rather than at the next
    morning's planner run (courses.notices)."""
    from . import notices

    notices.notices_plan_now()


@shared_task
def held_places_release_task():
    """Once a day: held places past their date go to the waiting lists (courses.services)."""
    from . import services

    offered = services.held_places_release()
    return sum(len(ids) for ids in offered.values())


@shared_task
def feedback_links_purge_task():
    """Once a day: delete feedback links that expired more than a day ago (courses.feedback_links)."""
    from . import feedback_links

    return feedback_links.feedback_links_purge()
