"""No-shows counted per person (the person page) and per agency (the demand page), from
confirmed registers, read in a fixed number of queries and scoped like every page."""

import pytest
from django.urls import reverse

from courses import selectors, services
from tests import factories
from tests.training.records_fixtures import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(delivered, people_a, person_b, lead):
    """Agency A: one attended, one no-show; agency B: one no-show."""
    booked = {b.staff_id: b.pk for b in delivered.bookings.all()}
    services.register_confirm(
        session=delivered,
        attended=[booked[people_a[0].pk]],
        no_show=[booked[people_a[1].pk], booked[person_b.pk]],
        actor=lead,
    )
    return delivered


def test_a_persons_attendance_counts_attended_and_no_shows(
    confirmed, people_a, person_b, django_assert_num_queries
):
    with django_assert_num_queries(1):
        missed = selectors.person_attendance(people_a[1])
    assert (missed.attended, missed.no_shows, missed.late_cancellations) == (0, 1, 0)
    came = selectors.person_attendance(people_a[0])
    assert (came.attended, came.no_shows) == (1, 0)
    assert selectors.person_attendance(factories.StaffMemberFactory()).marked == 0


def test_the_person_page_shows_the_no_show_count(client, confirmed, people_a, hr_a):
    page = login(client, hr_a).get(reverse("staff_detail", kwargs={"pk": people_a[1].pk}))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Training sessions" in text
    assert '<dd class="govuk-summary-list__value" data-no-shows>1' in text


def test_the_person_page_of_another_agency_is_404_for_hr(client, confirmed, person_b, hr_a):
    assert login(client, hr_a).get(reverse("staff_detail", kwargs={"pk": person_b.pk})).status_code == 404


def test_no_shows_per_agency_in_three_queries_whatever_the_agencies(
    confirmed, lead, agency_a, agency_b, django_assert_num_queries
):
    factories.AgencyFactory.create_batch(3)
    with django_assert_num_queries(3):  # the user's groups, the agencies, the counts
        rows = selectors.attendance_by_agency(lead)
    by_slug = {row.agency.slug: row.attendance for row in rows}
    assert (by_slug["agency-a"].attended, by_slug["agency-a"].no_shows) == (1, 1)
    assert (by_slug["agency-b"].attended, by_slug["agency-b"].no_shows) == (0, 1)
    assert len(rows) == 5


def test_the_demand_page_shows_each_agencys_no_shows_and_hr_only_their_own(client, confirmed, lead, hr_a):
    text = login(client, lead).get(reverse("courses:demand")).content.decode()
    assert 'data-no-shows="agency-a">1<' in text and 'data-no-shows="agency-b">1<' in text
    client.logout()
    text = login(client, hr_a).get(reverse("courses:demand")).content.decode()
    assert 'data-no-shows="agency-a">1<' in text
    assert "agency-b" not in text and "Agency B" not in text
