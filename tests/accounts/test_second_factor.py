"""The second factor: required for leads, administrators and (by MFA_REQUIRED_GROUPS) HR, enforced
before any page, TOTP codes and recovery codes (each once), and a lead's reset of someone else's.

These tests sign in for real (the login page, or Django's plain force_login): they are marked
`real_second_factor`, so the suite's force_login does not mark the session as having passed."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from audit import actions
from audit.models import AuditEvent
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.real_second_factor,
    pytest.mark.usefixtures("isolated_cache"),
]

PASSWORD = "correct-horse-battery"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code(secret=SECRET, *, step=0):
    """The code an authenticator app shows now (allauth's own TOTP arithmetic, 30-second steps)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step))


def give_authenticator(user, secret=SECRET):
    services.second_factor_set_up(user=user, secret=secret)
    return RecoveryCodes(Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES))


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


def signed_in(client):
    return "_auth_user_id" in client.session


PAGES = ("home", "agency_list", "search", "api_tokens", "admin:index", "second_factors")


class TestWhoMustHaveOne:
    def test_a_lead_without_one_reaches_no_page_before_setting_it_up(self, client, lead):
        response = sign_in(client, "lead")
        assert response.status_code == 302  # signed in with the password...
        for name in PAGES:
            page = client.get(reverse(name))
            assert page.status_code == 302, name
            assert page["Location"].startswith(reverse("mfa_activate_totp")), name  # ...but sent to set up
        assert client.get(reverse("mfa_activate_totp")).status_code == 200

    def test_a_superuser_must_have_one(self, client):
        factories.UserFactory(username="admin", is_superuser=True, is_staff=True)
        sign_in(client, "admin")
        assert client.get(reverse("admin:index"))["Location"].startswith(reverse("mfa_activate_totp"))

    def test_hr_must_by_the_default_setting_and_need_not_when_the_setting_is_empty(
        self, client, hr_a, settings
    ):
        assert settings.MFA_REQUIRED_GROUPS == ["Agency HR"]
        client.force_login(hr_a)
        assert client.get(reverse("home"))["Location"].startswith(reverse("mfa_activate_totp"))
        settings.MFA_REQUIRED_GROUPS = []
        assert client.get(reverse("home")).status_code == 200

    def test_someone_with_no_role_need_not(self, client, outsider):
        client.force_login(outsider)
        assert client.get(reverse("home")).status_code in {200, 404}
        assert "mfa" not in client.get(reverse("home")).get("Location", "")

    def test_signing_out_stays_possible(self, client, lead):
        client.force_login(lead)
        assert client.post(reverse("logout")).status_code == 302
        assert not signed_in(client)

    def test_the_api_answers_its_tokens_as_before(self, client, lead):
        client.force_login(lead)
        assert client.get("/api/v1/agencies/").status_code == 401  # no bearer token: the API's own answer


class TestSettingUp:
    def test_a_wrong_code_sets_nothing_up_and_says_what_to_enter(self, client, lead):
        sign_in(client, "lead")
        client.get(reverse("mfa_activate_totp"))
        response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
        assert response.status_code == 200
        assert "There is a problem" in response.text
        assert "Enter the 6-digit code your authenticator app shows now" in response.text
        assert not Authenticator.objects.filter(user=lead).exists()
        assert client.get(reverse("home")).status_code == 302
        assert not AuditEvent.objects.filter(action=actions.SECOND_FACTOR_CHANGED).exists()

    def test_the_right_code_sets_it_up_shows_recovery_codes_and_opens_the_tracker(
        self, client, lead, django_capture_on_commit_callbacks
    ):
        sign_in(client, "lead")
        page = client.get(reverse("mfa_activate_totp"))
        assert "Set up your second factor" in page.text
        secret = page.context["form"].secret
        assert secret in page.text  # the key, for typing in
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(reverse("mfa_activate_totp"), {"code": code(secret)})
        assert done["Location"] == reverse("mfa_view_recovery_codes")
        with django_capture_on_commit_callbacks(execute=True):
            codes = client.get(done["Location"])
        assert "Your recovery codes" in codes.text
        unused = RecoveryCodes(Authenticator.objects.get(user=lead, type="recovery_codes")).get_unused_codes()
        assert len(unused) == 10 and all(one in codes.text for one in unused)
        assert Authenticator.objects.filter(user=lead, type="totp").count() == 1
        assert client.get(reverse("home")).status_code == 200
        # Each change once in the audit log: the app, and the recovery codes made with it.
        changed = AuditEvent.objects.filter(action=actions.SECOND_FACTOR_CHANGED, user=lead)
        assert sorted(changed.values_list("description", flat=True)) == [
            "Made recovery codes",
            "Set up an authenticator app",
        ]


