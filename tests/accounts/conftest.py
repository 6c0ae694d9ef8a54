"""A real OpenID Connect provider on localhost, in its own process (tests/accounts/oidc_provider),
and the tracker configured to sign in through it."""

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "tracker-tests"
CLIENT_SECRET = "tracker-tests-secret-0123456789"
PROVIDER_ID = "sso"
CALLBACK = f"http://testserver/accounts/oidc/{PROVIDER_ID}/login/callback/"

# username at the provider -> the claims it vouches for
IDENTITIES = {
    "known": {"email": "hr-a@example.org", "email_verified": True},
    "known-entra": {"email": "HR-A@example.org", "xms_edov": True},
    "stranger": {"email": "stranger@example.org", "email_verified": True},
    "unverified": {"email": "hr-a@example.org", "email_verified": False},
    "no-email": {},
}


@dataclass
class Provider:
    url: str

    @property
    def issuer(self):
        return f"{self.url}/o"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "OIDC_TEST_DATABASE": str(tmp_path_factory.mktemp("oidc") / "provider.sqlite3"),
        "OIDC_TEST_IDENTITIES": json.dumps(IDENTITIES),
        "OIDC_TEST_CLIENT_ID": CLIENT_ID,
        "OIDC_TEST_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_TEST_REDIRECT_URI": CALLBACK,
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tests.accounts.oidc_provider.serve", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.strip() == "ready", f"the test OpenID Connect provider did not start: {line!r}"
        url = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                requests.get(f"{url}/o/.well-known/openid-configuration", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield Provider(url)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def sso(settings, oidc_provider):
    """The tracker's single sign-on pointed at the test provider (as OIDC_* would configure it)."""
    settings.OIDC_SERVER_URL = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Northshire 365"
    settings.OIDC_PROVIDER_ID = PROVIDER_ID
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": "Northshire 365",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": oidc_provider.issuer, "oauth_pkce_enabled": True},
                }
            ]
        }
    }
    return oidc_provider


def provider_round_trip(client, provider, username, *, next_url=None):
    """Press "Sign in with ..." in the tracker, sign in at the provider as `username`, and return the
    callback the provider sends the browser back to: (path, query dict)."""
    data = {"next": next_url} if next_url else {}
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": PROVIDER_ID}), data)
    assert start.status_code == 302, start
    authorize = start["Location"]
    assert authorize.startswith(f"{provider.issuer}/authorize/"), authorize
    browser = requests.Session()
    signed_in = browser.get(
        f"{provider.url}/sign-in-as/{username}/",
        params={"next": authorize},
        allow_redirects=False,
        timeout=10,
    )
    answer = browser.get(signed_in.headers["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    back = urlsplit(answer.headers["Location"])
    assert back.geturl().startswith(CALLBACK), back.geturl()
    return back.path, {key: values[0] for key, values in parse_qs(back.query).items()}


def sso_sign_in(client, provider, username, **kwargs):
    path, query = provider_round_trip(client, provider, username, **kwargs)
    return client.get(path, query)
