"""Every endpoint as each persona: lead, HR of agency A, HR of agency B, no token, a revoked token,
an expired token; an allowed and a denied case each. Another agency's object is a 404 and lists
never include it."""

import datetime

import pytest

from tests import factories

LISTS = [
    "/api/v1/agencies/",
    "/api/v1/job-roles/",
    "/api/v1/modules/",
    "/api/v1/staff/",
    "/api/v1/completions/",
]


@pytest.fixture
def world(agency_a, agency_b, staff_a, staff_b):
    module = factories.ModuleFactory(code="HSB-101")
    factories.CompletionFactory(staff=staff_a, module=module)
    factories.CompletionFactory(staff=staff_b, module=module)
    return {"a": staff_a, "b": staff_b}


ALL_URLS = [*LISTS, "/api/v1/compliance/", "STAFF_A"]


def _url(url, world):
    return f"/api/v1/staff/{world['a'].pk}/" if url == "STAFF_A" else url


@pytest.mark.django_db
class TestNoUsableToken:
    @pytest.mark.parametrize("url", ALL_URLS)
    def test_no_token_is_401_with_a_message(self, url, world, anonymous_api):
        response = anonymous_api.get(_url(url, world))
        assert response.status_code == 401
        assert response.json() == {"detail": "Send an API token: Authorization: Bearer <token>."}
        assert response["WWW-Authenticate"] == "Bearer"

    @pytest.mark.parametrize("url", ALL_URLS)
    def test_revoked_token_is_401(self, url, world, revoked_api):
        response = revoked_api.get(_url(url, world))
        assert response.status_code == 401
        assert response.json()["detail"] == (
            "This API token was revoked. Make a new one under Your account, API tokens."
        )

    @pytest.mark.parametrize("url", ALL_URLS)
    def test_expired_token_is_401(self, url, world, expired_api):
        response = expired_api.get(_url(url, world))
        assert response.status_code == 401
        assert response.json()["detail"].startswith("This API token expired on ")

    def test_an_unknown_token_is_401(self, world):
        from tests.api.conftest import client_for

        response = client_for("hsb_not-a-real-token").get("/api/v1/agencies/")
        assert response.status_code == 401
        assert response.json() == {"detail": "This API token is not recognised."}

    def test_posting_without_a_token_writes_nothing(self, world, anonymous_api):
        from training.models import Completion

        before = Completion.objects.count()
        response = anonymous_api.post(
            "/api/v1/completions/",
            {"email": world["a"].email, "module": "HSB-101", "completed_on": "2025-01-01"},
            format="json",
        )
        assert response.status_code == 401 and Completion.objects.count() == before

    def test_a_token_whose_user_lost_their_role_sees_nothing(self, world, outsider, token_of, lead):
        from api.services import api_token_create
        from tests.api.conftest import client_for

        token, key = api_token_create(user=lead, name="x", actor=lead)
        token.user = outsider
        token.save()
        response = client_for(key).get("/api/v1/agencies/")
        assert response.status_code == 404


@pytest.mark.django_db
class TestScope:
    def test_lead_sees_every_agency_in_every_list(self, world, lead_api):
        assert {row["slug"] for row in lead_api.get("/api/v1/agencies/").json()["results"]} == {
            "agency-a",
            "agency-b",
        }
        assert {row["agency"] for row in lead_api.get("/api/v1/staff/").json()["results"]} == {
            "agency-a",
            "agency-b",
        }
        assert {row["agency"] for row in lead_api.get("/api/v1/completions/").json()["results"]} == {
            "agency-a",
            "agency-b",
        }
        assert lead_api.get(f"/api/v1/staff/{world['b'].pk}/").status_code == 200

    @pytest.mark.parametrize(("persona", "own", "other"), [("hr_a_api", "a", "b"), ("hr_b_api", "b", "a")])
    def test_agency_hr_sees_its_own_agency_only(self, world, persona, own, other, request):
        api = request.getfixturevalue(persona)
        own_slug, other_slug = f"agency-{own}", f"agency-{other}"
        assert [row["slug"] for row in api.get("/api/v1/agencies/").json()["results"]] == [own_slug]
        assert {row["agency"] for row in api.get("/api/v1/staff/").json()["results"]} == {own_slug}
        assert {row["agency"] for row in api.get("/api/v1/completions/").json()["results"]} == {own_slug}
        assert api.get(f"/api/v1/staff/{world[own].pk}/").status_code == 200
        denied = api.get(f"/api/v1/staff/{world[other].pk}/")
        assert denied.status_code == 404
        assert denied.json() == {"detail": "Not found, or not yours to see."}
        for url in ("/api/v1/staff/", "/api/v1/completions/", "/api/v1/compliance/"):
            assert api.get(url, {"agency": own_slug}).status_code == 200
            assert api.get(url, {"agency": other_slug}).status_code == 404
        report = api.get("/api/v1/compliance/").json()
        assert list(report["by_agency"]) == [own_slug]

    @pytest.mark.parametrize("persona", ["hr_a_api", "lead_api"])
    def test_the_catalogue_is_for_every_token(self, world, persona, request):
        api = request.getfixturevalue(persona)
        assert [row["code"] for row in api.get("/api/v1/modules/").json()["results"]] == ["HSB-101"]
        assert api.get("/api/v1/job-roles/").json()["count"] >= 1

    def test_hr_of_several_agencies_names_one_for_compliance(self, world, agency_b, hr_a, token_of):
        from tests.api.conftest import client_for
        from workforce.models import AgencyMembership

        AgencyMembership.objects.create(user=hr_a, agency=agency_b)
        api = client_for(token_of(hr_a))
        response = api.get("/api/v1/compliance/")
        assert response.status_code == 400
        assert response.json()["errors"] == {"agency": ["Name one of your agencies: ?agency=SLUG."]}
        assert api.get("/api/v1/compliance/", {"agency": "agency-b"}).status_code == 200

    def test_staff_search_and_requirements(self, world, lead_api, agency_a):
        role = world["a"].job_role
        module = factories.ModuleFactory(code="HSB-201")
        factories.RequirementFactory(job_role=role, module=module)
        body = lead_api.get("/api/v1/staff/", {"q": world["a"].last_name, "agency": "agency-a"}).json()
        assert [row["id"] for row in body["results"]] == [world["a"].pk]
        requirement = [r for r in body["results"][0]["requirements"] if r["module"] == "HSB-201"]
        assert requirement and requirement[0]["status"] in {"due", "overdue"}
        assert requirement[0]["due_on"] is not None

    def test_leavers_are_listed_with_their_history_but_no_requirements(self, world, lead_api):
        world["a"].left_on = datetime.date(2025, 1, 1)
        world["a"].save()
        body = lead_api.get(f"/api/v1/staff/{world['a'].pk}/").json()
        assert body["left_on"] == "2025-01-01" and body["requirements"] == []
