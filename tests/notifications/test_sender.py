"""The sender, through a real SMTP server on localhost: claim, re-check, render, send, record."""

import datetime
import re
import smtplib

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import ItemStatus, MessageStatus, ReminderItem, ReminderMessage
from notifications.selectors import outbox as selectors
from tests import factories
from tests.notifications.builders import D, complete, hsb101, person, quiet_agency, role_requiring
from workforce.signin import staff_for_token

pytestmark = pytest.mark.django_db

START = D(2026, 1, 5)  # U = 5 April 2026
DAY = D(2026, 4, 23)  # a Thursday: no digests


@pytest.fixture
def world():
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    return agency, module, role


def plan(day=DAY):
    return services.reminders_plan(day=day, queue=False)


def only_message():
    return ReminderMessage.objects.get()


def test_a_single_reminder_has_a_clear_subject_text_html_and_a_link_to_the_record(
    world, smtp_settings, settings
):
    agency, module, role = world
    settings.SITE_URL = "https://hsb.example.org"
    asha = person(agency, role, start=D(2020, 1, 6))
    complete(asha, module, D(2023, 4, 4))  # expires 4 April 2026... renewal opens 3 February
    complete(asha, module, D(2023, 3, 4), today=D(2023, 3, 4))  # an older one does not matter
    plan(D(2026, 3, 5))  # X-30 = 5 March 2026

    outcome = services.message_send(message_id=only_message().id, today=D(2026, 3, 5))

    assert outcome.status == "sent"
    [delivered] = smtp_settings.messages
    email = delivered["message"]
    assert delivered["to"] == ["asha.patel@example.org"]
    assert email["Subject"] == "HSB-101 Understanding harmful sexual behaviour: renew by 4 April 2026"
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "Dear Asha," in text
    assert "Your training expires on 4 April 2026, in 30 days." in text
    assert "How to renew: complete the e-learning course (about 2 hours)." in text
    # The person's own record, through a sign-in link made for them (workforce.signin).
    [link] = re.findall(r"Open your training record: (\S+)", text)
    assert link.startswith("https://hsb.example.org/") and "/sign-in/" in link
    assert staff_for_token(link.rstrip("/").rsplit("/", 1)[1], today=D(2026, 3, 5)) == [asha]
    assert f'<a href="{link}"' in html
    assert "List-Unsubscribe" not in email  # a mandatory reminder cannot be switched off
    assert email["Auto-Submitted"] == "auto-generated"
    message = only_message()
    assert (message.status, message.attempts, message.subject) == (
        "sent",
        1,
        "HSB-101 Understanding harmful sexual behaviour: renew by 4 April 2026",
    )
    assert message.text_body.startswith("Dear Asha,") and "<html" in message.html_body
    item = ReminderItem.objects.get(status="sent")
    assert (item.attempts, item.sent_at) == (1, message.sent_at)


def test_several_items_go_in_one_email_listing_them_all(world, smtp_settings):
    agency, module, role = world
    for code in ("HSB-201", "HSB-202"):
        extra = factories.ModuleFactory(code=code, title=f"Module {code}")
        factories.RequirementFactory(job_role=role, module=extra, starts_on=D(2020, 1, 1))
    person(agency, role, start=START)
    plan()

    services.message_send(message_id=only_message().id, today=DAY)

    [delivered] = smtp_settings.messages
    assert delivered["message"]["Subject"] == "Your HSB training: 3 items need attention"
    text = delivered["message"].get_body(("plain",)).get_content()
    for heading in (
        "HSB-101 Understanding harmful sexual behaviour",
        "HSB-201 Module HSB-201",
        "HSB-202 Module HSB-202",
    ):
        assert heading in text
    assert text.count("This training was due on 5 April 2026 (18 days ago)") == 3
    assert ReminderItem.objects.filter(status="sent").count() == 3


def test_a_completion_recorded_after_planning_cancels_the_item_and_an_empty_message_is_not_sent(
    world, smtp_settings
):
    agency, module, role = world
    asha = person(agency, role, start=START)
    plan()
    complete(asha, module, D(2026, 3, 4), today=DAY)

    outcome = services.message_send(message_id=only_message().id, today=DAY)

    assert outcome.status == "cancelled"
    assert smtp_settings.messages == []
    item = ReminderItem.objects.get(status="cancelled")
    assert item.reason == "completed on 4 March 2026"
    message = only_message()
    assert (message.status, message.reason) == (
        "cancelled",
        "nothing left to send: completed on 4 March 2026",
    )


