"""A small partnership with one pair in every status, for the compliance pages, exports and
snapshots. Test modules import what they use by name (pytest finds imported fixtures):

    from tests.training.compliance_fixtures import ON, more_staff

(`scene` and `on_day` are registered in tests/training/conftest.py and tests/workforce/conftest.py.)

On 4 March 2026 (ON), with HSB-101 and HSB-201 valid for 36 months and a 60-day renewal window:

| person        | agency | job role      | HSB-101                       | HSB-201          |
| ------------- | ------ | ------------- | ----------------------------- | ---------------- |
| Asha Patel    | A      | Social worker | compliant (done 10/01/2025)   | overdue          |
| Dan Novak     | A      | Social worker | due (started 01/02/2026)      | due              |
| Rhys Owen     | A      | Police        | renewal due (expires 20/03/26)| -                |
| Ewa Lis       | A      | Police        | expired (01/01/2025)          | -                |
| Femi Bello    | A      | Police        | exempt (since 01/01/2026)     | -                |
| Gail Hart     | A      | Police        | left 31/12/2025: no pairs     | -                |
| Ben Morgan    | B      | Social worker | compliant                     | compliant        |
| Cara Doyle    | B      | Police        | overdue                       | -                |

Agency A: 7 pairs (1 compliant, 1 renewal due, 1 expired, 2 due, 1 overdue, 1 exempt), rate 2/6.
Agency B: 3 pairs (2 compliant, 1 overdue), rate 2/3. Partnership: 10 pairs, rate 4/9.
"""

import datetime
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from training.compliance import add_months
from training.models import CompletionSource, Verification

ON = datetime.date(2026, 3, 4)
REQUIRED_SINCE = datetime.date(2020, 1, 1)
LONG_AGO = datetime.date(2019, 9, 2)


@pytest.fixture
def on_day():
    """Freeze the clock at noon in London on ON, so "today" on every page is ON."""
    with time_machine.travel(
        datetime.datetime(2026, 3, 4, 12, 0, tzinfo=ZoneInfo("Europe/London")), tick=False
    ):
        yield ON


@dataclass
class Scene:
    agency_a: object
    agency_b: object
    hsb101: object
    hsb201: object
    social_worker: object
    police: object
    people: dict


def completed(person, module, on, **extra):
    return factories.CompletionFactory(
        staff=person,
        module=module,
        completed_on=on,
        expires_on=add_months(on, module.validity_months),
        source=extra.pop("source", CompletionSource.MANUAL),
        **extra,
    )


def person(agency, job_role, first, last, number, **extra):
    start = extra.pop("start_date", LONG_AGO)
    return factories.StaffMemberFactory(
        agency=agency,
        job_role=job_role,
        first_name=first,
        last_name=last,
        staff_number=number,
        email=f"{first}.{last}@{agency.slug}.example.org".lower(),
        start_date=start,
        role_since=start,
        **extra,
    )


@pytest.fixture
def scene(agency_a, agency_b):
    hsb101 = factories.ModuleFactory(code="HSB-101", title="Understanding harmful sexual behaviour")
    hsb201 = factories.ModuleFactory(code="HSB-201", title="Using a traffic light tool", tier=2)
    social_worker = factories.JobRoleFactory(name="Children's social worker", tier=2)
    police = factories.JobRoleFactory(name="Police officer", tier=1)
    for module in (hsb101, hsb201):
        factories.RequirementFactory(job_role=social_worker, module=module, starts_on=REQUIRED_SINCE)
    factories.RequirementFactory(job_role=police, module=hsb101, starts_on=REQUIRED_SINCE)

    people = {
        "asha": person(agency_a, social_worker, "Asha", "Patel", "A001"),
        "dan": person(agency_a, social_worker, "Dan", "Novak", "A002", start_date=datetime.date(2026, 2, 1)),
        "rhys": person(agency_a, police, "Rhys", "Owen", "A003"),
        "ewa": person(agency_a, police, "Ewa", "Lis", "A004"),
        "femi": person(agency_a, police, "Femi", "Bello", "A005"),
        "gail": person(agency_a, police, "Gail", "Hart", "A006", left_on=datetime.date(2025, 12, 31)),
        "ben": person(agency_b, social_worker, "Ben", "Morgan", "B001"),
        "cara": person(agency_b, police, "Cara", "Doyle", "B002"),
    }
    completed(people["asha"], hsb101, datetime.date(2025, 1, 10), certificate_reference="CERT-77")
    completed(people["rhys"], hsb101, datetime.date(2023, 3, 20))
    completed(people["ewa"], hsb101, datetime.date(2022, 1, 1))
    completed(people["ben"], hsb101, datetime.date(2025, 6, 1))
    completed(people["ben"], hsb201, datetime.date(2025, 6, 1))
    factories.ExemptionFactory(staff=people["femi"], module=hsb101, starts_on=datetime.date(2026, 1, 1))
    # Neither of these counts: one waits for verification, the other was rejected.
    factories.CompletionFactory(
        staff=people["asha"],
        module=hsb201,
        completed_on=datetime.date(2026, 2, 20),
        source=CompletionSource.SELF_DECLARED,
        verification=Verification.PENDING,
        certificate_reference="PENDING-1",
    )
    factories.CompletionFactory(
        staff=people["asha"],
        module=hsb201,
        completed_on=datetime.date(2026, 1, 15),
        source=CompletionSource.SELF_DECLARED,
        verification=Verification.REJECTED,
        rejection_reason="The certificate is for another course.",
    )
    return Scene(agency_a, agency_b, hsb101, hsb201, social_worker, police, people)


def more_staff(scene, count, *, agency=None):
    """`count` more social workers (two overdue pairs each), for query-count comparisons."""
    agency = agency or scene.agency_a
    for _ in range(count):
        number = next(_extra_numbers)
        person(agency, scene.social_worker, "Extra", f"Person{number}", f"X{number:05d}")


_extra_numbers = itertools.count(1)
