"""Erasure on request: a lead anonymises one person at once with a reason; every figure stays."""

import datetime

import pytest
from django.test import TestCase
from django.urls import reverse

from audit import actions
from audit.models import AuditEvent
from courses.models import Booking
from courses.services import booking_cancel, booking_create
from notifications import services
from notifications.models import ReminderMessage
from privacy.models import Anonymisation
from training.models import ComplianceSnapshot
from training.selectors.report import build_report
from workforce.models import StaffMember

from .conftest import TODAY, message_with_item, upcoming_session

pytestmark = pytest.mark.django_db

DATES = [datetime.date(2016, 1, 1), datetime.date(2025, 6, 1), TODAY]


def erase_url(person):
    return reverse("privacy:staff_erase", kwargs={"pk": person.pk})


def counts():
    return (
        {day: build_report(on=day) for day in DATES},
        list(ComplianceSnapshot.objects.order_by("pk").values()),
    )


class TestErasure:
    def test_the_person_page_offers_it_to_a_lead(self, client, lead, scene):
        client.force_login(lead)
        body = client.get(reverse("staff_detail", kwargs={"pk": scene["current"].pk})).content.decode()
        assert erase_url(scene["current"]) in body
        assert "Download everything we hold" in body

    def test_agency_hr_sees_neither_button(self, client, hr_a, scene):
        client.force_login(hr_a)
        body = client.get(reverse("staff_detail", kwargs={"pk": scene["current"].pk})).content.decode()
        assert erase_url(scene["current"]) not in body
        assert "Download everything we hold" not in body

    def test_the_confirmation_page_asks_for_a_reason(self, client, lead, scene):
        client.force_login(lead)
        response = client.get(erase_url(scene["current"]))
        assert response.status_code == 200
        assert "Erase Priya Stillhere's personal data?" in response.content.decode()

    def test_a_lead_erases_a_current_person_at_once_and_every_figure_stays(self, client, lead, scene):
        person = scene["current"]
        before = counts()
        client.force_login(lead)
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(erase_url(person), {"reason": "Asked by email on 1 June 2026"})
        assert response.status_code == 302 and response["Location"] == reverse(
            "staff_detail", kwargs={"pk": person.pk}
        )
        person.refresh_from_db()
        assert person.full_name == f"Anonymised person {person.pk}" and person.email == ""
        record = Anonymisation.objects.get(staff=person)
        assert (record.kind, record.reason, record.actor) == (
            "erasure",
            "Asked by email on 1 June 2026",
            lead,
        )
        assert counts() == before
        event = AuditEvent.objects.get(action=actions.ERASURE)  # exactly one, naming nobody
        assert (event.user, event.target_id, event.extra["reason"]) == (
            lead,
            str(person.pk),
            "Asked by email on 1 June 2026",
        )
        assert "Priya" not in event.description and "Stillhere" not in event.target_label
        page = client.get(reverse("staff_detail", kwargs={"pk": person.pk})).content.decode()
        assert "Personal data anonymised on" in page
        assert "Stillhere" not in page and "Priya" not in page

    def test_reminders_waiting_for_them_are_cancelled_not_sent(self, client, lead, scene):
        person = scene["current"]
        message = message_with_item(staff=person, module=scene["module"], day=TODAY, status="pending")
        ReminderMessage.objects.filter(pk=message.pk).update(status="pending")
        client.force_login(lead)
        client.post(erase_url(person), {"reason": "Asked"})
        message.refresh_from_db()
        item = message.items.get()
        assert (message.status, item.status) == ("cancelled", "cancelled")
        assert item.reason == "the person's personal data was anonymised"
        assert services.message_send(message_id=message.pk, today=TODAY).status == "not_claimed"

    def test_their_bookings_stay_without_the_reason_they_gave(self, client, lead, scene):
        person = scene["current"]
        session = upcoming_session(scene["module"])
        booking = booking_cancel(
            booking=booking_create(session=session, staff=person), reason="Priya Stillhere is on leave"
        )
        client.force_login(lead)
        client.post(erase_url(person), {"reason": "Asked"})
        booking.refresh_from_db()
        assert (booking.status, booking.session_id, booking.cancel_reason) == ("cancelled", session.pk, "")
        assert not Booking.history.filter(staff_id=person.pk).exclude(cancel_reason="").exists()

    def test_without_a_reason_nothing_is_written(self, client, lead, scene):
        client.force_login(lead)
        response = client.post(erase_url(scene["current"]), {"reason": "   "})
        assert response.status_code == 200
        assert "Enter the reason for erasing this person" in response.content.decode()
        assert not Anonymisation.objects.exists()
        assert StaffMember.objects.get(pk=scene["current"].pk).first_name == "Priya"

    def test_a_second_erasure_is_refused(self, client, lead, scene):
        client.force_login(lead)
        client.post(erase_url(scene["current"]), {"reason": "Asked"})
        response = client.post(erase_url(scene["current"]), {"reason": "Again"})
        assert response.status_code == 200
        assert "already been erased" in response.content.decode()
        assert Anonymisation.objects.get().reason == "Asked"

    @pytest.mark.parametrize("persona", ["hr_a", "hr_b", "outsider"])
    def test_anyone_but_a_lead_gets_404_and_nothing_changes(self, client, request, persona, scene):
        client.force_login(request.getfixturevalue(persona))
        assert client.get(erase_url(scene["current"])).status_code == 404
        assert client.post(erase_url(scene["current"]), {"reason": "x"}).status_code == 404
        assert not Anonymisation.objects.exists()

    def test_signed_out_visitors_are_sent_to_sign_in(self, client, scene):
        response = client.post(erase_url(scene["current"]), {"reason": "x"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not Anonymisation.objects.exists()


def test_the_admin_lists_erasures_read_only(client, lead, scene):
    client.force_login(lead)
    client.post(erase_url(scene["current"]), {"reason": "Asked"})
    page = client.get(reverse("admin:privacy_anonymisation_changelist"))
    assert page.status_code == 200 and "Erasure on request" in page.content.decode()
    assert client.get(reverse("admin:privacy_anonymisation_add")).status_code == 403
