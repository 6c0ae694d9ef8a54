"""The contract every reminder source keeps with the engine (notifications.sources), run for each
registered source on one day when every source has something due: Monday 1 June 2026, a week's
and a month's first day."""

import datetime

import pytest
from django.template.loader import get_template
from django.utils import timezone

from notifications import rules, services, sources
from notifications.emails import message_render
from notifications.models import ItemStatus, ReminderItem
from notifications.selectors.planning import PlanningDay
from notifications.selectors.recheck import message_facts
from notifications.templatetags.reminder_pages import cycle_name, stage_text
from strategy import services as strategy_services
from strategy.models import Item
from tests import factories
from tests.notifications.builders import hsb101, person, role_requiring
from training.catalogue import catalogue_install
from training.models import Completion, CompletionSource, Verification
from workforce.models import Agency

D = datetime.date
DAY = D(2026, 6, 1)
SOURCES = sources.all_sources()


def _name(source):
    return type(source).__name__


@pytest.fixture
def everything_due(db, lead):
    """Something for every source on DAY: an overdue person with a line manager (compliance,
    escalation, the weekly digest), an agency's training lead and HR contact with a long-stale
    staff list (the monthly digest, the staff-list review), a declaration waiting for a week (the
    verification review), and an action whose review is today (the action plan)."""
    agency = factories.AgencyFactory(
        slug="northshire-police", hr_contact_email="hr@example.org", training_lead_email="tl@example.org"
    )
    Agency.objects.filter(pk=agency.pk).update(created_at=timezone.make_aware(datetime.datetime(2025, 1, 1)))
    module = hsb101()
    staff = person(agency, role_requiring(module), manager="manager@example.org")
    declared = person(
        agency, role_requiring(factories.ModuleFactory(code="HSB-102"), name="Youth worker"), first_name="Ben"
    )
    Completion.objects.create(
        staff=declared,
        module_id=declared.job_role.requirements.get().module_id,
        completed_on=D(2026, 5, 1),
        source=CompletionSource.SELF_DECLARED,
        verification=Verification.PENDING,
    )
    Completion.objects.filter(staff=declared).update(
        recorded_at=timezone.make_aware(datetime.datetime(2026, 5, 20))
    )
    catalogue_install(in_force_from=D(2020, 1, 1))
    framework = strategy_services.framework_install_default()
    item = Item.objects.filter(domain__framework=framework).first()
    strategy_services.action_create(
        actor=lead,
        today=D(2026, 5, 1),
        owner_agency=agency,
        title="Train every designated safeguarding lead",
        items=[item],
        owner_name="Hannah Price",
        owner_email="hannah.price@example.org",
        due_on=D(2026, 12, 31),
        review_on=DAY,
    )
    _session_booked(staff, module)
    return staff


def _session_booked(staff, module):
    """A session two days after DAY (its trainer's attendee list, the 7-day reminder), booked a
    week before DAY (the confirmation)."""
    from courses.models import Booking, SessionPart, Trainer, TrainingSession

    def at(day, hour):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))

    starts, ends = at(DAY + datetime.timedelta(days=2), 9), at(DAY + datetime.timedelta(days=2), 12)
    session = TrainingSession.objects.create(
        module=module,
        delivery_mode="classroom",
        venue="Hall",
        capacity=10,
        booked_count=1,
        booking_closes_at=starts - datetime.timedelta(days=2),
        starts_at=starts,
        ends_at=ends,
    )
    SessionPart.objects.create(session=session, starts_at=starts, ends_at=ends)
    Trainer.objects.create(session=session, name="Tara", email="tara@example.org")
    booked = at(D(2026, 5, 25), 10)
    Booking.objects.create(
        session=session, staff=staff, module=module, status="booked", created_at=booked, booked_at=booked
    )
    # A session delivered the day before DAY, its register confirmed on DAY (the feedback email).
    held, done = at(DAY - datetime.timedelta(days=1), 9), at(DAY - datetime.timedelta(days=1), 12)
    delivered = TrainingSession.objects.create(
        module=module,
        delivery_mode="classroom",
        venue="Hall",
        capacity=10,
        booking_closes_at=held - datetime.timedelta(days=2),
        starts_at=held,
        ends_at=done,
        status="delivered",
        register_confirmed_at=at(DAY, 8),
    )
    SessionPart.objects.create(session=delivered, starts_at=held, ends_at=done)
    Booking.objects.create(
        session=delivered, staff=staff, module=module, status="attended", created_at=booked, booked_at=booked
    )


