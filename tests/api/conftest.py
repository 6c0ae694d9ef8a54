"""Personas as API clients: a lead's token, HR of agency A and of agency B, no token, a revoked
token and an expired one."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke


@pytest.fixture(autouse=True)
def fresh_throttle(isolated_cache):
    """Throttle counts start from nothing in every test, under the test's own cache prefix."""


def client_for(key):
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def token_of():
    def make(user, **kwargs):
        _token, key = api_token_create(user=user, name="test", actor=user, **kwargs)
        return key

    return make


@pytest.fixture
def lead_api(lead, token_of):
    return client_for(token_of(lead))


@pytest.fixture
def hr_a_api(hr_a, token_of):
    return client_for(token_of(hr_a))


@pytest.fixture
def hr_b_api(hr_b, token_of):
    return client_for(token_of(hr_b))


@pytest.fixture
def anonymous_api(db):
    return client_for(None)


@pytest.fixture
def revoked_api(lead, token_of):
    key = token_of(lead)
    api_token_revoke(token=ApiToken.objects.get(prefix=key[:8]), actor=lead)
    return client_for(key)


@pytest.fixture
def expired_api(lead, token_of):
    key = token_of(lead, expires_in_days=1)
    ApiToken.objects.filter(prefix=key[:8]).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    return client_for(key)
