"""Who may open which page: every page tried as a lead, an Agency HR user of the same agency and of
another agency, an outsider and an anonymous visitor; the admin; login throttling; logout."""

import pytest
from django.urls import reverse

from tests import factories

PASSWORD = "correct-horse-battery"


def pages(agency, staff):
    return {
        "home": reverse("home"),
        "agency_list": reverse("agency_list"),
        "agency_staff": reverse("agency_staff", kwargs={"slug": agency.slug}),
        "staff_detail": reverse("staff_detail", kwargs={"pk": staff.pk}),
    }


@pytest.mark.django_db
class TestPages:
    def test_anonymous_is_sent_to_login_from_every_page(self, client, agency_a, staff_a):
        for url in pages(agency_a, staff_a).values():
            response = client.get(url)
            assert response.status_code == 302
            assert response.url == f"{reverse('login')}?next={url}"

    def test_lead_opens_every_page_of_every_agency(self, client, lead, agency_a, staff_a, staff_b):
        client.force_login(lead)
        for url in [*pages(agency_a, staff_a).values(), *pages(staff_b.agency, staff_b).values()]:
            assert client.get(url).status_code == 200, url

    def test_agency_hr_opens_their_own_agency(self, client, hr_a, agency_a, staff_a):
        client.force_login(hr_a)
        urls = pages(agency_a, staff_a)
        assert client.get(urls["agency_staff"]).status_code == 200
        response = client.get(urls["staff_detail"])
        assert response.status_code == 200
        assert staff_a.full_name in response.text

    def test_agency_hr_gets_404_for_another_agency(self, client, hr_a, agency_b, staff_b):
        client.force_login(hr_a)
        urls = pages(agency_b, staff_b)
        assert client.get(urls["agency_staff"]).status_code == 404
        response = client.get(urls["staff_detail"])
        assert response.status_code == 404
        assert staff_b.last_name not in response.text

    def test_agency_hr_home_is_their_agencys_dashboard(self, client, hr_a, agency_a):
        client.force_login(hr_a)
        response = client.get(reverse("home"))
        assert response.status_code == 200
        assert response.context["filters"].agency == agency_a

    def test_agency_hr_of_two_agencies_chooses_between_them(self, client, hr_a, agency_a, agency_b):
        agency_c = factories.AgencyFactory(name="Agency C", slug="agency-c")
        factories.AgencyHRFactory(username="hr-c", agency=agency_c)  # someone else's agency
        hr_a.agency_memberships.create(agency=agency_b)
        client.force_login(hr_a)
        response = client.get(reverse("home"))
        assert response.context["filters"].agency is None  # both their agencies' figures
        assert {agency.slug for agency in response.context["form"].fields["agency"].queryset} == {
            "agency-a",
            "agency-b",
        }
        listing = client.get(reverse("agency_list")).text
        assert "Agency A" in listing and "Agency B" in listing
        assert "Agency C" not in listing

    def test_agency_list_shows_hr_only_their_agencies(self, client, hr_a, agency_a, agency_b):
        client.force_login(hr_a)
        # One agency: straight to its staff list.
        response = client.get(reverse("agency_list"))
        assert response.status_code == 302
        assert response.url == reverse("agency_staff", kwargs={"slug": agency_a.slug})
        agency_c = factories.AgencyFactory(name="Agency C", slug="agency-c")
        hr_a.agency_memberships.create(agency=agency_c)
        response = client.get(reverse("agency_list"))
        assert response.status_code == 200
        assert "Agency A" in response.text and "Agency C" in response.text
        assert "Agency B" not in response.text

    def test_outsider_sees_the_placeholder_and_nothing_else(self, client, outsider, agency_a, staff_a):
        client.force_login(outsider)
        urls = pages(agency_a, staff_a)
        home = client.get(urls["home"])
        assert home.status_code == 200
        assert "Your training record" in home.text
        assert "Agency A" not in home.text
        for name in ("agency_list", "agency_staff", "staff_detail"):
            assert client.get(urls[name]).status_code == 404, name

    def test_inactive_hr_account_is_treated_as_signed_out(self, client, hr_a, agency_a):
        hr_a.is_active = False
        hr_a.save()
        client.force_login(hr_a)
        response = client.get(reverse("agency_staff", kwargs={"slug": agency_a.slug}))
        assert response.status_code == 302


@pytest.fixture
def staff_lead(lead):
    lead.is_staff = True
    lead.save()
    return lead


