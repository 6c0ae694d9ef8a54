"""The real client address behind trusted proxies: read right to left from X-Forwarded-For, a
spoofed header from an untrusted peer ignored, and used by the sign-in link limit and the
password lock-out, so that one client cannot stop sign-in for everyone behind the same proxy."""

import pytest
from django.core import mail
from django.test import RequestFactory, TestCase
from django.urls import reverse

from tests import factories
from workforce.clients import client_ip

PROXY = "10.0.0.5"


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


class TestClientAddress:
    def test_without_trusted_proxies_the_peer_is_the_client_and_the_header_is_ignored(self, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        assert client_ip(request_from("198.51.100.9", "203.0.113.7")) == "198.51.100.9"

    def test_one_trusted_proxy_gives_the_address_it_appended(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        assert client_ip(request_from(PROXY, "203.0.113.7")) == "203.0.113.7"

    def test_a_spoofed_left_hand_entry_is_ignored(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
        assert client_ip(request_from(PROXY, "1.2.3.4, 203.0.113.7")) == "203.0.113.7"

    def test_two_trusted_proxies_count_two_from_the_right(self, settings):
        settings.TRUSTED_PROXY_COUNT = 2
        forwarded = "1.2.3.4, 203.0.113.7, 10.0.0.4"
        assert client_ip(request_from(PROXY, forwarded)) == "203.0.113.7"

    def test_a_chain_shorter_than_the_proxies_gives_its_leftmost_entry(self, settings):
        settings.TRUSTED_PROXY_COUNT = 2
        assert client_ip(request_from(PROXY, "203.0.113.7")) == "203.0.113.7"
        assert client_ip(request_from(PROXY)) == PROXY

    def test_ports_and_ipv6_are_understood_and_rubbish_falls_back_to_the_peer(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        assert client_ip(request_from(PROXY, "203.0.113.7:5555")) == "203.0.113.7"
        assert client_ip(request_from(PROXY, "[2001:db8::1]:443")) == "2001:db8::1"
        assert client_ip(request_from(PROXY, "2001:DB8::2")) == "2001:db8::2"
        assert client_ip(request_from(PROXY, "<script>")) == PROXY


def ask(client, email, forwarded):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("staff_signin"), {"email": email}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
        )


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_cache", "eager_tasks")
class TestSigninLinkLimitBehindTheProxy:
    def test_sixty_one_requests_from_one_client_are_throttled_while_another_is_not(
        self, client, agency_a, settings
    ):
        settings.TRUSTED_PROXY_COUNT = 1
        settings.STAFF_SIGNIN_REQUESTS_PER_CLIENT_PER_HOUR = 60
        people = factories.StaffMemberFactory.create_batch(21, agency=agency_a)
        # 61 requests from one client (three per address, within the per-address limit).
        for n in range(61):
            ask(client, people[n % 21].email, "203.0.113.7")
        assert len(mail.outbox) == 60
        # The same proxy forwards a second client, who is not held back.
        person = factories.StaffMemberFactory(agency=agency_a)
        ask(client, person.email, "198.51.100.9")
        assert len(mail.outbox) == 61
        # Nor can the first client escape the limit by sending its own X-Forwarded-For.
        other = factories.StaffMemberFactory(agency=agency_a)
        ask(client, other.email, "192.0.2.99, 203.0.113.7")
        assert len(mail.outbox) == 61


PASSWORD = "correct-horse-battery"


@pytest.mark.django_db
class TestLockoutPerRealClient:
    def login(self, client, forwarded, password):
        return client.post(
            reverse("login"),
            {"username": "hr-a", "password": password},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    def test_five_bad_passwords_from_one_client_do_not_lock_the_account_out_for_another(
        self, client, hr_a, settings
    ):
        settings.TRUSTED_PROXY_COUNT = 1
        for _ in range(5):
            self.login(client, "203.0.113.7", "wrong")
        assert self.login(client, "203.0.113.7", PASSWORD).status_code == 429
        assert "_auth_user_id" not in client.session
        signed_in = self.login(client, "198.51.100.9", PASSWORD)
        assert signed_in.status_code == 302
        assert "_auth_user_id" in client.session
