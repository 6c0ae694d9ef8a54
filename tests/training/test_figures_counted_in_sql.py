"""The dashboard's and the agency page's figures are counted by the database
(training.selectors.compliance_counts), not from every pair classified in Python: they must equal the
figures built from compliance_pairs, on a partnership with every kind of pair, under every filter."""

import datetime

import pytest
from django.urls import reverse

from tests import factories
from tests.training.compliance_fixtures import ON, completed, person
from training.compliance import Status
from training.selectors import engine as selectors
from training.selectors.compliance import ComplianceFilters, figures_from_pairs, scoped_pairs
from training.selectors.engine import compliance_pairs, compliance_summary, worst_status_by_person
from workforce import access

DASHBOARD = reverse("compliance:dashboard")

pytestmark = pytest.mark.usefixtures("on_day")


@pytest.fixture
def varied(scene):
    """The scene of compliance_fixtures, with what it lacks: teams, assignments (alone, and beside a
    requirement with an earlier due date), an exemption from every module, a module that never
    expires, an inactive agency, a future starter."""
    north = factories.TeamFactory(agency=scene.agency_a, name="North")
    south = factories.TeamFactory(agency=scene.agency_b, name="South")
    people = scene.people
    for name in ("asha", "ewa"):
        type(people[name]).objects.filter(pk=people[name].pk).update(team=north)
    type(people["ben"]).objects.filter(pk=people["ben"].pk).update(team=south)
    forever = factories.ModuleFactory(code="HSB-102", title="Local pathway", validity_months=None)
    factories.RequirementFactory(
        job_role=scene.police, module=forever, starts_on=datetime.date(2020, 1, 1), due_within_days=30
    )
    factories.CompletionFactory(
        staff=people["rhys"], module=forever, completed_on=datetime.date(2021, 5, 1), expires_on=None
    )
    # Dan's requirement of HSB-201 falls due in May; his assignment of it fell due on 1 March.
    factories.AssignmentFactory(
        staff=people["dan"],
        module=scene.hsb201,
        assigned_on=datetime.date(2026, 1, 5),
        due_on=ON.replace(day=1),
    )
    # HSB-201 is not required of police: Cara has it by assignment alone, due next month.
    factories.AssignmentFactory(
        staff=people["cara"],
        module=scene.hsb201,
        assigned_on=datetime.date(2026, 2, 1),
        due_on=ON.replace(month=4),
    )
    hana = person(scene.agency_b, scene.social_worker, "Hana", "Kim", "B003")
    factories.ExemptionFactory(staff=hana, module=None, starts_on=datetime.date(2026, 2, 1), ends_on=None)
    person(scene.agency_b, scene.police, "Ivo", "Starr", "B004", start_date=ON.replace(month=5))
    gone = factories.AgencyFactory(name="Gone agency", slug="gone", active=False)
    completed(person(gone, scene.police, "Jo", "Ray", "G001"), scene.hsb101, datetime.date(2025, 3, 1))
    person(gone, scene.social_worker, "Kai", "Lowe", "G002")
    return scene


def _filter_values(scene, name):
    return {
        "agency": {"agency": scene.agency_a.slug},
        "team": {"team": str(factories.TeamFactory._meta.model.objects.get(name="North").pk)},
        "job_role": {"job_role": str(scene.social_worker.pk)},
        "tier": {"tier": "1"},
        "module": {"module": "HSB-201"},
        "status": {"status": "overdue"},
        "several": {"agency": scene.agency_b.slug, "tier": "2", "status": "exempt"},
        "none": {},
    }[name]


FILTERS = ["none", "agency", "team", "job_role", "tier", "module", "status", "several"]


