"""GOV.UK Notify delivery, against a local HTTP server that implements the Notify endpoint the
official client calls (POST /v2/notifications/email, with its JWT): the outbox's claim, retry and
exactly-once rules are unchanged; a 4xx fails a message with Notify's reason, a 5xx, a 429 or a
timeout is retried; a permanent-failure delivery receipt marks a sent message failed, and the
person page and the data-quality page say the address is not working until it changes."""

import json
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from django.core import mail
from django.urls import reverse

from notifications import notify, services
from notifications.models import ReminderItem, ReminderMessage
from tests import factories
from tests.notifications.builders import D, hsb101, person, quiet_agency, role_requiring
from workforce import signin
from workforce.services import staff_update

pytestmark = pytest.mark.django_db

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"hsb_tracker_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
CALLBACK_TOKEN = "callback-token-of-the-test-0123456789"
START = D(2026, 1, 5)
DAY = D(2026, 4, 23)


class NotifyServer(ThreadingHTTPServer):
    """The Notify API as the client sees it: checks the JWT (HS256, issued by the service id,
    signed with the key's secret), records each email, answers 201 or what the test queued."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), NotifyHandler)
        self.requests = []
        self.answers = deque()  # (status, body, delay in seconds)
        self.lock = threading.Lock()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer_next(self, *answers):
        with self.lock:
            self.answers.extend(answers)


class NotifyHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802 - the standard library's name
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"])
            assert scheme == "Bearer" and claims["iss"] == SERVICE_ID
        except (jwt.PyJWTError, AssertionError, KeyError):
            self._reply(
                403, {"status_code": 403, "errors": [{"error": "AuthError", "message": "Invalid token"}]}
            )
            return
        if self.path != "/v2/notifications/email":
            self._reply(
                404, {"status_code": 404, "errors": [{"error": "NotFound", "message": "No such page"}]}
            )
            return
        with server.lock:
            server.requests.append(body)
            status, answer, delay = server.answers.popleft() if server.answers else (201, None, 0)
        if delay:
            time.sleep(delay)
        if answer is None:
            answer = {
                "id": str(uuid.uuid4()),
                "reference": body.get("reference"),
                "content": {
                    "subject": body["personalisation"]["subject"],
                    "body": body["personalisation"]["body"],
                },
                "template": {"id": body["template_id"], "version": 1},
            }
        self._reply(status, answer)


def error(status, kind, message):
    return (status, {"status_code": status, "errors": [{"error": kind, "message": message}]}, 0)


@pytest.fixture
def notify_server(settings):
    server = NotifyServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "notifications.notify.NotifyEmailBackend"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = server.url
    settings.NOTIFY_CALLBACK_TOKEN = CALLBACK_TOKEN
    settings.EMAIL_TIMEOUT = 1
    settings.REMINDER_RETRY_BACKOFF_SECONDS = 0.2
    settings.REMINDER_RETRY_BACKOFF_MAX_SECONDS = 1.0
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def asha():
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    staff = person(agency, role, start=START)
    services.reminders_plan(day=DAY, queue=False)
    return staff


def only_message():
    return ReminderMessage.objects.get()


def send():
    return services.message_send(message_id=only_message().id, today=DAY)


def receipt(client, message, *, status="permanent-failure", to=None, token=CALLBACK_TOKEN):
    body = {
        "id": str(uuid.uuid4()),
        "reference": notify.message_reference(message.id),
        "to": to or message.recipient,
        "status": status,
        "created_at": "2026-04-23T06:31:00.000000Z",
        "completed_at": "2026-04-23T06:32:00.000000Z",
        "sent_at": "2026-04-23T06:31:10.000000Z",
        "notification_type": "email",
        "template_id": TEMPLATE_ID,
        "template_version": 1,
    }
    return client.post(
        reverse("delivery:notify-delivery-status"),
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )


class TestSending:
    def test_a_reminder_goes_through_the_one_template_with_its_subject_body_and_reference(
        self, notify_server, asha
    ):
        outcome = send()
        assert outcome.status == "sent"
        [request] = notify_server.requests
        message = only_message()
        assert request["email_address"] == "asha.patel@example.org"
        assert request["template_id"] == TEMPLATE_ID
        assert request["personalisation"] == {"subject": message.subject, "body": message.text_body}
        assert request["reference"] == f"outbox-message-{message.id}"
        assert message.status == "sent" and message.attempts == 1
        assert ReminderItem.objects.get(message=message).status == "sent"

    def test_a_4xx_fails_the_message_with_notifys_reason(self, notify_server, asha):
        notify_server.answer_next(error(400, "ValidationError", "email_address Not a valid email address"))
        outcome = send()
        assert outcome.status == "failed"
        message = only_message()
        reason = (
            "GOV.UK Notify refused the email: 400 ValidationError: email_address Not a valid email address"
        )
        assert (message.status, message.attempts, message.last_error) == ("failed", 1, reason)
        assert ReminderItem.objects.get(message=message).last_error == reason
        assert len(notify_server.requests) == 1

    @pytest.mark.parametrize(
        "answer",
        [
            error(500, "Exception", "Internal server error"),
            error(503, "Exception", "Service unavailable"),
            error(
                429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"
            ),
            (201, None, 2.5),  # slower than EMAIL_TIMEOUT: a timeout
        ],
        ids=["500", "503", "429", "timeout"],
    )
    def test_5xx_429_and_timeouts_are_retried_and_the_email_goes_once(self, notify_server, asha, answer):
        notify_server.answer_next(answer)
        first = send()
        assert first.status == "retry"
        message = only_message()
        assert (message.status, message.attempts) == ("pending", 1)
        assert "GOV.UK Notify" in message.last_error
        ReminderMessage.objects.filter(pk=message.pk).update(send_after=None)
        second = send()
        assert second.status == "sent"
        assert only_message().status == "sent"
        # The retry sent it; a claimed or sent message is never sent again.
        assert send().status == "not_claimed"
        succeeded = [r for r in notify_server.requests if r["reference"] == f"outbox-message-{message.id}"]
        assert len(succeeded) == 2  # the failed attempt and the one that went

    def test_the_sign_in_email_goes_through_notify_too(self, notify_server, asha):
        assert signin.signin_link_send(staff_ids=[asha.pk], email=asha.email)
        [request] = notify_server.requests
        assert request["email_address"] == "asha.patel@example.org"  # not "Asha Patel <...>"
        assert "sign" in request["personalisation"]["subject"].lower()
        assert mail.outbox == []


class TestDeliveryReceipts:
    def test_a_permanent_failure_marks_the_message_failed_with_the_reason(self, client, notify_server, asha):
        send()
        message = only_message()
        response = receipt(client, message)
        assert response.status_code == 200 and response.json() == {"changed": True}
        message.refresh_from_db()
        assert message.status == "failed"
        assert message.last_error.startswith("GOV.UK Notify could not deliver this email")
        item = ReminderItem.objects.get(message=message)
        assert (item.status, item.last_error) == ("failed", message.last_error)
        # A second copy of the receipt changes nothing.
        assert receipt(client, message).json() == {"changed": False}

    def test_the_person_page_and_data_quality_say_the_address_is_not_working_until_it_changes(
        self, client, notify_server, asha
    ):
        send()
        receipt(client, only_message())
        lead = factories.LeadFactory(username="the-lead")
        client.force_login(lead)
        page = client.get(reverse("staff_detail", kwargs={"pk": asha.pk})).content.decode()
        assert "Email address not working" in page
        quality = client.get(reverse("data_quality"))
        problem = next(p for p in quality.context["problems"] if p.key == "emails_failing")
        assert problem.title == "Email address not working" and problem.people == [asha]
        staff_update(staff=asha, email="asha.patel2@example.org")
        assert (
            "Email address not working"
            not in client.get(reverse("staff_detail", kwargs={"pk": asha.pk})).content.decode()
        )
        problem = next(
            p for p in client.get(reverse("data_quality")).context["problems"] if p.key == "emails_failing"
        )
        assert problem.people == []

    @pytest.mark.parametrize("status", ["delivered", "temporary-failure", "technical-failure"])
    def test_other_statuses_change_nothing(self, client, notify_server, asha, status):
        send()
        assert receipt(client, only_message(), status=status).json() == {"changed": False}
        assert only_message().status == "sent"

    def test_a_receipt_for_another_address_changes_nothing(self, client, notify_server, asha):
        send()
        assert receipt(client, only_message(), to="someone.else@example.org").json() == {"changed": False}
        assert only_message().status == "sent"

    @pytest.mark.parametrize("token", [None, "wrong-token"])
    def test_without_the_bearer_token_the_receipt_is_refused_and_nothing_changes(
        self, client, notify_server, asha, token
    ):
        send()
        response = receipt(client, only_message(), token=token)
        assert response.status_code == 401
        assert response.json() == {"detail": "A valid bearer token is required."}
        assert only_message().status == "sent"

    def test_a_body_that_is_not_a_receipt_is_refused(self, client, notify_server, asha):
        url = reverse("delivery:notify-delivery-status")
        headers = {"Authorization": f"Bearer {CALLBACK_TOKEN}"}
        assert client.post(url, data="{", content_type="application/json", headers=headers).status_code == 400
        response = client.post(url, data="[]", content_type="application/json", headers=headers)
        assert response.status_code == 400 and response.json() == {
            "detail": "A delivery receipt has a status."
        }

    def test_the_callback_is_not_there_without_a_token_setting(self, client, settings, asha):
        settings.NOTIFY_CALLBACK_TOKEN = ""
        response = client.post(
            reverse("delivery:notify-delivery-status"), data="{}", content_type="application/json"
        )
        assert response.status_code == 404


class TestSmtpBounces:
    def test_a_recipient_refused_at_send_time_shows_on_the_person_page(self, client, smtp_settings, asha):
        smtp_settings.always = "550 5.1.1 <asha.patel@example.org>: Recipient address rejected"
        assert send().status == "failed"
        client.force_login(factories.LeadFactory(username="the-lead"))
        page = client.get(reverse("staff_detail", kwargs={"pk": asha.pk})).content.decode()
        assert "Email address not working" in page and "550 5.1.1" in page

    def test_a_server_that_stayed_down_is_not_the_address(self, client, settings, asha):
        ReminderItem.objects.update(
            status="failed", last_error="Gave up after 6 attempts. Last error: timeout"
        )
        client.force_login(factories.LeadFactory(username="the-lead"))
        page = client.get(reverse("staff_detail", kwargs={"pk": asha.pk})).content.decode()
        assert "Email address not working" not in page


def test_the_board_report_goes_through_notify_as_a_link_without_its_pdf(notify_server, lead, settings):
    """Notify's one template has a subject and a body: the monthly board report (reports.reminders)
    links to the report page instead of attaching the PDF."""
    first_working_day = D(2026, 6, 1)
    services.reminders_plan(day=first_working_day, queue=False)
    message = ReminderMessage.objects.get(recipient=lead.email)
    outcome = services.message_send(message_id=message.id, today=first_working_day)
    assert outcome.status == "sent"
    [sent] = notify_server.requests
    body = sent["personalisation"]["body"]
    assert sent["email_address"] == lead.email
    assert sent["personalisation"]["subject"].startswith("Board report for June 2026")
    assert f"Open it, for another date or agency, at {settings.SITE_URL}/reports/board/" in body
    assert "attached" not in body and "%PDF" not in json.dumps(sent)
