"""The attendance register: marked attended or no-show, walk-ins, confirmed in one transaction
through the completion service; the compliance figures change accordingly."""

import datetime
import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from courses import services
from tests import factories
from tests.training.records_fixtures import login
from training.models import Completion

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def report(agency=None):
    out = StringIO()
    args = ["compliance_report", "--json"] + (["--agency", agency] if agency else [])
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def bookings(session):
    return {b.staff_id: b for b in session.bookings.all()}


def test_confirming_records_completions_on_the_last_parts_day(delivered, people_a, person_b, lead, agency_a):
    walk_in = factories.StaffMemberFactory(agency=agency_a, job_role=people_a[0].job_role)
    before = report()
    marks = bookings(delivered)
    result = services.register_confirm(
        session=delivered,
        attended=[marks[people_a[0].pk].pk, marks[person_b.pk].pk],
        no_show=[marks[people_a[1].pk].pk],
        walk_ins=[walk_in],
        actor=lead,
    )
    assert (result.completions, result.no_show) == (3, 1)
    completions = Completion.objects.filter(module=delivered.module)
    assert set(completions.values_list("staff_id", "completed_on", "source")) == {
        (person.pk, timezone.localdate() - DAY, "register") for person in (people_a[0], person_b, walk_in)
    }
    statuses = set(delivered.bookings.values_list("staff_id", "status", "walk_in"))
    assert statuses == {
        (people_a[0].pk, "attended", False),
        (people_a[1].pk, "no_show", False),
        (person_b.pk, "attended", False),
        (walk_in.pk, "attended", True),
    }
    after = report()
    assert after["pairs"]["compliant"] == before["pairs"]["compliant"] + 3
    assert after["pairs"]["overdue"] == before["pairs"]["overdue"] - 3
    delivered.refresh_from_db()
    assert delivered.status == "delivered"


def test_everyone_booked_must_be_marked_and_nothing_is_written_until_then(delivered, people_a, lead):
    marks = bookings(delivered)
    with pytest.raises(ValidationError, match="Mark everyone booked: 2 not marked yet"):
        services.register_confirm(
            session=delivered, attended=[marks[people_a[0].pk].pk], no_show=[], actor=lead
        )
    assert not Completion.objects.exists()
    assert set(delivered.bookings.values_list("status", flat=True)) == {"booked"}


def test_a_leaver_before_the_session_refuses_the_whole_register(delivered, people_a, person_b, lead):
    leaver = people_a[1]
    leaver.left_on = timezone.localdate() - 5 * DAY
    leaver.save()
    marks = bookings(delivered)
    with pytest.raises(ValidationError) as error:
        services.register_confirm(
            session=delivered, attended=[b.pk for b in marks.values()], no_show=[], actor=lead
        )
    assert "left on" in " ".join(error.value.messages)
    assert not Completion.objects.exists()


def test_a_register_is_confirmed_once(delivered, lead):
    ids = [b.pk for b in delivered.bookings.all()]
    services.register_confirm(session=delivered, attended=ids, no_show=[], actor=lead)
    with pytest.raises(ValidationError, match="confirmed already"):
        services.register_confirm(session=delivered, attended=ids, no_show=[], actor=lead)
    assert Completion.objects.count() == 3


def test_a_future_session_has_no_register_yet(make_session, person_a, lead):
    session = make_session()
    booking = services.booking_create(session=session, staff=person_a)
    with pytest.raises(ValidationError, match="once the session has started"):
        services.register_confirm(session=session, attended=[booking.pk], no_show=[], actor=lead)


def test_the_trainer_takes_the_register_on_its_page(client, delivered, people_a, person_b):
    trainer = factories.UserFactory(username="tara", email="tara@example.org")
    marks = bookings(delivered)
    data = {f"mark-{b.pk}": "attended" for b in marks.values()}
    data[f"mark-{marks[people_a[1].pk].pk}"] = "no_show"
    data["walk_ins"] = ""
    url = reverse("courses:register", kwargs={"pk": delivered.pk})
    response = login(client, trainer).post(url, data)
    assert response.status_code == 302
    assert Completion.objects.count() == 2


def test_a_register_page_with_a_bad_walk_in_says_which_line(client, delivered, lead):
    marks = bookings(delivered)
    data = {f"mark-{b.pk}": "attended" for b in marks.values()}
    data["walk_ins"] = "Agency A, NOPE"
    response = login(client, lead).post(reverse("courses:register", kwargs={"pk": delivered.pk}), data)
    assert "Line 1: no one has staff number NOPE" in response.content.decode()
    assert not Completion.objects.exists()


def test_hr_and_outsiders_cannot_take_the_register(client, delivered, hr_a, outsider):
    url = reverse("courses:register", kwargs={"pk": delivered.pk})
    for user in (hr_a, outsider):
        assert login(client, user).get(url).status_code == 404


def test_the_board_report_counts_the_delivered_session_and_its_attendance(
    delivered, people_a, person_b, lead, agency_a
):
    from reports.selectors import board_report

    assert board_report(on=timezone.localdate()).sessions is None  # not delivered until confirmed
    marks = bookings(delivered)
    services.register_confirm(
        session=delivered,
        attended=[marks[people_a[0].pk].pk, marks[person_b.pk].pk],
        no_show=[marks[people_a[1].pk].pk],
        actor=lead,
    )
    whole = board_report(on=timezone.localdate()).sessions
    assert (whole["delivered"], whole["attended"], whole["no_shows"]) == (1, 2, 1)
    one = board_report(on=timezone.localdate(), agency=agency_a).sessions
    assert (one["delivered"], one["attended"], one["no_shows"]) == (1, 1, 1)