def test_every_source_is_registered_once_and_owns_its_kinds():
    names = {_name(source) for source in SOURCES}
    assert {
        "ComplianceReminders",
        "Digests",
        "VerificationReviews",
        "StaffListReviews",
        "ActionPlanReviews",
        "RemindersNow",
    } <= names
    values = [kind.value for source in SOURCES for kind in source.kinds]
    assert len(values) == len(set(values))
    for source in SOURCES:
        for kind in source.kinds:
            assert sources.source_for(kind.value) is source
            assert kind.label and sources.kind_label(kind.value) == kind.label
            assert (kind.value, kind.label) in sources.kind_choices()


@pytest.mark.parametrize("source", SOURCES, ids=_name)
def test_each_kind_has_its_three_email_templates(source):
    for kind in source.kinds:
        for part in ("subject.txt", "body.txt", "body.html"):
            get_template(f"notifications/email/{kind.value}-{part}")


@pytest.mark.parametrize("source", SOURCES, ids=_name)
def test_a_source_plans_series_of_the_engine_with_keys_that_never_change(everything_due, source):
    first = [series for series in source.series(PlanningDay(DAY)) if series is not None]
    again = [series for series in source.series(PlanningDay(DAY)) if series is not None]
    if source.on_request:
        assert first == [], f"{_name(source)} writes its items on request: the planner plans none"
        return
    assert first, f"{_name(source)} planned nothing on a day when it has something due"
    assert all(isinstance(series, sources.Series) for series in first)
    keys = [series.item(series.catch.latest).key for series in first]
    assert keys == [series.item(series.catch.latest).key for series in again]
    owned = {kind.value for kind in source.kinds}
    for series in first:
        latest = series.item(series.catch.latest)
        assert latest.kind in owned
        assert latest.key == rules.item_key(kind=latest.kind, series=latest.series, stage=latest.stage)
        # Every stage it plans reads in words on the outbox pages.
        assert stage_text(latest.stage) != latest.stage
        assert cycle_name(latest.stage)


@pytest.mark.parametrize("source", SOURCES, ids=_name)
def test_a_source_rechecks_each_of_its_items_and_its_email_renders(everything_due, source):
    services.reminders_plan(day=DAY, queue=False)
    if source.on_request:  # the one such source: a reminder sent now
        services.reminders_now_request(staff=[everything_due], actor=None, day=DAY)
    owned = [kind.value for kind in source.kinds]
    items = list(
        ReminderItem.objects.filter(kind__in=owned, status=ItemStatus.PENDING).select_related(
            "staff", "staff__agency", "staff__job_role", "module", "agency"
        )
    )
    assert items
    checks = source.check(items, today=DAY)
    assert set(checks) == {item.id for item in items}
    assert all(isinstance(check, sources.Check) for check in checks.values())
    live = [item for item in items if checks[item.id].reason is None]
    assert live, f"every item of {_name(source)} was cancelled on the day it was planned"
    for item in live:
        facts = message_facts([item], today=DAY)
        email = message_render(recipient=item.recipient, items=[item], facts=facts, today=DAY)
        assert email.subject and email.text.strip() and "<" in email.html


def test_an_item_of_a_kind_no_source_plans_is_cancelled_with_a_reason(db):
    item = ReminderItem(id=1, kind="retired_kind", series="s", stage_date=DAY)
    facts = message_facts([item], today=DAY)
    assert facts.reasons[1] == "no part of the tracker sends retired kind reminders now"
