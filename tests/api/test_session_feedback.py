"""GET /api/v1/sessions/{id}/feedback/: the session's evaluation, scoped as the pages are."""

import pytest

from courses import services
from tests.courses.conftest import (  # noqa: F401
    at,
    delivered,
    make_session,
    people_a,
    person_a,
    person_b,
    role,
    workshop,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(delivered, people_a, person_b, lead):  # noqa: F811
    booked = {b.staff_id: b for b in delivered.bookings.all()}
    services.register_confirm(
        session=delivered,
        attended=[booked[people_a[0].pk].pk, booked[person_b.pk].pk],
        no_show=[booked[people_a[1].pk].pk],
        actor=lead,
    )
    services.feedback_record(
        booking=booked[people_a[0].pk],
        confidence_before=2,
        confidence_after=5,
        usefulness=4,
        comments="Clear.",
    )
    return delivered


def test_the_lead_gets_scores_and_answers(lead_api, answered):
    body = lead_api.get(f"/api/v1/sessions/{answered.pk}/feedback/").json()
    assert body == {
        "attended": 2,
        "responses": 1,
        "response_rate": 50,
        "confidence_before": 2.0,
        "confidence_after": 5.0,
        "usefulness": 4.0,
        "comments": ["Clear."],
    }


def test_agency_hr_get_their_agencys_counts_only(hr_a_api, hr_b_api, answered):
    mine = hr_a_api.get(f"/api/v1/sessions/{answered.pk}/feedback/").json()
    assert (mine["attended"], mine["responses"], mine["confidence_after"], mine["comments"]) == (
        1,
        1,
        None,
        None,
    )
    other = hr_b_api.get(f"/api/v1/sessions/{answered.pk}/feedback/").json()
    assert (other["attended"], other["responses"]) == (1, 0)


def test_an_unknown_session_is_404(lead_api):
    assert lead_api.get("/api/v1/sessions/999999/feedback/").status_code == 404
