"""Readers of the maintained compliance state: the dashboard, an agency's figures, the worst
statuses of a list's page and compliance_report read the table when it is on the day asked for,
with the same figures as the engine, a fixed number of queries whatever the number of people, and
the engine for any other day."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.training.compliance_fixtures import ON, more_staff
from training.compliance import Status
from training.models import PairState
from training.selectors.compliance import ComplianceFilters, compliance_figures, worst_statuses
from training.selectors.engine import compliance_counts, compliance_statuses
from training.selectors.report import build_report
from training.state import pair_counts_recount, pair_states_rebuild
from workforce import access

DASHBOARD = reverse("compliance:dashboard")
NEXT_DAY = ON + datetime.timedelta(days=1)


@pytest.fixture
def state(scene, on_day):
    pair_states_rebuild(today=ON)
    return ON


FILTERS = [
    {},
    {"agency": "agency_a"},
    {"module": "hsb201"},
    {"tier": 2},
    {"job_role": "police"},
    {"status": Status.OVERDUE},
]


def _filters(scene, spec):
    values = {
        name: value if isinstance(value, Status | int) else getattr(scene, value)
        for name, value in spec.items()
    }
    return ComplianceFilters(**values)


@pytest.mark.parametrize("spec", FILTERS)
def test_figures_from_the_state_equal_the_engines(scene, lead, state, spec):
    filters = _filters(scene, spec)
    staff = access.visible_staff(lead)
    from_state = compliance_counts(on=ON, staff=staff, from_state=True, **filters.scope())
    assert from_state == compliance_counts(on=ON, staff=staff, **filters.scope())
    assert compliance_figures(user=lead, on=ON, filters=filters).summary.required > 0


def test_inactive_agencies_are_left_out_from_the_state_as_by_the_engine(scene, state):
    scene.agency_b.active = False
    scene.agency_b.save()
    assert compliance_counts(on=ON, from_state=True) == compliance_counts(on=ON)
    assert compliance_counts(on=ON, agency=scene.agency_b, from_state=True) == compliance_counts(
        on=ON, agency=scene.agency_b
    )


def test_the_dashboard_reads_the_state_for_its_day_and_the_engine_for_any_other(client, lead, scene, state):
    """With the state corrupted on purpose, the dashboard for the state's day shows the table's
    figures (proving it reads them) and the report for another day does not."""
    PairState.objects.update(status=Status.COMPLIANT)
    pair_counts_recount()  # the counts follow the table, as every refresh keeps them
    client.force_login(lead)
    figures = client.get(DASHBOARD).context["figures"]
    assert figures.summary.count(Status.COMPLIANT) == 10
    report = build_report(on=ON)
    assert report["pairs"]["compliant"] == 10
    assert build_report(on=NEXT_DAY)["pairs"]["compliant"] == 3


def test_the_report_from_the_state_equals_the_engines(scene, state):
    report = build_report(on=ON)
    counts = {"compliant": 3, "renewal_due": 1, "expired": 1, "due": 2, "overdue": 2, "exempt": 1}
    assert report["pairs"] == counts and report["rate"] == round(4 / 9, 4)
    rows = compliance_statuses(on=ON, from_state=True, agency=scene.agency_a)
    assert sorted(rows) == sorted(compliance_statuses(on=ON, agency=scene.agency_a))


def test_worst_statuses_from_the_state(scene, lead, state):
    people = [person.pk for person in scene.people.values()]
    staff = access.visible_staff(lead)
    worst = worst_statuses(staff=staff, on=ON, filters=ComplianceFilters(), people=people)
    assert worst[scene.people["asha"].pk] is Status.OVERDUE
    assert worst[scene.people["ben"].pk] is Status.COMPLIANT
    assert scene.people["gail"].pk not in worst


def _queries(client, url, data=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (DASHBOARD, {}),
        (DASHBOARD, {"status": "overdue", "tier": "2"}),
        (reverse("compliance:people"), {"status": "overdue"}),
        (reverse("agency_staff", kwargs={"slug": "agency-a"}), {}),
    ],
)
def test_pages_from_the_state_take_a_fixed_number_of_queries(client, lead, scene, on_day, url, data):
    client.force_login(lead)
    more_staff(scene, 5)
    pair_states_rebuild(today=ON)
    few = _queries(client, url, data)
    more_staff(scene, 45, agency=scene.agency_b)
    more_staff(scene, 20)
    pair_states_rebuild(today=ON)
    assert _queries(client, url, data) == few
    assert few <= 26
