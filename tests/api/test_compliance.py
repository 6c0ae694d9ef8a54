"""GET /api/v1/compliance/ answers what `compliance_report --json` prints, for the same date and
agency; every list's query count does not grow with the page size."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories


@pytest.fixture
def world(agency_a, agency_b):
    role = factories.JobRoleFactory()
    modules = [factories.ModuleFactory(code=f"HSB-10{n}") for n in range(1, 4)]
    for module in modules:
        factories.RequirementFactory(job_role=role, module=module)
    for agency in (agency_a, agency_b):
        for n in range(6):
            person = factories.StaffMemberFactory(agency=agency, job_role=role)
            if n % 2:
                factories.CompletionFactory(
                    staff=person, module=modules[0], completed_on=datetime.date(2025, 1, 1)
                )
    return modules


def report(*args):
    out = io.StringIO()
    call_command("compliance_report", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
class TestCompliance:
    @pytest.mark.parametrize(
        ("on", "agency"), [("2026-03-04", None), ("2025-06-01", "agency-a"), (None, "agency-b")]
    )
    def test_equals_compliance_report_json(self, world, lead_api, on, agency):
        params, args = {}, []
        if on:
            params["on"], args = on, [*args, "--on", on]
        if agency:
            params["agency"], args = agency, [*args, "--agency", agency]
        response = lead_api.get("/api/v1/compliance/", params)
        assert response.status_code == 200
        assert response.json() == report(*args)

    def test_hr_gets_their_agency_report(self, world, hr_a_api):
        assert hr_a_api.get("/api/v1/compliance/", {"on": "2026-03-04"}).json() == report(
            "--on", "2026-03-04", "--agency", "agency-a"
        )

    def test_a_bad_date_is_a_message_for_that_field(self, world, lead_api):
        response = lead_api.get("/api/v1/compliance/", {"on": "04/03/2026"})
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["on"]


# Authentication (token, groups, memberships) and throttling included; staff add the
# compliance engine's set-based queries for the page.
PINNED = {
    ("lead_api", "/api/v1/agencies/"): 4,
    ("lead_api", "/api/v1/job-roles/"): 4,
    ("lead_api", "/api/v1/modules/"): 4,
    ("lead_api", "/api/v1/staff/"): 13,
    ("lead_api", "/api/v1/completions/"): 4,
    ("hr_a_api", "/api/v1/agencies/"): 6,
    ("hr_a_api", "/api/v1/job-roles/"): 5,
    ("hr_a_api", "/api/v1/modules/"): 5,
    ("hr_a_api", "/api/v1/staff/"): 15,
    ("hr_a_api", "/api/v1/completions/"): 6,
}


def _queries(api, url, page_size):
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, {"page_size": page_size})
    assert response.status_code == 200
    return len(captured), len(response.json()["results"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/api/v1/agencies/", "/api/v1/job-roles/", "/api/v1/modules/", "/api/v1/staff/", "/api/v1/completions/"],
)
@pytest.mark.parametrize("persona", ["lead_api", "hr_a_api"])
def test_list_query_counts_do_not_grow_with_the_page_size(world, url, persona, request, agency_a):
    api = request.getfixturevalue(persona)
    for n in range(4):
        factories.AgencyFactory(name=f"Extra {n}", slug=f"extra-{n}")
        factories.JobRoleFactory()
        factories.ModuleFactory(code=f"X-{n}")
    _queries(api, url, 1)  # the token's first use of the minute records it (one UPDATE)
    small, small_rows = _queries(api, url, 1)
    large, large_rows = _queries(api, url, 50)
    assert large_rows > small_rows or large_rows <= 1
    assert small == large == PINNED[persona, url], (persona, url, small, large)
