"""Leads record completions: for one person from the person page, and for many at once from an
attendance register (tick people found by a search, or paste staff numbers and emails). A register
is all or nothing: unknown or ambiguous entries are listed back and nothing is saved."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.training.records_fixtures import login, sign_in
from training.compliance import Status
from training.models import Completion, CompletionSource
from training.selectors.records import person_pairs, split_entries
from training.services import completions_record_register

pytestmark = pytest.mark.django_db

REGISTER = reverse("records:register")
SESSION_DAY = "4/2/2026"


def add_url(staff):
    return reverse("records:completion_add", kwargs={"pk": staff.pk})


def status_of(staff):
    [pair] = person_pairs(staff=staff, today=timezone.localdate())
    return pair.status


class TestRecordingOne:
    def test_the_lead_records_a_completion_that_counts_at_once(self, client, lead, staff_a, required):
        login(client, lead)
        assert client.get(add_url(staff_a)).status_code == 200
        response = client.post(
            add_url(staff_a),
            {
                "module": required.pk,
                "completed_on": SESSION_DAY,
                "certificate_reference": "NSPCC-77",
                "notes": "",
            },
        )
        assert response.status_code == 302
        assert response.url == reverse("staff_detail", kwargs={"pk": staff_a.pk})
        completion = Completion.objects.get()
        assert completion.source == CompletionSource.MANUAL
        assert completion.recorded_by == lead
        assert completion.certificate_reference == "NSPCC-77"
        assert completion.completed_on == datetime.date(2026, 2, 4)
        assert status_of(staff_a) in (Status.COMPLIANT, Status.RENEWAL_DUE)
        assert "Recorded HSB-101 on 4 February 2026" in client.get(response.url).text

    @pytest.mark.parametrize("persona", ["hr_a", "hr_b", "outsider"])
    def test_nobody_else_may_record(self, client, request, persona, staff_a, required):
        login(client, request.getfixturevalue(persona))
        assert client.get(add_url(staff_a)).status_code == 404
        client.post(add_url(staff_a), {"module": required.pk, "completed_on": SESSION_DAY})
        assert not Completion.objects.exists()

    def test_a_staff_session_is_sent_to_sign_in(self, client, staff_a, required):
        sign_in(client, staff_a)
        assert client.get(add_url(staff_a)).url.startswith(reverse("login"))

    def test_future_dates_and_duplicates_are_refused(self, client, lead, staff_a, required):
        login(client, lead)
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        future = client.post(
            add_url(staff_a), {"module": required.pk, "completed_on": f"{tomorrow:%d/%m/%Y}"}
        )
        assert "The completion date cannot be in the future" in future.text
        assert not Completion.objects.exists()
        client.post(add_url(staff_a), {"module": required.pk, "completed_on": SESSION_DAY})
        again = client.post(add_url(staff_a), {"module": required.pk, "completed_on": SESSION_DAY})
        assert "HSB-101 on 04/02/2026 is already recorded for" in again.text
        assert Completion.objects.count() == 1

    def test_a_completion_after_leaving_is_refused(self, client, lead, agency_a, module):
        leaver = factories.StaffMemberFactory(agency=agency_a, left_on=datetime.date(2026, 1, 31))
        response = login(client, lead).post(
            add_url(leaver), {"module": module.pk, "completed_on": SESSION_DAY}
        )
        assert "left on 31/01/2026, before this date" in response.text
        assert not Completion.objects.exists()


def tick_box(person):
    return f'name="people" value="{person.pk}"'


def register_post(client, query="", **data):
    payload = {"module": data.pop("module"), "completed_on": data.pop("completed_on", SESSION_DAY), **data}
    return client.post(REGISTER + query, payload)


class TestRegisterPage:
    @pytest.mark.parametrize("persona", ["hr_a", "hr_b", "outsider"])
    def test_only_the_lead_may_use_it(self, client, request, persona, staff_a, module):
        login(client, request.getfixturevalue(persona))
        assert client.get(REGISTER).status_code == 404
        register_post(client, module=module.pk, entries=staff_a.staff_number)
        assert not Completion.objects.exists()

    def test_search_lists_current_staff_to_tick(self, client, lead, agency_a, staff_a, staff_b):
        leaver = factories.StaffMemberFactory(
            agency=agency_a, last_name="Patel", left_on=datetime.date(2025, 1, 1)
        )
        login(client, lead)
        page = client.get(REGISTER, {"q": "patel"}).text
        assert tick_box(staff_a) in page
        assert tick_box(leaver) not in page, "leavers are not offered"
        by_agency = client.get(REGISTER, {"agency": staff_b.agency.pk}).text
        assert tick_box(staff_b) in by_agency and tick_box(staff_a) not in by_agency

    def test_the_search_agency_is_a_filter_not_an_optional_answer(self, client, lead):
        login(client, lead)
        page = client.get(REGISTER).text
        assert "Agency (optional)" not in page
        assert "Match the list within (optional)" in page, "the pasted list's agency is a real answer"

    def test_the_search_reads_a_fixed_number_of_times(
        self, client, lead, agency_a, django_assert_max_num_queries
    ):
        factories.StaffMemberFactory.create_batch(30, agency=agency_a)
        login(client, lead)
        with django_assert_max_num_queries(12):
            response = client.get(REGISTER, {"agency": agency_a.pk})
        assert response.text.count('name="people"') == 30


class TestRegister:
    def test_ticked_and_pasted_people_are_all_recorded(
        self, client, lead, agency_a, staff_a, staff_b, module
    ):
        by_number = factories.StaffMemberFactory(agency=agency_a)
        by_email = factories.StaffMemberFactory(agency=agency_a)
        login(client, lead)
        response = register_post(
            client,
            module=module.pk,
            people=[staff_a.pk, staff_b.pk],
            entries=f"{by_number.staff_number.lower()}\n {by_email.email.upper()} , {staff_a.staff_number}",
        )
        assert response.status_code == 302
        recorded = Completion.objects.filter(module=module, completed_on=datetime.date(2026, 2, 4))
        assert set(recorded.values_list("staff", flat=True)) == {
            staff_a.pk,
            staff_b.pk,
            by_number.pk,
            by_email.pk,
        }
        assert set(recorded.values_list("source", flat=True)) == {CompletionSource.REGISTER}
        assert set(recorded.values_list("recorded_by", flat=True)) == {lead.pk}
        page = client.get(response.url).text
        assert "Recorded HSB-101 on 4 February 2026 for 4 people." in page
        assert f'value="{module.pk}" selected' in page, "the next register starts from the same module"

    def test_unknown_entries_are_listed_back_and_nothing_is_saved(
        self, client, lead, staff_a, staff_b, module
    ):
        login(client, lead)
        response = register_post(
            client,
            module=module.pk,
            people=[staff_b.pk],
            entries=f"{staff_a.staff_number}\nE-NOBODY\nghost@example.org",
        )
        assert response.status_code == 200
        assert "2 entries match nobody, or more than one person. Nothing has been saved" in response.text
        assert "E-NOBODY" in response.text and "ghost@example.org" in response.text
        assert "No current member of staff has this staff number in any agency you can see." in response.text
        assert "No current member of staff has this email address in any agency you can see." in response.text
        assert not Completion.objects.exists()
        # What was typed and ticked is kept for correcting.
        assert "E-NOBODY" in response.text.split('name="entries"')[1]

    def test_an_email_on_two_agencies_lists_is_ambiguous_until_the_agency_is_chosen(
        self, client, lead, staff_a, agency_b, module
    ):
        twin = factories.StaffMemberFactory(agency=agency_b, email=staff_a.email)
        login(client, lead)
        response = register_post(client, module=module.pk, entries=staff_a.email)
        assert "belongs to current staff in Agency A and Agency B" in response.text
        assert not Completion.objects.exists()
        register_post(client, module=module.pk, entries=staff_a.email, agency=agency_b.pk)
        assert list(Completion.objects.values_list("staff", flat=True)) == [twin.pk]

    def test_a_leaver_or_someone_of_another_agency_does_not_match(
        self, client, lead, agency_a, staff_b, module
    ):
        leaver = factories.StaffMemberFactory(agency=agency_a, left_on=datetime.date(2025, 1, 1))
        login(client, lead)
        response = register_post(
            client,
            module=module.pk,
            agency=agency_a.pk,
            entries=f"{leaver.staff_number}, {staff_b.staff_number}",
        )
        assert "2 entries match nobody" in response.text
        assert "in Agency A" in response.text
        assert not Completion.objects.exists()

    def test_the_service_refuses_the_whole_register_for_someone_who_had_left(
        self, lead, agency_a, staff_a, module
    ):
        leaver = factories.StaffMemberFactory(agency=agency_a, left_on=datetime.date(2026, 1, 31))
        with pytest.raises(ValidationError) as error:
            completions_record_register(
                module=module,
                completed_on=datetime.date(2026, 2, 4),
                staff=[staff_a, leaver],
                actor=lead,
                today=datetime.date(2026, 3, 4),
            )
        assert error.value.messages == [
            f"{leaver.full_name} ({leaver.staff_number}) left on 31/01/2026, before this date."
        ]
        assert not Completion.objects.exists()

    def test_duplicates_are_reported_and_left_as_they_were(self, client, lead, staff_a, staff_b, module):
        login(client, lead)
        register_post(client, module=module.pk, people=[staff_a.pk])
        first = Completion.objects.get()
        response = register_post(client, module=module.pk, people=[staff_a.pk, staff_b.pk])
        page = client.get(response.url).text
        assert "for 1 person." in page
        assert (
            f"Already recorded for that day, so left as was: {staff_a.full_name} ({staff_a.staff_number})"
            in page
        )
        assert Completion.objects.count() == 2
        assert Completion.objects.get(staff=staff_a) == first

    def test_a_register_needs_people_and_a_real_date(self, client, lead, module):
        login(client, lead)
        empty = register_post(client, module=module.pk)
        assert "Tick the people who attended, or paste their staff numbers or emails." in empty.text
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        future = register_post(client, module=module.pk, entries="x", completed_on=f"{tomorrow:%d/%m/%Y}")
        assert "The date of the session cannot be in the future" in future.text
        nonsense = register_post(client, module=module.pk, entries="x", completed_on="31/02/2026")
        assert "Enter the date of the session as a real date" in nonsense.text
        assert not Completion.objects.exists()


def test_pasted_lists_split_on_lines_commas_semicolons_and_tabs():
    text = "E1\r\nE2, e2 ;E3\t a@b.org\n\n , A@B.ORG"
    assert split_entries(text) == ["E1", "E2", "E3", "a@b.org"]
