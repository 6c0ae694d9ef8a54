"""Evaluation (PRODUCT.md section 9): each attendee of a confirmed register gets one feedback
email with an opaque link; the form takes one answer per booking; summaries per session and
module for the lead and trainers, counts only for Agency HR."""

import datetime
import hashlib
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from courses import feedback_links, selectors, services
from courses.models import Feedback, FeedbackLink
from courses.reminders import SOURCE
from notifications import services as outbox
from notifications.models import ReminderItem
from tests import factories
from tests.training.records_fixtures import login, sign_in

pytestmark = pytest.mark.django_db

ANSWER = {
    "confidence_before": "2",
    "confidence_after": "4",
    "usefulness": "5",
    "comments": "More case studies.",
}


@pytest.fixture
def confirmed(delivered, people_a, person_b, lead, agency_a):
    """A0 and B attended, A1 did not; a walk-in of agency A came too."""
    booked = {b.staff_id: b.pk for b in delivered.bookings.all()}
    walk_in = factories.StaffMemberFactory(agency=agency_a, job_role=people_a[0].job_role, first_name="Walk")
    services.register_confirm(
        session=delivered,
        attended=[booked[people_a[0].pk], booked[person_b.pk]],
        no_show=[booked[people_a[1].pk]],
        walk_ins=[walk_in],
        actor=lead,
    )
    delivered.walk_in_person = walk_in
    return delivered


def attended(session, person):
    return session.bookings.get(staff=person)


def plan_and_send():
    today = timezone.localdate()
    outbox.reminders_plan(day=today, queue=False, only=[SOURCE])
    outbox.pending_messages_send(today=today, now=timezone.now())


def link_in(message):
    return re.search(r"https?://[^\s\"<]+/feedback/([^/\s\"<]+)/", message.body).group(0)


# --- the email -------------------------------------------------------------------------------


def test_each_attendee_gets_one_feedback_email_with_an_opaque_link(confirmed, people_a, person_b):
    plan_and_send()
    plan_and_send()
    items = ReminderItem.objects.filter(kind="session_feedback")
    walk_in = confirmed.walk_in_person
    assert sorted(items.values_list("recipient", flat=True)) == sorted(
        [people_a[0].email, person_b.email, walk_in.email]
    )
    assert people_a[1].email not in [m.to[0] for m in mail.outbox]  # the no-show is not asked
    [message] = [m for m in mail.outbox if m.to == [people_a[0].email]]
    assert "Tell us how the session went: HSB-202" in message.subject
    assert "because you attended this training session" in message.body
    url = link_in(message)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert url.endswith(f"/feedback/{token}/") and len(token) >= 40  # nothing but a random token
    assert feedback_links.booking_for_token(token) == attended(confirmed, people_a[0])
    stored = FeedbackLink.objects.get(booking=attended(confirmed, people_a[0]))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_no_feedback_email_once_feedback_is_given(confirmed, people_a):
    today = timezone.localdate()
    outbox.reminders_plan(day=today, queue=False, only=[SOURCE])
    services.feedback_record(
        booking=attended(confirmed, people_a[0]), confidence_before=1, confidence_after=2, usefulness=3
    )
    outbox.pending_messages_send(today=today, now=timezone.now())
    assert not [m for m in mail.outbox if m.to == [people_a[0].email]]
    item = ReminderItem.objects.get(kind="session_feedback", recipient=people_a[0].email)
    assert item.status == "cancelled"


# --- the form by the emailed link -------------------------------------------------------------


def test_the_link_opens_the_form_without_signing_in_and_takes_one_answer(client, confirmed, people_a):
    booking = attended(confirmed, people_a[0])
    url = reverse("courses:feedback", kwargs={"token": feedback_links.feedback_token(booking)})
    page = client.get(url)
    assert page.status_code == 200 and "Tell us how the session went" in page.content.decode()
    response = client.post(url, ANSWER, follow=True)
    assert "Thank you. Your feedback has been sent to the trainers." in response.content.decode()
    feedback = Feedback.objects.get()
    assert (feedback.booking, feedback.confidence_before, feedback.confidence_after) == (booking, 2, 4)
    assert (feedback.usefulness, feedback.comments) == (5, "More case studies.")
    again = client.post(url, {**ANSWER, "usefulness": "1"})
    assert Feedback.objects.count() == 1 and Feedback.objects.get().usefulness == 5
    text = again.content.decode()
    assert "Thank you for your feedback" in text and services.ALREADY_GIVEN in text
    assert 'class="govuk-error-summary"' in text and "<title>Error: " in text


