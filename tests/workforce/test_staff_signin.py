"""Staff sign-in by emailed link: the same answer for every address, a few links per address per
hour, a signed link that works for seven days and opens only the person's own record, refusals
that explain themselves, and sign out."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.training.records_fixtures import login, sign_in
from workforce import access, signin

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_cache", "eager_tasks")]

REQUEST_URL = reverse("staff_signin")
LINK_PATH = re.compile(r"/my/sign-in/[^/\s\"<>]+/")


def ask(client, email, **extra):
    # The email is queued once the request's transaction commits, which a test's never does.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(REQUEST_URL, {"email": email}, **extra)


def link_in(message):
    """The sign-in path in an email, checked to be the same in its text and HTML parts."""
    text_links = LINK_PATH.findall(message.body)
    html_links = LINK_PATH.findall(message.alternatives[0][0])
    assert text_links and set(text_links) == set(html_links)
    return text_links[0]


class TestRequestingALink:
    def test_the_page_is_public(self, client):
        response = client.get(REQUEST_URL)
        assert response.status_code == 200
        assert "Email me a sign-in link" in response.text

    def test_a_known_address_gets_one_email_with_a_signed_link(self, client, staff_a):
        response = ask(client, staff_a.email)
        assert response.status_code == 200
        assert "Check your email" in response.text
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [f"{staff_a.full_name} <{staff_a.email}>"]
        assert message.from_email == django_settings.DEFAULT_FROM_EMAIL
        assert message.subject == "Your sign-in link for the HSB training tracker"
        assert message.alternatives[0][1] == "text/html"
        assert f"{django_settings.SITE_URL}{link_in(message)}" in message.body
        assert "works for 7 days" in message.body

    def test_the_address_is_matched_whatever_its_case_and_spaces(self, client, staff_a):
        ask(client, f"  {staff_a.email.upper()} ")
        assert len(mail.outbox) == 1

    def test_known_unknown_and_leaver_addresses_get_the_same_page(self, client, agency_a, staff_a):
        leaver = factories.StaffMemberFactory(agency=agency_a, left_on=datetime.date(2024, 1, 31))
        known = ask(client, staff_a.email.replace("@", "@"))
        assert len(mail.outbox) == 1
        pages = {}
        for label, email in [("unknown", "nobody@example.org"), ("leaver", leaver.email)]:
            response = ask(client, email)
            assert response.status_code == known.status_code == 200
            pages[label] = response.content.replace(email.encode(), b"ADDRESS")
        assert len(mail.outbox) == 1, "neither an unknown address nor a leaver gets an email"
        known_page = known.content.replace(staff_a.email.encode(), b"ADDRESS")
        assert pages["unknown"] == known_page
        assert pages["leaver"] == known_page

    def test_a_malformed_address_is_asked_again_and_nothing_is_sent(self, client):
        response = ask(client, "not an email")
        assert response.status_code == 200
        assert "Enter an email address in the correct format" in response.text
        assert "There is a problem" in response.text
        assert not mail.outbox

    def test_an_address_on_two_agencies_lists_gets_one_email_for_both(self, client, staff_a, agency_b):
        other = factories.StaffMemberFactory(
            agency=agency_b, email=staff_a.email, first_name=staff_a.first_name
        )
        ask(client, staff_a.email)
        assert len(mail.outbox) == 1
        body = mail.outbox[0].body
        assert "Agency A" in body and "Agency B" in body
        client.post(link_in(mail.outbox[0]))
        chooser = client.get(reverse("staff_home"))
        assert chooser.status_code == 200
        assert reverse("records:my_record", kwargs={"pk": staff_a.pk}) in chooser.text
        assert reverse("records:my_record", kwargs={"pk": other.pk}) in chooser.text
        for person in (staff_a, other):
            assert client.get(reverse("records:my_record", kwargs={"pk": person.pk})).status_code == 200


class TestRateLimits:
    def test_the_fourth_request_in_an_hour_sends_nothing_but_looks_the_same(self, client, staff_a):
        pages = [ask(client, staff_a.email) for _ in range(4)]
        assert len(mail.outbox) == 3
        assert pages[3].status_code == 200
        assert pages[3].content == pages[0].content

    def test_the_limit_counts_per_address(self, client, staff_a, staff_b):
        for _ in range(4):
            ask(client, staff_a.email)
        ask(client, staff_b.email)
        assert [message.to[0].split("<")[1] for message in mail.outbox].count(f"{staff_b.email}>") == 1

    def test_unknown_addresses_use_up_their_own_allowance_without_email(self, client, staff_a):
        for _ in range(5):
            ask(client, "nobody@example.org")
        ask(client, staff_a.email)
        assert len(mail.outbox) == 1

    def test_links_come_back_after_an_hour(self, client, staff_a, settings):
        # Memory cache here: Redis keeps its own time, which time-machine cannot move.
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        with time_machine.travel(
            datetime.datetime(2026, 3, 4, 9, 0, tzinfo=datetime.UTC), tick=False
        ) as clock:
            for _ in range(4):
                ask(client, staff_a.email)
            assert len(mail.outbox) == 3
            clock.shift(datetime.timedelta(minutes=59))
            ask(client, staff_a.email)
            assert len(mail.outbox) == 3
            clock.shift(datetime.timedelta(minutes=2))
            ask(client, staff_a.email)
            assert len(mail.outbox) == 4

    def test_one_client_cannot_mail_many_inboxes(self, client, agency_a, settings):
        settings.STAFF_SIGNIN_REQUESTS_PER_CLIENT_PER_HOUR = 2
        people = factories.StaffMemberFactory.create_batch(3, agency=agency_a)
        pages = [ask(client, person.email, REMOTE_ADDR="203.0.113.7") for person in people]
        assert len(mail.outbox) == 2
        assert pages[2].content.replace(people[2].email.encode(), b"") == pages[0].content.replace(
            people[0].email.encode(), b""
        )
        # Another client is not held back by that one.
        ask(client, people[2].email, REMOTE_ADDR="198.51.100.9")
        assert len(mail.outbox) == 3


class TestOpeningTheLink:
    def test_the_link_opens_the_persons_own_record_without_an_account(self, client, staff_a, required):
        ask(client, staff_a.email)
        page = client.get(link_in(mail.outbox[0]))
        assert page.status_code == 200
        assert "Continue to your record" in page.text
        assert access.STAFF_SESSION_KEY not in client.session, "a GET signs no one in"
        assert page["Referrer-Policy"] == "same-origin"
        response = client.post(link_in(mail.outbox[0]))
        assert response.status_code == 302
        assert response.url == reverse("staff_home")
        assert client.session[access.STAFF_SESSION_KEY] == [staff_a.pk]
        assert "_auth_user_id" not in client.session, "a staff session is not a Django login"
        record = client.get(reverse("staff_home"), follow=True)
        assert record.redirect_chain[-1][0] == reverse("records:my_record", kwargs={"pk": staff_a.pk})
        assert staff_a.full_name in record.text
        assert "HSB-101" in record.text
        assert "Overdue" in record.text

    def test_the_link_works_once_within_seven_days_and_then_offers_a_fresh_one(self, client, staff_a):
        token = signin.signin_token(staff_ids=[staff_a.pk], email=staff_a.email)
        url = reverse("staff_signin_open", kwargs={"token": token})
        with time_machine.travel(
            datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=6, hours=23)
        ):
            for _ in range(3):
                assert client.get(url).status_code == 200, "opening it again and again uses nothing up"
            assert access.STAFF_SESSION_KEY not in client.session
            assert client.post(url).status_code == 302
            client.post(reverse("staff_signout"))
            again = client.post(url)
            assert again.status_code == 403
            assert "This sign-in link has been used" in again.text
            assert "Email me a new sign-in link" in again.text
            assert f'value="{staff_a.email}"' in again.text
            assert access.STAFF_SESSION_KEY not in client.session
            assert "has been used" in client.get(url).text

    def test_the_link_carries_nothing_that_decodes_to_the_address_or_the_id(self, client, staff_a):
        import base64
        import binascii

        ask(client, staff_a.email)
        link = link_in(mail.outbox[0])
        token = link.rstrip("/").rsplit("/", 1)[1]
        assert len(token) >= 40
        decoded = [token]
        for candidate in (token, token + "=" * (-len(token) % 4)):
            for decode in (base64.urlsafe_b64decode, base64.b64decode):
                try:
                    decoded.append(decode(candidate).decode("latin-1"))
                except (binascii.Error, ValueError):
                    pass
        for text in decoded:
            assert staff_a.email not in text.lower()
            assert staff_a.email.split("@")[0] not in text.lower()
            assert f'"s":[{staff_a.pk}]' not in text and f"[{staff_a.pk}]" not in text
        assert signin.SigninLink.objects.get().token_hash != token, "only a hash is stored"
        assert token not in str(list(signin.SigninLink.objects.values_list()))

    def test_the_record_reads_the_same_number_of_times_however_much_is_on_it(
        self, client, staff_a, django_assert_num_queries
    ):
        sign_in(client, staff_a)
        url = reverse("records:my_record", kwargs={"pk": staff_a.pk})

        def add_modules(count):
            for _ in range(count):
                module = factories.ModuleFactory()
                factories.RequirementFactory(job_role=staff_a.job_role, module=module)
                factories.CompletionFactory(
                    staff=staff_a, module=module, completed_on=datetime.date(2025, 5, 1)
                )

        add_modules(2)
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        add_modules(10)
        with django_assert_num_queries(len(few)):
            page = client.get(url)
        assert page.text.count('class="govuk-summary-card__title"') == 12

    def test_another_persons_record_is_not_found(self, client, staff_a, staff_b):
        sign_in(client, staff_a)
        for name in ("records:my_record", "records:my_calendar", "records:my_declare"):
            response = client.get(reverse(name, kwargs={"pk": staff_b.pk}))
            assert response.status_code == 404, name
            assert staff_b.last_name not in response.text

    def test_a_staff_session_opens_no_lead_or_hr_page(self, client, staff_a):
        sign_in(client, staff_a)
        for url in (
            reverse("staff_detail", kwargs={"pk": staff_a.pk}),
            reverse("agency_staff", kwargs={"slug": staff_a.agency.slug}),
            reverse("records:verification_queue"),
            reverse("records:register"),
        ):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("login")), url

    @pytest.mark.parametrize("persona", ["lead", "hr_a", "hr_b"])
    def test_an_account_does_not_open_a_staff_members_own_pages(self, client, request, persona, staff_a):
        login(client, request.getfixturevalue(persona))
        for name in ("records:my_record", "records:my_calendar", "records:my_declare"):
            response = client.get(reverse(name, kwargs={"pk": staff_a.pk}))
            assert response.status_code == 302, name
            assert response.url == REQUEST_URL

    def test_own_pages_without_a_session_lead_to_the_sign_in_page(self, client, staff_a):
        for name in ("records:my_record", "records:my_calendar", "records:my_declare"):
            response = client.get(reverse(name, kwargs={"pk": staff_a.pk}))
            assert response.status_code == 302
            assert response.url == REQUEST_URL

    def test_someone_who_leaves_loses_the_open_session(self, client, staff_a):
        sign_in(client, staff_a)
        staff_a.left_on = datetime.date(2024, 1, 1)
        staff_a.save()
        assert client.get(reverse("records:my_record", kwargs={"pk": staff_a.pk})).status_code == 404
        assert client.get(reverse("staff_home")).url == REQUEST_URL


class TestRefusedLinks:
    def test_an_expired_link_is_refused_with_a_way_to_get_a_new_one(self, client, staff_a):
        token = signin.signin_token(staff_ids=[staff_a.pk], email=staff_a.email)
        url = reverse("staff_signin_open", kwargs={"token": token})
        with time_machine.travel(
            datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=7, minutes=1)
        ):
            response = client.get(url)
        assert response.status_code == 403
        assert "This sign-in link has expired" in response.text
        assert "Email me a new sign-in link" in response.text
        assert f'value="{staff_a.email}"' in response.text, "the address is offered again"
        assert access.STAFF_SESSION_KEY not in client.session

    def test_an_expired_link_is_refused_by_post_too(self, client, staff_a):
        token = signin.signin_token(staff_ids=[staff_a.pk], email=staff_a.email)
        url = reverse("staff_signin_open", kwargs={"token": token})
        with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=8)):
            response = client.post(url)
        assert response.status_code == 403
        assert "This sign-in link has expired" in response.text
        assert access.STAFF_SESSION_KEY not in client.session

    @pytest.mark.parametrize(
        "forge",
        [
            lambda token: token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"),  # changed
            lambda token: "garbage",
            lambda token: "x" * 300,
        ],
        ids=["tampered", "garbage", "too-long"],
    )
    def test_a_forged_link_is_refused(self, client, staff_a, forge):
        token = forge(signin.signin_token(staff_ids=[staff_a.pk], email=staff_a.email))
        for method in (client.get, client.post):
            response = method(reverse("staff_signin_open", kwargs={"token": token}))
            assert response.status_code == 400
            assert "This sign-in link does not work" in response.text
            assert "Email me a new sign-in link" in response.text
            assert access.STAFF_SESSION_KEY not in client.session
        assert signin.SigninLink.objects.get().used_at is None, "nothing was used up"

    def test_a_link_stops_working_when_the_address_changes_or_the_person_leaves(
        self, client, staff_a, staff_b
    ):
        changed = signin.signin_token(staff_ids=[staff_a.pk], email=staff_a.email)
        staff_a.email = "new.address@example.org"
        staff_a.save()
        response = client.post(reverse("staff_signin_open", kwargs={"token": changed}))
        assert response.status_code == 403
        assert "does not work any more" in response.text
        left = signin.signin_token(staff_ids=[staff_b.pk], email=staff_b.email)
        staff_b.left_on = datetime.date(2024, 5, 1)
        staff_b.save()
        assert client.post(reverse("staff_signin_open", kwargs={"token": left})).status_code == 403
        assert access.STAFF_SESSION_KEY not in client.session


class TestSigningOut:
    def test_sign_out_ends_the_staff_session(self, client, staff_a):
        sign_in(client, staff_a)
        record = reverse("records:my_record", kwargs={"pk": staff_a.pk})
        page = client.get(record)
        assert 'action="/my/sign-out/"' in page.text
        response = client.post(reverse("staff_signout"), follow=True)
        assert "You have signed out" in response.text
        assert access.STAFF_SESSION_KEY not in client.session
        assert client.get(record).url == REQUEST_URL

    def test_sign_out_needs_a_post(self, client, staff_a):
        sign_in(client, staff_a)
        assert client.get(reverse("staff_signout")).status_code == 405
        assert client.session[access.STAFF_SESSION_KEY] == [staff_a.pk]

    def test_signing_out_of_a_staff_session_keeps_a_lead_signed_in(self, client, lead, staff_a):
        login(client, lead)
        sign_in(client, staff_a)
        client.post(reverse("staff_signout"))
        assert client.get(reverse("staff_detail", kwargs={"pk": staff_a.pk})).status_code == 200


class TestLinksForOtherEmails:
    def test_a_fresh_link_for_one_person_opens_their_record(self, client, staff_a):
        url = signin.signin_url_for_staff(staff_a)
        assert url.startswith(django_settings.SITE_URL + "/my/sign-in/")
        assert client.post(url.removeprefix(django_settings.SITE_URL)).status_code == 302
        assert client.session[access.STAFF_SESSION_KEY] == [staff_a.pk]

    def test_no_link_for_a_leaver_or_someone_without_an_address(self, agency_a):
        leaver = factories.StaffMemberFactory(agency=agency_a, left_on=datetime.date(2024, 1, 31))
        unreachable = factories.StaffMemberFactory(agency=agency_a, email="")
        assert signin.signin_url_for_staff(leaver) is None
        assert signin.signin_url_for_staff(unreachable) is None


class TestPurge:
    def test_links_expired_over_a_day_ago_are_deleted_by_the_nightly_task(self, staff_a):
        from config.celery_app import app as celery_app
        from workforce.tasks import signin_links_purge_task

        old = signin.signin_token(staff_ids=[staff_a.pk], email=staff_a.email)
        signin.SigninLink.objects.update(
            created_at=datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(days=8, minutes=1)
        )
        fresh = signin.signin_token(staff_ids=[staff_a.pk], email=staff_a.email)
        signin_links_purge_task.delay()
        assert list(signin.SigninLink.objects.values_list("token_hash", flat=True)) == [signin._hash(fresh)]
        assert old != fresh
        entry = celery_app.conf.beat_schedule["signin-links-purge"]
        assert entry["task"] == "workforce.tasks.signin_links_purge_task"
