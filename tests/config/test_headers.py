"""Security headers on every kind of response: Permissions-Policy turns every powerful browser
feature off; the existing X-Frame-Options and nosniff stay."""

import pytest
from django.urls import reverse

from tests.training.records_fixtures import sign_in

FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def assert_headers(response):
    policy = response["Permissions-Policy"]
    for feature in FEATURES:
        assert f"{feature}=()" in policy, feature
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
class TestHeaders:
    def test_public_pages(self, client):
        for url in (reverse("login"), reverse("staff_signin"), "/healthz"):
            assert_headers(client.get(url))

    def test_signed_in_pages_and_errors(self, client, lead, staff_a):
        client.force_login(lead)
        assert_headers(client.get(reverse("home")))
        assert_headers(client.get("/no-such-page/"))

    def test_a_staff_members_own_pages(self, client, staff_a):
        sign_in(client, staff_a)
        assert_headers(client.get(reverse("records:my_record", kwargs={"pk": staff_a.pk})))