def test_a_second_answer_is_refused_with_a_message_and_nothing_written(confirmed, people_a):
    booking = attended(confirmed, people_a[0])
    services.feedback_record(booking=booking, confidence_before=3, confidence_after=4, usefulness=4)
    with pytest.raises(ValidationError) as refused:
        services.feedback_record(booking=booking, confidence_before=1, confidence_after=1, usefulness=1)
    assert refused.value.messages == [services.ALREADY_GIVEN]
    assert Feedback.objects.get().confidence_before == 3


def test_a_second_answer_from_a_form_opened_earlier_gets_the_message(client, confirmed, people_a):
    """Two tabs: the second form's POST gets the refusal in the error summary."""
    from courses import views

    booking = attended(confirmed, people_a[0])
    url = reverse("courses:feedback", kwargs={"token": feedback_links.feedback_token(booking)})
    services.feedback_record(booking=booking, confidence_before=3, confidence_after=4, usefulness=4)
    original = views.selectors.feedback_given
    views.selectors.feedback_given = lambda booking: False  # the page as it was when opened
    try:
        page = client.post(url, ANSWER)
    finally:
        views.selectors.feedback_given = original
    assert services.ALREADY_GIVEN in page.content.decode()
    assert 'class="govuk-error-summary"' in page.content.decode()
    assert Feedback.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"confidence_before": ""}, "Choose how confident you were before the session, from 1 to 5."),
        ({"confidence_after": ""}, "Choose how confident you are after the session, from 1 to 5."),
        ({"usefulness": ""}, "Choose how useful the session was, from 1 to 5."),
        ({"usefulness": "6"}, "Choose a number from 1 to 5."),
        ({"confidence_before": "0"}, "Choose a number from 1 to 5."),
        ({"comments": "x" * 2001}, "Write 2,000 characters or fewer."),
    ],
)
def test_a_bad_answer_gets_an_error_summary_and_nothing_is_written(
    client, confirmed, people_a, changes, message
):
    booking = attended(confirmed, people_a[0])
    url = reverse("courses:feedback", kwargs={"token": feedback_links.feedback_token(booking)})
    page = client.post(url, {**ANSWER, **changes})
    text = page.content.decode()
    assert page.status_code == 200
    assert 'class="govuk-error-summary"' in text and message in text
    assert "<title>Error: " in text
    assert not Feedback.objects.exists()


def test_the_service_refuses_scores_out_of_range_and_a_no_show(confirmed, people_a):
    with pytest.raises(ValidationError) as refused:
        services.feedback_record(
            booking=attended(confirmed, people_a[0]), confidence_before=0, confidence_after=6, usefulness=3
        )
    assert set(refused.value.message_dict) == {"confidence_before", "confidence_after"}
    with pytest.raises(ValidationError, match="only on a session you attended"):
        services.feedback_record(
            booking=attended(confirmed, people_a[1]), confidence_before=3, confidence_after=3, usefulness=3
        )
    assert not Feedback.objects.exists()


def test_a_bad_or_expired_link_says_so_and_writes_nothing(client, confirmed, people_a):
    bad = client.post(reverse("courses:feedback", kwargs={"token": "x" * 43}), ANSWER)
    assert bad.status_code == 403 and "This link does not work" in bad.content.decode()
    booking = attended(confirmed, people_a[0])
    old = timezone.now() - feedback_links.LINK_MAX_AGE - datetime.timedelta(hours=1)
    token = feedback_links.feedback_token(booking, now=old)
    expired = client.post(reverse("courses:feedback", kwargs={"token": token}), ANSWER)
    assert expired.status_code == 403 and "This link has expired" in expired.content.decode()
    assert not Feedback.objects.exists()
    assert feedback_links.feedback_links_purge(now=timezone.now() + datetime.timedelta(days=2)) == 1


