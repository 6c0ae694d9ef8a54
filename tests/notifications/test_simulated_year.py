"""A simulated year, day by day: the planner at 06:30, the sender at 08:05, for a small cohort that
covers every kind and stage of PRODUCT.md section 4. The expected reminders are written out below,
worked out by hand from the section 4 table (not by running the engine).

The cohort (all at Northshire Police unless said; HSB-999 is required of police officers but
retired, so it never reminds anyone):

| who  | situation                                                                           |
| ---- | ----------------------------------------------------------------------------------- |
| Asha | starts 2 Feb 2026 (HSB-101 due 3 May); manager boss@; completes late: recorded     |
|      | 14 June between planning and sending, completion dated 12 June                     |
| Ben  | HSB-101 expires 20 April 2026; renews on 15 April, inside the window                |
| Cara | HSB-101 expires 1 July 2026 and is never renewed; manager boss@; leaves 30 Sept     |
| Eve  | designated safeguarding lead starting 1 Sept: HSB-101 and HSB-204 due 30 Nov;       |
|      | HSB-204's policy repeats "overdue" every 7 days, twice at most; manager frank@      |
| Leo  | HSB-101 due 31 Aug 2025, never done: go-live catch-up sends only U+70               |
| Mia  | self-declares HSB-101 on 2 March; a lead verifies it on 9 March                     |
| Hana | no email address: never reminded, listed as unreachable in the agency digest        |
| Gus  | exempt from HSB-101                                                                 |
| Ivan | left on 15 December 2025                                                            |
| Kim  | starts in February 2027                                                             |
| Jo   | works for an inactive agency (whose contacts get nothing either)                    |

The agency was created on 1 October 2025 and uploads a staff list on 10 March 2026.
"""

import datetime
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.core import mail

from imports.models import ImportRecord
from notifications import services
from notifications.models import ReminderItem, ReminderMessage, ReminderPolicy
from tests import factories
from tests.notifications.builders import complete, person, role_requiring, set_created
from training.models import CompletionSource
from training.services import completion_record, completion_verify

pytestmark = pytest.mark.django_db

D = datetime.date
LONDON = zoneinfo.ZoneInfo("Europe/London")
FIRST_DAY = D(2026, 1, 1)
LAST_DAY = D(2026, 12, 31)

ASHA, BEN, CARA, EVE, LEO = "asha", "ben", "cara", "eve", "leo"
BOSS, FRANK = "boss@example.org", "frank@example.org"
TRAINING, HR, LEAD = "training@police.example.org", "hr@police.example.org", "lead@partnership.example.org"

