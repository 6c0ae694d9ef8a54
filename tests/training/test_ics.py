"""The calendar file of a staff member's due and expiry dates: valid RFC 5545 (parsed back with the
icalendar library), CRLF line endings, folded long lines, escaped text, all-day events with UIDs
that stay the same from one download to the next."""

import datetime

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.training.records_fixtures import sign_in
from training import ics
from training.compliance import add_months
from training.models import CompletionSource
from training.services import completion_record

NOW = datetime.datetime(2026, 3, 4, 9, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("Plain", "Plain"),
        ("a, b; c", "a\\, b\\; c"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines\r\nthree", "two\\nlines\\nthree"),
    ],
)
def test_text_is_escaped(text, escaped):
    assert ics.escape_text(text) == escaped


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    line = "SUMMARY:" + "é" * 100
    folded = ics.fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(part.removeprefix(" ") if i else part for i, part in enumerate(parts)) == line


def test_a_calendar_parses_back_with_every_event():
    events = [
        ics.CalendarEvent(
            "a@example.org", datetime.date(2026, 4, 5), "Due: HSB-101, part 1; intro", "Line one\nURL"
        ),
        ics.CalendarEvent("b@example.org", datetime.date(2029, 2, 28), "Expires: HSB-204", "x" * 200),
    ]
    text = ics.render_calendar(events=events, now=NOW, name="HSB training – Agency A")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["X-WR-CALNAME"]) == "HSB training – Agency A"
    parsed = calendar.walk("VEVENT")
    assert [str(event["UID"]) for event in parsed] == ["a@example.org", "b@example.org"]
    first = parsed[0]
    assert str(first["SUMMARY"]) == "Due: HSB-101, part 1; intro"
    assert str(first["DESCRIPTION"]) == "Line one\nURL"
    assert first.decoded("DTSTART") == datetime.date(2026, 4, 5)
    assert first.decoded("DTEND") == datetime.date(2026, 4, 6)
    assert first.decoded("DTSTAMP") == NOW
    assert str(parsed[1]["DESCRIPTION"]) == "x" * 200


@pytest.mark.django_db
class TestDownload:
    def test_one_event_per_module_with_a_due_or_expiry_date(self, client, staff_a, settings):
        today = timezone.localdate()
        role = staff_a.job_role
        never_done = factories.ModuleFactory(code="HSB-201", title="Traffic light tool, level 2")
        done = factories.ModuleFactory(code="HSB-204", title="DSL briefing", validity_months=24)
        forever = factories.ModuleFactory(code="HSB-102", title="Local pathway", validity_months=None)
        exempt = factories.ModuleFactory(code="HSB-301", title="Assessment")
        for module in (never_done, done, forever, exempt):
            factories.RequirementFactory(job_role=role, module=module, starts_on=datetime.date(2020, 1, 1))
        completed_on = today - datetime.timedelta(days=30)
        for module in (done, forever):
            completion_record(
                staff=staff_a, module=module, completed_on=completed_on, source=CompletionSource.MANUAL
            )
        factories.ExemptionFactory(staff=staff_a, module=exempt, starts_on=today - datetime.timedelta(days=5))

        sign_in(client, staff_a)
        response = client.get(reverse("records:my_calendar", kwargs={"pk": staff_a.pk}))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="hsb-training-agency-a.ics"'
        calendar = icalendar.Calendar.from_ical(response.content)
        events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
        assert set(events) == {
            "HSB training due: HSB-201 Traffic light tool, level 2",
            "HSB training expires: HSB-204 DSL briefing",
        }
        due = events["HSB training due: HSB-201 Traffic light tool, level 2"]
        assert due.decoded("DTSTART") == datetime.date(2020, 4, 5)
        expires = events["HSB training expires: HSB-204 DSL briefing"]
        assert expires.decoded("DTSTART") == add_months(completed_on, 24)
        assert f"{settings.SITE_URL}/my/" in str(expires["DESCRIPTION"])

        again = icalendar.Calendar.from_ical(
            client.get(reverse("records:my_calendar", kwargs={"pk": staff_a.pk})).content
        )
        assert sorted(str(e["UID"]) for e in again.walk("VEVENT")) == sorted(
            str(e["UID"]) for e in events.values()
        ), "the same events keep the same UIDs"