# --- from the staff member's own record -------------------------------------------------------


def test_staff_give_feedback_from_their_bookings_and_not_for_someone_else(
    client, confirmed, people_a, person_b
):
    sign_in(client, people_a[0])
    bookings = client.get(reverse("courses:my_bookings", kwargs={"pk": people_a[0].pk})).content.decode()
    booking = attended(confirmed, people_a[0])
    url = reverse("courses:my_feedback", kwargs={"pk": people_a[0].pk, "booking_pk": booking.pk})
    assert url in bookings and "Give feedback" in bookings
    assert client.post(url, ANSWER).status_code == 302
    assert Feedback.objects.get().booking == booking
    after = client.get(reverse("courses:my_bookings", kwargs={"pk": people_a[0].pk})).content.decode()
    assert "feedback given" in after and url not in after
    other = attended(confirmed, person_b)
    assert (
        client.post(
            reverse("courses:my_feedback", kwargs={"pk": person_b.pk, "booking_pk": other.pk}), ANSWER
        ).status_code
        == 404
    )
    mine_but_not_attended = attended(confirmed, people_a[1])
    sign_in(client, people_a[1])
    missed = reverse(
        "courses:my_feedback", kwargs={"pk": people_a[1].pk, "booking_pk": mine_but_not_attended.pk}
    )
    assert client.post(missed, ANSWER).status_code == 404
    assert Feedback.objects.count() == 1


# --- the summaries ----------------------------------------------------------------------------


@pytest.fixture
def answered(confirmed, people_a, person_b):
    services.feedback_record(
        booking=attended(confirmed, people_a[0]),
        confidence_before=2,
        confidence_after=4,
        usefulness=5,
        comments="More case studies.",
    )
    services.feedback_record(
        booking=attended(confirmed, person_b), confidence_before=3, confidence_after=5, usefulness=4
    )
    return confirmed


def test_the_lead_sees_means_rate_and_free_text_per_session_and_module(client, answered, lead):
    summary = selectors.feedback_summary(lead)
    [row] = summary["sessions"]
    figures = row.figures
    assert (figures.attended, figures.responses, figures.response_rate) == (3, 2, 66)
    assert (figures.confidence_before, figures.confidence_after, figures.usefulness) == (2.5, 4.5, 4.5)
    [module] = summary["modules"]
    assert module.subject.code == "HSB-202" and module.figures == figures and module.sessions == 1
    page = login(client, lead).get(reverse("courses:feedback_summary")).content.decode()
    assert "66%" in page and "2.5" in page and "4.5" in page
    detail = client.get(reverse("courses:session_feedback", kwargs={"pk": answered.pk})).content.decode()
    assert "More case studies." in detail and "2 of 3 attendees (66%)" in detail
    assert "Asha" not in detail and "A00" not in detail  # answers without names


def test_hr_see_their_agencys_counts_only(client, answered, hr_a, hr_b):
    summary = selectors.feedback_summary(hr_a)
    [row] = summary["sessions"]
    assert summary["scores"] is False
    assert (row.figures.attended, row.figures.responses, row.figures.confidence_after) == (2, 1, None)
    assert selectors.feedback_summary(hr_b)["sessions"][0].figures.attended == 1
    page = login(client, hr_a).get(reverse("courses:feedback_summary")).content.decode()
    assert "Confidence before" not in page and "More case studies." not in page
    assert client.get(reverse("courses:session_feedback", kwargs={"pk": answered.pk})).status_code == 404


