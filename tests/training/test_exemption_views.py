"""Exemptions from the person page: a lead adds and ends them with a reason; Agency HR of the
person's agency sees them; anyone else gets 404. The engine then leaves the pair out."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.training.records_fixtures import login, sign_in
from training.compliance import Status
from training.models import Exemption, ExemptionReason
from training.selectors.records import person_pairs

pytestmark = pytest.mark.django_db


def add_url(staff):
    return reverse("records:exemption_add", kwargs={"pk": staff.pk})


def end_url(exemption):
    return reverse("records:exemption_end", kwargs={"pk": exemption.pk})


def person_page(staff):
    return reverse("staff_detail", kwargs={"pk": staff.pk})


def status_of(staff, today=None):
    [pair] = person_pairs(staff=staff, today=today or timezone.localdate())
    return pair.status


@pytest.fixture
def exemption(staff_a, required):
    return factories.ExemptionFactory(
        staff=staff_a,
        module=required,
        reason=ExemptionReason.LONG_TERM_ABSENCE,
        details="Secondment abroad",
        starts_on=datetime.date(2026, 1, 1),
    )


class TestAdding:
    def test_the_lead_adds_an_exemption_and_the_pair_becomes_exempt(self, client, lead, staff_a, required):
        assert status_of(staff_a) is Status.OVERDUE
        login(client, lead)
        page = client.get(person_page(staff_a)).text
        assert add_url(staff_a) in page
        assert client.get(add_url(staff_a)).status_code == 200
        response = client.post(
            add_url(staff_a),
            {
                "module": required.pk,
                "reason": ExemptionReason.EQUIVALENT_QUALIFICATION,
                "details": "MSc in child protection, 2024",
                "starts_on": "1/1/2026",
            },
        )
        assert response.status_code == 302
        assert response.url == person_page(staff_a)
        exemption = Exemption.objects.get()
        assert exemption.created_by == lead
        assert exemption.ends_on is None
        assert status_of(staff_a) is Status.EXEMPT
        page = client.get(response.url).text
        assert f"{staff_a.full_name} is now exempt from HSB-101." in page
        assert "MSc in child protection, 2024" in page

    def test_all_modules_by_leaving_the_module_empty(self, client, lead, staff_a, required):
        login(client, lead).post(
            add_url(staff_a),
            {"module": "", "reason": ExemptionReason.LONG_TERM_ABSENCE, "starts_on": "1/1/2026"},
        )
        assert Exemption.objects.get().module is None
        assert status_of(staff_a) is Status.EXEMPT

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"reason": "", "starts_on": "1/1/2026"}, "Select the reason for the exemption."),
            ({"reason": "other", "starts_on": "1/1/2026"}, "Give the details of the reason."),
            ({"reason": "other", "details": "x"}, "Enter the start date."),
            (
                {"reason": "long_term_absence", "starts_on": "1/3/2026", "ends_on": "1/2/2026"},
                "The end date must be on or after the start date.",
            ),
        ],
    )
    def test_incomplete_forms_are_refused_and_nothing_is_saved(
        self, client, lead, staff_a, required, data, message
    ):
        response = login(client, lead).post(add_url(staff_a), {"module": required.pk, **data})
        assert response.status_code == 200
        assert message in response.text
        assert "There is a problem" in response.text
        assert not Exemption.objects.exists()

    def test_an_overlapping_exemption_is_refused(self, client, lead, staff_a, exemption):
        response = login(client, lead).post(
            add_url(staff_a),
            {
                "module": exemption.module.pk,
                "reason": ExemptionReason.OTHER,
                "details": "x",
                "starts_on": "1/2/2026",
            },
        )
        assert "An exemption for this module already covers part of these dates." in response.text
        assert Exemption.objects.count() == 1


class TestEnding:
    def test_the_lead_ends_an_exemption(self, client, lead, staff_a, exemption):
        login(client, lead)
        assert end_url(exemption) in client.get(person_page(staff_a)).text
        assert client.get(end_url(exemption)).status_code == 200
        response = client.post(end_url(exemption), {"ends_on": "28/2/2026"}, follow=True)
        assert f"The exemption of {staff_a.full_name} from HSB-101 ends on 28 February 2026." in response.text
        exemption.refresh_from_db()
        assert exemption.ends_on == datetime.date(2026, 2, 28)
        assert status_of(staff_a, datetime.date(2026, 2, 28)) is Status.EXEMPT
        assert status_of(staff_a, datetime.date(2026, 3, 1)) is Status.OVERDUE

    def test_an_end_before_the_start_is_refused(self, client, lead, exemption):
        response = login(client, lead).post(end_url(exemption), {"ends_on": "31/12/2025"})
        assert "An exemption cannot end before it starts." in response.text
        exemption.refresh_from_db()
        assert exemption.ends_on is None


class TestWhoMay:
    def test_agency_hr_sees_the_exemptions_but_cannot_change_them(self, client, hr_a, staff_a, exemption):
        login(client, hr_a)
        page = client.get(person_page(staff_a)).text
        assert "Secondment abroad" in page
        assert add_url(staff_a) not in page and end_url(exemption) not in page
        assert client.get(add_url(staff_a)).status_code == 404
        assert client.get(end_url(exemption)).status_code == 404
        client.post(end_url(exemption), {"ends_on": "28/2/2026"})
        client.post(add_url(staff_a), {"reason": "other", "details": "x", "starts_on": "1/6/2026"})
        exemption.refresh_from_db()
        assert exemption.ends_on is None
        assert Exemption.objects.count() == 1

    @pytest.mark.parametrize("persona", ["hr_b", "outsider"])
    def test_anyone_else_gets_404(self, client, request, persona, staff_a, exemption):
        login(client, request.getfixturevalue(persona))
        for url in (person_page(staff_a), add_url(staff_a), end_url(exemption)):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "Secondment abroad" not in response.text
        client.post(end_url(exemption), {"ends_on": "28/2/2026"})
        exemption.refresh_from_db()
        assert exemption.ends_on is None

    def test_a_staff_session_is_sent_to_sign_in(self, client, staff_a, exemption):
        sign_in(client, staff_a)
        for url in (add_url(staff_a), end_url(exemption)):
            assert client.get(url).url.startswith(reverse("login"))

    def test_a_leads_view_of_another_agencys_person_works(self, client, lead, staff_b):
        login(client, lead)
        assert client.get(add_url(staff_b)).status_code == 200
