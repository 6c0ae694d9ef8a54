import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.factories import JobRoleFactory, StaffMemberFactory
from workforce.models import StaffMember
from workforce.services import staff_create, staff_update

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 26)


def create(agency, **fields):
    values = {
        "staff_number": "E100",
        "first_name": "Asha",
        "last_name": "Patel",
        "email": "  Asha.Patel@Example.org ",
        "job_role": JobRoleFactory(name="Youth worker"),
        "start_date": datetime.date(2024, 4, 1),
    }
    values.update(fields)
    return staff_create(agency=agency, today=TODAY, **values)


def test_create_stores_email_in_lower_case_and_role_since_from_start(agency_a, lead):
    person = create(agency_a)
    assert person.email == "asha.patel@example.org"
    assert person.role_since == datetime.date(2024, 4, 1)
    assert person.history.count() == 1


def test_email_clash_with_a_planned_leaver_is_refused(agency_a):
    StaffMemberFactory(agency=agency_a, email="asha.patel@example.org", left_on=datetime.date(2027, 1, 31))
    with pytest.raises(ValidationError) as error:
        create(agency_a)
    assert "already belongs to a current member of staff" in str(error.value)
    assert StaffMember.objects.count() == 1


def test_email_of_someone_who_has_left_can_be_reused(agency_a):
    StaffMemberFactory(agency=agency_a, email="asha.patel@example.org", left_on=datetime.date(2026, 1, 31))
    assert create(agency_a).pk


def test_leaving_before_starting_is_refused_with_a_message(agency_a):
    with pytest.raises(ValidationError):
        create(agency_a, left_on=datetime.date(2024, 3, 1))
    assert StaffMember.objects.count() == 0


def test_role_change_moves_role_since_and_records_history(agency_a, lead):
    person = create(agency_a)
    new_role = JobRoleFactory(name="Designated safeguarding lead")
    staff_update(staff=person, job_role=new_role, actor=lead, today=TODAY)
    person.refresh_from_db()
    assert person.role_since == TODAY
    latest = person.history.first()
    assert latest.history_user == lead
    delta = latest.diff_against(latest.prev_record)
    assert {change.field for change in delta.changes} >= {"job_role", "role_since"}
