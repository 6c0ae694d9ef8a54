"""The people behind a count (/compliance/people/) from the maintained state: on the state's day the
database filters, sorts and pages the list (training.selectors.compliance.PeopleList), and it must
list the same people, in the same order, with the same pairs, total and download as the engine's
list on any other day; within the user's scope; in a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.downloads import file_bytes
from tests.training.compliance_fixtures import ON, completed, more_staff, person
from training.models import ComplianceState, PairState
from training.state import pair_counts_recount, pair_states_rebuild
from training.views.compliance import people_listed
from workforce.models import Team

PEOPLE = reverse("compliance:people")
NEW_YEAR = datetime.date(2026, 1, 5)


@pytest.fixture
def crowd(scene, on_day):
    """The scene and 31 more people: names that sort differently by language rules and by code
    point ("de Souza", "Dean", "O'Brien", "Obi"), a team, equal urgencies (ties by staff id), and
    enough people for two pages of 25."""
    team = factories.TeamFactory(agency=scene.agency_b, name="Family support")
    extra = [
        person(scene.agency_b, scene.social_worker, "Zoe", "de Souza", "B010", team=team),
        person(scene.agency_b, scene.police, "Adam", "Dean", "b011", team=team),
        person(scene.agency_a, scene.police, "Ola", "O'Brien", "A020"),
        person(
            scene.agency_a, scene.social_worker, "Ike", "Obi", "A021", start_date=datetime.date(2026, 1, 5)
        ),
        person(scene.agency_b, scene.police, "Asha", "Patel", "B012"),
    ]
    completed(extra[1], scene.hsb101, datetime.date(2023, 3, 20))  # renewal due, as Rhys's
    completed(extra[2], scene.hsb101, datetime.date(2022, 1, 1))  # expired, as Ewa's
    completed(extra[3], scene.hsb201, datetime.date(2025, 9, 1))
    more_staff(scene, 14)
    more_staff(scene, 12, agency=scene.agency_b)
    return scene


def _listed(response):
    """What the page shows: the total, the people in order with each pair's module, status and key
    date, and the page's place."""
    assert response.status_code == 200
    context = response.context
    rows = [
        (row.staff.pk, [(pair.module.code, str(pair.status), pair.key_date) for pair in row.pairs])
        for row in context["rows"]
    ]
    return context["page"].paginator.count, context["page"].number, rows


def _read(response):
    """A streamed download reads the list while it is sent: read it here, inside the capture."""
    if response.streaming:
        response.body = file_bytes(response)
    return response


def _both(client, data):
    """The page from the state (built for today), then from the engine (no state)."""
    pair_states_rebuild(today=ON)
    with CaptureQueriesContext(connection) as queries:
        from_state = _read(client.get(PEOPLE, data))
    assert any("training_pairstate" in query["sql"] for query in queries.captured_queries)
    ComplianceState.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        from_engine = _read(client.get(PEOPLE, data))
    assert not any("training_pairstate" in query["sql"] for query in queries.captured_queries)
    return from_state, from_engine


FILTERS = [
    {},
    {"status": "overdue"},
    {"status": "compliant"},
    {"status": "renewal_due"},
    {"agency": "agency-a"},
    {"module": "HSB-201"},
    {"tier": "1"},
    {"job_role": "police"},
    {"team": "family"},
    {"q": "patel"},
    {"q": "extra", "status": "overdue"},  # the 26 from more_staff (their numbers vary by test order)
]
SORTS = ["", "-urgency", "name", "-name", "number", "-number", "agency", "-agency", "role", "-role"]


def _query(crowd, spec):
    data = dict(spec)
    if data.get("job_role") == "police":
        data["job_role"] = crowd.police.pk
    if data.get("team") == "family":
        data["team"] = Team.objects.get(name="Family support").pk
    return data


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("spec", FILTERS)
def test_the_list_from_the_state_equals_the_engines(client, lead, crowd, spec, sort):
    client.force_login(lead)
    for page in ("1", "2", "9"):
        data = {**_query(crowd, spec), "sort": sort, "per_page": "25", "page": page}
        from_state, from_engine = _both(client, data)
        assert _listed(from_state) == _listed(from_engine)
    total, number, rows = _listed(from_state)  # page 9 is the last page
    assert total > 0 and number == (total - 1) // 25 + 1 and len(rows) == total - 25 * (number - 1)


