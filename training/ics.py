"""A staff member's due and expiry dates as an iCalendar file (RFC 5545), written by hand.

One all-day event per required module that has a date to act on: the due date of a module never
completed, or the expiry of the completion that counts. Each event's UID is built from the person
and the module, so importing a newer file updates the events already in a calendar instead of
adding copies. Nothing here reads the clock or the database: callers pass `now` and the pairs.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.formats import date_format

from .compliance import Status

PRODID = "-//HSB training tracker//Training dates//EN"
CRLF = "\r\n"
MAX_LINE_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    day: datetime.date
    summary: str
    description: str


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    parts, current, size = [], [], 0
    for char in line:
        width = len(char.encode("utf-8"))
        # Continuation lines start with a space, which counts towards their 75 octets.
        limit = MAX_LINE_OCTETS if not parts else MAX_LINE_OCTETS - 1
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def _long(day):
    return date_format(day, "j F Y")


def event_for_pair(*, staff_id, pair, host, record_url):
    """The event for one (person, module) pair, or None when there is no date to act on
    (exempt, or completed training that never expires)."""
    module = pair.module
    name = f"{module.code} {module.title}"
    if pair.status.never_completed:
        day = pair.due_on
        summary = f"HSB training due: {name}"
        description = f"Complete {name} by {_long(day)}."
    elif pair.status in (Status.COMPLIANT, Status.RENEWAL_DUE, Status.EXPIRED) and pair.expires_on:
        day = pair.expires_on
        summary = f"HSB training expires: {name}"
        description = f"Your {module.code} training expires on {_long(day)}. Renew it before then."
    else:
        return None
    description += f"\nOpen your training record: {record_url}"
    return CalendarEvent(
        uid=f"training-{staff_id}-{module.id}@{host}", day=day, summary=summary, description=description
    )


def calendar_events(*, staff_id, pairs, site_url, record_url):
    host = urlsplit(site_url).hostname or "localhost"
    events = [
        event_for_pair(staff_id=staff_id, pair=pair, host=host, record_url=record_url) for pair in pairs
    ]
    return sorted((event for event in events if event is not None), key=lambda event: (event.day, event.uid))


def render_calendar(*, events, now: datetime.datetime, name: str) -> str:
    """The whole file: CRLF line endings, folded lines, DTSTAMP in UTC."""
    stamp = now.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{event.day + datetime.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape_text(event.summary)}",
            f"DESCRIPTION:{escape_text(event.description)}",
            # An all-day reminder, not a meeting: it does not make the person look busy.
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
