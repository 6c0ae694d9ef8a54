"""Named personas shared by every test: a partnership lead, HR users of agencies A and B, a staff
member of agency A, and an outsider with an account but no role."""

import time
import uuid

import pytest
from allauth.account.internal.flows import login as allauth_login
from django.test import Client

from tests import factories

# The real Celery worker's fixtures (celery_worker and the one session worker behind it) and the
# headless Chromium fixtures (browser, browser_page), declared once for the whole suite: a fixture
# imported into several conftest files is several fixtures, and each would start a worker of its
# own on the same queue.
pytest_plugins = ["tests.celery_fixtures", "tests.browser_conftest"]


@pytest.fixture
def agency_a(db):
    return factories.AgencyFactory(name="Agency A", slug="agency-a")


@pytest.fixture
def agency_b(db):
    return factories.AgencyFactory(name="Agency B", slug="agency-b")


@pytest.fixture
def lead(db):
    return factories.LeadFactory(username="lead")


@pytest.fixture
def hr_a(agency_a):
    return factories.AgencyHRFactory(username="hr-a", agency=agency_a)


@pytest.fixture
def hr_b(agency_b):
    return factories.AgencyHRFactory(username="hr-b", agency=agency_b)


@pytest.fixture
def outsider(db):
    return factories.UserFactory(username="outsider")


@pytest.fixture
def staff_a(agency_a):
    return factories.StaffMemberFactory(agency=agency_a, first_name="Asha", last_name="Patel")


@pytest.fixture
def staff_b(agency_b):
    return factories.StaffMemberFactory(agency=agency_b, first_name="Ben", last_name="Morgan")


@pytest.fixture
def isolated_cache(settings):
    """The configured cache (Redis in CI, memory locally) under a key prefix of this test's own, so
    that rate-limit counts never leak between tests or parallel workers sharing one Redis.

    Never cache.clear() in a test instead: on Redis it is FLUSHDB, which wipes every parallel
    worker's keys whatever their prefix (a limit counted by another test starts again from 0)."""
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def second_factor_passed_on_force_login(request, monkeypatch):
    """A session that `client.force_login` opens counts as having passed the second factor, as if the
    user had entered the code from their app at the sign-in page (the session record allauth writes
    then), so that tests of pages need not go through it. Tests of the second factor itself are
    marked `real_second_factor` and get Django's plain force_login."""
    if request.node.get_closest_marker("real_second_factor"):
        return
    plain = Client.force_login

    def force_login(self, user, backend=None):
        plain(self, user, backend)
        session = self.session
        session[allauth_login.AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "mfa", "type": "totp", "at": time.time()}
        ]
        session[allauth_login._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)
