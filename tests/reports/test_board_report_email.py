"""The monthly board report email (reports.reminders): planned through the outbox once per lead and
month on the first working day, to active partnership leads with an address only, carrying the
PDF (rendered when sent, never stored) with SMTP and a link with GOV.UK Notify; a lead may switch
it off; the outbox says what it is in words."""

import datetime
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from notifications import services as outbox
from notifications.models import DigestOptOut, ItemStatus, ReminderItem, ReminderMessage
from notifications.tasks import plan_reminders, sweep_outbox
from reports import reminders
from reports.reminders import KIND, SOURCE, first_working_day, report_due
from tests import factories
from tests.celery_fixtures import wait_for
from tests.notifications.builders import complete, hsb101, person, quiet_agency, role_requiring
from training.selectors.report import build_report

D = datetime.date
JUNE = D(2026, 6, 1)  # a Monday: the month's first working day


def plan(day):
    return outbox.reminders_plan(day=day, queue=False, only=[SOURCE])


def send(day):
    now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    return outbox.pending_messages_send(today=day, now=now)


def planned():
    return sorted(ReminderItem.objects.filter(kind=KIND).values_list("recipient", "cycle_date", "stage"))


def pdf_text(content: bytes):
    reader = PdfReader(io.BytesIO(content))
    return reader, " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def percent(rate):
    return int(rate * 100) if rate is not None else None  # rounded down, as the report shows it


@pytest.fixture
def partnership(db):
    """One agency of two police officers, one trained: 50% compliant. They have no address, so
    nothing but the board report is planned."""
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    trained = person(agency, role, first_name="Ann", email="")
    person(agency, role, first_name="Bob", email="")
    complete(trained, module, D(2026, 1, 5))
    return agency


@pytest.fixture
def leads(db):
    """Two leads who get it, and users who do not: HR, an inactive lead, a lead without an
    address, a superuser outside the lead group."""
    factories.LeadFactory(username="lead-one", email="Lead.One@example.org")
    factories.LeadFactory(username="lead-two", email="lead.two@example.org")
    other = quiet_agency(name="Other agency", slug="other-agency")
    factories.AgencyHRFactory(username="hr", email="hr@example.org", agency=other)
    factories.LeadFactory(username="gone", email="gone@example.org", is_active=False)
    factories.LeadFactory(username="no-address", email="")
    factories.UserFactory(username="root", email="root@example.org", is_superuser=True)
    return ["lead.one@example.org", "lead.two@example.org"]


@pytest.mark.parametrize(
    ("month", "first"),
    [
        (D(2026, 6, 1), D(2026, 6, 1)),  # a Monday
        (D(2026, 8, 1), D(2026, 8, 3)),  # a Saturday: the Monday after
        (D(2026, 11, 1), D(2026, 11, 2)),  # a Sunday
        (D(2027, 1, 1), D(2027, 1, 1)),  # a Friday (bank holidays are not known)
    ],
)
def test_the_first_working_day_of_a_month(month, first):
    assert first_working_day(month) == first
    assert first_working_day(month.replace(day=20)) == first


@pytest.mark.parametrize(
    ("day", "due"),
    [(D(2026, 8, 1), False), (D(2026, 8, 3), True), (D(2026, 8, 10), True), (D(2026, 8, 11), False)],
)
def test_it_is_due_from_the_first_working_day_for_a_week_of_catch_up(day, due):
    assert report_due(day) is due


def test_one_email_per_active_lead_with_an_address_per_month_and_a_second_run_plans_nothing(leads):
    plan(JUNE)
    expected = [(email, JUNE, "monthly-report") for email in leads]
    assert planned() == expected
    plan(JUNE)
    plan(JUNE + datetime.timedelta(days=1))  # the catch-up days plan the same keys: nothing new
    assert planned() == expected
    assert ReminderMessage.objects.count() == 2
    plan(D(2026, 7, 1))
    assert len(planned()) == 4


def test_nothing_is_planned_outside_its_days(leads):
    for day in (D(2026, 8, 1), D(2026, 8, 2), D(2026, 8, 11), D(2026, 8, 31)):
        plan(day)
    assert planned() == []


def test_a_planner_that_missed_the_first_working_day_catches_up_once(leads):
    plan(D(2026, 6, 4))
    assert planned() == [(email, JUNE, "monthly-report") for email in leads]
    item = ReminderItem.objects.filter(kind=KIND).first()
    assert item.stage_date == JUNE


def test_the_email_carries_the_pdf_with_compliance_reports_rate(partnership, leads, settings):
    plan(JUNE)
    send(JUNE)
    assert sorted(message.to[0] for message in mail.outbox) == leads
    message = mail.outbox[0]
    rate = percent(build_report(on=JUNE)["rate"])
    assert rate == 50
    assert (
        message.subject == f"Board report for June 2026: the partnership's HSB training compliance is {rate}%"
    )
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == ("board-report-partnership-2026-06-01.pdf", "application/pdf")
    reader, text = pdf_text(content)
    assert len(reader.pages) <= 2
    assert f"{rate}% compliance rate" in text and "Figures on 1 June 2026" in text
    assert "is attached (board-report-partnership-2026-06-01.pdf)" in message.body
    assert f"{settings.SITE_URL}/reports/board/ (sign-in needed)" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "You get this monthly email as a partnership lead in the tracker." in message.body
    # The outbox keeps the email's text, not the PDF.
    stored = ReminderMessage.objects.get(recipient=leads[0])
    assert stored.status == "sent" and "attached" in stored.text_body
    assert "%PDF" not in stored.text_body + stored.html_body
    assert ReminderItem.objects.filter(kind=KIND, status=ItemStatus.SENT).count() == 2


