"""The planner: set-based, idempotent, catch-up without floods, suppressions, one message per
recipient per day."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import rules, services
from notifications.models import (
    ItemStatus,
    MessageStatus,
    PlannerRun,
    ReminderItem,
    ReminderMessage,
    ReminderPolicy,
)
from notifications.selectors import planning
from notifications.sources.compliance import next_reminder_for
from tests import factories
from tests.notifications.builders import D, complete, hsb101, person, quiet_agency, role_requiring

pytestmark = pytest.mark.django_db

START = D(2026, 1, 5)  # due date U = 5 April 2026 (90 days)
U = D(2026, 4, 5)


@pytest.fixture
def world():
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    return agency, module, role


def rows():
    return sorted(
        ReminderItem.objects.values_list("kind", "recipient", "stage", "status"),
        key=lambda row: (row[1], row[2]),
    )


def test_first_run_plans_the_latest_stage_and_records_earlier_ones_as_skipped(world):
    agency, module, role = world
    asha = person(agency, role, start=START)

    result = services.reminders_plan(day=D(2026, 3, 29), queue=False)

    assert rows() == [
        ("due_soon", "asha.patel@example.org", "U-30", "skipped"),
        ("due_soon", "asha.patel@example.org", "U-7", "pending"),
        ("assigned", "asha.patel@example.org", "start", "skipped"),
    ]
    pending = ReminderItem.objects.get(status=ItemStatus.PENDING)
    assert pending.series == f"due|asha.patel@example.org|{asha.id}|{module.id}|{agency.id}|2026-04-05"
    assert pending.key.hex == rules.item_key(kind="due_soon", series=pending.series, stage="U-7")
    assert (pending.staff, pending.module, pending.cycle_date, pending.planned_for) == (
        asha,
        module,
        U,
        D(2026, 3, 29),
    )
    skipped = ReminderItem.objects.filter(status=ItemStatus.SKIPPED).first()
    assert skipped.reason == "not sent: a later reminder (U-7, 29 March 2026) was due"
    assert result.planned["due_soon"] == 1 and result.skipped == 2
    assert PlannerRun.objects.get(day=D(2026, 3, 29)).finished_at is not None


def test_running_twice_for_the_same_date_adds_nothing(world):
    agency, module, role = world
    person(agency, role, start=START, manager="boss@example.org")
    person(
        agency, role, first_name="Ben", last_name="Morgan", start=D(2025, 6, 1), manager="boss@example.org"
    )
    services.reminders_plan(day=D(2026, 4, 23), queue=False)
    before = list(ReminderItem.objects.order_by("id").values_list("key", "status", "message_id"))
    messages = list(ReminderMessage.objects.order_by("id").values_list("recipient", "day"))

    again = services.reminders_plan(day=D(2026, 4, 23), queue=False)

    assert list(ReminderItem.objects.order_by("id").values_list("key", "status", "message_id")) == before
    assert list(ReminderMessage.objects.order_by("id").values_list("recipient", "day")) == messages
    assert sum(again.planned.values()) == 0 and again.skipped == 0


def test_a_twenty_day_gap_catches_up_with_one_item_per_series(world):
    agency, module, role = world
    person(agency, role, start=START, manager="boss@example.org")
    services.reminders_plan(day=U, queue=False)  # overdue U+0 planned, not yet sent
    assert ReminderItem.objects.get(status="pending").stage == "U+0"

    services.reminders_plan(day=U + datetime.timedelta(days=34), queue=False)  # U+14 and U+28 fell due

    staff_series = ReminderItem.objects.filter(recipient="asha.patel@example.org").order_by("stage_date")
    assert [(item.stage, item.status) for item in staff_series] == [
        ("start", "skipped"),
        ("U-30", "skipped"),
        ("U-7", "skipped"),
        ("U+0", "skipped"),  # superseded: still unsent, and a later stage is due
        ("U+14", "skipped"),
        ("U+28", "pending"),
    ]
    assert staff_series.get(stage="U+0").reason == "superseded by a later reminder of the same series"
    assert staff_series.get(stage="U+14").reason == "not sent: a later reminder (U+28, 3 May 2026) was due"
    escalation = ReminderItem.objects.get(recipient="boss@example.org")
    assert (escalation.kind, escalation.stage, escalation.status) == ("escalation", "U+14", "pending")


def test_stages_already_planned_are_not_recorded_again_as_skipped(world):
    agency, module, role = world
    person(agency, role, start=START)
    services.reminders_plan(day=U, queue=False)
    services.reminders_plan(day=U + datetime.timedelta(days=14), queue=False)

    assert ReminderItem.objects.filter(stage="U+0").count() == 1
    assert ReminderItem.objects.filter(status="pending").get().stage == "U+14"


@pytest.mark.parametrize(
    "situation",
    ["leaver", "future_starter", "retired_module", "exempt", "exempt_all_modules", "inactive_agency"],
)
def test_suppressed_people_get_nothing(world, situation):
    agency, module, role = world
    asha = person(agency, role, start=START, manager="boss@example.org")
    if situation == "leaver":
        asha.left_on = D(2026, 4, 1)
        asha.save()
    elif situation == "future_starter":
        asha.start_date = asha.role_since = D(2026, 5, 1)
        asha.save()
    elif situation == "retired_module":
        module.active = False
        module.save()
    elif situation == "exempt":
        factories.ExemptionFactory(staff=asha, module=module, starts_on=D(2026, 1, 1))
    elif situation == "exempt_all_modules":
        factories.ExemptionFactory(staff=asha, module=None, starts_on=D(2026, 1, 1))
    elif situation == "inactive_agency":
        agency.active = False
        agency.save()

    result = services.reminders_plan(day=D(2026, 4, 23), queue=False)

    assert ReminderItem.objects.count() == 0
    assert ReminderMessage.objects.count() == 0
    assert sum(result.planned.values()) == 0


def test_staff_without_an_email_are_not_reminded_but_their_manager_is_told(world):
    agency, module, role = world
    person(agency, role, start=START, email="", manager="boss@example.org")

    services.reminders_plan(day=D(2026, 4, 23), queue=False)

    assert rows() == [("escalation", "boss@example.org", "U+14", "pending")]


def test_one_message_per_recipient_per_day_listing_every_item(world):
    agency, module, role = world
    more = [factories.ModuleFactory(code=f"HSB-20{n}", title=f"Module {n}") for n in (1, 2)]
    for extra in more:
        factories.RequirementFactory(job_role=role, module=extra, starts_on=D(2020, 1, 1))
    person(agency, role, start=START, manager="boss@example.org")
    person(agency, role, first_name="Ben", last_name="Morgan", start=START, manager="boss@example.org")

    services.reminders_plan(day=D(2026, 4, 23), queue=False)

    messages = {message.recipient: message for message in ReminderMessage.objects.all()}
    assert sorted(messages) == ["asha.patel@example.org", "ben.morgan@example.org", "boss@example.org"]
    assert messages["asha.patel@example.org"].items.filter(status="pending").count() == 3
    assert messages["boss@example.org"].items.filter(status="pending").count() == 6  # 2 people x 3 modules
    assert not ReminderItem.objects.filter(status="pending", message__isnull=True).exists()
    assert all(message.day == D(2026, 4, 23) and message.queued_at for message in messages.values())


def test_items_planned_after_the_days_message_was_sent_wait_for_the_next_day(world):
    agency, module, role = world
    asha = person(agency, role, start=START)
    day = D(2026, 3, 29)
    services.reminders_plan(day=day, queue=False)
    message = ReminderMessage.objects.get()
    services.message_send(message_id=message.id, today=day)
    # Later the same day a second module becomes required of Asha's role.
    extra = factories.ModuleFactory(code="HSB-102", title="Local HSB pathway and referral briefing")
    factories.RequirementFactory(job_role=asha.job_role, module=extra, starts_on=D(2026, 1, 1))

    services.reminders_plan(day=day, queue=False)

    waiting = ReminderItem.objects.get(module=extra, status="pending")
    assert waiting.message is None
    assert ReminderMessage.objects.filter(recipient="asha.patel@example.org").count() == 1

    services.reminders_plan(day=day + datetime.timedelta(days=1), queue=False)

    waiting.refresh_from_db()
    assert waiting.message.day == day + datetime.timedelta(days=1)
    assert waiting.message.status == MessageStatus.PENDING


def test_a_recipients_pending_message_takes_the_next_days_items(world):
    agency, module, role = world
    asha = person(agency, role, start=START)
    services.reminders_plan(day=D(2026, 3, 29), queue=False)  # not sent (say the SMTP server is down)
    extra = factories.ModuleFactory(code="HSB-102", title="Local HSB pathway and referral briefing")
    factories.RequirementFactory(job_role=asha.job_role, module=extra, starts_on=D(2026, 1, 1))

    services.reminders_plan(day=D(2026, 3, 30), queue=False)

    message = ReminderMessage.objects.get()
    assert message.items.filter(status="pending").count() == 2


def test_planning_touches_the_database_a_fixed_number_of_times(world):
    agency, module, role = world
    extra = factories.ModuleFactory(code="HSB-102", title="Briefing")
    factories.RequirementFactory(job_role=role, module=extra, starts_on=D(2020, 1, 1))

    def queries_for(count, day):
        for n in range(count):
            person(
                agency,
                role,
                first_name=f"P{day.day}",
                last_name=f"N{n}",
                start=START,
                manager=f"m{n % 3}@example.org",
            )
        with CaptureQueriesContext(connection) as captured:
            services.reminders_plan(day=day, queue=False)
        statements = [query["sql"] for query in captured]
        inserts = [sql for sql in statements if sql.startswith("INSERT") and "reminderitem" in sql]
        # PostgreSQL inserts every row in one statement; SQLite in batches of its parameter limit.
        assert len(inserts) == 1 or connection.vendor == "sqlite"
        return len(statements) - len(inserts)

    few = queries_for(2, D(2026, 4, 23))
    many = queries_for(25, D(2026, 4, 24))
    assert few == many
    assert many <= 40


def test_a_module_policy_changes_when_reminders_go(world):
    agency, module, role = world
    ReminderPolicy.objects.create(module=module, due_soon_days="14", escalation_after_days=3)
    person(agency, role, start=START, manager="boss@example.org")

    services.reminders_plan(day=D(2026, 3, 10), queue=False)
    own = [row for row in rows() if row[1] == "asha.patel@example.org"]
    assert own == [("assigned", "asha.patel@example.org", "start", "pending")]  # no U-30

    services.reminders_plan(day=D(2026, 4, 8), queue=False)
    assert ("escalation", "boss@example.org", "U+3", "pending") in rows()


def test_renewal_reminders_follow_the_expiry_of_the_best_completion(world):
    agency, module, role = world
    asha = person(agency, role, start=D(2020, 1, 6))
    complete(asha, module, D(2023, 6, 1))  # expires 1 June 2026

    services.reminders_plan(day=D(2026, 5, 2), queue=False)

    assert [(kind, stage, status) for kind, _, stage, status in rows()] == [
        ("renewal_soon", "X-30", "pending"),
        ("renewal_open", "X-60", "skipped"),
    ]
    assert ReminderItem.objects.get(status="pending").cycle_date == D(2026, 6, 1)


def test_tomorrows_preview_writes_nothing(world):
    agency, module, role = world
    person(agency, role, start=START)

    preview = planning.tomorrow_preview(today=D(2026, 3, 28))

    assert [(item.kind, item.stage) for item in preview.pending] == [("due_soon", "U-7")]
    assert ReminderItem.objects.count() == 0


def test_next_reminder_for_a_person(world):
    agency, module, role = world
    asha = person(agency, role, start=START, manager="boss@example.org")

    upcoming = next_reminder_for(asha, today=D(2026, 4, 6))

    assert (upcoming.day, upcoming.kind, upcoming.stage, upcoming.recipient) == (
        D(2026, 4, 19),
        "overdue",
        "U+14",
        "asha.patel@example.org",
    )
    assert upcoming.module.code == "HSB-101"


@pytest.mark.parametrize(("left_on", "expected"), [(D(2026, 4, 20), D(2026, 4, 19)), (D(2026, 4, 19), None)])
def test_no_next_reminder_on_or_after_the_leaving_date(world, left_on, expected):
    agency, module, role = world
    asha = person(agency, role, start=START)
    asha.left_on = left_on  # a leaving date already known, still in the future

    upcoming = next_reminder_for(asha, today=D(2026, 4, 6))

    assert (upcoming.day if upcoming else None) == expected