# (day planned and sent, recipient, kind, about whom, module, stage, final status)
EXPECTED = [
    # 1 January: go-live. Leo's U+70 is sent, his eight earlier stages are recorded as skipped.
    ("2026-01-01", LEO, "assigned", LEO, "HSB-101", "start", "skipped"),
    ("2026-01-01", LEO, "due_soon", LEO, "HSB-101", "U-30", "skipped"),
    ("2026-01-01", LEO, "due_soon", LEO, "HSB-101", "U-7", "skipped"),
    ("2026-01-01", LEO, "overdue", LEO, "HSB-101", "U+0", "skipped"),
    ("2026-01-01", LEO, "overdue", LEO, "HSB-101", "U+14", "skipped"),
    ("2026-01-01", LEO, "overdue", LEO, "HSB-101", "U+28", "skipped"),
    ("2026-01-01", LEO, "overdue", LEO, "HSB-101", "U+42", "skipped"),
    ("2026-01-01", LEO, "overdue", LEO, "HSB-101", "U+56", "skipped"),
    ("2026-01-01", LEO, "overdue", LEO, "HSB-101", "U+70", "sent"),
    ("2026-01-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-01-01", HR, "staff_list_review", "-", "-", "L+91", "sent"),  # created 1 Oct 2025
    ("2026-01-30", HR, "staff_list_review", "-", "-", "L+121", "sent"),
    ("2026-02-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-02-02", ASHA, "assigned", ASHA, "HSB-101", "start", "sent"),
    ("2026-02-19", BEN, "renewal_open", BEN, "HSB-101", "X-60", "sent"),
    ("2026-03-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-03-01", HR, "staff_list_review", "-", "-", "L+151", "sent"),
    # Mia's declaration of 2 March has waited over 3 days from the 6th until verified on the 9th.
    ("2026-03-06", LEAD, "verification_review", "-", "-", "daily", "sent"),
    ("2026-03-07", LEAD, "verification_review", "-", "-", "daily", "sent"),
    ("2026-03-08", LEAD, "verification_review", "-", "-", "daily", "sent"),
    ("2026-03-09", LEAD, "verification_review", "-", "-", "daily", "sent"),
    ("2026-03-21", BEN, "renewal_soon", BEN, "HSB-101", "X-30", "sent"),
    ("2026-04-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-04-03", ASHA, "due_soon", ASHA, "HSB-101", "U-30", "sent"),
    ("2026-04-06", BOSS, "manager_digest", "-", "-", "weekly", "sent"),  # Asha due within 30 days
    ("2026-04-13", BEN, "renewal_soon", BEN, "HSB-101", "X-7", "sent"),  # renews on the 15th
    ("2026-04-13", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-04-20", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-04-26", ASHA, "due_soon", ASHA, "HSB-101", "U-7", "sent"),
    ("2026-04-27", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-05-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-05-02", CARA, "renewal_open", CARA, "HSB-101", "X-60", "sent"),
    ("2026-05-03", ASHA, "overdue", ASHA, "HSB-101", "U+0", "sent"),
    ("2026-05-04", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-05-11", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-05-17", ASHA, "overdue", ASHA, "HSB-101", "U+14", "sent"),
    ("2026-05-17", BOSS, "escalation", ASHA, "HSB-101", "U+14", "sent"),
    ("2026-05-18", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-05-25", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-05-31", ASHA, "overdue", ASHA, "HSB-101", "U+28", "sent"),
    ("2026-06-01", CARA, "renewal_soon", CARA, "HSB-101", "X-30", "sent"),
    ("2026-06-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-06-01", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-06-08", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-06-09", HR, "staff_list_review", "-", "-", "L+91", "sent"),  # uploaded 10 March
    # Asha's completion is recorded after planning and before sending: U+42 is cancelled.
    ("2026-06-14", ASHA, "overdue", ASHA, "HSB-101", "U+42", "cancelled"),
    ("2026-06-15", BOSS, "manager_digest", "-", "-", "weekly", "sent"),  # Cara in her window
    ("2026-06-22", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-06-24", CARA, "renewal_soon", CARA, "HSB-101", "X-7", "sent"),
    ("2026-06-29", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-07-01", CARA, "expired", CARA, "HSB-101", "X+0", "sent"),
    ("2026-07-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-07-06", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-07-09", HR, "staff_list_review", "-", "-", "L+121", "sent"),
    ("2026-07-13", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-07-15", CARA, "expired", CARA, "HSB-101", "X+14", "sent"),
    ("2026-07-15", BOSS, "escalation", CARA, "HSB-101", "X+14", "sent"),
    ("2026-07-20", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-07-27", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-07-29", CARA, "expired", CARA, "HSB-101", "X+28", "sent"),
    ("2026-08-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-08-03", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-08-08", HR, "staff_list_review", "-", "-", "L+151", "sent"),
    ("2026-08-10", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-08-12", CARA, "expired", CARA, "HSB-101", "X+42", "sent"),
    ("2026-08-17", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-08-24", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-08-26", CARA, "expired", CARA, "HSB-101", "X+56", "sent"),
    ("2026-08-31", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-09-01", EVE, "assigned", EVE, "HSB-101", "start", "sent"),
    ("2026-09-01", EVE, "assigned", EVE, "HSB-204", "start", "sent"),
    ("2026-09-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-09-07", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-09-07", HR, "staff_list_review", "-", "-", "L+181", "sent"),
    ("2026-09-09", CARA, "expired", CARA, "HSB-101", "X+70", "sent"),  # the sixth and last
    ("2026-09-14", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-09-21", BOSS, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-09-28", BOSS, "manager_digest", "-", "-", "weekly", "sent"),  # Cara leaves on the 30th
    ("2026-10-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-10-07", HR, "staff_list_review", "-", "-", "L+211", "sent"),
    ("2026-10-31", EVE, "due_soon", EVE, "HSB-101", "U-30", "sent"),
    ("2026-10-31", EVE, "due_soon", EVE, "HSB-204", "U-30", "sent"),
    ("2026-11-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-11-02", FRANK, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-11-06", HR, "staff_list_review", "-", "-", "L+241", "sent"),
    ("2026-11-09", FRANK, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-11-16", FRANK, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-11-23", EVE, "due_soon", EVE, "HSB-101", "U-7", "sent"),
    ("2026-11-23", EVE, "due_soon", EVE, "HSB-204", "U-7", "sent"),
    ("2026-11-23", FRANK, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-11-30", EVE, "overdue", EVE, "HSB-101", "U+0", "sent"),
    ("2026-11-30", EVE, "overdue", EVE, "HSB-204", "U+0", "sent"),
    ("2026-11-30", FRANK, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-12-01", TRAINING, "agency_digest", "-", "-", "monthly", "sent"),
    ("2026-12-06", HR, "staff_list_review", "-", "-", "L+271", "sent"),
    ("2026-12-07", EVE, "overdue", EVE, "HSB-204", "U+7", "sent"),  # HSB-204: every 7 days, twice
    ("2026-12-07", FRANK, "manager_digest", "-", "-", "weekly", "sent"),
    # Frank gets one email on 14 December with three items: two escalations and his digest.
    ("2026-12-14", EVE, "overdue", EVE, "HSB-101", "U+14", "sent"),
    ("2026-12-14", FRANK, "escalation", EVE, "HSB-101", "U+14", "sent"),
    ("2026-12-14", FRANK, "escalation", EVE, "HSB-204", "U+14", "sent"),
    ("2026-12-14", FRANK, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-12-21", FRANK, "manager_digest", "-", "-", "weekly", "sent"),
    ("2026-12-28", EVE, "overdue", EVE, "HSB-101", "U+28", "sent"),
    ("2026-12-28", FRANK, "manager_digest", "-", "-", "weekly", "sent"),
]
# The lead's monthly board report (reports.reminders), on each month's first working day: 1 January
# is a Thursday, 1 August a Saturday (3 August), 1 November a Sunday (2 November).
EXPECTED += [
    (day, LEAD, "board_report", "-", "-", "monthly-report", "sent")
    for day in (
        "2026-01-01",
        "2026-02-02",
        "2026-03-02",
        "2026-04-01",
        "2026-05-01",
        "2026-06-01",
        "2026-07-01",
        "2026-08-03",
        "2026-09-01",
        "2026-10-01",
        "2026-11-02",
        "2026-12-01",
    )
]


def at(day, hour, minute):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON), tick=False
    )


class Cohort:
    def __init__(self):
        with at(D(2025, 10, 1), 9, 0):
            self.build()

    def build(self):
        police = factories.AgencyFactory(
            name="Northshire Police",
            slug="northshire-police",
            hr_contact_email=HR,
            training_lead_email=TRAINING,
        )
        set_created(police, D(2025, 10, 1))
        closed = factories.AgencyFactory(name="Closed Trust", slug="closed-trust", active=False)
        set_created(closed, D(2025, 1, 1))
        self.hsb101 = factories.ModuleFactory(
            code="HSB-101", title="Understanding harmful sexual behaviour", validity_months=36
        )
        self.hsb204 = factories.ModuleFactory(
            code="HSB-204",
            title="Child-on-child sexual abuse for designated safeguarding leads",
            validity_months=24,
        )
        ReminderPolicy.objects.create(module=self.hsb204, overdue_every_days=7, overdue_max=2)
        retired = factories.ModuleFactory(code="HSB-999", title="Old course", active=False)
        officer = role_requiring(self.hsb101, retired, name="Police officer")
        dsl = role_requiring(self.hsb101, self.hsb204, name="Designated safeguarding lead")
        self.lead = factories.LeadFactory(username="lead", email=LEAD)
        self.police = police

        def staff(name, role=officer, agency=police, **extra):
            extra.setdefault("email", f"{name}@example.org")
            extra.setdefault("start", D(2019, 1, 7))
            return person(
                agency, role, first_name=name.title(), last_name="Test", staff_number=name.upper(), **extra
            )

        self.asha = staff(ASHA, start=D(2026, 2, 2), manager=BOSS)
        self.ben = staff(BEN)
        complete(self.ben, self.hsb101, D(2023, 4, 20))  # expires 20 April 2026
        self.cara = staff(CARA, manager=BOSS, left_on=D(2026, 9, 30))
        complete(self.cara, self.hsb101, D(2023, 7, 1))  # expires 1 July 2026
        self.eve = staff(EVE, role=dsl, start=D(2026, 9, 1), manager=FRANK)
        staff(LEO, start=D(2025, 6, 2))  # due 31 August 2025
        self.mia = staff("mia")
        complete(self.mia, self.hsb101, D(2024, 1, 10))
        staff("hana", email="")
        gus = staff("gus")
        factories.ExemptionFactory(staff=gus, module=self.hsb101, starts_on=D(2025, 1, 1))
        staff("ivan", left_on=D(2025, 12, 15))
        staff("kim", start=D(2027, 2, 1))
        staff("jo", agency=closed, manager=BOSS)

    def events_before_sending(self, day):
        """Things that happen between the 06:30 planning and the 08:05 sending."""
        if day == D(2026, 6, 14):
            complete(self.asha, self.hsb101, D(2026, 6, 12), today=day)

    def events_after_sending(self, day):
        if day == D(2026, 3, 2):
            completion_record(
                staff=self.mia,
                module=self.hsb101,
                completed_on=D(2026, 2, 27),
                source=CompletionSource.SELF_DECLARED,
                today=day,
            )
        elif day == D(2026, 3, 9):
            completion_verify(completion=self.mia.completions.get(source="self_declared"), actor=self.lead)
        elif day == D(2026, 3, 10):
            ImportRecord.objects.create(
                kind=ImportRecord.Kind.STAFF,
                agency=self.police,
                original_name="police-staff.xlsx",
                sha256="0" * 64,
                status=ImportRecord.Status.COMMITTED,
            )
        elif day == D(2026, 4, 15):
            complete(self.ben, self.hsb101, day)


def who(email):
    return email.split("@")[0] if email.endswith("@example.org") and email not in (BOSS, FRANK) else email


def test_a_year_of_reminders_day_by_day(settings):
    settings.SITE_URL = "https://hsb.example.org"
    cohort = Cohort()
    emails_by_day, bodies = {}, {}
    day = FIRST_DAY
    while day <= LAST_DAY:
        with at(day, 6, 30):
            services.reminders_plan(day=day, queue=False)
        cohort.events_before_sending(day)
        mail.outbox = []
        with at(day, 8, 5):
            services.pending_messages_send(today=day)
        emails_by_day[day] = [(message.to[0], message.subject) for message in mail.outbox]
        bodies.update({(day, message.to[0]): message.body for message in mail.outbox})
        with at(day, 12, 0):
            cohort.events_after_sending(day)
        day += datetime.timedelta(days=1)

    actual = [
        (
            item.planned_for.isoformat(),
            who(item.recipient),
            item.kind,
            item.staff.first_name.lower() if item.staff else "-",
            item.module.code if item.module else "-",
            item.stage,
            item.status,
        )
        for item in ReminderItem.objects.select_related("staff", "module").order_by("planned_for", "id")
    ]
    assert sorted(actual) == sorted(EXPECTED)

    # One email per recipient per day, listing every item sent to them that day.
    for when, emails in emails_by_day.items():
        recipients = Counter(to for to, _ in emails)
        assert max(recipients.values(), default=1) == 1, f"two emails to one recipient on {when}"
    sent_items = Counter((row[0], row[1]) for row in EXPECTED if row[6] == "sent")
    sent_emails = Counter(
        (when.isoformat(), who(to)) for when, emails in emails_by_day.items() for to, _ in emails
    )
    assert sent_emails == Counter(dict.fromkeys(sent_items, 1))
    assert ReminderMessage.objects.filter(status="sent").count() == len(sent_items)

    frank = emails_by_day[D(2026, 12, 14)]
    assert (FRANK, "HSB training: 3 items need your attention") in frank
    assert (
        f"{EVE}@example.org",
        "HSB-101 Understanding harmful sexual behaviour: overdue since 30 November 2026",
    ) in (emails_by_day[D(2026, 12, 14)])
    assert (f"{EVE}@example.org", "Your HSB training: 2 items need attention") in emails_by_day[D(2026, 9, 1)]
    assert (
        f"{BEN}@example.org",
        "HSB-101 Understanding harmful sexual behaviour: renew by 20 April 2026",
    ) in (emails_by_day[D(2026, 4, 13)])
    assert (BOSS, "HSB training for your team: week of 6 April 2026") in emails_by_day[D(2026, 4, 6)]
    assert (TRAINING, "Northshire Police: HSB training compliance, March 2026") in emails_by_day[
        D(2026, 3, 1)
    ]
    assert (LEAD, "1 self-declared completion is waiting for verification") in emails_by_day[D(2026, 3, 6)]
    # Review reminders lead straight to the page where the work is done.
    assert "https://hsb.example.org/training/verification/" in bodies[(D(2026, 3, 6), LEAD)]
    assert "https://hsb.example.org/imports/staff/upload/" in bodies[(D(2026, 1, 1), HR)]
    cancelled = ReminderItem.objects.get(status="cancelled")
    assert cancelled.reason == "completed on 12 June 2026"


def test_the_agency_digest_lists_unreachable_staff_and_the_overdue(settings):
    cohort = Cohort()
    day = D(2026, 3, 1)
    with at(day, 6, 30):
        services.reminders_plan(day=day, queue=False)
    with at(day, 8, 5):
        services.pending_messages_send(today=day)

    digest = next(message for message in mail.outbox if message.to == [TRAINING])
    assert (
        "Unreachable: 1 current member of staff has no email address and receives no reminders."
        in digest.body
    )
    assert "- Hana Test (HANA)" in digest.body
    assert "- Leo Test (LEO): HSB-101, overdue since 31 August 2025" in digest.body
    assert "List-Unsubscribe" in digest.extra_headers
    assert cohort.police.name in digest.subject