def test_only_the_items_still_due_are_sent(world, smtp_settings):
    agency, module, role = world
    extra = factories.ModuleFactory(code="HSB-102", title="Local HSB pathway and referral briefing")
    factories.RequirementFactory(job_role=role, module=extra, starts_on=D(2020, 1, 1))
    asha = person(agency, role, start=START)
    plan()
    complete(asha, extra, D(2026, 4, 22), today=DAY)

    services.message_send(message_id=only_message().id, today=DAY)

    [delivered] = smtp_settings.messages
    assert (
        delivered["message"]["Subject"]
        == "HSB-101 Understanding harmful sexual behaviour: overdue since 5 April 2026"
    )
    assert ReminderItem.objects.get(module=extra, kind="overdue", status="cancelled").reason == (
        "completed on 22 April 2026"
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("leaves", "left on 20 April 2026"),
        ("retired", "HSB-101 has been retired"),
        ("exempt", "exempt until 31 December 2026"),
        ("inactive_agency", "the agency is inactive"),
        ("new_email", "their email address changed"),
    ],
)
def test_a_change_since_planning_cancels_the_item_with_its_reason(world, smtp_settings, change, reason):
    agency, module, role = world
    asha = person(agency, role, start=START)
    plan()
    if change == "leaves":
        asha.left_on = D(2026, 4, 20)
        asha.save()
    elif change == "retired":
        module.active = False
        module.save()
    elif change == "exempt":
        factories.ExemptionFactory(
            staff=asha, module=module, starts_on=D(2026, 4, 1), ends_on=D(2026, 12, 31)
        )
    elif change == "inactive_agency":
        agency.active = False
        agency.save()
    elif change == "new_email":
        asha.email = "asha.patel@new.example.org"
        asha.save()

    services.message_send(message_id=only_message().id, today=DAY)

    assert ReminderItem.objects.get(stage="U+14", status="cancelled").reason == reason
    assert smtp_settings.messages == []


def test_a_temporary_failure_is_retried_and_the_email_goes_once(world, smtp_settings):
    agency, module, role = world
    person(agency, role, start=START)
    plan()
    smtp_settings.answer_next("451 4.3.0 Mailbox temporarily unavailable")
    message = only_message()

    first = services.message_send(message_id=message.id, today=DAY)

    assert first.status == "retry" and 0 < first.retry_in <= 1.0
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        "pending",
        1,
        "451 4.3.0 Mailbox temporarily unavailable",
    )
    # queued_at is when the retry is due: the sweeper waits for it first.
    assert (message.queued_at - message.claimed_at).total_seconds() == pytest.approx(first.retry_in, abs=0.05)
    item = ReminderItem.objects.get(status="pending")
    assert (item.attempts, item.last_error) == (1, "451 4.3.0 Mailbox temporarily unavailable")

    second = services.message_send(message_id=message.id, today=DAY)

    assert second.status == "sent"
    assert len(smtp_settings.messages) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert ReminderItem.objects.get(status="sent").attempts == 2


def test_a_permanent_failure_fails_the_message_with_the_error(world, smtp_settings):
    agency, module, role = world
    person(agency, role, start=START)
    plan()
    smtp_settings.always = "550 5.1.1 <asha.patel@example.org>: Recipient address rejected"

    outcome = services.message_send(message_id=only_message().id, today=DAY)

    assert outcome.status == "failed"
    message = only_message()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error == "550 5.1.1 <asha.patel@example.org>: Recipient address rejected"
    item = ReminderItem.objects.get(stage="U+14")
    assert (item.status, item.last_error) == ("failed", message.last_error)
    assert list(selectors.outbox_items(status="failed")) == [item]
    assert smtp_settings.messages == []


def test_temporary_failures_stop_after_the_last_attempt(world, smtp_settings, settings):
    agency, module, role = world
    settings.REMINDER_MAX_ATTEMPTS = 2
    person(agency, role, start=START)
    plan()
    smtp_settings.always = "421 4.7.0 Too busy, try later"
    message = only_message()

    assert services.message_send(message_id=message.id, today=DAY).status == "retry"
    assert services.message_send(message_id=message.id, today=DAY).status == "failed"

    message.refresh_from_db()
    assert message.status == "failed"
    assert message.last_error == "Gave up after 2 attempts. Last error: 421 4.7.0 Too busy, try later"


