"""Demand against supply equals a slow reference computed from compliance pairs for the same date,
scoped per agency for HR, with an XLSX download."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from courses import selectors
from tests import factories
from tests.downloads import file_bytes
from tests.training.records_fixtures import login
from training.compliance import Status
from training.models import Module
from training.selectors.engine import compliance_pairs

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def reference(today, agency=None):
    """The slow way: every pair on the 90th day, one by one through the pure rules."""
    horizon = today + 90 * DAY
    taught = set(Module.objects.exclude(delivery_mode="e_learning").values_list("code", flat=True))
    need = {}
    for pair in compliance_pairs(on=horizon):
        if agency is not None and pair.agency.id != agency.pk:
            continue
        if pair.module.code in taught and pair.status not in (Status.COMPLIANT, Status.EXEMPT):
            need[pair.module.code] = need.get(pair.module.code, 0) + 1
    return need


@pytest.fixture
def scene(make_session, people_a, person_b, workshop, role, agency_a):
    today = timezone.localdate()
    # One person done recently (valid), one expiring within 90 days (renewal due by then).
    factories.CompletionFactory(
        staff=people_a[0], module=workshop, completed_on=today - 30 * DAY, expires_on=today + 1000 * DAY
    )
    factories.CompletionFactory(
        staff=people_a[1], module=workshop, completed_on=today - 1000 * DAY, expires_on=today + 40 * DAY
    )
    make_session(days=20, capacity=2)
    make_session(days=200, capacity=30)  # beyond 90 days: not counted
    return today


def test_demand_equals_the_reference_for_the_partnership_and_each_agency(scene, agency_a, agency_b):
    for agency in (None, agency_a, agency_b):
        rows = {row.module.code: row.need for row in selectors.demand_supply(today=scene, agency=agency)}
        expected = reference(scene, agency)
        assert {code: n for code, n in rows.items() if n} == expected


def test_places_shortfall_and_sessions_needed(scene):
    [row] = [r for r in selectors.demand_supply(today=scene) if r.module.code == "HSB-202"]
    # people_a[1] (renewal by then), people_a[2] and person_b (overdue): 3 need it; 2 places within 90 days.
    assert (row.need, row.places, row.sessions, row.shortfall) == (3, 2, 1, 1)
    assert row.usual_capacity == 16  # the median of 2 and 30
    assert row.sessions_needed == 1


def test_hr_see_their_own_agency_and_another_agency_is_404(client, scene, hr_b, agency_a):
    login(client, hr_b)
    page = client.get(reverse("courses:demand"))
    assert page.status_code == 200 and page.context["agency"].slug == "agency-b"
    assert client.get(reverse("courses:demand"), {"agency": agency_a.slug}).status_code == 404


def test_the_lead_downloads_the_figures_as_xlsx(client, scene, lead):
    response = login(client, lead).get(reverse("courses:demand"), {"download": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(file_bytes(response))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Module", "Title", "People who need it", "Places scheduled")
    assert rows[1][0] == "HSB-202" and rows[1][5] == 1


def test_outsiders_get_404(client, outsider):
    assert login(client, outsider).get(reverse("courses:demand")).status_code == 404
