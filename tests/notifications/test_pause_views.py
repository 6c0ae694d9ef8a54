"""The pause page (issue 13 point 9): lead only; one switch; a banner on every page while on;
the emails it holds listed."""

import pytest
from django.urls import reverse

from notifications import services
from notifications.models import ReminderItem, ReminderPause
from tests.notifications.builders import D, hsb101, person, quiet_agency, role_requiring

pytestmark = pytest.mark.django_db

PAUSE = reverse("outbox:pause")


def test_only_a_lead_sees_or_uses_the_switch(client, hr_a, outsider):
    for user in (hr_a, outsider):
        client.force_login(user)
        assert client.get(PAUSE).status_code == 404
        assert client.post(PAUSE, {"paused": "yes"}).status_code == 404
    assert not ReminderPause.objects.exists()


def test_a_lead_pauses_sees_the_banner_and_the_held_emails_then_resumes(client, lead):
    role = role_requiring(hsb101())
    person(quiet_agency(), role)
    client.force_login(lead)
    assert "Reminders paused" not in client.get(reverse("home")).content.decode()

    paused = client.post(PAUSE, {"paused": "yes"}, follow=True)

    assert "Reminders are paused. Nothing is sent until you resume them." in paused.content.decode()
    switch = ReminderPause.objects.get()
    assert (switch.paused, switch.changed_by) == (True, lead)
    assert "No reminder emails are being sent." in client.get(reverse("home")).content.decode()
    services.reminders_plan(day=D(2026, 4, 23), queue=False)
    page = client.get(PAUSE).content.decode()
    assert "Emails held" in page
    assert "asha.patel@example.org" in page
    assert "Resume reminders" in page

    resumed = client.post(PAUSE, {"paused": "no"}, follow=True)

    assert "Reminders are running again" in resumed.content.decode()
    assert "No reminder emails are being sent." not in resumed.content.decode()
    assert not services.reminders_paused()


def test_hr_never_sees_the_banner(client, lead, hr_a):
    services.reminders_pause_set(paused=True, actor=lead)
    client.force_login(hr_a)
    assert "Reminders paused" not in client.get(reverse("home")).content.decode()


def test_the_message_page_says_who_asked_for_a_reminder_now(client, lead):
    role = role_requiring(hsb101())
    asha = person(quiet_agency(), role)
    services.reminders_now_request(staff=[asha], actor=lead, day=D(2026, 4, 23))
    client.force_login(lead)

    message = ReminderItem.objects.get().message
    page = client.get(reverse("outbox:message", kwargs={"pk": message.pk})).content.decode()

    assert "Reminder sent now" in page
    # Stages read as a sentence in the outbox (capitalised), then who asked.
    assert f"Asked for by a lead or HR: {lead.get_full_name() or lead.username}" in page