def test_an_unreachable_server_is_a_temporary_failure(world, settings):
    agency, module, role = world
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    person(agency, role, start=START)
    plan()

    outcome = services.message_send(message_id=only_message().id, today=DAY)

    assert outcome.status == "retry"
    assert "ConnectionRefusedError" in only_message().last_error


def test_a_message_is_claimed_once(world, smtp_settings):
    agency, module, role = world
    person(agency, role, start=START)
    plan()
    message = only_message()
    now = timezone.now()

    assert services.message_claim(message_id=message.id, claim_token="worker-1", now=now)
    assert not services.message_claim(message_id=message.id, claim_token="worker-2", now=now)
    # The same task redelivered after its worker died may take it back.
    assert services.message_claim(message_id=message.id, claim_token="worker-1", now=now)
    # Anyone may, once the claim is older than the lease.
    later = now + datetime.timedelta(seconds=301)
    assert services.message_claim(message_id=message.id, claim_token="worker-3", now=later)
    outcome = services.message_send(message_id=message.id, claim_token="worker-4", today=DAY)
    assert outcome.status == "not_claimed"
    assert smtp_settings.messages == []


def test_a_sent_message_is_never_sent_again(world, smtp_settings):
    agency, module, role = world
    person(agency, role, start=START)
    plan()
    message = only_message()
    services.message_send(message_id=message.id, claim_token="task-1", today=DAY)

    again = services.message_send(message_id=message.id, claim_token="task-1", today=DAY)

    assert again.status == "not_claimed"
    assert len(smtp_settings.messages) == 1


def test_the_command_line_sender_reuses_one_smtp_connection(world, smtp_settings):
    agency, module, role = world
    for n in range(4):
        person(agency, role, first_name=f"Person{n}", last_name="Smith", start=START)
    plan()

    run = services.pending_messages_send(today=DAY)

    assert (run.messages, run.sent) == (4, 4)
    assert smtp_settings.sessions == 1
    assert sorted(smtp_settings.recipients()) == [f"person{n}.smith@example.org" for n in range(4)]


def test_the_agencys_own_sender_and_reply_to_are_used(world, smtp_settings, settings):
    agency, module, role = world
    settings.REMINDER_REPLY_TO = "hsb-training@partnership.example.org"
    agency.reminder_from_email = "training@police.example.org"
    agency.save()
    person(agency, role, start=START)
    plan()

    services.message_send(message_id=only_message().id, today=DAY)

    email = smtp_settings.messages[0]["message"]
    [sender] = email["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Northshire Police HSB training",
        "training@police.example.org",
    )
    assert email["Reply-To"] == "hsb-training@partnership.example.org"


def test_the_sites_sender_and_reply_to_by_default(world, smtp_settings, settings):
    agency, module, role = world
    settings.DEFAULT_FROM_EMAIL = "HSB training <hsb@partnership.example.org>"
    settings.REMINDER_REPLY_TO = "workforce@partnership.example.org"
    person(agency, role, start=START)
    plan()

    services.message_send(message_id=only_message().id, today=DAY)

    email = smtp_settings.messages[0]["message"]
    assert email["From"] == "HSB training <hsb@partnership.example.org>"
    assert email["Reply-To"] == "workforce@partnership.example.org"


def test_the_sweeper_requeues_messages_lost_on_the_way_and_releases_dead_claims(world):
    agency, module, role = world
    person(agency, role, start=START)
    person(agency, role, first_name="Ben", last_name="Morgan", start=START)
    plan()
    lost, stuck = ReminderMessage.objects.order_by("id")
    now = timezone.now()
    ReminderMessage.objects.filter(id=lost.id).update(queued_at=now - datetime.timedelta(minutes=16))
    services.message_claim(
        message_id=stuck.id, claim_token="dead-worker", now=now - datetime.timedelta(minutes=6)
    )

    result = services.outbox_sweep(now=now, queue=False)

    assert result.released == 1
    assert sorted(result.queued) == sorted([lost.id, stuck.id])
    stuck.refresh_from_db()
    assert (stuck.status, stuck.claimed_by) == ("pending", "")
    assert services.outbox_sweep(now=now, queue=False).queued == []  # just queued: left alone


def test_the_sweeper_leaves_recently_queued_messages_alone(world):
    agency, module, role = world
    person(agency, role, start=START)
    plan()

    assert (
        services.outbox_sweep(now=timezone.now() + datetime.timedelta(minutes=14), queue=False).queued == []
    )
    assert (
        len(services.outbox_sweep(now=timezone.now() + datetime.timedelta(minutes=16), queue=False).queued)
        == 1
    )


