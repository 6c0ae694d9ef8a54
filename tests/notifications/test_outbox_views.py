"""The lead's reminder pages: the outbox, a message as sent, sending a failed message again,
tomorrow's preview, and the reminders panel of the person page.

Outbox rows are made by the real planner (services.reminders_plan) and sender (services.message_send)
from a small world, so the pages are tested against rows of the real shape.
"""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications import services
from notifications.models import MessageStatus, PlannerRun, ReminderItem, ReminderMessage
from notifications.selectors import outbox as outbox_selectors
from tests import factories
from tests.notifications.builders import D, hsb101, person, role_requiring
from workforce.models import Agency

pytestmark = pytest.mark.django_db

START = D(2026, 1, 5)  # due date U = 5 April 2026 (90 days)
DAY = D(2026, 4, 23)  # a Thursday, U + 18: the U+14 reminders are due, no digests
MANAGER = "sam.manager@agency-b.example.org"


def at_noon(day):
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture
def world(agency_a, agency_b):
    """Asha (agency A) and Ben (agency B, with a line manager), both never trained, U = 5 April."""
    # No HR or training-lead addresses: no staff-list reviews or digests muddle these tests.
    Agency.objects.filter(pk__in=[agency_a.pk, agency_b.pk]).update(
        hr_contact_email="", training_lead_email=""
    )
    module = hsb101()
    role = role_requiring(module)
    asha = person(agency_a, role, first_name="Asha", last_name="Patel", start=START, staff_number="A1001")
    ben = person(
        agency_b,
        role,
        first_name="Ben",
        last_name="Morgan",
        start=START,
        staff_number="B2002",
        manager=MANAGER,
    )
    return {"module": module, "role": role, "asha": asha, "ben": ben}


def plan(day=DAY):
    return services.reminders_plan(day=day, queue=False)


def message_to(recipient):
    return ReminderMessage.objects.get(recipient=recipient)


def listed(response):
    return list(response.context["page"].object_list)


# ---------------------------------------------------------------------------------------------
# Who may open the pages
# ---------------------------------------------------------------------------------------------


def page_urls():
    message = ReminderMessage.objects.order_by("id").first()
    return {
        "outbox": reverse("outbox:items"),
        "tomorrow": reverse("outbox:tomorrow"),
        "message": reverse("outbox:message", kwargs={"pk": message.pk}),
        "message_html": reverse("outbox:message_html", kwargs={"pk": message.pk}),
    }


@pytest.fixture
def sent_world(world):
    plan()
    for message in ReminderMessage.objects.all():
        services.message_send(message_id=message.id, today=DAY)
    return world


@pytest.mark.parametrize("name", ["outbox", "tomorrow", "message", "message_html"])
def test_only_a_lead_may_open_the_reminder_pages(client, sent_world, lead, hr_a, outsider, name):
    url = page_urls()[name]

    assert client.get(url).status_code == 302
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(lead)
    assert client.get(url).status_code == 200
    for someone in (hr_a, outsider):
        client.force_login(someone)
        assert client.get(url).status_code == 404


