"""Database constraints on the workforce model: the invariants hold whoever writes the rows."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from tests.factories import StaffMemberFactory
from workforce.models import StaffMember

pytestmark = pytest.mark.django_db


def refused(**fields):
    before = StaffMember.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffMemberFactory(**fields)
    assert StaffMember.objects.count() == before


def test_staff_number_is_unique_within_an_agency(agency_a):
    StaffMemberFactory(agency=agency_a, staff_number="E1")
    refused(agency=agency_a, staff_number="E1")


def test_same_staff_number_in_two_agencies_is_fine(agency_a, agency_b):
    StaffMemberFactory(agency=agency_a, staff_number="E1")
    StaffMemberFactory(agency=agency_b, staff_number="E1")
    assert StaffMember.objects.filter(staff_number="E1").count() == 2


def test_email_unique_among_an_agencys_staff_without_leaving_date(agency_a):
    StaffMemberFactory(agency=agency_a, email="asha@example.org")
    refused(agency=agency_a, email="asha@example.org")


def test_email_must_be_stored_in_lower_case(agency_a):
    refused(agency=agency_a, email="Asha@Example.org")


def test_leavers_email_can_be_reused(agency_a):
    StaffMemberFactory(agency=agency_a, email="asha@example.org", left_on=datetime.date(2025, 1, 31))
    StaffMemberFactory(agency=agency_a, email="asha@example.org")
    assert StaffMember.objects.filter(email="asha@example.org").count() == 2


def test_same_email_in_two_agencies_is_fine(agency_a, agency_b):
    StaffMemberFactory(agency=agency_a, email="asha@example.org")
    StaffMemberFactory(agency=agency_b, email="asha@example.org")


def test_many_staff_without_email_are_fine(agency_a):
    StaffMemberFactory(agency=agency_a, email="")
    StaffMemberFactory(agency=agency_a, email="")


def test_leaving_date_cannot_be_before_start_date(agency_a):
    refused(agency=agency_a, start_date=datetime.date(2025, 5, 1), left_on=datetime.date(2025, 4, 30))


def test_leaving_on_start_date_is_allowed(agency_a):
    StaffMemberFactory(
        agency=agency_a, start_date=datetime.date(2025, 5, 1), left_on=datetime.date(2025, 5, 1)
    )


def test_current_staff_on_a_date():
    person = StaffMember(start_date=datetime.date(2025, 5, 1), left_on=datetime.date(2026, 5, 1))
    assert not person.is_current_on(datetime.date(2025, 4, 30))
    assert person.is_current_on(datetime.date(2025, 5, 1))
    assert person.is_current_on(datetime.date(2026, 4, 30))
    assert not person.is_current_on(datetime.date(2026, 5, 1))
    assert StaffMember().is_current_on(datetime.date(2026, 5, 1))