def test_resend_puts_a_failed_message_back_on_its_way(world, smtp_settings, lead):
    agency, module, role = world
    person(agency, role, start=START)
    plan()
    smtp_settings.always = "550 5.7.1 Relaying denied"
    services.message_send(message_id=only_message().id, today=DAY)
    smtp_settings.always = None

    message = services.message_resend(message=only_message(), actor=lead)

    assert (message.status, message.attempts) == ("pending", 0)
    assert ReminderItem.objects.get(stage="U+14").status == "pending"
    assert services.message_send(message_id=message.id, today=DAY).status == "sent"
    assert len(smtp_settings.messages) == 1


def test_only_a_failed_message_can_be_resent(world, lead):
    agency, module, role = world
    person(agency, role, start=START)
    plan()

    with pytest.raises(Exception, match="Only a message that failed can be sent again."):
        services.message_resend(message=only_message(), actor=lead)
    assert only_message().status == MessageStatus.PENDING


def test_superseded_items_in_a_message_are_skipped(world, smtp_settings):
    agency, module, role = world
    person(agency, role, start=START)
    plan(D(2026, 4, 5))  # U+0, not sent
    services.reminders_plan(day=D(2026, 4, 19), queue=False)  # U+14 joins the same pending message

    services.message_send(message_id=only_message().id, today=D(2026, 4, 19))

    assert ReminderItem.objects.get(stage="U+0").status == ItemStatus.SKIPPED
    assert ReminderItem.objects.get(stage="U+14").status == ItemStatus.SENT
    assert len(smtp_settings.messages) == 1


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (smtplib.SMTPDataError(451, b"4.3.0 Try again later"), True),
        (smtplib.SMTPDataError(554, b"5.7.1 Rejected"), False),
        (smtplib.SMTPSenderRefused(550, b"5.7.1 Sender refused", "hsb@example.org"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"4.2.0 Busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"5.1.1 Unknown user")}), False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (TimeoutError("timed out"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
    ],
)
def test_only_a_5xx_answer_is_final(error, transient):
    assert services.is_transient(error) is transient


def test_a_weekly_digest_waits_for_eight_oclock(world, settings):
    agency, module, role = world
    person(agency, role, start=START, manager="boss@example.org")
    monday = D(2026, 4, 20)
    early = timezone.make_aware(datetime.datetime(2026, 4, 20, 6, 30))

    result = services.reminders_plan(day=monday, queue=False, now=early)

    boss = ReminderMessage.objects.get(recipient="boss@example.org")
    assert boss.id not in result.message_ids  # not queued at 06:30
    assert timezone.localtime(boss.send_after).time() == datetime.time(8, 0)
    assert not services.message_claim(message_id=boss.id, claim_token="early", now=early)
    assert (
        boss.id not in services.outbox_sweep(now=early + datetime.timedelta(minutes=80), queue=False).queued
    )
    at_eight = timezone.make_aware(datetime.datetime(2026, 4, 20, 8, 0))
    assert boss.id in services.outbox_sweep(now=at_eight, queue=False).queued
    assert services.message_claim(message_id=boss.id, claim_token="on-time", now=at_eight)


def test_the_sweeper_starts_a_planner_run_that_did_not_happen(world):
    before = timezone.make_aware(datetime.datetime(2026, 4, 20, 6, 20))
    after = timezone.make_aware(datetime.datetime(2026, 4, 20, 6, 40))

    assert not services.planner_run_missing(now=before)
    assert services.planner_run_missing(now=after)
    services.reminders_plan(day=D(2026, 4, 20), queue=False, now=after)
    assert not services.planner_run_missing(now=after)


def test_a_message_that_cannot_be_built_fails_visibly_instead_of_looping(world, smtp_settings, monkeypatch):
    agency, module, role = world
    person(agency, role, start=START)
    plan()

    def broken(**kwargs):
        raise KeyError("missing_template_value")

    monkeypatch.setattr("notifications.emails.message_render", broken)

    outcome = services.message_send(message_id=only_message().id, today=DAY)

    assert outcome.status == "failed"
    message = only_message()
    assert (message.status, message.last_error) == (
        "failed",
        "Could not build the email: KeyError: 'missing_template_value'",
    )
    assert ReminderItem.objects.get(stage="U+14").status == "failed"
    assert smtp_settings.messages == []