def test_only_a_lead_may_send_a_message_again(client, world, lead, hr_a, outsider, smtp_settings):
    plan()
    smtp_settings.always = "550 5.1.1 <asha.patel@example.org>: Recipient address rejected"
    message = message_to("asha.patel@example.org")
    services.message_send(message_id=message.id, today=DAY)
    url = reverse("outbox:message_resend", kwargs={"pk": message.pk})

    response = client.post(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for someone in (hr_a, outsider):
        client.force_login(someone)
        assert client.post(url).status_code == 404
    client.force_login(lead)
    assert client.get(url).status_code == 405  # a change of state is a POST
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED


def test_an_unknown_message_is_not_found(client, lead):
    client.force_login(lead)
    assert client.get(reverse("outbox:message", kwargs={"pk": 999})).status_code == 404
    assert client.post(reverse("outbox:message_resend", kwargs={"pk": 999})).status_code == 404


# ---------------------------------------------------------------------------------------------
# The outbox page
# ---------------------------------------------------------------------------------------------


def test_the_outbox_lists_every_item_with_its_details_and_status_counts(client, world, lead):
    plan()
    client.force_login(lead)

    response = client.get(reverse("outbox:items"))

    # Each series sends its latest stage (U+14); the earlier ones are recorded as skipped, and left
    # out of the list unless asked for.
    assert {(i.recipient, i.kind, i.stage, i.status) for i in listed(response)} == {
        ("asha.patel@example.org", "overdue", "U+14", "pending"),
        ("ben.morgan@example.org", "overdue", "U+14", "pending"),
        (MANAGER, "escalation", "U+14", "pending"),
    }
    html = response.content.decode()
    asha = world["asha"]
    assert f'href="{reverse("staff_detail", kwargs={"pk": asha.pk})}">Asha Patel</a>' in html
    assert (
        "5 Apr 2026" in html and "23 Apr 2026" in html
    )  # cycle date and planned-for (short months in tables)
    assert "2 weeks after the due date" in html
    assert "U+14" not in html, "stages in words, not codes"
    assert "asha<wbr>.patel<wbr>@example<wbr>.org" in html
    skipped = ReminderItem.objects.filter(status="skipped").count()
    counts = {link["value"]: link["count"] for link in response.context["status_links"]}
    assert skipped and counts == {
        None: 3,
        "pending": 3,
        "sent": 0,
        "failed": 0,
        "cancelled": 0,
        "skipped": skipped,
        "all": 3 + skipped,
    }
    assert '<strong aria-current="true">Any but skipped (3)</strong>' in html
    assert f'<a class="govuk-link" href="?status=skipped">Skipped ({skipped})</a>' in html

    everything = listed(client.get(reverse("outbox:items"), {"status": "all"}))
    assert len(everything) == 3 + skipped
    assert all(
        i.reason.startswith("not sent: a later reminder (U+14") for i in everything if i.status == "skipped"
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "pending"}, {"asha.patel@example.org", "ben.morgan@example.org", MANAGER}),
        ({"status": "skipped", "agency": "agency-a"}, {"asha.patel@example.org"}),
        ({"status": "sent"}, set()),
        ({"kind": "escalation"}, {MANAGER}),
        ({"agency": "agency-a"}, {"asha.patel@example.org"}),
        ({"q": "ben.morgan@"}, {"ben.morgan@example.org"}),
        ({"q": "Patel"}, {"asha.patel@example.org"}),
        ({"q": "  asha   patel "}, {"asha.patel@example.org"}),  # every word must match
        ({"q": "Ben Patel"}, set()),
        ({"q": "b2002"}, {"ben.morgan@example.org", MANAGER}),  # his own and his manager's
        ({"q": "HSB-101", "agency": "agency-b", "status": "pending"}, {"ben.morgan@example.org", MANAGER}),
        ({"q": "nobody-at-all"}, set()),
    ],
)
def test_filters_and_search_narrow_the_outbox(client, world, lead, query, expected):
    plan()
    client.force_login(lead)

    response = client.get(reverse("outbox:items"), query)

    assert response.status_code == 200
    assert {item.recipient for item in listed(response)} == expected
    if not expected:
        assert "No reminders match these filters." in response.content.decode()


def test_the_date_range_filters_on_the_planning_day(client, world, lead):
    plan(D(2026, 3, 10))  # U-30 is due: one "due soon" each
    plan()  # U+14
    client.force_login(lead)

    march = listed(
        client.get(reverse("outbox:items"), {"since": "1/3/2026", "until": "31/3/2026", "status": "all"})
    )
    april = listed(client.get(reverse("outbox:items"), {"since": "2026-04-01", "status": "all"}))

    assert march and {item.planned_for for item in march} == {D(2026, 3, 10)}
    assert april and {item.planned_for for item in april} == {DAY}
    assert len(march) + len(april) == ReminderItem.objects.count()


def test_a_mistyped_filter_is_explained_and_left_out(client, world, lead):
    plan()
    client.force_login(lead)

    response = client.get(reverse("outbox:items"), {"since": "31/2/2026", "kind": "escalation"})

    html = response.content.decode()
    assert "Enter the planned from date as a real date, for example 4/3/2026." in html
    assert "<title>Error: Reminder outbox" in html
    assert {item.recipient for item in listed(response)} == {MANAGER}  # the valid filter still applies


