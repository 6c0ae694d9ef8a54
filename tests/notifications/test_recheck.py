"""The sender's re-check reads a message's few pairs with four narrow queries; it must agree with
training.selectors.compliance_pairs (the one set-based query of the compliance rules)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import ReminderItem, ReminderMessage
from notifications.sources import compliance as selectors
from tests import factories
from tests.notifications.builders import D, complete, hsb101, person, quiet_agency, role_requiring
from training.selectors.engine import compliance_pairs

pytestmark = pytest.mark.django_db

TODAY = D(2026, 4, 23)


def test_the_recheck_agrees_with_the_compliance_selector():
    agency = quiet_agency()
    other = factories.AgencyFactory(name="Closed", slug="closed", active=False)
    module = hsb101()
    second = factories.ModuleFactory(code="HSB-204", title="DSL course", validity_months=24)
    retired = factories.ModuleFactory(code="HSB-999", title="Old", active=False)
    role = role_requiring(module, second, retired)
    other_role = role_requiring(module, name="Youth worker", starts_on=D(2026, 4, 1), due_within_days=30)
    people = [
        person(agency, role, first_name="Never", last_name="Done", start=D(2026, 1, 5)),
        person(agency, role, first_name="New", last_name="Starter", start=D(2026, 4, 1)),
        person(agency, role, first_name="Gone", last_name="Leaver", left_on=D(2026, 4, 1)),
        person(agency, role, first_name="Future", last_name="Starter", start=D(2026, 5, 1)),
        person(other, role, first_name="Closed", last_name="Agency"),
        person(agency, other_role, first_name="Late", last_name="Requirement"),
        person(agency, role, first_name="Role", last_name="Changed", role_since=D(2026, 3, 1)),
    ]
    complete(people[0], second, D(2024, 5, 1))  # expires 1 May 2026: renewal due
    complete(people[1], module, D(2023, 1, 1), today=D(2023, 1, 1))  # expired, brought with them
    exempt = person(agency, role, first_name="Is", last_name="Exempt")
    factories.ExemptionFactory(staff=exempt, module=None, starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31))
    assigned = person(agency, other_role, first_name="Has", last_name="Assignment")
    factories.AssignmentFactory(
        staff=assigned, module=second, assigned_on=D(2026, 2, 1), due_on=D(2026, 3, 1)
    )
    people += [exempt, assigned]
    items = [
        ReminderItem(staff=staff, module=each, key=f"{staff.id}-{each.id}")
        for staff in people
        for each in (module, second, retired)
    ]
    for item in items:
        item.staff = type(item.staff).objects.select_related("agency").get(pk=item.staff_id)

    recheck = selectors.pair_statuses(items, today=TODAY)

    expected = {
        (pair.staff_id, pair.module.id): (pair.status, pair.due_on, pair.expires_on)
        for pair in compliance_pairs(on=TODAY, include_inactive_agencies=False)
    }
    actual = {key: (status.status, status.due_on, status.expires_on) for key, status in recheck.items()}
    assert actual == expected
    assert len(actual) == 11  # every situation above that leaves a pair


def test_a_message_costs_a_fixed_number_of_queries_however_many_items():
    agency = quiet_agency()
    modules = [factories.ModuleFactory(code=f"HSB-{n}", title=f"Module {n}") for n in range(101, 106)]
    role = role_requiring(*modules)

    def queries_for_message(first_name, count):
        staff = person(agency, role, first_name=first_name, start=D(2026, 1, 5))
        services.reminders_plan(day=TODAY, queue=False)
        message = ReminderMessage.objects.get(recipient=staff.email)
        ReminderItem.objects.filter(message=message, status="pending").exclude(
            module__in=modules[:count]
        ).update(status="skipped")
        with CaptureQueriesContext(connection) as captured:
            outcome = services.message_send(message_id=message.id, today=TODAY)
        assert outcome.sent == count
        return len(captured)

    assert queries_for_message("One", 1) == queries_for_message("Five", 5)


def test_a_role_change_since_planning_moves_the_due_date_and_cancels_the_item():
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    asha = person(agency, role, start=D(2026, 1, 5))
    services.reminders_plan(day=TODAY, queue=False)
    asha.role_since = D(2026, 4, 20)  # new to the role: the grace period starts again
    asha.save()

    services.message_send(message_id=ReminderMessage.objects.get().id, today=TODAY)

    item = ReminderItem.objects.get(stage="U+14")
    assert (item.status, item.reason) == ("cancelled", "the due date changed to 19 July 2026")


def test_the_next_days_stage_is_planned_after_a_cancellation():
    agency = quiet_agency()
    module = hsb101()
    role = role_requiring(module)
    person(agency, role, start=D(2026, 1, 5))
    services.reminders_plan(day=TODAY, queue=False)
    services.message_send(message_id=ReminderMessage.objects.get().id, today=TODAY)

    services.reminders_plan(day=TODAY + datetime.timedelta(days=10), queue=False)  # U+28 = 3 May

    assert ReminderItem.objects.filter(status="pending").get().stage == "U+28"
