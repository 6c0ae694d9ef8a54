"""Calendar invitations of bookings (iCalendar, RFC 5545/5546), built with the icalendar library.

One stable UID per booking, so a client updates the event it already has: `METHOD:REQUEST` while
the booking holds a place, with `SEQUENCE` raised on every change of the booking or its session
(courses.services keeps `Booking.sequence`); `METHOD:CANCEL` with the same UID once it is
cancelled or the session is. Times are local to the partnership (`TZID=Europe/London`, the
project's TIME_ZONE) with the zone's VTIMEZONE from the year before the first part to the year
after the last, so a client that does not know the zone (Outlook) still shows 09:30 as 09:30 in
summer (BST) and winter (GMT). A session of several parts is one event: the first part, and the
others as RDATE periods (with their TZID given explicitly: icalendar leaves it off a period).
"""

import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from .models import BookingStatus, SessionStatus

PRODID = "-//HSB training tracker//Training sessions//EN"


def booking_uid(booking) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"booking-{booking.pk}@{host}"


def is_withdrawn(booking) -> bool:
    return booking.status == BookingStatus.CANCELLED or booking.session.status == SessionStatus.CANCELLED


def _utc(moment):
    return moment.astimezone(datetime.UTC)


def _zone():
    return timezone.get_default_timezone()


def _local(moment):
    return moment.astimezone(_zone())


def _vtimezone(parts):
    """The zone's transitions around the session only: a few lines rather than 1970 to 2038."""
    first = timezone.localdate(parts[0].starts_at).year - 1
    last = timezone.localdate(parts[-1].ends_at).year + 2
    return Timezone.from_tzid(
        str(_zone()), first_date=datetime.date(first, 1, 1), last_date=datetime.date(last, 1, 1)
    )


def _organiser():
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organiser = vCalAddress(f"mailto:{address or 'hsb-training@localhost'}")
    organiser.params["cn"] = vText(name or "HSB training tracker")
    return organiser


def _description(booking, parts):
    session = booking.session
    lines = [f"{session.module.code} {session.module.title}"]
    if len(parts) > 1:
        lines.append("Parts:")
        lines += [
            f"- {timezone.localtime(p.starts_at):%A %d %B %Y, %H:%M}–{timezone.localtime(p.ends_at):%H:%M}"
            for p in parts
        ]
    if session.venue:
        lines.append(f"Venue: {session.venue}")
    if session.online_link and booking.status == BookingStatus.BOOKED:
        lines.append(f"Join: {session.online_link}")
    if session.notes:
        lines.append(session.notes)
    return "\n".join(lines)


def booking_invitation(booking, *, now=None) -> bytes:
    """The booking's invitation: REQUEST while it holds a place (or waits), CANCEL once withdrawn."""
    now = now or timezone.now()
    session = booking.session
    parts = list(session.parts.order_by("starts_at"))
    withdrawn = is_withdrawn(booking)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if withdrawn else "REQUEST")
    calendar.add_component(_vtimezone(parts))
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", _utc(now))
    event.add("sequence", booking.sequence)
    event.add("dtstart", _local(parts[0].starts_at))
    event.add("dtend", _local(parts[0].ends_at))
    if len(parts) > 1:
        event.add(
            "rdate",
            [(_local(p.starts_at), _local(p.ends_at)) for p in parts[1:]],
            parameters={"VALUE": "PERIOD", "TZID": str(_zone())},
        )
    event.add("summary", f"{session.module.code} {session.module.title}")
    event.add("description", _description(booking, parts))
    event.add("location", session.online_link if session.delivery_mode == "live_online" else session.venue)
    event.add("organizer", _organiser())
    attendee = vCalAddress(f"mailto:{booking.staff.email or 'unknown@invalid'}")
    attendee.params["cn"] = vText(booking.staff.full_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED" if booking.status == BookingStatus.BOOKED else "TENTATIVE")
    event.add("attendee", attendee)
    if withdrawn:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED" if booking.status == BookingStatus.BOOKED else "TENTATIVE")
    calendar.add_component(event)
    return calendar.to_ical()
