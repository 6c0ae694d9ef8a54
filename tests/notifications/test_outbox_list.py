"""The outbox as a list: the dashboard's filters that apply to it (agency, team, job role, tier,
module, status) with its search, sorting by its columns, pages of 25/50/100, and a download of
exactly the listed reminders, in the listed order."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories
from tests.downloads import file_bytes
from tests.notifications.builders import person, role_requiring
from tests.notifications.test_outbox_views import START, listed, plan, world  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

OUTBOX = reverse("outbox:items")


@pytest.fixture
def wider(request, agency_a):
    """Cara of agency A, in a team, of a tier 4 role that requires a second module too."""
    scene = request.getfixturevalue("world")
    team = factories.TeamFactory(agency=agency_a, name="Duty")
    hsb401 = factories.ModuleFactory(code="HSB-401", title="Supervising HSB practice")
    strategic = role_requiring(scene["module"], hsb401, name="HSB strategic lead")
    strategic.tier = 4
    strategic.save()
    cara = person(
        agency_a, strategic, first_name="Cara", last_name="Zed", start=START, staff_number="A1003", team=team
    )
    plan()
    return {**scene, "team": team, "hsb401": hsb401, "strategic": strategic, "cara": cara}


def about(response):
    """(recipient's first part, module code) of each listed item, in order."""
    return [
        (item.recipient.split("@")[0], item.module.code if item.module else "") for item in listed(response)
    ]


def downloaded(response, file_format="csv"):
    if file_format == "csv":
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(file_bytes(response).decode("utf-8-sig"), newline="")))
    else:
        sheet = load_workbook(io.BytesIO(file_bytes(response))).worksheets[0]
        rows = [
            ["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)
        ]
    headers = rows[0]
    recipient, module = headers.index("Recipient"), headers.index("Module code")
    return headers, [(row[recipient].split("@")[0], row[module]) for row in rows[1:]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {},
            {
                ("asha.patel", "HSB-101"),
                ("ben.morgan", "HSB-101"),
                ("sam.manager", "HSB-101"),
                ("cara.zed", "HSB-101"),
                ("cara.zed", "HSB-401"),
            },
        ),
        ({"tier": "4"}, {("cara.zed", "HSB-101"), ("cara.zed", "HSB-401")}),
        ({"module": "HSB-401"}, {("cara.zed", "HSB-401")}),
        ({"agency": "agency-a", "module": "HSB-101"}, {("asha.patel", "HSB-101"), ("cara.zed", "HSB-101")}),
        ({"status": "pending", "q": "morgan"}, {("ben.morgan", "HSB-101"), ("sam.manager", "HSB-101")}),
        ({"status": "sent"}, set()),
    ],
)
def test_each_filter_narrows_the_list_and_its_downloads(client, lead, wider, query, expected):
    client.force_login(lead)
    shown = about(client.get(OUTBOX, query))
    assert set(shown) == expected
    for file_format in ("csv", "xlsx"):
        _headers, rows = downloaded(client.get(OUTBOX, {**query, "download": file_format}), file_format)
        assert rows == shown, "the download is exactly the listed reminders, in the listed order"


def test_team_and_job_role_filters(client, lead, wider):
    client.force_login(lead)
    by_team = about(client.get(OUTBOX, {"team": wider["team"].pk}))
    assert set(by_team) == {("cara.zed", "HSB-101"), ("cara.zed", "HSB-401")}
    by_role = about(client.get(OUTBOX, {"job_role": wider["role"].pk}))
    assert set(by_role) == {("asha.patel", "HSB-101"), ("ben.morgan", "HSB-101"), ("sam.manager", "HSB-101")}


def test_a_mistyped_choice_is_explained_and_left_out(client, lead, wider):
    client.force_login(lead)
    response = client.get(OUTBOX, {"module": "NOPE-1", "tier": "9"})
    assert "Select a module from the list." in response.text
    assert "Select a tier from the list." in response.text
    assert len(listed(response)) == 5


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("recipient", ["asha.patel", "ben.morgan", "cara.zed", "cara.zed", "sam.manager"]),
        ("-recipient", ["sam.manager", "cara.zed", "cara.zed", "ben.morgan", "asha.patel"]),
        ("person", ["ben.morgan", "sam.manager", "asha.patel", "cara.zed", "cara.zed"]),
    ],
)
def test_each_column_sorts_the_list_and_the_download(client, lead, wider, sort, expected):
    client.force_login(lead)
    shown = about(client.get(OUTBOX, {"sort": sort}))
    assert [recipient for recipient, _module in shown] == expected
    _headers, rows = downloaded(client.get(OUTBOX, {"sort": sort, "download": "csv"}))
    assert rows == shown


def test_module_sort_and_the_headings(client, lead, wider):
    client.force_login(lead)
    shown = about(client.get(OUTBOX, {"sort": "-module"}))
    assert shown[0] == ("cara.zed", "HSB-401")
    page = client.get(OUTBOX).text
    for key in ("recipient", "status", "kind", "person", "module", "cycle"):
        assert f'href="?sort={key}"' in page
    assert 'href="?sort=planned"' in page, "newest first now, so the heading offers oldest first"


def test_pages_of_25_50_or_100_and_the_download_is_the_whole_list(client, lead, request):
    scene = request.getfixturevalue("world")
    for n in range(30):
        person(scene["asha"].agency, scene["role"], first_name=f"P{n}", last_name="Test", start=START)
    plan()
    client.force_login(lead)
    assert len(listed(client.get(OUTBOX, {"per_page": "25"}))) == 25
    assert len(listed(client.get(OUTBOX, {"per_page": "25", "page": "2"}))) == 8
    assert len(listed(client.get(OUTBOX, {"per_page": "100"}))) == 33
    _headers, rows = downloaded(client.get(OUTBOX, {"per_page": "25", "download": "csv"}))
    assert len(rows) == 33


def test_the_download_says_each_stage_in_words(client, lead, wider):
    client.force_login(lead)
    response = client.get(OUTBOX, {"q": "asha", "download": "csv"})
    rows = list(csv.DictReader(io.StringIO(file_bytes(response).decode("utf-8-sig"), newline="")))
    assert [(row["When"], row["Stage code"], row["Counted from"]) for row in rows] == [
        ("2 weeks after the due date", "U+14", "due date")
    ]


@pytest.mark.parametrize("persona", ["hr_a", "hr_b", "outsider"])
def test_only_a_lead_sees_the_list_or_its_downloads(client, request, persona, wider):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(OUTBOX).status_code == 404
    assert client.get(OUTBOX, {"download": "csv"}).status_code == 404
