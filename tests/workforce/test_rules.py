"""Current staff on a date (workforce.rules): the pure rule from a table of cases, and its query
twin checked against it on the same cases."""

import datetime

import pytest

from tests import factories
from workforce import rules
from workforce.models import StaffMember

D = datetime.date
ON = D(2026, 3, 4)

# (start date, leaving date, current on ON, left by ON)
CASES = [
    (None, None, True, False),
    (D(2020, 1, 1), None, True, False),
    (ON, None, True, False),  # starts on the day: current
    (D(2026, 3, 5), None, False, False),  # a new starter: not current, has not left
    (None, ON, False, True),  # leaves on the day: a leaver
    (None, D(2026, 3, 5), True, False),  # leaves tomorrow: still current
    (D(2020, 1, 1), D(2026, 3, 3), False, True),
    (D(2026, 3, 5), D(2026, 4, 1), False, False),  # a planned starter who will also leave
]


@pytest.mark.parametrize(("start", "left", "current", "leaver"), CASES)
def test_the_pure_rule(start, left, current, leaver):
    assert rules.is_current(start_date=start, left_on=left, on=ON) is current
    assert rules.has_left(left_on=left, on=ON) is leaver


@pytest.mark.django_db
def test_the_query_twin_agrees_with_the_rule_on_every_case(agency_a):
    people = {
        factories.StaffMemberFactory(agency=agency_a, start_date=start, left_on=left).pk: (current, leaver)
        for start, left, current, leaver in CASES
    }
    everyone = StaffMember.objects.all()
    assert set(everyone.filter(rules.current_on_q(ON)).values_list("pk", flat=True)) == {
        pk for pk, (current, _) in people.items() if current
    }
    assert set(everyone.filter(rules.leavers_on_q(ON)).values_list("pk", flat=True)) == {
        pk for pk, (_, leaver) in people.items() if leaver
    }
    assert set(everyone.filter(rules.not_left_q(ON)).values_list("pk", flat=True)) == {
        pk for pk, (_, leaver) in people.items() if not leaver
    }
    for person in everyone:
        assert person.is_current_on(ON) is people[person.pk][0]


@pytest.mark.django_db
def test_the_twin_reaches_staff_through_a_relation(agency_a):
    factories.StaffMemberFactory(agency=agency_a, left_on=D(2026, 1, 1))
    factories.StaffMemberFactory(agency=agency_a)
    counted = type(agency_a).objects.filter(rules.current_on_q(ON, prefix="staff__")).count()
    assert counted == 1
