"""Every kind of write that can change a status refreshes the maintained compliance state in its own
transaction: after each write (a table of them) and after random sequences of writes and rolls
(hypothesis), the table equals the pure rules; a refused write changes neither."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports.services import import_commit, import_create, import_validate
from tests import factories
from tests.imports.spreadsheet_files import csv_bytes, staff_row
from tests.training.compliance_fixtures import ON, REQUIRED_SINCE
from training import services
from training.compliance import Status
from training.models import (
    Assignment,
    CompletionSource,
    Exemption,
    ExemptionReason,
    PairState,
    Requirement,
    Verification,
)
from training.selectors.state import count_differences, state_differences
from training.state import pair_states_rebuild, pair_states_roll
from workforce import services as workforce_services

D = datetime.date
BEFORE = ON - datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _rows():
    return {
        (row.staff_id, row.module_id): (row.status, row.key_date, row.changes_on)
        for row in PairState.objects.all()
    }


def _pending(scene):
    return scene.people["asha"].completions.get(verification=Verification.PENDING)


def _import_staff(scene, lead):
    rows = [
        staff_row("A777", "New", "Starter", role="Police officer", start="2020-01-06"),
        staff_row("A003", "Rhys", "Owen", email=scene.people["rhys"].email, role="Children's social worker"),
    ]
    record = import_create(
        kind="staff",
        actor=lead,
        agency=scene.agency_a,
        upload=csv_bytes(rows),
        file_name="staff.csv",
        run_in_background=False,
    )
    preview = import_validate(import_record=record, today=ON)
    assert preview.ok, preview.errors
    import_commit(import_record=record, actor=lead, today=ON)


def _import_completions(scene, lead):
    data = csv_bytes(
        [[scene.people["dan"].email, "HSB-101", "2026-03-01", "C-1"]],
        headers=["Email", "Module", "Completed on", "Certificate reference"],
    )
    record = import_create(
        kind="completions", actor=lead, upload=data, file_name="c.csv", run_in_background=False
    )
    preview = import_validate(import_record=record, today=ON)
    assert preview.ok, preview.errors
    import_commit(import_record=record, actor=lead, today=ON)


def _social_worker_requirement(scene, module):
    return Requirement.objects.get(job_role=scene.social_worker, module=module)


WRITES = {
    "completion recorded": lambda s, lead: services.completion_record(
        staff=s.people["asha"],
        module=s.hsb201,
        completed_on=BEFORE,
        source=CompletionSource.MANUAL,
        actor=lead,
    ),
    "completion verified": lambda s, lead: services.completion_verify(completion=_pending(s), actor=lead),
    "completions decided together": lambda s, lead: services.completions_decide(
        completions=[_pending(s)], decision="verify", actor=lead
    ),
    "register recorded": lambda s, lead: services.completions_record_register(
        module=s.hsb101, completed_on=BEFORE, staff=[s.people["dan"], s.people["cara"]], actor=lead, today=ON
    ),
    "staff created": lambda s, lead: workforce_services.staff_create(
        agency=s.agency_a,
        actor=lead,
        today=ON,
        staff_number="A100",
        first_name="Nia",
        last_name="Rees",
        email="nia@example.org",
        job_role=s.police,
        start_date=REQUIRED_SINCE,
    ),
    "job role changed": lambda s, lead: workforce_services.staff_update(
        staff=s.people["cara"], actor=lead, today=ON, job_role=s.social_worker
    ),
    "left": lambda s, lead: workforce_services.staff_update(
        staff=s.people["ewa"], actor=lead, today=ON, left_on=ON
    ),
    "start moved later": lambda s, lead: workforce_services.staff_update(
        staff=s.people["dan"], actor=lead, today=ON, start_date=D(2026, 4, 1), role_since=D(2026, 4, 1)
    ),
    "requirement created": lambda s, lead: services.requirement_create(
        actor=lead, job_role=s.police, module=s.hsb201, starts_on=REQUIRED_SINCE, due_within_days=90
    ),
    "requirement changed": lambda s, lead: services.requirement_update(
        requirement=_social_worker_requirement(s, s.hsb101), actor=lead, due_within_days=10
    ),
    "requirement deleted": lambda s, lead: services.requirement_delete(
        requirement=_social_worker_requirement(s, s.hsb201), actor=lead
    ),
    "assignment created": lambda s, lead: services.assignment_create(
        actor=lead, staff=s.people["rhys"], module=s.hsb201, assigned_on=D(2025, 1, 1), due_on=BEFORE
    ),
    "assignments created together": lambda s, lead: services.assignments_create(
        staff=[s.people["rhys"], s.people["ewa"]],
        module=s.hsb201,
        assigned_on=D(2026, 3, 1),
        due_on=D(2026, 6, 1),
        actor=lead,
    ),
    "assignment changed": lambda s, lead: services.assignment_update(
        assignment=Assignment.objects.get(staff=s.people["rhys"]), actor=lead, due_on=BEFORE
    ),
    "assignment deleted": lambda s, lead: services.assignment_delete(
        assignment=Assignment.objects.get(staff=s.people["rhys"]), actor=lead
    ),
    "exemption created": lambda s, lead: services.exemption_create(
        staff=s.people["asha"], module=None, reason=ExemptionReason.OTHER, starts_on=D(2026, 1, 1), actor=lead
    ),
    "exemptions created together": lambda s, lead: services.exemptions_create(
        staff=[s.people["cara"], s.people["dan"]],
        module=s.hsb101,
        reason=ExemptionReason.OTHER,
        starts_on=D(2026, 1, 1),
        actor=lead,
    ),
    "exemption ended": lambda s, lead: services.exemption_end(
        exemption=Exemption.objects.get(staff=s.people["femi"]), ends_on=BEFORE, actor=lead
    ),
    "exemption changed": lambda s, lead: services.exemption_update(
        exemption=Exemption.objects.get(staff=s.people["femi"]), actor=lead, starts_on=D(2026, 6, 1)
    ),
    "renewal window changed": lambda s, lead: services.module_update(
        module=s.hsb101, actor=lead, renewal_window_days=700
    ),
    "validity changed": lambda s, lead: services.module_update(
        module=s.hsb101, actor=lead, validity_months=12
    ),
    "module retired": lambda s, lead: services.module_update(module=s.hsb201, actor=lead, active=False),
    "staff list imported": _import_staff,
    "completion file imported": _import_completions,
}


# Rows a write changes or removes, made before the state is built.
SETUP = {
    "assignment changed": lambda s: factories.AssignmentFactory(
        staff=s.people["rhys"], module=s.hsb201, assigned_on=D(2025, 1, 1), due_on=D(2027, 1, 1)
    ),
    "assignment deleted": lambda s: factories.AssignmentFactory(
        staff=s.people["rhys"], module=s.hsb201, assigned_on=D(2025, 1, 1), due_on=BEFORE
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_the_state_equals_the_rules_after_every_kind_of_write(scene, lead, on_day, write):
    if write in SETUP:
        SETUP[write](scene)
    pair_states_rebuild(today=ON)
    before = _rows()
    WRITES[write](scene, lead)
    assert state_differences(on=ON) == []
    assert count_differences(on=ON) == []
    assert _rows() != before, "the write should have changed a pair"


def test_a_refused_write_changes_neither_the_records_nor_the_state(scene, lead, on_day):
    pair_states_rebuild(today=ON)
    before = _rows()
    with pytest.raises(ValidationError, match="A completion date cannot be in the future."):
        services.completion_record(
            staff=scene.people["asha"],
            module=scene.hsb201,
            completed_on=ON + datetime.timedelta(days=1),
            source=CompletionSource.MANUAL,
            actor=lead,
        )
    with pytest.raises(ValidationError, match="already covers part of these dates"):
        services.exemption_create(
            staff=scene.people["femi"],
            module=scene.hsb101,
            reason=ExemptionReason.OTHER,
            starts_on=D(2026, 2, 1),
            actor=lead,
        )
    assert _rows() == before
    assert state_differences(on=ON) == []
    assert count_differences(on=ON) == []


def test_a_pending_declaration_and_a_rejection_leave_the_state_as_it_was(scene, lead, on_day):
    pair_states_rebuild(today=ON)
    before = _rows()
    services.completion_record(
        staff=scene.people["dan"],
        module=scene.hsb101,
        completed_on=BEFORE,
        source=CompletionSource.SELF_DECLARED,
    )
    services.completion_reject(completion=_pending(scene), actor=lead, reason="Wrong course.")
    assert _rows() == before
    assert state_differences(on=ON) == []
    assert count_differences(on=ON) == []


# --- random sequences of writes and rolls ---------------------------------------------------

OPERATIONS = st.one_of(
    st.tuples(st.just("complete"), st.integers(0, 4), st.integers(0, 1), st.integers(-400, 0)),
    st.tuples(st.just("leave"), st.integers(0, 4), st.integers(0, 30)),
    st.tuples(st.just("role"), st.integers(0, 4), st.integers(0, 1)),
    st.tuples(st.just("start"), st.integers(0, 4), st.integers(-200, 30)),
    st.tuples(
        st.just("exempt"),
        st.integers(0, 4),
        st.sampled_from([None, 0, 1]),
        st.integers(-20, 20),
        st.none() | st.integers(0, 30),
    ),
    st.tuples(
        st.just("assign"), st.integers(0, 4), st.integers(0, 1), st.integers(-40, 20), st.integers(0, 40)
    ),
    st.tuples(
        st.just("require"), st.integers(0, 1), st.integers(0, 1), st.integers(-100, 20), st.integers(0, 60)
    ),
    st.tuples(st.just("window"), st.integers(0, 1), st.integers(0, 400)),
    st.tuples(st.just("validity"), st.integers(0, 1), st.sampled_from([None, 1, 12, 36])),
    st.tuples(st.just("roll"), st.integers(0, 70)),
)


class World:
    """The scene's people, modules and roles, and the day the state is on (the clock is not
    read: every service is given the day)."""

    def __init__(self, scene, lead):
        self.people = [scene.people[name] for name in ("asha", "dan", "rhys", "cara", "femi")]
        self.modules = [scene.hsb101, scene.hsb201]
        self.roles = [scene.social_worker, scene.police]
        self.lead = lead
        self.day = ON

    def at(self, offset):
        return self.day + datetime.timedelta(days=offset)

    def run(self, operation):
        name, *args = operation
        try:
            with transaction.atomic():
                getattr(self, name)(*args)
        except ValidationError:
            pass  # refused: writes nothing (checked by the comparison after it)

    def complete(self, person, module, offset):
        person = self.people[person]
        person.refresh_from_db()
        services.completion_record(
            staff=person,
            module=self.modules[module],
            completed_on=self.at(offset),
            source=CompletionSource.MANUAL,
            actor=self.lead,
            today=self.day,
        )

    def leave(self, person, offset):
        person = self.people[person]
        person.refresh_from_db()
        workforce_services.staff_update(
            staff=person, actor=self.lead, today=self.day, left_on=self.at(offset)
        )

    def role(self, person, role):
        person = self.people[person]
        person.refresh_from_db()
        workforce_services.staff_update(
            staff=person, actor=self.lead, today=self.day, job_role=self.roles[role]
        )

    def start(self, person, offset):
        person = self.people[person]
        person.refresh_from_db()
        workforce_services.staff_update(
            staff=person,
            actor=self.lead,
            today=self.day,
            start_date=self.at(offset),
            role_since=self.at(offset),
        )

    def exempt(self, person, module, offset, length):
        starts_on = self.at(offset)
        services.exemption_create(
            staff=self.people[person],
            module=None if module is None else self.modules[module],
            reason=ExemptionReason.OTHER,
            starts_on=starts_on,
            ends_on=None if length is None else starts_on + datetime.timedelta(days=length),
            actor=self.lead,
        )

    def assign(self, person, module, offset, within):
        assigned_on = self.at(offset)
        services.assignment_create(
            staff=self.people[person],
            module=self.modules[module],
            assigned_on=assigned_on,
            due_on=assigned_on + datetime.timedelta(days=within),
            actor=self.lead,
        )

    def require(self, role, module, offset, within):
        existing = Requirement.objects.filter(job_role=self.roles[role], module=self.modules[module]).first()
        if existing is not None:
            services.requirement_delete(requirement=existing, actor=self.lead)
            return
        services.requirement_create(
            actor=self.lead,
            job_role=self.roles[role],
            module=self.modules[module],
            starts_on=self.at(offset),
            due_within_days=within,
        )

    def window(self, module, days):
        module = self.modules[module]
        module.refresh_from_db()
        services.module_update(module=module, actor=self.lead, renewal_window_days=days)

    def validity(self, module, months):
        module = self.modules[module]
        module.refresh_from_db()
        services.module_update(module=module, actor=self.lead, validity_months=months)

    def roll(self, days):
        self.day = self.at(days)
        pair_states_roll(today=self.day)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=12))
def test_random_writes_and_rolls_keep_the_state_equal_to_the_rules(scene, lead, operations):
    """Random writes through the services, with rolls of the day between them: after each, the
    table equals the pure rules for the state's day."""
    with transaction.atomic():
        world = World(scene, lead)
        pair_states_rebuild(today=world.day)
        for operation in operations:
            world.run(operation)
            assert state_differences(on=world.day) == [], operation
            assert count_differences(on=world.day) == [], operation
        transaction.set_rollback(True)


def test_the_status_names_of_the_table_are_the_rules_own(scene):
    pair_states_rebuild(today=ON)
    assert set(PairState.objects.values_list("status", flat=True)) <= {status.value for status in Status}