def test_the_order_is_by_urgency_then_staff_id_and_names_by_code_point(client, lead, crowd):
    client.force_login(lead)
    pair_states_rebuild(today=ON)
    _total, _number, rows = _listed(client.get(PEOPLE, {"status": "overdue", "per_page": "100"}))
    extras = [staff_id for staff_id, _pairs in rows if staff_id not in {p.pk for p in crowd.people.values()}]
    assert extras == sorted(extras)  # equally urgent: by staff id
    _total, _number, rows = _listed(
        client.get(PEOPLE, {"sort": "name", "per_page": "100", "agency": "agency-b"})
    )
    names = [crowd.agency_b.staff.get(pk=staff_id).last_name for staff_id, _pairs in rows]
    assert names.index("de Souza") < names.index("Dean")  # a space before a letter, as Python compares


def test_a_persons_pairs_are_worst_first_with_their_key_dates(client, lead, crowd):
    client.force_login(lead)
    pair_states_rebuild(today=ON)
    asha = crowd.people["asha"]
    _total, _number, rows = _listed(client.get(PEOPLE, {"q": "A001"}))
    assert rows == [
        (
            asha.pk,
            [
                ("HSB-201", "overdue", datetime.date(2020, 3, 31)),
                ("HSB-101", "compliant", datetime.date(2028, 1, 10)),
            ],
        )
    ]
    page = client.get(PEOPLE, {"q": "A001"}).content.decode()
    assert "was due 31 March 2020" in page and "expires 10 January 2028" in page


@pytest.mark.parametrize(
    "data",
    [{}, {"status": "overdue", "sort": "-name"}, {"agency": "agency-b", "sort": "role"}, {"q": "extra"}],
)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_download_from_the_state_equals_the_engines(client, lead, crowd, data, file_format):
    client.force_login(lead)
    from_state, from_engine = _both(client, {**data, "download": file_format})
    assert from_state.status_code == from_engine.status_code == 200
    if file_format == "csv":
        assert from_state.body == from_engine.body
        assert from_state.body.count(b"\n") > 1
    else:
        assert _xlsx_rows(from_state) == _xlsx_rows(from_engine)


def _xlsx_rows(response):
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.body)).active
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def test_the_bulk_actions_whole_list_from_the_state_equals_the_engines(lead, crowd):
    params = {"status": "overdue"}
    pair_states_rebuild(today=ON)
    from_state = people_listed(lead, params, today=ON)
    ComplianceState.objects.all().delete()
    assert from_state == people_listed(lead, params, today=ON)
    assert len(from_state) > 20


def test_agency_hr_see_only_their_agency_from_the_state(client, hr_b, crowd):
    client.force_login(hr_b)
    pair_states_rebuild(today=ON)
    total, _number, rows = _listed(client.get(PEOPLE, {"per_page": "100"}))
    agency_b = set(crowd.agency_b.staff.values_list("pk", flat=True))
    assert total == len(rows) == 17 and {staff_id for staff_id, _pairs in rows} <= agency_b
    assert client.get(PEOPLE, {"agency": "agency-a"}).status_code == 404
    assert crowd.people["asha"].pk not in people_listed(hr_b, {}, today=ON)
    csv = file_bytes(client.get(PEOPLE, {"download": "csv"})).decode("utf-8-sig")
    assert "B001" in csv and "A001" not in csv


def test_another_day_reads_the_engine(client, lead, crowd):
    """The state is for tomorrow and says everyone is compliant: today's list is the engine's."""
    client.force_login(lead)
    pair_states_rebuild(today=ON + datetime.timedelta(days=1))
    PairState.objects.update(status="compliant")
    total, _number, rows = _listed(client.get(PEOPLE, {"status": "overdue", "per_page": "100"}))
    assert total == 30 and crowd.people["asha"].pk in {staff_id for staff_id, _pairs in rows}
    pair_states_rebuild(today=ON)
    PairState.objects.update(status="compliant")  # today's state, corrupted: the page reads it
    pair_counts_recount()  # and its counts, as every refresh keeps them
    assert _listed(client.get(PEOPLE, {"status": "overdue"}))[0] == 0


def _queries(client, data):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PEOPLE, data)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"status": "overdue", "sort": "name", "page": "2", "per_page": "25"},
        {"sort": "-urgency", "q": "extra", "tier": "2"},
        {"status": "overdue", "download": "csv"},
    ],
)
def test_the_list_from_the_state_takes_the_same_queries_for_10_and_100_staff(
    client, lead, scene, on_day, data
):
    client.force_login(lead)
    more_staff(scene, 2)
    pair_states_rebuild(today=ON)
    few = _queries(client, data)
    more_staff(scene, 60, agency=scene.agency_b)
    more_staff(scene, 30)
    pair_states_rebuild(today=ON)
    assert _queries(client, data) == few
    assert few <= 20