class TestSigningIn:
    def test_a_password_alone_signs_nobody_in(self, client, lead):
        give_authenticator(lead)
        response = sign_in(client, "lead")
        assert response["Location"] == reverse("mfa_authenticate")
        assert not signed_in(client)
        assert client.get(reverse("home"))["Location"].startswith(reverse("login"))
        page = client.get(reverse("mfa_authenticate"))
        assert "Enter the code from your authenticator app" in page.text

    def test_a_wrong_code_is_refused_with_a_message(self, client, lead):
        give_authenticator(lead)
        sign_in(client, "lead")
        response = client.post(reverse("mfa_authenticate"), {"code": "123456"})
        assert response.status_code == 200
        assert "Enter the 6-digit code your authenticator app shows now" in response.text
        assert not signed_in(client)

    def test_the_code_from_the_app_signs_in_and_keeps_the_next_page(self, client, lead, agency_a):
        give_authenticator(lead)
        wanted = reverse("agency_staff", kwargs={"slug": agency_a.slug})
        sign_in(client, "lead", next=wanted)
        response = client.post(reverse("mfa_authenticate"), {"code": code()})
        assert response["Location"] == wanted
        assert signed_in(client)
        assert client.get(reverse("home")).status_code == 200

    def test_a_recovery_code_works_once(self, client, lead):
        recovery = give_authenticator(lead)
        one = recovery.get_unused_codes()[0]
        sign_in(client, "lead")
        assert client.post(reverse("mfa_authenticate"), {"code": one}).status_code == 302
        assert signed_in(client)
        client.post(reverse("logout"))
        sign_in(client, "lead")
        again = client.post(reverse("mfa_authenticate"), {"code": one})
        assert again.status_code == 200
        assert "Enter the 6-digit code your authenticator app shows now" in again.text
        assert not signed_in(client)
        assert (
            len(
                RecoveryCodes(
                    recovery.instance.__class__.objects.get(pk=recovery.instance.pk)
                ).get_unused_codes()
            )
            == 9
        )

    def test_five_wrong_codes_stop_even_the_right_one_for_a_while(self, client, lead):
        give_authenticator(lead)
        sign_in(client, "lead")
        for _ in range(5):
            client.post(reverse("mfa_authenticate"), {"code": "000000"})
        refused = client.post(reverse("mfa_authenticate"), {"code": code()})
        assert "Too many wrong codes. Wait 5 minutes, then try again" in refused.text
        assert not signed_in(client)
        assert Authenticator.objects.get(user=lead, type="totp").last_used_at is None

    def test_a_session_opened_some_other_way_is_asked_for_the_code(self, client, lead):
        give_authenticator(lead)
        client.force_login(lead)  # Django's plain login, as the admin's own login page would do
        page = client.get(reverse("home"))
        assert page["Location"].startswith(reverse("mfa_reauthenticate"))
        assert client.get(reverse("mfa_view_recovery_codes"))["Location"].startswith(
            reverse("mfa_reauthenticate")
        )
        passed = client.post(page["Location"], {"code": code()})
        assert passed["Location"] == reverse("home")
        assert client.get(reverse("home")).status_code == 200

    def test_the_admins_login_page_sends_people_to_the_trackers(self, client):
        response = client.get(reverse("admin:login"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


class TestResetByTheLead:
    def test_the_lead_resets_hrs_second_factor(self, client, lead, hr_a):
        give_authenticator(hr_a)
        self._sign_in_lead(client)
        listing = client.get(reverse("second_factors"))
        assert "hr-a" in listing.text
        url = reverse("second_factor_reset", kwargs={"pk": hr_a.pk})
        assert "Reset the second factor" in client.get(url).text
        response = client.post(url, follow=True)
        assert "second factor is reset" in response.text
        assert not Authenticator.objects.filter(user=hr_a).exists()
        event = AuditEvent.objects.get(action=actions.SECOND_FACTOR_RESET)  # exactly one
        assert (event.user, event.target_id, event.client_ip) == (lead, str(hr_a.pk), "127.0.0.1")
        # At their next sign-in they set a new one up first.
        hr = client.__class__()
        sign_in(hr, "hr-a")
        assert hr.get(reverse("home"))["Location"].startswith(reverse("mfa_activate_totp"))

    @pytest.fixture
    def lead(self, lead, client):
        give_authenticator(lead, "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
        return lead

    def test_hr_cannot_reset_the_leads(self, client, lead, hr_a):
        give_authenticator(hr_a)
        sign_in(client, "hr-a")
        client.post(reverse("mfa_authenticate"), {"code": code()})
        assert signed_in(client)
        url = reverse("second_factor_reset", kwargs={"pk": lead.pk})
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
        assert client.get(reverse("second_factors")).status_code == 404
        assert Authenticator.objects.filter(user=lead).count() == 2
        assert not AuditEvent.objects.filter(action=actions.SECOND_FACTOR_RESET).exists()

    def test_the_lead_cannot_reset_their_own_here(self, client, lead):
        self._sign_in_lead(client)
        response = client.post(reverse("second_factor_reset", kwargs={"pk": lead.pk}))
        assert response.status_code == 400
        assert "You cannot reset your own second factor here" in response.text
        assert Authenticator.objects.filter(user=lead).count() == 2

    def test_a_lead_cannot_reset_an_administrators(self, client, lead):
        admin = factories.UserFactory(username="admin", is_superuser=True, is_staff=True)
        give_authenticator(admin)
        self._sign_in_lead(client)
        response = client.post(reverse("second_factor_reset", kwargs={"pk": admin.pk}))
        assert response.status_code == 400
        assert "Only an administrator can reset an administrator&#x27;s second factor." in response.text
        assert Authenticator.objects.filter(user=admin).count() == 2

    def test_someone_with_none_has_nothing_to_reset(self, client, lead, hr_a):
        self._sign_in_lead(client)
        response = client.post(reverse("second_factor_reset", kwargs={"pk": hr_a.pk}))
        assert response.status_code == 400
        assert "has no second factor to reset" in response.text
        assert "They have no second factor set up" in response.text
        assert not Authenticator.objects.filter(user=hr_a).exists()

    def _sign_in_lead(self, client):
        sign_in(client, "lead")
        client.post(reverse("mfa_authenticate"), {"code": code("KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")})
        assert signed_in(client)


class TestResetService:
    def test_only_a_lead_may_reset(self, hr_a, hr_b):
        give_authenticator(hr_b)
        with pytest.raises(ValidationError, match="Only a partnership lead"):
            services.mfa_reset(user=hr_b, by=hr_a)
        assert Authenticator.objects.filter(user=hr_b).count() == 2

    def test_a_reset_removes_the_app_and_the_recovery_codes(self, lead, hr_a):
        give_authenticator(hr_a)
        assert services.mfa_reset(user=hr_a, by=lead) == 2
        assert not Authenticator.objects.filter(user=hr_a).exists()