def test_dates_the_wrong_way_round_are_refused(client, world, lead):
    plan()
    client.force_login(lead)

    response = client.get(reverse("outbox:items"), {"since": "30/4/2026", "until": "1/4/2026"})

    assert "The “planned to” date must be the same as or after the “planned from” date." in (
        response.content.decode()
    )


def test_the_outbox_is_paginated_by_fifty(client, world, lead):
    others = [
        person(world["asha"].agency, world["role"], first_name=f"P{n}", last_name="Test") for n in range(60)
    ]
    assert len(others) == 60
    plan()
    client.force_login(lead)

    first = client.get(reverse("outbox:items"), {"status": "pending"})
    second = client.get(reverse("outbox:items"), {"status": "pending", "page": 2})

    assert len(listed(first)) == 50 and len(listed(second)) == 13
    assert 'href="?status=pending&amp;page=2"' in first.content.decode()


def _outbox_queries(client, lead, count, world):
    ReminderItem.objects.all().delete()
    ReminderMessage.objects.all().delete()
    PlannerRun.objects.all().delete()
    existing = world["asha"].agency.staff.filter(last_name="Many").count()
    for n in range(existing, count):
        person(
            world["asha"].agency, world["role"], first_name=f"M{n}", last_name="Many", staff_number=f"M{n}"
        )
    plan()
    have = ReminderItem.objects.filter(status="pending", staff__last_name="Many")
    assert have.count() == count
    client.force_login(lead)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("outbox:items"), {"status": "pending", "q": "Many"})
    assert len(listed(response)) == count
    return len(queries)


def test_the_outbox_reads_the_database_a_fixed_number_of_times(
    client, world, lead, django_assert_max_num_queries
):
    few = _outbox_queries(client, lead, 5, world)
    many = _outbox_queries(client, lead, 50, world)

    assert few == many
    with django_assert_max_num_queries(many):
        client.get(reverse("outbox:items"), {"status": "pending", "q": "Many"})
    assert many <= 12, "two more than before: the team and job role filters' choices"


# ---------------------------------------------------------------------------------------------
# A failed message: visible with its error, and sent again once
# ---------------------------------------------------------------------------------------------

REJECTED = "550 5.1.1 <asha.patel@example.org>: Recipient address rejected"


@pytest.fixture
def failed_message(world, smtp_settings):
    plan()
    smtp_settings.always = REJECTED
    message = message_to("asha.patel@example.org")
    services.message_send(message_id=message.id, today=DAY)
    smtp_settings.always = None
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    return message


@pytest.fixture
def queued(monkeypatch):
    """The broker is the edge of the system here: record what would be handed to it."""
    calls = []
    monkeypatch.setattr(services, "messages_queue", lambda ids: calls.append(list(ids)) or len(ids))
    return calls


def test_a_refused_email_shows_as_failed_with_its_error_on_the_outbox(client, failed_message, lead):
    client.force_login(lead)

    response = client.get(reverse("outbox:items"), {"status": "failed"})

    [item] = listed(response)
    assert (item.recipient, item.status, item.attempts, item.last_error) == (
        "asha.patel@example.org",
        "failed",
        1,
        REJECTED,
    )
    html = response.content.decode()
    assert "550 5.1.1 &lt;asha.patel@example.org&gt;: Recipient address rejected" in html
    assert reverse("outbox:message_resend", kwargs={"pk": failed_message.pk}) in html
    assert '<strong aria-current="true">Failed (1)</strong>' in html
    assert "1 reminder could not be sent in this selection." in html


