"""Finding anyone from every page: by name, staff number or email, across the agencies the user
may see (never another agency's staff), sorted, paged and downloadable."""

import csv
import io

import pytest
from django.urls import reverse

from tests import factories
from tests.downloads import file_bytes

SEARCH = reverse("search")


@pytest.fixture
def people(agency_a, agency_b):
    return {
        "asha": factories.StaffMemberFactory(
            agency=agency_a, first_name="Asha", last_name="Patel", staff_number="A1", email="asha@a.org"
        ),
        "ashanti": factories.StaffMemberFactory(
            agency=agency_a, first_name="Ashanti", last_name="Brown", staff_number="A2", email="ab@a.org"
        ),
        "ashb": factories.StaffMemberFactory(
            agency=agency_b, first_name="Ash", last_name="Bell", staff_number="B1", email="ash@b.org"
        ),
    }


def names(response):
    return [person.first_name for person in response.context["people"]]


@pytest.mark.django_db
class TestSearch:
    def test_a_lead_finds_people_in_every_agency(self, client, lead, people):
        client.force_login(lead)
        response = client.get(SEARCH, {"q": "ash"})
        assert names(response) == ["Ash", "Ashanti", "Asha"]  # by last name: Bell, Brown, Patel

    def test_agency_hr_never_finds_another_agencys_staff(self, client, hr_a, people):
        client.force_login(hr_a)
        assert names(client.get(SEARCH, {"q": "ash"})) == ["Ashanti", "Asha"]
        assert names(client.get(SEARCH, {"q": "ash@b.org"})) == []
        assert "Nobody you can see matches" in client.get(SEARCH, {"q": "B1"}).text

    def test_one_match_opens_the_person_page(self, client, hr_a, people):
        client.force_login(hr_a)
        response = client.get(SEARCH, {"q": "asha patel"})
        assert response.status_code == 302
        assert response.url == reverse("staff_detail", kwargs={"pk": people["asha"].pk})

    def test_sorted_by_a_column_both_ways(self, client, lead, people):
        client.force_login(lead)
        assert names(client.get(SEARCH, {"q": "ash", "sort": "number"})) == ["Asha", "Ashanti", "Ash"]
        assert names(client.get(SEARCH, {"q": "ash", "sort": "-number"})) == ["Ash", "Ashanti", "Asha"]

    def test_the_download_is_exactly_the_list(self, client, hr_a, people):
        client.force_login(hr_a)
        response = client.get(SEARCH, {"q": "ash", "download": "csv"})
        rows = list(csv.reader(io.StringIO(file_bytes(response).decode("utf-8-sig"))))
        assert rows[0][:3] == ["Name", "Staff number", "Agency"]
        assert [row[0] for row in rows[1:]] == ["Ashanti Brown", "Asha Patel"]

    def test_outsiders_get_not_found(self, client, outsider, people):
        client.force_login(outsider)
        assert client.get(SEARCH, {"q": "ash"}).status_code == 404

    def test_every_page_of_a_lead_has_the_search_box(self, client, lead, people):
        client.force_login(lead)
        for url in (reverse("home"), reverse("agency_list"), reverse("outbox:items")):
            assert 'role="search" aria-label="Find a person"' in client.get(url).text
