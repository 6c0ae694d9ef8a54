"""The interactive docs work in a real browser under the tracker's own security headers: Swagger UI
loads from the tracker's static files (no CDN) and renders the schema."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1024, 390])
def test_swagger_ui_renders_the_schema_from_local_assets(browser_page, live_server, width):
    page = browser_page(width=width)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector("text=/api/v1/completions/", timeout=15_000)
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("HSB training tracker API")
    assert not errors
    assert all(url.startswith(live_server.url) for url in requests), requests