def test_send_again_puts_a_failed_email_back_in_the_queue_once(
    client, failed_message, lead, queued, django_capture_on_commit_callbacks
):
    client.force_login(lead)
    url = reverse("outbox:message_resend", kwargs={"pk": failed_message.pk})
    back = reverse("outbox:items") + "?status=failed"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"next": back}, follow=True)

    assert response.redirect_chain == [(back, 302)]
    assert "The email to asha.patel@example.org is queued to be sent again." in response.content.decode()
    failed_message.refresh_from_db()
    assert (failed_message.status, failed_message.attempts) == ("pending", 0)
    assert ReminderItem.objects.get(recipient="asha.patel@example.org", stage="U+14").status == "pending"
    assert queued == [[failed_message.id]]

    # A second click (or a second lead) changes nothing and says so.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, follow=True)

    assert again.redirect_chain == [(reverse("outbox:message", kwargs={"pk": failed_message.pk}), 302)]
    assert (
        "Nothing was sent again: this email is already waiting to be sent, and only an email that failed "
        "can be sent again." in again.content.decode()
    )
    failed_message.refresh_from_db()
    assert (failed_message.status, failed_message.queued_at is not None) == ("pending", True)
    assert queued == [[failed_message.id]]


def test_a_sent_email_cannot_be_sent_again(client, sent_world, lead, queued):
    message = message_to("asha.patel@example.org")
    assert message.status == MessageStatus.SENT
    client.force_login(lead)

    response = client.post(reverse("outbox:message_resend", kwargs={"pk": message.pk}), follow=True)

    assert (
        "this email was sent, and only an email that failed can be sent again." in response.content.decode()
    )
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert queued == []


def test_send_again_never_redirects_to_another_site(client, failed_message, lead, queued):
    client.force_login(lead)

    response = client.post(
        reverse("outbox:message_resend", kwargs={"pk": failed_message.pk}),
        {"next": "https://evil.example.com/"},
    )

    assert response["Location"] == reverse("outbox:message", kwargs={"pk": failed_message.pk})


# ---------------------------------------------------------------------------------------------
# A message, exactly as it was sent
# ---------------------------------------------------------------------------------------------


def test_a_message_shows_its_subject_headers_text_items_and_sent_time(client, sent_world, lead):
    message = message_to("asha.patel@example.org")
    client.force_login(lead)

    response = client.get(reverse("outbox:message", kwargs={"pk": message.pk}))

    html = response.content.decode()
    assert (
        message.subject
        and f'<h1 class="govuk-heading-l govuk-!-text-break-word">{message.subject}</h1>' in html
    )
    pre = re.search(r'<pre class="app-email-text">(.*?)</pre>', html, re.S).group(1)
    assert "Dear Asha," in pre and pre.startswith(message.text_body.splitlines()[0])
    assert f'<dd class="govuk-summary-list__value govuk-!-text-break-word">{message.recipient}</dd>' in html
    assert message.from_email and message.from_email.replace("<", "&lt;").replace(">", "&gt;") in html
    assert "Auto-Submitted" in html
    assert "List-Unsubscribe" not in html  # a mandatory reminder has none
    assert "Not sent" not in html and ">Sent</strong>" in html
    assert [item.stage for item in response.context["items"]] == ["U+14"]


def test_a_digest_shows_its_unsubscribe_header(client, world, lead):
    Agency.objects.filter(pk=world["asha"].agency_id).update(
        training_lead_email="training@agency-a.example.org"
    )
    plan(D(2026, 5, 1))  # the 1st of the month: the agency digest
    digest = message_to("training@agency-a.example.org")
    morning = datetime.datetime(2026, 5, 1, 9, tzinfo=datetime.UTC)  # digests wait for 08:00
    assert services.message_send(message_id=digest.id, today=D(2026, 5, 1), now=morning).status == "sent"
    client.force_login(lead)

    html = client.get(reverse("outbox:message", kwargs={"pk": digest.pk})).content.decode()

    assert "List-Unsubscribe</dt>" in html
    assert "/notifications/email-preferences/" in html