def test_a_trainer_sees_their_own_sessions_only(client, answered, workshop):
    trainer = factories.UserFactory(username="tara", email="tara@example.org")
    other = factories.UserFactory(username="omar", email="omar@example.org")
    elsewhere = services.session_create(
        module=workshop,
        parts=[
            services.Part(
                answered.starts_at + datetime.timedelta(days=40),
                answered.ends_at + datetime.timedelta(days=40),
            )
        ],
        capacity=5,
        venue="Hall",
        trainers=[("Omar", "omar@example.org")],
    )
    summary = selectors.feedback_summary(trainer)
    assert summary["scores"] is True and [row.subject for row in summary["sessions"]] == [answered]
    login(client, trainer)
    assert (
        "More case studies."
        in client.get(reverse("courses:session_feedback", kwargs={"pk": answered.pk})).content.decode()
    )
    client.logout()
    login(client, other)
    assert client.get(reverse("courses:session_feedback", kwargs={"pk": answered.pk})).status_code == 404
    assert selectors.feedback_summary(other)["sessions"] == [] and elsewhere.pk


def test_outsiders_get_404(client, answered, outsider):
    login(client, outsider)
    assert client.get(reverse("courses:feedback_summary")).status_code == 404
    assert client.get(reverse("courses:session_feedback", kwargs={"pk": answered.pk})).status_code == 404


def test_the_summary_reads_a_fixed_number_of_queries(
    answered, lead, workshop, people_a, django_assert_num_queries
):
    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            selectors.feedback_summary(lead)
        return len(queries)

    count()  # the user's groups, read once per request
    before = count()
    for days in (2, 3, 4):
        session = services.session_create(
            module=factories.ModuleFactory(delivery_mode="classroom"),
            parts=[
                services.Part(
                    answered.starts_at - datetime.timedelta(days=days * 3),
                    answered.ends_at - datetime.timedelta(days=days * 3),
                )
            ],
            capacity=5,
            venue="Hall",
        )
        type(session).objects.filter(pk=session.pk).update(status="delivered")
    assert count() == before
    assert len(selectors.feedback_summary(lead)["sessions"]) == 4


def test_the_board_report_gives_the_evaluations_means(client, lead, answered):
    client.force_login(lead)
    page = client.get(reverse("reports:board")).content.decode()
    assert "2 evaluation responses: confidence 2.5 before and 4.5 after, usefulness 4.5" in page


def test_the_board_report_counts_evaluation_responses(answered):
    today = timezone.localdate()
    figures = selectors.board_figures(start=today - datetime.timedelta(days=30), end=today)
    assert figures["responses"] == 2
    assert (figures["confidence_before"], figures["confidence_after"], figures["usefulness"]) == (
        2.5,
        4.5,
        4.5,
    )


def test_anonymising_a_person_keeps_their_scores_and_removes_their_words(confirmed, people_a):
    from privacy.models import Anonymisation
    from privacy.services import staff_anonymise_many

    booking = attended(confirmed, people_a[0])
    feedback_links.feedback_token(booking)
    services.feedback_record(
        booking=booking, confidence_before=2, confidence_after=4, usefulness=5, comments="Asha here: great."
    )
    staff_anonymise_many(staff_ids=[people_a[0].pk], kind=Anonymisation.Kind.ERASURE, reason="Asked")
    feedback = Feedback.objects.get()
    assert (feedback.confidence_before, feedback.confidence_after, feedback.usefulness) == (2, 4, 5)
    assert feedback.comments == "" and set(Feedback.history.values_list("comments", flat=True)) == {""}
    assert not FeedbackLink.objects.filter(booking=booking).exists()


def test_subject_access_gives_the_persons_own_feedback_only(confirmed, people_a, person_b):
    from privacy.subject_access import subject_access_data

    services.feedback_record(
        booking=attended(confirmed, people_a[0]),
        confidence_before=2,
        confidence_after=4,
        usefulness=5,
        comments="Mine.",
    )
    services.feedback_record(
        booking=attended(confirmed, person_b),
        confidence_before=1,
        confidence_after=1,
        usefulness=1,
        comments="Someone else's.",
    )
    [mine] = subject_access_data(people_a[0])["feedback"]
    assert (mine["confidence_before"], mine["comments"], mine["session"][:7]) == (2, "Mine.", "HSB-202")
    assert subject_access_data(people_a[1])["feedback"] == []