@pytest.mark.parametrize("name", FILTERS)
def test_the_dashboards_figures_equal_those_of_the_pairs(client, lead, varied, name):
    client.force_login(lead)
    response = client.get(DASHBOARD, _filter_values(varied, name))
    assert response.status_code == 200
    filters = response.context["filters"]
    assert not response.context["form"].errors
    pairs = scoped_pairs(staff=access.visible_staff(lead), on=ON, filters=filters)
    assert pairs, "the fixture should leave pairs under every filter"
    figures = response.context["figures"]
    assert figures == figures_from_pairs(pairs, ON, filters)
    # And against the engine's own summary of each group, which shares no code with the counting.
    assert figures.summary == compliance_summary(pairs)
    for agency, _, total in figures.heat_map.rows:
        assert total.summary == compliance_summary([p for p in pairs if p.agency == agency])
    for row in figures.by_job_role:
        assert row.cell.summary == compliance_summary([p for p in pairs if p.job_role.id == row.key])
    for row in figures.by_tier:
        assert row.cell.summary == compliance_summary([p for p in pairs if p.job_role.tier == row.key])
    assert {row.status: row.people for row in figures.status_counts} == {
        status: len({p.staff_id for p in pairs if p.status is status}) for status in Status
    }


@pytest.mark.parametrize("slug", ["agency-a", "agency-b", "gone"])
def test_the_agency_pages_figures_and_worst_statuses_equal_those_of_the_pairs(client, lead, varied, slug):
    client.force_login(lead)
    response = client.get(reverse("agency_staff", kwargs={"slug": slug}), {"status": "all"})
    assert response.status_code == 200
    filters = response.context["filters"]
    pairs = scoped_pairs(staff=access.visible_staff(lead), on=ON, filters=filters)
    assert response.context["figures"] == figures_from_pairs(pairs, ON, filters)
    listed = {person.pk: person.worst_status for person in response.context["page"].object_list}
    expected = worst_status_by_person(pairs)
    assert listed == {pk: expected.get(pk) for pk in listed}
    assert any(status is not None for status in listed.values())


def test_the_worst_status_of_people_on_a_later_page(client, lead, scene):
    """Worst statuses are read for the page shown, so the second page must have its own."""
    for number in range(55):
        person(scene.agency_a, scene.police, "Zed", f"Zulu{number:02d}", f"Z{number:03d}")
    client.force_login(lead)
    response = client.get(reverse("agency_staff", kwargs={"slug": scene.agency_a.slug}), {"page": 2})
    listed = {person.pk: person.worst_status for person in response.context["page"].object_list}
    assert len(listed) == 10  # 5 of the scene and 55 more, 50 a page
    expected = worst_status_by_person(compliance_pairs(on=ON, agency=scene.agency_a))
    assert listed == {pk: expected[pk] for pk in listed}


def test_the_counts_of_the_database_equal_the_counts_of_the_pairs(varied):
    for on in (ON, ON.replace(month=1), ON.replace(month=4), ON.replace(year=2027)):
        for scope in ({}, {"agency": varied.agency_b}, {"tier": 2}, {"module": varied.hsb201}):
            counted = selectors.compliance_counts(on=on, **scope)
            assert counted == selectors.count_pairs(compliance_pairs(on=on, **scope)), (on, scope)


def test_pages_of_figures_never_classify_pairs_one_by_one(client, lead, varied, monkeypatch):
    """The dashboard and the agency page count in the database; only a page that shows dates runs
    the per-pair rules (training.selectors._combine)."""

    def refuse(**kwargs):
        raise AssertionError("a page of figures classified every pair in Python")

    monkeypatch.setattr(selectors, "_combine", refuse)
    client.force_login(lead)
    assert client.get(DASHBOARD).status_code == 200
    assert client.get(DASHBOARD, {"agency": varied.agency_a.slug, "status": "overdue"}).status_code == 200
    assert client.get(reverse("agency_staff", kwargs={"slug": varied.agency_a.slug})).status_code == 200


def test_no_active_module_means_no_figures(client, lead, varied):
    factories.ModuleFactory._meta.model.objects.update(active=False)
    assert selectors.compliance_counts(on=ON) == selectors.ComplianceCounts(pairs={}, people={})
    client.force_login(lead)
    figures = client.get(DASHBOARD).context["figures"]
    assert figures.summary.required == 0 and figures.heat_map.rows == []
    assert figures == figures_from_pairs([], ON, ComplianceFilters())
