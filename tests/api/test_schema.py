"""The OpenAPI schema, its docs page with local assets, and schemathesis (a real OpenAPI fuzzer)
run against the live schema for a lead's token and an HR token: no 5xx, and every response
conforms to the schema."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from config.wsgi import application
from tests import factories

# The schema served by the app itself, called in-process through WSGI.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def in_process(db):
    """As Django's test client does, the request signals stop closing the connection, which
    holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(in_process, agency_a, agency_b, staff_a, staff_b):
    module = factories.ModuleFactory(code="HSB-101")
    factories.RequirementFactory(job_role=staff_a.job_role, module=module)
    factories.CompletionFactory(staff=staff_a, module=module)


def _fuzz(case, key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {key}"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_as_lead(case, fuzz_world, lead, token_of, settings_override):
    _fuzz(case, token_of(lead))


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_as_agency_hr(case, fuzz_world, hr_a, token_of, settings_override):
    _fuzz(case, token_of(hr_a))


@pytest.fixture
def settings_override(settings):
    settings.API_THROTTLE_RATE = "100000/minute"


@pytest.mark.django_db
def test_the_schema_describes_every_field_and_has_examples(client):
    import yaml

    document = yaml.safe_load(client.get("/api/schema/").content)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) >= {
        "/api/v1/agencies/",
        "/api/v1/job-roles/",
        "/api/v1/modules/",
        "/api/v1/staff/",
        "/api/v1/staff/{id}/",
        "/api/v1/completions/",
        "/api/v1/compliance/",
    }
    for name, component in document["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            assert spec.get("description") or "$ref" in spec or "allOf" in spec, f"{name}.{field}"
    post = document["paths"]["/api/v1/completions/"]["post"]
    assert post["requestBody"]["content"]["application/json"]["examples"]


@pytest.mark.django_db
def test_the_docs_page_uses_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html
    assert "/static/drf_spectacular_sidecar/" in html
