"""Single sign-on against a real OpenID Connect provider running on localhost in its own process
(django-oauth-toolkit, tests/accounts/oidc_provider): a verified email signs in to its account,
anything else is refused with a page that says whom to ask, and nothing is ever created."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse

from .conftest import PROVIDER_ID, provider_round_trip, sso_sign_in

pytestmark = pytest.mark.django_db


def words(response):
    """The page's text with its line breaks and indents as single spaces."""
    return " ".join(response.text.split())


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


class TestSignInPage:
    def test_the_button_shows_only_when_single_sign_on_is_configured(self, client, settings):
        settings.OIDC_SERVER_URL = ""
        assert "Sign in with" not in client.get(reverse("login")).text
        settings.OIDC_SERVER_URL = "https://login.example.org/tenant/v2.0"
        settings.OIDC_PROVIDER_NAME = "Microsoft 365"
        page = client.get(reverse("login")).text
        assert "Sign in with Microsoft 365" in page
        assert f'action="/accounts/oidc/{PROVIDER_ID}/login/"' in page or "/accounts/oidc/" in page
        assert 'name="password"' in page  # passwords still on

    def test_passwords_turned_off_leave_only_the_button_and_refuse_a_posted_password(
        self, client, settings, hr_a, sso
    ):
        settings.PASSWORD_SIGNIN_ENABLED = False
        page = client.get(reverse("login")).text
        assert "Sign in with Northshire 365" in page
        assert 'name="password"' not in page
        assert "Forgotten your password?" not in page
        refused = client.post(
            reverse("login"), {"username": "hr-a", "password": "correct-horse-battery"}, follow=True
        )
        assert "Passwords are turned off here: sign in with Northshire 365." in refused.text
        assert signed_in_user_id(client) is None

    def test_passwords_turned_off_close_the_password_reset_pages(self, client, settings, hr_a, sso):
        settings.PASSWORD_SIGNIN_ENABLED = False
        response = client.post(reverse("password_reset"), {"email": hr_a.email})
        assert response.status_code == 404
        assert "Passwords are turned off" in response.text
        from django.core import mail

        assert mail.outbox == []


class TestSignInThroughTheProvider:
    def test_a_known_verified_email_signs_in_to_its_account_without_a_local_second_factor(
        self, client, sso, hr_a
    ):
        response = sso_sign_in(client, sso, "known")
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
        assert signed_in_user_id(client) == str(hr_a.pk)
        # HR must have a second factor (MFA_REQUIRED_GROUPS), but the provider asked for its own.
        assert client.get(reverse("home")).status_code == 200
        account = SocialAccount.objects.get()
        assert (account.user, account.provider) == (hr_a, PROVIDER_ID)

    def test_the_next_page_is_kept(self, client, sso, hr_a, agency_a):
        wanted = reverse("agency_staff", kwargs={"slug": agency_a.slug})
        response = sso_sign_in(client, sso, "known", next_url=wanted)
        assert response["Location"] == wanted

    def test_entra_ids_email_domain_owner_claim_vouches_for_the_email_and_case_does_not_matter(
        self, client, sso, hr_a
    ):
        sso_sign_in(client, sso, "known-entra")
        assert signed_in_user_id(client) == str(hr_a.pk)

    def test_a_second_sign_in_uses_the_connection_made_at_the_first(self, client, sso, hr_a):
        sso_sign_in(client, sso, "known")
        client.post(reverse("logout"))
        sso_sign_in(client, sso, "known")
        assert signed_in_user_id(client) == str(hr_a.pk)
        assert SocialAccount.objects.count() == 1

    def test_a_lead_who_has_an_authenticator_app_is_not_asked_for_its_code(self, client, sso, lead):
        from tests.accounts.test_second_factor import give_authenticator

        lead.email = "hr-a@example.org"
        lead.save()
        give_authenticator(lead)
        sso_sign_in(client, sso, "known")
        assert signed_in_user_id(client) == str(lead.pk)
        assert client.get(reverse("home")).status_code == 200


class TestRefused:
    def test_an_unknown_identity_gets_the_ask_the_lead_page_and_no_account(self, client, sso, hr_a, settings):
        settings.SIGNIN_HELP_CONTACT = "Morgan Ellis (workforce.development@example.org)"
        users_before = get_user_model().objects.count()
        response = sso_sign_in(client, sso, "stranger")
        assert response.status_code == 403
        assert "You do not have an account yet" in response.text
        page = words(response)
        assert "No account in the tracker has the email address <strong>stranger@example.org</strong>" in page
        assert "Ask Morgan Ellis (workforce.development@example.org), the partnership's workforce" in page
        assert signed_in_user_id(client) is None
        assert get_user_model().objects.count() == users_before
        assert not SocialAccount.objects.exists()

    def test_an_unverified_email_is_refused_even_when_it_matches_an_account(self, client, sso, hr_a):
        response = sso_sign_in(client, sso, "unverified")
        assert response.status_code == 403
        assert "Your email address could not be checked" in response.text
        assert "did not confirm that the email address" in words(response)
        assert signed_in_user_id(client) is None
        assert not SocialAccount.objects.exists()

    def test_an_identity_with_no_email_is_refused(self, client, sso, hr_a):
        response = sso_sign_in(client, sso, "no-email")
        assert response.status_code == 403
        assert signed_in_user_id(client) is None
        assert not SocialAccount.objects.exists()

    def test_an_inactive_account_is_not_signed_in(self, client, sso, hr_a):
        hr_a.is_active = False
        hr_a.save()
        response = sso_sign_in(client, sso, "known")
        assert response.status_code == 403
        assert signed_in_user_id(client) is None
        assert not SocialAccount.objects.exists()

    def test_two_accounts_with_the_address_are_refused(self, client, sso, hr_a, hr_b):
        hr_b.email = "HR-A@example.org"
        hr_b.save()
        response = sso_sign_in(client, sso, "known")
        assert response.status_code == 403
        assert "More than one account" in response.text
        assert signed_in_user_id(client) is None
        assert not SocialAccount.objects.exists()

    def test_a_tampered_state_is_refused(self, client, sso, hr_a):
        path, query = provider_round_trip(client, sso, "known")
        query["state"] = query["state"][:-2] + ("xy" if not query["state"].endswith("xy") else "zz")
        response = client.get(path, query)
        assert "Single sign-on did not work" in response.text
        assert signed_in_user_id(client) is None
        assert not SocialAccount.objects.exists()

    def test_a_callback_replayed_in_another_browser_is_refused(self, client, sso, hr_a, django_user_model):
        from django.test import Client

        path, query = provider_round_trip(client, sso, "known")
        other = Client()
        response = other.get(path, query)
        assert "Single sign-on did not work" in response.text
        assert other.session.get("_auth_user_id") is None
        assert not SocialAccount.objects.exists()

    def test_starting_sign_in_needs_a_post(self, client, sso):
        page = client.get(reverse("openid_connect_login", kwargs={"provider_id": PROVIDER_ID}))
        assert page.status_code == 200
        assert "You will go to Northshire 365 to sign in" in page.text
