"""POST /api/v1/completions/: the table of completion-file cases, Idempotency-Key, the list."""

import datetime

import pytest

from api.models import IdempotentAnswer
from tests import factories
from tests.completion_cases import CASES, TODAY, setup_world
from training.models import Completion, CompletionSource

URL = "/api/v1/completions/"


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC), tick=False)


def snapshot():
    return Completion.history.count(), list(Completion.objects.order_by("pk").values())


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_completion_post_follows_the_completion_file_rules(row, expected, agency_a, agency_b, lead_api):
    asha, module = setup_world(agency_a, agency_b)
    before = snapshot()
    response = lead_api.post(URL, row, format="json")
    body = response.json()
    if expected == "new":
        assert response.status_code == 201, body
        assert body["duplicate"] is False and body["module"] == "HSB-101"
        created = Completion.objects.get(pk=body["id"])
        assert created.source == CompletionSource.IMPORT
        assert Completion.objects.count() == 2
    elif expected == "duplicate":
        assert response.status_code == 200, body
        assert body["duplicate"] is True and body["completed_on"] == "2024-01-10"
        assert snapshot() == before
    else:
        field, message = expected
        assert response.status_code == 400
        assert body["errors"] == {field: [message]}
        assert snapshot() == before


@pytest.mark.django_db
class TestPost:
    def test_the_new_completion_has_its_expiry_and_history(self, agency_a, agency_b, lead_api, lead):
        setup_world(agency_a, agency_b)
        body = lead_api.post(
            URL,
            {
                "email": "asha@example.org",
                "module": "HSB-101",
                "completed_on": "2025-03-04",
                "certificate_reference": "C-1",
            },
            format="json",
        ).json()
        assert body["expires_on"] == "2028-03-04" and body["certificate_reference"] == "C-1"
        completion = Completion.objects.get(pk=body["id"])
        assert completion.history.get().history_user == lead

    def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer_and_writes_nothing(
        self, agency_a, agency_b, lead_api
    ):
        setup_world(agency_a, agency_b)
        row = {"email": "asha@example.org", "module": "HSB-101", "completed_on": "2025-03-04"}
        first = lead_api.post(URL, row, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
        before = snapshot()
        again = lead_api.post(URL, row, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
        assert snapshot() == before
        # Without the key the same completion is a duplicate (200), not a second row.
        assert lead_api.post(URL, row, format="json").json()["duplicate"] is True
        assert IdempotentAnswer.objects.count() == 1

    def test_a_refused_post_is_replayed_too(self, agency_a, agency_b, lead_api):
        setup_world(agency_a, agency_b)
        row = {"email": "nobody@example.org", "module": "HSB-101", "completed_on": "2025-03-04"}
        first = lead_api.post(URL, row, format="json", HTTP_IDEMPOTENCY_KEY="k")
        again = lead_api.post(URL, row, format="json", HTTP_IDEMPOTENCY_KEY="k")
        assert first.status_code == again.status_code == 400
        assert again.json() == first.json()

    def test_a_key_too_long_is_refused(self, agency_a, agency_b, lead_api):
        setup_world(agency_a, agency_b)
        before = snapshot()
        row = {"email": "asha@example.org", "module": "HSB-101", "completed_on": "2025-03-04"}
        response = lead_api.post(URL, row, format="json", HTTP_IDEMPOTENCY_KEY="k" * 201)
        assert response.status_code == 400
        assert response.json()["errors"] == {"Idempotency-Key": ["Use a key of 200 characters at most."]}
        assert snapshot() == before

    def test_not_a_json_object(self, agency_a, agency_b, lead_api):
        setup_world(agency_a, agency_b)
        response = lead_api.post(URL, [1, 2], format="json")
        assert response.status_code == 400
        assert response.json()["errors"] == {"non_field_errors": ["Send one JSON object."]}
        response = lead_api.post(URL, {"email": ["a"], "module": "HSB-101"}, format="json")
        assert response.json()["errors"] == {"email": ["Send text."]}

    def test_agency_hr_cannot_post_completions_as_with_completion_files(self, agency_a, agency_b, hr_a_api):
        setup_world(agency_a, agency_b)
        before = snapshot()
        row = {"email": "asha@example.org", "module": "HSB-101", "completed_on": "2025-03-04"}
        response = hr_a_api.post(URL, row, format="json")
        assert response.status_code == 403
        assert response.json() == {"detail": "Only partnership leads can import completion files."}
        assert snapshot() == before


@pytest.mark.django_db
class TestList:
    def test_filtered_by_agency_and_date_and_scoped(self, agency_a, agency_b, lead_api, hr_a_api, hr_b_api):
        asha, module = setup_world(agency_a, agency_b)
        ben = factories.StaffMemberFactory(agency=agency_b)
        factories.CompletionFactory(staff=ben, module=module, completed_on=datetime.date(2025, 6, 1))
        ids = {row["staff_number"] for row in lead_api.get(URL).json()["results"]}
        assert ids == {asha.staff_number, ben.staff_number}
        assert [row["agency"] for row in lead_api.get(URL, {"agency": "agency-b"}).json()["results"]] == [
            "agency-b"
        ]
        assert lead_api.get(URL, {"since": "2025-01-01"}).json()["count"] == 1
        assert [row["agency"] for row in hr_a_api.get(URL).json()["results"]] == ["agency-a"]
        assert hr_a_api.get(URL, {"agency": "agency-b"}).status_code == 404
        assert hr_b_api.get(URL).json()["count"] == 1

    def test_bad_date_is_a_message_per_field(self, lead_api):
        response = lead_api.get(URL, {"since": "yesterday"})
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["since"]


assert TODAY == datetime.date(2026, 3, 4)