def test_with_gov_uk_notify_the_email_links_to_the_report_instead(partnership, leads, settings):
    plan(JUNE)
    settings.EMAIL_BACKEND = "notifications.notify.NotifyEmailBackend"
    assert reminders.attaches_pdf() is False
    item = ReminderItem.objects.filter(kind=KIND).select_related("staff", "module", "agency").first()
    from notifications.emails import message_render
    from notifications.selectors.recheck import message_facts

    facts = message_facts([item], today=JUNE)
    email = message_render(recipient=item.recipient, items=[item], facts=facts, today=JUNE)
    assert email.attachments == []
    assert "attached" not in email.text
    assert f"Open it, for another date or agency, at {settings.SITE_URL}/reports/board/" in email.text


def test_a_lead_who_switched_it_off_is_not_sent_it(partnership, leads):
    DigestOptOut.objects.create(email=leads[0], kind=KIND)
    plan(JUNE)
    assert [row[0] for row in planned()] == [leads[1]]


def test_a_lead_who_switches_it_off_or_stops_being_a_lead_before_it_goes_is_not_sent_it(partnership, leads):
    plan(JUNE)
    DigestOptOut.objects.create(email=leads[0], kind=KIND)
    factories.LeadFactory._meta.model.objects.filter(username="lead-two").update(is_active=False)
    send(JUNE)
    assert mail.outbox == []
    reasons = dict(ReminderItem.objects.filter(kind=KIND).values_list("recipient", "reason"))
    assert reasons == {
        leads[0]: "unsubscribed from the monthly board report",
        leads[1]: "no longer an active partnership lead",
    }
    assert set(ReminderItem.objects.filter(kind=KIND).values_list("status", flat=True)) == {"cancelled"}


def test_it_is_on_the_digest_preferences_of_its_reader(leads):
    from notifications.sources import digest_kinds, reminder_kind

    assert KIND in digest_kinds()
    assert reminder_kind(KIND).description.startswith("On the first working day of each month")


def test_the_outbox_page_names_it_and_its_stage_in_words(client, partnership, leads, lead, hr_a):
    plan(JUNE)
    client.force_login(lead)
    page = client.get(reverse("outbox:items"), {"kind": KIND}).text
    assert "Monthly board report" in page
    assert "On the first working day of each month" in page
    assert "monthly-report" not in page
    client.force_login(hr_a)
    assert client.get(reverse("outbox:items")).status_code in (403, 404)


# ---------------------------------------------------------------------------------------------
# Through the real worker and the real SMTP server
# ---------------------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_it_once_with_the_pdf_and_a_rerun_sends_nothing(
    celery_worker, smtp_settings, partnership, leads
):
    # The worker sends on the real today; the planner plans this month's first working day.
    day = first_working_day(timezone.localdate())
    plan_reminders.delay(day.isoformat())
    assert smtp_settings.wait_for_count(2, timeout=60)
    received = {message["to"][0]: message["message"] for message in smtp_settings.messages}
    assert sorted(received) == leads
    email = received[leads[0]]
    [attachment] = [part for part in email.iter_attachments()]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"board-report-partnership-{timezone.localdate().isoformat()}.pdf"
    reader, text = pdf_text(attachment.get_content())
    rate = percent(build_report(on=timezone.localdate())["rate"])
    assert len(reader.pages) <= 2 and f"{rate}% compliance rate" in text
    assert f"compliance is {rate}%" in str(email["Subject"])

    def all_sent():
        return ReminderItem.objects.filter(kind=KIND, status=ItemStatus.SENT).count() == 2

    wait_for(all_sent, timeout=15, interval=0.25)
    # A second beat, a retried task and the sweeper: nothing more goes.
    plan_reminders.delay(day.isoformat())
    sweep_outbox.delay()
    assert smtp_settings.wait_for_count(3, timeout=5) is False
    assert len(smtp_settings.messages) == 2
    assert ReminderItem.objects.filter(kind=KIND).count() == 2


def test_its_reader_may_switch_it_off_and_a_line_manager_is_not_offered_it(client, leads):
    from notifications.emails import preferences_url

    plan(JUNE)
    page = client.get(preferences_url(email=leads[0], kind=KIND))
    assert "Send me the monthly board report" in page.text
    assert "line-manager digest" not in page.text
    client.post(preferences_url(email=leads[0], kind=KIND), {"save": ""})  # its box unticked
    assert list(DigestOptOut.objects.values_list("email", "kind")) == [(leads[0], KIND)]
    manager = client.get(preferences_url(email="boss@example.org", kind="manager_digest")).text
    assert "Send me the weekly line-manager digest" in manager
    assert "board report" not in manager
