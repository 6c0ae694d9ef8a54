"""The reminder planner reads its pairs from the maintained compliance state when the state is on
the planner's day (training.selectors.engine.reminder_pairs), and the engine otherwise: on the same
data the plan is the same either way, item for item (random histories and days, and a scene with
line managers, assignments and exemptions)."""

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.selectors.planning import PlanningDay, reminder_plan
from tests.training.compliance_fixtures import ON
from tests.training.test_selectors import _build, _day, histories
from training.models import ComplianceState
from training.selectors.engine import ReminderPair
from training.state import pair_states_rebuild
from workforce.models import StaffMember


def _plans(day):
    """The plan for `day` from the state (rebuilt for it), then from the engine (state dropped)."""
    pair_states_rebuild(today=day)
    assert all(isinstance(pair, ReminderPair) for pair in PlanningDay(day).pairs)
    from_state = reminder_plan(day=day)
    ComplianceState.objects.all().delete()
    from_engine = reminder_plan(day=day)
    return from_state, from_engine


def _same(from_state, from_engine):
    assert sorted(from_state.items) == sorted(from_engine.items)
    assert sorted(from_state.superseded_ids) == sorted(from_engine.superseded_ids)


def test_the_plan_from_the_state_is_the_engines_in_a_scene(scene):
    StaffMember.objects.update(line_manager_email="manager@example.org")
    for offset in (0, 20, 45, 90, 200, 400):
        day = ON + datetime.timedelta(days=offset)
        from_state, from_engine = _plans(day)
        _same(from_state, from_engine)
    assert from_engine.items, "the scene should plan something"


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), offset=st.integers(-3, 3))
def test_the_plan_from_the_state_is_the_engines_on_random_histories(history, offset):
    with transaction.atomic():
        _build(history)
        StaffMember.objects.filter(pk__in=StaffMember.objects.order_by("pk").values("pk")[:3]).update(
            line_manager_email="manager@example.org"
        )
        for day in sorted(history["on"])[:3]:
            from_state, from_engine = _plans(_day(day) + datetime.timedelta(days=offset))
            _same(from_state, from_engine)
        transaction.set_rollback(True)