def test_the_html_version_is_never_put_into_our_page(client, sent_world, lead):
    message = message_to("asha.patel@example.org")
    hostile = (
        '<html><body><p id="stored-marker">Hello</p><script>alert("from the email")</script></body></html>'
    )
    ReminderMessage.objects.filter(pk=message.pk).update(html_body=hostile)  # as if a name carried markup
    client.force_login(lead)
    html_url = reverse("outbox:message_html", kwargs={"pk": message.pk})

    page = client.get(reverse("outbox:message", kwargs={"pk": message.pk})).content.decode()

    assert "stored-marker" not in page and "from the email" not in page
    [frame] = re.findall(r"<iframe[^>]*>", page)
    assert 'sandbox=""' in frame and f'src="{html_url}"' in frame

    alone = client.get(html_url)
    assert alone.content.decode() == hostile  # exactly as stored
    assert alone["Content-Type"] == "text/html; charset=utf-8"
    policy = alone["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy and "script-src" not in policy
    assert alone["X-Content-Type-Options"] == "nosniff"
    assert alone["X-Frame-Options"] == "SAMEORIGIN"


def test_a_message_not_yet_written_says_so(client, world, lead):
    plan()
    message = message_to("asha.patel@example.org")
    client.force_login(lead)

    html = client.get(reverse("outbox:message", kwargs={"pk": message.pk})).content.decode()

    assert "This email has not been written yet." in html and "<iframe" not in html
    assert "Send this email again" not in html
    assert client.get(reverse("outbox:message_html", kwargs={"pk": message.pk})).status_code == 404


def test_a_failed_message_offers_to_send_it_again(client, failed_message, lead):
    client.force_login(lead)

    html = client.get(reverse("outbox:message", kwargs={"pk": failed_message.pk})).content.decode()

    assert "This email failed: 550 5.1.1 &lt;asha.patel@example.org&gt;: Recipient address rejected" in html
    assert "Send this email again" in html and 'name="csrfmiddlewaretoken"' in html


# ---------------------------------------------------------------------------------------------
# Tomorrow's batch
# ---------------------------------------------------------------------------------------------


def test_tomorrows_preview_groups_by_recipient_and_writes_nothing(client, world, lead):
    extra = factories.ModuleFactory(code="HSB-102", title="Local HSB pathway and referral briefing")
    factories.RequirementFactory(job_role=world["role"], module=extra, starts_on=D(2020, 1, 1))
    client.force_login(lead)
    before = (ReminderItem.objects.count(), ReminderMessage.objects.count(), PlannerRun.objects.count())

    with at_noon(DAY - datetime.timedelta(days=1)):
        response = client.get(reverse("outbox:tomorrow"))

    assert (
        ReminderItem.objects.count(),
        ReminderMessage.objects.count(),
        PlannerRun.objects.count(),
    ) == before
    preview = response.context["preview"]
    assert preview.day == DAY
    by_recipient = {
        m.recipient: sorted((line.kind, line.module.code) for line in m.lines) for m in preview.messages
    }
    assert by_recipient == {
        "asha.patel@example.org": [("overdue", "HSB-101"), ("overdue", "HSB-102")],
        "ben.morgan@example.org": [("overdue", "HSB-101"), ("overdue", "HSB-102")],
        MANAGER: [("escalation", "HSB-101"), ("escalation", "HSB-102")],
    }
    assert preview.by_kind == [("Overdue", 4), ("Escalation to line manager", 2)]
    html = response.content.decode()
    assert "This is a preview: nothing has been planned or sent." in html
    assert "6 reminders in 3 emails" in html
    assert "23 April 2026" in html


def test_tomorrows_preview_is_kept_for_a_while_and_can_be_worked_out_again(client, world, lead, hr_a):
    client.force_login(lead)
    url = reverse("outbox:tomorrow")

    def recipients():
        return {message.recipient for message in client.get(url).context["preview"].messages}

    with at_noon(DAY - datetime.timedelta(days=1)):
        assert "asha.patel@example.org" in recipients()
        factories.CompletionFactory(
            staff=world["asha"], module=world["module"], completed_on=DAY - datetime.timedelta(days=2)
        )
        # Kept: the page does not run the planner again on every visit.
        assert "asha.patel@example.org" in recipients()
        html = client.get(url).content.decode()
        assert (
            "Worked out at 13:00 and kept for 10 minutes, so a change made to the records" in html
        )  # noon UTC is 13:00 in April
        assert "Work it out again" in html

        # Someone else cannot make the site work it out.
        client.force_login(hr_a)
        assert client.post(url).status_code == 404
        client.force_login(lead)
        assert "asha.patel@example.org" in recipients()

        response = client.post(url)
        assert response.status_code == 302 and response["Location"] == url
        assert "asha.patel@example.org" not in recipients()
        assert not ReminderItem.objects.exists()  # working it out writes nothing


def test_tomorrows_preview_with_nothing_due(client, lead):
    client.force_login(lead)

    with at_noon(DAY):
        html = client.get(reverse("outbox:tomorrow")).content.decode()

    assert "No reminders would be sent on 24 April 2026." in html


# ---------------------------------------------------------------------------------------------
# The person page's panel
# ---------------------------------------------------------------------------------------------


def test_the_person_page_shows_the_next_reminder_and_the_history(client, world, lead):
    plan()
    client.force_login(lead)
    asha = world["asha"]

    with at_noon(DAY):
        html = client.get(reverse("staff_detail", kwargs={"pk": asha.pk})).content.decode()

    panel = html[html.index('id="reminders"') :]
    # After U+14 (23 April) comes U+28: 3 May 2026.
    assert re.search(r"Date</dt>\s*<dd[^>]*>3 May 2026</dd>", panel)
    assert "Overdue (4 weeks after the due date)" in panel
    assert "HSB-101 Understanding harmful sexual behaviour" in panel
    assert ">Pending</strong>" in panel and ">Skipped</strong>" not in panel
    skipped = ReminderItem.objects.filter(staff=asha, status="skipped").count()
    assert f"{skipped} earlier stages were skipped because a later reminder" in panel
    assert f"{reverse('outbox:items')}?q=A1001&amp;status=all" in panel
    message = message_to("asha.patel@example.org")
    assert reverse("outbox:message", kwargs={"pk": message.pk}) in panel  # leads may open the email


def test_agency_hr_sees_the_panel_of_their_own_staff_without_links_to_the_outbox(client, world, hr_a, hr_b):
    plan()
    asha = world["asha"]
    client.force_login(hr_a)

    with at_noon(DAY):
        html = client.get(reverse("staff_detail", kwargs={"pk": asha.pk})).content.decode()

    assert 'id="reminders"' in html and "3 May 2026" in html
    assert "/reminders/messages/" not in html
    client.force_login(hr_b)
    assert client.get(reverse("staff_detail", kwargs={"pk": asha.pk})).status_code == 404


def test_the_panel_explains_when_no_reminder_can_be_sent(client, world, lead):
    plan()
    world["asha"].__class__.objects.filter(pk=world["asha"].pk).update(email="")
    client.force_login(lead)

    with at_noon(DAY):
        html = client.get(reverse("staff_detail", kwargs={"pk": world["asha"].pk})).content.decode()

    assert "No reminder is scheduled." in html
    assert (
        "Asha has no email address and no line manager email, so no reminders can be sent about their "
        "training." in html
    )


def _panel_queries(staff):
    staff = type(staff).objects.select_related("agency").get(pk=staff.pk)
    with CaptureQueriesContext(connection) as queries:
        outbox_selectors.person_reminders(staff)
    return len(queries)


def test_the_panel_reads_the_database_a_fixed_number_of_times(world, lead):
    role = world["role"]
    for n in range(4):
        extra = factories.ModuleFactory(code=f"HSB-9{n}", title=f"Extra {n}")
        factories.RequirementFactory(job_role=role, module=extra, starts_on=D(2020, 1, 1))
    plan(D(2026, 3, 10))
    plan()
    asha = world["asha"]
    one = person(
        world["asha"].agency, factories.JobRoleFactory(name="Other"), first_name="Una", last_name="One"
    )
    factories.RequirementFactory(job_role=one.job_role, module=world["module"], starts_on=D(2020, 1, 1))
    plan(D(2026, 4, 24))
    assert ReminderItem.objects.filter(staff=asha).count() > 10

    with at_noon(D(2026, 4, 24)):
        many = _panel_queries(asha)
        few = _panel_queries(one)

    assert many == few
