"""The verification queue: a lead sees self-declared completions oldest first, opens the
certificate, verifies or rejects with a reason; the person is emailed the outcome, and the status
the compliance engine gives changes only on verification."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from tests import factories
from tests.training.records_fixtures import login, sign_in, upload
from training.compliance import Status
from training.models import Completion, CompletionSource, Verification
from training.selectors.records import person_pairs
from training.services import completion_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks", "media")]

TODAY = datetime.date(2026, 3, 4)


def declare(staff, module, completed_on=datetime.date(2026, 3, 1)):
    return completion_record(
        staff=staff,
        module=module,
        completed_on=completed_on,
        source=CompletionSource.SELF_DECLARED,
        certificate=upload(),
        today=TODAY,
    )


def status_of(staff, today=TODAY):
    [pair] = person_pairs(staff=staff, today=today)
    return pair.status


QUEUE = reverse("records:verification_queue")


def review(completion):
    return reverse("records:verification_review", kwargs={"pk": completion.pk})


class TestWhoMaySee:
    def test_the_lead_sees_the_queue_and_the_review_page(self, client, lead, staff_a, required):
        declared = declare(staff_a, required)
        login(client, lead)
        queue = client.get(QUEUE)
        assert queue.status_code == 200
        assert staff_a.full_name in queue.text
        page = client.get(review(declared))
        assert page.status_code == 200
        assert reverse("records:certificate", kwargs={"pk": declared.pk}) in page.text

    @pytest.mark.parametrize("persona", ["hr_a", "hr_b", "outsider"])
    def test_anyone_else_signed_in_gets_404(self, client, request, persona, staff_a, required):
        declared = declare(staff_a, required)
        login(client, request.getfixturevalue(persona))
        assert client.get(QUEUE).status_code == 404
        assert client.get(review(declared)).status_code == 404
        response = client.post(review(declared), {"decision": "verify"})
        assert response.status_code == 404
        declared.refresh_from_db()
        assert declared.verification == Verification.PENDING

    def test_a_staff_session_or_a_visitor_is_sent_to_sign_in(self, client, staff_a, required):
        declared = declare(staff_a, required)
        sign_in(client, staff_a)
        for url in (QUEUE, review(declared)):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))


class TestQueue:
    def test_oldest_first_with_the_days_waited(self, client, lead, staff_a, staff_b, required):
        with time_machine.travel(datetime.datetime(2026, 2, 20, 10, tzinfo=datetime.UTC), tick=False):
            older = declare(staff_b, required, completed_on=datetime.date(2026, 2, 19))
        with time_machine.travel(datetime.datetime(2026, 3, 3, 10, tzinfo=datetime.UTC), tick=False):
            newer = declare(staff_a, required)
        with time_machine.travel(datetime.datetime(2026, 3, 4, 12, tzinfo=datetime.UTC), tick=False):
            page = login(client, lead).get(QUEUE).text
        assert page.index(review(older)) < page.index(review(newer))
        assert "12 days" in page, "waited since 20 February"
        assert "1 day<" in page.replace("\n", "")
        assert "2 certificates waiting" in page

    def test_decided_completions_leave_the_queue(self, client, lead, staff_a, required):
        declared = declare(staff_a, required)
        login(client, lead)
        client.post(review(declared), {"decision": "verify"})
        page = client.get(QUEUE)
        assert review(declared) not in page.text
        assert "Nothing is waiting" in page.text

    def test_the_queue_reads_a_fixed_number_of_times(
        self, client, lead, agency_a, required, django_assert_max_num_queries
    ):
        for _ in range(8):
            declare(factories.StaffMemberFactory(agency=agency_a), required)
        login(client, lead)
        # The filters' choices (agencies, teams, job roles, modules) are four of them.
        with django_assert_max_num_queries(12):
            response = client.get(QUEUE)
        assert response.text.count("Review<span") == 8


class TestVerifying:
    def test_verifying_counts_the_completion_and_emails_the_person(
        self, client, lead, staff_a, required, django_capture_on_commit_callbacks
    ):
        declared = declare(staff_a, required)
        assert status_of(staff_a, TODAY) is Status.OVERDUE
        login(client, lead)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(review(declared), {"decision": "verify"}, follow=True)
        assert f"Verified HSB-101 for {staff_a.full_name}" in response.text
        declared.refresh_from_db()
        assert declared.verification == Verification.VERIFIED
        assert declared.verified_by == lead
        assert declared.expires_on == datetime.date(2029, 3, 1)
        assert status_of(staff_a, TODAY) is Status.COMPLIANT
        [message] = mail.outbox
        assert message.to == [f"{staff_a.full_name} <{staff_a.email}>"]
        assert message.from_email == settings.DEFAULT_FROM_EMAIL
        assert message.subject == "Your HSB-101 training has been verified"
        assert "It counts until 1 March 2029" in message.body
        assert f"{settings.SITE_URL}/my/sign-in/" in message.body
        assert "1 March 2029" in message.alternatives[0][0]

    def test_rejecting_needs_a_reason(
        self, client, lead, staff_a, required, django_capture_on_commit_callbacks
    ):
        declared = declare(staff_a, required)
        login(client, lead)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(review(declared), {"decision": "reject", "reason": "  "})
        assert response.status_code == 200
        assert "Enter the reason, so the person knows what to do next" in response.text
        declared.refresh_from_db()
        assert declared.verification == Verification.PENDING
        assert not mail.outbox

    def test_rejecting_emails_the_reason_and_changes_no_status(
        self, client, lead, staff_a, required, django_capture_on_commit_callbacks
    ):
        declared = declare(staff_a, required)
        login(client, lead)
        reason = "The certificate is for a different course; please send the HSB-101 certificate."
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(review(declared), {"decision": "reject", "reason": reason}, follow=True)
        assert "They have been emailed the reason" in response.text
        declared.refresh_from_db()
        assert declared.verification == Verification.REJECTED
        assert declared.rejection_reason == reason
        assert status_of(staff_a, TODAY) is Status.OVERDUE
        [message] = mail.outbox
        assert message.subject == "Your HSB-101 certificate could not be accepted"
        assert reason in message.body
        # The person sees the outcome and the reason on their own record.
        sign_in(client, staff_a)
        record = client.get(reverse("records:my_record", kwargs={"pk": staff_a.pk})).text
        assert "Not accepted" in record and "different course" in record

    def test_a_decision_already_taken_cannot_be_taken_again(
        self, client, lead, staff_a, required, django_capture_on_commit_callbacks
    ):
        declared = declare(staff_a, required)
        login(client, lead)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(review(declared), {"decision": "verify"})
            second = client.post(review(declared), {"decision": "reject", "reason": "Too late"}, follow=True)
        assert "Only a completion waiting for verification can be rejected" in second.text
        declared.refresh_from_db()
        assert declared.verification == Verification.VERIFIED
        assert len(mail.outbox) == 1

    def test_someone_without_an_email_address_is_verified_without_email(
        self, client, lead, agency_a, required, django_capture_on_commit_callbacks
    ):
        person = factories.StaffMemberFactory(agency=agency_a, email="", job_role=factories.JobRoleFactory())
        declared = declare(person, required)
        login(client, lead)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(review(declared), {"decision": "verify"})
        declared.refresh_from_db()
        assert declared.verification == Verification.VERIFIED
        assert not mail.outbox

    def test_only_self_declared_completions_are_reviewed(self, client, lead, staff_a, required):
        manual = completion_record(
            staff=staff_a, module=required, completed_on=TODAY, source=CompletionSource.MANUAL, today=TODAY
        )
        assert login(client, lead).get(review(manual)).status_code == 404
        assert Completion.objects.get().verification == Verification.VERIFIED


BULK = reverse("records:verification_bulk")


class TestBulkDecisions:
    """Several certificates verified or rejected at once, after a confirmation page that counts them."""

    def test_verify_several_after_confirming(self, client, lead, staff_a, staff_b, required):
        first, second = declare(staff_a, required), declare(staff_b, required)
        login(client, lead)
        confirm = client.post(BULK, {"decision": "verify", "completion": [first.pk, second.pk]})
        assert confirm.status_code == 200
        assert "Verify 2 certificates?" in confirm.text
        first.refresh_from_db()
        assert first.verification == Verification.PENDING  # nothing written before confirming
        done = client.post(
            BULK, {"decision": "verify", "confirm": "yes", "completion": [first.pk, second.pk]}, follow=True
        )
        assert "Verified 2 certificates" in done.text
        for completion in (first, second):
            completion.refresh_from_db()
            assert completion.verification == Verification.VERIFIED
            assert completion.verified_by == lead
            assert completion.history.filter(history_user=lead).exists()

    def test_rejecting_needs_a_reason_and_writes_nothing_without_one(self, client, lead, staff_a, required):
        declared = declare(staff_a, required)
        login(client, lead)
        page = client.post(BULK, {"decision": "reject", "confirm": "yes", "completion": [declared.pk]})
        assert "Enter the reason, so the person knows what to do next." in page.text
        declared.refresh_from_db()
        assert declared.verification == Verification.PENDING
        client.post(
            BULK,
            {"decision": "reject", "confirm": "yes", "reason": "Wrong course", "completion": [declared.pk]},
        )
        declared.refresh_from_db()
        assert declared.verification == Verification.REJECTED and declared.rejection_reason == "Wrong course"

    def test_an_already_decided_certificate_refuses_the_whole_selection(
        self, client, lead, staff_a, staff_b, required
    ):
        first, second = declare(staff_a, required), declare(staff_b, required)
        Completion.objects.filter(pk=second.pk).update(verification=Verification.VERIFIED)
        login(client, lead)
        page = client.post(
            BULK, {"decision": "verify", "confirm": "yes", "completion": [first.pk, second.pk]}, follow=True
        )
        assert "Nothing was changed" in page.text
        first.refresh_from_db()
        assert first.verification == Verification.PENDING

    def test_nothing_ticked_is_explained(self, client, lead, staff_a, required):
        declare(staff_a, required)
        login(client, lead)
        page = client.post(BULK, {"decision": "verify"}, follow=True)
        assert "Tick at least one certificate" in page.text

    @pytest.mark.parametrize("persona", ["hr_a", "outsider"])
    def test_only_the_lead_may_decide(self, client, request, persona, staff_a, required):
        declared = declare(staff_a, required)
        login(client, request.getfixturevalue(persona))
        response = client.post(BULK, {"decision": "verify", "confirm": "yes", "completion": [declared.pk]})
        assert response.status_code == 404
        declared.refresh_from_db()
        assert declared.verification == Verification.PENDING