@pytest.mark.django_db
class TestAdmin:
    def test_lead_opens_staff_changelist_and_change_page(self, client, staff_lead, staff_a, staff_b):
        client.force_login(staff_lead)
        changelist = client.get(reverse("admin:workforce_staffmember_changelist"))
        assert changelist.status_code == 200
        assert staff_a.last_name in changelist.text and staff_b.last_name in changelist.text
        change = client.get(reverse("admin:workforce_staffmember_change", args=[staff_b.pk]))
        assert change.status_code == 200
        assert staff_b.staff_number in change.text

    def test_lead_sees_every_model_on_the_admin_index(self, client, staff_lead):
        client.force_login(staff_lead)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 200
        for name in ("Agencies", "Staff members", "Job roles", "Modules", "Requirements", "Completions"):
            assert name in response.text

    @pytest.mark.parametrize("is_staff", [False, True])
    def test_agency_hr_is_sent_to_admin_login(self, client, hr_a, staff_b, is_staff):
        hr_a.is_staff = is_staff  # even a staff flag set by mistake does not let HR in
        hr_a.save()
        client.force_login(hr_a)
        for url in (
            reverse("admin:index"),
            reverse("admin:workforce_staffmember_change", args=[staff_b.pk]),
            reverse("admin:workforce_staffmember_changelist"),
        ):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("admin:login")), url

    def test_lead_without_staff_flag_is_sent_to_admin_login(self, client, lead):
        lead.is_staff = False
        lead.save()
        client.force_login(lead)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))

    def test_outsider_with_staff_flag_is_sent_to_admin_login(self, client, outsider):
        outsider.is_staff = True
        outsider.save()
        client.force_login(outsider)
        assert client.get(reverse("admin:index")).url.startswith(reverse("admin:login"))

    def test_admin_nav_link_only_for_leads_who_may_use_it(self, client, staff_lead, hr_a):
        client.force_login(staff_lead)
        assert reverse("admin:index") in client.get(reverse("home")).text
        client.force_login(hr_a)
        response = client.get(reverse("agency_list"))
        assert reverse("admin:index") not in response.text


@pytest.mark.django_db
class TestLogin:
    def login(self, client, username, password):
        return client.post(reverse("login"), {"username": username, "password": password})

    def test_correct_password_signs_in(self, client, hr_a):
        response = self.login(client, "hr-a", PASSWORD)
        assert response.status_code == 302
        assert response.url == reverse("home")

    def test_wrong_password_shows_the_error_summary(self, client, hr_a):
        response = self.login(client, "hr-a", "wrong")
        assert response.status_code == 200
        assert "There is a problem" in response.text
        assert "Please enter a correct username and password" in response.text
        assert '<a href="#id_username">' in response.text
        assert "<title>Error: Sign in" in response.text
        assert "_auth_user_id" not in client.session

    def test_five_failures_lock_the_account_out_even_with_the_right_password(self, client, hr_a):
        for _ in range(4):
            assert self.login(client, "hr-a", "wrong").status_code == 200
        locked = self.login(client, "hr-a", "wrong")
        assert locked.status_code == 429
        assert (
            "Too many failed sign-in attempts. Try again in 30 minutes or reset your password." in locked.text
        )
        refused = self.login(client, "hr-a", PASSWORD)
        assert refused.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_lockout_is_per_username(self, client, hr_a, hr_b):
        for _ in range(5):
            self.login(client, "hr-a", "wrong")
        assert self.login(client, "hr-b", PASSWORD).status_code == 302

    def test_logout_is_a_post(self, client, hr_a):
        client.force_login(hr_a)
        assert client.get(reverse("logout")).status_code == 405
        assert "_auth_user_id" in client.session
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert response.url == reverse("login")
        assert "_auth_user_id" not in client.session

    def test_sign_out_button_is_a_post_form_on_every_page(self, client, hr_a, agency_a):
        client.force_login(hr_a)
        response = client.get(reverse("agency_staff", kwargs={"slug": agency_a.slug}))
        assert f'<form class="app-service-navigation__form" method="post" action="{reverse("logout")}">' in (
            response.text
        )


@pytest.mark.django_db
class TestPasswordReset:
    def test_reset_link_by_email_lets_the_user_choose_a_new_password(self, client, hr_a, mailoutbox):
        response = client.post(reverse("password_reset"), {"email": hr_a.email})
        assert response.url == reverse("password_reset_done")
        assert len(mailoutbox) == 1
        message = mailoutbox[0]
        assert message.subject == "Reset your HSB training tracker password"
        assert "How we use your personal data: http://testserver/privacy/" in message.body
        link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
        path = link.split("://", 1)[1].split("/", 1)[1]
        form_page = client.get("/" + path, follow=True)
        assert "Choose a new password" in form_page.text
        done = client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
        )
        assert done.url == reverse("password_reset_complete")
        hr_a.refresh_from_db()
        assert hr_a.check_password("a-new-long-passphrase")

    def test_unknown_address_gets_the_same_answer_and_no_email(self, client, mailoutbox):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
        assert response.url == reverse("password_reset_done")
        assert mailoutbox == []

    def test_a_used_link_is_explained(self, client, hr_a):
        response = client.get(
            reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "bad-token"})
        )
        assert "This link has expired or been used" in response.text
